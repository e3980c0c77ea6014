# §1: every -v error text of docs/docker-behaviour.md, exit 125, and nothing left behind
# (no container, no volume, no host dir).
run -v /a:/b:ro:x cbox:1 true
run -v /x:ro cbox:1 true
run -v "$H/m:/b:foo" cbox:1 true
run -v "$H/m:rel" cbox:1 true
run -v "$H/m:/" cbox:1 true
run -v "$H/m:/x" -v "$H/n:/x" cbox:1 true
run -v bad@name:/x cbox:1 true
rt @table ps -a
rt volume ls
tree "$H"
