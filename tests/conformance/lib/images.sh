# The suite's images, made without a registry, in the docker daemon at
# $DOCKER_HOST, then `docker save`d to DIR/save/<name>.tar for `rvol load -i`:
#
#   cbox:1   busybox-static rootfs + /bin/probe + fixtures under /srv
#            (docker import, with ENV PATH and CMD sh)
#   vol:v1   the seed's image: FROM cbox:1, VOLUME /opt/xxx, CMD /bin/sh
#   cvol:1   VOLUMEs over the fixture dirs (copy-up from an image VOLUME)
#   cfile:1  a VOLUME over a file in the image (an error at run)
#   cenv:1   ENV, WORKDIR (missing in the image), USER
#
# Fixtures in cbox:1, every mtime 2020-01-02 03:04:05 UTC:
#   /srv/seed/         0750 999:999, xattr user.rvconf=dir
#     a                "alpha" 0640 1000:100, xattr user.rvconf=file
#     hard1 hard2      one inode, 0644
#     rel -> a, abs -> /etc/passwd, dangling -> /nonexistent
#     sub/             0700 1000:1000, sub/deep 0600 1000:1000
#     empty/           0755
#     suid             4755
#     fifo             a named pipe, 0644
#   /srv/empty/        0711 1000:1000, empty
#   /srv/file          a regular file
#   /srv/etclink -> /etc, /srv/dirlink -> seed

here_images=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

make_rootfs() {
    local r=$1 a
    mkdir -p "$r/bin"
    cp "$busybox" "$r/bin/busybox"
    for a in $("$r/bin/busybox" --list); do
        [ "$a" = busybox ] || ln -s busybox "$r/bin/$a"
    done
    install -m 0755 "$here_images/image/probe" "$r/bin/probe"
    mkdir -p "$r"/{etc,root,proc,sys,dev,home/user,usr/bin,var}
    install -d -m 1777 "$r/tmp"
    printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'user:x:1000:1000:user:/home/user:/bin/sh' \
        'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$r/etc/passwd"
    printf '%s\n' 'root:x:0:' 'users:x:100:user' 'user:x:1000:' 'nogroup:x:65534:' >"$r/etc/group"

    local s=$r/srv/seed
    mkdir -p "$s/sub" "$s/empty" "$r/srv/empty"
    echo alpha >"$s/a" && chown 1000:100 "$s/a" && chmod 0640 "$s/a"
    echo hard >"$s/hard1" && ln "$s/hard1" "$s/hard2" && chmod 0644 "$s/hard1"
    ln -s a "$s/rel"
    ln -s /etc/passwd "$s/abs"
    ln -s /nonexistent "$s/dangling"
    echo deep >"$s/sub/deep" && chmod 0600 "$s/sub/deep"
    chown -R 1000:1000 "$s/sub" && chmod 0700 "$s/sub"
    echo suid >"$s/suid" && chmod 4755 "$s/suid"
    mkfifo -m 0644 "$s/fifo"
    setfattr -n user.rvconf -v file "$s/a" && setfattr -n user.rvconf -v dir "$s"
    chown 999:999 "$s" && chmod 0750 "$s"
    chown 1000:1000 "$r/srv/empty" && chmod 0711 "$r/srv/empty"
    echo file >"$r/srv/file"
    ln -s /etc "$r/srv/etclink"
    ln -s seed "$r/srv/dirlink"
    find "$r/srv" -exec touch -h -d '2020-01-02 03:04:05 UTC' {} +
}

dockerfile() {
    local d=$1 tag=$2
    shift 2
    mkdir -p "$d/$tag"
    printf '%s\n' "$@" >"$d/$tag/Dockerfile"
    docker build -q -t "$tag" "$d/$tag" >"$d/$tag/build.log" 2>&1 || { cat "$d/$tag/build.log" >&2; return 1; }
}

# edit_config DIR FROM TO JQ: a copy of image FROM whose config is passed
# through JQ, loaded into docker as TO.
edit_config() {
    local d=$1 from=$2 to=$3 filter=$4 x=$1/edit-${3%%:*}
    mkdir -p "$x"
    docker save "$from" | tar -C "$x" -xf - || return 1
    local old new
    old=$(jq -r '.[0].Config' "$x/manifest.json")
    jq -c "$filter" "$x/$old" >"$x/config.new" || return 1
    new=$(sha256sum "$x/config.new" | cut -d' ' -f1).json
    mv "$x/config.new" "$x/$new" && rm "$x/$old"
    jq -c --arg c "$new" --arg t "$to" '.[0].Config = $c | .[0].RepoTags = [$t]' \
        "$x/manifest.json" >"$x/m.new" && mv "$x/m.new" "$x/manifest.json"
    rm -f "$x/repositories"
    tar -C "$x" -cf - . | docker load -q >/dev/null
}

build_images() {
    local d=$1
    mkdir -p "$d/rootfs"
    make_rootfs "$d/rootfs" || return 1
    tar --numeric-owner --xattrs --xattrs-include='*' --sort=name -C "$d/rootfs" -cf "$d/rootfs.tar" . || return 1
    docker import \
        -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        -c 'CMD ["sh"]' "$d/rootfs.tar" cbox:1 >/dev/null || return 1
    dockerfile "$d" vol:v1 'FROM cbox:1' 'VOLUME /opt/xxx' 'CMD /bin/sh' || return 1
    dockerfile "$d" cvol:1 'FROM cbox:1' 'VOLUME ["/srv/seed", "/srv/empty", "/var/log/app"]' || return 1
    # docker build refuses a VOLUME over a file, so cfile:1 is cbox:1 with
    # the Volumes entry written into the image config by hand
    edit_config "$d" cbox:1 cfile:1 '.config.Volumes = {"/srv/file": {}}' || return 1
    dockerfile "$d" cenv:1 'FROM cbox:1' 'ENV FOO=bar GREETING="hello world"' \
        'WORKDIR /work/dir' 'USER 1000:100' || return 1
    local img
    mkdir -p "$d/save"
    for img in cbox:1 vol:v1 cvol:1 cfile:1 cenv:1; do
        docker save -o "$d/save/${img%%:*}.tar" "$img" || return 1
    done
}
