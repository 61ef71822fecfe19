// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of log files (common/tsc-log.c): round trips with and without
 * compression, header validation, crash (kill -9) simulation by cutting
 * files at every byte and by killing a writer, seeking in both directions
 * against a brute-force answer, growing files, corruption, write errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tsc-test.h"

#define BASE_TS 1700000000000000000u

static const char sample_text[] = "ls -l\r\n\x1b[0mtotal 4\r\n";

/* Record @i of the test sequence: its header and payload. */
static void gen_rec(uint64_t i, struct tsc_rec_hdr *hdr, uint8_t *payload)
{
	uint64_t rnd = i + 1;
	uint64_t x = tsc_test_rand(&rnd);

	memset(hdr, 0, sizeof(*hdr));
	hdr->major = 136;
	hdr->minor = 3;
	hdr->seq = i;
	/* mostly rising by about 1 ms, sometimes equal, sometimes back */
	hdr->ts_ns = BASE_TS + i * 1000000u + x % 700000u;
	if (i % 97 == 50)
		hdr->ts_ns -= 40000000u; /* the wall clock stepped back */
	if (i % 10 == 3)
		hdr->ts_ns = BASE_TS + (i - 1) * 1000000u;
	switch (x % 16) {
	case 0:
		hdr->type = TTYSCOPE_REC_WINSIZE;
		hdr->len = TSC_WINSIZE_SIZE;
		break;
	case 1:
		hdr->type = TTYSCOPE_REC_IN;
		hdr->len = (uint32_t)(x >> 20) % 8;
		break;
	case 2:
		hdr->type = TTYSCOPE_REC_OUT;
		hdr->len = TTYSCOPE_MAX_PAYLOAD;
		break;
	default:
		hdr->type = TTYSCOPE_REC_OUT;
		hdr->len = (uint32_t)(x >> 24) % 300;
		break;
	}
	for (uint32_t k = 0; k < hdr->len; k++)
		payload[k] =
			(uint8_t)(sample_text[k % (sizeof(sample_text) - 1)] +
				  (i % 3));
}

/*
 * Check that @rec is record @i of the test sequence (one assertion: each
 * passing Check assertion costs a write() to the test runner).
 */
static void check_rec(const struct tsc_rec *rec, uint64_t i)
{
	uint8_t payload[TTYSCOPE_MAX_PAYLOAD];
	struct tsc_rec_hdr hdr;

	gen_rec(i, &hdr, payload);
	ck_assert_msg(rec->hdr.seq == i && rec->hdr.type == hdr.type &&
			      rec->hdr.len == hdr.len &&
			      rec->hdr.ts_ns == hdr.ts_ns &&
			      rec->hdr.major == 136 && rec->hdr.minor == 3 &&
			      !memcmp(rec->payload, payload, hdr.len) &&
			      rec->payload == rec->raw + TSC_REC_HDR_SIZE,
		      "record %llu: got seq %llu type %u len %u",
		      (unsigned long long)i, (unsigned long long)rec->hdr.seq,
		      rec->hdr.type, rec->hdr.len);
}

static const struct tsc_log_field extra_fields[] = {
	{ "command", "bash -l" },
	{ "ttyscoped.version", "0.1.0" },
	{ "empty", "" },
};

static const struct tsc_log_meta test_meta = {
	.major = 136,
	.minor = 3,
	.uid = 1000,
	.start_ns = BASE_TS,
	.host = "lab",
	.tty = "pts/3",
	.user = "alice",
	.n_fields = ARRAY_SIZE(extra_fields),
	.fields = extra_fields,
};

/* Log variants the tests run over. */
static const struct {
	const char *what;
	struct tsc_log_writer_options opts;
	unsigned int flush_every; /* compressed: flush after this many */
} variants[] = {
	{ "plain", { .chunk_size = TSC_LOG_CHUNK_MIN }, 0 },
	{ "plain, default chunks", { 0 }, 0 },
	{ "zstd",
	  { .flags = TSC_LOG_ZSTD, .chunk_size = TSC_LOG_CHUNK_MIN },
	  0 },
	{ "zstd, flushed often",
	  { .flags = TSC_LOG_ZSTD, .zstd_level = 1, .chunk_size = 16384 },
	  7 },
};

