// SPDX-License-Identifier: GPL-2.0
/*
 * Control ioctls of /dev/rpl. Every argument is checked completely before
 * anything is done; docs/IOCTL.md lists the errno of every case.
 */
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/kdev_t.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "ttyscope.h"

/* Larger device numbers cannot exist (MINORBITS = 20, 12-bit majors). */
static int tsc_dev(u32 major, u32 minor, dev_t *ret_dev)
{
	if (major >= (1U << (32 - MINORBITS)) || minor > MINORMASK)
		return -ENODEV;
	*ret_dev = MKDEV(major, minor);
	return 0;
}

static long tsc_ioc_version(void __user *argp)
{
	struct ttyscope_version v = {
		.abi_version = TTYSCOPE_ABI_VERSION,
		.max_payload = TTYSCOPE_MAX_PAYLOAD,
		.inject_max = TTYSCOPE_INJECT_MAX,
		.released = ttyscope_released(),
	};

	strscpy(v.module_version, TTYSCOPE_VERSION, sizeof(v.module_version));
	return copy_to_user(argp, &v, sizeof(v)) ? -EFAULT : 0;
}

/*
 * Snapshot up to @cap states into @info under the lock. Returns the number
 * of captured ttys, which may exceed @cap.
 */
static u32 tsc_snapshot(struct ttyscope_tty_info *info, u32 cap)
{
	struct ttyscope_state *st = NULL;
	unsigned int bkt = 0;
	u32 n = 0;

	spin_lock(&ttyscope_states_lock);
	while ((st = ttyscope_next_state(st, &bkt))) {
		if (n < cap) {
			ttyscope_fill_info(st, &info[n]);
			ttyscope_read_counters(st, &info[n]);
		}
		n++;
	}
	spin_unlock(&ttyscope_states_lock);
	return n;
}

static long tsc_ioc_list(struct ttyscope_list __user *argp)
{
	struct ttyscope_tty_info *info = NULL;
	struct ttyscope_list l;
	u32 n, cap, alloc = 0;
	long ret = 0;

	if (copy_from_user(&l, argp, sizeof(l)))
		return -EFAULT;
	if (l.flags || l.reserved)
		return -EINVAL;
	for (;;) {
		cap = min(l.capacity, alloc);
		n = tsc_snapshot(info, cap);
		/* Grew while unlocked: take a larger snapshot. */
		if (n <= cap || cap == l.capacity)
			break;
		kvfree(info);
		alloc = n + 16;
		info = kvmalloc_array(min(l.capacity, alloc), sizeof(*info),
				      GFP_KERNEL);
		if (!info)
			return -ENOMEM;
	}
	cap = min(n, cap);
	if (cap && copy_to_user(u64_to_user_ptr(l.entries), info,
				array_size(cap, sizeof(*info))))
		ret = -EFAULT;
	else if (put_user(n, &argp->count))
		ret = -EFAULT;
	kvfree(info);
	return ret;
}

static long tsc_ioc_set_pass(void __user *argp)
{
	struct ttyscope_pass p;
	dev_t dev;
	int ret;

	if (copy_from_user(&p, argp, sizeof(p)))
		return -EFAULT;
	if (p.flags || p.reserved || p.pass > 1)
		return -EINVAL;
	ret = tsc_dev(p.major, p.minor, &dev);
	return ret ?: ttyscope_set_pass(dev, p.pass, p.operator_uid);
}

