# §6: the docker-level record of a container's mounts: HostConfig.Binds
# (raw -v strings with a source), Config.Volumes (-v /p and image VOLUMEs),
# HostConfig.VolumesFrom, Tmpfs, ReadonlyRootfs, AutoRemove.
mkdir -p "$H/b"
run --name c0 -v /base cbox:1 true
rt create --name c1 -v "$H/b:/b:ro" -v nm:/nm -v /anon --volumes-from c0:ro --tmpfs /t:size=1m --read-only vol:v1 true
inspect @jqsort c1 '{{json .HostConfig.Binds}}'
inspect c1 '{{json .Config.Volumes}}'
inspect c1 '{{json .HostConfig.VolumesFrom}} {{json .HostConfig.Tmpfs}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.AutoRemove}}'
inspect c1 '{{.State.Status}}'
mounts c1
