# §1/§3/§6: -v NAME:/dst makes the named volume on first use; Mode "z",
# Driver local, Source <root>/volumes/NAME/_data; the data outlives the
# container and a second container sees it.
run --name c1 -v data1:/data cbox:1 sh -c 'echo kept > /data/f; probe mounts'
mounts c1
voltree data1
run --name c2 -v data1:/other:ro cbox:1 sh -c 'cat /other/f; probe mounts'
mounts c2
rt volume ls
