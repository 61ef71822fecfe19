// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of recordings in memory (common/tsc-recording.c): loading
 * logs (with MARK records), asciicast and script files and record
 * streams; time look-up, text search, restart points of backward seeks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsc-recording.h"
#include "tsc-test.h"

#define SEC 1000000000ull
#define T0 (1700000000ull * SEC)

/* A stream: OUT records at T0 + i s, a WINSIZE and a MARK among them. */
static size_t build_stream(uint8_t *buf)
{
	static const char *const outs[] = {
		"$ ls\r\n",	"a.txt  b.txt\r\n$ cl",
		"ear\r\n",	"\033[H\033[2J\033cfresh \033]0;t\033c\007",
		"screen\r\n$ ", "top\r\n",
	};
	uint8_t ws[8] = { 24, 0, 80, 0, 0, 0, 0, 0 };
	size_t off = 0;
	uint64_t seq = 0;

	off += tsc_test_put_simple(buf + off, TTYSCOPE_REC_WINSIZE, seq++, T0,
				   ws, sizeof(ws));
	for (size_t i = 0; i < ARRAY_SIZE(outs); i++) {
		off += tsc_test_put_simple(buf + off, TTYSCOPE_REC_OUT, seq++,
					   T0 + i * SEC, outs[i],
					   (uint32_t)strlen(outs[i]));
		if (i == 2)
			off += tsc_test_put_simple(buf + off, TSC_REC_MARK,
						   seq - 1, T0 + i * SEC + 1,
						   "cleared", 7);
	}
	return off;
}

START_TEST(test_stream_and_lookups)
{
	struct tsc_recording rec = { 0 };
	uint8_t buf[4096];
	size_t len = build_stream(buf);
	struct tsc_mark m;

	/* an incomplete record at the end is ignored */
	ck_assert_int_eq(tsc_recording_load_stream(&rec, buf, len + 0), 0);
	ck_assert_uint_eq(rec.n, 8);
	tsc_recording_free(&rec);
	ck_assert_int_eq(tsc_recording_load_stream(&rec, buf, len - 3), 0);
	ck_assert_uint_eq(rec.n, 7);
	tsc_recording_free(&rec);
	ck_assert_int_eq(tsc_recording_load_stream(&rec, buf, len), 0);

	/* 0 WINSIZE, 1..3 OUT, 4 MARK, 5..7 OUT */
	ck_assert_uint_eq(rec.recs[4].hdr.type, TSC_REC_MARK);
	ck_assert_int_eq(tsc_rec_decode_mark(&rec.recs[4], &m), 0);
	ck_assert_str_eq(m.label, "cleared");
	ck_assert_uint_eq(tsc_recording_first_ts(&rec), T0);
	ck_assert_uint_eq(tsc_recording_last_ts(&rec), T0 + 5 * SEC);

	ck_assert_uint_eq(tsc_recording_find_time(&rec, 0), 0);
	ck_assert_uint_eq(tsc_recording_find_time(&rec, T0 + 1), 2);
	ck_assert_uint_eq(tsc_recording_find_time(&rec, T0 + 2 * SEC), 3);
	ck_assert_uint_eq(tsc_recording_find_time(&rec, T0 + 2 * SEC + 1), 4);
	ck_assert_uint_eq(tsc_recording_find_time(&rec, T0 + 9 * SEC), 8);

	/* matches span records; "next" starts after the current one */
	ck_assert_int_eq(tsc_recording_search(&rec, 0, "$ "), 1);
	ck_assert_int_eq(tsc_recording_search(&rec, 2, "$ "), 2);
	ck_assert_int_eq(tsc_recording_search(&rec, 3, "$ "), 6);
	ck_assert_int_eq(tsc_recording_search(&rec, 7, "$ "), -ENOENT);
	ck_assert_int_eq(tsc_recording_search(&rec, 0, "clear\n"), 2);
	ck_assert_int_eq(tsc_recording_search(&rec, 0, "txt\n$"), 2);
	ck_assert_int_eq(tsc_recording_search(&rec, 0, "fresh screen"), 5);
	ck_assert_int_eq(tsc_recording_search(&rec, 0, "TOP"), -ENOENT);
	ck_assert_int_eq(tsc_recording_search(&rec, 0, ""), -ENOENT);
	ck_assert_int_eq(tsc_recording_search(&rec, 99, "top"), -ENOENT);

	/* the RIS in record 5 (not the one inside the OSC string) */
	ck_assert_uint_eq(tsc_recording_restart(&rec, 0), 0);
	ck_assert_uint_eq(tsc_recording_restart(&rec, 5), 0);
	ck_assert_uint_eq(tsc_recording_restart(&rec, 6), 5);
	ck_assert_uint_eq(tsc_recording_restart(&rec, 8), 5);
	ck_assert_uint_eq(tsc_recording_restart(&rec, 100), 5);
	tsc_recording_free(&rec);
	ck_assert_ptr_null(rec.recs);

	/* a malformed record stops the stream; what came before stays */
	buf[TSC_REC_HDR_SIZE + 8 + 6] = 0; /* record 1: type 0 */
	ck_assert_int_eq(tsc_recording_load_stream(&rec, buf, len), -EBADMSG);
	ck_assert_uint_eq(rec.n, 1);
	tsc_recording_free(&rec);
}
END_TEST

