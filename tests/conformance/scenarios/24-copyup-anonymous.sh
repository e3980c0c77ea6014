# §3: an anonymous volume (-v /path) over an image dir is copied up too.
run --name c1 -v /srv/seed cbox:1 sh -c 'cat /srv/seed/a; stat -c "%a %u:%g" /srv/seed'
mounts c1
mnttree c1 /srv/seed
