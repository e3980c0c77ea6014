# §7: --read-only: the rootfs is read-only after the mount points are made;
# volumes, binds and tmpfs keep their own modes; it cannot be undone.
mkdir -p "$H/b"
run --name c1 --read-only -v /w -v rov:/srv/seed -v "$H/b:/new/b" --tmpfs /t -v "$H/b:/r:ro" cbox:1 sh -c 'probe write /x /tmp/x /w/x /srv/seed/x /new/b/x /t/x /r/y; probe mounts; mount -o remount,rw /; echo remount=$?'
inspect c1 '{{.HostConfig.ReadonlyRootfs}}'
tree "$H/b"
