# §1: option classes: two of one class, propagation on a named volume,
# nocopy on a bind, an unknown option; exit 125.
run -v "$H/m:/b:ro,rw" cbox:1 true
run -v "$H/m:/b:z,Z" cbox:1 true
run -v "$H/m:/b:shared,slave" cbox:1 true
run -v "$H/m:/b:nocopy" cbox:1 true
run -v named:/b:rshared cbox:1 true
run -v named:/b:nocopy,nocopy cbox:1 true
run -v "$H/m:/b:cached,delegated" cbox:1 true
run -v named:/b:bogus cbox:1 true
rt volume ls
tree "$H"
