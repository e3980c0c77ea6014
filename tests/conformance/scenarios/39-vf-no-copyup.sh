# §4: no copy-up through --volumes-from: C's empty volume stays empty when
# mounted over an image dir with content in the taker.
run --name c1 -v vfe:/srv/seed:nocopy cbox:1 true
run --name c2 --volumes-from c1 cbox:1 ls -a /srv/seed
voltree vfe
