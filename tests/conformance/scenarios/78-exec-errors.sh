# §12: exec's failures: a container unknown, created or stopped (1); a
# missing working dir is not made; -d still reports a failed start (1); an
# env file that cannot be read; usage. (The 126 failures: 79.)
run @nostdout -d --name c1 cbox:1 sleep 1000
rt exec nosuch true
rt @nostdout create --name c2 cbox:1 true
rt exec c2 true
rt start -a c2
rt exec c2 true
rt exec c1 test ! -e /nonexistent
rt exec -d c1 nosuchcmd
rt exec --env-file /nonexistent-env c1 true
rt @usage exec c1
rt @usage exec --bogus c1 true
rt rm -f c1 c2
