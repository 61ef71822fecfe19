// SPDX-License-Identifier: GPL-2.0-only
/*
 * ttyscoped control backends: what the daemon does for an operator's
 * block, inject, hangup, attach and detach requests.
 *
 *   ioctl  the real one: ioctls on /dev/rpl (docs/IOCTL.md)
 *   fake   --fake-control FILE: appends one line per call to FILE and
 *          answers success, so tests can assert the exact requests
 *   none   the device is a FIFO or a file: every call fails EOPNOTSUPP
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/ttyscope.h>

#include "ttyscoped.h"

static int ioctl_set_pass(struct tsc_control *ctl, uint32_t major,
			  uint32_t minor, uint32_t pass, uint32_t operator_uid)
{
	struct ttyscope_pass p = {
		.major = major,
		.minor = minor,
		.pass = pass,
		.operator_uid = operator_uid,
	};

	return ioctl(ctl->fd, TTYSCOPE_IOC_SET_PASS, &p) < 0 ? -errno : 0;
}

static int ioctl_inject(struct tsc_control *ctl, uint32_t major, uint32_t minor,
			const void *data, size_t len, uint32_t operator_uid)
{
	struct ttyscope_inject in = {
		.major = major,
		.minor = minor,
		.len = (uint32_t)len,
		.operator_uid = operator_uid,
		.data = (uintptr_t)data,
	};
	int r = ioctl(ctl->fd, TTYSCOPE_IOC_INJECT, &in);

	return r < 0 ? -errno : r;
}

static int ioctl_tty(int fd, unsigned long req, uint32_t major, uint32_t minor)
{
	struct ttyscope_tty t = { .major = major, .minor = minor };

	return ioctl(fd, req, &t) < 0 ? -errno : 0;
}

static int ioctl_hangup(struct tsc_control *ctl, uint32_t major, uint32_t minor)
{
	return ioctl_tty(ctl->fd, TTYSCOPE_IOC_HANGUP, major, minor);
}

static int ioctl_detach(struct tsc_control *ctl, uint32_t major, uint32_t minor)
{
	return ioctl_tty(ctl->fd, TTYSCOPE_IOC_DETACH, major, minor);
}

static int ioctl_attach(struct tsc_control *ctl, int fd, const char *path,
			uint32_t *ret_major, uint32_t *ret_minor)
{
	struct ttyscope_attach a = { .fd = fd };

	if (ioctl(ctl->fd, TTYSCOPE_IOC_ATTACH, &a) < 0)
		return -errno;
	*ret_major = a.major;
	*ret_minor = a.minor;
	return 0;
}

/* Append one line to the fake backend's file with a single write(). */
static int fake_line(struct tsc_control *ctl, const char *line, size_t len)
{
	int fd = open(ctl->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		      0600);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, line, len);
	if (n < 0 || (size_t)n != len) {
		int err = n < 0 ? errno : EIO;

		close(fd);
		return -err;
	}
	return close(fd) < 0 ? -errno : 0;
}

static int fake_printf(struct tsc_control *ctl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fake_printf(struct tsc_control *ctl, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -EOVERFLOW;
	return fake_line(ctl, line, (size_t)n);
}

static int fake_set_pass(struct tsc_control *ctl, uint32_t major,
			 uint32_t minor, uint32_t pass, uint32_t operator_uid)
{
	return fake_printf(ctl, "set_pass %u:%u pass=%u operator=%u\n", major,
			   minor, pass, operator_uid);
}

/* inject MAJ:MIN operator=UID len=N data=HEX: the bytes in hex. */
static int fake_inject(struct tsc_control *ctl, uint32_t major, uint32_t minor,
		       const void *data, size_t len, uint32_t operator_uid)
{
	static const char hex[] = "0123456789abcdef";
	char line[128 + 2 * TTYSCOPE_INJECT_MAX];
	const uint8_t *p = data;
	int n, r;

	if (len == 0)
		return -EINVAL;
	if (len > TTYSCOPE_INJECT_MAX)
		return -E2BIG;
	n = snprintf(line, 128, "inject %u:%u operator=%u len=%zu data=", major,
		     minor, operator_uid, len);
	for (size_t i = 0; i < len; i++) {
		line[n++] = hex[p[i] >> 4];
		line[n++] = hex[p[i] & 15];
	}
	line[n++] = '\n';
	r = fake_line(ctl, line, (size_t)n);
	return r < 0 ? r : (int)len;
}

static int fake_hangup(struct tsc_control *ctl, uint32_t major, uint32_t minor)
{
	return fake_printf(ctl, "hangup %u:%u\n", major, minor);
}

static int fake_detach(struct tsc_control *ctl, uint32_t major, uint32_t minor)
{
	return fake_printf(ctl, "detach %u:%u\n", major, minor);
}

/* The device number is the node's (0:0 for a file that is not one). */
static int fake_attach(struct tsc_control *ctl, int fd, const char *path,
		       uint32_t *ret_major, uint32_t *ret_minor)
{
	struct stat st;
	int r;

	if (fstat(fd, &st) < 0)
		return -errno;
	r = fake_printf(ctl, "attach %s\n", path);
	if (r < 0)
		return r;
	*ret_major = S_ISCHR(st.st_mode) ? major(st.st_rdev) : 0;
	*ret_minor = S_ISCHR(st.st_mode) ? minor(st.st_rdev) : 0;
	return 0;
}

static int none_set_pass(struct tsc_control *ctl, uint32_t major,
			 uint32_t minor, uint32_t pass, uint32_t operator_uid)
{
	return -EOPNOTSUPP;
}

static int none_inject(struct tsc_control *ctl, uint32_t major, uint32_t minor,
		       const void *data, size_t len, uint32_t operator_uid)
{
	return -EOPNOTSUPP;
}

static int none_tty(struct tsc_control *ctl, uint32_t major, uint32_t minor)
{
	return -EOPNOTSUPP;
}

static int none_attach(struct tsc_control *ctl, int fd, const char *path,
		       uint32_t *ret_major, uint32_t *ret_minor)
{
	return -EOPNOTSUPP;
}

void tsc_control_init_ioctl(struct tsc_control *ctl, int fd)
{
	*ctl = (struct tsc_control){
		.name = "ioctl",
		.set_pass = ioctl_set_pass,
		.inject = ioctl_inject,
		.hangup = ioctl_hangup,
		.attach = ioctl_attach,
		.detach = ioctl_detach,
		.fd = fd,
	};
}

void tsc_control_init_fake(struct tsc_control *ctl, const char *path)
{
	*ctl = (struct tsc_control){
		.name = "fake",
		.set_pass = fake_set_pass,
		.inject = fake_inject,
		.hangup = fake_hangup,
		.attach = fake_attach,
		.detach = fake_detach,
		.fd = -1,
		.path = path,
	};
}

void tsc_control_init_none(struct tsc_control *ctl)
{
	*ctl = (struct tsc_control){
		.name = "none",
		.set_pass = none_set_pass,
		.inject = none_inject,
		.hangup = none_tty,
		.attach = none_attach,
		.detach = none_tty,
		.fd = -1,
	};
}
