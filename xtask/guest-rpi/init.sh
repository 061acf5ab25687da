#!/bin/busybox sh
# PID 1 of the emulated Raspberry Pi 3B guest (xtask/src/rpi.rs). Runs /kb/run (from the
# per-run cpio appended to the base image), prints UDRV-GUEST-EXIT=<rc>, then resets the
# machine through the bcm2835 watchdog so QEMU (-no-reboot) exits.
/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
modprobe bcm2835_wdt
# The console's input carries the host's answers to UDRV-HOST-REQ lines: no echo.
stty -echo 2>/dev/null
echo "UDRV-GUEST-READY uptime=$(cut -d' ' -f1 /proc/uptime)"
rc=0
if [ -x /kb/run ]; then
    cd /kb && /kb/run
    rc=$?
fi
echo "UDRV-GUEST-EXIT=$rc uptime=$(cut -d' ' -f1 /proc/uptime)"
sync
reboot -f
sleep 5
echo "UDRV-REBOOT-FAILED"
poweroff -f