/* Write records [0, n) to @name; finish if asked. Returns the size. */
static off_t write_log(const char *name, uint64_t n,
		       const struct tsc_log_writer_options *opts,
		       unsigned int flush_every, bool finish)
{
	uint8_t payload[TTYSCOPE_MAX_PAYLOAD];
	struct tsc_log_writer *w;
	struct tsc_rec_hdr hdr;
	off_t size;
	int fd;

	fd = tsc_test_open(name, O_WRONLY | O_CREAT | O_TRUNC);
	ck_assert_int_eq(tsc_log_writer_new(fd, &test_meta, opts, &w), 0);
	for (uint64_t i = 0; i < n; i++) {
		gen_rec(i, &hdr, payload);
		ck_assert_int_eq(tsc_log_writer_append(w, &hdr, payload), 0);
		if (flush_every && i % flush_every == flush_every - 1)
			ck_assert_int_eq(tsc_log_writer_flush(w), 0);
	}
	if (finish) {
		ck_assert_int_eq(tsc_log_writer_finish(w), 0);
		ck_assert_int_eq(tsc_log_writer_finish(w), -EINVAL);
		ck_assert_int_eq(tsc_log_writer_append(w, &hdr, payload),
				 -EINVAL);
	} else {
		ck_assert_int_eq(tsc_log_writer_flush(w), 0);
	}
	size = (off_t)tsc_log_writer_offset(w);
	tsc_log_writer_free(w);
	ck_assert_int_eq(lseek(fd, 0, SEEK_END), size);
	close(fd);
	return size;
}

/* Read the whole log; check it holds records [0, n) and nothing else. */
static void read_log(struct tsc_log_reader *r, uint64_t n)
{
	struct tsc_rec rec;
	uint64_t i;

	tsc_log_reader_rewind(r);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(tsc_log_reader_next(r, &rec), 1);
		check_rec(&rec, i);
	}
	ck_assert_int_eq(tsc_log_reader_next(r, &rec), 0);
}

START_TEST(test_round_trip)
{
	const uint64_t n = 3000;
	uint8_t payload[TTYSCOPE_MAX_PAYLOAD];
	uint64_t first_ts = 0, max_ts = 0;
	struct tsc_log_reader *r;
	const struct tsc_log_meta *m;
	struct tsc_log_stats st, st2 = { 0 };
	struct tsc_rec_hdr hdr;

	for (uint64_t i = 0; i < n; i++) {
		gen_rec(i, &hdr, payload);
		if (i == 0)
			first_ts = hdr.ts_ns;
		if (hdr.ts_ns > max_ts)
			max_ts = hdr.ts_ns;
	}

	for (int finish = 0; finish < 2; finish++) {
		int fd;

		write_log("rt", n, &variants[_i].opts, variants[_i].flush_every,
			  finish);
		fd = tsc_test_open("rt", O_RDONLY);
		ck_assert_int_eq(tsc_log_reader_new(fd, &r), 0);
		m = tsc_log_reader_meta(r);
		ck_assert_uint_eq(m->major, 136);
		ck_assert_uint_eq(m->minor, 3);
		ck_assert_uint_eq(m->uid, 1000);
		ck_assert_uint_eq(m->start_ns, BASE_TS);
		ck_assert_str_eq(m->host, "lab");
		ck_assert_str_eq(m->tty, "pts/3");
		ck_assert_str_eq(m->user, "alice");
		ck_assert_uint_eq(m->n_fields, 3);
		ck_assert_str_eq(m->fields[0].key, "command");
		ck_assert_str_eq(m->fields[0].value, "bash -l");
		ck_assert_str_eq(m->fields[1].key, "ttyscoped.version");
		ck_assert_str_eq(m->fields[2].value, "");
		read_log(r, n);
		read_log(r, n);

		ck_assert_int_eq(tsc_log_reader_stats(r, &st), 0);
		ck_assert(st.closed == (bool)finish);
		ck_assert_uint_eq(st.records, n);
		ck_assert_uint_eq(st.flags, variants[_i].opts.flags);
		ck_assert_uint_eq(st.first_ts, first_ts);
		ck_assert_uint_eq(st.max_ts, max_ts);
		ck_assert_uint_ge(st.chunks, 10);
		tsc_log_reader_free(r);
		close(fd);
		/* trailer index and scan index describe the same data */
		if (finish) {
			ck_assert_uint_eq(st.records, st2.records);
			ck_assert_uint_eq(st.first_ts, st2.first_ts);
			ck_assert_uint_eq(st.max_ts, st2.max_ts);
			ck_assert_uint_eq(st.data_bytes, st2.data_bytes);
			ck_assert_uint_eq(st.end_offset, st2.end_offset);
		}
		st2 = st;
	}
	tsc_log_reader_free(NULL);
	tsc_log_writer_free(NULL);
}
END_TEST

/* Brute force: index of the first record (file order) with ts >= t. */
static uint64_t first_at(uint64_t n, uint64_t t)
{
	uint8_t payload[TTYSCOPE_MAX_PAYLOAD];
	struct tsc_rec_hdr hdr;

	for (uint64_t i = 0; i < n; i++) {
		gen_rec(i, &hdr, payload);
		if (hdr.ts_ns >= t)
			return i;
	}
	return n;
}

