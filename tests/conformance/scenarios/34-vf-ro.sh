# §4: --volumes-from C:ro makes every inherited mount read-only (RW false).
mkdir -p "$H/b"
run --name c1 -v vfr:/named -v /anon -v "$H/b:/bind" cbox:1 true
run --name c2 --volumes-from c1:ro cbox:1 sh -c 'probe write /named/x /anon/x /bind/x; probe mounts'
mounts c2
