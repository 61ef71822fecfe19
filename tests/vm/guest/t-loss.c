// SPDX-License-Identifier: GPL-2.0
/*
 * t-loss: a full reader buffer loses whole records, counted exactly, and
 * never disturbs other readers or the tty.
 *
 * Reader A has the smallest buffer (TTYSCOPE_BUF_MIN) and is not read while
 * a raw pty carries 2 MiB of output whose every byte position is
 * identifiable (4-byte blocks holding their own index). Reader B (64 MiB
 * buffer) is read all along. Then A is drained and the pty closed.
 *   - The master read exactly the pattern (the producer never blocked on A).
 *   - B: no LOSS, OPEN..CLOSE contiguous, OUT == the pattern.
 *   - A: every record valid and whole; our tty's records have increasing
 *     seq; each OUT payload is the pattern at an increasing offset, and
 *     records with consecutive seq are contiguous in the stream;
 *   - before the first record after each gap there is a LOSS record, and
 *     (when only this tty produced records) each LOSS counts exactly the
 *     records of the gap and the payload bytes missing from the stream;
 *   - sum(LOSS.records) == STATS.rd_records_lost, sum(LOSS.bytes) ==
 *     STATS.rd_bytes_lost; received (non-LOSS) records + lost ==
 *     STATS.rd_records, likewise for payload bytes;
 *   - LIST.lost_records of the tty == the records missing in A.
 */
#include "lib.h"

#include <endian.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TOTAL (2u << 20)

static const uint8_t key[4] = { 0x5a, 0x3c, 0xa5, 0xc3 };
static uint8_t *pattern;

static uint8_t pat(size_t i)
{
	size_t k = i / 4;

	return ((k >> (8 * (i % 4))) & 0xff) ^ key[i % 4];
}

/*
 * locate() - stream offset >= @cur at which @p (@len bytes) is the
 * pattern, or -1. Pieces of 7+ bytes contain an aligned block, which names
 * its own position; shorter ones are searched for.
 */
static long locate(const uint8_t *p, size_t len, size_t cur)
{
	long best = -1;

	if (len >= 7) {
		for (size_t a = 0; a < 4; a++) {
			size_t k = 0;
			long s;

			for (int b = 0; b < 4; b++)
				k |= (size_t)(p[a + b] ^ key[b]) << (8 * b);
			s = (long)(4 * k) - (long)a;
			if (s < (long)cur || s + len > TOTAL)
				continue;
			if (!memcmp(pattern + s, p, len) &&
			    (best < 0 || s < best))
				best = s;
		}
		return best;
	}
	for (size_t s = cur; s + len <= TOTAL; s++)
		if (!memcmp(pattern + s, p, len))
			return (long)s;
	return -1;
}

struct writer {
	int fd;
	int err;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	size_t off = 0;

	while (off < TOTAL) {
		ssize_t n =
			write(w->fd, pattern + off, MIN(TOTAL - off, 65536u));

		if (n <= 0) {
			w->err = n < 0 ? errno : EPIPE;
			return NULL;
		}
		off += n;
	}
	return NULL;
}

