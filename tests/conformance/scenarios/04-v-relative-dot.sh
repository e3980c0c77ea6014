# §1: a SRC starting with "." is a path relative to the current dir, made
# absolute by the CLI (and created); a name like ".x" is no volume name.
mkdir -p sub
run --name c1 -v ./sub/rel:/r -v .dot:/dot cbox:1 sh -c 'echo r > /r/f; echo d > /dot/f'
mounts c1
tree "$H"
rt volume ls
