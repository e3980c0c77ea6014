# §7: mounts go in by depth, so /n/inner lands on /n whatever the order on
# the command line; the inner mount point is made inside the outer source.
mkdir -p "$H/outer" "$H/inner"
echo o >"$H/outer/o"
echo i >"$H/inner/i"
run --name c1 -v "$H/inner:/n/inner" --tmpfs /n/inner/t -v nn:/n/inner/t/v -v "$H/outer:/n" cbox:1 sh -c 'probe mounts; ls /n /n/inner; echo t > /n/inner/t/v/f'
mounts c1
tree "$H"
voltree nn
