// SPDX-License-Identifier: GPL-2.0
/*
 * ttyscope: capture and control every tty on a stock kernel.
 *
 * The module takes over the N_TTY line discipline slot with an n_tty
 * wrapper (ttyscope_ldisc.c), exports records through /dev/rpl
 * (ttyscope_rpl.c) and is controlled by ioctls (ttyscope_ioctl.c).
 *
 * Unloading: while slot 0 points at our ops, a module in MODULE_STATE_GOING
 * would make every new tty fail to open, so the module pins itself at load
 * and drops the pin only from RELEASE, after the kernel's own n_tty is back
 * in slot 0 and every tty has been given back.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/srcu.h>
#include <linux/workqueue.h>

#include "ttyscope.h"

DEFINE_SRCU(ttyscope_srcu);
DEFINE_MUTEX(ttyscope_ctl_mutex);
long (*ttyscope_tty_ioctl)(struct file *file, unsigned int cmd,
			   unsigned long arg);

/* Set once by RELEASE, under ttyscope_states_lock and ttyscope_ctl_mutex. */
static bool tsc_released;

/* Module references to drop once no caller can be inside our methods. */
static atomic_t tsc_owed_puts = ATOMIC_INIT(0);
static struct workqueue_struct *tsc_wq;

static struct miscdevice tsc_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "rpl",
	.fops = &ttyscope_rpl_fops,
	.mode = 0600,
};

bool ttyscope_released(void)
{
	return READ_ONCE(tsc_released);
}

/*
 * Drop owed module references after every caller that might still run our
 * code has left it: one that loaded our ops pointer but has not yet entered
 * (RCU tasks), one inside a method (SRCU; n_tty_write can sleep there for
 * as long as flow control holds it), and one between leaving the read-side
 * section and returning (RCU tasks again).
 */
static void tsc_drain(struct work_struct *work)
{
	int n = atomic_xchg(&tsc_owed_puts, 0);

	if (!n)
		return;
	synchronize_rcu_tasks();
	synchronize_srcu(&ttyscope_srcu);
	synchronize_rcu_tasks();
	while (n--)
		module_put(THIS_MODULE);
}
static DECLARE_WORK(tsc_drain_work, tsc_drain);

/**
 * ttyscope_owe_put() - drop a module reference once it is safe
 *
 * Called after ops were given back to the kernel's n_tty, and by RELEASE
 * for the module's pin on itself.
 */
void ttyscope_owe_put(void)
{
	atomic_inc(&tsc_owed_puts);
	queue_work(tsc_wq, &tsc_drain_work);
}

/**
 * ttyscope_release() - give every tty back to the kernel's n_tty
 *
 * Return: 0, or -EALREADY if already released.
 * Context: process; the caller holds ttyscope_ctl_mutex.
 */
int ttyscope_release(void)
{
	lockdep_assert_held(&ttyscope_ctl_mutex);
	if (tsc_released)
		return -EALREADY;
	/* From now on new ttys get n_tty itself... */
	tty_register_ldisc(ttyscope_orig);
	/* ...and ttys opening on our ops, allocated just before, drop them. */
	spin_lock(&ttyscope_states_lock);
	WRITE_ONCE(tsc_released, true);
	spin_unlock(&ttyscope_states_lock);
	ttyscope_detach_all();
	ttyscope_owe_put();
	pr_info("ttyscope: released; every tty runs on n_tty again\n");
	return 0;
}

/*
 * The kernel has no getter for its n_tty ops, and slot 0 must get them back
 * at unload. A pty opened before the takeover runs on them: read them from
 * its ldisc, and check they are n_tty's. The same file gives the tty layer's
 * ioctl method, which identifies tty files for ATTACH.
 */
static int tsc_find_n_tty(void)
{
	struct tty_file_private *priv;
	struct tty_ldisc *ld;
	struct file *f;
	int ret = 0;

	f = filp_open("/dev/ptmx", O_RDWR | O_NOCTTY | O_NONBLOCK, 0);
	if (IS_ERR(f)) {
		pr_err("ttyscope: cannot open /dev/ptmx (%ld), needed to find n_tty\n",
		       PTR_ERR(f));
		return PTR_ERR(f);
	}
	priv = f->private_data;
	ld = tty_ldisc_ref(priv->tty);
	if (!ld) {
		ret = -EIO;
		goto out;
	}
	if (ld->ops->num != N_TTY ||
	    ld->ops->receive_buf2 != ttyscope_n_tty.receive_buf2 ||
	    ld->ops->write != ttyscope_n_tty.write) {
		pr_err("ttyscope: the N_TTY slot does not hold the kernel's n_tty\n");
		ret = -EBUSY;
	} else {
		ttyscope_orig = ld->ops;
		ttyscope_tty_ioctl = f->f_op->unlocked_ioctl;
	}
	tty_ldisc_deref(ld);
out:
	filp_close(f, NULL);
	return ret;
}

static int __init ttyscope_init(void)
{
	int ret;

	ttyscope_ldisc_init();
	ret = tsc_find_n_tty();
	if (ret)
		return ret;

	tsc_wq = alloc_workqueue("ttyscope", WQ_UNBOUND, 1);
	if (!tsc_wq)
		return -ENOMEM;
	ret = misc_register(&tsc_misc);
	if (ret)
		goto err_destroy_wq;

	__module_get(THIS_MODULE);
	ret = tty_register_ldisc(&ttyscope_wrap);
	if (ret)
		goto err_unpin;
	pr_info("ttyscope %s: capturing every new tty; /dev/rpl ready\n",
		TTYSCOPE_VERSION);
	return 0;

err_unpin:
	module_put(THIS_MODULE);
	misc_deregister(&tsc_misc);
err_destroy_wq:
	destroy_workqueue(tsc_wq);
	return ret;
}

/*
 * Reached only after RELEASE dropped the module's pin and every reference
 * was put, so no tty runs our ops any more.
 */
static void __exit ttyscope_exit(void)
{
	misc_deregister(&tsc_misc);
	/* The last module_put() ran in the drain work: let it return. */
	destroy_workqueue(tsc_wq);
	srcu_barrier(&ttyscope_srcu);
}

module_init(ttyscope_init);
module_exit(ttyscope_exit);

MODULE_DESCRIPTION("Capture and control every tty (/dev/rpl)");
MODULE_AUTHOR("The ttyscope authors");
MODULE_LICENSE("GPL");
MODULE_VERSION(TTYSCOPE_VERSION);
