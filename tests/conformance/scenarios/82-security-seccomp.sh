# §13: docker's seccomp profile refuses unshare(CLONE_NEWUSER), which
# needs no capability; seccomp=unconfined takes the filter away; the
# capability a rule names opens its syscalls (CAP_SYS_ADMIN: unshare,
# mount); a profile of one's own (a file, docker's JSON format) with its
# own errno.
run cbox:1 unshare -U true
run --security-opt seccomp=unconfined cbox:1 sh -c 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; unshare -U echo in'
run --security-opt seccomp:unconfined cbox:1 unshare -U true
run --cap-add SYS_ADMIN cbox:1 sh -c 'unshare -m true; echo u=$?; mount -t tmpfs none /tmp; echo m=$?'
run --cap-drop ALL --cap-add sys_admin cbox:1 sh -c 'unshare -U true; echo u=$?'
cat >"$H/p.json" <<'JSON'
{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [
    {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"},
    {"names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}
  ]
}
JSON
run --security-opt "seccomp=$H/p.json" cbox:1 sh -c 'mkdir /x; echo m=$?; rmdir /tmp; echo r=$?; unshare -U true; echo u=$?'
run --security-opt "seccomp=$H/p.json" cbox:1 sh -c 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status'
