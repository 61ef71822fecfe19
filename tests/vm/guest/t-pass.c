// SPDX-License-Identifier: GPL-2.0
/*
 * t-pass: the pass flag, INJECT and TIOCSTI.
 *
 * On a canonical slave with ECHO on:
 *   - pass 1: "hello\n" reaches the slave, is echoed, captured as IN;
 *   - SET_PASS 0 (operator 1234): PASS record {0, 1234}; LIST pass 0;
 *     "secret\n" typed on the master never reaches the slave (nothing
 *     readable for 300 ms), is not echoed, and is recorded as IN_DROPPED;
 *     TIOCSTI (as root) of "sti\n" on the slave is dropped the same way;
 *   - INJECT "injected\n" (operator 4242) while pass is 0 returns 9, the
 *     slave reads "injected\n", it is echoed, and an INJECT record carries
 *     operator 4242 and exactly those bytes;
 *   - SET_PASS 1: PASS record {1, 1234}; "ok\n" reaches the slave, IN;
 *   - LIST counters: bytes_in 9, bytes_dropped 11, bytes_injected 9,
 *     bytes_out == bytes the master read, records == records received;
 *   - record order: PASS(0) < IN_DROPPED < INJECT < PASS(1) < IN "ok\n".
 * On a second pty, the controlling tty of a child: ^C while pass is 0 is
 * dropped (the child lives); with pass 1 it kills the child with SIGINT.
 */
#include "lib.h"

#include <endian.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define OPERATOR 1234u
#define INJECTOR 4242u

static struct rstream *rs;
static int ctl;

static void expect_line(int fd, const char *want, const char *what)
{
	struct buf b = { 0 };
	size_t n = strlen(want);

	if (!read_until(fd, &b, n, 3000))
		FAIL("%s: got only %zu bytes (\"%s\") of \"%s\" within 3 s",
		     what, b.len, printable(b.p, b.len), printable(want, n));
	CHECK_BYTES(what, b.p, b.len, want, n);
	buf_free(&b);
	t_log("ok: %s: \"%s\"", what, printable(want, n));
}

static long wait_pass_rec(const struct pty *p, size_t from, uint32_t pass)
{
	long idx = rs_wait_rec(rs, from, p->major, p->minor, TTYSCOPE_REC_PASS,
			       5000);
	struct ttyscope_rec_pass ps;
	struct trec r;

	CHECK(idx >= 0, "no PASS record after SET_PASS %u", pass);
	rs_lock(rs);
	rs_get(rs, idx, &r);
	memcpy(&ps, r.p, sizeof(ps));
	rs_unlock(rs);
	CHECK(le32toh(ps.pass) == pass && le32toh(ps.operator_uid) == OPERATOR,
	      "PASS record {pass %u, operator %u}, expected {%u, %u}",
	      le32toh(ps.pass), le32toh(ps.operator_uid), pass, OPERATOR);
	t_log("ok: PASS record {pass %u, operator_uid %u}", pass, OPERATOR);
	return idx;
}

static void set_pass(const struct pty *p, uint32_t pass)
{
	struct ttyscope_tty_info ti;

	EXPECT_OK(tsc_set_pass(ctl, p->major, p->minor, pass, OPERATOR),
		  "SET_PASS %s pass=%u", p->name, pass);
	CHECK(tsc_find(ctl, p->major, p->minor, &ti), "%s not listed", p->name);
	CHECK(ti.pass == pass, "LIST shows pass %u after SET_PASS %u", ti.pass,
	      pass);
}

static void signals(void)
{
	struct pty s;
	int rp[2], st;
	char c;
	pid_t child;
	size_t m = rs_count(rs);

	pty_open(&s);
	CHECK(pipe(rp) == 0, "pipe");
	child = t_fork();
	if (child == 0) {
		int fd;

		close(rp[0]);
		if (setsid() < 0)
			_exit(10);
		fd = open(s.path, O_RDWR); /* becomes the controlling tty */
		if (fd < 0)
			_exit(11);
		if (write(rp[1], "r", 1) != 1)
			_exit(12);
		for (;;)
			pause();
	}
	t_track_child(child);
	close(rp[1]);
	CHECK(read(rp[0], &c, 1) == 1, "child did not get its controlling tty");
	close(rp[0]);

	set_pass(&s, 0);
	write_all(s.master, "\003", 1, "^C with pass 0");
	CHECK(rs_wait_bytes(rs, m, s.major, s.minor, TTYSCOPE_REC_IN_DROPPED, 1,
			    5000),
	      "^C with pass 0 not recorded as IN_DROPPED");
	sleep_ms(300); /* a signal would have been sent by now */
	CHECK(waitpid(child, &st, WNOHANG) == 0,
	      "^C with pass 0 reached the tty: child ended, status 0x%x", st);
	t_log("ok: ^C with pass 0 dropped (child alive, IN_DROPPED)");

	set_pass(&s, 1);
	write_all(s.master, "\003", 1, "^C with pass 1");
	st = wait_child(child, 5000, "child after ^C with pass 1");
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGINT,
	      "child status 0x%x after ^C, expected death by SIGINT", st);
	t_log("ok: ^C with pass 1 killed the child with SIGINT");
	pty_close(&s);
}

