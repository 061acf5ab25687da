#!/bin/sh
# udrv: create the system user and group `udrv` the service runs as (udrv.service's
# User=), if missing: no login, no home folder of its own (its state is
# /var/lib/udrv, the unit's StateDirectory=). Run as root; idempotent.
# Run by the Debian package's postinst.
set -e

if ! getent group udrv >/dev/null; then
    if command -v groupadd >/dev/null; then
        groupadd --system udrv
    else
        addgroup --system udrv
    fi
fi
if ! getent passwd udrv >/dev/null; then
    if command -v useradd >/dev/null; then
        useradd --system --gid udrv --no-create-home --home-dir /var/lib/udrv \
            --shell /usr/sbin/nologin --comment "udrv serve" udrv
    else
        adduser --system --ingroup udrv --no-create-home --home /var/lib/udrv \
            --shell /usr/sbin/nologin --gecos "udrv serve" udrv
    fi
fi
