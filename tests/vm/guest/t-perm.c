// SPDX-License-Identifier: GPL-2.0
/*
 * t-perm: /dev/rpl is root's only.
 *
 *   - /dev/rpl is a character device, mode 0600, owner root;
 *   - uid/gid 65534 cannot open it (EACCES, read-only and read-write);
 *   - a process holding an fd of /dev/rpl without CAP_SYS_ADMIN gets EPERM
 *     from every ioctl, with otherwise valid arguments naming a real
 *     captured tty: VERSION, LIST, SET_PASS, INJECT, HANGUP, STATS, ATTACH,
 *     DETACH, RELEASE, SET_BUFSIZE. Checked twice: after setresuid(65534)
 *     (all capabilities gone) and as uid 0 with only CAP_SYS_ADMIN dropped
 *     (capset), so the check is on the capability, not the uid;
 *   - none of those calls had an effect: the tty is still captured with
 *     pass 1, the module not released, nothing typed into the slave.
 */
#include "lib.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static struct pty p;

/* in the child: every ioctl must fail with EPERM; exit 0 if so */
static void all_eperm(int fd, const char *who)
{
	struct ttyscope_version v;
	struct ttyscope_list l = { 0 };
	struct ttyscope_stats st;
	struct ttyscope_attach a = { .fd = p.slave };
	struct ttyscope_bufsize bs = { .size = TTYSCOPE_BUF_MIN };

	EXPECT_ERRNO(ioctl(fd, TTYSCOPE_IOC_VERSION, &v), EPERM, "%s: VERSION",
		     who);
	EXPECT_ERRNO(ioctl(fd, TTYSCOPE_IOC_LIST, &l), EPERM, "%s: LIST", who);
	EXPECT_ERRNO(tsc_set_pass(fd, p.major, p.minor, 0, 0), EPERM,
		     "%s: SET_PASS", who);
	EXPECT_ERRNO(tsc_inject(fd, p.major, p.minor, "evil\n", 5, 0), EPERM,
		     "%s: INJECT", who);
	EXPECT_ERRNO(tsc_tty_op(fd, TTYSCOPE_IOC_HANGUP, p.major, p.minor),
		     EPERM, "%s: HANGUP", who);
	EXPECT_ERRNO(ioctl(fd, TTYSCOPE_IOC_STATS, &st), EPERM, "%s: STATS",
		     who);
	EXPECT_ERRNO(ioctl(fd, TTYSCOPE_IOC_ATTACH, &a), EPERM, "%s: ATTACH",
		     who);
	EXPECT_ERRNO(tsc_tty_op(fd, TTYSCOPE_IOC_DETACH, p.major, p.minor),
		     EPERM, "%s: DETACH", who);
	EXPECT_ERRNO(ioctl(fd, TTYSCOPE_IOC_RELEASE), EPERM, "%s: RELEASE",
		     who);
	EXPECT_ERRNO(ioctl(fd, TTYSCOPE_IOC_SET_BUFSIZE, &bs), EPERM,
		     "%s: SET_BUFSIZE", who);
}

static void run_child(const char *what, void (*fn)(int fd), int fd)
{
	pid_t pid = t_fork();
	int st;

	if (pid == 0) {
		fn(fd);
		_exit(0);
	}
	st = wait_child(pid, 10000, what);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "%s: child failed (status 0x%x)", what, st);
}

static void child_nobody_open(int fd)
{
	(void)fd;
	CHECK(setgroups(0, NULL) == 0 && setgid(65534) == 0 &&
		      setuid(65534) == 0,
	      "dropping to 65534: %s", strerror(errno));
	EXPECT_ERRNO(open(RPL_PATH, O_RDONLY), EACCES,
		     "uid 65534: open(/dev/rpl, O_RDONLY)");
	EXPECT_ERRNO(open(RPL_PATH, O_RDWR), EACCES,
		     "uid 65534: open(/dev/rpl, O_RDWR)");
}

static void child_nobody_fd(int fd)
{
	CHECK(setgroups(0, NULL) == 0 && setresgid(65534, 65534, 65534) == 0 &&
		      setresuid(65534, 65534, 65534) == 0,
	      "dropping to 65534: %s", strerror(errno));
	all_eperm(fd, "uid 65534 with an inherited fd");
}

static void child_nocap(int fd)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	int idx = CAP_SYS_ADMIN / 32;
	uint32_t bit = 1u << (CAP_SYS_ADMIN % 32);

	CHECK(syscall(SYS_capget, &h, d) == 0, "capget: %s", strerror(errno));
	d[idx].effective &= ~bit;
	d[idx].permitted &= ~bit;
	d[idx].inheritable &= ~bit;
	CHECK(syscall(SYS_capset, &h, d) == 0, "capset: %s", strerror(errno));
	CHECK(getuid() == 0 && geteuid() == 0, "not uid 0");
	all_eperm(fd, "uid 0 without CAP_SYS_ADMIN");
}

int main(void)
{
	struct stat st;
	struct ttyscope_version v;
	struct ttyscope_tty_info ti;
	int fd;

	t_init("t-perm", 60);
	CHECK(stat(RPL_PATH, &st) == 0, "stat %s: %s", RPL_PATH,
	      strerror(errno));
	CHECK(S_ISCHR(st.st_mode), "%s is not a character device", RPL_PATH);
	CHECK((st.st_mode & 07777) == 0600 && st.st_uid == 0,
	      "%s has mode %04o owner %u, expected 0600 owner 0 (root)",
	      RPL_PATH, st.st_mode & 07777, st.st_uid);
	t_log("ok: %s: character device, mode 0600, owner root (group %u)",
	      RPL_PATH, st.st_gid);

	fd = open(RPL_PATH, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "root: open %s: %s", RPL_PATH, strerror(errno));
	pty_open(&p);
	fd_nonblock(p.slave, true);
	CHECK(tsc_find(fd, p.major, p.minor, NULL), "%s not captured", p.name);

	run_child("uid 65534 open", child_nobody_open, fd);
	run_child("uid 65534 ioctls", child_nobody_fd, fd);
	run_child("no CAP_SYS_ADMIN ioctls", child_nocap, fd);

	/* nothing happened */
	CHECK(tsc_find(fd, p.major, p.minor, &ti), "%s no longer captured",
	      p.name);
	CHECK(ti.pass == 1 && ti.bytes_injected == 0 && ti.flags == 0,
	      "after refused ioctls: pass %u injected %llu flags 0x%x", ti.pass,
	      (unsigned long long)ti.bytes_injected, ti.flags);
	CHECK(tsc_version(fd, &v) == 0 && v.released == 0,
	      "module released by a refused RELEASE");
	CHECK(fd_quiet(p.slave, 100), "refused INJECT reached the slave");
	t_log("ok: refused ioctls had no effect");
	pty_close(&p);
	close(fd);
	t_pass();
}
