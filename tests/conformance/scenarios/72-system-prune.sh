# system prune: docker's prompts (declined: stdin is /dev/null) with -a,
# --volumes and filters, then a forced prune with --volumes: its parts
# (containers, then volumes) and one total.
run --name aa -v /data cbox:1 sh -c 'echo hello > /f'
rt system prune
rt system prune -a --volumes
rt system prune --volumes --filter label=x --filter until=1h
rt system prune --filter label=x --filter until=1h
rt @sort system prune -f --volumes
rt @table ps -a --format '{{.Names}}'
rt volume ls -q
