# §6: ps -a's table for created, exited and failed containers.
run --name c1 cbox:1 true
run --name c2 cbox:1 sh -c 'exit 3'
rt create --name c3 -v /x cbox:1 echo hi
rt @table ps -a
rt @table ps
