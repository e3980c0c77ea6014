# §12: exec's failures: a container unknown, created or stopped (1); a
# command that cannot start, a missing or relative working dir, an unknown
# user (126; docker prints these on stdout with a CRLF, rvol on stderr, so
# only the status is compared); -d still reports a failed start (1); usage.
run @nostdout -d --name c1 cbox:1 sleep 1000
rt exec nosuch true
rt @nostdout create --name c2 cbox:1 true
rt exec c2 true
rt start -a c2
rt exec c2 true
rt @nostdout @anyerr exec c1 nosuchcmd
rt @nostdout @anyerr exec c1 /etc
rt @nostdout @anyerr exec -w /nonexistent c1 pwd
rt @nostdout @anyerr exec -w relative c1 pwd
rt @nostdout @anyerr exec -u nosuchuser c1 true
rt exec c1 test ! -e /nonexistent
rt exec -d c1 nosuchcmd
rt exec --env-file /nonexistent-env c1 true
rt @usage exec c1
rt @usage exec --bogus c1 true
rt rm -f c1 c2
