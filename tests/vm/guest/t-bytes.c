// SPDX-License-Identifier: GPL-2.0
/*
 * t-bytes: captured bytes are exactly the bytes that crossed the pty master.
 *
 * Randomized sessions (seeded; the seed is printed) of 1..4 concurrent pty
 * pairs. For each pair: canonical, canonical with every special character
 * disabled, or raw (cfmakeraw) mode; ECHO on or off; bursts of 0 bytes to
 * 1 MiB in each direction (the slave writes program output, the master
 * writes keystrokes), UTF-8 and binary (in raw mode all 256 byte values);
 * window resizes mid-stream. Then, per pty:
 *   - OPEN (seq 0, kind PTY, name pts/N) ... CLOSE, seq contiguous;
 *   - concatenated OUT == every byte read from the master;
 *   - concatenated IN == every byte written to the master, in order;
 *   - IN carries TTYSCOPE_RF_NOECHO exactly when ECHO was off and
 *     TTYSCOPE_RF_NONCANON exactly in raw mode;
 *   - the slave read exactly the keystrokes, and (ECHO off) the master read
 *     exactly the output after ONLCR;
 *   - after each resize a WINSIZE record with the new size comes after the
 *     records of the bytes moved before the resize and before the records of
 *     the bytes moved after it (unless the next resize came before any byte
 *     moved: sizes are sampled when data flows).
 *
 * Environment: TTYSCOPE_SEED, TTYSCOPE_SESSIONS (default 24).
 * Argument --no-capture: run only the pty traffic (development without the
 * module).
 */
#include "lib.h"

#include <endian.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_PTYS 4
#define MIB (1u << 20)

static const char *const utf8[] = {
	"\xc3\xa9", /* é */
	"\xe2\x82\xac", /* € */
	"\xe6\x97\xa5\xe6\x9c\xac", /* 日本 */
	"\xf0\x9f\x99\x82", /* 🙂 */
	"\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", /* Привет */
	"\xcf\x80\xe2\x89\x88\x33", /* π≈3 */
};

static unsigned int resize_counter;
static bool no_capture;

static void put_utf8(struct rng *rng, uint8_t *p, size_t *o, size_t end)
{
	const char *s = utf8[rng_below(rng, ARRAY_SIZE(utf8))];
	size_t l = strlen(s);

	if (*o + l <= end) {
		memcpy(p + *o, s, l);
		*o += l;
	}
}

/* shuffled 0..255 at p (n >= 256) */
static void put_all_bytes(struct rng *rng, uint8_t *p)
{
	for (int i = 0; i < 256; i++)
		p[i] = i;
	for (int i = 255; i > 0; i--) {
		int j = rng_below(rng, i + 1);
		uint8_t t = p[i];

		p[i] = p[j];
		p[j] = t;
	}
}

/* binary data: every byte value, UTF-8, newlines */
static void gen_binary(struct rng *rng, uint8_t *p, size_t len)
{
	size_t o = 0;

	if (len >= 256) {
		put_all_bytes(rng, p);
		o = 256;
	}
	while (o < len) {
		uint64_t k = rng_below(rng, 10);

		if (k == 0)
			put_utf8(rng, p, &o, len);
		else if (k == 1)
			p[o++] = '\n';
		else if (k < 5) {
			size_t n = rng_below(rng, 64);

			n = MIN(len - o, n);

			for (size_t i = 0; i < n; i++)
				p[o + i] = 0x20 + rng_below(rng, 0x5f);
			o += n;
		} else {
			size_t n = rng_below(rng, 32);

			n = MIN(len - o, n);

			rng_bytes(rng, p + o, n);
			o += n;
		}
	}
}

/*
 * keystrokes for canonical mode: lines ending in '\n' (the last byte too).
 * TTY_CANON: printable ASCII, tabs, UTF-8 and bytes 0xa0..0xff (never a
 * control character, so nothing is special). TTY_CANON_NOSPECIAL: any byte
 * but NUL and '\n' (all special characters are disabled there).
 */
