# §9: namespaces: the command is PID 1, alone in its pid namespace; with
# --network none only lo; own uts and ipc.
run cbox:1 sh -c 'echo pid=$$ ppid=$PPID; ls /sys/class/net; cat /proc/1/cmdline | tr "\\0" " "; echo'
