// SPDX-License-Identifier: GPL-2.0
/*
 * b-throughput: what capture costs. Runs in a boot WITHOUT the module
 * loaded; prints figures only (exit 0 unless an operation fails).
 *
 * Under TCG on a shared host, throughput drifts by large factors within
 * seconds, so configurations measured one after the other cannot be
 * compared. Every figure that is compared is therefore measured side by
 * side, in interleaved rounds within one boot, and compared per round.
 *
 * A measurement: fresh pty pairs; per pair a writer thread writes 64 KiB
 * chunks to the slave (raw mode) for TTYSCOPE_BENCH_WIN_MS (default 300)
 * and a reader thread drains the master. The time runs from starting the
 * threads until the masters have read everything and, with a /dev/rpl
 * reader, that reader has consumed every record, so work a configuration
 * defers (a reader's backlog) is inside it. Three setups:
 *   1 pair, 1 vCPU    every thread of the benchmark and the unbound
 *                     kworkers (the ttys' flip buffer work) on vCPU 0;
 *   8 pairs, 1 vCPU   likewise, 8 pairs in parallel;
 *   8 pairs, 2 vCPUs  unpinned.
 * On one vCPU the pipeline is CPU-bound and throughput is the inverse of
 * the CPU cost per byte, which is what capture adds. Spread over two vCPUs
 * every handoff between threads depends on the host running both vCPU
 * threads (a vCPU descheduled by the host while holding a lock stalls the
 * other): one pair's throughput jumps between ~1 and ~50 MB/s from one
 * second to the next, so 1 pair is measured pinned only.
 *
 *  1. Reference: each setup on the plain kernel, before insmod.
 *  2. Load the module (finit_module of $TSC_MODULE, default /ttyscope.ko).
 *     Then TTYSCOPE_BENCH_ROUNDS rounds (default 6, fewer if they take
 *     more than ROUNDS_BUDGET_S); each measures every setup in five
 *     configurations, in the order U C R M B B M R C U, so that drift
 *     within the round cancels:
 *       U  uncaptured: the pairs are DETACHed right after creation, so they
 *          run on the kernel's own n_tty, in the same boot;
 *       C  captured, no /dev/rpl reader open (records are produced, with
 *          their locking and counters, but copied nowhere);
 *       R  captured + reader: a thread poll()s /dev/rpl and read()s it into
 *          a 1 MiB buffer, walking the record headers (counting records,
 *          bytes and LOSS) as a lean daemon would;
 *       M  captured + mapped reader: like R, but the thread maps its buffer
 *          (TTYSCOPE_MMAP_CTL/_DATA) and walks the record headers in place
 *          after poll(), then advances the control page's tail: no copy to
 *          userspace and no read() calls;
 *       B  captured + batch reader (diagnostic): a thread read()s /dev/rpl
 *          every BATCH_MS without poll() and without looking at the data,
 *          so it is never woken per record; R - B is the cost of the
 *          wakeups, B - C that of copying records in and out of the ring.
 *     R, M and B use a RING_RB kernel buffer: a nice-0 reader sharing a
 *     saturated vCPU is not scheduled for tens of ms at a time (6.1 more
 *     than 6.12), and with the default 1 MiB it would lose records, whose
 *     copies would then be missing from the cost.
 *     The setups' order alternates between rounds too. Reported per setup:
 *     the per-round ratio of each configuration to U (both halves' MB/s
 *     summed), its median and range; median MB/s; guest CPU busy
 *     (/proc/stat) and busy CPU time per MB; mean record payload; for
 *     R, M and B the reader
 *     thread's CPU time (its CPU clock; system share from
 *     getrusage(RUSAGE_THREAD)), read() calls and sleeps per second.
 *     A short spin on the vCPUs before and after each setup's half-round
 *     shows how fast the host ran them, relative to the start ("host
 *     speed"); it explains outliers, nothing is corrected with it.
 *  3. Peak record rate of one reader: 4 pairs on vCPU 0 write 64-byte
 *     chunks at an offered total rate doubling every step (RAMP_WIN_MS
 *     each) while an R reader on vCPU 1 (default 1 MiB buffer) drains
 *     /dev/rpl, until that reader loses records (LOSS) or the writers no
 *     longer reach the offered rate; prints the highest rate without loss,
 *     the limit that ended the ramp and the reader's CPU use at that rate.
 *     An M reader's ramp takes its steps alternately with R's.
 *
 * Every measurement checks that capture is what the configuration claims:
 * the record payload produced (STATS.bytes_produced) covers the bytes
 * moved when captured, and is ~0 when detached; R's and M's parsed
 * records and LOSS counts agree with STATS.
 */
#include "lib.h"

#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAXPAIRS 8
#define MAXROUNDS 12
#define CHUNK 65536
#define RDBUF (1u << 20)
#define RING_RB (16u << 20) /* kernel buffer of the R and B readers */
#define BATCH_MS 4
#define RAMP_PAIRS 4
#define RAMP_WSIZE 64
#define RAMP_WIN_MS 1000
/* after this many seconds no further round is started (at least 3 run) */
#define ROUNDS_BUDGET_S 90
#define PROBE_MS 10 /* the host speed probe spins this long */

enum cfg { CFG_U, CFG_C, CFG_R, CFG_M, CFG_B, NCFG, CFG_PLAIN = NCFG };

static const char *const cfg_name[] = {
	[CFG_U] = "uncaptured",
	[CFG_C] = "captured",
	[CFG_R] = "captured+reader",
	[CFG_M] = "captured+mmap-reader",
	[CFG_B] = "captured+batch-reader",
	[CFG_PLAIN] = "plain kernel",
};

