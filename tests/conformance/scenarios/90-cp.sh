# cp (issue 16, docs/docker-behaviour.md §15): into and out of a created
# container's layer, an anonymous volume and a bind, with docker's path
# rules (a directory into an existing one, `DIR/.`, a new name), its
# owners (the archive's kept), and the daemon's error texts.
mkdir -p src/d out bind
echo one > src/one
echo x > src/d/x
chown 1234:4321 src/one
run @nostdout --name c0 cbox:1 true
rt @nostdout create --name c1 -v /vol -v "$PWD/bind:/bind" cbox:1 true
rt cp src/one c1:/srv/
rt cp src/d c1:/vol/newd
rt cp src/d/. c1:/bind/
rt cp src/d c1:/srv
rt cp c1:/srv/one out/one-back
rt cp c1:/vol out/vol
rt cp c1:/srv/d/. out/dcontent
rt cp c1:/no/such out/x
rt cp src/one c1:/no/such/x
rt cp src/one nosuch:/x
tree out
tree bind
rt rm -v c0 c1
