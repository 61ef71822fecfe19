// SPDX-License-Identifier: GPL-2.0
/*
 * t-mmap: a reader that maps its buffer (TTYSCOPE_MMAP_CTL/_DATA) and
 * consumes records in place through the control page's head and tail.
 *
 *  1. Refused mappings change nothing: a writable control page of an
 *     O_RDONLY reader, a writable ring, a private mapping, a wrong offset
 *     or length fail (EACCES/EINVAL), and afterwards
 *     SET_BUFSIZE still works. The reader is then set to the smallest
 *     buffer (TTYSCOPE_BUF_MIN) and mapped: the control page reports the
 *     size, the ring cannot be made writable (mprotect: EACCES), read()
 *     and SET_BUFSIZE fail with EBUSY.
 *  2. Byte-exact and wrap-around: ~4 MiB of random data in random chunks
 *     through a raw pty, each chunk consumed from the mapping after the
 *     master read it. The ring wraps hundreds of times; records whose
 *     header and whose payload straddle the end of the ring must occur.
 *     The OUT payloads equal the data written, the tty's seq numbers run
 *     from OPEN without a gap, no LOSS. A read() reader open alongside
 *     receives the same bytes.
 *  3. Loss accounting: 64 KiB more while nothing is consumed, then small
 *     writes until one is lost without a LOSS record after it. The kernel
 *     never queues more than the ring holds; once the reader has consumed
 *     everything, poll() queues the owed LOSS record by itself, whose
 *     counts equal STATS.rd_records_lost / rd_bytes_lost and the tty's
 *     seq gap (LIST.lost_records). The OUT payloads received before and
 *     after the gap sit exactly where LOSS.bytes says in the data written.
 *  4. A tail the kernel cannot make sense of (ahead of head) makes it
 *     treat the ring as full: records are lost, none queued, nothing
 *     overwritten; with a sane tail again, LOSS and then OUT arrive.
 */
#include "lib.h"

#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define TOTAL_A (4u << 20)
#define CHUNK_MAX 3000
#define LOSS_BYTES (64u << 10)

struct mreader {
	int fd;
	struct ttyscope_mmap_ctl *ctl;
	const uint8_t *data;
	uint32_t size;
	size_t data_len;
	uint64_t hdr_wraps, payload_wraps;
};

/* What the mapping delivered for one tty, and the LOSS records. */
struct view {
	uint32_t major, minor;
	struct buf out; /* OUT payloads, in stream order */
	const uint8_t *data; /* what was written to the slave */
	size_t pos; /* offset in @data of the next OUT byte */
	uint64_t next_seq, seq_lost; /* seq expected next; sum of gaps */
	uint64_t recs, loss_recs, loss_records, loss_bytes;
	uint64_t pend_loss_bytes; /* LOSS bytes not yet matched to a gap */
	bool closed;
};

/* ring_copy() - @n bytes at ring position @pos; true if they wrap */
static bool ring_copy(const struct mreader *m, uint32_t pos, void *dst,
		      uint32_t n)
{
	uint32_t off = pos & (m->size - 1), l = MIN(n, m->size - off);

	memcpy(dst, m->data + off, l);
	memcpy((uint8_t *)dst + l, m->data, n - l);
	return l < n;
}

static void view_rec(struct view *v, const struct trec *r)
{
	if (r->type == TTYSCOPE_REC_LOSS) {
		struct ttyscope_rec_loss l;

		memcpy(&l, r->p, sizeof(l));
		v->loss_recs++;
		v->loss_records += l.records;
		v->loss_bytes += l.bytes;
		v->pend_loss_bytes += l.bytes;
		return;
	}
	if (r->major != v->major || r->minor != v->minor)
		return;
	v->recs++;
	CHECK(!v->closed, "record after CLOSE");
	CHECK(r->seq >= v->next_seq,
	      "seq %" PRIu64 " after %" PRIu64 " (not ascending)", r->seq,
	      v->next_seq);
	if (r->seq > v->next_seq) {
		/* a gap: the lost records were this tty's OUT records */
		CHECK(v->pend_loss_bytes,
		      "seq gap %" PRIu64 "..%" PRIu64
		      " without a LOSS record before it",
		      v->next_seq, r->seq);
		v->seq_lost += r->seq - v->next_seq;
		v->pos += v->pend_loss_bytes;
	}
	v->pend_loss_bytes = 0;
	v->next_seq = r->seq + 1;
	if (r->type == TTYSCOPE_REC_CLOSE)
		v->closed = true;
	if (r->type != TTYSCOPE_REC_OUT)
		return;
	CHECK(r->seq > 0, "OUT before OPEN");
	if (v->data) {
		if (memcmp(v->data + v->pos, r->p, r->len)) {
			hexdump("got ", r->p, MIN(r->len, 64u), 0);
			hexdump("want", v->data + v->pos, MIN(r->len, 64u), 0);
			FAIL("OUT seq %" PRIu64
			     ": payload differs from the data "
			     "written at offset %zu",
			     r->seq, v->pos);
		}
	}
	buf_append(&v->out, r->p, r->len);
	v->pos += r->len;
}

