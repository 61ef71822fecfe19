// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the stream reader (common/tsc-reader.c): whole records
 * over files, pipes and packet sockets, short reads, EAGAIN, EINTR,
 * malformed and truncated streams with exact offsets, resynchronisation.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tsc-test.h"

/* A stream of @n valid OUT records with payload sizes varying 0..199. */
static size_t make_stream(uint8_t *buf, unsigned int n, size_t *offsets)
{
	uint8_t payload[200];
	size_t off = 0;

	for (unsigned int i = 0; i < n; i++) {
		memset(payload, 'a' + i % 26, sizeof(payload));
		if (offsets)
			offsets[i] = off;
		off += tsc_test_put_simple(buf + off, TTYSCOPE_REC_OUT, i,
					   1000 + i, payload, (i * 37) % 200);
	}
	return off;
}

/* Read all records of @fd, checking seqs 0..n-1; returns the count. */
static unsigned int read_all(struct tsc_reader *r)
{
	struct tsc_rec rec;
	unsigned int n = 0;
	int ret;

	while ((ret = tsc_reader_next(r, &rec)) == 1) {
		ck_assert_uint_eq(rec.hdr.seq, n);
		ck_assert_uint_eq(rec.hdr.len, (n * 37) % 200);
		ck_assert_ptr_eq(rec.payload, rec.raw + TSC_REC_HDR_SIZE);
		n++;
	}
	ck_assert_int_eq(ret, 0);
	return n;
}

START_TEST(test_file)
{
	static uint8_t buf[1 << 20];
	struct tsc_reader *r;
	size_t len = make_stream(buf, 3000, NULL);
	int fd;

	tsc_test_write_file("stream", buf, len);
	fd = tsc_test_open("stream", O_RDONLY);
	ck_assert_int_eq(tsc_reader_new(fd, NULL, &r), 0);
	ck_assert_uint_eq(read_all(r), 3000);
	ck_assert_uint_eq(tsc_reader_offset(r), len);
	ck_assert_uint_eq(tsc_reader_pending(r), 0);
	ck_assert_int_eq(tsc_reader_error(r)->fault, TSC_FAULT_NONE);
	tsc_reader_free(r);
	tsc_reader_free(NULL);
	close(fd);
}
END_TEST

/* Non-blocking pipe fed one byte at a time: -EAGAIN keeps partial data. */
START_TEST(test_nonblock_bytewise)
{
	uint8_t buf[8192];
	struct tsc_reader *r;
	struct tsc_rec rec;
	size_t len = make_stream(buf, 20, NULL);
	unsigned int got = 0;
	int p[2];

	ck_assert_int_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	ck_assert_int_eq(tsc_reader_new(p[0], NULL, &r), 0);
	ck_assert_int_eq(tsc_reader_next(r, &rec), -EAGAIN);
	for (size_t i = 0; i < len; i++) {
		int ret;

		ck_assert_int_eq(write(p[1], buf + i, 1), 1);
		ret = tsc_reader_next(r, &rec);
		if (ret == 1) {
			ck_assert_uint_eq(rec.hdr.seq, got);
			got++;
			ck_assert_int_eq(tsc_reader_next(r, &rec), -EAGAIN);
		} else {
			ck_assert_int_eq(ret, -EAGAIN);
		}
	}
	ck_assert_uint_eq(got, 20);
	close(p[1]);
	ck_assert_int_eq(tsc_reader_next(r, &rec), 0);
	tsc_reader_free(r);
	close(p[0]);
}
END_TEST

/*
 * Packet socket delivering whole records per read, like /dev/rpl: the
 * reader must always offer room for a maximum-size record, or the kernel
 * side would truncate (here) or fail with EINVAL (/dev/rpl).
 */