static uint8_t wbuf[CHUNK];
static _Atomic bool writers_stop;
static unsigned int win_ms;
static int pin_cpu = -1; /* measure() pins its threads and kworkers here */
static int reader_cpu = -1; /* the /dev/rpl reader thread runs here */
static uint32_t reader_buf; /* SET_BUFSIZE if not 0 */

struct pair {
	struct pty p;
	size_t wsize; /* bytes per write */
	uint64_t rate; /* writes per second, 0: unthrottled */
	_Atomic uint64_t written, writes, got;
	pthread_t wt, rt;
};

/* writer() - write @wsize-byte chunks to the slave until writers_stop */
static void *writer(void *arg)
{
	struct pair *pr = arg;
	uint64_t t0 = mono_ns(), n = 0;

	while (!atomic_load_explicit(&writers_stop, memory_order_relaxed)) {
		ssize_t r;

		if (pr->rate &&
		    n >= (mono_ns() - t0) * pr->rate / 1000000000u) {
			struct timespec ts = { 0, 200000 };

			nanosleep(&ts, NULL);
			continue;
		}
		r = write(pr->p.slave, wbuf, pr->wsize);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			FAIL("bench writer: %s", r ? strerror(errno) : "0");
		atomic_fetch_add_explicit(&pr->written, r,
					  memory_order_relaxed);
		atomic_fetch_add_explicit(&pr->writes, 1, memory_order_relaxed);
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
		atomic_fetch_add_explicit(&pr->got, r, memory_order_relaxed);
	}
	return NULL;
}

/* ---- CPU accounting ----------------------------------------------------- */

struct cpu_snap {
	uint64_t busy, total; /* USER_HZ ticks over all CPUs */
};

static void cpu_snap(struct cpu_snap *c)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");

	CHECK(f, "open /proc/stat: %s", strerror(errno));
	CHECK(fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		     &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8,
	      "cannot parse /proc/stat");
	fclose(f);
	/* user nice system idle iowait irq softirq steal */
	c->busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
	c->total = c->busy + v[3] + v[4];
}

static uint64_t thread_cpu_ns(pthread_t t)
{
	clockid_t cid;
	struct timespec ts;

	if (pthread_getcpuclockid(t, &cid) || clock_gettime(cid, &ts))
		FAIL("thread CPU clock: %s", strerror(errno));
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* pin_self() - this thread (and threads it creates) to @cpu; -1: any */
static void pin_self(int cpu)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	CPU_ZERO(&set);
	for (int i = 0; i < n; i++)
		if (cpu < 0 || i == cpu)
			CPU_SET(i, &set);
	CHECK(sched_setaffinity(0, sizeof(set), &set) == 0,
	      "sched_setaffinity: %s", strerror(errno));
}

/*
 * pin() - pin_self(), and the unbound workqueues (where the ttys' flip
 * buffers are pushed to the line discipline) to @cpu; -1: everywhere.
 */
static void pin(int cpu)
{
	long n = MIN(sysconf(_SC_NPROCESSORS_ONLN), 63l);
	FILE *f = fopen("/sys/devices/virtual/workqueue/cpumask", "w");

	pin_self(cpu);
	CHECK(f, "open workqueue cpumask: %s", strerror(errno));
	fprintf(f, "%lx\n", cpu < 0 ? (1ul << n) - 1 : 1ul << cpu);
	CHECK(fclose(f) == 0, "write workqueue cpumask: %s", strerror(errno));
}

/* ---- the /dev/rpl reader ------------------------------------------------ */

struct drainer {
	int fd;
	bool batch; /* no poll(), read every BATCH_MS, records not parsed */
	bool mapped; /* consumes through the mapping, no read() */
	struct ttyscope_mmap_ctl *ctl;
	const uint8_t *ring;
	uint32_t ring_size;
	size_t map_len;
	pthread_t thr;
	_Atomic pid_t tid;
	_Atomic bool stop;
	_Atomic uint64_t reads;
	/* parsed records (not batch) */
	uint64_t records, bytes, loss_recs, lost;
	struct rusage ru; /* RUSAGE_THREAD when the thread ended */
};

/*
 * count() - what a lean daemon does with a read(): walk the headers. Full
 * validation (rec_check) would cost the drain thread CPU that the pty
 * threads need, and measure the test rather than the module.
 */
static void count(struct drainer *d, const uint8_t *buf, size_t n)
{
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
			d->loss_recs++;
			d->lost += l.records;
		} else {
			d->records++;
			d->bytes += h.len;
		}
		off += REC_HDR + h.len;
	}
}

/*
 * drain_once() - one read() (R), or read() until less than half the
 * buffer comes back (B).
 */
static void drain_once(struct drainer *d, uint8_t *buf)
{
	for (;;) {
		ssize_t n = read(d->fd, buf, RDBUF);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0)
			FAIL("/dev/rpl read: %s", n ? strerror(errno) : "EOF");
		atomic_fetch_add_explicit(&d->reads, 1, memory_order_relaxed);
		if (!d->batch)
			count(d, buf, n);
		if (!d->batch || (size_t)n < RDBUF / 2)
			return; /* back to poll() / the batch sleep */
	}
}

/* ring_get() - @n bytes at position @pos of the mapped ring */
static void ring_get(const struct drainer *d, uint32_t pos, void *dst,
		     uint32_t n)
{
	uint32_t off = pos & (d->ring_size - 1), l = MIN(n, d->ring_size - off);

	memcpy(dst, d->ring + off, l);
	memcpy((uint8_t *)dst + l, d->ring, n - l);
}

