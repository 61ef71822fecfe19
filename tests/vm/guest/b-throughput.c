// SPDX-License-Identifier: GPL-2.0
/*
 * b-throughput: what capture costs. Runs in a boot WITHOUT the module
 * loaded; prints figures only (exit 0 unless something errors).
 *
 *  1. pty throughput uncaptured: a writer thread on the slave (raw mode),
 *     a reader thread draining the master; TTYSCOPE_BENCH_MIB MiB (default
 *     64; a run stops after MEASURE_SECS anyway) through 1 pair, then
 *     split over 8 pairs in parallel; median of 3.
 *  2. load the module (finit_module of $TSC_MODULE, default /ttyscope.ko)
 *     and measure again on new ptys (captured): first with no reader open
 *     (the cost of the line discipline wrapper alone), then with a reader
 *     thread draining /dev/rpl (default buffer) as the daemon would; print
 *     the captured/uncaptured ratios (target >= 95 %).
 *  3. peak record rate of one reader: 4 pairs write 64-byte chunks at an
 *     offered rate doubling every step (2 s each) until the reader reports
 *     LOSS or the offered rate is no longer reached; prints records/s and
 *     MB/s per step and the highest rate without loss.
 */
#include "lib.h"

#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAXPAIRS 8
#define CHUNK 65536
#define MEASURE_SECS 4

struct pair {
	struct pty p;
	size_t bytes; /* to move */
	uint64_t rate; /* writes of @wsize per second, 0: unthrottled */
	size_t wsize; /* bytes per write */
	uint64_t stop_ns; /* for rate runs */
	size_t written, got;
	pthread_t wt, rt;
};

static uint8_t wbuf[CHUNK];

/*
 * writer() - write @wsize-byte chunks to the slave until @bytes are written
 * (0: no limit) or @stop_ns passes, at @rate writes per second if set.
 */