START_TEST(test_packets)
{
	static uint8_t payload[TTYSCOPE_MAX_PAYLOAD];
	uint8_t pkt[3 * TSC_REC_MAX_SIZE];
	struct tsc_reader_options opts = { .bufsize = 1 }; /* -> minimum */
	struct tsc_reader *r;
	struct tsc_rec rec;
	uint64_t seq = 0;
	int sv[2], status;
	pid_t child;

	memset(payload, 'p', sizeof(payload));
	ck_assert_int_eq(
		socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		close(sv[1]);
		for (int i = 0; i < 30; i++) {
			size_t n = 0;

			/* 1 to 3 records per packet, mostly of maximum size */
			for (int k = 0; k <= i % 3; k++)
				n += tsc_test_put_simple(pkt + n,
							 TTYSCOPE_REC_OUT,
							 seq++, 0, payload,
							 k == 1 ? 5 : 4096);
			if (send(sv[0], pkt, n, 0) != (ssize_t)n)
				_exit(1);
		}
		_exit(0);
	}
	close(sv[0]);
	ck_assert_int_eq(tsc_reader_new(sv[1], &opts, &r), 0);
	for (uint64_t i = 0; i < 60; i++) {
		ck_assert_int_eq(tsc_reader_next(r, &rec), 1);
		ck_assert_uint_eq(rec.hdr.seq, i);
		ck_assert_uint_eq(rec.hdr.len,
				  i % 6 == 2 || i % 6 == 4 ? 5 : 4096);
	}
	ck_assert_int_eq(tsc_reader_next(r, &rec), 0);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert_int_eq(status, 0);
	tsc_reader_free(r);
	close(sv[1]);
}
END_TEST

static void on_alarm(int sig)
{
}

/* A blocking read interrupted by a signal (no SA_RESTART) is retried. */
START_TEST(test_eintr)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct itimerval it = { .it_value = { .tv_usec = 20000 } };
	uint8_t buf[256];
	struct tsc_reader *r;
	struct tsc_rec rec;
	size_t len = make_stream(buf, 2, NULL);
	pid_t child;
	int p[2], status;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		close(p[0]);
		usleep(200000); /* after the parent's alarm */
		_exit(write(p[1], buf, len) == (ssize_t)len ? 0 : 1);
	}
	close(p[1]);
	ck_assert_int_eq(sigaction(SIGALRM, &sa, &old), 0);
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	ck_assert_int_eq(tsc_reader_new(p[0], NULL, &r), 0);
	ck_assert_int_eq(tsc_reader_next(r, &rec), 1);
	ck_assert_int_eq(tsc_reader_next(r, &rec), 1);
	ck_assert_uint_eq(rec.hdr.seq, 1);
	ck_assert_int_eq(tsc_reader_next(r, &rec), 0);
	sigaction(SIGALRM, &old, NULL);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert_int_eq(status, 0);
	tsc_reader_free(r);
	close(p[0]);
}
END_TEST

/*
 * Malformed streams: record @at of a valid 10-record stream is replaced by
 * @bad (or the stream is cut @cut bytes into record @at). The reader must
 * return the records before it, then exactly @err with @fault at that
 * record's offset, and the same again on retry.
 */
static const struct {
	const char *what;
	unsigned int at;
	struct tsc_test_rec bad;
	size_t cut; /* nonzero: truncate instead */
	int err;
	enum tsc_fault fault;
} bad_cases[] = {
	{ "magic",
	  3,
	  { .magic = 0x12345678, .type = 5, .len = 4 },
	  0,
	  -EBADMSG,
	  TSC_FAULT_MAGIC },
	{ "version",
	  0,
	  { .version = 2, .type = 5, .len = 4 },
	  0,
	  -EBADMSG,
	  TSC_FAULT_VERSION },
	{ "type 0", 9, { .type = 0 }, 0, -EBADMSG, TSC_FAULT_TYPE },
	{ "type 12", 5, { .type = 12, .len = 1 }, 0, -EBADMSG, TSC_FAULT_TYPE },
	{ "type 200", 5, { .type = 200 }, 0, -EBADMSG, TSC_FAULT_TYPE },
	{ "len 4097", 4, { .type = 5, .len = 4097 }, 0, -EBADMSG, TSC_FAULT_LEN },
	{ "len huge",
	  4,
	  { .type = 5, .len = 0x7fffffff },
	  0,
	  -EBADMSG,
	  TSC_FAULT_LEN },
	{ "OPEN 39", 1, { .type = 1, .len = 39 }, 0, -EBADMSG, TSC_FAULT_SIZE },
	{ "CLOSE 4", 1, { .type = 2, .len = 4 }, 0, -EBADMSG, TSC_FAULT_SIZE },
	{ "LOSS 8", 7, { .type = 11, .len = 8 }, 0, -EBADMSG, TSC_FAULT_SIZE },
	{ "cut in header", 6, { 0 }, 1, -ENODATA, TSC_FAULT_TRUNCATED },
	{ "cut at 39", 6, { 0 }, 39, -ENODATA, TSC_FAULT_TRUNCATED },
	{ "cut after header", 6, { 0 }, 40, -ENODATA, TSC_FAULT_TRUNCATED },
	{ "cut in payload", 8, { 0 }, 41, -ENODATA, TSC_FAULT_TRUNCATED },
};

