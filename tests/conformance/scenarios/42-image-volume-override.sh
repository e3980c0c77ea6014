# §4/§5: user mounts take image VOLUME destinations: a named volume, a
# bind, a tmpfs; the remaining VOLUMEs stay anonymous.
mkdir -p "$H/log"
run --name c1 -v ov:/srv/seed --mount type=bind,src="$H/log",dst=/var/log/app cbox:1 true
run --name c2 -v ov:/srv/seed -v "$H/log:/var/log/app" cvol:1 probe mounts
mounts c2
run --name c3 --tmpfs /srv/empty --tmpfs /srv/seed cvol:1 probe mounts
mounts c3
inspect c3 '{{json .Config.Volumes}}'
