# The seed walkthrough: -v with missing multi-level dirs on both sides, a
# change on either side seen on the other at once (a detached container,
# then wait and logs), and --volumes-from from the running one.
run @nostdout -d --name web -v "$H/host/dir:/ctr/dir" cbox:1 sh -c 'while [ ! -e /ctr/dir/go ]; do sleep 0.1; done; cat /ctr/dir/go; echo back > /ctr/dir/back'
echo hello-from-host >"$H/host/dir/go"
rt wait web
rt logs web
run --name reader --volumes-from web cbox:1 cat /ctr/dir/back
tree "$H/host"