START_TEST(test_malformed)
{
	uint8_t buf[8192], tmp[8192];
	size_t off[10], len = make_stream(buf, 10, off), n;
	struct tsc_reader_options opts = { .offset = 1000000 };
	unsigned int at = bad_cases[_i].at;
	struct tsc_reader *r;
	struct tsc_rec rec;
	int p[2];

	if (bad_cases[_i].cut) {
		/* record 8 has 96 payload bytes: a cut at 41 is inside */
		len = off[at] + bad_cases[_i].cut;
	} else {
		size_t end = at + 1 < 10 ? off[at + 1] : len;

		n = tsc_test_put(tmp, &bad_cases[_i].bad, NULL);
		memcpy(tmp + n, buf + end, len - end);
		memcpy(buf + off[at], tmp, n + len - end);
		len = off[at] + n + len - end;
	}
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	ck_assert_int_eq(write(p[1], buf, len), (ssize_t)len);
	close(p[1]);
	ck_assert_int_eq(tsc_reader_new(p[0], &opts, &r), 0);
	for (unsigned int i = 0; i < at; i++)
		ck_assert_int_eq(tsc_reader_next(r, &rec), 1);
	for (int retry = 0; retry < 2; retry++) {
		ck_assert_int_eq(tsc_reader_next(r, &rec), bad_cases[_i].err);
		ck_assert_int_eq(tsc_reader_error(r)->fault,
				 bad_cases[_i].fault);
		ck_assert_uint_eq(tsc_reader_error_offset(r),
				  1000000 + off[at]);
		ck_assert_uint_eq(tsc_reader_offset(r), 1000000 + off[at]);
	}
	tsc_reader_free(r);
	close(p[0]);
}
END_TEST

/*
 * Resynchronisation: garbage between records 2 and 3 of a 6-record stream.
 * The reader reports the garbage's offset, then resync skips @skipped
 * bytes; a fake header (seq 99) in the garbage is returned only when it
 * is valid, not followed by a valid header, and does not overlap the real
 * record after it.
 */
#define FAKE_OUT(len)                              \
	"TSCR\x01\x00\x05\x00\x00\x00\x00\x00" len \
	"\0\0\0\0\0\0\0\0\x63\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"

static const struct {
	const char *what;
	const char *garbage;
	size_t len;
	size_t skipped;
	bool fake;
} resync_cases[] = {
	{ "text", "hello, world", 12, 12, false },
	{ "one byte", "\x01", 1, 1, false },
	{ "magic only", "TSCRTSCR", 8, 8, false },
	{ "fake header overlapping the next record",
	  "x" FAKE_OUT("\x64\x00\x00\x00") "abc", 44, 44, false },
	{ "fake header before junk", "x" FAKE_OUT("\x04\x00\x00\x00") "junkzz",
	  47, 3, true },
};