static void gen_lines(struct rng *rng, enum tty_mode mode, uint8_t *p,
		      size_t len)
{
	size_t o = 0;

	if (!len)
		return;
	if (mode == TTY_CANON_NOSPECIAL && len >= 256) {
		/* one line holding every allowed byte value */
		for (int c = 1; c < 256; c++)
			if (c != '\n')
				p[o++] = c;
		p[o++] = '\n';
	}
	while (o < len - 1) {
		size_t end = o + rng_below(rng, 300);

		end = MIN(len - 1, end);

		while (o < end) {
			uint64_t k = rng_below(rng, 8);

			if (k == 0) {
				put_utf8(rng, p, &o, end);
				if (o < end)
					p[o++] = ' ';
			} else if (mode == TTY_CANON_NOSPECIAL) {
				do
					p[o] = rng_next(rng);
				while (p[o] == 0 || p[o] == '\n');
				o++;
			} else if (k == 1) {
				p[o++] = 0xa0 + rng_below(rng, 0x60);
			} else if (k == 2) {
				p[o++] = '\t';
			} else {
				p[o++] = 0x20 + rng_below(rng, 0x5f);
			}
		}
		p[o++] = '\n';
	}
	if (o < len)
		p[o++] = '\n';
}

static size_t pick_len(struct rng *rng, int cls)
{
	switch (cls) {
	case 0:
		return rng_below(rng, 65);
	case 1:
		return rng_below(rng, 4097);
	case 2:
		return rng_below(rng, 65537);
	case 3:
		return 65536 + rng_below(rng, 512 * 1024);
	default:
		return MIB;
	}
}

static struct flow *make_flow(struct rng *rng, enum tty_mode mode, bool echo,
			      size_t in_len, size_t out_len, int nresize)
{
	struct flow *f = calloc(1, sizeof(*f));
	uint8_t *in = malloc(in_len + 1), *out = malloc(out_len + 1);
	size_t prev_in = 0;

	CHECK(f && in && out, "out of memory");
	f->rng.s = rng_next(rng);
	f->mode = mode;
	f->echo = echo;
	if (mode == TTY_RAW)
		gen_binary(rng, in, in_len);
	else
		gen_lines(rng, mode, in, in_len);
	gen_binary(rng, out, out_len);
	f->in = in;
	f->in_len = in_len;
	f->out = out;
	f->out_len = out_len;
	f->nresize = nresize;
	for (int k = 0; k < nresize; k++) {
		size_t at = in_len * (k + 1) / (nresize + 1);
		unsigned int c = ++resize_counter;

		/* canonical input pauses only at line ends */
		if (mode != TTY_RAW)
			while (at < in_len && at > 0 && in[at - 1] != '\n')
				at++;
		at = MAX(at, prev_in);
		f->in_stop[k] = prev_in = at;
		f->out_stop[k] = out_len * (k + 1) / (nresize + 1);
		f->ws[k].ws_row = 10 + c % 300;
		f->ws[k].ws_col = 20 + (c * 7) % 400;
		f->ws[k].ws_xpixel = c;
		f->ws[k].ws_ypixel = 1000 + c;
	}
	return f;
}

/* Is record @i data the resize check counts: IN, or OUT with echo off? */
static int data_dir(const struct flow *f, const struct tview *tv, long i)
{
	if (tv->r[i].type == TTYSCOPE_REC_IN)
		return 1;
	if (tv->r[i].type == TTYSCOPE_REC_OUT && !f->echo)
		return 2;
	return 0;
}

/*
 * A data record is produced just after the line discipline took its
 * bytes, and the other end may read them in between. A resize made then
 * is sampled by the other direction's next record, so its WINSIZE may
 * precede the record of bytes read before the resize (FORMAT.md). Is
 * that what happened: between the WINSIZE at @found and the first record
 * with later bytes at @post, only records of the other direction?
 */
static bool sampled_by_other_direction(const struct flow *f,
				       const struct tview *tv, long found,
				       long post)
{
	int dir = data_dir(f, tv, post);

	for (long i = found + 1; i < post; i++)
		if (data_dir(f, tv, i) == dir)
			return false;
	return dir != 0;
}