START_TEST(test_seek)
{
	const uint64_t n = 2500;
	uint64_t rnd = 7, targets[400];
	uint8_t payload[TTYSCOPE_MAX_PAYLOAD];
	struct tsc_rec_hdr hdr;
	size_t nt = 0;

	/* exact hits, between records, both ends, and random times */
	targets[nt++] = 0;
	targets[nt++] = BASE_TS;
	targets[nt++] = UINT64_MAX;
	for (uint64_t i = 0; i < n; i += 37) {
		gen_rec(i, &hdr, payload);
		targets[nt++] = hdr.ts_ns;
		targets[nt++] = hdr.ts_ns + 1;
		targets[nt++] = hdr.ts_ns - 1;
	}
	while (nt < ARRAY_SIZE(targets))
		targets[nt++] = BASE_TS - 5000000u +
				tsc_test_rand(&rnd) % ((n + 10) * 1000000u);

	for (int finish = 0; finish < 2; finish++) {
		struct tsc_log_reader *r;
		int fd;

		write_log("seek", n, &variants[_i].opts,
			  variants[_i].flush_every, finish);
		fd = tsc_test_open("seek", O_RDONLY);
		ck_assert_int_eq(tsc_log_reader_new(fd, &r), 0);
		/* random order: forward and backward jumps */
		for (size_t k = 0; k < nt; k++) {
			uint64_t t = targets[tsc_test_rand(&rnd) % nt];
			uint64_t want = first_at(n, t);
			struct tsc_rec rec;

			ck_assert_int_eq(tsc_log_reader_seek_time(r, t), 0);
			if (want == n) {
				ck_assert_int_eq(tsc_log_reader_next(r, &rec),
						 0);
				continue;
			}
			ck_assert_int_eq(tsc_log_reader_next(r, &rec), 1);
			ck_assert_msg(rec.hdr.seq == want,
				      "seek %llu: got %llu, want %llu",
				      (unsigned long long)t,
				      (unsigned long long)rec.hdr.seq,
				      (unsigned long long)want);
			check_rec(&rec, want);
			/* and reading goes on from there */
			for (uint64_t i = want + 1; i < want + 5 && i < n;
			     i++) {
				ck_assert_int_eq(tsc_log_reader_next(r, &rec),
						 1);
				check_rec(&rec, i);
			}
		}
		tsc_log_reader_free(r);
		close(fd);
	}
}
END_TEST

/*
 * kill -9 at any moment: cut the file at every byte of the first 6000
 * bytes after the header and of the last 600 (index and trailer), and at
 * every 7th byte in between; the reader returns exactly the complete
 * records (for compressed logs: those of complete frames), never an error,
 * and counts the torn tail as pending.
 */
START_TEST(test_cut_everywhere)
{
	const uint64_t n = 60;
	struct tsc_log_writer_options opts = variants[_i].opts;
	uint8_t payload[TTYSCOPE_MAX_PAYLOAD], *data;
	size_t size, ends[n + 1], nends = 0, counts[n + 1], hlen;
	uint64_t pos, total = 0;
	struct tsc_log_stats st;
	struct tsc_rec_hdr hdr;
	int fd;

	write_log("full", n, &opts, opts.flags ? 4 : 0, true);
	data = tsc_test_read_file("full", &size);
	/* where each complete unit ends, and how many records it completes */
	pos = tsc_test_le32(data + 16);
	if (opts.flags & TSC_LOG_ZSTD) {
		while (pos + 40 <= size && !memcmp(data + pos, "TSCZ", 4)) {
			total += tsc_test_le32(data + pos + 12);
			pos += 40 + tsc_test_le32(data + pos + 4);
			ends[nends] = pos;
			counts[nends++] = total;
		}
	} else {
		for (uint64_t i = 0; i < n; i++) {
			gen_rec(i, &hdr, payload);
			pos += 40 + hdr.len;
			ends[nends] = pos;
			counts[nends++] = i + 1;
		}
	}
	tsc_test_write_file("cut", data, size);
	fd = tsc_test_open("cut", O_RDWR);
	hlen = tsc_test_le32(data + 16);
	for (size_t cut = size; cut >= hlen; cut--) {
		struct tsc_log_reader *r;
		struct tsc_rec rec;
		uint64_t got = 0, want = 0, done_end = hlen;
		int ret;

		if (cut > hlen + 6000 && cut + 600 < size && cut % 7)
			continue;
		for (size_t k = 0; k < nends && ends[k] <= cut; k++) {
			want = counts[k];
			done_end = ends[k];
		}
		ck_assert_int_eq(ftruncate(fd, (off_t)cut), 0);
		ck_assert_int_eq(tsc_log_reader_new(fd, &r), 0);
		while ((ret = tsc_log_reader_next(r, &rec)) == 1)
			check_rec(&rec, got++);
		ck_assert_int_eq(ret, 0);
		ck_assert_msg(got == want, "cut %zu: %llu records, want %llu",
			      cut, (unsigned long long)got,
			      (unsigned long long)want);
		if (cut <= ends[nends - 1])
			ck_assert_uint_eq(tsc_log_reader_pending(r),
					  cut - done_end);
		/* seeking works on the cut file too */
		ck_assert_int_eq(tsc_log_reader_seek_time(r, 0), 0);
		ck_assert_int_eq(tsc_log_reader_next(r, &rec), got ? 1 : 0);
		ck_assert_int_eq(tsc_log_reader_stats(r, &st), 0);
		ck_assert(st.closed == (cut == size));
		ck_assert_uint_eq(st.records, want);
		tsc_log_reader_free(r);
	}
	close(fd);
	free(data);
}
END_TEST

