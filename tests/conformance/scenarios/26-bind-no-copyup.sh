# §3: a bind mount over an image directory hides it and copies nothing;
# neither does a tmpfs.
mkdir -p "$H/empty"
run --name c1 -v "$H/empty:/srv/seed" --tmpfs /srv/empty cbox:1 sh -c 'ls -a /srv/seed /srv/empty'
tree "$H/empty"