static void check_winsize(const struct flow *f, const struct tview *tv,
			  const char *what)
{
	for (int k = 0; k < f->resized; k++) {
		size_t in_at = f->resize_in_at[k], mrd_at = f->resize_mrd_at[k];
		size_t in_b = 0, out_b = 0;
		long pre = -1, post = (long)tv->n, found = -1;

		for (size_t i = 0; i < tv->n; i++) {
			const struct trec *r = &tv->r[i];
			int dir = data_dir(f, tv, (long)i);
			bool is_in = dir == 1, is_out = dir == 2;

			if ((is_in && in_b < in_at) ||
			    (is_out && out_b < mrd_at))
				pre = i;
			if (post == (long)tv->n &&
			    ((is_in && in_b + r->len > in_at) ||
			     (is_out && out_b + r->len > mrd_at)))
				post = i;
			if (r->type == TTYSCOPE_REC_WINSIZE) {
				struct ttyscope_rec_winsize w;

				memcpy(&w, r->p, sizeof(w));
				if (le16toh(w.rows) == f->ws[k].ws_row &&
				    le16toh(w.cols) == f->ws[k].ws_col &&
				    le16toh(w.xpixel) == f->ws[k].ws_xpixel &&
				    le16toh(w.ypixel) == f->ws[k].ws_ypixel)
					found = i;
			}
			if (r->type == TTYSCOPE_REC_IN)
				in_b += r->len;
			if (r->type == TTYSCOPE_REC_OUT)
				out_b += r->len;
		}
		if (found < 0 && post == (long)tv->n)
			continue; /* no data after the resize: nothing to sample */
		/*
		 * Short flows may resize twice with no byte moved in between
		 * (equal stops): the size is sampled when data flows, so the
		 * first of the two is never seen, rightly.
		 */
		if (found < 0 && k + 1 < f->resized &&
		    f->resize_in_at[k + 1] == in_at &&
		    f->resize_mrd_at[k + 1] == mrd_at)
			continue;
		if (found >= 0 && found < pre && post < (long)tv->n &&
		    sampled_by_other_direction(f, tv, found, post)) {
			t_log("%s: resize %d: WINSIZE at %ld precedes the record "
			      "at %ld of bytes read before the resize (sampled "
			      "by the other direction)",
			      what, k, found, pre);
			continue;
		}
		if (found < 0 || found <= pre || found >= post) {
			long lo = MIN(pre, found >= 0 ? found : pre),
			     hi = MAX(post, found);

			tv_print(tv, 20);
			tv_print_range(tv, (size_t)MAX(lo - 3, 0),
				       (size_t)(hi + 3));
			FAIL("%s: resize %d to %ux%u (%ux%u px) at keystroke byte %zu / screen byte %zu: "
			     "WINSIZE record %s at %ld (must come after record %ld, the last with earlier bytes, "
			     "and before record %ld, the first with later bytes)",
			     what, k, f->ws[k].ws_row, f->ws[k].ws_col,
			     f->ws[k].ws_xpixel, f->ws[k].ws_ypixel, in_at,
			     mrd_at, found < 0 ? "missing" : "misplaced", found,
			     pre, post);
		}
	}
}

static void verify_flow(struct rstream *rs, size_t mark, struct flow *f,
			const char *what)
{
	struct tview tv;
	struct buf exp = { 0 };
	uint32_t want_flag = (f->echo ? 0 : TTYSCOPE_RF_NOECHO) |
			     (f->mode == TTY_RAW ? TTYSCOPE_RF_NONCANON : 0);
	uint64_t allowed = 1u << TTYSCOPE_REC_OPEN | 1u << TTYSCOPE_REC_CLOSE |
			   1u << TTYSCOPE_REC_IN | 1u << TTYSCOPE_REC_OUT |
			   1u << TTYSCOPE_REC_WINSIZE |
			   1u << TTYSCOPE_REC_SESSION;

	/* the pty itself did what a terminal does */
	CHECK_BYTES("slave read vs keystrokes written", f->srd.p, f->srd.len,
		    f->in, f->in_len);
	if (!f->echo) {
		flow_expected_master(f, &exp);
		CHECK_BYTES("master read vs output written (+ONLCR)", f->mrd.p,
			    f->mrd.len, exp.p, exp.len);
	}
	buf_free(&exp);
	if (no_capture)
		return;

	tv_build(rs, mark, f->pty.major, f->pty.minor, &tv);
	tv_check_capture(&tv, what, f->pty.name, 0, 0, allowed);
	if (!bytes_diff("OUT records vs bytes the master read", tv.out.p,
			tv.out.len, f->mrd.p, f->mrd.len)) {
		tv_print(&tv, 40);
		FAIL("%s: OUT capture differs from the master's screen stream",
		     what);
	}
	if (!bytes_diff("IN records vs bytes written to the master", tv.in.p,
			tv.in.len, f->in, f->in_len)) {
		tv_print(&tv, 40);
		FAIL("%s: IN capture differs from the keystrokes", what);
	}
	for (size_t i = 0; i < tv.n; i++)
		if (tv.r[i].type == TTYSCOPE_REC_IN &&
		    tv.r[i].flags != want_flag) {
			tv_print(&tv, 40);
			FAIL("%s: IN record #%zu has flags 0x%x, expected 0x%x (ECHO %s, %s)",
			     what, i, tv.r[i].flags, want_flag,
			     f->echo ? "on" : "off", tty_mode_name(f->mode));
		}
	check_winsize(f, &tv, what);
	t_log("  %s %s: %zu records, IN %zu B in %zu, OUT %zu B in %zu, %d resizes ok",
	      what, f->pty.name, tv.n, tv.in.len, tv.n_in, tv.out.len, tv.n_out,
	      f->resized);
	tv_free(&tv);
}

