# §2/§3/§6: --mount type=volume (also the default type): named, anonymous
# (no source), readonly, volume-nocopy; Mode "z" for named ones.
run --name c1 \
  --mount type=volume,source=mv1,target=/srv/seed \
  --mount src=mv2,dst=/srv/empty,volume-nocopy \
  --mount type=volume,dst=/anon \
  --mount source=mv3,destination=/ro,readonly \
  --mount type=volume,src=mv4,dst=/var,ro=false,volume-nocopy=true \
  cbox:1 sh -c 'probe mounts; probe write /ro/x /anon/x'
mounts c1
voltree mv1
voltree mv2
voltree mv4
