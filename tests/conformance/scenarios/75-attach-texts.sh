# §11: attach's texts: a stopped and a missing container, its operand
# count; `run -it` with a stdin that is no terminal is refused before a
# container is made (`ps -a` shows none more).
run --name stopped cbox:1 true
rt attach stopped
rt attach nosuch
rt @usage attach
rt @usage attach a b
run -it --rm cbox:1 true
rt @table ps -a --format '{{.Names}}'
