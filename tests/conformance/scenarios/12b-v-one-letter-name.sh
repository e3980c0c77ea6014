# §1: a one-letter SRC is not a volume name (docker's parser wants two
# characters): `-v a:/data` is an anonymous volume whose destination is
# "a:/data".
run --name c1 -v a:/data cbox:1 sh -c 'ls -d /a:/data; probe mounts'
mounts c1
rt volume ls -q
