//! The manual pages' examples.

/// Examples per command (its words after `udrv`): the command line, what it does. Those on
/// `--board virtual` run anywhere, and the tests run them.
pub(super) const EXAMPLES: &[(&str, &str, &str)] = &[
    (
        "",
        "udrv board info",
        "Which board this is, its buses (enabled or not, and the line of config.txt or \
         uEnv.txt that enables them) and GPIO chips.",
    ),
    (
        "",
        "udrv --board virtual read",
        "Read every chip of the virtual board: simulated buses and chips, no hardware.",
    ),
    (
        "",
        "udrv i2c detect -y 1",
        "Scan I2C bus 1 for chips, as i2cdetect -y 1.",
    ),
    (
        "",
        "udrv read bme280@i2c-1:0x76 --json",
        "Read a BME280 through its driver, as one JSON object.",
    ),
    (
        "i2c",
        "udrv --board virtual i2c list",
        "The I2C buses of the virtual board.",
    ),
    (
        "i2c",
        "udrv i2c get -y 1 0x76 0xd0",
        "Read register 0xd0 of the chip at 0x76 on bus 1 (a BME280 answers 0x60).",
    ),
    (
        "i2c list",
        "udrv i2c list",
        "The I2C buses, as i2cdetect -l.",
    ),
    (
        "i2c list",
        "udrv --board virtual --json i2c list",
        "The virtual board's buses as a JSON array.",
    ),
    (
        "i2c detect",
        "udrv --board virtual i2c detect -y 1",
        "Scan the virtual board's I2C bus.",
    ),
    (
        "i2c detect",
        "udrv i2c detect -F 1",
        "What the adapter of bus 1 can do (I2C_FUNCS).",
    ),
    (
        "i2c get",
        "udrv --board virtual i2c get -y 1 0x76 0xd0",
        "Read the BME280's chip ID register (0x60).",
    ),
    (
        "i2c get",
        "udrv i2c get -y 1 0x48 0x00 w",
        "Read a word register (an LM75's temperature).",
    ),
    (
        "i2c set",
        "udrv --board virtual i2c set -y 1 0x41 0x00 0x01",
        "Write 0x01 into register 0x00 (MODE1) of the virtual PCA9685.",
    ),
    (
        "i2c set",
        "udrv i2c set -y -m i 1 0x50 0x00 0x12 0x34",
        "Write two bytes from register 0x00 as one I2C block write.",
    ),
    (
        "i2c dump",
        "udrv --board virtual i2c dump -y -r 0xd0-0xdf 1 0x76",
        "Dump registers 0xd0-0xdf of the virtual BME280.",
    ),
    (
        "i2c transfer",
        "udrv --board virtual i2c transfer -y 1 w2@0x50 0x00 0x00 r16",
        "Set the EEPROM's address pointer to 0x0000 and read 16 bytes, in one transaction \
         (a repeated start between the messages).",
    ),
    ("gpio", "udrv gpio info", "Every line of every GPIO chip."),
    (
        "gpio detect",
        "udrv gpio detect",
        "The GPIO chips, as gpiodetect.",
    ),
    (
        "gpio info",
        "udrv gpio info gpiochip0",
        "The lines of one chip: name, direction, consumer.",
    ),
    (
        "gpio get",
        "udrv gpio get GPIO17",
        "Read a line by its name.",
    ),
    (
        "gpio get",
        "udrv --json gpio get -c gpiochip0 17 27",
        "Read two lines given as offsets, as JSON.",
    ),
    (
        "gpio set",
        "udrv gpio set -y GPIO17=1",
        "Drive a line high and exit (the kernel decides what the line does next).",
    ),
    (
        "gpio set",
        "udrv gpio set -y --hold GPIO17=1",
        "Drive a line high until Ctrl-C.",
    ),
    (
        "gpio mon",
        "udrv gpio mon -e rising -n 1 GPIO27",
        "Wait for one rising edge on a line and print it.",
    ),
    (
        "gpio notify",
        "udrv gpio notify -e requested -n 1 GPIO17",
        "Wait until a program requests a line and print who (as gpionotify).",
    ),
    (
        "spi",
        "udrv --board virtual spi transfer -y 1.1 9f 00 00 00",
        "Read the JEDEC ID of the virtual board's W25Q32 flash.",
    ),
    (
        "spi transfer",
        "udrv --board virtual spi transfer -y 1.1 9f 00 00 00",
        "Send 0x9f and three bytes; print the four bytes received (the JEDEC ID after the \
         first).",
    ),
    (
        "spi transfer",
        "udrv spi transfer -y -s 1000000 /dev/spidev0.0 01 80 00",
        "One MCP3008 conversion of channel 0 at 1 MHz.",
    ),
    ("uio", "udrv uio list", "The UIO devices."),
    (
        "uio list",
        "udrv --json uio list",
        "The UIO devices as a JSON array.",
    ),
    (
        "uio info",
        "udrv uio info uio0",
        "A device's name, version, interrupt count and memory maps.",
    ),
    (
        "uio wait",
        "udrv uio wait -n 3 -t 5000 uio0",
        "Wait for three interrupts, giving up after 5 s without one.",
    ),
    (
        "iio",
        "udrv iio list",
        "The IIO devices kernel drivers drive.",
    ),
    (
        "iio list",
        "udrv --json iio list",
        "The IIO devices, their chips' I2C addresses and channels, as a JSON array.",
    ),
    (
        "iio read",
        "udrv iio read bme280 temp pressure",
        "A BME280's temperature (°C) and pressure (Pa) through the kernel's bmp280 driver.",
    ),
    ("w1", "udrv w1 list", "The 1-Wire devices the kernel found."),
    (
        "w1 list",
        "udrv --json w1 list",
        "The 1-Wire devices as a JSON array.",
    ),
    (
        "w1 read",
        "udrv w1 read 28-00000a1b2c3d",
        "A DS18B20's temperature, its CRC checked.",
    ),
    ("pwm", "udrv pwm list", "The PWM chips and their channels."),
    (
        "pwm list",
        "udrv --json pwm list",
        "The PWM chips and their channels as JSON.",
    ),
    (
        "pwm set",
        "udrv pwm set pwmchip0/1 --freq 50 --duty 7.5",
        "A servo pulse: 50 Hz, 1.5 ms, on channel 1 of pwmchip0.",
    ),
    (
        "board",
        "udrv --board virtual board pins",
        "The virtual board's header.",
    ),
    (
        "board info",
        "udrv board info",
        "This board, its buses and how to enable them.",
    ),
    (
        "board info",
        "udrv --board virtual --json board info",
        "The virtual board, as one JSON object.",
    ),
    (
        "board pins",
        "udrv --board virtual board pins",
        "The virtual board's header, with the levels of its GPIO lines.",
    ),
    (
        "board pins",
        "udrv --board rpi4b board pins --no-values",
        "A Raspberry Pi 4's header, without touching any line.",
    ),
    (
        "read",
        "udrv --board virtual read",
        "Every chip of the virtual board, one reading per line.",
    ),
    (
        "read",
        "udrv --board virtual read --json -n 2 -w 0.5 lm75@1:0x4f",
        "Two readings of the virtual LM75, half a second apart, one JSON object per line.",
    ),
    (
        "read",
        "udrv read --list",
        "The chips udrv read knows, their addresses and what a read sends.",
    ),
    (
        "read",
        "udrv read bme280@i2c-1:0x76 --record bme.log",
        "Read a BME280 and record every bus transaction into bme.log; udrv read --replay \
         bme.log reads it again without the hardware.",
    ),
    (
        "probe",
        "udrv --board virtual probe 1",
        "Identify the chips on the virtual board's I2C bus.",
    ),
    (
        "probe",
        "udrv probe --board rpi4b i2c_arm",
        "Identify the chips on a Raspberry Pi's header I2C bus, by its role.",
    ),
    (
        "serve",
        "udrv serve --check /etc/udrv/udrv.toml",
        "Check the configuration: every mistake with its line and column, status 2 if any.",
    ),
    (
        "serve",
        "UDRV_BOARD=virtual udrv serve --config examples/serve-virtual.toml --count 20",
        "The example configuration on the virtual board (from a udrv source tree): 20 \
         readings as JSON lines.",
    ),
    (
        "serve",
        "udrv serve",
        "Run as the service with /etc/udrv/udrv.toml until SIGTERM; SIGHUP reloads the file.",
    ),
    (
        "capture",
        "udrv capture /dev/ttyUSB0 -l '9600 8N1' -w bus.pcapng",
        "Capture a Modbus RTU line at 9600 8N1 into a file for Wireshark.",
    ),
    (
        "capture",
        "udrv capture /dev/ttyUSB0 -w - | wireshark -k -i -",
        "Watch the frames live in Wireshark.",
    ),
    (
        "capture",
        "udrv capture --extcap-install",
        "Make the capture an interface in Wireshark's list.",
    ),
    (
        "watch",
        "udrv watch --class serial -c 1",
        "Wait for the next serial adapter to be plugged in or out.",
    ),
    (
        "watch",
        "udrv watch --wait /dev/ttyUSB0 --timeout 30",
        "Wait until /dev/ttyUSB0 exists (status 1 after 30 s without it).",
    ),
    (
        "completions",
        "udrv completions bash > /etc/bash_completion.d/udrv",
        "Install the bash completions (the Debian package installs them for bash, zsh and \
         fish).",
    ),
    (
        "man",
        "udrv man i2c get | man -l -",
        "Read the page of udrv i2c get without installing it.",
    ),
    (
        "man",
        "udrv man --dir /usr/local/share/man/man1",
        "Install every page.",
    ),
];
