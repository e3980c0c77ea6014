# §2: two --mount at one destination: "Duplicate mount point", exit 125.
# differs: docker creates the volume of the first --mount before it finds the duplicate and leaves it behind; rvol checks every flag before it makes anything (ARCHITECTURE.md: bad input leaves nothing half-made), so `volume ls` stays empty
run --mount type=volume,src=v1,dst=/x --mount type=volume,src=v2,dst=/x cbox:1 true
rt volume ls