/*
 * drain_mapped() - count() over the records queued in the mapping, in
 * place (headers copied out only where they wrap), then release them.
 */
static void drain_mapped(struct drainer *d)
{
	uint32_t head = __atomic_load_n(&d->ctl->head, __ATOMIC_ACQUIRE);
	uint32_t tail = d->ctl->tail;

	CHECK(head - tail <= d->ring_size, "mapping: %u bytes queued",
	      head - tail);
	if (head == tail)
		return;
	while (tail != head) {
		struct ttyscope_rec h;

		CHECK(head - tail >= REC_HDR, "partial record in the mapping");
		ring_get(d, tail, &h, sizeof(h));
		CHECK(h.magic == TTYSCOPE_REC_MAGIC &&
			      h.len <= TTYSCOPE_MAX_PAYLOAD &&
			      REC_HDR + h.len <= head - tail,
		      "bad record in the mapping at %u", tail);
		if (h.type == TTYSCOPE_REC_LOSS) {
			struct ttyscope_rec_loss l;

			ring_get(d, tail + REC_HDR, &l, sizeof(l));
			d->loss_recs++;
			d->lost += l.records;
		} else {
			d->records++;
			d->bytes += h.len;
		}
		tail += REC_HDR + h.len;
	}
	__atomic_store_n(&d->ctl->tail, tail, __ATOMIC_RELEASE);
	atomic_fetch_add_explicit(&d->reads, 1, memory_order_relaxed);
}

static void *drain_thread(void *arg)
{
	struct drainer *d = arg;
	uint8_t *buf = malloc(RDBUF);
	struct pollfd pfd = { .fd = d->fd, .events = POLLIN };

	CHECK(buf, "out of memory");
	memset(buf, 0, RDBUF); /* fault it in before the measurement */
	atomic_store(&d->tid, (pid_t)syscall(SYS_gettid));
	if (reader_cpu >= 0)
		pin_self(reader_cpu);
	while (!atomic_load(&d->stop)) {
		if (d->batch) {
			sleep_ms(BATCH_MS);
		} else if (poll(&pfd, 1, 20) <= 0) {
			continue;
		}
		if (d->mapped)
			drain_mapped(d);
		else
			drain_once(d, buf);
	}
	getrusage(RUSAGE_THREAD, &d->ru);
	free(buf);
	return NULL;
}

static void drainer_start(struct drainer *d, enum cfg c)
{
	long page = sysconf(_SC_PAGESIZE);
	struct ttyscope_stats st;
	void *p;

	memset(d, 0, sizeof(*d));
	d->batch = c == CFG_B;
	d->mapped = c == CFG_M;
	/* writing the control page's tail takes O_RDWR */
	d->fd = open(RPL_PATH,
		     (d->mapped ? O_RDWR : O_RDONLY) | O_NONBLOCK | O_CLOEXEC);
	CHECK(d->fd >= 0, "open %s: %s", RPL_PATH, strerror(errno));
	if (reader_buf)
		CHECK(tsc_set_bufsize(d->fd, reader_buf) == 0,
		      "SET_BUFSIZE: %s", strerror(errno));
	if (d->mapped) {
		tsc_stats(d->fd, &st);
		d->ring_size = st.rd_buf_size;
		d->map_len = (d->ring_size + page - 1) / page * page;
		p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd,
			 TTYSCOPE_MMAP_CTL);
		CHECK(p != MAP_FAILED, "mmap control page: %s",
		      strerror(errno));
		d->ctl = p;
		p = mmap(NULL, d->map_len, PROT_READ, MAP_SHARED, d->fd,
			 TTYSCOPE_MMAP_DATA);
		CHECK(p != MAP_FAILED, "mmap ring: %s", strerror(errno));
		d->ring = p;
		/* fault the pages in before the measurement */
		for (size_t i = 0; i < d->map_len; i += page)
			(void)*(volatile const uint8_t *)(d->ring + i);
	}
	CHECK(pthread_create(&d->thr, NULL, drain_thread, d) == 0,
	      "pthread_create");
	while (!atomic_load(&d->tid))
		sleep_ms(1);
}

/* drainer_stop() - wait until the reader is empty, stop and close it */
static void drainer_stop(struct drainer *d, struct ttyscope_stats *st)
{
	uint64_t deadline = mono_ns() + 3000000000ull;

	for (;;) {
		tsc_stats(d->fd, st);
		if (!st->rd_buf_used || mono_ns() > deadline)
			break;
		sleep_ms(10);
	}
	atomic_store(&d->stop, true);
	pthread_join(d->thr, NULL);
	tsc_stats(d->fd, st);
	if (d->mapped) {
		munmap((void *)d->ring, d->map_len);
		munmap(d->ctl, sysconf(_SC_PAGESIZE));
	}
	close(d->fd);
}

/* global_stats() - STATS through a reader that lives only for the call */
static void global_stats(struct ttyscope_stats *st)
{
	int fd = open(RPL_PATH, O_RDONLY | O_CLOEXEC);

	CHECK(fd >= 0, "open %s: %s", RPL_PATH, strerror(errno));
	tsc_stats(fd, st);
	close(fd);
}

/* ---- one measurement ---------------------------------------------------- */