int main(void)
{
	struct pty p;
	struct ttyscope_tty_info ti;
	struct tview tv;
	struct ttyscope_rec_inject ih;
	size_t mark, master_total = 0;
	long open_idx, pass0, pass1, inj, ok_in = -1, first_drop = -1,
					  last_drop = -1;

	t_init("t-pass", 120);
	rs = rs_open("main", 4u << 20);
	ctl = rs->fd;
	rs_start(rs);

	mark = rs_count(rs);
	pty_open(&p);
	open_idx = rs_wait_rec(rs, mark, p.major, p.minor, TTYSCOPE_REC_OPEN,
			       5000);
	CHECK(open_idx >= 0, "no OPEN for %s", p.name);
	tty_setup(p.slave, TTY_CANON, true);
	CHECK(tsc_find(ctl, p.major, p.minor, &ti) && ti.pass == 1,
	      "new tty not listed with pass 1");

	write_all(p.master, "hello\n", 6, "typing hello");
	expect_line(p.slave, "hello\n", "pass 1: slave reads");
	expect_line(p.master, "hello\r\n", "pass 1: echo");
	master_total += 7;

	mark = rs_count(rs);
	set_pass(&p, 0);
	pass0 = wait_pass_rec(&p, mark, 0);

	write_all(p.master, "secret\n", 7, "typing secret");
	CHECK(fd_quiet(p.slave, 300),
	      "pass 0: \"secret\\n\" reached the slave reader");
	CHECK(fd_quiet(p.master, 100), "pass 0: typed input was echoed");
	CHECK(rs_wait_bytes(rs, pass0, p.major, p.minor,
			    TTYSCOPE_REC_IN_DROPPED, 7, 5000),
	      "IN_DROPPED for \"secret\\n\" did not appear");
	t_log("ok: pass 0: \"secret\\n\" not delivered, not echoed");

	for (const char *c = "sti\n"; *c; c++)
		EXPECT_OK(ioctl(p.slave, TIOCSTI, c), "TIOCSTI '%s' (pass 0)",
			  printable(c, 1));
	CHECK(fd_quiet(p.slave, 300),
	      "pass 0: TIOCSTI input reached the slave reader");
	CHECK(fd_quiet(p.master, 100), "pass 0: TIOCSTI input was echoed");
	CHECK(rs_wait_bytes(rs, pass0, p.major, p.minor,
			    TTYSCOPE_REC_IN_DROPPED, 11, 5000),
	      "IN_DROPPED for TIOCSTI \"sti\\n\" did not appear");
	t_log("ok: pass 0: TIOCSTI \"sti\\n\" dropped");

	EXPECT_ERRNO(tsc_inject(ctl, p.major, p.minor, "x", 0, INJECTOR),
		     EINVAL, "INJECT len 0");
	{
		long r = tsc_inject(ctl, p.major, p.minor, "injected\n", 9,
				    INJECTOR);

		CHECK(r == 9,
		      "INJECT \"injected\\n\" returned %ld (%s), expected 9", r,
		      r < 0 ? errname(errno) : "short");
		t_log("ok: INJECT \"injected\\n\" with pass 0 -> 9");
	}
	expect_line(p.slave, "injected\n", "pass 0: slave reads the injection");
	expect_line(p.master, "injected\r\n", "pass 0: injection is echoed");
	master_total += 10;
	inj = rs_wait_rec(rs, pass0, p.major, p.minor, TTYSCOPE_REC_INJECT,
			  5000);
	CHECK(inj >= 0, "no INJECT record");

	mark = rs_count(rs);
	set_pass(&p, 1);
	pass1 = wait_pass_rec(&p, mark, 1);
	write_all(p.master, "ok\n", 3, "typing ok");
	expect_line(p.slave, "ok\n", "pass 1 again: slave reads");
	expect_line(p.master, "ok\r\n", "pass 1 again: echo");
	master_total += 4;
	CHECK(rs_wait_bytes(rs, pass1, p.major, p.minor, TTYSCOPE_REC_IN, 3,
			    5000),
	      "IN for \"ok\\n\" did not appear");
	CHECK(rs_wait_bytes(rs, open_idx, p.major, p.minor, TTYSCOPE_REC_OUT,
			    master_total, 5000),
	      "OUT records do not reach the %zu bytes the master read",
	      master_total);

	/* LIST counters, then everything this tty produced must be here */
	CHECK(tsc_find(ctl, p.major, p.minor, &ti), "%s not listed", p.name);
	CHECK(ti.pass == 1 && ti.bytes_in == 9 && ti.bytes_dropped == 11 &&
		      ti.bytes_injected == 9 && ti.bytes_out == master_total &&
		      ti.lost_records == 0 && ti.flags == 0,
	      "LIST: pass %u bytes_in %llu bytes_dropped %llu bytes_injected %llu "
	      "bytes_out %llu lost %llu flags 0x%x; expected 1 9 11 9 %zu 0 0",
	      ti.pass, (unsigned long long)ti.bytes_in,
	      (unsigned long long)ti.bytes_dropped,
	      (unsigned long long)ti.bytes_injected,
	      (unsigned long long)ti.bytes_out,
	      (unsigned long long)ti.lost_records, ti.flags, master_total);
	t_log("ok: LIST counters in 9, dropped 11, injected 9, out %zu",
	      master_total);
	CHECK(ti.records > 0 && rs_wait_seq(rs, open_idx, p.major, p.minor,
					    ti.records - 1, 5000),
	      "LIST says %llu records were produced; seq %llu never arrived",
	      (unsigned long long)ti.records,
	      (unsigned long long)ti.records - 1);
	tv_build(rs, open_idx, p.major, p.minor, &tv);
	CHECK(tv.n == ti.records,
	      "received %zu records for %s, LIST says %llu were produced", tv.n,
	      p.name, (unsigned long long)ti.records);
	tv_check_seq(&tv, "t-pass", 0, tv.n);
	CHECK_BYTES("IN records (pass 1 only)", tv.in.p, tv.in.len,
		    "hello\nok\n", 9);
	CHECK_BYTES("IN_DROPPED records", tv.dropped.p, tv.dropped.len,
		    "secret\nsti\n", 11);
	CHECK_BYTES("INJECT record bytes", tv.inject.p, tv.inject.len,
		    "injected\n", 9);
	CHECK(tv.n_inject == 1, "%zu INJECT records, expected 1", tv.n_inject);
	for (size_t i = 0; i < tv.n; i++) {
		const struct trec *r = &tv.r[i];

		if (r->type == TTYSCOPE_REC_INJECT) {
			memcpy(&ih, r->p, sizeof(ih));
			CHECK(le32toh(ih.operator_uid) == INJECTOR,
			      "INJECT operator_uid %u, expected %u",
			      le32toh(ih.operator_uid), INJECTOR);
		}
		if (r->type == TTYSCOPE_REC_IN_DROPPED) {
			CHECK(r->flags == 0,
			      "IN_DROPPED flags 0x%x with ECHO on", r->flags);
			if (first_drop < 0)
				first_drop = tv.sidx[i];
			last_drop = tv.sidx[i];
		}
		if (r->type == TTYSCOPE_REC_IN && (long)tv.sidx[i] > pass1 &&
		    ok_in < 0)
			ok_in = tv.sidx[i];
	}
	if (!(pass0 < first_drop && last_drop < inj && inj < pass1 &&
	      pass1 < ok_in)) {
		tv_print(&tv, 60);
		FAIL("record order: PASS(0) #%ld, IN_DROPPED #%ld..#%ld, INJECT #%ld, "
		     "PASS(1) #%ld, IN \"ok\" #%ld: not in that order",
		     pass0, first_drop, last_drop, inj, pass1, ok_in);
	}
	t_log("ok: IN \"hello\\nok\\n\", IN_DROPPED \"secret\\nsti\\n\", INJECT "
	      "{4242, \"injected\\n\"}, in order, %zu records == LIST",
	      tv.n);
	tv_free(&tv);

	mark = rs_count(rs);
	pty_close(&p);
	CHECK(rs_wait_rec(rs, mark, p.major, p.minor, TTYSCOPE_REC_CLOSE,
			  5000) >= 0,
	      "no CLOSE");
	EXPECT_ERRNO(tsc_set_pass(ctl, p.major, p.minor, 1, OPERATOR), ENODEV,
		     "SET_PASS on the closed %s", p.name);

	signals();
	rs_close(rs);
	t_pass();
}