int main(void)
{
	struct rstream *A, *B;
	struct ttyscope_stats sa, sb;
	struct ttyscope_tty_info ti;
	struct pty p;
	struct writer w = { 0 };
	struct buf mrd = { 0 };
	struct tview tv;
	pthread_t thr;
	uint64_t gaps = 0, pend_recs = 0, pend_bytes = 0, recv_out = 0;
	size_t others = 0, prev_end = 0, open_mark;
	uint64_t prev_seq = 0;
	bool have_prev = false;
	int nloss_checked = 0;

	t_init("t-loss", 240);
	pattern = malloc(TOTAL);
	CHECK(pattern, "out of memory");
	for (size_t i = 0; i < TOTAL; i++)
		pattern[i] = pat(i);

	A = rs_open("A", TTYSCOPE_BUF_MIN);
	B = rs_open("B", 64u << 20);
	rs_start(B);
	tsc_stats(A->fd, &sa);
	CHECK(sa.rd_buf_size == TTYSCOPE_BUF_MIN,
	      "reader A: rd_buf_size %u after SET_BUFSIZE %u", sa.rd_buf_size,
	      TTYSCOPE_BUF_MIN);

	pty_open(&p);
	tty_setup(p.slave, TTY_RAW, false);
	CHECK(rs_wait_rec(B, 0, p.major, p.minor, TTYSCOPE_REC_OPEN, 5000) >= 0,
	      "no OPEN for %s", p.name);
	CHECK(rs_wait_rec(A, 0, p.major, p.minor, TTYSCOPE_REC_OPEN, 5000) >= 0,
	      "reader A: no OPEN for %s", p.name);
	open_mark = 0;

	/* flood: A is not read meanwhile */
	w.fd = p.slave;
	CHECK(pthread_create(&thr, NULL, writer_main, &w) == 0,
	      "pthread_create");
	if (!read_until(p.master, &mrd, TOTAL, 120000))
		FAIL("master read only %zu of %u bytes (producer blocked?)",
		     mrd.len, TOTAL);
	pthread_join(thr, NULL);
	CHECK(!w.err, "slave write: %s", errname(w.err));
	CHECK_BYTES("bytes the master read", mrd.p, mrd.len, pattern, TOTAL);
	t_log("ok: flooded %u bytes through %s; master read them exactly",
	      TOTAL, p.name);
	CHECK(rs_wait_bytes(B, 0, p.major, p.minor, TTYSCOPE_REC_OUT, TOTAL,
			    30000),
	      "reader B did not receive %u OUT bytes", TOTAL);

	tsc_stats(A->fd, &sa);
	CHECK(sa.rd_records_lost > 0,
	      "reader A (8 KiB, not read) lost nothing of %u bytes", TOTAL);
	CHECK(tsc_find(B->fd, p.major, p.minor, &ti), "%s not listed", p.name);
	t_log("reader A lost %llu records / %llu bytes so far; LIST lost_records %llu",
	      (unsigned long long)sa.rd_records_lost,
	      (unsigned long long)sa.rd_bytes_lost,
	      (unsigned long long)ti.lost_records);

	/* drain A; its LOSS record comes as soon as there is room */
	while (rs_drain(A, 200))
		;
	pty_close(&p);
	CHECK(rs_wait_rec(A, 0, p.major, p.minor, TTYSCOPE_REC_CLOSE, 5000) >=
		      0,
	      "reader A: no CLOSE for %s", p.name);
	CHECK(rs_wait_rec(B, 0, p.major, p.minor, TTYSCOPE_REC_CLOSE, 5000) >=
		      0,
	      "reader B: no CLOSE for %s", p.name);
	while (rs_drain(A, 100))
		;
	rs_stop(B);

	/* STATS of A against what it received */
	tsc_stats(A->fd, &sa);
	t_log("reader A: received %" PRIu64 " records (%" PRIu64
	      " payload bytes) + %" PRIu64 " LOSS records saying %" PRIu64
	      " records / %" PRIu64 " bytes lost",
	      A->data_recs, A->data_bytes, A->loss_recs, A->lost_records,
	      A->lost_bytes);
	t_log("reader A: STATS rd_records %llu rd_bytes %llu rd_records_lost %llu rd_bytes_lost %llu",
	      (unsigned long long)sa.rd_records,
	      (unsigned long long)sa.rd_bytes,
	      (unsigned long long)sa.rd_records_lost,
	      (unsigned long long)sa.rd_bytes_lost);
	CHECK(A->loss_recs > 0, "reader A received no LOSS record");
	CHECK(A->lost_records == sa.rd_records_lost &&
		      A->lost_bytes == sa.rd_bytes_lost,
	      "sum of LOSS payloads (%" PRIu64 " records, %" PRIu64
	      " bytes) != STATS rd_records_lost %llu, rd_bytes_lost %llu",
	      A->lost_records, A->lost_bytes,
	      (unsigned long long)sa.rd_records_lost,
	      (unsigned long long)sa.rd_bytes_lost);
	if (A->data_recs + A->lost_records != sa.rd_records ||
	    A->data_bytes + A->lost_bytes != sa.rd_bytes) {
		if (A->recs + A->lost_records == sa.rd_records)
			t_log("note: STATS.rd_records counts LOSS records too");
		FAIL("received %" PRIu64 " records + %" PRIu64
		     " lost != STATS rd_records %llu, or received %" PRIu64
		     " bytes + %" PRIu64 " lost != rd_bytes %llu",
		     A->data_recs, A->lost_records,
		     (unsigned long long)sa.rd_records, A->data_bytes,
		     A->lost_bytes, (unsigned long long)sa.rd_bytes);
	}
	t_log("ok: reader A: received + LOSS == STATS (records and bytes)");

	/* records of other ttys in A's window make per-gap accounting moot */
	rs_lock(A);
	for (size_t i = open_mark; i < A->n; i++) {
		struct trec r;

		rs_get(A, i, &r);
		if (r.type != TTYSCOPE_REC_LOSS &&
		    (r.major != p.major || r.minor != p.minor))
			others++;
	}
	/* walk A's stream: our tty's records and the LOSS records */
	for (size_t i = open_mark; i < A->n; i++) {
		struct trec r;
		uint64_t gap;
		long off;

		rs_get(A, i, &r);
		if (r.type == TTYSCOPE_REC_LOSS) {
			struct ttyscope_rec_loss l;

			memcpy(&l, r.p, sizeof(l));
			pend_recs += le64toh(l.records);
			pend_bytes += le64toh(l.bytes);
			continue;
		}
		if (r.major != p.major || r.minor != p.minor)
			continue;
		if (!have_prev) {
			CHECK(r.type == TTYSCOPE_REC_OPEN && r.seq == 0,
			      "reader A: first record of %s is %s seq %" PRIu64,
			      p.name, rec_type_name(r.type), r.seq);
			have_prev = true;
			prev_seq = 0;
			continue;
		}
		CHECK(r.seq > prev_seq,
		      "reader A: %s seq %" PRIu64 " after %" PRIu64, p.name,
		      r.seq, prev_seq);
		gap = r.seq - prev_seq - 1;
		gaps += gap;
		if (gap && !pend_recs)
			FAIL("reader A: %" PRIu64
			     " records of %s missing before #%zu (seq %" PRIu64
			     ") but no LOSS record came before it",
			     gap, p.name, i, r.seq);
		if (!gap && pend_recs && !others)
			FAIL("reader A: LOSS of %" PRIu64
			     " records before #%zu, but %s lost none there",
			     pend_recs, i, p.name);

		/* where this OUT piece lies in the stream */
		off = -1;
		if (r.type == TTYSCOPE_REC_OUT && !gap) {
			/* nothing lost in between: right after the last one */
			if (prev_end + r.len <= TOTAL &&
			    !memcmp(pattern + prev_end, r.p, r.len))
				off = prev_end;
		} else if (r.type == TTYSCOPE_REC_OUT) {
			size_t hint = prev_end + pend_bytes;

			if (hint + r.len <= TOTAL &&
			    !memcmp(pattern + hint, r.p, r.len))
				off = hint;
			else
				off = locate(r.p, r.len, prev_end);
		}
		if (r.type == TTYSCOPE_REC_OUT && off < 0) {
			hexdump("[piece] ", r.p, MIN(r.len, 64u), 0);
			FAIL("reader A: OUT #%zu (seq %" PRIu64
			     ", %u bytes) is not the pattern at %s %zu",
			     i, r.seq, r.len,
			     gap ? "any offset >=" : "the offset where seq",
			     prev_end);
		}
		if (gap && !others) {
			size_t at = r.type == TTYSCOPE_REC_OUT ? (size_t)off :
								 TOTAL;

			CHECK(pend_recs == gap && pend_bytes == at - prev_end,
			      "reader A: before #%zu (seq %" PRIu64
			      "): LOSS says %" PRIu64 " records / %" PRIu64
			      " bytes; missing are %" PRIu64
			      " records (seq %" PRIu64 "..%" PRIu64
			      ") / %zu OUT bytes (%zu..%zu)",
			      i, r.seq, pend_recs, pend_bytes, gap,
			      prev_seq + 1, r.seq - 1, at - prev_end, prev_end,
			      at);
			nloss_checked++;
		}
		pend_recs = pend_bytes = 0;
		if (r.type == TTYSCOPE_REC_OUT) {
			prev_end = off + r.len;
			recv_out += r.len;
		}
		prev_seq = r.seq;
		if (r.type == TTYSCOPE_REC_CLOSE)
			break;
	}
	rs_unlock(A);
	CHECK(have_prev, "reader A has no record of %s", p.name);
	t_log("ok: reader A: %" PRIu64
	      " OUT bytes received as pattern pieces at "
	      "increasing offsets; %" PRIu64
	      " records missing, each gap preceded "
	      "by LOSS",
	      recv_out, gaps);
	CHECK(ti.lost_records == gaps,
	      "LIST.lost_records of %s was %llu, reader A misses %" PRIu64
	      " records of it",
	      p.name, (unsigned long long)ti.lost_records, gaps);
	t_log("ok: LIST.lost_records == %" PRIu64, gaps);
	if (!others) {
		CHECK(A->lost_records == gaps &&
			      A->lost_bytes == TOTAL - recv_out,
		      "LOSS totals %" PRIu64 " records / %" PRIu64
		      " bytes; missing %" PRIu64 " records / %" PRIu64 " bytes",
		      A->lost_records, A->lost_bytes, gaps,
		      (uint64_t)TOTAL - recv_out);
		t_log("ok: received OUT %" PRIu64 " + lost %" PRIu64
		      " == %u bytes; "
		      "%d LOSS records matched their gaps exactly",
		      recv_out, A->lost_bytes, TOTAL, nloss_checked);
	} else {
		t_log("note: %zu records of other ttys in the window; per-gap "
		      "LOSS equality not checked",
		      others);
	}

	/* B: everything */
	tv_build(B, 0, p.major, p.minor, &tv);
	tv_check_capture(&tv, "reader B", p.name, 0, 0,
			 1u << TTYSCOPE_REC_OPEN | 1u << TTYSCOPE_REC_CLOSE |
				 1u << TTYSCOPE_REC_OUT |
				 1u << TTYSCOPE_REC_SESSION |
				 1u << TTYSCOPE_REC_WINSIZE);
	CHECK_BYTES("reader B: OUT records", tv.out.p, tv.out.len, pattern,
		    TOTAL);
	tsc_stats(B->fd, &sb);
	CHECK(B->loss_recs == 0 && sb.rd_records_lost == 0,
	      "reader B lost records (%" PRIu64 " LOSS, STATS lost %llu)",
	      B->loss_recs, (unsigned long long)sb.rd_records_lost);
	t_log("ok: reader B: no loss, OUT == the %u bytes, %zu records", TOTAL,
	      tv.n);
	tv_free(&tv);
	tsc_stats(B->fd, &sb);
	CHECK(sb.records_lost >= gaps,
	      "global records_lost %llu < %" PRIu64 " lost by A",
	      (unsigned long long)sb.records_lost, gaps);
	rs_close(A);
	rs_close(B);
	buf_free(&mrd);
	free(pattern);
	t_pass();
}
