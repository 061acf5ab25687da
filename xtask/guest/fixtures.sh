#!/bin/sh
# Sets up the devices the guest tests run against, then writes their locations as shell
# variables to /kb/fixtures.env (the tests read them from the environment):
#   UDRV_I2C_STUB_BUS      i2c-stub bus number (SMBus-only adapter), chips at 0x20 0x48 0x50 0x52
#                          and 0x53; SMBus block data enabled (funcs 0x0f7f0000)
#   UDRV_I2C_STUB_DRIVER_ADDR  an address on that bus held by a kernel driver (`dummy`)
#   UDRV_I2C_PARPORT_BUS   i2c-parport bus number (plain I2C: I2C_RDWR, 10-bit)
#   UDRV_SPIDEV            spidev node over the spi-lm70llp parallel-port master
#   UDRV_GPIO_SIM_CHIP     /dev/gpiochipN of gpio-sim bank "udrv-sim" (16 lines, some named)
#   UDRV_GPIO_SIM_SYSFS    sysfs folder holding that chip's sim_gpioN/pull attributes
#   UDRV_GPIO_SIM2_CHIP    /dev/gpiochipN of a second bank "udrv-sim2" (8 lines)
#   UDRV_UIO               /dev/uioN of the QEMU `edu` device (uio_pci_generic)
#   UDRV_EDU_PCI           its PCI address (for the sysfs resource/config files)
# Any fixture that fails prints FIXTURE-FAIL and leaves its variable unset (so the tests
# that need it fail with a message naming it), and the script exits 1: xtask counts the
# fixtures as a failed step of the run.
ENV=/kb/fixtures.env
: > $ENV
failed=0
fail() { echo "FIXTURE-FAIL: $*"; failed=1; }
say() { echo "export $1='$2'" >> $ENV; }

# --- I2C: SMBus stub --------------------------------------------------------------------
# functionality: the stub's default plus SMBus block data (off by default in the stub).
# 0x20 is an MCP23017's address (guest_serve_chips writes its registers).
# 0x53 gets i2c-core's own `dummy` driver bound, so I2C_SLAVE there gives EBUSY (a "UU").
if modprobe i2c-stub chip_addr=0x20,0x48,0x50,0x52,0x53 functionality=0x0f7f0000; then
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

