# rmi and tag (issue 14): one of several names is only untagged; the last
# name of an image a container uses is refused unless forced; by id, an
# image of several names is refused unless forced, then every name goes
# with it (its layer kept for the container); No such image; tag's texts
# for a missing source and bad targets. The image is this scenario's own
# (a commit): the reference daemon keeps the suite's images.
run --name c1 cbox:1 sh -c 'echo x > /f'
rt @nostdout commit c1 mine:a
rt tag mine:a mine:b
rt rmi mine:b
rt @nostdout create --name c2 mine:a true
rt rmi mine:a
rt tag mine:a mine:c
id=$(runtime inspect --format '{{.Id}}' mine:a)
rt rmi "${id:7:12}"
rt rmi -f "${id:7:12}"
rt rmi mine:a
rt rmi nosuch
rt tag nosuch:1 mine:d
rt tag cbox:1 Bad:x
rt tag cbox:1 'mine:b c'
rt @usage tag cbox:1
rt @usage rmi
rt rm c1 c2
