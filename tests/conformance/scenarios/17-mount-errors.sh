# §2: --mount errors: unknown key, a key without "=", no target, an unknown
# type, options of one type given to another, a source on a tmpfs; exit
# 125, and no volume made (the duplicate case is 17b).
mkdir -p "$H/a"
run --mount type=bind,src="$H/a",dst=/x,foo=bar cbox:1 true
run --mount type=bind,src="$H/a",dst=/x,bogus cbox:1 true
run --mount type=bind,src="$H/a" cbox:1 true
run --mount type=nope,dst=/x cbox:1 true
run --mount type=volume,src=v1,dst=/x,bind-propagation=rshared cbox:1 true
run --mount type=bind,src="$H/a",dst=/x,volume-nocopy cbox:1 true
run --mount type=bind,src="$H/a",dst=/x,tmpfs-size=1m cbox:1 true
run --mount type=tmpfs,src=foo,dst=/x cbox:1 true
run --mount type=volume,src=v1,dst=rel cbox:1 true
rt volume ls
