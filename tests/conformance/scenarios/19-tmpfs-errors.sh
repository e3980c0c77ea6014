# §2: --tmpfs errors: a relative destination, "/" as destination, an
# option tmpfs does not take, and a -v at the same place, which is no error: the tmpfs wins.
run --tmpfs rel cbox:1 true
run --tmpfs / cbox:1 true
run --tmpfs /t:foo=bar cbox:1 true
run --name c1 --tmpfs /t -v /t cbox:1 probe mounts
mounts c1
rt volume ls
