# §13: docker's default seccomp profile (filter mode 2). A mount(2) without
# CAP_SYS_ADMIN fails either way; docker's filter answers EPERM before the
# kernel looks at the path, so a missing mount point gives "permission
# denied" under docker.
run cbox:1 sh -c 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status'
run cbox:1 sh -c 'mount -t tmpfs none /nonexistent; echo mount=$?'
