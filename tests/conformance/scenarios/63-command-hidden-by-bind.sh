# §8: a command hidden by a bind (`-v EMPTYDIR:/bin`) is not found at
# start: docker exits 127 and keeps the container, `created` (never
# started: no pid, zero times) with the exit code and an error; a later
# start fails the same way, and so does `run -d` (it prints the id, then
# the error). The error names runc's internals, so only its presence is
# compared.
mkdir -p "$H/empty"
run @anyerr --name c1 -v "$H/empty:/bin" cbox:1 sleep 1
inspect c1 '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}} {{.State.Pid}} {{.State.StartedAt}} {{.State.FinishedAt}} {{if .State.Error}}error{{end}}'
rt @table ps -a --format '{{.Names}} {{.Status}}'
rt @anyerr start c1
inspect c1 '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}} {{if .State.Error}}error{{end}}'
run @anyerr --name c2 -v "$H/empty:/bin" cbox:1 /bin/sleep 1
inspect c2 '{{.State.Status}} {{.State.ExitCode}}'
run @anyerr -d --name c3 -v "$H/empty:/bin" cbox:1 sleep 1
inspect c3 '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}'
