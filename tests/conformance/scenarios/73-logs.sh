# §11: every container's output is logged, foreground ones too, and `logs`
# prints it as docker's: each entry to its stream, --tail (a value that is
# no number, or negative, is all), --since/--until, the texts of a bad
# time and a missing container. (-t's times differ by nature: tests/tests/logs.rs.)
run --name fg cbox:1 sh -c 'echo one; sleep 0.1; echo two >&2; sleep 0.1; echo three; sleep 0.1; printf partial'
rt logs fg
rt logs --tail 1 fg
rt logs -n 2 fg
rt logs --tail 0 fg
rt logs --tail x fg
rt logs --tail -3 fg
rt logs --since 1h fg
rt logs --since 2999-01-01 fg
rt logs --until 2000-01-01T00:00:00Z fg
rt logs fg --since 0
rt logs --since foo fg
rt logs --until 2020-13-01 fg
rt logs nosuch
rt @usage logs
rt @usage logs a b
rt @usage logs --bogus fg
