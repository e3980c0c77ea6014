# §3: removing a container keeps its volumes; rm -v removes its anonymous
# volumes only, never named ones, and leaves binds alone.
mkdir -p "$H/b"
run --name c1 -v keep1:/k -v /anon1 -v "$H/b:/b" cbox:1 sh -c 'echo x > /k/f; echo y > /anon1/f; echo z > /b/f'
run --name c2 -v keep2:/k -v /anon2 cbox:1 true
mounts c1 c2
rt @sort volume ls
rt rm c1
rt @sort volume ls
rt rm -v c2
rt @sort volume ls
rt @table ps -a
tree "$H/b"
voltree keep1
