# §3/DESIGN: create makes the container and its volumes (with copy-up)
# without running it; start runs it, again and again, on the same volumes.
rt @nostdout create --name c1 -v /x -v cs:/srv/seed cbox:1 sh -c 'echo run >> /x/log; cat /x/log; ls /srv/seed | wc -l'
mounts c1
mnttree c1 /x
voltree cs
rt start -a c1
rt start -a c1
inspect c1 '{{.State.Status}} {{.State.ExitCode}}'
mnttree c1 /x