/* Offset of extra field @k of a header (walking the key/value fields). */
static size_t field_off(const uint8_t *data, unsigned int k)
{
	size_t off = 64;

	while (k--)
		off += 4 + tsc_test_le16(data + off) +
		       tsc_test_le16(data + off + 2);
	return off;
}

/*
 * Malformed headers: a valid log whose header gets @len bytes of @bytes
 * at @off (fields: relative to field @field if >= 0), or is cut to @cut
 * bytes (negative: header_len + cut).
 */
static const struct {
	const char *what;
	int field;
	size_t off;
	const char *bytes;
	size_t len;
	long cut;
	int err;
} header_cases[] = {
	{ "magic", -1, 0, "X", 1, 0, -EBADMSG },
	{ "magic NUL", -1, 11, "!", 1, 0, -EBADMSG },
	{ "version 2", -1, 12, "\x02", 1, 0, -EPROTONOSUPPORT },
	{ "version 0", -1, 12, "\x00", 1, 0, -EPROTONOSUPPORT },
	{ "unknown flag", -1, 14, "\x02", 1, 0, -EPROTONOSUPPORT },
	{ "header_len 56", -1, 16, "\x38\0\0\0", 4, 0, -EBADMSG },
	{ "header_len odd", -1, 16, "\x41\0\0\0", 4, 0, -EBADMSG },
	{ "header_len 128 KiB", -1, 16, "\0\0\x02\0", 4, 0, -EBADMSG },
	{ "chunk_size 0", -1, 20, "\0\0\0\0", 4, 0, -EBADMSG },
	{ "chunk_size 8 MiB", -1, 20, "\0\0\x80\0", 4, 0, -EBADMSG },
	{ "nfields huge", -1, 36, "\xff\xff\xff\xff", 4, 0, -EBADMSG },
	{ "nfields one too many", -1, 36, "\x07\0\0\0", 4, 0, -EBADMSG },
	{ "empty key", 0, 0, "\0\0", 2, 0, -EBADMSG },
	{ "value too long", 0, 2, "\xff\xff", 2, 0, -EBADMSG },
	{ "NUL in key", 1, 5, "\0", 1, 0, -EBADMSG },
	{ "NUL in value", 3, 12, "\0", 1, 0, -EBADMSG },
	{ "duplicate host", 1, 4, "hos", 3, 0, 0 },
	{ "tty renamed to host", 1, 0, "\x04\0\x05\0host", 8, 0, -EBADMSG },
	{ "empty file", -1, 0, NULL, 0, 1, -ENODATA },
	{ "cut in magic", -1, 0, NULL, 0, 6, -ENODATA },
	{ "cut in magic, wrong", -1, 2, "Z", 1, 6, -EBADMSG },
	{ "cut at 63", -1, 0, NULL, 0, 63, -ENODATA },
	{ "cut before the fields end", -1, 0, NULL, 0, -1, -ENODATA },
	{ "only the header", -1, 0, NULL, 0, -0x10000, 0 },
};

START_TEST(test_header_errors)
{
	struct tsc_log_writer_options opts = { 0 };
	struct tsc_log_reader *r = NULL;
	uint8_t *data;
	size_t size, hlen, off;
	int fd, ret;

	write_log("hdr", 3, &opts, 0, true);
	data = tsc_test_read_file("hdr", &size);
	hlen = tsc_test_le32(data + 16);
	off = header_cases[_i].off;
	if (header_cases[_i].field >= 0)
		off += field_off(data, (unsigned int)header_cases[_i].field);
	if (header_cases[_i].bytes)
		memcpy(data + off, header_cases[_i].bytes,
		       header_cases[_i].len);
	if (header_cases[_i].cut == -0x10000)
		size = hlen;
	else if (header_cases[_i].cut < 0)
		size = hlen + (size_t)header_cases[_i].cut;
	else if (header_cases[_i].cut > 0)
		size = (size_t)header_cases[_i].cut - 1;
	tsc_test_write_file("hdr", data, size);
	fd = tsc_test_open("hdr", O_RDONLY);
	ret = tsc_log_reader_new(fd, &r);
	ck_assert_msg(ret == header_cases[_i].err, "%s: %d, want %d",
		      header_cases[_i].what, ret, header_cases[_i].err);
	if (ret == 0) {
		struct tsc_rec rec;

		ck_assert_int_eq(tsc_log_reader_next(r, &rec),
				 size > hlen ? 1 : 0);
		tsc_log_reader_free(r);
	} else {
		ck_assert_ptr_null(r);
	}
	close(fd);
	free(data);
}
END_TEST

