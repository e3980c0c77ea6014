# §3: nocopy (-v ...:nocopy, --mount volume-nocopy) skips the copy-up and
# leaves the volume root as made (0755 0:0).
run --name c1 -v nc1:/srv/seed:nocopy --mount src=nc2,dst=/srv/empty,volume-nocopy cbox:1 sh -c 'ls -a /srv/seed /srv/empty; stat -c "%a %u:%g" /srv/seed /srv/empty'
voltree nc1
voltree nc2
