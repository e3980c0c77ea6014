# §4: precedence: a -v at a destination C also has replaces C's mount; an
# image VOLUME only fills destinations still free; --tmpfs beats a VOLUME.
mkdir -p "$H/b"
run --name c1 -v va:/data -v vb:/opt/xxx cbox:1 true
run --name c2 --volumes-from c1 -v "$H/b:/data" vol:v1 probe mounts
mounts c2
run --name c3 --volumes-from c1 vol:v1 probe mounts
mounts c3
run --name c4 --tmpfs /opt/xxx vol:v1 probe mounts
mounts c4
