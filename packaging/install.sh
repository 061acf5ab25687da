#!/bin/sh
# Installs udrv from the unpacked release tarball: the binary, the man pages, shell
# completions, the udev rule, the device groups (i2c, spi, gpio, uio) and the Wireshark
# extcap link. Run as root from anywhere:  sudo ./install.sh [PREFIX]   (default /usr/local)
# The Debian package does the same under /usr; prefer it where dpkg is available.
set -e
here=$(dirname "$0")
prefix=${1:-/usr/local}

install -D -m 755 "$here/udrv" "$prefix/bin/udrv"
for page in "$here"/man/*.1; do
    install -D -m 644 "$page" "$prefix/share/man/man1/$(basename "$page")"
done
install -D -m 644 "$here/completions/udrv.bash" "$prefix/share/bash-completion/completions/udrv"
install -D -m 644 "$here/completions/_udrv" "$prefix/share/zsh/site-functions/_udrv"
install -D -m 644 "$here/completions/udrv.fish" "$prefix/share/fish/vendor_completions.d/udrv.fish"
install -D -m 644 "$here/60-udrv.rules" /etc/udev/rules.d/60-udrv.rules
"$here/groups.sh"

# Wireshark runs extcap programs from its global extcap folder (or ~/.local/lib/wireshark/extcap).
linked=
for dir in /usr/lib/*/wireshark/extcap; do
    if [ -d "$dir" ]; then
        ln -sf "$prefix/bin/udrv" "$dir/udrv"
        linked="$dir/udrv"
    fi
done
if [ -z "$linked" ]; then
    echo "Wireshark's extcap folder not found: after installing Wireshark, link udrv into it:"
    echo "  sudo ln -s $prefix/bin/udrv /usr/lib/aarch64-linux-gnu/wireshark/extcap/udrv"
    echo "  (arm-linux-gnueabihf instead of aarch64-linux-gnu on a 32-bit OS)"
fi

echo "udrv installed in $prefix/bin. Give users access to the buses with:"
echo "  sudo usermod -aG i2c,spi,gpio,uio USER   (then log in again)"
