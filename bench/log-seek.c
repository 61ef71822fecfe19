// SPDX-License-Identifier: GPL-2.0-only
/*
 * Seek latency in 100 MB logs: for an uncompressed and a compressed log,
 * each once closed cleanly and once "crashed" (no index), open the log and
 * seek to random times, forward and backward. The first seek of a crashed
 * log includes rebuilding the index. Prints the figures and whether the
 * worst open+seek stays under the 200 ms target; every seek must land on
 * the right record.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <stdbool.h>
#include <stdint.h>

#include "bench.h"
#include "ttyscope.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define CHECK_EQ(a, b) bench_check((a) == (b), #a " == " #b)

#define TARGET (100ull << 20)
#define TARGET_NS 200000000ull
#define BASE_TS 1700000000000000000ull

static char bench_dir[] = "/tmp/tsc-log-seek-XXXXXX";

static int bench_open(const char *name, int flags)
{
	char path[sizeof(bench_dir) + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", bench_dir, name);
	fd = open(path, flags | O_CLOEXEC, 0600);
	bench_check(fd >= 0, path);
	return fd;
}

static void bench_cleanup(void)
{
	char path[sizeof(bench_dir) + 32];

	snprintf(path, sizeof(path), "%s/big", bench_dir);
	unlink(path);
	rmdir(bench_dir);
}

/*
 * Write a log of about 100 MB (file size) of terminal-like output with
 * some incompressible bytes; returns the number of records.
 */
static uint64_t write_big(const char *name, unsigned int flags, bool finish)
{
	struct tsc_log_writer_options opts = { .flags = flags };
	struct tsc_log_meta meta = { .start_ns = BASE_TS };
	uint8_t payload[TTYSCOPE_MAX_PAYLOAD];
	struct tsc_log_writer *w;
	uint64_t rnd = 1, i;
	int fd = bench_open(name, O_WRONLY | O_CREAT | O_TRUNC);

	CHECK_EQ(tsc_log_writer_new(fd, &meta, &opts, &w), 0);
	for (i = 0; tsc_log_writer_offset(w) < TARGET; i++) {
		uint64_t x = bench_rand(&rnd);
		struct tsc_rec_hdr hdr = {
			.type = TTYSCOPE_REC_OUT,
			.len = (uint32_t)(x % 400),
			.seq = i,
			.ts_ns = BASE_TS + i * 1000000u,
		};

		for (uint32_t k = 0; k < hdr.len; k++)
			payload[k] =
				k % 4 ? (uint8_t)("drwxr-xr-x 2 "[k % 13]) :
					(uint8_t)bench_rand(&rnd);
		CHECK_EQ(tsc_log_writer_append(w, &hdr, payload), 0);
	}
	if (finish)
		CHECK_EQ(tsc_log_writer_finish(w), 0);
	else
		CHECK_EQ(tsc_log_writer_flush(w), 0);
	tsc_log_writer_free(w);
	close(fd);
	return i;
}

static const struct {
	const char *what;
	unsigned int flags;
	bool finish;
} cases[] = {
	{ "plain, closed", 0, true },
	{ "plain, crashed", 0, false },
	{ "zstd, closed", TSC_LOG_ZSTD, true },
	{ "zstd, crashed", TSC_LOG_ZSTD, false },
};

static void bench_case(int _i)
{
	uint64_t n = write_big("big", cases[_i].flags, cases[_i].finish);
	uint64_t rnd = 3, first = 0, worst = 0, total = 0;
	const int seeks = 200;

	for (int k = 0; k <= seeks; k++) {
		uint64_t want = bench_rand(&rnd) % n, t0, dt;
		struct tsc_log_reader *r = NULL;
		struct tsc_rec rec;
		int fd;

		t0 = mono_ns();
		fd = bench_open("big", O_RDONLY);
		/* a fresh reader each time: every seek pays for the index */
		CHECK_EQ(tsc_log_reader_new(fd, &r), 0);
		CHECK_EQ(tsc_log_reader_seek_time(r, BASE_TS + want * 1000000u),
			 0);
		CHECK_EQ(tsc_log_reader_next(r, &rec), 1);
		dt = mono_ns() - t0;
		CHECK_EQ(rec.hdr.seq, want);
		tsc_log_reader_free(r);
		close(fd);
		if (k == 0)
			first = dt;
		else
			total += dt;
		if (dt > worst)
			worst = dt;
	}
	printf("%-15s %llu records: open+seek first %.1f ms, mean %.2f ms, "
	       "worst %.1f ms (target < 200 ms: %s)\n",
	       cases[_i].what, (unsigned long long)n, first / 1e6,
	       total / 1e6 / seeks, worst / 1e6,
	       worst < TARGET_NS ? "met" : "NOT met");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	bench_check(mkdtemp(bench_dir) != NULL, "mkdtemp");
	atexit(bench_cleanup);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		bench_case((int)i);
	return 0;
}