START_TEST(test_text_strip)
{
	struct tsc_text_strip t = { 0 };
	static const char in[] = "a\033[1mb\033]2;x\033c\007\rc\r\n\033cd\033";
	uint8_t out[sizeof(in)];
	size_t n = tsc_text_strip(&t, (const uint8_t *)in, sizeof(in) - 1, out);

	ck_assert_uint_eq(n, 6);
	ck_assert_int_eq(memcmp(out, "ab\nc\nd", 6), 0);
	ck_assert_uint_eq(t.resets, 1);
	/* the state carries over: "c" completes the ESC before it */
	ck_assert_uint_eq(tsc_text_strip(&t, (const uint8_t *)"ce", 2, NULL),
			  1);
	ck_assert_uint_eq(t.resets, 2);
}
END_TEST

START_TEST(test_load_log_with_marks)
{
	struct tsc_recording rec = { 0 };
	struct tsc_recording_error err = { 0 };
	struct tsc_log_writer *w;
	const struct tsc_log_field fields[] = { { "command", "bash" } };
	struct tsc_log_meta meta = { .major = 136,
				     .minor = 4,
				     .uid = 1000,
				     .start_ns = T0,
				     .host = "lab",
				     .tty = "pts/4",
				     .user = "ann",
				     .n_fields = 1,
				     .fields = fields };
	struct tsc_rec_hdr h = { .major = 136, .minor = 4 };
	struct tsc_mark m;
	int fd = tsc_test_open("log", O_RDWR | O_CREAT | O_TRUNC);

	ck_assert_int_eq(tsc_log_writer_new(fd, &meta, NULL, &w), 0);
	h.type = TTYSCOPE_REC_OUT;
	h.len = 3;
	h.ts_ns = T0;
	ck_assert_int_eq(tsc_log_writer_append(w, &h, "one"), 0);
	h.type = TSC_REC_MARK;
	h.len = 5;
	h.ts_ns = T0 + SEC;
	ck_assert_int_eq(tsc_log_writer_append(w, &h, "here!"), 0);
	h.type = TTYSCOPE_REC_OUT;
	h.seq = 1;
	h.len = 3;
	h.ts_ns = T0 + 2 * SEC;
	ck_assert_int_eq(tsc_log_writer_append(w, &h, "two"), 0);
	/* a label longer than the bound is refused */
	h.type = TSC_REC_MARK;
	h.len = TSC_MARK_LABEL_MAX + 1;
	{
		char big[TSC_MARK_LABEL_MAX + 1];

		memset(big, 'y', sizeof(big));
		ck_assert_int_eq(tsc_log_writer_append(w, &h, big), -EINVAL);
	}
	ck_assert_int_eq(tsc_log_writer_finish(w), 0);
	tsc_log_writer_free(w);

	ck_assert_int_eq(tsc_recording_sniff(fd), TSC_RECORDING_LOG);
	ck_assert_int_eq(
		tsc_recording_load(&rec, fd, -1, TSC_RECORDING_AUTO, &err), 0);
	ck_assert_uint_eq(rec.n, 3);
	ck_assert_uint_eq(rec.recs[1].hdr.type, TSC_REC_MARK);
	ck_assert_int_eq(tsc_rec_decode_mark(&rec.recs[1], &m), 0);
	ck_assert_str_eq(m.label, "here!");
	ck_assert(rec.have_meta);
	ck_assert_str_eq(rec.tty, "pts/4");
	ck_assert_str_eq(rec.user, "ann");
	ck_assert_str_eq(rec.host, "lab");
	ck_assert_str_eq(rec.command, "bash");
	ck_assert_int_eq(tsc_recording_search(&rec, 0, "onetwo"), 0);
	tsc_recording_free(&rec);

	/* damage the second record's magic: malformed at its offset */
	{
		uint8_t z = 0;
		uint64_t off = 0;
		uint8_t hdr[24];

		ck_assert_int_eq(pread(fd, hdr, sizeof(hdr), 0), 24);
		off = tsc_test_le32(hdr + 16) + TSC_REC_HDR_SIZE + 3;
		ck_assert_int_eq(pwrite(fd, &z, 1, (off_t)off), 1);
		ck_assert_int_eq(tsc_recording_load(&rec, fd, -1,
						    TSC_RECORDING_LOG, &err),
				 -EBADMSG);
		ck_assert_int_eq(err.format, TSC_RECORDING_LOG);
		ck_assert(!err.header);
		ck_assert_uint_eq(err.offset, off);
		ck_assert_ptr_null(rec.recs);
	}
	close(fd);
}
END_TEST