struct meas {
	double mbps; /* bytes the masters read per measured second, / 1e6 */
	double wps; /* writes per second while the writers ran */
	double busy; /* guest CPU busy, % of all vCPUs */
	double cpu_us_mb; /* busy CPU time per MB moved, us */
	double rd_cpu; /* reader thread CPU, % of one vCPU (R, B) */
	double rd_us_mb; /* reader thread CPU per MB moved, us */
	double rd_sys; /* system share of the reader's CPU, % */
	double rd_reads; /* reader read() calls per second */
	double rd_vcsw; /* reader voluntary context switches per second */
	double recs; /* records per second offered to the reader */
	double rec_len; /* mean payload of the records produced, bytes */
	double cover; /* record payload produced / bytes moved, % */
	uint64_t lost; /* records the reader lost */
	uint64_t offered; /* records offered to the reader in all */
};

/* voluntary context switches of thread @tid so far */
static uint64_t thread_vcsw(pid_t tid)
{
	char path[64], line[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	f = fopen(path, "r");
	CHECK(f, "open %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "voluntary_ctxt_switches: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

/*
 * measure() - @n fresh pairs in configuration @c; the writers write
 * @wsize-byte chunks (at @rate writes/s in total if non-zero) for
 * @window_ms. The time measured runs from starting the threads until the
 * masters have read everything and, with a /dev/rpl reader, the reader
 * has consumed every record: work a configuration defers (a reader's
 * backlog) is inside it. Figures in *@m.
 */
static void measure(enum cfg c, int n, size_t wsize, uint64_t rate,
		    unsigned int window_ms, struct meas *m)
{
	struct pair pr[MAXPAIRS];
	struct drainer d;
	struct ttyscope_stats s0, s1;
	struct cpu_snap c0, c1;
	uint64_t t0, tw, t1, writes = 0, rc0 = 0, rc1 = 0, r0 = 0, r1 = 0;
	uint64_t v0 = 0, v1 = 0, moved = 0;
	bool rd = c == CFG_R || c == CFG_M || c == CFG_B;
	double secs, mb, life;

	memset(m, 0, sizeof(*m));
	memset(pr, 0, sizeof(pr));
	memset(&s0, 0, sizeof(s0));
	memset(&s1, 0, sizeof(s1));
	if (pin_cpu >= 0)
		pin(pin_cpu);
	if (rd)
		drainer_start(&d, c);
	for (int i = 0; i < n; i++) {
		pty_open(&pr[i].p);
		tty_setup(pr[i].p.slave, TTY_RAW, false);
		pr[i].wsize = wsize;
		pr[i].rate = rate / n;
	}
	if (c == CFG_U) {
		int fd = open(RPL_PATH, O_RDONLY | O_CLOEXEC);

		CHECK(fd >= 0, "open %s: %s", RPL_PATH, strerror(errno));
		for (int i = 0; i < n; i++)
			CHECK(tsc_tty_op(fd, TTYSCOPE_IOC_DETACH, pr[i].p.major,
					 pr[i].p.minor) == 0,
			      "DETACH %s: %s", pr[i].p.name, strerror(errno));
		close(fd);
	}
	if (rd) {
		sleep_ms(20); /* the reader consumes the OPEN records */
		tsc_stats(d.fd, &s0);
		rc0 = thread_cpu_ns(d.thr);
		r0 = atomic_load(&d.reads);
		v0 = thread_vcsw(d.tid);
	} else if (c != CFG_PLAIN) {
		global_stats(&s0);
	}

	atomic_store(&writers_stop, false);
	cpu_snap(&c0);
	t0 = mono_ns();
	for (int i = 0; i < n; i++)
		if (pthread_create(&pr[i].rt, NULL, reader, &pr[i]) ||
		    pthread_create(&pr[i].wt, NULL, writer, &pr[i]))
			FAIL("pthread_create");
	sleep_ms(window_ms);
	atomic_store(&writers_stop, true);
	for (int i = 0; i < n; i++)
		pthread_join(pr[i].wt, NULL);
	tw = mono_ns();
	for (int i = 0; i < n; i++) {
		close(pr[i].p.slave); /* the reader gets EIO when drained */
		pr[i].p.slave = -1;
		pthread_join(pr[i].rt, NULL);
		CHECK(pr[i].got == pr[i].written,
		      "pair %d: master read %" PRIu64 " of %" PRIu64
		      " bytes written",
		      i, (uint64_t)pr[i].got, (uint64_t)pr[i].written);
		moved += pr[i].got;
		writes += pr[i].writes;
	}
	if (rd) {
		for (;;) {
			tsc_stats(d.fd, &s1);
			if (!s1.rd_buf_used)
				break;
			sleep_ms(1);
		}
		rc1 = thread_cpu_ns(d.thr);
		r1 = atomic_load(&d.reads);
		v1 = thread_vcsw(d.tid);
	}
	t1 = mono_ns();
	cpu_snap(&c1);
	for (int i = 0; i < n; i++)
		pty_close(&pr[i].p);
	if (rd)
		drainer_stop(&d, &s1);
	else if (c != CFG_PLAIN)
		global_stats(&s1);
	if (pin_cpu >= 0)
		pin(-1);

	secs = (t1 - t0) / 1e9;
	mb = moved / 1e6;
	m->mbps = mb / secs;
	m->wps = writes / ((tw - t0) / 1e9);
	if (c1.total > c0.total)
		m->busy = 100.0 * (c1.busy - c0.busy) / (c1.total - c0.total);
	m->cpu_us_mb = (c1.busy - c0.busy) * 1e6 / sysconf(_SC_CLK_TCK) /
		       (mb > 0 ? mb : 1);
	if (c != CFG_PLAIN) {
		m->rec_len =
			(double)(s1.bytes_produced - s0.bytes_produced) /
			MAX(s1.records_produced - s0.records_produced, 1ull);
		m->cover = 100.0 * (s1.bytes_produced - s0.bytes_produced) /
			   (moved ? moved : 1);
		if (c == CFG_U)
			CHECK(m->cover < 1,
			      "detached pairs produced %.1f %% of the bytes "
			      "moved as records",
			      m->cover);
		else
			CHECK(m->cover >= 99.9,
			      "captured pairs: records carry only %.1f %% "
			      "of the bytes moved",
			      m->cover);
	}
	if (rd) {
		life = (d.ru.ru_utime.tv_sec + d.ru.ru_stime.tv_sec) +
		       (d.ru.ru_utime.tv_usec + d.ru.ru_stime.tv_usec) / 1e6;
		m->rd_cpu = 100.0 * (rc1 - rc0) / 1e9 / secs;
		m->rd_us_mb = (rc1 - rc0) / 1e3 / (mb > 0 ? mb : 1);
		m->rd_sys = life > 0 ? 100.0 *
					       (d.ru.ru_stime.tv_sec +
						d.ru.ru_stime.tv_usec / 1e6) /
					       life :
				       0;
		m->rd_reads = (r1 - r0) / secs; /* M: drains of the mapping */
		m->rd_vcsw = (v1 - v0) / secs;
		m->recs = (s1.rd_records - s0.rd_records) / secs;
		m->lost = s1.rd_records_lost;
		m->offered = s1.rd_records;
		if (!d.batch)
			CHECK(d.lost == s1.rd_records_lost &&
				      d.records + d.lost == s1.rd_records,
			      "reader: %" PRIu64 " records + %" PRIu64
			      " lost (LOSS records) != STATS %llu + %llu",
			      d.records, d.lost,
			      (unsigned long long)(s1.rd_records -
						   s1.rd_records_lost),
			      (unsigned long long)s1.rd_records_lost);
	}
}

/* ---- statistics ----------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
	double s[2 * MAXROUNDS] = { 0 };

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static double vmin(const double *v, int n)
{
	double x = v[0];

	for (int i = 1; i < n; i++)
		x = MIN(x, v[i]);
	return x;
}

static double vmax(const double *v, int n)
{
	double x = v[0];

	for (int i = 1; i < n; i++)
		x = MAX(x, v[i]);
	return x;
}

/* ---- setup ---------------------------------------------------------------- */

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

/* The first line of @path in @buf, "?" if it cannot be read. */
static const char *first_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");

	if (!f || !fgets(buf, (int)size, f))
		snprintf(buf, size, "?");
	if (f)
		fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return buf;
}

static const char *kernel_release(void)
{
	static char rel[128];

	return first_line("/proc/sys/kernel/osrelease", rel, sizeof(rel));
}

/*
 * The kernel's clocksource and what reading the wall clock costs: the
 * module stamps every record with it (under TCG an HPET read is an
 * emulated MMIO access, a TSC read is not).
 */
static const char *clock_info(void)
{
	static char info[160];
	char cs[64];
	struct timespec t;
	uint64_t t0 = mono_ns();
	int n = 20000;

	for (int i = 0; i < n; i++)
		clock_gettime(CLOCK_REALTIME, &t);
	snprintf(info, sizeof(info), "clocksource %s, clock_gettime %.2f us",
		 first_line("/sys/devices/system/clocksource/clocksource0/"
			    "current_clocksource",
			    cs, sizeof(cs)),
		 (double)(mono_ns() - t0) / n / 1e3);
	return info;
}

/* ---- host speed probe ----------------------------------------------------- */

/*
 * Under TCG the guest's clock is the host's: when the host gives a vCPU
 * thread less time, everything in the guest slows down alike. A short
 * fixed spin on each vCPU before and after every measurement shows that.
 */
static uint64_t probe_iters = 1u << 14;
static double probe_ref[2]; /* speeds at calibration */

static uint64_t spin(uint64_t iters)
{
	volatile uint64_t x = 1;
	uint64_t t0 = mono_ns();

	for (uint64_t i = 0; i < iters; i++)
		x = x * 6364136223846793005ull + i;
	return mono_ns() - t0;
}

/* probe_cpu() - speed of vCPU @cpu in spin iterations per microsecond */
static double probe_cpu(int cpu)
{
	uint64_t ns;

	pin_self(cpu);
	ns = spin(probe_iters);
	pin_self(-1);
	return probe_iters / (MAX(ns, 1u) / 1e3);
}

static void probe_calibrate(long ncpu)
{
	pin_self(0);
	while (spin(probe_iters) < PROBE_MS * 1000000ull)
		probe_iters *= 2;
	pin_self(-1);
	/* the fastest of a few: the least disturbed */
	for (int k = 0; k < 3; k++)
		for (int i = 0; i < MIN(ncpu, 2l); i++)
			probe_ref[i] = MAX(probe_ref[i], probe_cpu(i));
}

/* ---- main ----------------------------------------------------------------- */

struct setup {
	int pairs;
	int cpu; /* pinned to this vCPU, -1: not pinned */
};

#define NSETUP 3
static const struct setup setups[NSETUP] = { { 1, 0 }, { 8, 0 }, { 8, -1 } };
static char setup_name[NSETUP][32];
static long ncpu;

/* per configuration, setup, round and half (U C R B, then B R C U) */
static struct meas res[NCFG][NSETUP][MAXROUNDS][2];
static int nr; /* rounds done */

typedef double (*getter)(const struct meas *m);

static double get_mbps(const struct meas *m)
{
	return m->mbps;
}

static double get_busy(const struct meas *m)
{
	return m->busy;
}

static double get_cpu_us_mb(const struct meas *m)
{
	return m->cpu_us_mb;
}

static double get_rd_cpu(const struct meas *m)
{
	return m->rd_cpu;
}

static double get_rd_us_mb(const struct meas *m)
{
	return m->rd_us_mb;
}

static double get_rd_sys(const struct meas *m)
{
	return m->rd_sys;
}

static double get_rd_reads(const struct meas *m)
{
	return m->rd_reads;
}

static double get_rd_vcsw(const struct meas *m)
{
	return m->rd_vcsw;
}

static double get_recs(const struct meas *m)
{
	return m->recs;
}

static double get_rec_len(const struct meas *m)
{
	return m->rec_len;
}

static double get_lost(const struct meas *m)
{
	return m->lost;
}

static double get_offered(const struct meas *m)
{
	return m->offered;
}

/* values of @get over every measurement of @c in setup @s; returns count */
static int values(int c, int s, getter get, double *v)
{
	for (int r = 0; r < nr; r++)
		for (int h = 0; h < 2; h++)
			v[2 * r + h] = get(&res[c][s][r][h]);
	return 2 * nr;
}

static double med_of(int c, int s, getter get)
{
	double v[2 * MAXROUNDS] = { 0 };

	return median(v, values(c, s, get, v));
}

static double min_of(int c, int s, getter get)
{
	double v[2 * MAXROUNDS] = { 0 };

	return vmin(v, values(c, s, get, v));
}

static double max_of(int c, int s, getter get)
{
	double v[2 * MAXROUNDS] = { 0 };

	return vmax(v, values(c, s, get, v));
}

static double sum_of(int c, int s, getter get)
{
	double v[2 * MAXROUNDS] = { 0 }, x = 0;
	int n = values(c, s, get, v);

	for (int i = 0; i < n; i++)
		x += v[i];
	return x;
}

/*
 * ratio() - per-round ratio of @c to U in %: the bytes of both halves of
 * the round over U's (linear drift within a round cancels); median (0),
 * min (-1) or max (1) over the rounds.
 */
static double ratio(int c, int s, int which)
{
	double v[MAXROUNDS] = { 0 };

	for (int r = 0; r < nr; r++) {
		const struct meas *x = res[c][s][r], *u = res[CFG_U][s][r];

		v[r] = 100.0 * (x[0].mbps + x[1].mbps) /
		       MAX(u[0].mbps + u[1].mbps, 1e-9);
	}
	return which < 0 ? vmin(v, nr) :
	       which > 0 ? vmax(v, nr) :
			   median(v, nr);
}

/* ratio of the medians of @c and U in % */
static double ratio_med(int c, int s)
{
	return 100.0 * med_of(c, s, get_mbps) /
	       MAX(med_of(CFG_U, s, get_mbps), 1e-9);
}

static void run_setup(int s, struct meas *m, int c)
{
	pin_cpu = setups[s].cpu;
	reader_buf = RING_RB;
	measure(c, setups[s].pairs, CHUNK, 0, win_ms, m);
	pin_cpu = -1;
	reader_buf = 0;
}

/* host_speed() - speed of the vCPUs setup @s uses, % of calibration */
static void host_speed(int s, double *lo, double *hi)
{
	for (int i = 0; i < MIN(ncpu, 2l); i++) {
		double v;

		if (setups[s].cpu >= 0 && i != setups[s].cpu)
			continue;
		v = 100 * probe_cpu(i) / probe_ref[i];
		*lo = MIN(*lo, v);
		*hi = MAX(*hi, v);
	}
}

/* round_setup() - setup @s in every configuration, U C R B B R C U */
static void round_setup(int r, int s)
{
	static const int fwd[NCFG] = { CFG_U, CFG_C, CFG_R, CFG_M, CFG_B };
	double lo = 1e300, hi = 0;
	struct meas *x[NCFG];

	host_speed(s, &lo, &hi);
	for (int h = 0; h < 2; h++) {
		for (int k = 0; k < NCFG; k++) {
			int c = h ? fwd[NCFG - 1 - k] : fwd[k];

			run_setup(s, &res[c][s][r][h], c);
		}
		host_speed(s, &lo, &hi);
	}
	for (int c = 0; c < NCFG; c++)
		x[c] = res[c][s][r];
	t_log("round %d, %-16s: U %5.1f %5.1f  C %5.1f %5.1f  R %5.1f %5.1f  "
	      "M %5.1f %5.1f  B %5.1f %5.1f MB/s; R lost %" PRIu64
	      ", M lost %" PRIu64 "; host speed %.0f..%.0f %%",
	      r + 1, setup_name[s], x[CFG_U][0].mbps, x[CFG_U][1].mbps,
	      x[CFG_C][0].mbps, x[CFG_C][1].mbps, x[CFG_R][0].mbps,
	      x[CFG_R][1].mbps, x[CFG_M][0].mbps, x[CFG_M][1].mbps,
	      x[CFG_B][0].mbps, x[CFG_B][1].mbps,
	      x[CFG_R][0].lost + x[CFG_R][1].lost,
	      x[CFG_M][0].lost + x[CFG_M][1].lost, lo, hi);
}

static void report_setup(int s)
{
	const char *sn = setup_name[s];

	for (int c = 0; c < NCFG; c++) {
		t_log("%s: %-21s %6.1f MB/s [%.1f..%.1f], CPU busy %3.0f %%, "
		      "%5.0f CPU-us/MB, %4.0f bytes/record",
		      sn, cfg_name[c], med_of(c, s, get_mbps),
		      min_of(c, s, get_mbps), max_of(c, s, get_mbps),
		      med_of(c, s, get_busy), med_of(c, s, get_cpu_us_mb),
		      med_of(c, s, get_rec_len));
		if (c != CFG_U)
			t_log("%s: %-21s per-round ratio to uncaptured: median "
			      "%.1f %% [%.1f..%.1f]; ratio of medians %.1f %%",
			      sn, cfg_name[c], ratio(c, s, 0), ratio(c, s, -1),
			      ratio(c, s, 1), ratio_med(c, s));
		if (c == CFG_R || c == CFG_M || c == CFG_B)
			t_log("%s: %-21s reader thread %.1f %% of a vCPU "
			      "(%.0f %% in the kernel), %.0f us/MB, "
			      "%.0f reads (M: drains)/s, %.0f sleeps/s, "
			      "%.0f records/s, "
			      "%.0f of %.0f records lost",
			      sn, cfg_name[c], med_of(c, s, get_rd_cpu),
			      med_of(c, s, get_rd_sys),
			      med_of(c, s, get_rd_us_mb),
			      med_of(c, s, get_rd_reads),
			      med_of(c, s, get_rd_vcsw), med_of(c, s, get_recs),
			      sum_of(c, s, get_lost),
			      sum_of(c, s, get_offered));
	}
}

/* ---- record-rate ramp ------------------------------------------------------ */

struct ramp {
	double best, best_mb, best_wps, best_cpu;
	uint64_t best_offered, last_offered;
	const char *limit;
};

/*
 * ramp_step() - one step of @c's ramp at @offered writes/s; false once the
 * ramp has ended (loss, or the writers cannot keep up).
 */
static bool ramp_step(enum cfg c, struct ramp *rp, uint64_t offered)
{
	double lo = 1e300, hi = 0;
	struct meas m;

	host_speed(NSETUP - 1, &lo, &hi);
	measure(c, RAMP_PAIRS, RAMP_WSIZE, offered, RAMP_WIN_MS, &m);
	rp->last_offered = offered;
	t_log("ramp %s: offered %7" PRIu64 " writes/s: achieved %7.0f, "
	      "reader got %6.0f records/s (%.2f MB/s), reader %4.1f %% of a "
	      "vCPU (%.1f us/record), %.0f reads/s, %" PRIu64 " lost; host "
	      "speed %.0f..%.0f %%",
	      c == CFG_M ? "M" : "R", offered, m.wps, m.recs, m.mbps, m.rd_cpu,
	      m.rd_cpu * 1e4 / MAX(m.recs, 1), m.rd_reads, m.lost, lo, hi);
	if (m.lost) {
		rp->limit = "the reader lost records (LOSS)";
		return false;
	}
	if (m.recs > rp->best) {
		rp->best = m.recs;
		rp->best_mb = m.mbps;
		rp->best_wps = m.wps;
		rp->best_cpu = m.rd_cpu;
		rp->best_offered = offered;
	}
	if (m.wps < 0.9 * offered) {
		rp->limit = "the writers saturated vCPU 0 (offered rate not "
			    "reached), no loss";
		return false;
	}
	return true;
}

/*
 * ramps() - writers on vCPU 0, the reader on vCPU 1; the R and M ramps
 * take their steps alternately, so that they see the same host.
 */
static void ramps(struct ramp *r, struct ramp *m)
{
	bool r_on = true, m_on = true;

	memset(r, 0, sizeof(*r));
	memset(m, 0, sizeof(*m));
	r->limit = m->limit = "the end of the ramp, no loss";
	reader_cpu = ncpu > 1 ? 1 : -1;
	pin_cpu = 0;
	for (uint64_t offered = 2000; offered <= (1u << 22) && (r_on || m_on);
	     offered *= 2) {
		if (r_on)
			r_on = ramp_step(CFG_R, r, offered);
		if (m_on)
			m_on = ramp_step(CFG_M, m, offered);
	}
	pin_cpu = reader_cpu = -1;
}

static void ramp_report(const char *what, const struct ramp *rp)
{
	if (rp->best > 0)
		t_log("  peak record rate without loss, %s: %.0f records/s "
		      "(%.0f writes/s of %d bytes on %d ptys, offered %" PRIu64
		      ", %.2f MB/s), reader at %.1f %% of a vCPU (%.1f "
		      "us/record); the ramp ended at %" PRIu64
		      " writes/s offered: %s",
		      what, rp->best, rp->best_wps, RAMP_WSIZE, RAMP_PAIRS,
		      rp->best_offered, rp->best_mb, rp->best_cpu,
		      rp->best_cpu * 1e4 / rp->best, rp->last_offered,
		      rp->limit);
	else
		t_log("  peak record rate without loss, %s: none (%s at "
		      "%" PRIu64 " writes/s)",
		      what, rp->limit, rp->last_offered);
}

int main(void)
{
	unsigned int rounds = env_uint("TTYSCOPE_BENCH_ROUNDS", 6);
	struct meas plain[NSETUP], m;
	struct ramp ramp_r, ramp_m;
	uint64_t tstart;
	bool met = true, met_m = true;

	t_init("b-throughput", 420);
	tstart = mono_ns();
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	win_ms = MAX(env_uint("TTYSCOPE_BENCH_WIN_MS", 300), 100ul);
	rounds = MIN(MAX(rounds, 1u), (unsigned int)MAXROUNDS);
	for (size_t i = 0; i < sizeof(wbuf); i++)
		wbuf[i] = 'a' + i % 26;
	for (int s = 0; s < NSETUP; s++)
		snprintf(setup_name[s], sizeof(setup_name[s]),
			 "%d pair%s, %ld vCPU%s", setups[s].pairs,
			 setups[s].pairs > 1 ? "s" : "",
			 setups[s].cpu < 0 ? ncpu : 1,
			 setups[s].cpu < 0 && ncpu > 1 ? "s" : "");
	if (access(RPL_PATH, F_OK) == 0)
		t_log("WARNING: %s exists: the module is already loaded, so "
		      "the 'plain kernel' figures are captured too",
		      RPL_PATH);
	probe_calibrate(ncpu);
	t_log("kernel %s, %ld vCPUs; writers run %u ms per measurement, "
	      "64 KiB writes, fresh pty pairs every time",
	      kernel_release(), ncpu, win_ms);

	/* 1. the plain kernel, for reference (after an untimed warm-up) */
	run_setup(0, &m, CFG_PLAIN);
	for (int s = 0; s < NSETUP; s++) {
		run_setup(s, &plain[s], CFG_PLAIN);
		t_log("plain kernel, before insmod: %s: %.1f MB/s (CPU busy "
		      "%.0f %%)",
		      setup_name[s], plain[s].mbps, plain[s].busy);
	}

	load_module();

	/* 2. interleaved rounds; the setups' order alternates too */
	for (unsigned int r = 0; r < rounds; r++) {
		if (r >= 3 &&
		    mono_ns() - tstart > ROUNDS_BUDGET_S * 1000000000ull) {
			t_log("time budget reached after %u rounds", r);
			break;
		}
		for (int si = 0; si < NSETUP; si++)
			round_setup(r, r % 2 ? NSETUP - 1 - si : si);
		nr = r + 1;
	}
	for (int s = 0; s < NSETUP; s++)
		report_setup(s);

	/* 3. record-rate ramps: writers on vCPU 0, the reader on vCPU 1 */
	ramps(&ramp_r, &ramp_m);

	/* summary */
	t_log("summary (kernel %s, %ld vCPUs, TCG, %s; %d interleaved "
	      "rounds U C R M B B M R C U of %u ms runs; MB/s: medians; %%: "
	      "median of the per-round ratios to uncaptured)",
	      kernel_release(), ncpu, clock_info(), nr, win_ms);
	for (int s = 0; s < NSETUP; s++) {
		t_log("  %-16s: uncaptured %.1f MB/s | captured %.1f (%.1f %%) "
		      "| captured+reader %.1f (%.1f %%) | captured+mmap-reader "
		      "%.1f (%.1f %%) | batch reader %.1f (%.1f %%) | before "
		      "insmod %.1f",
		      setup_name[s], med_of(CFG_U, s, get_mbps),
		      med_of(CFG_C, s, get_mbps), ratio(CFG_C, s, 0),
		      med_of(CFG_R, s, get_mbps), ratio(CFG_R, s, 0),
		      med_of(CFG_M, s, get_mbps), ratio(CFG_M, s, 0),
		      med_of(CFG_B, s, get_mbps), ratio(CFG_B, s, 0),
		      plain[s].mbps);
		t_log("  %-16s  per round: captured %.1f..%.1f %%, "
		      "captured+reader %.1f..%.1f %%, captured+mmap-reader "
		      "%.1f..%.1f %%; %.0f bytes/record",
		      "", ratio(CFG_C, s, -1), ratio(CFG_C, s, 1),
		      ratio(CFG_R, s, -1), ratio(CFG_R, s, 1),
		      ratio(CFG_M, s, -1), ratio(CFG_M, s, 1),
		      med_of(CFG_C, s, get_rec_len));
		t_log("  %-16s  reader R %.1f %% / M %.1f %% of a vCPU, R %.0f "
		      "/ M %.0f us/MB, R %.0f / M %.0f wakeups/s, lost R %.0f "
		      "of %.0f / M %.0f of %.0f records; CPU-us/MB U %.0f "
		      "C %.0f R %.0f M %.0f B %.0f",
		      "", med_of(CFG_R, s, get_rd_cpu),
		      med_of(CFG_M, s, get_rd_cpu),
		      med_of(CFG_R, s, get_rd_us_mb),
		      med_of(CFG_M, s, get_rd_us_mb),
		      med_of(CFG_R, s, get_rd_vcsw),
		      med_of(CFG_M, s, get_rd_vcsw), sum_of(CFG_R, s, get_lost),
		      sum_of(CFG_R, s, get_offered), sum_of(CFG_M, s, get_lost),
		      sum_of(CFG_M, s, get_offered),
		      med_of(CFG_U, s, get_cpu_us_mb),
		      med_of(CFG_C, s, get_cpu_us_mb),
		      med_of(CFG_R, s, get_cpu_us_mb),
		      med_of(CFG_M, s, get_cpu_us_mb),
		      med_of(CFG_B, s, get_cpu_us_mb));
		met = met && ratio(CFG_R, s, 0) >= 95;
		met_m = met_m && ratio(CFG_M, s, 0) >= 95;
	}
	t_log("  target: captured+reader >= 95 %% of uncaptured in every "
	      "setup: read() %s, mmap %s",
	      met ? "met" : "NOT met", met_m ? "met" : "NOT met");
	ramp_report("read()", &ramp_r);
	ramp_report("mmap", &ramp_m);
	t_log("  elapsed %.0f s", (mono_ns() - tstart) / 1e9);
	t_pass();
}
