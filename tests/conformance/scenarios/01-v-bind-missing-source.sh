# §1: -v /abs/missing:/dst creates the host source with every missing parent
# (0755 dirs) and the container side; writes are seen on the host.
run --name c1 -v "$H/a/b/c:/data/x/y" cbox:1 sh -c 'echo hi > /data/x/y/f; probe mounts'
mounts c1
tree "$H"