START_TEST(test_writer_errors)
{
	static char big[4000];
	struct tsc_log_field fields[20];
	struct tsc_log_meta meta = test_meta;
	struct tsc_log_writer_options opts = { 0 };
	struct tsc_log_writer *w = NULL;
	struct tsc_rec_hdr hdr = { .type = TTYSCOPE_REC_OPEN, .len = 39 };
	uint8_t payload[TTYSCOPE_MAX_PAYLOAD] = { 0 };
	char longkey[257];
	int fd, p[2];

	fd = tsc_test_open("werr", O_RDWR | O_CREAT | O_TRUNC);
	ck_assert_int_eq(write(fd, "x", 1), 1);
	ck_assert_int_eq(tsc_log_writer_new(fd, &meta, NULL, &w), -EINVAL);
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	ck_assert_int_eq(tsc_log_writer_new(p[1], &meta, NULL, &w), -EINVAL);
	close(p[0]);
	close(p[1]);

	opts.flags = 4;
	ck_assert_int_eq(tsc_log_writer_new(fd, &meta, &opts, &w), -EINVAL);
	opts.flags = 0;
	opts.chunk_size = TSC_LOG_CHUNK_MIN - 1;
	ck_assert_int_eq(tsc_log_writer_new(fd, &meta, &opts, &w), -EINVAL);
	opts.chunk_size = TSC_LOG_CHUNK_MAX + 1;
	ck_assert_int_eq(tsc_log_writer_new(fd, &meta, &opts, &w), -EINVAL);

	fields[0] = (struct tsc_log_field){ "host", "x" };
	meta.fields = fields;
	meta.n_fields = 1;
	ck_assert_int_eq(tsc_log_writer_new(fd, &meta, NULL, &w), -EINVAL);
	fields[0] = (struct tsc_log_field){ "", "x" };
	ck_assert_int_eq(tsc_log_writer_new(fd, &meta, NULL, &w), -EINVAL);
	memset(longkey, 'k', 256);
	longkey[256] = '\0';
	fields[0] = (struct tsc_log_field){ longkey, "x" };
	ck_assert_int_eq(tsc_log_writer_new(fd, &meta, NULL, &w), -EINVAL);
	fields[0] = (struct tsc_log_field){ "a", "x" };
	fields[1] = (struct tsc_log_field){ "a", "y" };
	meta.n_fields = 2;
	ck_assert_int_eq(tsc_log_writer_new(fd, &meta, NULL, &w), -EINVAL);
	meta.fields = NULL;
	ck_assert_int_eq(tsc_log_writer_new(fd, &meta, NULL, &w), -EINVAL);
	memset(big, 'v', sizeof(big) - 1);
	for (int i = 0; i < 20; i++) {
		static char keys[20][4];

		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
		fields[i] = (struct tsc_log_field){ keys[i], big };
	}
	meta.fields = fields;
	meta.n_fields = 20;
	ck_assert_int_eq(tsc_log_writer_new(fd, &meta, NULL, &w), -E2BIG);
	ck_assert_ptr_null(w);
	ck_assert_int_eq(lseek(fd, 0, SEEK_END), 0);

	/* a valid writer refuses invalid and reserved records */
	meta.n_fields = 0;
	ck_assert_int_eq(tsc_log_writer_new(fd, &meta, NULL, &w), 0);
	ck_assert_int_eq(tsc_log_writer_append(w, &hdr, payload), -EINVAL);
	hdr.type = TTYSCOPE_REC_OUT;
	hdr.len = 4097;
	ck_assert_int_eq(tsc_log_writer_append(w, &hdr, payload), -EINVAL);
	hdr.type = TSC_REC_LOG_INDEX;
	hdr.len = 48;
	ck_assert_int_eq(tsc_log_writer_append(w, &hdr, payload), -EINVAL);
	hdr.type = TSC_REC_LOG_TRAILER;
	ck_assert_int_eq(tsc_log_writer_append(w, &hdr, payload), -EINVAL);
	ck_assert_uint_eq(tsc_log_writer_offset(w),
			  (uint64_t)lseek(fd, 0, SEEK_END));
	tsc_log_writer_free(w);
	close(fd);
}
END_TEST

