# §3: volume create [NAME] (idempotent; without a name a 64-hex one), ls
# (docker's table), inspect (docker's JSON), inspect --format.
rt volume create vc1
rt volume create vc1
rt volume create
rt volume create --label team=a vc2
rt volume ls
rt volume inspect vc1
rt volume inspect vc2 --format '{{.Name}} {{.Driver}} {{.Mountpoint}} {{json .Labels}}'
rt volume inspect nosuch
rt volume create bad@name
rt volume ls -q
rt volume inspect --format '{{.Name}}' vc1 vc2
rt volume rm vc1 vc2
rt volume ls -q
