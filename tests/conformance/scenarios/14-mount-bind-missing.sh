# §2: --mount type=bind does NOT create a missing source (unlike -v): an
# error naming the path, exit 125, nothing made.
run --mount type=bind,src="$H/nonexist",dst=/x cbox:1 true
run --mount type=bind,src=relative,dst=/x cbox:1 true
tree "$H"
rt @table ps -a
