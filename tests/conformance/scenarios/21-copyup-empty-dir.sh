# §3: copy-up from an EMPTY image directory still gives the volume root the
# directory's mode and owner (0711 1000:1000); a missing path gives a plain
# 0755 root-owned volume and the path is made in the container.
run --name c1 -v ce:/srv/empty -v cm:/no/such/dir cbox:1 sh -c 'stat -c "%a %u:%g" /srv/empty /no/such/dir /no'
voltree ce
voltree cm