static long tsc_ioc_inject(void __user *argp)
{
	struct ttyscope_inject in;
	dev_t dev;
	void *buf;
	long ret;

	if (copy_from_user(&in, argp, sizeof(in)))
		return -EFAULT;
	if (in.flags || in.reserved || !in.len)
		return -EINVAL;
	if (in.len > TTYSCOPE_INJECT_MAX)
		return -E2BIG;
	ret = tsc_dev(in.major, in.minor, &dev);
	if (ret)
		return ret;
	buf = memdup_user(u64_to_user_ptr(in.data), in.len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	ret = ttyscope_inject(dev, buf, in.len, in.operator_uid);
	kfree(buf);
	return ret;
}

static int tsc_get_tty_arg(void __user *argp, dev_t *ret_dev)
{
	struct ttyscope_tty t;

	if (copy_from_user(&t, argp, sizeof(t)))
		return -EFAULT;
	if (t.flags || t.reserved)
		return -EINVAL;
	return tsc_dev(t.major, t.minor, ret_dev);
}

static long tsc_ioc_hangup(void __user *argp)
{
	dev_t dev;
	int ret;

	ret = tsc_get_tty_arg(argp, &dev);
	return ret ?: ttyscope_hangup(dev);
}

static long tsc_ioc_detach(void __user *argp)
{
	dev_t dev;
	int ret;

	ret = tsc_get_tty_arg(argp, &dev);
	if (ret)
		return ret;
	mutex_lock(&ttyscope_ctl_mutex);
	ret = ttyscope_detach(dev);
	mutex_unlock(&ttyscope_ctl_mutex);
	return ret;
}

static long tsc_ioc_stats(struct file *file, void __user *argp)
{
	struct ttyscope_stats s;

	ttyscope_get_stats(file, &s);
	return copy_to_user(argp, &s, sizeof(s)) ? -EFAULT : 0;
}

/* A file is a tty if it has the tty layer's ioctl (hung-up files do not). */
static bool tsc_is_tty_file(struct file *file)
{
	return file->f_op->unlocked_ioctl &&
	       file->f_op->unlocked_ioctl == ttyscope_tty_ioctl;
}

static long tsc_ioc_attach(struct ttyscope_attach __user *argp)
{
	struct ttyscope_attach a;
	struct fd f;
	dev_t dev;
	long ret;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	if (a.flags)
		return -EINVAL;
	f = fdget(a.fd);
	if (!fd_file(f))
		return -EBADF;
	if (!tsc_is_tty_file(fd_file(f))) {
		ret = -ENOTTY;
		goto out;
	}
	mutex_lock(&ttyscope_ctl_mutex);
	ret = ttyscope_released() ? -ESHUTDOWN :
				    ttyscope_attach(fd_file(f), &dev);
	mutex_unlock(&ttyscope_ctl_mutex);
	if (!ret && (put_user(MAJOR(dev), &argp->major) ||
		     put_user(MINOR(dev), &argp->minor)))
		ret = -EFAULT;
out:
	fdput(f);
	return ret;
}

static long tsc_ioc_set_bufsize(struct file *file, void __user *argp)
{
	struct ttyscope_bufsize b;

	if (copy_from_user(&b, argp, sizeof(b)))
		return -EFAULT;
	if (b.flags)
		return -EINVAL;
	return ttyscope_set_bufsize(file, b.size);
}

static long tsc_ioc_release(void)
{
	int ret;

	mutex_lock(&ttyscope_ctl_mutex);
	ret = ttyscope_release();
	mutex_unlock(&ttyscope_ctl_mutex);
	return ret;
}

/**
 * ttyscope_ioctl() - the ioctls of /dev/rpl
 * @file: the reader the ioctl is made on
 * @cmd: request
 * @arg: user pointer to the request's structure
 *
 * Return: see docs/IOCTL.md.
 * Context: process; may sleep.
 */
long ttyscope_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	if (_IOC_TYPE(cmd) != TTYSCOPE_IOC_MAGIC)
		return -ENOTTY;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	switch (cmd) {
	case TTYSCOPE_IOC_VERSION:
		return tsc_ioc_version(argp);
	case TTYSCOPE_IOC_LIST:
		return tsc_ioc_list(argp);
	case TTYSCOPE_IOC_SET_PASS:
		return tsc_ioc_set_pass(argp);
	case TTYSCOPE_IOC_INJECT:
		return tsc_ioc_inject(argp);
	case TTYSCOPE_IOC_HANGUP:
		return tsc_ioc_hangup(argp);
	case TTYSCOPE_IOC_STATS:
		return tsc_ioc_stats(file, argp);
	case TTYSCOPE_IOC_ATTACH:
		return tsc_ioc_attach(argp);
	case TTYSCOPE_IOC_DETACH:
		return tsc_ioc_detach(argp);
	case TTYSCOPE_IOC_RELEASE:
		return tsc_ioc_release();
	case TTYSCOPE_IOC_SET_BUFSIZE:
		return tsc_ioc_set_bufsize(file, argp);
	default:
		return -ENOTTY;
	}
}
