# §9: the process: Env from the image plus HOSTNAME and HOME, WorkingDir
# made when missing, User, argv = Entrypoint + Cmd; -e, -w, -u override.
run --name c1 cenv:1 probe env
inspect c1 '{{.Config.Hostname}} {{json .Config.Env}} {{.Config.WorkingDir}} {{.Config.User}}'
run -e FOO=override -e NEW=1 -w /tmp -u 0 cenv:1 probe env
run --hostname myhost cbox:1 probe env
run --entrypoint echo cbox:1 hello world
