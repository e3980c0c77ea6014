# §4: --volumes-from C copies every mount of C (named, anonymous, binds, with
# their RW) to the same places, Mode "" for all; C's tmpfs is not copied.
mkdir -p "$H/b"
run --name c1 -v vfn:/named -v /anon -v "$H/b:/bind:ro" --tmpfs /t cbox:1 sh -c 'echo 1 > /named/f; echo 2 > /anon/f'
run --name c2 --volumes-from c1 cbox:1 sh -c 'cat /named/f /anon/f; probe mounts; probe write /bind/x /named/y'
mounts c1 c2
inspect c2 '{{json .HostConfig.VolumesFrom}} {{json .HostConfig.Binds}} {{json .Config.Volumes}}'
