// SPDX-License-Identifier: GPL-2.0-only
/*
 * Replay timing: a log of 10 000 output events with terminal-like delays
 * (bursts of 0.1..1 ms, typing at 1..10 ms, pauses up to 50 ms) is played
 * at 1x by four players: libttyscope's replay scheduler
 * (tsc_replay_wait(), with its delay-overhead correction); the same with
 * the thread's timer slack cut from the default 50 us to 1 us (what
 * ttyscope replay does); a naive loop that nanosleep()s each recorded
 * delta; and a player that never sleeps but polls the clock until each
 * event is due. That one costs a whole CPU and no player should do it,
 * but its errors are the machine's floor: the CPU taken away by other
 * work or, in a VM, by the host. Each writes the events (read from the
 * log) to /dev/null, as a player would.
 *
 * The players take turns in blocks of n/20 events, so that a noisy
 * moment of a shared machine does not fall on one player only. The error
 * of an event is when it was written minus when it was due (the block's
 * first emission plus its recorded offset from the block's first event).
 * Prints the mean and 99th percentile of the absolute error, the
 * largest, the drift (the error's trend, see evaluate()) and the CPU
 * time used per wall time,
 * and whether the targets are met: mean < 100 us, p99 < 1 ms, drift
 * < 1 ms.
 *
 * Usage: replay-timing [--events N] (N >= 20; e.g. 1000 for about 3 s of
 * recording instead of 31 s, played 4 times)
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "ttyscope.h"

#define BASE_TS 1700000000000000000ull
#define US 1000ull
#define MS 1000000ull

static char bench_path[] = "/tmp/tsc-replay-timing-XXXXXX";

/* A uniform value in [lo, hi]. */
static uint64_t bench_uniform(uint64_t *state, uint64_t lo, uint64_t hi)
{
	return lo + bench_rand(state) % (hi - lo + 1);
}

static void bench_cleanup(void)
{
	unlink(bench_path);
}

/*
 * The delay before event @i: mostly bursts (a command's output arriving
 * in pieces), then typing, then the odd pause; 0.1 ms to 50 ms.
 */
static uint64_t next_delay(uint64_t *rnd, unsigned int *burst)
{
	uint64_t kind;

	if (*burst) {
		(*burst)--;
		return bench_uniform(rnd, 100 * US, 1 * MS);
	}
	kind = bench_rand(rnd) % 100;
	if (kind < 15)
		*burst = (unsigned int)bench_uniform(rnd, 5, 40);
	if (kind < 75)
		return bench_uniform(rnd, 1 * MS, 10 * MS);
	return bench_uniform(rnd, 10 * MS, 50 * MS);
}

/* Write the log: @n OUT records; returns the recorded duration. */
static uint64_t write_log(int fd, size_t n, uint64_t *ts)
{
	struct tsc_log_meta meta = { .start_ns = BASE_TS, .tty = "pts/1" };
	uint8_t payload[256];
	struct tsc_log_writer *w;
	uint64_t rnd = 42, t = BASE_TS;
	unsigned int burst = 0;

	CHECK(tsc_log_writer_new(fd, &meta, NULL, &w) == 0);
	for (size_t i = 0; i < n; i++) {
		struct tsc_rec_hdr h = {
			.type = TTYSCOPE_REC_OUT,
			.len = (uint32_t)bench_uniform(&rnd, 1,
						       sizeof(payload)),
			.seq = i,
		};

		if (i > 0)
			t += next_delay(&rnd, &burst);
		h.ts_ns = ts[i] = t;
		for (uint32_t k = 0; k < h.len; k++)
			payload[k] = (uint8_t)("$ ls -l\r\nREADME.md  src\r\n"
						       [(i + k) % 24]);
		CHECK(tsc_log_writer_append(w, &h, payload) == 0);
	}
	CHECK(tsc_log_writer_finish(w) == 0);
	tsc_log_writer_free(w);
	return t - BASE_TS;
}

/* The events, read back from the log as a player reads them. */
struct events {
	size_t n;
	uint64_t *ts;
	uint32_t *len;
	uint8_t (*payload)[256];
};

static void read_log(int fd, struct events *ev)
{
	struct tsc_log_reader *lr;
	struct tsc_rec rec;
	size_t i = 0;

	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	CHECK(tsc_log_reader_new(fd, &lr) == 0);
	while (tsc_log_reader_next(lr, &rec) == 1) {
		CHECK(i < ev->n && rec.hdr.ts_ns == ev->ts[i] &&
		      rec.hdr.len <= sizeof(ev->payload[i]));
		ev->len[i] = rec.hdr.len;
		memcpy(ev->payload[i], rec.payload, rec.hdr.len);
		i++;
	}
	CHECK(i == ev->n);
	tsc_log_reader_free(lr);
}

enum how { SCHED, NAIVE, BUSY };

struct player {
	const char *name;
	enum how how;
	unsigned long slack; /* timer slack in ns; 0: the default */
	struct tsc_replay *rp;
	uint64_t *emit; /* when each event was written */
	uint64_t wall_ns, cpu_ns;
};