START_TEST(test_load_imports)
{
	static const char cast[] =
		"{\"version\": 2, \"width\": 40, \"height\": 5}\n"
		"[0.5, \"o\", \"hello \"]\n[1.25, \"o\", \"cast\\r\\n\"]\n";
	struct tsc_recording rec = { 0 };
	struct tsc_recording_error err = { 0 };
	int fd, tfd;
	size_t outs = 0;

	tsc_test_write_file("cast", cast, sizeof(cast) - 1);
	fd = tsc_test_open("cast", O_RDONLY);
	ck_assert_int_eq(tsc_recording_sniff(fd), TSC_RECORDING_ASCIICAST);
	ck_assert_int_eq(
		tsc_recording_load(&rec, fd, -1, TSC_RECORDING_AUTO, &err), 0);
	for (size_t i = 0; i < rec.n; i++)
		outs += rec.recs[i].hdr.type == TTYSCOPE_REC_OUT;
	ck_assert_uint_eq(outs, 2);
	ck_assert_int_ge(tsc_recording_search(&rec, 0, "hello cast\n"), 0);
	ck_assert_uint_eq(tsc_recording_last_ts(&rec) -
				  tsc_recording_first_ts(&rec),
			  1250000000ull);
	tsc_recording_free(&rec);
	close(fd);

	static const char bad[] =
		"{\"version\": 2, \"width\": 4, \"height\": 2}\n[x]\n";

	tsc_test_write_file("bad.cast", bad, sizeof(bad) - 1);
	fd = tsc_test_open("bad.cast", O_RDONLY);
	ck_assert_int_eq(tsc_recording_load(&rec, fd, -1, TSC_RECORDING_AUTO,
					    &err),
			 -EBADMSG);
	ck_assert_int_eq(err.format, TSC_RECORDING_ASCIICAST);
	ck_assert_uint_eq(err.line, 2);
	close(fd);

	tsc_test_write_file("typescript", "Script started\nabcde", 20);
	tsc_test_write_file("timing", "0.5 3\n1.000001 2\n", 17);
	fd = tsc_test_open("typescript", O_RDONLY);
	ck_assert_int_eq(tsc_recording_sniff(fd), TSC_RECORDING_SCRIPT);
	/* read as a log: its header is invalid */
	ck_assert_int_eq(tsc_recording_load(&rec, fd, -1, TSC_RECORDING_LOG,
					    &err),
			 -EBADMSG);
	ck_assert(err.header);
	ck_assert_int_eq(tsc_recording_load(&rec, fd, -1, TSC_RECORDING_AUTO,
					    &err),
			 -EINVAL);
	ck_assert_int_eq(err.format, TSC_RECORDING_SCRIPT);
	tfd = tsc_test_open("timing", O_RDONLY);
	ck_assert_int_eq(
		tsc_recording_load(&rec, fd, tfd, TSC_RECORDING_AUTO, &err), 0);
	{
		ssize_t i = tsc_recording_search(&rec, 0, "abcde");

		ck_assert_int_ge(i, 0);
		ck_assert_uint_eq(rec.recs[i].hdr.type, TTYSCOPE_REC_OUT);
		ck_assert_int_eq(memcmp(rec.recs[i].payload, "abc", 3), 0);
		ck_assert_int_gt(tsc_recording_search(&rec, 0, "de"), i);
	}
	tsc_recording_free(&rec);
	close(tfd);
	close(fd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("recording");
	TCase *tc = tcase_create("recording");

	tcase_add_test(tc, test_stream_and_lookups);
	tcase_add_test(tc, test_text_strip);
	tcase_add_test(tc, test_load_log_with_marks);
	tcase_add_test(tc, test_load_imports);
	suite_add_tcase(s, tc);
	return tsc_test_main(s);
}
