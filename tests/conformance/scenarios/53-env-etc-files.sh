# §9: /etc/hostname, /etc/hosts and /etc/resolv.conf are the runtime's own
# files, written per container; a user mount at one of those paths wins.
echo '10.0.0.1 mine' >"$H/hosts"
run --hostname h1 cbox:1 probe etc
run --hostname h2 -v "$H/hosts:/etc/hosts:ro" cbox:1 cat /etc/hosts
