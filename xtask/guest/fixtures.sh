#!/bin/sh
# Sets up the devices the guest tests run against, then writes their locations as shell
# variables to /kb/fixtures.env (the tests read them from the environment):
#   UDRV_I2C_STUB_BUS      i2c-stub bus number (SMBus-only adapter), chips at 0x48 0x50 0x52
#                          and 0x53; SMBus block data enabled (funcs 0x0f7f0000)
#   UDRV_I2C_STUB_DRIVER_ADDR  an address on that bus held by a kernel driver (`dummy`)
#   UDRV_I2C_PARPORT_BUS   i2c-parport bus number (plain I2C: I2C_RDWR, 10-bit)
#   UDRV_SPIDEV            spidev node over the spi-lm70llp parallel-port master
#   UDRV_GPIO_SIM_CHIP     /dev/gpiochipN of gpio-sim bank "udrv-sim" (16 lines, some named)
#   UDRV_GPIO_SIM_SYSFS    sysfs folder holding that chip's sim_gpioN/pull attributes
#   UDRV_GPIO_SIM2_CHIP    /dev/gpiochipN of a second bank "udrv-sim2" (8 lines)
#   UDRV_UIO               /dev/uioN of the QEMU `edu` device (uio_pci_generic)
#   UDRV_EDU_PCI           its PCI address (for the sysfs resource/config files)
# Any fixture that fails prints FIXTURE-FAIL and leaves its variable unset, so the tests
# that need it fail with a message naming it.
ENV=/kb/fixtures.env
: > $ENV
fail() { echo "FIXTURE-FAIL: $*"; }
say() { echo "export $1='$2'" >> $ENV; }

# --- I2C: SMBus stub --------------------------------------------------------------------
# functionality: the stub's default plus SMBus block data (off by default in the stub).
# 0x53 gets i2c-core's own `dummy` driver bound, so I2C_SLAVE there gives EBUSY (a "UU").
if modprobe i2c-stub chip_addr=0x48,0x50,0x52,0x53 functionality=0x0f7f0000; then
  for d in /sys/class/i2c-dev/i2c-*; do
    if grep -q 'SMBus stub' $d/name; then
      N=${d##*/i2c-}; say UDRV_I2C_STUB_BUS $N
      if echo dummy 0x53 > /sys/bus/i2c/devices/i2c-$N/new_device 2>/dev/null &&
         [ -e /sys/bus/i2c/devices/$N-0053/driver ]; then
        say UDRV_I2C_STUB_DRIVER_ADDR 0x53
      else fail "dummy driver at 0x53 on i2c-$N"; fi
    fi
  done
else fail "modprobe i2c-stub"; fi

# --- I2C: plain adapter and SPI master on two parallel ports -------------------------------
# parport_pc is built in and finds both ports QEMU provides (0x378, 0x278). i2c-parport
# takes parport0; spi-lm70llp then fails on parport0 ("no more devices allowed") and
# attaches to parport1.
if modprobe i2c-parport type=1 parport=0; then
  for d in /sys/class/i2c-dev/i2c-*; do
    grep -q 'Parallel port' $d/name && say UDRV_I2C_PARPORT_BUS ${d##*/i2c-}
  done
else fail "modprobe i2c-parport"; fi
if modprobe spi-lm70llp; then
  D=$(ls /sys/bus/spi/devices/ | head -1)
  if [ -n "$D" ]; then
    echo spidev > /sys/bus/spi/devices/$D/driver_override
    echo $D > /sys/bus/spi/drivers/spidev/bind 2>/dev/null || \
      { echo $D > /sys/bus/spi/drivers/lm70/unbind 2>/dev/null; echo $D > /sys/bus/spi/drivers/spidev/bind; }
    S=$(ls /sys/bus/spi/devices/$D/spidev/ 2>/dev/null | head -1)
    [ -n "$S" ] && say UDRV_SPIDEV /dev/$S || fail "spidev bind $D"
  else fail "no spi device from spi-lm70llp"; fi
else fail "modprobe spi-lm70llp"; fi

# --- GPIO: gpio-sim chips with named lines ----------------------------------------------
sim_chip() { # name label nlines "off:name ..." -> sets CHIP and DEVN
  C=/sys/kernel/config/gpio-sim/$1
  mkdir $C $C/bank0 || return 1
  echo $3 > $C/bank0/num_lines; echo $2 > $C/bank0/label
  for spec in $4; do
    mkdir $C/bank0/line${spec%%:*}; echo ${spec#*:} > $C/bank0/line${spec%%:*}/name
  done
  echo 1 > $C/live || return 1
  CHIP=$(cat $C/bank0/chip_name); DEVN=$(cat $C/dev_name)
}
if sim_chip udrv-sim udrv-sim 16 "0:led 1:button 2:relay 3:irq 7:spare"; then
  say UDRV_GPIO_SIM_CHIP /dev/$CHIP
  say UDRV_GPIO_SIM_SYSFS /sys/devices/platform/$DEVN/$CHIP
else fail "gpio-sim chip udrv-sim"; fi
if sim_chip udrv-sim2 udrv-sim2 8 "0:motor 5:door"; then
  say UDRV_GPIO_SIM2_CHIP /dev/$CHIP
else fail "gpio-sim chip udrv-sim2"; fi

# --- UIO: QEMU edu bound to uio_pci_generic --------------------------------------------
P=$(grep -l 0x11e8 /sys/bus/pci/devices/*/device 2>/dev/null | head -1)
if [ -n "$P" ]; then
  P=${P%/device}; P=${P##*/}
  echo "1234 11e8" > /sys/bus/pci/drivers/uio_pci_generic/new_id
  U=$(ls /sys/bus/pci/devices/$P/uio/ 2>/dev/null | head -1)
  [ -n "$U" ] && { say UDRV_UIO /dev/$U; say UDRV_EDU_PCI $P; } || fail "uio bind $P"
else fail "no edu PCI device"; fi

echo "fixtures:"; sed 's/^export /  /' $ENV
