// SPDX-License-Identifier: GPL-2.0
/*
 * t-readers: every reader of /dev/rpl gets every record, in the same order.
 *
 * Readers A, B and D are open before any traffic; traffic on pty 1 makes
 * every kind of record (OPEN, IN, OUT, WINSIZE, PASS, IN_DROPPED, INJECT,
 * CLOSE). D is then closed and C opened; traffic on ptys 2 and 3
 * (interleaved, pty 2 ends with a HANGUP). Then:
 *   - A and B received byte-identical record streams (nobody steals);
 *   - D's stream is a prefix of A's;
 *   - C's stream equals A's from some record after pty 1's CLOSE on: a
 *     reader opened later sees only later records, and all of them (it
 *     starts at pty 2's OPEN);
 *   - STATS per reader: rd_records/rd_bytes == what it received, nothing
 *     lost; STATS.readers == 3.
 */
#include "lib.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct rstream *A, *B, *C, *D;
static int ctl;

static void expect_read(int fd, const char *want, const char *what)
{
	struct buf b = { 0 };

	if (!read_until(fd, &b, strlen(want), 3000))
		FAIL("%s: got \"%s\"", what, printable(b.p, b.len));
	CHECK_BYTES(what, b.p, b.len, want, strlen(want));
	buf_free(&b);
}

/* one step of traffic on @p; returns false when the script is over */
static bool step(struct pty *p, int i, bool hangup)
{
	struct winsize ws = { .ws_row = 33, .ws_col = 99 };
	size_t m;

	switch (i) {
	case 0:
		write_all(p->master, "hello\n", 6, "typing");
		expect_read(p->slave, "hello\n", "slave read");
		expect_read(p->master, "hello\r\n", "echo");
		return true;
	case 1:
		write_all(p->slave, "world\n", 6, "output");
		expect_read(p->master, "world\r\n", "master read");
		return true;
	case 2:
		CHECK(ioctl(p->master, TIOCSWINSZ, &ws) == 0, "TIOCSWINSZ");
		write_all(p->master, "x\n", 2, "typing");
		expect_read(p->slave, "x\n", "slave read");
		expect_read(p->master, "x\r\n", "echo");
		return true;
	case 3:
		m = rs_count(A);
		CHECK(tsc_set_pass(ctl, p->major, p->minor, 0, 7) == 0,
		      "SET_PASS 0: %s", strerror(errno));
		write_all(p->master, "drop\n", 5, "typing while pass 0");
		CHECK(rs_wait_bytes(A, m, p->major, p->minor,
				    TTYSCOPE_REC_IN_DROPPED, 5, 5000),
		      "no IN_DROPPED");
		return true;
	case 4:
		CHECK(tsc_inject(ctl, p->major, p->minor, "inj\n", 4, 8) == 4,
		      "INJECT: %s", strerror(errno));
		expect_read(p->slave, "inj\n", "slave read of injection");
		expect_read(p->master, "inj\r\n", "echo of injection");
		CHECK(tsc_set_pass(ctl, p->major, p->minor, 1, 7) == 0,
		      "SET_PASS 1: %s", strerror(errno));
		return true;
	case 5:
		if (hangup)
			CHECK(tsc_tty_op(ctl, TTYSCOPE_IOC_HANGUP, p->major,
					 p->minor) == 0,
			      "HANGUP: %s", strerror(errno));
		pty_close(p);
		return true;
	}
	return false;
}

static void wait_close(struct rstream *rs, size_t from, const struct pty *p)
{
	CHECK(rs_wait_rec(rs, from, p->major, p->minor, TTYSCOPE_REC_CLOSE,
			  5000) >= 0,
	      "reader %s: no CLOSE for %s", rs->name, p->name);
}

/* first differing record of two streams, for the failure message */
static void report_diff(struct rstream *x, size_t xi, struct rstream *y,
			size_t yi)
{
	size_t n = MIN(x->n - xi, y->n - yi);

	for (size_t i = 0; i < n; i++) {
		struct trec a, b;

		rs_get(x, xi + i, &a);
		rs_get(y, yi + i, &b);
		if (a.len != b.len ||
		    memcmp(x->raw + x->off[xi + i], y->raw + y->off[yi + i],
			   REC_HDR + a.len)) {
			printf("[%s] first difference: %s #%zu vs %s #%zu\n",
			       t_name, x->name, xi + i, y->name, yi + i);
			rec_print("[a]   ", &a);
			rec_print("[b]   ", &b);
			return;
		}
	}
	printf("[%s] %s has %zu records from #%zu, %s %zu from #%zu; equal up to the shorter\n",
	       t_name, x->name, x->n - xi, xi, y->name, y->n - yi, yi);
}

static void check_stats(struct rstream *rs)
{
	struct ttyscope_stats st;

	tsc_stats(rs->fd, &st);
	CHECK(st.rd_records == rs->data_recs && st.rd_bytes == rs->data_bytes &&
		      st.rd_records_lost == 0 && st.rd_bytes_lost == 0 &&
		      rs->loss_recs == 0 && st.rd_buf_used == 0,
	      "reader %s: STATS rd_records %llu rd_bytes %llu lost %llu/%llu used %u; "
	      "received %" PRIu64 " records, %" PRIu64
	      " payload bytes, %" PRIu64 " LOSS records",
	      rs->name, (unsigned long long)st.rd_records,
	      (unsigned long long)st.rd_bytes,
	      (unsigned long long)st.rd_records_lost,
	      (unsigned long long)st.rd_bytes_lost, st.rd_buf_used,
	      rs->data_recs, rs->data_bytes, rs->loss_recs);
	t_log("ok: reader %s: STATS rd_records %llu rd_bytes %llu == received, no loss",
	      rs->name, (unsigned long long)st.rd_records,
	      (unsigned long long)st.rd_bytes);
}