/* A writer killed with SIGKILL while writing leaves a readable prefix. */
START_TEST(test_kill9)
{
	struct tsc_log_reader *r;
	struct tsc_rec rec;
	uint64_t got = 0;
	int p[2], fd, ret, status;
	char c;
	pid_t child;

	tsc_test_dir(); /* shared with the child */
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		uint8_t payload[TTYSCOPE_MAX_PAYLOAD];
		struct tsc_log_writer *w;
		struct tsc_rec_hdr hdr;

		close(p[0]);
		fd = tsc_test_open("killed", O_WRONLY | O_CREAT | O_TRUNC);
		if (tsc_log_writer_new(fd, &test_meta, &variants[_i].opts, &w))
			_exit(1);
		for (uint64_t i = 0; i < 10000000; i++) {
			gen_rec(i, &hdr, payload);
			if (tsc_log_writer_append(w, &hdr, payload))
				_exit(1);
			if ((variants[_i].opts.flags & TSC_LOG_ZSTD) &&
			    i % 5 == 4 && tsc_log_writer_flush(w))
				_exit(1);
			if (i == 500 && write(p[1], "!", 1) != 1)
				_exit(1);
		}
		_exit(2);
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	usleep(20000);
	ck_assert_int_eq(kill(child, SIGKILL), 0);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	close(p[0]);

	fd = tsc_test_open("killed", O_RDONLY);
	ck_assert_int_eq(tsc_log_reader_new(fd, &r), 0);
	while ((ret = tsc_log_reader_next(r, &rec)) == 1)
		check_rec(&rec, got++);
	ck_assert_int_eq(ret, 0);
	ck_assert_uint_gt(got, 500);
	tsc_log_reader_free(r);
	close(fd);
}
END_TEST

/* A reader follows a log that is still being written. */
START_TEST(test_growing)
{
	uint8_t payload[TTYSCOPE_MAX_PAYLOAD];
	struct tsc_log_writer *w;
	struct tsc_log_reader *r;
	struct tsc_rec_hdr hdr;
	struct tsc_rec rec;
	uint64_t next = 0;
	int wfd, rfd;

	wfd = tsc_test_open("growing", O_WRONLY | O_CREAT | O_TRUNC);
	ck_assert_int_eq(
		tsc_log_writer_new(wfd, &test_meta, &variants[_i].opts, &w), 0);
	rfd = tsc_test_open("growing", O_RDONLY);
	ck_assert_int_eq(tsc_log_reader_new(rfd, &r), 0);
	for (uint64_t batch = 0; batch < 6; batch++) {
		for (uint64_t i = batch * 300; i < (batch + 1) * 300; i++) {
			gen_rec(i, &hdr, payload);
			ck_assert_int_eq(
				tsc_log_writer_append(w, &hdr, payload), 0);
		}
		ck_assert_int_eq(tsc_log_writer_flush(w), 0);
		while (tsc_log_reader_next(r, &rec) == 1)
			check_rec(&rec, next++);
		ck_assert_uint_eq(next, (batch + 1) * 300);
		/* the index grows with the file */
		gen_rec(next - 2, &hdr, payload);
		ck_assert_int_eq(tsc_log_reader_seek_time(r, hdr.ts_ns), 0);
		ck_assert_int_eq(tsc_log_reader_next(r, &rec), 1);
		ck_assert_uint_eq(rec.hdr.seq, first_at(next, hdr.ts_ns));
		ck_assert_int_eq(tsc_log_reader_seek_time(r, UINT64_MAX), 0);
		ck_assert_int_eq(tsc_log_reader_next(r, &rec), 0);
	}
	ck_assert_int_eq(tsc_log_writer_finish(w), 0);
	ck_assert_int_eq(tsc_log_reader_next(r, &rec), 0);
	tsc_log_writer_free(w);
	tsc_log_reader_free(r);
	close(wfd);
	close(rfd);
}
END_TEST

/* A malformed record in an uncompressed log: exact offset, seek stops. */
START_TEST(test_corrupt_record)
{
	struct tsc_log_writer_options opts = { 0 };
	uint8_t payload[TTYSCOPE_MAX_PAYLOAD], *data;
	struct tsc_log_reader *r;
	struct tsc_rec_hdr hdr;
	struct tsc_rec rec;
	size_t size, off;
	int fd;

	write_log("corrupt", 20, &opts, 0, false);
	data = tsc_test_read_file("corrupt", &size);
	off = tsc_test_le32(data + 16);
	for (uint64_t i = 0; i < 7; i++) {
		gen_rec(i, &hdr, payload);
		off += 40 + hdr.len;
	}
	data[off + 6] = 12; /* record 7: unknown kernel type */
	tsc_test_write_file("corrupt", data, size);
	fd = tsc_test_open("corrupt", O_RDONLY);
	ck_assert_int_eq(tsc_log_reader_new(fd, &r), 0);
	for (uint64_t i = 0; i < 7; i++) {
		ck_assert_int_eq(tsc_log_reader_next(r, &rec), 1);
		check_rec(&rec, i);
	}
	for (int retry = 0; retry < 2; retry++) {
		ck_assert_int_eq(tsc_log_reader_next(r, &rec), -EBADMSG);
		ck_assert_int_eq(tsc_log_reader_error(r)->fault,
				 TSC_FAULT_TYPE);
		ck_assert_uint_eq(tsc_log_reader_error(r)->offset, off);
	}
	gen_rec(3, &hdr, payload);
	ck_assert_int_eq(tsc_log_reader_seek_time(r, hdr.ts_ns), 0);
	ck_assert_int_eq(tsc_log_reader_next(r, &rec), 1);
	ck_assert_uint_eq(rec.hdr.seq, first_at(20, hdr.ts_ns));
	gen_rec(15, &hdr, payload);
	ck_assert_int_eq(tsc_log_reader_seek_time(r, hdr.ts_ns), -EBADMSG);
	ck_assert_uint_eq(tsc_log_reader_error(r)->offset, off);
	tsc_log_reader_free(r);
	close(fd);
	free(data);
}
END_TEST

