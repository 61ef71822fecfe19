/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version branch of ttyscope lives here. Kbuild force-includes
 * this header into each source file.
 *
 * Supported: Linux 6.1 up to 6.12 (Debian 12's 6.1 and its 6.12 backport).
 */
#ifndef TTYSCOPE_COMPAT_H
#define TTYSCOPE_COMPAT_H

#include <linux/version.h>
#include <linux/types.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0) || \
	LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#error "ttyscope supports Linux 6.1 to 6.12"
#endif

/*
 * 6.6 ("tty: ldops: unify to u8", "make tty_ldisc_ops::*buf*() hooks operate
 * on size_t") changed the types of the receive callbacks.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
typedef u8 tsc_flag_t;
typedef size_t tsc_count_t;
typedef size_t tsc_rb2_ret_t;
typedef size_t tsc_la_count_t;
#else
typedef char tsc_flag_t;
typedef int tsc_count_t;
typedef int tsc_rb2_ret_t;
typedef unsigned int tsc_la_count_t;
#endif

/* 6.3 put vma->vm_flags behind accessors. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
#define vm_flags_clear(vma, flags) ((vma)->vm_flags &= ~(flags))
#endif

/* 6.12 added fd_file() to reach the file of a struct fd. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
#define fd_file(f) ((f).file)
#endif

#endif /* TTYSCOPE_COMPAT_H */
