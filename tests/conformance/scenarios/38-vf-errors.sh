# §4: --volumes-from errors: an unknown container, a bad mode; exit 125.
run --name c1 -v /x cbox:1 true
run --volumes-from nosuch cbox:1 true
run --volumes-from c1:xx cbox:1 true
run --volumes-from c1:ro:rw cbox:1 true
rt @table ps -a
