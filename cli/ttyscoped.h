/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ttyscoped internals shared by its source files.
 */
#ifndef TTYSCOPED_H
#define TTYSCOPED_H

#include <stddef.h>
#include <stdint.h>

/**
 * struct tsc_control - how operator requests reach the kernel
 * @name: backend name, for messages
 * @set_pass: set the pass flag of a tty, naming the operator
 * @inject: type bytes into a tty; returns the count accepted or -errno
 * @hangup: hang a tty up
 * @attach: capture the tty open as @fd (@path is its name, for the
 *	record); on success sets *@ret_major and *@ret_minor
 * @detach: stop capturing a tty
 * @fd: the device, for the ioctl backend
 * @path: the file calls are appended to, for the fake backend
 *
 * Every call returns 0 (or a count) or a negative errno.
 */
struct tsc_control {
	const char *name;
	int (*set_pass)(struct tsc_control *ctl, uint32_t major, uint32_t minor,
			uint32_t pass, uint32_t operator_uid);
	int (*inject)(struct tsc_control *ctl, uint32_t major, uint32_t minor,
		      const void *data, size_t len, uint32_t operator_uid);
	int (*hangup)(struct tsc_control *ctl, uint32_t major, uint32_t minor);
	int (*attach)(struct tsc_control *ctl, int fd, const char *path,
		      uint32_t *ret_major, uint32_t *ret_minor);
	int (*detach)(struct tsc_control *ctl, uint32_t major, uint32_t minor);
	int fd;
	const char *path;
};

void tsc_control_init_ioctl(struct tsc_control *ctl, int fd);
void tsc_control_init_fake(struct tsc_control *ctl, const char *path);
void tsc_control_init_none(struct tsc_control *ctl);

#endif /* TTYSCOPED_H */
