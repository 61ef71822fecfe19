// SPDX-License-Identifier: GPL-2.0-only
/*
 * Replay timing: a log of 10 000 output events with terminal-like delays
 * (bursts of 0.1..1 ms, typing at 1..10 ms, pauses up to 50 ms) is played
 * at 1x in the same run, in turn: through libttyscope's replay scheduler
 * (tsc_replay_wait(), with its delay-overhead correction), by a naive loop
 * that nanosleep()s each recorded delta, and through the scheduler again
 * with the thread's timer slack cut from the default 50 us to 1 us (what
 * a player can do about the kernel's wake-up latency). Each reads the
 * events from the log and writes them to /dev/null, as a player would.
 *
 * For each, the error of an event is when it was written minus when it
 * was due (the first event's emission plus its recorded offset). Prints
 * the mean and 99th percentile of the absolute error, the largest, and
 * the end-to-end drift (the last event's error), and whether the
 * scheduler meets the targets: mean < 100 us, p99 < 1 ms, drift < 1 ms.
 *
 * Usage: replay-timing [--events N] (N >= 2; e.g. 1000 for about 3 s per
 * player instead of 31 s)
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

/* Play the log once; the emission time of each event goes to @emit. */
static void play(int fd, int out, bool naive, size_t n, const uint64_t *ts,
		 uint64_t *emit)
{
	struct tsc_log_reader *lr;
	struct tsc_replay *rp;
	struct tsc_rec rec;
	size_t i = 0;

	CHECK(tsc_log_reader_new(fd, &lr) == 0);
	CHECK(tsc_replay_new(NULL, &rp) == 0);
	while (tsc_log_reader_next(lr, &rec) == 1) {
		CHECK(i < n && rec.hdr.ts_ns == ts[i]);
		if (!naive) {
			CHECK(tsc_replay_wait(rp, rec.hdr.ts_ns) == 0);
		} else if (i > 0) {
			uint64_t d = rec.hdr.ts_ns - ts[i - 1];
			struct timespec req = {
				.tv_sec = (time_t)(d / 1000000000u),
				.tv_nsec = (long)(d % 1000000000u),
			};

			while (nanosleep(&req, &req) < 0 && errno == EINTR)
				;
		}
		emit[i] = mono_ns();
		CHECK(write(out, rec.payload, rec.hdr.len) ==
		      (ssize_t)rec.hdr.len);
		i++;
	}
	CHECK(i == n);
	tsc_replay_free(rp);
	tsc_log_reader_free(lr);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct result {
	double mean_us, p99_us, max_us, drift_us;
};

/* Errors of @emit against the schedule given by the recording. */
static struct result evaluate(size_t n, const uint64_t *ts,
			      const uint64_t *emit, uint64_t *scratch)
{
	struct result res = { 0 };
	double sum = 0;

	for (size_t i = 0; i < n; i++) {
		int64_t err =
			(int64_t)(emit[i] - emit[0]) - (int64_t)(ts[i] - ts[0]);

		scratch[i] = (uint64_t)(err < 0 ? -err : err);
		sum += (double)scratch[i];
		if (i == n - 1)
			res.drift_us = (double)err / 1e3;
	}
	qsort(scratch, n, sizeof(*scratch), cmp_u64);
	res.mean_us = sum / (double)n / 1e3;
	res.p99_us = (double)scratch[(n * 99 + 99) / 100 - 1] / 1e3;
	res.max_us = (double)scratch[n - 1] / 1e3;
	return res;
}

static void print_result(const char *what, const struct result *r)
{
	printf("%-17s %9.1f us %9.1f us %9.1f us %+11.1f us\n", what,
	       r->mean_us, r->p99_us, r->max_us, r->drift_us);
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
	uint64_t *ts, *emit, *scratch, duration;
	struct result sched, naive, slack;
	size_t n = 10000;
	int c, fd, out;

	while ((c = getopt_long(argc, argv, "n:", longopts, NULL)) != -1) {
		char *end;

		if (c != 'n') {
			fprintf(stderr, "usage: replay-timing [--events N]\n");
			return 2;
		}
		n = strtoul(optarg, &end, 10);
		if (*end || n < 2 || n > 10000000) {
			fprintf(stderr, "replay-timing: bad event count\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	ts = calloc(n, sizeof(*ts));
	emit = calloc(n, sizeof(*emit));
	scratch = calloc(n, sizeof(*scratch));
	CHECK(ts && emit && scratch);
	fd = mkstemp(bench_path);
	CHECK(fd >= 0);
	atexit(bench_cleanup);
	out = open("/dev/null", O_WRONLY | O_CLOEXEC);
	CHECK(out >= 0);

	duration = write_log(fd, n, ts);
	printf("replay-timing: %zu events, %.1f s at 1x (bursts of "
	       "0.1..1 ms, typing 1..10 ms, pauses up to 50 ms), each player "
	       "in turn\n",
	       n, (double)duration / 1e9);
	printf("%-17s %12s %12s %12s %14s\n", "player", "mean |err|",
	       "p99 |err|", "max |err|", "drift");
	play(fd, out, false, n, ts, emit);
	sched = evaluate(n, ts, emit, scratch);
	print_result("tsc_replay", &sched);
	play(fd, out, true, n, ts, emit);
	naive = evaluate(n, ts, emit, scratch);
	print_result("naive nanosleep", &naive);
	/* the same, with the kernel's 50 us default timer slack cut to 1 us */
	CHECK(prctl(PR_SET_TIMERSLACK, 1000ul, 0ul, 0ul, 0ul) == 0);
	play(fd, out, false, n, ts, emit);
	slack = evaluate(n, ts, emit, scratch);
	print_result("tsc_replay, slack", &slack);
	CHECK(prctl(PR_SET_TIMERSLACK, 0ul, 0ul, 0ul, 0ul) == 0);
	print_targets("tsc_replay", &sched);
	print_targets("tsc_replay with 1 us timer slack", &slack);
	printf("naive / tsc_replay: mean error %.1fx, p99 %.1fx; the naive "
	       "loop drifts %.1f us per event (each sleep's wake-up latency)\n",
	       naive.mean_us / sched.mean_us, naive.p99_us / sched.p99_us,
	       naive.drift_us / (double)(n - 1));
	close(out);
	close(fd);
	free(ts);
	free(emit);
	free(scratch);
	return 0;
}
