# §5: image VOLUMEs over dirs with content, over an empty dir and over a
# missing path: copy-up for each, ownership from the image.
run --name c1 cvol:1 sh -c 'probe mounts; stat -c "%a %u:%g" /srv/seed /srv/empty /var/log/app'
mounts c1
mnttree c1 /srv/seed
mnttree c1 /srv/empty
mnttree c1 /var/log/app
