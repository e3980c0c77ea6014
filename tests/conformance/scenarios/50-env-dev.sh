# §9: /dev: a tmpfs with null zero full random urandom tty (0666 char
# devices), the fd/stdin/stdout/stderr/ptmx links, pts, shm, mqueue.
run cbox:1 probe dev
