# §1/§7 and the seed's read-only walkthrough: -v /host:/dst:ro: the container
# cannot write (ro mount, no CAP_SYS_ADMIN to remount), the host still can,
# and the container sees the host's change.
mkdir -p "$H/d"
echo one >"$H/d/f"
run --name c1 -v "$H/d:/d:ro" cbox:1 sh -c 'probe write /d/f /d/new; cat /d/f; probe mounts; mount -o remount,rw /d; echo remount=$?'
echo two >"$H/d/f"
run --name c2 -v "$H/d:/d:ro" cbox:1 cat /d/f
mounts c1
tree "$H/d"