/*
 * Damaged compressed logs: a byte of frame 2 flipped at @at (relative to
 * the frame header; 40 and on is zstd data), or a raw data record
 * appended after the frames.
 */
static const struct {
	const char *what;
	long at;
	uint8_t xor ;
	enum tsc_fault fault;
} frame_cases[] = {
	{ "frame magic", 0, 0x01, TSC_FAULT_MAGIC },
	{ "csize", 4, 0x01, TSC_FAULT_FRAME },
	{ "usize", 8, 0x01, TSC_FAULT_FRAME },
	{ "record count", 12, 0x01, TSC_FAULT_FRAME },
	{ "first ts", 16, 0x01, TSC_FAULT_FRAME },
	{ "max ts", 24, 0x01, TSC_FAULT_FRAME },
	{ "first seq", 32, 0x01, TSC_FAULT_FRAME },
	{ "zstd magic", 40, 0x01, TSC_FAULT_FRAME },
	{ "zstd data", 60, 0x55, TSC_FAULT_FRAME },
	{ "zstd checksum", -1, 0x01, TSC_FAULT_FRAME },
	{ "raw record after the frames", -2, 0, TSC_FAULT_PLACEMENT },
};

START_TEST(test_corrupt_frame)
{
	struct tsc_log_writer_options opts = { .flags = TSC_LOG_ZSTD };
	uint8_t *data, *buf;
	struct tsc_log_reader *r;
	struct tsc_rec rec;
	size_t size, f1, f2, f3, n1, n2;
	uint64_t got = 0;
	int fd, ret;

	write_log("frames", 30, &opts, 10, false);
	data = tsc_test_read_file("frames", &size);
	f1 = tsc_test_le32(data + 16);
	n1 = tsc_test_le32(data + f1 + 12);
	f2 = f1 + 40 + tsc_test_le32(data + f1 + 4);
	n2 = tsc_test_le32(data + f2 + 12);
	f3 = f2 + 40 + tsc_test_le32(data + f2 + 4);
	ck_assert_uint_eq(n1, 10);
	buf = malloc(size + 100);
	memcpy(buf, data, size);
	if (frame_cases[_i].at == -2) {
		size += tsc_test_put_simple(buf + size, TTYSCOPE_REC_OUT, 30,
					    BASE_TS + 40000000u, "x", 1);
		f2 = size - 41;
		n1 = 30;
	} else {
		buf[frame_cases[_i].at == -1 ? f3 - 1 :
					       f2 + (size_t)frame_cases[_i].at] ^=
			frame_cases[_i].xor
			;
	}
	tsc_test_write_file("frames", buf, size);
	fd = tsc_test_open("frames", O_RDONLY);
	ck_assert_int_eq(tsc_log_reader_new(fd, &r), 0);
	while ((ret = tsc_log_reader_next(r, &rec)) == 1)
		check_rec(&rec, got++);
	ck_assert_msg(ret == -EBADMSG, "%s: %d", frame_cases[_i].what, ret);
	ck_assert_uint_eq(got, n1);
	ck_assert_int_eq(tsc_log_reader_error(r)->fault, frame_cases[_i].fault);
	ck_assert_uint_eq(tsc_log_reader_error(r)->offset, f2);
	(void)n2;
	tsc_log_reader_free(r);
	close(fd);
	free(buf);
	free(data);
}
END_TEST

