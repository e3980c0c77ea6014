# §3: two containers on one named volume see each other's writes; the
# volume's content stays on the host after both are gone.
run --name c1 -v shared:/a cbox:1 sh -c 'echo from-c1 > /a/one'
run --name c2 -v shared:/b cbox:1 sh -c 'cat /b/one; echo from-c2 > /b/two'
run --name c3 -v shared:/c:ro cbox:1 cat /c/two
rt rm c1 c2 c3
voltree shared