static uint64_t thread_cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Play events [from, to) at 1x, as if the player started at @from. */
static void play_block(struct player *p, const struct events *ev, int out,
		       size_t from, size_t to)
{
	uint64_t wall0, cpu0;

	if (p->slack)
		CHECK(prctl(PR_SET_TIMERSLACK, p->slack, 0ul, 0ul, 0ul) == 0);
	wall0 = mono_ns();
	cpu0 = thread_cpu_ns();
	if (p->rp)
		tsc_replay_seek(p->rp, ev->ts[from]);
	for (size_t i = from; i < to; i++) {
		if (p->how == SCHED) {
			CHECK(tsc_replay_wait(p->rp, ev->ts[i]) == 0);
		} else if (p->how == BUSY && i > from) {
			uint64_t due =
				p->emit[from] + (ev->ts[i] - ev->ts[from]);

			while (mono_ns() < due)
				;
		} else if (p->how == NAIVE && i > from) {
			uint64_t d = ev->ts[i] - ev->ts[i - 1];
			struct timespec req = {
				.tv_sec = (time_t)(d / 1000000000u),
				.tv_nsec = (long)(d % 1000000000u),
			};

			while (nanosleep(&req, &req) < 0 && errno == EINTR)
				;
		}
		p->emit[i] = mono_ns();
		CHECK(write(out, ev->payload[i], ev->len[i]) ==
		      (ssize_t)ev->len[i]);
	}
	p->cpu_ns += thread_cpu_ns() - cpu0;
	p->wall_ns += mono_ns() - wall0;
	if (p->slack)
		CHECK(prctl(PR_SET_TIMERSLACK, 0ul, 0ul, 0ul, 0ul) == 0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct result {
	double mean_us, p99_us, max_us, drift_us, cpu_pct;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The error of event @i of the block starting at @b, in ns. */
static double block_err(const struct player *p, const struct events *ev,
			size_t b, size_t i)
{
	return (double)((int64_t)(p->emit[i] - p->emit[b]) -
			(int64_t)(ev->ts[i] - ev->ts[b]));
}

/* The median error of events [from, to) of the block starting at @b. */
static double median_err(const struct player *p, const struct events *ev,
			 size_t b, size_t from, size_t to, double *tmp)
{
	for (size_t i = from; i < to; i++)
		tmp[i - from] = block_err(p, ev, b, i);
	qsort(tmp, to - from, sizeof(*tmp), cmp_double);
	return tmp[(to - from) / 2];
}

/*
 * Errors of a player's emissions against the schedule, block by block:
 * event i of the block starting at b was due at emit[b] + ts[i] - ts[b]
 * (the first event of a block defines its start and is not counted).
 * The drift is the error's trend, what one unbroken replay of the whole
 * log would accumulate: per block, the median error of its last quarter
 * minus that of its first quarter, per event between them; the median of
 * that over the blocks, times the events of the log. (Medians, so that a
 * single event delayed by the machine does not count as drift.)
 */
static struct result evaluate(const struct player *p, const struct events *ev,
			      size_t block, uint64_t *scratch, double *tmp)
{
	struct result res = { 0 };
	double sum = 0, *slope = tmp + block;
	size_t m = 0, nb = 0;

	for (size_t b = 0; b < ev->n; b += block) {
		size_t end = b + block < ev->n ? b + block : ev->n,
		       q = (end - b - 1) / 4;

		for (size_t i = b + 1; i < end; i++) {
			double err = block_err(p, ev, b, i);

			scratch[m] = (uint64_t)(err < 0 ? -err : err);
			sum += (double)scratch[m++];
		}
		if (q < 2)
			continue;
		slope[nb++] = (median_err(p, ev, b, end - q, end, tmp) -
			       median_err(p, ev, b, b + 1, b + 1 + q, tmp)) /
			      (double)(end - b - 1 - q);
	}
	qsort(scratch, m, sizeof(*scratch), cmp_u64);
	res.mean_us = sum / (double)m / 1e3;
	res.p99_us = (double)scratch[(m * 99 + 99) / 100 - 1] / 1e3;
	res.max_us = (double)scratch[m - 1] / 1e3;
	if (nb) {
		qsort(slope, nb, sizeof(*slope), cmp_double);
		res.drift_us = slope[nb / 2] * (double)(ev->n - 1) / 1e3;
	}
	res.cpu_pct = 100.0 * (double)p->cpu_ns / (double)p->wall_ns;
	return res;
}

static void print_result(const char *what, const struct result *r)
{
	printf("%-24s %9.1f us %9.1f us %9.1f us %+11.1f us %6.1f %%\n", what,
	       r->mean_us, r->p99_us, r->max_us, r->drift_us, r->cpu_pct);
}

static const char *met(bool ok)
{
	return ok ? "met" : "NOT met";
}

static void print_targets(const char *what, const struct result *r)
{
	printf("%s: mean < 100 us %s, p99 < 1 ms %s, |drift| < 1 ms %s\n", what,
	       met(r->mean_us < 100), met(r->p99_us < 1000),
	       met(r->drift_us > -1000 && r->drift_us < 1000));
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "events", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct player pl[] = {
		{ "tsc_replay", SCHED, 0, NULL, NULL, 0, 0 },
		{ "tsc_replay, 1 us slack", SCHED, 1000, NULL, NULL, 0, 0 },
		{ "naive nanosleep", NAIVE, 0, NULL, NULL, 0, 0 },
		{ "busy-wait", BUSY, 0, NULL, NULL, 0, 0 },
	};
	enum { NP = sizeof(pl) / sizeof(pl[0]) };
	struct result res[NP];
	struct events ev = { 0 };
	uint64_t *scratch, duration;
	double *tmp;
	size_t n = 10000, block;
	int c, fd, out;

	while ((c = getopt_long(argc, argv, "n:", longopts, NULL)) != -1) {
		char *end;

		if (c != 'n') {
			fprintf(stderr, "usage: replay-timing [--events N]\n");
			return 2;
		}
		n = strtoul(optarg, &end, 10);
		if (*end || n < 20 || n > 10000000) {
			fprintf(stderr, "replay-timing: bad event count\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	ev.n = n;
	ev.ts = calloc(n, sizeof(*ev.ts));
	ev.len = calloc(n, sizeof(*ev.len));
	ev.payload = calloc(n, sizeof(*ev.payload));
	block = n / 20;
	scratch = calloc(n, sizeof(*scratch));
	/* a block's errors, then one slope per block */
	tmp = calloc(block + n / block + 1, sizeof(*tmp));
	CHECK(ev.ts && ev.len && ev.payload && scratch && tmp);
	for (size_t k = 0; k < NP; k++) {
		pl[k].emit = calloc(n, sizeof(*pl[k].emit));
		CHECK(pl[k].emit != NULL);
		if (pl[k].how == SCHED)
			CHECK(tsc_replay_new(NULL, &pl[k].rp) == 0);
	}
	fd = mkstemp(bench_path);
	CHECK(fd >= 0);
	atexit(bench_cleanup);
	out = open("/dev/null", O_WRONLY | O_CLOEXEC);
	CHECK(out >= 0);

	duration = write_log(fd, n, ev.ts);
	read_log(fd, &ev);
	printf("replay-timing: %zu events, %.1f s at 1x (bursts of "
	       "0.1..1 ms, typing 1..10 ms, pauses up to 50 ms); the players "
	       "take turns, %zu events each, so that they share the "
	       "machine's quiet and busy moments\n",
	       n, (double)duration / 1e9, block);
	for (size_t b = 0, r = 0; b < n; b += block, r++) {
		size_t end = b + block < n ? b + block : n;

		for (size_t k = 0; k < NP; k++)
			play_block(&pl[(r + k) % NP], &ev, out, b, end);
	}
	printf("%-24s %12s %12s %12s %14s %8s\n", "player", "mean |err|",
	       "p99 |err|", "max |err|", "drift", "CPU");
	for (size_t k = 0; k < NP; k++) {
		res[k] = evaluate(&pl[k], &ev, block, scratch, tmp);
		print_result(pl[k].name, &res[k]);
	}
	print_targets("tsc_replay", &res[0]);
	print_targets("tsc_replay with 1 us timer slack (ttyscope replay)",
		      &res[1]);
	print_targets("busy-wait (a whole CPU: this machine's floor)", &res[3]);
	printf("tsc_replay / busy-wait: mean error %.1fx, p99 %.1fx\n",
	       res[0].mean_us / res[3].mean_us, res[0].p99_us / res[3].p99_us);
	/* each naive sleep's overshoot: the machine's wake-up latency */
	{
		size_t m = 0;

		for (size_t i = 1; i < n; i++)
			if (i % block) {
				uint64_t took = pl[2].emit[i] -
						pl[2].emit[i - 1],
					 asked = ev.ts[i] - ev.ts[i - 1];

				scratch[m++] = took > asked ? took - asked : 0;
			}
		qsort(scratch, m, sizeof(*scratch), cmp_u64);
		printf("wake-up latency of a sleep (the naive loop's "
		       "overshoot): p50 %.1f us, p90 %.1f us, p99 %.1f us; a "
		       "player that sleeps meets p99 < 1 ms only if it "
		       "polls the clock that long before each event\n",
		       (double)scratch[m / 2] / 1e3,
		       (double)scratch[m * 9 / 10] / 1e3,
		       (double)scratch[(m * 99 + 99) / 100 - 1] / 1e3);
	}
	printf("naive / tsc_replay: mean error %.1fx, p99 %.1fx; the naive "
	       "loop drifts %.1f us per event (each sleep's wake-up latency)\n",
	       res[2].mean_us / res[0].mean_us, res[2].p99_us / res[0].p99_us,
	       res[2].drift_us / (double)(n - 1));
	close(out);
	close(fd);
	for (size_t k = 0; k < NP; k++) {
		tsc_replay_free(pl[k].rp);
		free(pl[k].emit);
	}
	free(ev.ts);
	free(ev.len);
	free(ev.payload);
	free(scratch);
	free(tmp);
	return 0;
}
