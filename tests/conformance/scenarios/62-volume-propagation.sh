# §7: what the propagation of a volume means: a mount made on the host
# inside a volume's directory while a container runs reaches the container
# (docker: volumes are slaves of its shared data root), a bind's does not
# (rprivate).
mkdir -p "$H/b/sub"
run @nostdout -d --name w1 -v pv:/data -v "$H/b:/b" cbox:1 sh -c 'while [ ! -e /data/stop ]; do sleep 0.1; done; ls /data/sub /b/sub'
mp=$(runtime volume inspect pv 2>/dev/null | jq -r '.[0].Mountpoint')
[ -d "$mp" ] || exit 0
mkdir -p "$mp/sub"
mount -t tmpfs -o size=64k rvconf "$mp/sub" && echo seen >"$mp/sub/seen-in-volume"
mount -t tmpfs -o size=64k rvconf "$H/b/sub" && echo seen >"$H/b/sub/seen-in-bind"
touch "$mp/stop"
rt wait w1
rt logs w1
umount "$mp/sub" "$H/b/sub"
