# §13: --security-opt no-new-privileges, bare or =BOOL or :BOOL (the old
# separator); the filter is still loaded (runc: last, before execve).
for o in no-new-privileges no-new-privileges=true no-new-privileges:true no-new-privileges=false; do
    run --security-opt "$o" cbox:1 sh -c 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status'
done
run --security-opt no-new-privileges -u 1000 cbox:1 unshare -U true
run --security-opt no-new-privileges cbox:1 probe caps
