# §12: what an exec'd process gets in a running container: the container's
# env (plus -e, --env-file), user (or -u), working dir (or -w), its
# capability sets, a pid that is not 1, the command's own status, stdin
# only with -i, and its writes through a volume.
mkdir -p data
printf 'A=1\nFOO=f\n' > env.list
run @nostdout -d --name c1 -e FOO=bar -w /tmp -u 1000:1000 -v "$H/data:/data" cbox:1 sleep 1000
rt exec c1 sh -c 'env | grep -v ^HOSTNAME= | sort'
rt exec -e A=2 -e FOO=over --env-file env.list c1 sh -c 'env | grep -v ^HOSTNAME= | sort'
rt exec c1 id
rt exec -u 0 c1 id
rt exec c1 pwd
rt exec -w /etc c1 pwd
rt exec c1 sh -c 'test $$ != 1 && grep PPid /proc/self/status'
rt exec c1 sh -c 'grep ^Cap /proc/self/status; grep ^Cap /proc/1/status'
rt exec -u 0 c1 grep ^Cap /proc/self/status
rt exec c1 sh -c 'exit 3'
rt exec c1 sh -c 'kill -9 $$'
rt exec c1 cat
rt exec -u 0 c1 sh -c 'echo through-exec > /data/f'
tree data
rt exec -d -u 0 c1 sh -c 'echo detached > /data/d'
host sh -c 'for i in $(seq 100); do [ -s data/d ] && break; sleep 0.1; done; cat data/d'
rt rm -f c1
