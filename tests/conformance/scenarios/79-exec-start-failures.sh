# §12: a start that fails in the container is 126 with runc's text: a
# command not found or not runnable, a missing or relative working dir, an
# unknown user.
# differs: docker prints these on stdout with a CRLF (the daemon's text down the exec's stream), rvol the same text on stderr
run @nostdout -d --name c1 cbox:1 sleep 1000
rt exec c1 nosuchcmd
rt exec c1 /etc
rt exec -w /nonexistent c1 pwd
rt exec -w relative c1 pwd
rt exec -u nosuchuser c1 true
rt rm -f c1