START_TEST(test_resync)
{
	uint8_t buf[8192], rest[8192];
	size_t off[6], len = make_stream(buf, 6, off), glen;
	const char *g = resync_cases[_i].garbage;
	uint64_t want = 0;
	struct tsc_reader *r;
	struct tsc_rec rec;
	bool first = true;
	int p[2], ret;

	glen = resync_cases[_i].len;
	memcpy(rest, buf + off[3], len - off[3]);
	memcpy(buf + off[3], g, glen);
	memcpy(buf + off[3] + glen, rest, len - off[3]);
	len += glen;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	ck_assert_int_eq(write(p[1], buf, len), (ssize_t)len);
	close(p[1]);
	ck_assert_int_eq(tsc_reader_new(p[0], NULL, &r), 0);
	while ((ret = tsc_reader_next(r, &rec)) != 0) {
		if (ret == -EBADMSG) {
			if (first)
				ck_assert_uint_eq(tsc_reader_error_offset(r),
						  off[3]);
			first = false;
			ck_assert_int_eq(tsc_reader_resync(r), 0);
			continue;
		}
		ck_assert_int_eq(ret, 1);
		if (want == 3 && resync_cases[_i].fake && rec.hdr.seq == 99) {
			ck_assert_uint_eq(tsc_reader_offset(r), off[3] + 1);
			continue;
		}
		ck_assert_uint_eq(rec.hdr.seq, want);
		want++;
	}
	ck_assert_uint_eq(want, 6);
	ck_assert(!first);
	ck_assert_uint_eq(tsc_reader_skipped(r), resync_cases[_i].skipped);
	tsc_reader_free(r);
	close(p[0]);
}
END_TEST

/*
 * TSC_READER_RESYNC: garbage everywhere is skipped and counted, whether the
 * stream comes at once (a file) or byte by byte (a non-blocking pipe, so
 * the scan runs out of data at every point).
 */
START_TEST(test_auto_resync)
{
	uint8_t buf[16384], rec_buf[300] = { 0 };
	struct tsc_reader_options opts = { .flags = TSC_READER_RESYNC };
	size_t len = 0, garbage = 0;
	uint64_t rnd = 42, want = 0;
	struct tsc_reader *r;
	struct tsc_rec rec;
	int fd, p[2], ret;

	for (int i = 0; i < 40; i++) {
		size_t g = tsc_test_rand(&rnd) % 7;

		for (size_t k = 0; k < g; k++)
			buf[len++] = (uint8_t)tsc_test_rand(&rnd);
		garbage += g;
		len += tsc_test_put_simple(buf + len, TTYSCOPE_REC_IN, i, i,
					   rec_buf, (uint32_t)(i * 7));
	}
	memcpy(buf + len, "trailing", 8); /* garbage at the very end */
	len += 8;
	garbage += 8;

	if (_i == 0) {
		tsc_test_write_file("noisy", buf, len);
		fd = tsc_test_open("noisy", O_RDONLY);
		ck_assert_int_eq(tsc_reader_new(fd, &opts, &r), 0);
		for (int i = 0; i < 40; i++) {
			ck_assert_int_eq(tsc_reader_next(r, &rec), 1);
			ck_assert_uint_eq(rec.hdr.seq, i);
		}
		ck_assert_int_eq(tsc_reader_next(r, &rec), 0);
	} else {
		ck_assert_int_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
		fd = p[0];
		ck_assert_int_eq(tsc_reader_new(fd, &opts, &r), 0);
		for (size_t i = 0; i <= len; i++) {
			if (i < len)
				ck_assert_int_eq(write(p[1], buf + i, 1), 1);
			else
				close(p[1]);
			while ((ret = tsc_reader_next(r, &rec)) == 1)
				ck_assert_uint_eq(rec.hdr.seq, want++);
			ck_assert_int_eq(ret, i < len ? -EAGAIN : 0);
		}
		ck_assert_uint_eq(want, 40);
	}
	ck_assert_uint_eq(tsc_reader_skipped(r), garbage);
	ck_assert_int_ne(tsc_reader_error(r)->fault, TSC_FAULT_NONE);
	tsc_reader_free(r);
	close(fd);
}
END_TEST

