// SPDX-License-Identifier: GPL-2.0
/*
 * t-attach: DETACH and ATTACH keep a live tty's state and are invisible to
 * the processes using it.
 *
 * A child puts the slave in canonical mode and blocks in read(). Twice
 * (ATTACH through the slave fd, then through the master fd):
 *   - DETACH: CLOSE with TTYSCOPE_RF_ATTACHED, the tty is no longer
 *     listed, DETACH/SET_PASS on it give ENODEV;
 *   - a half line ("partial", no newline) is typed: it is echoed, the
 *     child's read() does not return, and no record appears;
 *   - ATTACH: returns the slave's major/minor, OPEN (seq 0) with
 *     TTYSCOPE_RF_ATTACHED, listed with TTYSCOPE_TF_ATTACHED; a second
 *     ATTACH (either end) gives EEXIST;
 *   - "\n" is typed: the child reads exactly "partial\n" (the half line
 *     survived) and never sees an error; the "\n" is captured as IN and
 *     its echo "\r\n" as OUT.
 * A writer blocked in write() on a slave (the master not reading) survives
 * DETACH+ATTACH: it completes with the full count and the master reads the
 * exact bytes.
 * ATTACH errors: a pipe, /dev/null, a regular file, /dev/rpl itself ->
 * ENOTTY; fd -1, a closed fd, a huge fd -> EBADF.
 */
#include "lib.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct report {
	int32_t n; /* read()/write() result */
	int32_t err; /* errno if n < 0 */
};

static struct rstream *rs;
static int ctl;

/* child: read twice from the slave, report every result on @out */
static void reader_child(int slave, int out)
{
	for (int round = 0; round < 2; round++) {
		char buf[512];
		struct report rep;
		ssize_t n = read(slave, buf, sizeof(buf));

		rep.n = (int32_t)n;
		rep.err = n < 0 ? errno : 0;
		if (write(out, &rep, sizeof(rep)) != sizeof(rep) ||
		    (n > 0 && write(out, buf, n) != n))
			_exit(2);
		if (n <= 0)
			_exit(3);
	}
	_exit(0);
}

static void expect_record(long idx, const char *what)
{
	if (idx < 0)
		FAIL("%s: record did not appear within 5 s", what);
}

static void check_open_rec(long idx, const struct pty *p, uint32_t flags,
			   const char *what)
{
	struct trec r;
	struct ttyscope_rec_open o;

	expect_record(idx, what);
	rs_lock(rs);
	rs_get(rs, idx, &r);
	memcpy(&o, r.p, sizeof(o));
	rs_unlock(rs);
	CHECK(r.seq == 0 && r.flags == flags &&
		      !strncmp(o.name, p->name, sizeof(o.name)),
	      "%s: OPEN seq %llu flags 0x%x name \"%.32s\", expected seq 0 flags 0x%x name \"%s\"",
	      what, (unsigned long long)r.seq, r.flags, o.name, flags, p->name);
	t_log("ok: %s: OPEN seq 0 flags 0x%x name %s", what, flags, p->name);
}

static void detach(const struct pty *p, size_t *after)
{
	size_t m = rs_count(rs);
	long idx;
	struct trec r;

	EXPECT_OK(tsc_tty_op(ctl, TTYSCOPE_IOC_DETACH, p->major, p->minor),
		  "DETACH %s", p->name);
	idx = rs_wait_rec(rs, m, p->major, p->minor, TTYSCOPE_REC_CLOSE, 5000);
	expect_record(idx, "CLOSE after DETACH");
	rs_lock(rs);
	rs_get(rs, idx, &r);
	rs_unlock(rs);
	CHECK(r.flags == TTYSCOPE_RF_ATTACHED,
	      "CLOSE after DETACH has flags 0x%x, expected TTYSCOPE_RF_ATTACHED",
	      r.flags);
	t_log("ok: DETACH %s: CLOSE with TTYSCOPE_RF_ATTACHED", p->name);
	CHECK(!tsc_find(ctl, p->major, p->minor, NULL),
	      "%s still listed after DETACH", p->name);
	EXPECT_ERRNO(tsc_tty_op(ctl, TTYSCOPE_IOC_DETACH, p->major, p->minor),
		     ENODEV, "DETACH of detached %s", p->name);
	EXPECT_ERRNO(tsc_set_pass(ctl, p->major, p->minor, 0, 1), ENODEV,
		     "SET_PASS on detached %s", p->name);
	*after = idx + 1;
}

