# §3: a volume that already holds something is left as it is: no copy-up,
# no change of its root's owner or mode.
run --name c1 -v cn:/data cbox:1 sh -c 'echo mine > /data/mine; chmod 0705 /data'
run --name c2 -v cn:/srv/seed cbox:1 sh -c 'ls -a /srv/seed; stat -c "%a %u:%g" /srv/seed'
voltree cn