int main(void)
{
	struct pty p1, p2, p3;
	struct ttyscope_stats st;
	long a1, k = -1;
	size_t mA, mC;
	uint32_t seen = 0;

	t_init("t-readers", 120);
	A = rs_open("A", 16u << 20);
	B = rs_open("B", 16u << 20);
	D = rs_open("D", 0);
	ctl = A->fd;
	rs_start(A);
	rs_start(B);
	rs_start(D);

	mA = rs_count(A);
	pty_open(&p1);
	tty_setup(p1.slave, TTY_CANON, true);
	for (int i = 0; step(&p1, i, false); i++)
		;
	wait_close(A, mA, &p1);
	wait_close(B, 0, &p1);
	wait_close(D, 0, &p1);
	rs_lock(A);
	a1 = rs_find(A, mA, p1.major, p1.minor, TTYSCOPE_REC_CLOSE);
	rs_unlock(A);
	rs_stop(D);
	close(D->fd); /* D's records stay in memory */
	D->fd = -1;
	t_log("pty 1 (%s) done; reader D closed, reader C opened", p1.name);

	C = rs_open("C", 16u << 20);
	rs_start(C);
	mC = 0;
	pty_open(&p2);
	pty_open(&p3);
	tty_setup(p2.slave, TTY_CANON, true);
	tty_setup(p3.slave, TTY_CANON, true);
	for (int i = 0;; i++) {
		bool a = step(&p2, i, true), b = step(&p3, i, false);

		if (!a && !b)
			break;
	}
	for (struct rstream **r = (struct rstream *[]){ A, B, C, NULL }; *r;
	     r++) {
		wait_close(*r, 0, &p2);
		wait_close(*r, 0, &p3);
	}
	tsc_stats(ctl, &st);
	CHECK(st.readers == 3, "STATS.readers %u with readers A, B, C open",
	      st.readers);
	t_log("ok: STATS.readers == 3");
	rs_stop(A);
	rs_stop(B);
	rs_stop(C);
	check_stats(A);
	check_stats(B);
	check_stats(C);

	/* A == B, byte for byte */
	if (A->raw_len != B->raw_len || memcmp(A->raw, B->raw, A->raw_len)) {
		report_diff(A, 0, B, 0);
		FAIL("readers A and B received different streams (%zu vs %zu bytes, %zu vs %zu records)",
		     A->raw_len, B->raw_len, A->n, B->n);
	}
	t_log("ok: A and B received identical streams (%zu records, %zu bytes)",
	      A->n, A->raw_len);
	for (size_t i = 0; i < A->n; i++) {
		struct trec r;

		rs_get(A, i, &r);
		seen |= 1u << r.type;
	}
	for (unsigned int t = TTYSCOPE_REC_OPEN; t <= TTYSCOPE_REC_PASS; t++)
		if (t != TTYSCOPE_REC_SESSION)
			CHECK(seen & (1u << t), "no %s record in the stream",
			      rec_type_name(t));

	/* D: a prefix of A */
	CHECK(D->raw_len <= A->raw_len && !memcmp(D->raw, A->raw, D->raw_len),
	      "reader D's stream (%zu bytes) is not a prefix of A's",
	      D->raw_len);
	CHECK(D->n > (size_t)a1, "reader D lacks pty 1's CLOSE");
	t_log("ok: D (closed early) received a prefix of A (%zu records)",
	      D->n);

	/* C: a suffix of A starting after pty 1's CLOSE */
	CHECK(C->n > 0, "reader C received nothing");
	for (size_t i = 0; i < A->n; i++) {
		size_t len =
			(i + 1 < A->n ? A->off[i + 1] : A->raw_len) - A->off[i];

		if (len == (C->n > 1 ? C->off[1] : C->raw_len) &&
		    !memcmp(A->raw + A->off[i], C->raw, len)) {
			k = (long)i;
			break;
		}
	}
	if (k < 0) {
		struct trec r;

		rs_get(C, 0, &r);
		rec_print("[C#0] ", &r);
		FAIL("reader C's first record is not in A's stream");
	}
	CHECK(k > a1,
	      "reader C (opened after pty 1's CLOSE, A #%ld) got A's record #%ld",
	      a1, k);
	if (A->raw_len - A->off[k] != C->raw_len ||
	    memcmp(A->raw + A->off[k], C->raw, C->raw_len)) {
		report_diff(A, k, C, mC);
		FAIL("reader C's stream is not A's stream from #%ld on", k);
	}
	{
		struct trec r;

		rs_get(C, 0, &r);
		CHECK(r.type == TTYSCOPE_REC_OPEN && r.major == p2.major &&
			      r.minor == p2.minor && r.seq == 0,
		      "reader C's first record is not pty 2's OPEN");
	}
	t_log("ok: C (opened later) received exactly A's records from #%ld (pty 2's OPEN) on",
	      k);
	rs_close(A);
	rs_close(B);
	rs_close(C);
	rs_close(D);
	t_pass();
}
