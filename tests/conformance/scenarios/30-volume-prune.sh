# §3: volume prune with the Debian daemon (API 1.41): it removes every
# unused volume, anonymous and named, and keeps the ones a container uses.
run --name c1 -v used:/u -v /usedanon cbox:1 true
rt volume create unusednamed
run --rm -v /gone cbox:1 true
run --name c2 -v /willbeunused cbox:1 true
mounts c2
rt rm c2
mounts c1
rt @sort volume prune -f
rt @sort volume ls
