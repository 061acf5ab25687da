/* An LD_PRELOAD stand-in for the kernel's i2c-dev ioctls on an I2C adapter (as i2c-bcm2835
 * reports: I2C_FUNC_I2C), so that callgrind on the host can count the user-space
 * instructions of one embedded-hal write_read through udrv, linux-embedded-hal and a raw
 * I2C_RDWR loop (core/benches/rpi_bench.rs, `count` mode; BENCHMARKS.md says how). It is
 * i2c_ioctl_shim.c (included, its ioctl renamed) with I2C_FUNCS answered as i2c-bcm2835
 * does and I2C_RDWR filling each read message with 0x19 0x00 (a tmp105 at 25 C). At exit
 * it prints how many of each i2c-dev request it answered. */
#define ioctl smbus_shim_ioctl
#include "i2c_ioctl_shim.c"
#undef ioctl

#include <stdio.h>

struct msg {
    uint16_t addr, flags, len;
    uint8_t *buf;
};
struct rdwr {
    struct msg *msgs;
    uint32_t nmsgs;
};

static unsigned long counts[256];

static void __attribute__((destructor)) report(void)
{
    for (int r = 0; r < 256; r++)
        if (counts[r])
            fprintf(stderr, "i2c ioctl 0x07%02x: %lu\n", r, counts[r]);
}

int ioctl(int fd, unsigned long request, ...)
{
    va_list ap;
    va_start(ap, request);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if ((request & 0xff00) != 0x0700)
        return smbus_shim_ioctl(fd, request, arg);
    counts[request & 0xff]++;
    if (request == 0x0705) { /* I2C_FUNCS: I2C, SMBus emulated, protocol mangling */
        *(unsigned long *)arg = 0x0eff000dUL;
        return 0;
    }
    if (request == 0x0707) { /* I2C_RDWR */
        struct rdwr *d = arg;
        for (uint32_t i = 0; i < d->nmsgs; i++)
            if (d->msgs[i].flags & 1)
                for (uint16_t k = 0; k < d->msgs[i].len; k++)
                    d->msgs[i].buf[k] = k == 0 ? 0x19 : 0x00;
        return (int)d->nmsgs;
    }
    return smbus_shim_ioctl(fd, request, arg);
}