/* A short tail at the end: garbage if it cannot start a record. */
START_TEST(test_short_tail)
{
	static const struct {
		const char *tail;
		int err;
		enum tsc_fault fault;
	} tails[] = {
		{ "xy", -EBADMSG, TSC_FAULT_MAGIC },
		{ "TSx", -EBADMSG, TSC_FAULT_MAGIC },
		{ "TS", -ENODATA, TSC_FAULT_TRUNCATED },
		{ "TSCR\x01", -ENODATA, TSC_FAULT_TRUNCATED },
	};
	uint8_t buf[1024];
	size_t off[2], len = make_stream(buf, 2, off);

	for (size_t k = 0; k < ARRAY_SIZE(tails); k++) {
		size_t n = strlen(tails[k].tail);
		struct tsc_reader *r;
		struct tsc_rec rec;
		int fd;

		memcpy(buf + len, tails[k].tail, n);
		tsc_test_write_file("tail", buf, len + n);
		fd = tsc_test_open("tail", O_RDONLY);
		ck_assert_int_eq(tsc_reader_new(fd, NULL, &r), 0);
		ck_assert_int_eq(tsc_reader_next(r, &rec), 1);
		ck_assert_int_eq(tsc_reader_next(r, &rec), 1);
		ck_assert_int_eq(tsc_reader_next(r, &rec), tails[k].err);
		ck_assert_int_eq(tsc_reader_error(r)->fault, tails[k].fault);
		ck_assert_uint_eq(tsc_reader_error_offset(r), len);
		ck_assert_uint_eq(tsc_reader_pending(r), n);
		tsc_reader_free(r);
		close(fd);
	}
}
END_TEST

/* A truncated record completes when the file grows (follow mode). */
START_TEST(test_follow)
{
	uint8_t buf[1024];
	size_t off[3], len = make_stream(buf, 3, off);
	struct tsc_reader *r;
	struct tsc_rec rec;
	int wfd, rfd;

	wfd = tsc_test_open("grow", O_WRONLY | O_CREAT | O_TRUNC);
	rfd = tsc_test_open("grow", O_RDONLY);
	ck_assert_int_eq(tsc_reader_new(rfd, NULL, &r), 0);
	ck_assert_int_eq(tsc_reader_next(r, &rec), 0);
	ck_assert_int_eq(write(wfd, buf, off[1] + 10), (ssize_t)off[1] + 10);
	ck_assert_int_eq(tsc_reader_next(r, &rec), 1);
	ck_assert_int_eq(tsc_reader_next(r, &rec), -ENODATA);
	ck_assert_uint_eq(tsc_reader_error_offset(r), off[1]);
	ck_assert_uint_eq(tsc_reader_pending(r), 10);
	ck_assert_int_eq(write(wfd, buf + off[1] + 10, len - off[1] - 10),
			 (ssize_t)(len - off[1] - 10));
	ck_assert_int_eq(tsc_reader_next(r, &rec), 1);
	ck_assert_uint_eq(rec.hdr.seq, 1);
	ck_assert_int_eq(tsc_reader_next(r, &rec), 1);
	ck_assert_uint_eq(rec.hdr.seq, 2);
	ck_assert_int_eq(tsc_reader_next(r, &rec), 0);

	/* reset after lseek: read again from record 2 */
	ck_assert_int_eq(lseek(rfd, (off_t)off[2], SEEK_SET), (off_t)off[2]);
	tsc_reader_reset(r, off[2]);
	ck_assert_int_eq(tsc_reader_next(r, &rec), 1);
	ck_assert_uint_eq(rec.hdr.seq, 2);
	ck_assert_uint_eq(tsc_reader_offset(r), off[2]);
	tsc_reader_free(r);
	close(rfd);
	close(wfd);
}
END_TEST

START_TEST(test_read_error)
{
	struct tsc_reader *r;
	struct tsc_rec rec;
	int fd = tsc_test_open("wronly", O_WRONLY | O_CREAT | O_TRUNC);

	ck_assert_int_eq(tsc_reader_new(fd, NULL, &r), 0);
	ck_assert_int_eq(tsc_reader_next(r, &rec), -EBADF);
	tsc_reader_free(r);
	close(fd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("reader");
	TCase *tc = tcase_create("reader");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_file);
	tcase_add_test(tc, test_nonblock_bytewise);
	tcase_add_test(tc, test_packets);
	tcase_add_test(tc, test_eintr);
	tcase_add_loop_test(tc, test_malformed, 0, ARRAY_SIZE(bad_cases));
	tcase_add_loop_test(tc, test_resync, 0, ARRAY_SIZE(resync_cases));
	tcase_add_loop_test(tc, test_auto_resync, 0, 2);
	tcase_add_test(tc, test_short_tail);
	tcase_add_test(tc, test_follow);
	tcase_add_test(tc, test_read_error);
	suite_add_tcase(s, tc);
	return tsc_test_main(s);
}
