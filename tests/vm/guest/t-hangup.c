// SPDX-License-Identifier: GPL-2.0
/*
 * t-hangup: the HANGUP ioctl.
 *
 * 1. A child calls setsid(), opens the slave (its controlling tty) and
 *    waits. HANGUP returns 0, and by then (documented: HANGUP returns after
 *    the hangup is complete) HANGUP and CLOSE are already queued on a
 *    reader and the tty is no longer listed. The child dies of SIGHUP. The
 *    capture is OPEN ... HANGUP, CLOSE with contiguous seq. HANGUP, SET_PASS,
 *    INJECT and DETACH on the tty then fail with ENODEV, ATTACH of the
 *    hung-up slave fd with ENOTTY, and no further record appears.
 * 2. A pty without a session, with a child blocked in read() on the slave:
 *    HANGUP returns 0, the blocked read() returns (0 or EIO), the slave fd
 *    reads EOF and write() fails with EIO; HANGUP then CLOSE are recorded.
 */
#include "lib.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static struct rstream *rs; /* threaded */
static struct rstream *rs2; /* drained by hand, to see what HANGUP queued */
static int ctl;

static void check_hangup_records(const struct pty *p, size_t from, size_t from2,
				 const char *what)
{
	struct tview tv;
	long h, c;

	/* already queued on rs2 when the ioctl returned */
	rs_drain(rs2, 0);
	rs_lock(rs2);
	h = rs_find(rs2, from2, p->major, p->minor, TTYSCOPE_REC_HANGUP);
	c = rs_find(rs2, from2, p->major, p->minor, TTYSCOPE_REC_CLOSE);
	rs_unlock(rs2);
	CHECK(h >= 0 && c > h,
	      "%s: when HANGUP returned, HANGUP (#%ld) and CLOSE (#%ld) were "
	      "not both queued, in that order",
	      what, h, c);

	CHECK(rs_wait_rec(rs, from, p->major, p->minor, TTYSCOPE_REC_CLOSE,
			  5000) >= 0,
	      "%s: no CLOSE", what);
	tv_build(rs, from, p->major, p->minor, &tv);
	tv_check_capture(&tv, what, p->name, 0, 0, ~0ull);
	if (tv.n < 3 || tv.r[tv.n - 2].type != TTYSCOPE_REC_HANGUP) {
		tv_print(&tv, 30);
		FAIL("%s: the record before CLOSE is not HANGUP", what);
	}
	for (size_t i = 0; i < tv.n - 2; i++)
		CHECK(tv.r[i].type != TTYSCOPE_REC_HANGUP,
		      "%s: more than one HANGUP", what);
	t_log("ok: %s: OPEN .. HANGUP, CLOSE, seq 0..%llu", what,
	      (unsigned long long)tv.r[tv.n - 1].seq);
	tv_free(&tv);
}

/* after closing the pair: still no record for it */
static void check_quiet_after_close(struct pty *p, size_t from)
{
	long c = rs_wait_rec(rs, from, p->major, p->minor, TTYSCOPE_REC_CLOSE,
			     0);

	CHECK(c >= 0, "no CLOSE");
	pty_close(p);
	CHECK(rs_wait_rec(rs, c + 1, p->major, p->minor, 0, 300) < 0,
	      "a record for %s appeared when the hung-up pair was closed",
	      p->name);
	t_log("ok: closing the hung-up pair produces no record");
}

static void check_gone(const struct pty *p, size_t from, const char *what)
{
	long idx;
	char c = 'x';

	CHECK(!tsc_find(ctl, p->major, p->minor, NULL),
	      "%s: %s still listed after HANGUP returned", what, p->name);
	t_log("ok: %s: %s no longer listed", what, p->name);
	EXPECT_ERRNO(tsc_tty_op(ctl, TTYSCOPE_IOC_HANGUP, p->major, p->minor),
		     ENODEV, "%s: second HANGUP", what);
	EXPECT_ERRNO(tsc_set_pass(ctl, p->major, p->minor, 0, 0), ENODEV,
		     "%s: SET_PASS after HANGUP", what);
	EXPECT_ERRNO(tsc_inject(ctl, p->major, p->minor, &c, 1, 0), ENODEV,
		     "%s: INJECT after HANGUP", what);
	EXPECT_ERRNO(tsc_tty_op(ctl, TTYSCOPE_IOC_DETACH, p->major, p->minor),
		     ENODEV, "%s: DETACH after HANGUP", what);
	EXPECT_ERRNO(tsc_attach(ctl, p->slave, NULL, NULL), ENOTTY,
		     "%s: ATTACH of the hung-up slave fd", what);
	idx = rs_wait_rec(rs, from, p->major, p->minor, TTYSCOPE_REC_CLOSE,
			  5000);
	CHECK(idx >= 0, "no CLOSE");
	idx = rs_wait_rec(rs, idx + 1, p->major, p->minor, 0, 300);
	CHECK(idx < 0, "%s: a record for %s after its CLOSE", what, p->name);
}

