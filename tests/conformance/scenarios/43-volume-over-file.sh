# §5: a VOLUME (image, or -v /p) over a FILE in the image fails at create
# with docker's text, exit 125; a named volume over it too.
run cfile:1 true
run -v /srv/file cbox:1 true
run -v vf:/srv/file cbox:1 true
rt @table ps -a
