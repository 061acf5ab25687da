#!/bin/sh
# udrv: create the device groups named in 60-udrv.rules (system groups, if missing) and
# apply the rules to the device nodes that exist now. Run as root; idempotent.
# Shared by the Debian package's postinst and install.sh (the tarball's installer).
set -e

for group in i2c spi gpio uio; do
    if ! getent group "$group" >/dev/null; then
        if command -v groupadd >/dev/null; then
            groupadd --system "$group"
        else
            addgroup --system "$group"
        fi
    fi
done

# Apply the rules now (not only at the next boot), when udev runs (not in a chroot or
# a container without it).
if [ -d /run/udev ] && command -v udevadm >/dev/null; then
    udevadm control --reload-rules || true
    for subsystem in i2c-dev spidev gpio uio; do
        udevadm trigger --action=change --subsystem-match="$subsystem" || true
    done
fi
