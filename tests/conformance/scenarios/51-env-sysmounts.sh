# §9: proc with read-only /proc/{bus,fs,irq,sys,sysrq-trigger} and masked
# /proc/{acpi,keys,kcore,timer_list,...}, /dev's mounts, read-only sysfs.
run cbox:1 probe sysmounts
run cbox:1 sh -c 'cat /proc/kcore | wc -c; cat /proc/keys | wc -c; echo 1 > /proc/sys/kernel/hostname; echo w=$?'
