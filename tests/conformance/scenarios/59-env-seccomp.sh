# §9: docker's default seccomp profile (filter mode 2). A mount(2) without
# CAP_SYS_ADMIN fails either way; docker's filter answers EPERM before the
# kernel looks at the path, so a missing mount point gives "permission
# denied" under docker.
# differs: rvol installs no seccomp filter (docs/docker-behaviour.md §9 asks for docker's capability set, not its seccomp profile); the capability checks of scenario 49 still hold
run cbox:1 sh -c 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status'
run cbox:1 sh -c 'mount -t tmpfs none /nonexistent; echo mount=$?'
