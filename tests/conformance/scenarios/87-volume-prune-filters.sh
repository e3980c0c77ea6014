# §14: volume prune --filter label=, label!= (spared only when every label!
# filter matches), the reclaimed space, and until= refused for volumes.
rt volume create --label k=1 p1
rt volume create --label k=2 p2
rt volume create --label j p3
run --rm -v p3:/d cbox:1 sh -c 'echo 12345 > /d/f'
rt volume prune -f --filter label=k=1
rt @sort volume prune -f --filter label!=k=1 --filter label!=j
rt @sort volume ls -q
rt volume prune -f --filter until=1h
rt @sort volume prune -f --filter label!=k=1 --filter label!=k=2
rt volume ls -q
