# §3: copy-up into an EMPTY named volume mounted over an image directory:
# content with owners, modes, times, hardlinks, symlinks (kept as links,
# also absolute and dangling ones), a fifo, setuid; the volume root takes
# the image dir's mode and owner (0750 999:999).
run --name c1 -v cv:/srv/seed cbox:1 sh -c 'probe tree /srv/seed; probe mounts'
voltree cv
