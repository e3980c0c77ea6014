# §5 and the seed walkthrough: vol:v1 (VOLUME /opt/xxx): every run makes an
# anonymous 64-hex volume at /opt/xxx; rm keeps it, rm -v drops it.
run --name myvol vol:v1 ls /opt/
mounts myvol
inspect myvol '{{json .Config.Volumes}} {{json .Config.Cmd}}'
run --name myvol2 vol:v1 sh -c 'echo data > /opt/xxx/f'
mounts myvol2
rt @sort volume ls
rt rm myvol
rt rm -v myvol2
rt @sort volume ls
