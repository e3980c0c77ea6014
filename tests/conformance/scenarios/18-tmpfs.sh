# §2: --tmpfs DST[:OPTS]: rw,nosuid,nodev,noexec plus the options, later
# options win (exec beats noexec), no size unless given; HostConfig.Tmpfs
# holds them; not in Mounts.
run --name c1 --tmpfs /t --tmpfs /u:size=64k,mode=700 --tmpfs /e:exec \
  --tmpfs /r:ro,uid=1000,gid=100,nr_inodes=100 --tmpfs /s:rw,suid,dev \
  --tmpfs /b:nr_blocks=16,mpol=default --tmpfs /l:size=1m,size=2m \
  cbox:1 sh -c 'probe mounts; stat -c "%a %u:%g" /t /u /r; probe write /r/x /t/x'
mounts c1
inspect c1 '{{json .HostConfig.Tmpfs}}'
