# §8: exit statuses: the command's own, 126 (cannot run), 127 (not found),
# 128+N for a signal, 125 for the runtime's own failures. The text of the
# 126/127 errors names runc's internals, so only the status is compared.
run cbox:1 sh -c 'exit 3'
run cbox:1 false
run @anyerr cbox:1 /etc
run @anyerr cbox:1 nonexist
run @anyerr cbox:1 /srv/file
run cbox:1 sh -c 'sh -c "kill -9 \$\$"; exit $?'
run cbox:1 sh -c 'kill -TERM $$; echo pid1 ignores signals it has no handler for'
run @anyerr --name c1 nosuchimage:1 true
run --bogus-flag cbox:1 true
run --name c2 cbox:1 sh -c 'exit 7'
inspect c2 '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}'
