# §2: --mount type=tmpfs with tmpfs-size and tmpfs-mode; it is listed in
# Mounts (unlike --tmpfs) and not in HostConfig.Tmpfs.
run --name c1 \
  --mount type=tmpfs,dst=/t1 \
  --mount type=tmpfs,target=/t2,tmpfs-size=1m,tmpfs-mode=1770 \
  --mount type=tmpfs,dst=/t3,readonly \
  cbox:1 sh -c 'probe mounts; stat -c "%a %u:%g" /t1 /t2 /t3; probe write /t2/x /t3/x'
mounts c1
inspect c1 '{{json .HostConfig.Tmpfs}}'
