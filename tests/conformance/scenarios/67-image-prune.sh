# image prune (issue 14): declined at the prompt (stdin is empty); a
# dangling image goes (its layer stays: a tagged image has it too), then
# with -a the tagged one and its layer; an image a container uses stays;
# filters docker refuses. Every prune is filtered to this scenario's label:
# the reference daemon keeps the suite's images.
run --name p1 cbox:1 sh -c 'echo x > /f'
rt @nostdout commit -c 'LABEL conf67=1' p1
rt @nostdout commit -c 'LABEL conf67=1' p1 pr:1
rt @nostdout commit -c 'LABEL conf67=1' p1 pr:kept
rt @nostdout create --name p2 pr:kept true
rt image prune --filter label=conf67=1
rt image prune -a --filter label=conf67=1
rt image prune -f --filter label=conf67=1
rt image prune -f --filter label=conf67=1
rt image prune -a -f --filter label=conf67=1
rt image prune -f --filter foo=bar
rt image prune -f --filter until=xx
rt @usage image prune -f --filter label
rt rm p1 p2
rt rmi pr:kept
