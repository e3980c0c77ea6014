# §7: mounting a directory over a file in the image fails at start (the
# container stays Created); a file over a missing path makes an empty file.
mkdir -p "$H/dir"
echo f >"$H/file"
run @anyerr --name c1 -v "$H/dir:/srv/file" cbox:1 true
rt @table ps -a
run --name c2 -v "$H/file:/srv/seed/sub/new" cbox:1 sh -c 'cat /srv/seed/sub/new; stat -c "%F" /srv/seed/sub/new'
run @anyerr --name c3 -v "$H/file:/srv/seed" cbox:1 true