/*
 * take() - consume every queued record through the mapping: validate it,
 * hand it to @v, then release the bytes (tail = head). Returns the number
 * of records.
 */
static size_t take(struct mreader *m, struct view *v)
{
	uint32_t head = __atomic_load_n(&m->ctl->head, __ATOMIC_ACQUIRE);
	uint32_t tail = m->ctl->tail;
	static uint8_t rec[REC_MAX];
	size_t n = 0;

	CHECK(head - tail <= m->size,
	      "head %u - tail %u exceeds the ring size %u", head, tail,
	      m->size);
	while (tail != head) {
		const char *why;
		struct trec r;
		size_t len;

		CHECK(head - tail >= REC_HDR, "partial header at %u", tail);
		m->hdr_wraps += ring_copy(m, tail, rec, REC_HDR);
		rec_decode(rec, &r);
		CHECK(r.len <= TTYSCOPE_MAX_PAYLOAD &&
			      head - tail - REC_HDR >= r.len,
		      "record at %u: len %u, %u bytes queued", tail, r.len,
		      head - tail);
		m->payload_wraps +=
			ring_copy(m, tail + REC_HDR, rec + REC_HDR, r.len);
		why = rec_check(rec, REC_HDR + r.len, &len);
		CHECK(!why, "record at %u: %s", tail, why);
		rec_decode(rec, &r);
		view_rec(v, &r);
		tail += len;
		n++;
	}
	__atomic_store_n(&m->ctl->tail, tail, __ATOMIC_RELEASE);
	return n;
}

/* take_until() - take() until @v's OUT bytes reach @pos (poll between) */
static void take_until(struct mreader *m, struct view *v, size_t pos)
{
	uint64_t deadline = mono_ns() + 5000000000ull;

	for (;;) {
		struct pollfd pfd = { .fd = m->fd, .events = POLLIN };

		take(m, v);
		if (v->pos >= pos)
			break;
		CHECK(mono_ns() < deadline,
		      "mapping delivered OUT up to %zu of %zu bytes", v->pos,
		      pos);
		poll(&pfd, 1, 100);
	}
	CHECK(v->pos == pos, "OUT bytes reach %zu, %zu written", v->pos, pos);
}

static void *map(int fd, size_t len, int prot, int flags, off_t off)
{
	return mmap(NULL, len, prot, flags, fd, off);
}

