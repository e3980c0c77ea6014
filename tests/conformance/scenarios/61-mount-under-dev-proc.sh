# §7/§9: user mounts below /dev stay visible over the runtime's own /dev;
# below /proc runc refuses them (the text is runc's).
mkdir -p "$H/d"
echo d >"$H/d/f"
run --name c1 -v "$H/d:/dev/mine" --tmpfs /dev/tmp2:size=16k cbox:1 sh -c 'cat /dev/mine/f; grep -E " /dev/(mine|tmp2) " /proc/self/mountinfo | cut -d" " -f5,6,9'
mounts c1
run @anyerr --name c2 -v "$H/d:/proc/mine" cbox:1 true
