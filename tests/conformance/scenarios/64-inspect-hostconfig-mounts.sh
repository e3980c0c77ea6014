# §6: docker's HostConfig records of the mount flags: Binds (each -v with
# a source, as the CLI passes it; null when none), Mounts (each --mount as
# the CLI parsed it: Type, Source, Target, ReadOnly, Consistency and the
# Bind/Volume/TmpfsOptions, zero values left out) and Tmpfs (--tmpfs).
# Mounts and Tmpfs are left out of inspect's JSON when empty; a template
# reads them as nil.
mkdir -p "$H/b" "$H/sub"
# The keys of HostConfig that inspect's JSON has, and Binds (sorted:
# docker's CLI collects the -v flags in a Go map, so their order varies
# from one run to the next).
keys() {
    printf '$ keys %s\n' "$1" >&3
    runtime inspect "$1" | jq -c '.[0].HostConfig | [has("Binds"), has("Mounts"), has("Tmpfs"), (.Binds | if . == null then null else sort end)]' >&3
}
F='{{json .HostConfig.Binds}} {{json .HostConfig.Mounts}} {{json .HostConfig.Tmpfs}}'
rt create --name c0 cbox:1 true
inspect c0 "$F"
inspect c0 '{{.HostConfig.Binds}} {{.HostConfig.Mounts}} {{.HostConfig.Tmpfs}} {{len .HostConfig.Mounts}}'
keys c0
rt create --name c1 -v "$H/b:/b:ro" -v nm1:/nm -v /anon cbox:1 true
# Two binds: their order is the Go map's (keys, sorted, shows them).
inspect c1 '{{json .HostConfig.Mounts}} {{json .HostConfig.Tmpfs}}'
keys c1
rt create --name c2 \
  --mount type=bind,src="$H/b",dst=/b \
  --mount type=BIND,source=./sub,target=/s//x/,readonly,consistency=CACHED,bind-propagation=RSLAVE \
  --mount type=volume,src=nm2,dst=/v,volume-nocopy \
  --mount type=volume,source=nm3,dst=/w,volume-label=z=1,volume-label=a=2,volume-label=a=3,volume-label=k,volume-driver=local,ro=true \
  --mount type=volume,dst=/anon,volume-nocopy=false \
  --mount dst=/plain \
  --mount type=tmpfs,dst=/t1,tmpfs-size=1m,tmpfs-mode=1770 \
  --mount type=tmpfs,dst=/t2,tmpfs-size=0,tmpfs-mode=0,readonly \
  --mount type=tmpfs,dst=/t3 \
  cbox:1 true
inspect c2 "$F"
inspect c2 '{{range .HostConfig.Mounts}}{{.Type}} [{{.Source}}] {{.Target}} {{.ReadOnly}} [{{.Consistency}}]; {{end}}'
keys c2
rt create --name c3 --tmpfs /t --tmpfs /u/:size=1m,exec -v "$H/b:/b" --mount type=tmpfs,dst=/m cbox:1 true
inspect c3 "$F"
keys c3
mounts c3