# --- Boards: gpio-sim chips labelled and line-named like real boards --------------------
# For boards/tests/guest_boards.rs: labels and line names exactly as the kernels publish
# them (pinctrl labels; gpio-line-names of bcm2711-rpi-4-b.dts, bcm2712-rpi-5-b.dts and
# am335x-boneblack.dts), created out of order (BBB bank 3, Pi 5, bank 1, Pi 4, bank 0,
# bank 2) so that their chip numbers differ from real hardware's. For X in PI4 PI5
# BBB0..BBB3: UDRV_BOARDS_X_CHIP (/dev/gpiochipN), UDRV_BOARDS_X_SYSFS (sim_gpioN/ folder).
board_chip() { # var label "name|name|..." (offset order)
  C=/sys/kernel/config/gpio-sim/udrv-board-$1; V=$1
  mkdir $C $C/bank0 || { fail "gpio-sim board chip $V"; return; }
  echo $2 > $C/bank0/label
  set -f; OIFS=$IFS; IFS='|'; set -- $3; IFS=$OIFS; set +f
  echo $# > $C/bank0/num_lines
  N=0
  for L in "$@"; do
    mkdir $C/bank0/line$N && echo "$L" > $C/bank0/line$N/name
    N=$((N+1))
  done
  echo 1 > $C/live || { fail "gpio-sim board chip $V"; return; }
  CHIP=$(cat $C/bank0/chip_name); DEVN=$(cat $C/dev_name)
  say UDRV_BOARDS_${V}_CHIP /dev/$CHIP
  say UDRV_BOARDS_${V}_SYSFS /sys/devices/platform/$DEVN/$CHIP
}
board_chip BBB3 gpio-96-127 "[mii col]|[mii crs]|[mii rx err]|[mii tx en]|[mii rx dv]|[i2c0 sda]|[i2c0 scl]|\
[jtag emu0]|[jtag emu1]|[mii tx clk]|[mii rx clk]|NC|NC|[usb vbus en]|\
P9_31 [spi1_sclk]|P9_29 [spi1_d0]|P9_30 [spi1_d1]|P9_28 [spi1_cs0]|P9_42B [ecappwm0]|\
P9_27|P9_41A|P9_25|NC|NC|NC|NC|NC|NC|NC|NC|NC|NC"
board_chip PI5 pinctrl-rp1 "ID_SDA|ID_SCL|GPIO2|GPIO3|GPIO4|GPIO5|GPIO6|GPIO7|GPIO8|GPIO9|GPIO10|GPIO11|GPIO12|\
GPIO13|GPIO14|GPIO15|GPIO16|GPIO17|GPIO18|GPIO19|GPIO20|GPIO21|GPIO22|GPIO23|GPIO24|\
GPIO25|GPIO26|GPIO27|PCIE_RP1_WAKE|FAN_TACH|HOST_SDA|HOST_SCL|ETH_RST_N|-|\
CD0_IO0_MICCLK|CD0_IO0_MICDAT0|RP1_PCIE_CLKREQ_N|-|CD0_SDA|CD0_SCL|CD1_SDA|CD1_SCL|\
USB_VBUS_EN|USB_OC_N|RP1_STAT_LED|FAN_PWM|CD1_IO0_MICCLK|2712_WAKE|CD1_IO1_MICDAT1|\
EN_MAX_USB_CUR|-|-|-|-"
board_chip BBB1 gpio-32-63 "P8_25 [mmc1_dat0]|[mmc1_dat1]|P8_5 [mmc1_dat2]|P8_6 [mmc1_dat3]|P8_23 [mmc1_dat4]|\
P8_22 [mmc1_dat5]|P8_3 [mmc1_dat6]|P8_4 [mmc1_dat7]|NC|NC|NC|NC|P8_12|P8_11|P8_16|\
P8_15|P9_15A|P9_23|P9_14 [ehrpwm1a]|P9_16 [ehrpwm1b]|[emmc rst]|[usr0 led]|[usr1 led]|\
[usr2 led]|[usr3 led]|[hdmi irq]|[usb vbus oc]|[hdmi audio]|P9_12|P8_26|P8_21 [emmc]|\
P8_20 [emmc]"
board_chip PI4 pinctrl-bcm2711 "ID_SDA|ID_SCL|GPIO2|GPIO3|GPIO4|GPIO5|GPIO6|GPIO7|GPIO8|GPIO9|GPIO10|GPIO11|GPIO12|\
GPIO13|GPIO14|GPIO15|GPIO16|GPIO17|GPIO18|GPIO19|GPIO20|GPIO21|GPIO22|GPIO23|GPIO24|\
GPIO25|GPIO26|GPIO27|RGMII_MDIO|RGMIO_MDC|CTS0|RTS0|TXD0|RXD0|SD1_CLK|SD1_CMD|\
SD1_DATA0|SD1_DATA1|SD1_DATA2|SD1_DATA3|PWM0_MISO|PWM1_MOSI|STATUS_LED_G_CLK|\
SPIFLASH_CE_N|SDA0|SCL0|RGMII_RXCLK|RGMII_RXCTL|RGMII_RXD0|RGMII_RXD1|RGMII_RXD2|\
RGMII_RXD3|RGMII_TXCLK|RGMII_TXCTL|RGMII_TXD0|RGMII_TXD1|RGMII_TXD2|RGMII_TXD3"
board_chip BBB0 gpio-0-31 "[mdio_data]|[mdio_clk]|P9_22 [spi0_sclk]|P9_21 [spi0_d0]|P9_18 [spi0_d1]|\
P9_17 [spi0_cs0]|[mmc0_cd]|P9_42A [ecappwm0]|P8_35 [lcd d12]|P8_33 [lcd d13]|\
P8_31 [lcd d14]|P8_32 [lcd d15]|P9_20 [i2c2_sda]|P9_19 [i2c2_scl]|P9_26 [uart1_rxd]|\
P9_24 [uart1_txd]|[rmii1_txd3]|[rmii1_txd2]|[usb0_drvvbus]|[hdmi cec]|P9_41B|\
[rmii1_txd1]|P8_19 [ehrpwm2a]|P8_13 [ehrpwm2b]|NC|NC|P8_14|P8_17|[rmii1_txd0]|\
[rmii1_refclk]|P9_11 [uart4_rxd]|P9_13 [uart4_txd]"
board_chip BBB2 gpio-64-95 "P9_15B|P8_18|P8_7|P8_8|P8_10|P8_9|P8_45 [hdmi]|P8_46 [hdmi]|P8_43 [hdmi]|P8_44 [hdmi]|\
P8_41 [hdmi]|P8_42 [hdmi]|P8_39 [hdmi]|P8_40 [hdmi]|P8_37 [hdmi]|P8_38 [hdmi]|\
P8_36 [hdmi]|P8_34 [hdmi]|[rmii1_rxd3]|[rmii1_rxd2]|[rmii1_rxd1]|[rmii1_rxd0]|\
P8_27 [hdmi]|P8_29 [hdmi]|P8_28 [hdmi]|P8_30 [hdmi]|[mmc0_dat3]|[mmc0_dat2]|\
[mmc0_dat1]|[mmc0_dat0]|[mmc0_clk]|[mmc0_cmd]"

echo "fixtures:"; sed 's/^export /  /' $ENV
# A failed fixture fails the run (xtask counts `fixtures` as a binary).
exit $failed