static void session_leader(void)
{
	struct pty p;
	int rp[2], st;
	char c;
	pid_t child;
	size_t m = rs_count(rs), m2;

	pty_open(&p);
	CHECK(rs_wait_rec(rs, m, p.major, p.minor, TTYSCOPE_REC_OPEN, 5000) >=
		      0,
	      "no OPEN for %s", p.name);
	CHECK(pipe(rp) == 0, "pipe");
	child = t_fork();
	if (child == 0) {
		int fd;

		close(rp[0]);
		if (setsid() < 0)
			_exit(10);
		fd = open(p.path, O_RDWR); /* controlling tty */
		if (fd < 0 || tcgetsid(fd) != getpid())
			_exit(11);
		if (write(rp[1], "r", 1) != 1)
			_exit(12);
		for (;;)
			pause();
	}
	t_track_child(child);
	close(rp[1]);
	CHECK(read(rp[0], &c, 1) == 1,
	      "child could not make %s its controlling tty", p.path);
	close(rp[0]);
	/* some traffic, so the session is known to the module */
	write_all(p.master, "x", 1, "typing");
	CHECK(rs_wait_bytes(rs, m, p.major, p.minor, TTYSCOPE_REC_IN, 1, 5000),
	      "no IN record");

	rs_drain(rs2, 0);
	m2 = rs_count(rs2);
	EXPECT_OK(tsc_tty_op(ctl, TTYSCOPE_IOC_HANGUP, p.major, p.minor),
		  "HANGUP %s (controlling tty of pid %d)", p.name, (int)child);
	check_gone(&p, m, "session");
	st = wait_child(child, 5000, "session leader after HANGUP");
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGHUP,
	      "session leader status 0x%x, expected death by SIGHUP", st);
	t_log("ok: session leader died of SIGHUP");
	check_hangup_records(&p, m, m2, "session");
	check_quiet_after_close(&p, m);
}

static void blocked_reader(void)
{
	struct pty q;
	int rp[2], st;
	int32_t res[2];
	char c;
	pid_t child;
	size_t m = rs_count(rs), m2;

	pty_open(&q);
	CHECK(rs_wait_rec(rs, m, q.major, q.minor, TTYSCOPE_REC_OPEN, 5000) >=
		      0,
	      "no OPEN for %s", q.name);
	CHECK(pipe(rp) == 0, "pipe");
	child = t_fork();
	if (child == 0) {
		ssize_t n;

		close(rp[0]);
		n = read(q.slave, &c, 1);
		res[0] = (int32_t)n;
		res[1] = n < 0 ? errno : 0;
		_exit(write(rp[1], res, sizeof(res)) == sizeof(res) ? 0 : 2);
	}
	close(rp[1]);
	CHECK(wait_blocked(child, SYS_read, 5000),
	      "child not blocked in read() on the slave");

	rs_drain(rs2, 0);
	m2 = rs_count(rs2);
	EXPECT_OK(tsc_tty_op(ctl, TTYSCOPE_IOC_HANGUP, q.major, q.minor),
		  "HANGUP %s (no session, reader blocked)", q.name);
	CHECK(read(rp[0], res, sizeof(res)) == sizeof(res),
	      "no report from the blocked reader");
	CHECK(res[0] == 0 || (res[0] == -1 && res[1] == EIO),
	      "blocked read() after HANGUP returned %d/%s, expected 0 or EIO",
	      res[0], errname(res[1]));
	t_log("ok: blocked read() returned %d%s%s after HANGUP", res[0],
	      res[0] < 0 ? "/" : "", res[0] < 0 ? errname(res[1]) : "");
	st = wait_child(child, 5000, "reader");
	CHECK(WIFEXITED(st) && !WEXITSTATUS(st), "reader status 0x%x", st);
	CHECK(read(q.slave, &c, 1) == 0,
	      "read on the hung-up slave fd: not EOF");
	EXPECT_ERRNO(write(q.slave, "x", 1), EIO, "write on the hung-up slave");
	check_gone(&q, m, "no session");
	check_hangup_records(&q, m, m2, "no session");
	close(rp[0]);
	check_quiet_after_close(&q, m);
}

int main(void)
{
	t_init("t-hangup", 120);
	rs = rs_open("main", 4u << 20);
	ctl = rs->fd;
	rs_start(rs);
	rs2 = rs_open("direct", 4u << 20);

	session_leader();
	blocked_reader();
	rs_close(rs2);
	rs_close(rs);
	t_pass();
}
