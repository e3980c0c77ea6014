# The CLI's own texts, compared whole (usage line and help hint included):
# a wrong flag, a flag without its value, a bad flag value, and each form of
# a wrong operand count (at least N: "See ..."; exactly N, at least N and at
# most M: "Run ..."; at most N: "SRun ..." as the reference prints it).
rt @usage run --bogus-flag cbox:1 true
rt @usage run --name
rt @usage run -Z cbox:1 true
rt @usage run
rt @usage create --bogus-flag cbox:1
rt @usage start
rt @usage logs
rt @usage logs a b
rt @usage commit
rt @usage commit a b c
rt @usage volume create a b
rt @usage volume rm
rt @usage save
rt @usage save --bogus-flag x
rt @usage stop -t abc x
rt @usage ps --bogus-flag
# boolean flags take =VALUE as pflag's ParseBool reads it
rt @usage run --rm=bogus cbox:1 true
rt @usage run --detach=maybe cbox:1 true
run --rm=true --read-only=1 --tty=false cbox:1 sh -c 'touch /x 2>&1; echo $?'
run --name kept --rm=false cbox:1 true
rt @table ps -a --format '{{.Names}} {{.Status}}'
# too many operands: "accepts no arguments", "requires at most 1" (status 1)
rt @usage ps x
rt @usage images a b
rt @usage volume ls x
rt @usage volume prune x
rt @usage load x
