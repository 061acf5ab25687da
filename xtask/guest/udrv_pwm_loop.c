// SPDX-License-Identifier: GPL-2.0
/*
 * udrv's test fixture for the kernel's pwm-gpio driver (Linux 6.11 and later) in the x86
 * guest, which has no device tree to describe a PWM on a GPIO line.
 *
 * Loading it creates:
 *  - a GPIO chip labelled "udrv-pwm-loop" with two lines joined by a wire: line 0
 *    ("pwm-out", output only) drives line 1 ("pwm-in", input only), whose edges raise
 *    interrupts (an irq_sim domain), so a program reads the output's waveform back as GPIO
 *    edge events with the kernel's timestamps. Neither line sleeps (a spinlock, no mutex):
 *    pwm-gpio toggles its line from an hrtimer and refuses a chip that can sleep, such as
 *    gpio-sim;
 *  - a GPIO lookup table giving the device "pwm-gpio" line 0 of that chip, and the
 *    platform device "pwm-gpio", which the kernel's pwm-gpio driver binds by name: a real
 *    PWM chip (/sys/class/pwm/pwmchipN, one channel) whose output is line 0.
 *
 * The PWM core, its sysfs interface and pwm-gpio are the kernel's own; only the wire is
 * ours. Built as an out-of-tree file inside the guest kernel's tree by xtask (vm.rs).
 */

#include <linux/gpio/driver.h>
#include <linux/gpio/machine.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irq_sim.h>
#include <linux/irqdomain.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/spinlock.h>

#define LOOP_LABEL "udrv-pwm-loop"
#define LOOP_OUT 0
#define LOOP_IN 1

struct loop {
	struct gpio_chip gc;
	struct irq_domain *domain;
	spinlock_t lock;
	bool level;
};

static const char *const loop_names[] = { "pwm-out", "pwm-in" };

static int loop_get(struct gpio_chip *gc, unsigned int offset)
{
	struct loop *l = gpiochip_get_data(gc);
	unsigned long flags;
	int v;

	spin_lock_irqsave(&l->lock, flags);
	v = l->level;
	spin_unlock_irqrestore(&l->lock, flags);
	return v;
}

static void loop_set(struct gpio_chip *gc, unsigned int offset, int value)
{
	struct loop *l = gpiochip_get_data(gc);
	unsigned long flags;
	unsigned int irq, type;
	bool changed;

	if (offset != LOOP_OUT)
		return;
	spin_lock_irqsave(&l->lock, flags);
	changed = l->level != !!value;
	l->level = !!value;
	spin_unlock_irqrestore(&l->lock, flags);
	if (!changed)
		return;
	/* No mapping: nobody watches line 1's edges. */
	irq = irq_find_mapping(l->domain, LOOP_IN);
	if (!irq)
		return;
	type = irq_get_trigger_type(irq);
	if ((value && (type & IRQ_TYPE_EDGE_RISING)) ||
	    (!value && (type & IRQ_TYPE_EDGE_FALLING)))
		irq_set_irqchip_state(irq, IRQCHIP_STATE_PENDING, true);
}

static int loop_get_direction(struct gpio_chip *gc, unsigned int offset)
{
	return offset == LOOP_OUT ? GPIO_LINE_DIRECTION_OUT : GPIO_LINE_DIRECTION_IN;
}

static int loop_direction_input(struct gpio_chip *gc, unsigned int offset)
{
	return offset == LOOP_IN ? 0 : -EPERM;
}

static int loop_direction_output(struct gpio_chip *gc, unsigned int offset, int value)
{
	if (offset != LOOP_OUT)
		return -EPERM;
	loop_set(gc, offset, value);
	return 0;
}

static int loop_to_irq(struct gpio_chip *gc, unsigned int offset)
{
	struct loop *l = gpiochip_get_data(gc);

	if (offset != LOOP_IN)
		return -ENXIO;
	return irq_create_mapping(l->domain, offset);
}

static void loop_dispose_mapping(void *data)
{
	struct loop *l = data;
	unsigned int irq = irq_find_mapping(l->domain, LOOP_IN);

	if (irq)
		irq_dispose_mapping(irq);
}

static int loop_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct loop *l;
	int ret;

	l = devm_kzalloc(dev, sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	spin_lock_init(&l->lock);
	l->domain = devm_irq_domain_create_sim(dev, NULL, 2);
	if (IS_ERR(l->domain))
		return PTR_ERR(l->domain);
	ret = devm_add_action_or_reset(dev, loop_dispose_mapping, l);
	if (ret)
		return ret;

	l->gc.label = LOOP_LABEL;
	l->gc.parent = dev;
	l->gc.owner = THIS_MODULE;
	l->gc.base = -1;
	l->gc.ngpio = 2;
	l->gc.names = loop_names;
	l->gc.can_sleep = false;
	l->gc.get = loop_get;
	l->gc.set = loop_set;
	l->gc.get_direction = loop_get_direction;
	l->gc.direction_input = loop_direction_input;
	l->gc.direction_output = loop_direction_output;
	l->gc.to_irq = loop_to_irq;
	return devm_gpiochip_add_data(dev, &l->gc, l);
}

static struct platform_driver loop_driver = {
	.driver = { .name = LOOP_LABEL },
	.probe = loop_probe,
};

static struct gpiod_lookup_table loop_lookup = {
	.dev_id = "pwm-gpio",
	.table = {
		GPIO_LOOKUP(LOOP_LABEL, LOOP_OUT, NULL, GPIO_ACTIVE_HIGH),
		{ },
	},
};

static struct platform_device *loop_pdev;
static struct platform_device *pwm_pdev;

static int __init loop_init(void)
{
	int ret = platform_driver_register(&loop_driver);

	if (ret)
		return ret;
	loop_pdev = platform_device_register_simple(LOOP_LABEL, PLATFORM_DEVID_NONE, NULL, 0);
	if (IS_ERR(loop_pdev)) {
		ret = PTR_ERR(loop_pdev);
		goto err_driver;
	}
	gpiod_add_lookup_table(&loop_lookup);
	pwm_pdev = platform_device_register_simple("pwm-gpio", PLATFORM_DEVID_NONE, NULL, 0);
	if (IS_ERR(pwm_pdev)) {
		ret = PTR_ERR(pwm_pdev);
		goto err_lookup;
	}
	return 0;

err_lookup:
	gpiod_remove_lookup_table(&loop_lookup);
	platform_device_unregister(loop_pdev);
err_driver:
	platform_driver_unregister(&loop_driver);
	return ret;
}

static void __exit loop_exit(void)
{
	platform_device_unregister(pwm_pdev);
	gpiod_remove_lookup_table(&loop_lookup);
	platform_device_unregister(loop_pdev);
	platform_driver_unregister(&loop_driver);
}

module_init(loop_init);
module_exit(loop_exit);
MODULE_DESCRIPTION("udrv test fixture: a PWM on a GPIO line looped back to an input");
MODULE_LICENSE("GPL");
