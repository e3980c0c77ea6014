# §1/§6/§7: -v /host:/dst on an existing host dir: the container sees the
# host's files with their owners, writes land on the host, Mode "" and
# Propagation rprivate in inspect, a recursive rw bind inside.
mkdir -p "$H/d/sub"
echo host >"$H/d/h.txt"
chown 1000:100 "$H/d/h.txt"
chmod 0600 "$H/d/h.txt"
run --name c1 -v "$H/d:/mnt/d" cbox:1 sh -c 'probe tree /mnt/d; echo ctr > /mnt/d/sub/c.txt; probe mounts'
mounts c1
tree "$H/d"
