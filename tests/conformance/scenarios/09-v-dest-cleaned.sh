# §1: the destination is cleaned (trailing "/" and "//" dropped), the source
# path too.
mkdir -p "$H/a"
run --name c1 -v "$H/a/:/data//x/" -v named1:/n/ cbox:1 probe mounts
mounts c1