static long attach(const struct pty *p, int fd, const char *via, size_t from)
{
	uint32_t maj = 0, min = 0;
	struct ttyscope_tty_info ti;
	long idx;

	EXPECT_OK(tsc_attach(ctl, fd, &maj, &min), "ATTACH %s via the %s fd",
		  p->name, via);
	CHECK(maj == p->major && min == p->minor,
	      "ATTACH returned %u:%u, the slave is %u:%u", maj, min, p->major,
	      p->minor);
	idx = rs_wait_rec(rs, from, p->major, p->minor, TTYSCOPE_REC_OPEN,
			  5000);
	check_open_rec(idx, p, TTYSCOPE_RF_ATTACHED, "OPEN after ATTACH");
	CHECK(tsc_find(ctl, p->major, p->minor, &ti),
	      "%s not listed after ATTACH", p->name);
	CHECK(ti.flags & TTYSCOPE_TF_ATTACHED,
	      "LIST flags 0x%x of attached %s lack TTYSCOPE_TF_ATTACHED",
	      ti.flags, p->name);
	CHECK(ti.pass == 1, "attached tty has pass %u", ti.pass);
	EXPECT_ERRNO(tsc_attach(ctl, p->slave, NULL, NULL), EEXIST,
		     "second ATTACH of %s (slave fd)", p->name);
	EXPECT_ERRNO(tsc_attach(ctl, p->master, NULL, NULL), EEXIST,
		     "second ATTACH of %s (master fd)", p->name);
	return idx;
}

static void round_trip(struct pty *p, pid_t child, int rep_fd, int round)
{
	const char *word = round ? "second" : "partial";
	size_t wl = strlen(word), after;
	struct buf echo = { 0 }, got = { 0 };
	struct report rep;
	struct tview tv;
	char want[32];
	long open_idx, stray;
	int via_fd = round ? p->master : p->slave;

	CHECK(wait_blocked(child, SYS_read, 5000),
	      "child %d is not blocked in read() on the slave", (int)child);
	detach(p, &after);

	write_all(p->master, word, wl, "typing a half line");
	CHECK(read_until(p->master, &echo, wl, 3000),
	      "echo of \"%s\" while detached: got %zu bytes", word, echo.len);
	CHECK_BYTES("echo while detached", echo.p, echo.len, word, wl);
	CHECK(fd_quiet(rep_fd, 200),
	      "the child's read() returned before the line was complete");
	CHECK(wait_blocked(child, SYS_read, 2000),
	      "child no longer blocked in read()");
	stray = rs_wait_rec(rs, after, p->major, p->minor, 0, 300);
	if (stray >= 0) {
		tv_build(rs, after, p->major, p->minor, &tv);
		tv_print(&tv, 20);
		FAIL("records for detached %s appeared", p->name);
	}
	t_log("ok: detached %s: \"%s\" typed and echoed, no records", p->name,
	      word);

	open_idx = attach(p, via_fd, round ? "master" : "slave", after);

	write_all(p->master, "\n", 1, "typing the newline");
	buf_reserve(&got, 512);
	CHECK(read(rep_fd, &rep, sizeof(rep)) == sizeof(rep),
	      "no report from the reader child");
	if (rep.n < 0)
		FAIL("the child's blocked read() failed with %s across DETACH/ATTACH",
		     errname(rep.err));
	CHECK(rep.n > 0 && rep.n < 512, "child read returned %d", rep.n);
	CHECK(read(rep_fd, got.p, rep.n) == rep.n, "short report");
	got.len = rep.n;
	snprintf(want, sizeof(want), "%s\n", word);
	CHECK_BYTES("line the child read (half line must survive)", got.p,
		    got.len, want, strlen(want));
	t_log("ok: the blocked reader got \"%s\" with no error",
	      printable(got.p, got.len));

	echo.len = 0;
	CHECK(read_until(p->master, &echo, 2, 3000), "echo of the newline");
	CHECK_BYTES("echo of the newline", echo.p, echo.len, "\r\n", 2);
	CHECK(rs_wait_bytes(rs, open_idx, p->major, p->minor, TTYSCOPE_REC_OUT,
			    2, 5000) &&
		      rs_wait_bytes(rs, open_idx, p->major, p->minor,
				    TTYSCOPE_REC_IN, 1, 5000),
	      "IN/OUT records after ATTACH did not appear");
	tv_build(rs, open_idx, p->major, p->minor, &tv);
	tv_check_seq(&tv, "after ATTACH", 0, tv.n);
	if (!bytes_diff("IN after ATTACH", tv.in.p, tv.in.len, "\n", 1) ||
	    !bytes_diff("OUT after ATTACH", tv.out.p, tv.out.len, "\r\n", 2)) {
		tv_print(&tv, 20);
		FAIL("capture after ATTACH differs");
	}
	t_log("ok: after ATTACH: IN \"\\n\", OUT \"\\r\\n\", seq contiguous");
	tv_free(&tv);
	buf_free(&echo);
	buf_free(&got);
}

