# §1/§7: binding a host FILE: over a file in the image (it shows the host's
# content) and onto a missing path (an empty file is made to mount on).
echo hostfile >"$H/f"
echo motd >"$H/motd"
run --name c1 -v "$H/f:/srv/file" -v "$H/motd:/etc/new/motd:ro" cbox:1 sh -c 'cat /srv/file /etc/new/motd; probe tree /etc/new; probe mounts; echo x >> /srv/file'
mounts c1
tree "$H"
