# §3/§7: a volume whose destination is a symlink in the image: the link is
# followed inside the rootfs (/srv/dirlink -> seed), copy-up comes from the
# directory it names, and the mount lands there.
run --name c1 -v cs:/srv/dirlink cbox:1 sh -c 'probe mounts; ls /srv/seed'
mounts c1
voltree cs