/* A writer blocked in write() on the slave survives DETACH + ATTACH. */
static void blocked_writer(void)
{
	enum { N = 256 * 1024 };
	struct pty q;
	uint8_t *data = malloc(N);
	struct buf got = { 0 };
	struct report rep;
	struct rng rng = { 42 };
	struct tview tv;
	int rp[2];
	size_t after, pre_out, post_out;
	long open_idx;
	pid_t w;
	int st;

	CHECK(data, "out of memory");
	for (size_t i = 0; i < N; i++) /* printable, no newline: no ONLCR */
		data[i] = 'a' + rng_below(&rng, 26);
	size_t m0 = rs_count(rs);

	pty_open(&q);
	tty_setup(q.slave, TTY_CANON, false);
	CHECK(pipe(rp) == 0, "pipe");
	w = t_fork();
	if (w == 0) {
		ssize_t n, total = 0;

		close(rp[0]);
		while (total < N) {
			n = write(q.slave, data + total, N - total);
			if (n <= 0)
				break;
			total += n;
		}
		rep.n = n <= 0 ? (int32_t)n : (int32_t)total;
		rep.err = n < 0 ? errno : 0;
		if (write(rp[1], &rep, sizeof(rep)) != sizeof(rep))
			_exit(2);
		_exit(0);
	}
	close(rp[1]);
	CHECK(wait_blocked(w, SYS_write, 10000),
	      "writer never blocked in write() (master not reading)");
	detach(&q, &after);
	open_idx = attach(&q, q.master, "master", after);
	CHECK(read_until(q.master, &got, N, 60000),
	      "master read only %zu of %d bytes from the blocked writer",
	      got.len, N);
	CHECK(read(rp[0], &rep, sizeof(rep)) == sizeof(rep), "writer report");
	CHECK(rep.n == N,
	      "blocked writer's write() returned %d (%s), expected %d", rep.n,
	      errname(rep.err), N);
	CHECK_BYTES("bytes the master read from the blocked writer", got.p,
		    got.len, data, N);
	st = wait_child(w, 5000, "writer");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer status 0x%x", st);
	t_log("ok: writer blocked across DETACH/ATTACH completed: %d bytes exact",
	      N);

	/* capture before DETACH is a prefix, after ATTACH a suffix */
	pty_close(&q);
	CHECK(rs_wait_rec(rs, open_idx, q.major, q.minor, TTYSCOPE_REC_CLOSE,
			  5000) >= 0,
	      "no CLOSE after closing the pair");
	tv_build(rs, m0, q.major, q.minor, &tv);
	{
		size_t i;

		pre_out = post_out = 0;
		for (i = 0; i < tv.n && tv.sidx[i] < after; i++)
			if (tv.r[i].type == TTYSCOPE_REC_OUT)
				pre_out += tv.r[i].len;
		for (; i < tv.n; i++)
			if (tv.r[i].type == TTYSCOPE_REC_OUT)
				post_out += tv.r[i].len;
	}
	CHECK(pre_out + post_out <= N && pre_out + post_out == tv.out.len,
	      "captured OUT %zu + %zu bytes for %d bytes read", pre_out,
	      post_out, N);
	CHECK_BYTES("OUT captured before DETACH (prefix)", tv.out.p, pre_out,
		    data, pre_out);
	CHECK_BYTES("OUT captured after ATTACH (suffix)", tv.out.p + pre_out,
		    post_out, data + N - post_out, post_out);
	t_log("ok: OUT before DETACH %zu B (prefix), after ATTACH %zu B (suffix), "
	      "%zu B moved while detached",
	      pre_out, post_out, N - pre_out - post_out);
	tv_free(&tv);
	close(rp[0]);
	buf_free(&got);
	free(data);
}

