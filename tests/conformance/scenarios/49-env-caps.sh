# §9: capabilities: docker's default set, no CAP_SYS_ADMIN (so mounts
# cannot be undone), the same for a non-root user minus effective.
run cbox:1 probe caps
run -u 1000 cbox:1 probe caps
run cbox:1 sh -c 'mount -t tmpfs none /tmp; echo mount=$?'