static void *writer(void *arg)
{
	struct pair *pr = arg;
	uint64_t t0 = mono_ns(), n = 0;

	for (;;) {
		size_t len = pr->wsize;
		uint64_t now = mono_ns();
		ssize_t r;

		if (now >= pr->stop_ns)
			break;
		if (pr->bytes) {
			if (pr->written >= pr->bytes)
				break;
			len = MIN(len, pr->bytes - pr->written);
		}
		if (pr->rate && n >= (now - t0) * pr->rate / 1000000000u) {
			struct timespec ts = { 0, 200000 };

			nanosleep(&ts, NULL);
			continue;
		}
		r = write(pr->p.slave, wbuf, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			FAIL("bench writer: %s", strerror(errno));
		pr->written += r;
		n++;
	}
	return NULL;
}

/* reader() - drain the master until EIO (the slave was closed) */
static void *reader(void *arg)
{
	struct pair *pr = arg;
	static __thread uint8_t buf[CHUNK];

	for (;;) {
		ssize_t r = read(pr->p.master, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EIO)
			break;
		if (r <= 0)
			FAIL("bench reader: %s", r ? strerror(errno) : "EOF");
		pr->got += r;
	}
	return NULL;
}

/*
 * run_pairs() - start @n pairs, wait for the writers, close the slaves so
 * the readers end once they have drained everything. Returns the seconds
 * from start until the last reader finished; bytes moved in *@moved.
 */
static double run_pairs(struct pair *pr, int n, uint64_t *moved)
{
	uint64_t t0 = mono_ns(), t1;

	*moved = 0;
	for (int i = 0; i < n; i++)
		if (pthread_create(&pr[i].rt, NULL, reader, &pr[i]) ||
		    pthread_create(&pr[i].wt, NULL, writer, &pr[i]))
			FAIL("pthread_create");
	for (int i = 0; i < n; i++)
		pthread_join(pr[i].wt, NULL);
	for (int i = 0; i < n; i++) {
		close(pr[i].p.slave);
		pr[i].p.slave = -1;
		pthread_join(pr[i].rt, NULL);
		CHECK(pr[i].got == pr[i].written,
		      "pair %d: master read %zu of %zu bytes written", i,
		      pr[i].got, pr[i].written);
		*moved += pr[i].got;
		pty_close(&pr[i].p);
	}
	t1 = mono_ns();
	return (t1 - t0) / 1e9;
}

static void pairs_open(struct pair *pr, int n)
{
	for (int i = 0; i < n; i++) {
		pty_open(&pr[i].p);
		tty_setup(pr[i].p.slave, TTY_RAW, false);
	}
}

/* measure() - MB/s of @total bytes through @n pairs */
/*
 * measure() - MB/s through @n pairs moving @total bytes between them, or
 * as much as they move in MEASURE_SECS (TCG can be very slow).
 */
static double measure(int n, size_t total)
{
	struct pair pr[MAXPAIRS];
	uint64_t moved;
	double secs;

	memset(pr, 0, sizeof(pr));
	pairs_open(pr, n);
	for (int i = 0; i < n; i++) {
		pr[i].bytes = total / n;
		pr[i].wsize = CHUNK;
		pr[i].stop_ns = mono_ns() + MEASURE_SECS * 1000000000ull;
	}
	secs = run_pairs(pr, n, &moved);
	return moved / secs / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median3(int n, size_t total)
{
	double v[3];

	for (int i = 0; i < 3; i++)
		v[i] = measure(n, total);
	qsort(v, 3, sizeof(v[0]), cmp_double);
	return v[1];
}

/* the /dev/rpl drain thread */
static int rpl_fd = -1;
static _Atomic bool rpl_stop;
static _Atomic uint64_t rpl_records, rpl_bytes, rpl_loss_records;

/*
 * count() - what a lean daemon does with a read(): walk the headers. Full
 * validation (rec_check) would cost the drain thread CPU that the pty
 * threads need, and measure the test rather than the module.
 */
static void count(const uint8_t *buf, size_t n)
{
	uint64_t recs = 0, bytes = 0, lost = 0;
	size_t off = 0;

	while (off < n) {
		struct ttyscope_rec h;

		CHECK(n - off >= REC_HDR, "partial record from /dev/rpl");
		memcpy(&h, buf + off, sizeof(h));
		CHECK(h.magic == TTYSCOPE_REC_MAGIC &&
			      h.len <= TTYSCOPE_MAX_PAYLOAD &&
			      off + REC_HDR + h.len <= n,
		      "bad record from /dev/rpl at offset %zu", off);
		if (h.type == TTYSCOPE_REC_LOSS) {
			struct ttyscope_rec_loss l;

			memcpy(&l, buf + off + REC_HDR, sizeof(l));
			lost += l.records;
		} else {
			recs++;
			bytes += h.len;
		}
		off += REC_HDR + h.len;
	}
	atomic_fetch_add(&rpl_records, recs);
	atomic_fetch_add(&rpl_bytes, bytes);
	atomic_fetch_add(&rpl_loss_records, lost);
}

static void *drain(void *arg)
{
	uint8_t *buf = malloc(1u << 20);
	struct pollfd pfd = { .fd = rpl_fd, .events = POLLIN };

	(void)arg;
	CHECK(buf, "out of memory");
	while (!atomic_load(&rpl_stop)) {
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(rpl_fd, buf, 1u << 20);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			FAIL("/dev/rpl read: %s", n ? strerror(errno) : "EOF");
		count(buf, n);
	}
	free(buf);
	return NULL;
}

static void load_module(void)
{
	const char *ko = getenv("TSC_MODULE");
	int fd;

	if (!ko || !*ko)
		ko = "/ttyscope.ko";
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		FAIL("open %s: %s", ko, strerror(errno));
	if (syscall(SYS_finit_module, fd, "", 0) < 0) {
		if (errno != EEXIST)
			FAIL("finit_module %s: %s", ko, strerror(errno));
		t_log("note: module already loaded");
	}
	close(fd);
	t_log("loaded %s", ko);
}

/* one step of the record-rate ramp; returns records/s received */
static double rate_step(uint64_t offered, double secs, uint64_t *lost,
			double *mbps, double *achieved)
{
	enum { NP = 4, WSIZE = 64 };
	struct pair pr[NP];
	struct ttyscope_stats s0, s1;
	uint64_t r0 = atomic_load(&rpl_records), b0 = atomic_load(&rpl_bytes);
	uint64_t t0, t1, writes = 0;

	memset(pr, 0, sizeof(pr));
	pairs_open(pr, NP);
	tsc_stats(rpl_fd, &s0);
	t0 = mono_ns();
	for (int i = 0; i < NP; i++) {
		pr[i].wsize = WSIZE;
		pr[i].rate = offered / NP;
		pr[i].stop_ns = t0 + (uint64_t)(secs * 1e9);
		if (pthread_create(&pr[i].rt, NULL, reader, &pr[i]) ||
		    pthread_create(&pr[i].wt, NULL, writer, &pr[i]))
			FAIL("pthread_create");
	}
	for (int i = 0; i < NP; i++) {
		pthread_join(pr[i].wt, NULL);
		writes += pr[i].written / WSIZE;
	}
	t1 = mono_ns();
	for (int i = 0; i < NP; i++) {
		close(pr[i].p.slave); /* the reader gets EIO when drained */
		pr[i].p.slave = -1;
		pthread_join(pr[i].rt, NULL);
		pty_close(&pr[i].p);
	}
	sleep_ms(300); /* let the drain thread catch up */
	tsc_stats(rpl_fd, &s1);
	*lost = s1.rd_records_lost - s0.rd_records_lost;
	*achieved = writes / ((t1 - t0) / 1e9);
	*mbps = (atomic_load(&rpl_bytes) - b0) / ((t1 - t0) / 1e9) / 1e6;
	return (atomic_load(&rpl_records) - r0) / ((t1 - t0) / 1e9);
}

int main(void)
{
	size_t total = env_uint("TTYSCOPE_BENCH_MIB", 64) << 20;
	double u1, u8, n1, n8, c1, c8, best = 0, best_mb = 0;
	pthread_t dt;
	struct ttyscope_stats st;

	t_init("b-throughput", 280);
	for (size_t i = 0; i < sizeof(wbuf); i++)
		wbuf[i] = 'a' + i % 26;
	if (access(RPL_PATH, F_OK) == 0)
		t_log("WARNING: %s exists: the module is already loaded, so "
		      "the 'uncaptured' figures are captured too",
		      RPL_PATH);

	u1 = median3(1, total);
	u8 = median3(8, total);
	t_log("uncaptured: 1 pair %.1f MB/s, 8 pairs %.1f MB/s (up to %zu MiB or %d s per run, median of 3)",
	      u1, u8, total >> 20, MEASURE_SECS);

	load_module();
	n1 = median3(1, total);
	n8 = median3(8, total);
	t_log("captured, no reader open: 1 pair %.1f MB/s (%.1f %%), 8 pairs %.1f MB/s (%.1f %%)",
	      n1, 100 * n1 / u1, n8, 100 * n8 / u8);

	rpl_fd = open(RPL_PATH, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	CHECK(rpl_fd >= 0, "open %s: %s", RPL_PATH, strerror(errno));
	CHECK(pthread_create(&dt, NULL, drain, NULL) == 0, "pthread_create");

	c1 = median3(1, total);
	c8 = median3(8, total);
	sleep_ms(300);
	tsc_stats(rpl_fd, &st);
	t_log("captured, one reader draining /dev/rpl: 1 pair %.1f MB/s, 8 pairs %.1f MB/s",
	      c1, c8);
	t_log("ratio captured/uncaptured: 1 pair %.1f %%, 8 pairs %.1f %% (target >= 95 %%; "
	      "the reader thread shares the %ld CPUs)",
	      100 * c1 / u1, 100 * c8 / u8, sysconf(_SC_NPROCESSORS_ONLN));
	t_log("reader: %" PRIu64 " records, %" PRIu64
	      " payload bytes, %llu records lost (buffer %u bytes)",
	      atomic_load(&rpl_records), atomic_load(&rpl_bytes),
	      (unsigned long long)st.rd_records_lost, st.rd_buf_size);

	for (uint64_t offered = 1000; offered <= (1u << 24); offered *= 2) {
		uint64_t lost;
		double mbps, achieved;
		double rps = rate_step(offered, 2.0, &lost, &mbps, &achieved);

		t_log("offered %8" PRIu64
		      " writes/s (achieved %9.0f): reader got %9.0f records/s, %6.2f MB/s payload, %" PRIu64
		      " lost",
		      offered, achieved, rps, mbps, lost);
		if (lost) {
			t_log("LOSS at an offered %" PRIu64 " writes/s",
			      offered);
			break;
		}
		if (rps > best) {
			best = rps;
			best_mb = mbps;
		}
		if (achieved < 0.8 * offered) {
			t_log("writers saturated at %.0f writes/s without loss",
			      achieved);
			break;
		}
	}
	t_log("peak without loss: %.0f records/s, %.2f MB/s payload (one reader, buffer %u bytes)",
	      best, best_mb, st.rd_buf_size);
	atomic_store(&rpl_stop, true);
	pthread_join(dt, NULL);
	close(rpl_fd);
	t_pass();
}
