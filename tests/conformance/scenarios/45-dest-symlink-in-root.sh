# §7: a destination through a symlink is resolved INSIDE the rootfs:
# /srv/etclink -> /etc leads to the container's /etc, never the host's.
mkdir -p "$H/d"
echo in >"$H/d/f"
run --name c1 -v "$H/d:/srv/etclink/rvconf-x" cbox:1 sh -c 'cat /etc/rvconf-x/f; probe mounts'
host test -e /etc/rvconf-x
mounts c1
rmdir /etc/rvconf-x 2>/dev/null
