# §14: a local-driver mount that fails at start: docker's text and the
# status its CLI gives it, the container left `created` with ExitCode 128
# and the Error; nfs fails here with ENODEV (this kernel has no nfs).
rt volume create -o type=ext4 -o device=/dev/rvol-nonexistent e1
rt volume create -o type=tmpfs -o device=tmpfs -o o=size=1m,bogus e2
rt volume create -o type=none -o device=/rvol-nonexistent -o o=bind e3
rt volume create -o type=nfs -o device=:/export -o o=addr=127.0.0.1,rw e4
run --rm -v e1:/d cbox:1 true
run --rm -v e2:/d cbox:1 true
run --rm -v e3:/d cbox:1 true
run --rm -v e4:/d cbox:1 true
rt @nostdout create --name cb -v e1:/d cbox:1 true
rt start cb
inspect cb '{{.State.Status}} {{.State.ExitCode}} {{.State.Error}}'
rt ps -a --format '{{.Names}}'
rt rm cb
run -d --name rd -v e3:/d cbox:1 true
rt rm rd
