# container prune: docker's prompt (declined: stdin is /dev/null), the
# daemon's filter errors, the filters that keep everything, then the
# stopped containers removed newest first, the running one kept, and the
# reclaimed space (the writable layers: 6 bytes of /f).
run --name aa cbox:1 sh -c 'echo hello > /f'
rt @nostdout create --name bb cbox:1 true
rt @nostdout run -d --name up cbox:1 sleep 30
rt container prune
rt container prune -f --filter foo=bar
rt container prune -f --filter until=bogus
rt container prune -f --filter until=1h
rt container prune -f --filter label=nobody
rt @table ps -a --format '{{.Names}}'
rt container prune -f --filter until=2030-01-01T00:00:00Z --filter label!=nobody
rt @table ps -a --format '{{.Names}}'
rt container prune -f
rt rm -f up