static void check_refused(int fd, long page)
{
	struct ttyscope_stats st;
	void *p;

	tsc_stats(fd, &st);
	errno = 0;
	p = map(fd, st.rd_buf_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		TTYSCOPE_MMAP_DATA);
	CHECK(p == MAP_FAILED && errno == EACCES,
	      "writable ring mapping: %s, want EACCES", errname(errno));
	p = map(fd, page, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		TTYSCOPE_MMAP_CTL);
	CHECK(p == MAP_FAILED && errno == EINVAL,
	      "private control mapping: %s, want EINVAL", errname(errno));
	p = map(fd, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED,
		TTYSCOPE_MMAP_CTL);
	CHECK(p == MAP_FAILED && errno == EINVAL,
	      "control mapping of 2 pages: %s, want EINVAL", errname(errno));
	p = map(fd, page, PROT_READ, MAP_SHARED, TTYSCOPE_MMAP_DATA);
	CHECK(p == MAP_FAILED && errno == EINVAL,
	      "ring mapping of one page: %s, want EINVAL", errname(errno));
	p = map(fd, page, PROT_READ, MAP_SHARED, page);
	CHECK(p == MAP_FAILED && errno == EINVAL,
	      "mapping at offset %ld: %s, want EINVAL", page, errname(errno));
	t_log("refused: writable ring, private, wrong length, wrong offset");
}

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	struct mreader m = { 0 };
	struct ttyscope_stats s0, s1;
	struct ttyscope_tty_info info;
	struct ttyscope_bufsize bs;
	struct rstream *rs;
	struct rng rng = { t_seed() };
	struct buf mrd = { 0 };
	struct view v = { 0 };
	struct tview tv;
	struct pty p;
	uint8_t *data, tmp[64];
	size_t a_len, total;
	uint64_t loss_recs;
	uint32_t head;
	void *ctl, *ring;
	ssize_t n;

	t_init("t-mmap", 240);
	/* the control page is written: it takes a reader opened O_RDWR */
	m.fd = open(RPL_PATH, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	CHECK(m.fd >= 0, "open %s: %s", RPL_PATH, strerror(errno));
	EXPECT_ERRNO(map(m.fd, page, PROT_READ | PROT_WRITE, MAP_SHARED,
			 TTYSCOPE_MMAP_CTL),
		     EACCES, "writable control page of an O_RDONLY reader");
	close(m.fd);
	m.fd = open(RPL_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	CHECK(m.fd >= 0, "open %s O_RDWR: %s", RPL_PATH, strerror(errno));

	/* 1. refused mappings leave the reader as it was */
	check_refused(m.fd, page);
	EXPECT_OK(tsc_set_bufsize(m.fd, TTYSCOPE_BUF_MIN),
		  "SET_BUFSIZE after refused mappings");
	n = read(m.fd, tmp, sizeof(tmp));
	CHECK(n >= 0 || errno == EAGAIN, "read() before mapping: %s",
	      errname(errno));

	ctl = map(m.fd, page, PROT_READ | PROT_WRITE, MAP_SHARED,
		  TTYSCOPE_MMAP_CTL);
	CHECK(ctl != MAP_FAILED, "map control page: %s", strerror(errno));
	m.ctl = ctl;
	m.size = m.ctl->size;
	CHECK(m.size == TTYSCOPE_BUF_MIN, "control page: size %u, want %u",
	      m.size, TTYSCOPE_BUF_MIN);
	CHECK(m.ctl->head == m.ctl->tail, "fresh reader: head %u, tail %u",
	      m.ctl->head, m.ctl->tail);
	m.data_len = (m.size + page - 1) / page * page;
	ring = map(m.fd, m.data_len, PROT_READ, MAP_SHARED, TTYSCOPE_MMAP_DATA);
	CHECK(ring != MAP_FAILED, "map ring: %s", strerror(errno));
	m.data = ring;
	EXPECT_ERRNO(mprotect(ring, m.data_len, PROT_READ | PROT_WRITE), EACCES,
		     "mprotect of the ring to writable");
	EXPECT_ERRNO(read(m.fd, tmp, sizeof(tmp)), EBUSY, "read() once mapped");
	memset(&bs, 0, sizeof(bs));
	bs.size = TTYSCOPE_BUF_DEFAULT;
	EXPECT_ERRNO(ioctl(m.fd, TTYSCOPE_IOC_SET_BUFSIZE, &bs), EBUSY,
		     "SET_BUFSIZE once mapped");
	t_log("mapped: %u-byte ring read-only, read() and SET_BUFSIZE EBUSY",
	      m.size);

	/* 2. byte-exact through hundreds of wraps, a read() reader alongside */
	data = malloc(TOTAL_A + LOSS_BYTES + (64u << 10));
	CHECK(data, "out of memory");
	rs = rs_open("B", 0);
	rs_start(rs);
	pty_open(&p);
	tty_setup(p.slave, TTY_RAW, false);
	v.major = p.major;
	v.minor = p.minor;
	v.data = data;
	a_len = 0;
	while (a_len < TOTAL_A) {
		size_t c = 1 + rng_below(&rng, CHUNK_MAX);

		rng_bytes(&rng, data + a_len, c);
		write_all(p.slave, data + a_len, c, "slave");
		CHECK(read_until(p.master, &mrd, a_len + c, 5000),
		      "master read %zu of %zu bytes", mrd.len, a_len + c);
		a_len += c;
		take_until(&m, &v, a_len);
	}
	CHECK(!memcmp(mrd.p, data, a_len), "master read other bytes");
	CHECK(!v.loss_recs && !v.seq_lost, "LOSS while consuming in step");
	CHECK(v.out.len == a_len && !memcmp(v.out.p, data, a_len),
	      "mapping: OUT differs");
	CHECK(m.hdr_wraps > 0 && m.payload_wraps > 0,
	      "no record straddled the end of the ring (headers %" PRIu64
	      ", payloads %" PRIu64 ")",
	      m.hdr_wraps, m.payload_wraps);
	t_log("%zu bytes in %" PRIu64 " records through the mapping, "
	      "byte-exact; %u wraps of the ring; %" PRIu64 " headers and "
	      "%" PRIu64 " payloads straddled its end",
	      a_len, v.recs, (unsigned int)(a_len / m.size), m.hdr_wraps,
	      m.payload_wraps);
	CHECK(rs_wait_bytes(rs, 0, p.major, p.minor, TTYSCOPE_REC_OUT, a_len,
			    5000),
	      "read() reader: OUT incomplete");
	rs_stop(rs);
	tv_build(rs, 0, p.major, p.minor, &tv);
	CHECK(tv.out.len == a_len && !memcmp(tv.out.p, data, a_len),
	      "read() reader: OUT differs");
	CHECK(!rs->loss_recs, "read() reader lost records");
	tv_free(&tv);
	rs_close(rs);
	t_log("the read() reader alongside got the same bytes");

	/* 3. loss: write while nothing is consumed */
	tsc_stats(m.fd, &s0);
	total = a_len;
	while (total < a_len + LOSS_BYTES) {
		size_t c = MIN(4096u, a_len + LOSS_BYTES - total);

		rng_bytes(&rng, data + total, c);
		write_all(p.slave, data + total, c, "slave");
		CHECK(read_until(p.master, &mrd, total + c, 5000),
		      "master read %zu of %zu bytes", mrd.len, total + c);
		total += c;
	}
	/*
	 * Then 64-byte writes until one queues nothing and loses records: a
	 * LOSS record is owed for them, none could be queued since.
	 */
	for (int k = 0;; k++) {
		uint64_t lost0;

		tsc_stats(m.fd, &s1);
		lost0 = s1.rd_records_lost;
		head = __atomic_load_n(&m.ctl->head, __ATOMIC_ACQUIRE);
		CHECK(k < 1000, "64-byte writes keep being queued");
		rng_bytes(&rng, data + total, 64);
		write_all(p.slave, data + total, 64, "slave");
		CHECK(read_until(p.master, &mrd, total + 64, 5000),
		      "master read %zu of %zu bytes", mrd.len, total + 64);
		total += 64;
		tsc_stats(m.fd, &s1);
		CHECK(s1.rd_buf_used <= m.size, "queued %u bytes in a %u ring",
		      s1.rd_buf_used, m.size);
		if (__atomic_load_n(&m.ctl->head, __ATOMIC_ACQUIRE) == head &&
		    s1.rd_records_lost > lost0)
			break;
	}
	tsc_stats(m.fd, &s1);
	CHECK(s1.rd_records_lost > s0.rd_records_lost,
	      "%u KiB into an unconsumed %u-byte ring lost nothing",
	      LOSS_BYTES >> 10, m.size);
	CHECK(s1.rd_buf_used == head - m.ctl->tail,
	      "STATS.rd_buf_used %u, mapping shows %u", s1.rd_buf_used,
	      head - m.ctl->tail);
	take(&m, &v);
	CHECK(v.loss_records < s1.rd_records_lost,
	      "all %" PRIu64 " lost records reported while the ring was full",
	      v.loss_records);
	loss_recs = v.loss_recs;
	{
		struct pollfd pfd = { .fd = m.fd, .events = POLLIN };

		CHECK(poll(&pfd, 1, 2000) == 1 && (pfd.revents & POLLIN),
		      "poll() after consuming: no owed LOSS record");
	}
	CHECK(take(&m, &v) == 1 && v.loss_recs == loss_recs + 1,
	      "poll() queued %" PRIu64 " LOSS records",
	      v.loss_recs - loss_recs);
	/* more data: the first OUT after the gap must sit where LOSS says */
	rng_bytes(&rng, data + total, CHUNK_MAX);
	write_all(p.slave, data + total, CHUNK_MAX, "slave");
	CHECK(read_until(p.master, &mrd, total + CHUNK_MAX, 5000),
	      "master read");
	total += CHUNK_MAX;
	take_until(&m, &v, total);
	tsc_stats(m.fd, &s1);
	CHECK(v.loss_records == s1.rd_records_lost &&
		      v.loss_bytes == s1.rd_bytes_lost,
	      "LOSS %" PRIu64 " records / %" PRIu64 " bytes, STATS %llu / "
	      "%llu",
	      v.loss_records, v.loss_bytes,
	      (unsigned long long)s1.rd_records_lost,
	      (unsigned long long)s1.rd_bytes_lost);
	CHECK(tsc_find(m.fd, p.major, p.minor, &info), "LIST lost the pty");
	CHECK(v.seq_lost == info.lost_records && v.seq_lost == v.loss_records,
	      "seq gap %" PRIu64 ", LIST.lost_records %llu, LOSS %" PRIu64,
	      v.seq_lost, (unsigned long long)info.lost_records,
	      v.loss_records);
	CHECK(v.out.len + v.loss_bytes == total,
	      "OUT %zu + lost %" PRIu64 " bytes != %zu written", v.out.len,
	      v.loss_bytes, total);
	t_log("unconsumed: %" PRIu64 " records (%" PRIu64 " bytes) lost, "
	      "LOSS queued by poll(), counts match STATS, LIST and the seq "
	      "gap; the bytes around the gap are exact",
	      v.loss_records, v.loss_bytes);

	/* 4. a tail ahead of head: the ring counts as full */
	loss_recs = v.loss_recs;
	head = __atomic_load_n(&m.ctl->head, __ATOMIC_ACQUIRE);
	__atomic_store_n(&m.ctl->tail, head + 12345, __ATOMIC_RELEASE);
	tsc_stats(m.fd, &s0);
	rng_bytes(&rng, data + total, CHUNK_MAX);
	write_all(p.slave, data + total, CHUNK_MAX, "slave");
	CHECK(read_until(p.master, &mrd, total + CHUNK_MAX, 5000),
	      "master read");
	total += CHUNK_MAX;
	tsc_stats(m.fd, &s1);
	CHECK(__atomic_load_n(&m.ctl->head, __ATOMIC_ACQUIRE) == head,
	      "records queued with a bogus tail");
	CHECK(s1.rd_records_lost > s0.rd_records_lost,
	      "nothing lost with a bogus tail");
	__atomic_store_n(&m.ctl->tail, head, __ATOMIC_RELEASE);
	rng_bytes(&rng, data + total, CHUNK_MAX);
	write_all(p.slave, data + total, CHUNK_MAX, "slave");
	CHECK(read_until(p.master, &mrd, total + CHUNK_MAX, 5000),
	      "master read");
	total += CHUNK_MAX;
	take_until(&m, &v, total);
	CHECK(v.loss_recs == loss_recs + 1 && v.out.len + v.loss_bytes == total,
	      "after the bogus tail: %" PRIu64 " LOSS records, OUT %zu + "
	      "lost %" PRIu64 " != %zu",
	      v.loss_recs - loss_recs, v.out.len, v.loss_bytes, total);
	CHECK(!memcmp(mrd.p, data, total), "master read other bytes");
	t_log("a tail ahead of head: records lost, none queued; then LOSS and "
	      "OUT again");

	pty_close(&p);
	{
		uint64_t deadline = mono_ns() + 5000000000ull;
		struct pollfd pfd = { .fd = m.fd, .events = POLLIN };

		while (take(&m, &v), !v.closed) {
			CHECK(mono_ns() < deadline, "no CLOSE in the mapping");
			poll(&pfd, 1, 100);
		}
	}
	CHECK(munmap(ring, m.data_len) == 0 && munmap(ctl, page) == 0,
	      "munmap: %s", strerror(errno));
	close(m.fd);
	buf_free(&mrd);
	buf_free(&v.out);
	free(data);
	t_pass();
}