static void run_session(struct rstream *rs, struct rng *rng, int s)
{
	struct flow *f[MAX_PTYS];
	int n = s < 3 ? 1 : 1 + rng_below(rng, MAX_PTYS);
	size_t mark = rs ? rs_count(rs) : 0;
	uint64_t t0 = mono_ns();
	char what[64];

	for (int i = 0; i < n; i++) {
		enum tty_mode mode = rng_below(rng, 3);
		bool echo = rng_below(rng, 2);
		int cls = s % 6 == 5 ? 4 : (int)rng_below(rng, 4);
		size_t in_len = pick_len(rng, cls),
		       out_len = pick_len(rng, cls);
		int nres = rng_below(rng, 4);

		if (s == 0) { /* every byte value both ways, raw */
			mode = TTY_RAW;
			echo = false;
			in_len = out_len = 4096;
		} else if (s == 1) {
			mode = TTY_CANON;
			echo = true;
			in_len = out_len = 3000;
		} else if (s == 2) {
			mode = TTY_CANON_NOSPECIAL;
			echo = false;
			in_len = out_len = 5000;
		}
		f[i] = make_flow(rng, mode, echo, in_len, out_len, nres);
		pty_open(&f[i]->pty);
		tty_setup(f[i]->pty.slave, mode, echo);
		t_log("session %d pty %d: %s, %s, echo %s, in %zu B, out %zu B, %d resizes",
		      s, i, f[i]->pty.name, tty_mode_name(mode),
		      echo ? "on" : "off", in_len, out_len, nres);
	}
	flow_run(f, n, NULL, NULL, 100, 20000);
	for (int i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "session %d pty %d", s, i);
		if (rs &&
		    rs_wait_rec(rs, mark, f[i]->pty.major, f[i]->pty.minor,
				TTYSCOPE_REC_CLOSE, 10000) < 0) {
			struct tview tv;

			tv_build(rs, mark, f[i]->pty.major, f[i]->pty.minor,
				 &tv);
			tv_print(&tv, 40);
			FAIL("%s (%s): no CLOSE record within 10 s of closing the pair",
			     what, f[i]->pty.name);
		}
		verify_flow(rs, mark, f[i], what);
	}
	for (int i = 0; i < n; i++) {
		free((void *)f[i]->in);
		free((void *)f[i]->out);
		flow_free(f[i]);
	}
	if (rs) {
		CHECK(rs->lost_records == 0,
		      "reader lost %" PRIu64
		      " records (LOSS); capture cannot be verified",
		      rs->lost_records);
		rs_reset(rs);
	}
	t_log("session %d ok (%d ptys, %.1f s)", s, n, (mono_ns() - t0) / 1e9);
}

int main(int argc, char **argv)
{
	struct rstream *rs = NULL;
	struct rng rng;
	unsigned long sessions = env_uint("TTYSCOPE_SESSIONS", 24);

	t_init("t-bytes", 280);
	no_capture = argc > 1 && !strcmp(argv[1], "--no-capture");
	rng.s = t_seed();
	if (!no_capture) {
		rs = rs_open("main", 32u << 20);
		rs_start(rs);
	}
	for (unsigned long s = 0; s < sessions; s++)
		run_session(rs, &rng, (int)s);
	if (rs) {
		struct ttyscope_stats st;

		rs_stop(rs);
		tsc_stats(rs->fd, &st);
		CHECK(st.rd_records_lost == 0,
		      "STATS: reader lost %llu records",
		      (unsigned long long)st.rd_records_lost);
		rs_close(rs);
	}
	t_log("%lu sessions: capture == pty traffic, byte for byte", sessions);
	t_pass();
}
