# §1: volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]*; a one-letter name, dots,
# dashes and underscores; invalid characters are refused.
run --name c1 -v a1.b_c-d:/x -v Z9:/y cbox:1 probe mounts
mounts c1
run -v -bad:/x cbox:1 true
run -v 'sp ace:/x' cbox:1 true
run -v 'a/b:/x' cbox:1 true
rt volume ls
