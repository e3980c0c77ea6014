# §13: --cap-add/--cap-drop over docker's default set (moby's
# TweakCapabilities): with or without CAP_, any case, ALL on either side;
# a non-root user keeps only the bounding set. --cap-add ALL alone is left
# out: it fails where the host lacks a capability (runc's own text).
run --cap-drop ALL cbox:1 probe caps
run --cap-drop CHOWN --cap-drop cap_kill cbox:1 probe caps
run --cap-add NET_ADMIN --cap-drop ALL cbox:1 probe caps
run --cap-add chown --cap-drop CHOWN cbox:1 probe caps
run --cap-add ALL --cap-drop sys_resource cbox:1 probe caps
run --cap-add Cap_Net_Admin cbox:1 probe caps
run -u 1000 --cap-add NET_ADMIN cbox:1 probe caps
run --cap-drop ALL cbox:1 sh -c 'chown 1000 /tmp; echo chown=$?'
