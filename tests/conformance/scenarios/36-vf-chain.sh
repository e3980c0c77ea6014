# §4: chains: c3 takes from c2, which took from c1 and added its own; from
# two containers at once; the inherited anonymous volume is the same one.
run --name c1 -v /one cbox:1 sh -c 'echo 1 > /one/f'
run --name c2 --volumes-from c1 -v /two cbox:1 sh -c 'echo 2 > /two/f'
run --name c4 -v four:/four cbox:1 true
run --name c3 --volumes-from c2 --volumes-from c4:ro cbox:1 sh -c 'cat /one/f /two/f; probe mounts'
mounts c1 c2 c3
