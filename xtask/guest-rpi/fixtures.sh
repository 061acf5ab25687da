#!/bin/sh
# Fixtures of the emulated Raspberry Pi 3B (xtask/src/rpi.rs), run once per boot before the
# rpi_* test binaries. Writes /kb/fixtures.env, which every binary inherits.
#
# The machine (QEMU raspi3b, see rpi.rs for the command line):
#   /dev/i2c-1  BSC1, the header bus: tmp105 @0x48 (user space), tmp105 @0x49 (kernel lm75),
#               at24c-eeprom 256 B @0x50 and 4 KiB @0x54 (user space), at24c-eeprom 256 B
#               @0x57 (kernel at24), ds1338 @0x68, pca9548 @0x70 (channel 2: tmp105
#               @0x4a, channel 5: at24c-eeprom @0x51), dps310 @0x77
#   /dev/spidev0.0, 0.1   SPI0 CE0 (GPIO8) -> w25q32, CE1 (GPIO7) -> w25q64
#   /dev/gpiochip0        pinctrl-bcm2835, 54 lines
#   /dev/ttyAMA0          PL011, the host's end is a unix socket
fail=0
for m in i2c-bcm2835 i2c-dev spi-bcm2835 lm75 at24; do
    modprobe "$m" || { echo "fixtures: modprobe $m failed"; fail=1; }
done
wait_for() {
    i=0
    while [ ! -e "$1" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
    [ -e "$1" ] || { echo "fixtures: $1 did not appear"; fail=1; }
}
wait_for /dev/i2c-1
wait_for /dev/spidev0.0
wait_for /dev/spidev0.1
wait_for /dev/gpiochip0
wait_for /dev/ttyAMA0
wait_for /sys/bus/i2c/devices/1-0049/driver
wait_for /sys/bus/i2c/devices/1-0057/eeprom
# QEMU's flash models see their chip select only after a first GPIO edge: one byte each.
printf '\377' > /dev/spidev0.0 || fail=1
printf '\377' > /dev/spidev0.1 || fail=1
stty -F /dev/ttyAMA0 115200 raw -echo || fail=1
cat > /kb/fixtures.env <<ENV
export UDRV_RPI=1
export UDRV_RPI_I2C_BUS=1
export UDRV_RPI_UART=/dev/ttyAMA0
export PATH=/kb/bin:\$PATH
ENV
echo "fixtures: $(ls /dev/i2c-* /dev/spidev* /dev/gpiochip* /dev/ttyAMA* | tr '\n' ' ')"
exit $fail
