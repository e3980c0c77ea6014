# §14: volume create's local-driver options: docker's refusals, Options and
# Labels in inspect, a tmpfs volume's owner, mode and size inside, nothing
# mounted while unused and an empty tmpfs for the next user.
rt volume create -o bogus=1 badopt
rt volume create -o size=1m badsize
rt volume create -o type=tmpfs nodevice
rt volume create -o device=tmpfs notype
rt volume create -o type=tmpfs -o device=tmpfs -o o=size=1m,uid=1000,gid=1001,mode=0710 --label k=v --label flag tv
rt volume inspect -f '{{json .Options}} {{json .Labels}} {{.Driver}}' tv
# {{.Labels}} joins a Go map's entries: in no fixed order in docker's
# output, so they are compared sorted.
printf '$ volume ls --format {{.Name}} {{.Labels}} (labels sorted)\n' >&3
runtime volume ls --format '{{.Name}} {{.Labels}}' | awk '{ n = split($2, a, ","); s = ""; for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }; for (i = 1; i <= n; i++) s = s (i > 1 ? "," : "") a[i]; print $1, s }' >&3
run --rm -v tv:/d cbox:1 sh -c "stat -c '%u %g %a' /d; dd if=/dev/zero of=/d/big bs=1k count=2000 2>/dev/null; echo dd=\$?; echo kept > /d/f 2>/dev/null; true"
run --rm -v tv:/d cbox:1 ls -A /d
mkdir dev
rt volume create -o type=none -o device="$PWD/dev" -o o=bind bv
run --rm -v bv:/d cbox:1 sh -c 'echo new > /d/new'
tree dev
run --rm --mount type=volume,src=mo,dst=/d,volume-opt=bogus=1 cbox:1 true
run --rm --mount type=volume,src=mo2,dst=/d,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-opt=o=size=1m,volume-label=m=1 cbox:1 df -k /d
rt volume inspect -f '{{json .Options}} {{json .Labels}}' mo2
rt volume ls -q --filter name=mo
# copy-up into a volume with options goes to its mounted filesystem: a
# bind volume's device dir gets the image's files, a tmpfs one loses them
mkdir cud
rt volume create -o type=none -o device="$PWD/cud" -o o=bind cub
run --rm -v cub:/srv cbox:1 ls /srv
tree cud
voltree cub
rt volume create -o type=tmpfs -o device=tmpfs cut
run --rm -v cut:/srv cbox:1 ls -A /srv
voltree cut
# an existing volume: its options are not read again
rt volume create -o bogus=1 tv
rt volume inspect -f '{{json .Options}}' tv