static void attach_errors(void)
{
	int pp[2], fd, closed;
	char tmpl[] = "/tmp/t-attach.XXXXXX";

	CHECK(pipe(pp) == 0, "pipe");
	EXPECT_ERRNO(tsc_attach(ctl, pp[0], NULL, NULL), ENOTTY,
		     "ATTACH of a pipe");
	fd = open("/dev/null", O_RDWR);
	CHECK(fd >= 0, "open /dev/null");
	EXPECT_ERRNO(tsc_attach(ctl, fd, NULL, NULL), ENOTTY,
		     "ATTACH of /dev/null");
	close(fd);
	fd = mkstemp(tmpl);
	CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
	unlink(tmpl);
	EXPECT_ERRNO(tsc_attach(ctl, fd, NULL, NULL), ENOTTY,
		     "ATTACH of a regular file");
	close(fd);
	EXPECT_ERRNO(tsc_attach(ctl, ctl, NULL, NULL), ENOTTY,
		     "ATTACH of /dev/rpl itself");
	EXPECT_ERRNO(tsc_attach(ctl, -1, NULL, NULL), EBADF, "ATTACH of fd -1");
	closed = dup(pp[1]);
	CHECK(closed >= 0, "dup");
	close(closed);
	EXPECT_ERRNO(tsc_attach(ctl, closed, NULL, NULL), EBADF,
		     "ATTACH of a closed fd (%d)", closed);
	EXPECT_ERRNO(tsc_attach(ctl, 1000000, NULL, NULL), EBADF,
		     "ATTACH of fd 1000000");
	close(pp[0]);
	close(pp[1]);
}

int main(void)
{
	struct pty p;
	struct ttyscope_tty_info ti;
	int rp[2], st;
	size_t m;
	pid_t child;

	t_init("t-attach", 200);
	rs = rs_open("main", 4u << 20);
	ctl = rs->fd;
	rs_start(rs);

	m = rs_count(rs);
	pty_open(&p);
	check_open_rec(rs_wait_rec(rs, m, p.major, p.minor, TTYSCOPE_REC_OPEN,
				   5000),
		       &p, 0, "new pty captured automatically");
	CHECK(tsc_find(ctl, p.major, p.minor, &ti), "%s not listed", p.name);
	CHECK(!(ti.flags & TTYSCOPE_TF_ATTACHED),
	      "auto-captured tty listed with flags 0x%x", ti.flags);
	tty_setup(p.slave, TTY_CANON, true);

	CHECK(pipe(rp) == 0, "pipe");
	child = t_fork();
	if (child == 0) {
		close(rp[0]);
		reader_child(p.slave, rp[1]);
	}
	close(rp[1]);

	round_trip(&p, child, rp[0], 0);
	round_trip(&p, child, rp[0], 1);
	st = wait_child(child, 5000, "reader child");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "reader child ended with status 0x%x", st);

	m = rs_count(rs);
	pty_close(&p);
	{
		long idx = rs_wait_rec(rs, m, p.major, p.minor,
				       TTYSCOPE_REC_CLOSE, 5000);
		struct trec r;

		expect_record(idx, "CLOSE after closing the attached pair");
		rs_lock(rs);
		rs_get(rs, idx, &r);
		rs_unlock(rs);
		CHECK(r.flags == 0,
		      "CLOSE of a closed (not detached) tty has flags 0x%x",
		      r.flags);
	}
	t_log("ok: closing the attached pair gives CLOSE (flags 0)");

	blocked_writer();
	attach_errors();
	rs_close(rs);
	t_pass();
}
