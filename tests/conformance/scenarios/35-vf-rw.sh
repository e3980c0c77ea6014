# §4: --volumes-from C:rw cannot make C's read-only mounts writable.
mkdir -p "$H/b"
run --name c1 -v vfw:/named:ro -v "$H/b:/bind:ro" -v /anon cbox:1 true
run --name c2 --volumes-from c1:rw cbox:1 sh -c 'probe write /named/x /bind/x /anon/x'
mounts c2
