# §1/§6: each -v option and how it shows: rw, ro, z, Z, private on
# binds, consistent|cached|delegated (accepted, no effect), nocopy on a named
# volume, combinations; Mode is the option string as given.
mkdir -p "$H/a" "$H/b" "$H/c" "$H/e" "$H/f"
run --name c1 \
  -v "$H/a:/a:rw" -v "$H/b:/b:ro,z" -v "$H/c:/c:Z" \
  -v "$H/e:/e:private,ro" -v "$H/f:/f:cached" -v nv:/nv:nocopy -v nw:/nw:ro,delegated \
  cbox:1 probe mounts
mounts c1
