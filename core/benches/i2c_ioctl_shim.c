/* An LD_PRELOAD stand-in for the kernel's i2c-dev ioctls, so that callgrind on the host
 * can count the user-space instructions of one SMBus transaction through udrv, i2cdev and
 * a raw loop (core/benches/guest_bench.rs, `count` mode; BENCHMARKS.md says how).
 * Every i2c-dev request (type 0x07) succeeds at once; I2C_FUNCS answers what i2c-stub
 * reports; I2C_SMBUS reads give 0x5a. Anything else goes to the real ioctl. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stdint.h>

struct smbus_args {
    uint8_t read_write;
    uint8_t command;
    uint32_t size;
    uint8_t *data;
};

int ioctl(int fd, unsigned long request, ...)
{
    va_list ap;
    va_start(ap, request);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if ((request & 0xff00) == 0x0700) {
        if (request == 0x0705) /* I2C_FUNCS */
            *(unsigned long *)arg = 0x0c7f0000UL;
        else if (request == 0x0720) { /* I2C_SMBUS */
            struct smbus_args *a = arg;
            if (a->read_write == 1 && a->data)
                a->data[0] = 0x5a;
        }
        return 0;
    }
    int (*real)(int, unsigned long, void *) =
        (int (*)(int, unsigned long, void *))dlsym(RTLD_NEXT, "ioctl");
    return real(fd, request, arg);
}
