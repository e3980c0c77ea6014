# §1/§7: propagation options on binds: rslave/rshared need the source to sit
# on a shared (or slave) mount and fail at start otherwise (the container
# stays, Created); on a shared host mount they take effect inside.
mkdir -p "$H/p" "$H/s/sub"
run --name c1 -v "$H/p:/p:rslave" cbox:1 true
rt @table ps -a
mount --bind "$H/s" "$H/s" && mount --make-shared "$H/s"
run --name c2 -v "$H/s:/s:rshared" --mount type=bind,src="$H/s/sub",dst=/t,bind-propagation=rslave cbox:1 probe mounts
mounts c2
umount -l "$H/s"
