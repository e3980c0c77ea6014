# §14: volume ls --filter: label=K, label=K=V (every label filter must hold),
# name= (substring, alternatives), dangling=, driver= (exact), and the
# daemon's texts for a bad key or value.
rt volume create --label x=1 va
rt volume create --label x=2 --label y vb
rt volume create vc
rt @nostdout create --name c1 -v vu:/d cbox:1 true
rt volume ls -q --filter label=x
rt volume ls -q --filter label=x=1
rt volume ls -q --filter label=x=1 --filter label=x=2
rt volume ls -q --filter label=x=2 --filter label=y
rt volume ls -q --filter label=x=
rt volume ls -q --filter name=va --filter name=vb
rt volume ls -q --filter name=v --filter label=y
rt volume ls -q --filter dangling=true
rt volume ls -q --filter dangling=0
rt volume ls -q --filter driver=local --filter name=c
rt volume ls -q --filter driver=loc
rt volume ls --filter bogus=1
rt volume ls --filter dangling=maybe
rt volume ls --filter label!=x
rt volume ls --filter label=y --format '{{.Name}} {{.Labels}}'
rt rm c1
