# §1/§7: a host source that is a symlink: the mount follows it (on the
# host), inspect keeps the path as given.
mkdir -p "$H/real"
echo r >"$H/real/f"
ln -s real "$H/link"
run --name c1 -v "$H/link:/l" cbox:1 sh -c 'cat /l/f; probe mounts'
mounts c1
