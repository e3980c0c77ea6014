# §3: volume rm of a volume that a container references (even a stopped
# one) fails naming the container; an unknown volume is an error too; after
# the container is gone the volume goes.
run --name c1 -v vu:/data cbox:1 true
rt volume rm vu
rt volume rm nosuch
rt volume rm -f nosuch
rt rm c1
rt volume rm vu
rt volume ls
