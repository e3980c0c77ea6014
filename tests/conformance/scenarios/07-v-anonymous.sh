# §1/§3/§6: -v /dst alone is an anonymous volume: a 64-hex name, Mode "",
# listed in Config.Volumes and not in HostConfig.Binds.
run --name c1 -v /anon cbox:1 sh -c 'echo a > /anon/f; probe mounts'
mounts c1
inspect c1 '{{json .Config.Volumes}} {{json .HostConfig.Binds}}'
mnttree c1 /anon
rt volume ls
