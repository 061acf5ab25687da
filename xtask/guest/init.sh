#!/bin/busybox sh
# PID 1 of the udrv test guest. Mounts the usual filesystems, runs /kb/run (added by the
# per-run payload), prints its exit status as a marker line on the console, and resets the
# machine (QEMU runs with -no-reboot, so it exits). xtask/src/vm.rs reads the markers.
/bin/busybox --install -s
export PATH=/kb/bin:/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /tmp /run /sys/kernel/config
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t configfs configfs /sys/kernel/config
echo "UDRV-GUEST-READY uptime=$(cut -d' ' -f1 /proc/uptime)"
rc=125
if [ -x /kb/run ]; then
  cd /kb && /kb/run; rc=$?
fi
echo "UDRV-GUEST-EXIT=$rc uptime=$(cut -d' ' -f1 /proc/uptime)"
sync
reboot -f
