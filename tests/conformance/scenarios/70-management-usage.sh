# The management commands' own texts, compared whole: an unknown
# subcommand or a flag given to the group, and each short form's usage
# errors through its management form (`rvol container rm` names itself in
# its usage line and hint, as docker's CLI does).
rt @usage container bogus
rt @usage image bogus
rt @usage system bogus
rt @usage container --bogus
rt @usage image -x
rt @usage container ls --bogus
rt @usage container list -Z
rt @usage container rm
rt @usage container start
rt @usage container logs a b
rt @usage container commit
rt @usage container stop -t abc x
rt @usage container run --bogus-flag cbox:1 true
rt @usage container run --rm=bogus cbox:1 true
rt @usage container create --bogus-flag cbox:1
rt @usage container inspect
rt @usage image inspect
rt @usage image ls --bogus
rt @usage image save
rt @usage container prune --bogus
rt @usage container prune x
rt @usage container prune --filter bad
rt @usage system prune --bogus
rt @usage system prune x
rt @usage system prune --filter bad
run --name kept cbox:1 true
rt @table container ls -a --format '{{.Names}} {{.Status}}'
rt container inspect -f '{{.Name}} {{.State.Status}}' kept
rt container rm kept
rt @table container ls -a --format '{{.Names}}'
rt @usage info x
rt @usage version x
rt @usage info --bogus
rt @usage system info x
rt @usage version --format '{{.Client.Version'
rt @usage info --format '{{.x'
