# diff and export (issue 16, docs/docker-behaviour.md §15): deletions, a
# replaced (opaque) directory, a new file, a volume written to and a new
# mount point; docker's diff order is Go's map order, so lines are sorted.
# export: the image's files under the volume, not the volume's; docker's
# init-layer entries (.dockerenv, dev/console, dev/pts, dev/shm, etc/mtab)
# are rvol's difference, left out.
run --name c1 -v /newvol -v /srv cbox:1 sh -c 'rm -rf /etc/group; mkdir -p /opt/new; echo n > /opt/new/f; echo v > /newvol/f; echo s > /srv/inside'
rt @sort diff c1
runtime export -o "$PWD/c1.tar" c1
host sh -c "tar -tf c1.tar | grep -v -e '^.dockerenv' -e '^dev/' -e '^etc/mtab' | sort"
rt diff nosuch
rt rm -v c1