/* A trailer that does not belong to the file is ignored, not trusted. */
START_TEST(test_bad_trailer)
{
	static const struct {
		size_t from_end;
		uint8_t xor ;
	} damage[] = {
		{ 56, 0x01 }, /* file id in the trailer */
		{ 40, 0x08 }, /* index offset */
		{ 32, 0x01 }, /* entry count */
		{ 24, 0x01 }, /* record count */
		{ 8, 0x01 }, /* index hash */
		{ 96 + 10, 0x01 }, /* inside the last index record */
	};
	struct tsc_log_writer_options opts = { .chunk_size = 8192 };
	uint8_t *data;
	size_t size;

	write_log("trailer", 500, &opts, 0, true);
	data = tsc_test_read_file("trailer", &size);
	for (size_t k = 0; k < ARRAY_SIZE(damage); k++) {
		struct tsc_log_reader *r;
		struct tsc_log_stats st;
		struct tsc_rec rec;
		uint8_t payload[TTYSCOPE_MAX_PAYLOAD];
		struct tsc_rec_hdr hdr;
		int fd;

		data[size - damage[k].from_end] ^= damage[k].xor ;
		tsc_test_write_file("trailer", data, size);
		data[size - damage[k].from_end] ^= damage[k].xor ;
		fd = tsc_test_open("trailer", O_RDONLY);
		ck_assert_int_eq(tsc_log_reader_new(fd, &r), 0);
		ck_assert_int_eq(tsc_log_reader_stats(r, &st), 0);
		ck_assert(!st.closed);
		ck_assert_uint_eq(st.records, 500);
		gen_rec(321, &hdr, payload);
		ck_assert_int_eq(tsc_log_reader_seek_time(r, hdr.ts_ns), 0);
		ck_assert_int_eq(tsc_log_reader_next(r, &rec), 1);
		ck_assert_uint_eq(rec.hdr.seq, first_at(500, hdr.ts_ns));
		tsc_log_reader_free(r);
		close(fd);
	}
	free(data);
}
END_TEST

/*
 * Write errors (file size limit): the failed record leaves no partial
 * bytes behind, and writing goes on once space is back.
 */
START_TEST(test_write_error)
{
	struct tsc_log_writer_options opts = variants[_i].opts;
	uint8_t payload[TTYSCOPE_MAX_PAYLOAD];
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_sa;
	struct rlimit old, lim;
	struct tsc_log_writer *w;
	struct tsc_log_reader *r;
	struct tsc_rec_hdr hdr;
	struct tsc_rec rec;
	uint64_t i = 0, failed = 0, got = 0;
	bool stored = false;
	int fd, ret;

	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	ck_assert_int_eq(sigaction(SIGXFSZ, &ign, &old_sa), 0);
	fd = tsc_test_open("efbig", O_WRONLY | O_CREAT | O_TRUNC);
	ck_assert_int_eq(tsc_log_writer_new(fd, &test_meta, &opts, &w), 0);
	lim = old;
	lim.rlim_cur = tsc_log_writer_offset(w) + 20000;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	for (;; i++) {
		gen_rec(i, &hdr, payload);
		ret = tsc_log_writer_append(w, &hdr, payload);
		if (ret)
			break;
		if ((opts.flags & TSC_LOG_ZSTD) && i % 20 == 19) {
			ret = tsc_log_writer_flush(w);
			if (ret) {
				/* record i is in the frame that failed */
				stored = true;
				break;
			}
		}
	}
	ck_assert_int_eq(ret, -EFBIG);
	ck_assert_int_eq(lseek(fd, 0, SEEK_END),
			 (off_t)tsc_log_writer_offset(w));
	ck_assert_int_le(tsc_log_writer_offset(w), lim.rlim_cur);
	failed = i;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	sigaction(SIGXFSZ, &old_sa, NULL);
	/* a refused record was not stored; a failed frame stays buffered */
	if (!stored)
		ck_assert_int_eq(tsc_log_writer_append(w, &hdr, payload), 0);
	for (i = failed + 1; i < failed + 50; i++) {
		gen_rec(i, &hdr, payload);
		ck_assert_int_eq(tsc_log_writer_append(w, &hdr, payload), 0);
	}
	ck_assert_int_eq(tsc_log_writer_finish(w), 0);
	tsc_log_writer_free(w);
	close(fd);

	fd = tsc_test_open("efbig", O_RDONLY);
	ck_assert_int_eq(tsc_log_reader_new(fd, &r), 0);
	while ((ret = tsc_log_reader_next(r, &rec)) == 1)
		check_rec(&rec, got++);
	ck_assert_int_eq(ret, 0);
	ck_assert_uint_eq(got, failed + 50);
	tsc_log_reader_free(r);
	close(fd);
}
END_TEST

/* One test case per test, so that CK_RUN_CASE can pick one. */
static void add(Suite *s, const char *name, const TTest *t, int n)
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, t, 0, n ? n : 1);
	suite_add_tcase(s, tc);
}

int main(void)
{
	Suite *s = suite_create("log");
	int nv = ARRAY_SIZE(variants);

	add(s, "round_trip", test_round_trip, nv);
	add(s, "seek", test_seek, nv);
	add(s, "cut_everywhere", test_cut_everywhere, nv);
	add(s, "header_errors", test_header_errors, ARRAY_SIZE(header_cases));
	add(s, "writer_errors", test_writer_errors, 0);
	add(s, "kill9", test_kill9, nv);
	add(s, "growing", test_growing, nv);
	add(s, "corrupt_record", test_corrupt_record, 0);
	add(s, "corrupt_frame", test_corrupt_frame, ARRAY_SIZE(frame_cases));
	add(s, "bad_trailer", test_bad_trailer, 0);
	add(s, "write_error", test_write_error, nv);
	return tsc_test_main(s);
}
