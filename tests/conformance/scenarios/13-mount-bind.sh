# §2/§6: --mount type=bind with every key and alias: source|src,
# target|dst|destination, readonly|ro[=true|false], bind-propagation (rslave: see 08b); Mode
# is "" whatever was given.
mkdir -p "$H/a" "$H/b" "$H/c" "$H/d" "$H/e"
echo f >"$H/file"
run --name c1 \
  --mount type=bind,source="$H/a",target=/a \
  --mount type=bind,src="$H/b",dst=/b,readonly \
  --mount type=bind,src="$H/c",destination=/c,ro=true \
  --mount type=bind,src="$H/d",dst=/d,readonly=false,bind-propagation=rprivate \
  --mount type=bind,src="$H/e",dst=/e,ro=0 \
  --mount type=bind,src="$H/file",dst=/etc/file,ro \
  cbox:1 sh -c 'probe mounts; probe write /a/x /b/x /c/x /d/x /e/x'
mounts c1
tree "$H"
