# §13: the errors of --security-opt (the CLI's, then the daemon's) and
# --cap-add/--cap-drop (125), and HostConfig.CapAdd, CapDrop, SecurityOpt
# as inspect shows them: null when not given, capabilities normalised and
# sorted (docker's client), a profile file replaced by its compact JSON.
run --security-opt bogus cbox:1 true
run --security-opt seccomp cbox:1 true
run --security-opt seccomp= cbox:1 true
run --security-opt seccomp=/nonexistent/profile.json cbox:1 true
run --security-opt no-new-privileges=maybe cbox:1 true
run --security-opt foo=bar cbox:1 true
run --cap-add NOT_A_CAP cbox:1 true
run --cap-add perfmon cbox:1 true
run --cap-drop bogus cbox:1 true
printf '{ "defaultAction": "SCMP_ACT_ALLOW",\n  "syscalls": [] }\n' >"$H/p.json"
F='{{json .HostConfig.CapAdd}} {{json .HostConfig.CapDrop}} {{json .HostConfig.SecurityOpt}}'
rt create --name c0 cbox:1 true
inspect c0 "$F"
rt create --name c1 --cap-add net_admin --cap-add all --cap-drop CAP_chown --security-opt "seccomp=$H/p.json" --security-opt no-new-privileges:true cbox:1 true
inspect c1 "$F"
rt create --name c2 --security-opt seccomp=unconfined --cap-drop ALL cbox:1 true
inspect c2 "$F"
