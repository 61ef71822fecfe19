// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of export and import (common/tsc-export.c, tsc-import.c):
 * golden asciicast v2/v3 and script output, UTF-8 replacement, round
 * trips, malformed input with exact errors and lines, and playback of the
 * script export with the real scriptreplay.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tsc-test.h"

#define S 1000000000ull
#define MS 1000000ull
#define T0 (1700000000 * S + 250 * MS)

/* A record to export, by type, time since T0 and payload. */
struct ev {
	uint16_t type;
	uint64_t at;
	const char *data;
	uint32_t len;
};

#define EV(t, at, s)                    \
	{                               \
		t, at, s, sizeof(s) - 1 \
	}

static const uint8_t winsize_24x80[8] = { 24, 0, 80, 0, 0, 0, 0, 0 };
static const uint8_t winsize_30x100[8] = { 30, 0, 100, 0, 0, 0, 0, 0 };
static const uint8_t inject_x[9] = { 0, 0, 0, 0, 0, 0, 0, 0, 'x' };
static uint8_t open_pts3[40] = {
	1, 0, 0, 0, 0, 0, 0, 0, 'p', 't', 's', '/', '3'
};
static const uint8_t session[48];

static const struct ev golden[] = {
	{ TTYSCOPE_REC_OPEN, 0, (const char *)open_pts3, 40 },
	{ TTYSCOPE_REC_WINSIZE, 0, (const char *)winsize_24x80, 8 },
	{ TTYSCOPE_REC_SESSION, 1 * MS, (const char *)session, 48 },
	EV(TTYSCOPE_REC_OUT, 500 * MS, "$ "),
	EV(TTYSCOPE_REC_IN, 1 * S, "l"),
	EV(TTYSCOPE_REC_OUT, 1 * S + 400, "l"),
	EV(TTYSCOPE_REC_OUT, 1500 * MS, "\xc3"),
	EV(TTYSCOPE_REC_OUT, 1600 * MS, "\xa9\r\n"),
	{ TTYSCOPE_REC_WINSIZE, 2 * S, (const char *)winsize_30x100, 8 },
	{ TTYSCOPE_REC_INJECT, 2500 * MS, (const char *)inject_x, 9 },
	EV(TTYSCOPE_REC_OUT, 3 * S + 500, "\x1b[0m\"\\\x7f"),
	EV(TTYSCOPE_REC_IN_DROPPED, 3200 * MS, "secret"),
	EV(TTYSCOPE_REC_OUT, 3500 * MS, "\xff"),
	{ TTYSCOPE_REC_CLOSE, 4 * S, NULL, 0 },
};

/* Feed @n events to an exporter; finish it. */
static void export_events(struct tsc_exporter *ex, const struct ev *evs,
			  size_t n, uint64_t t0)
{
	uint8_t buf[TSC_REC_MAX_SIZE];

	for (size_t i = 0; i < n; i++) {
		struct tsc_rec_hdr hdr = {
			.type = evs[i].type,
			.len = evs[i].len,
			.major = 136,
			.minor = 3,
			.seq = i,
			.ts_ns = t0 + evs[i].at,
		};
		struct tsc_rec rec;
		int len = tsc_rec_encode(&hdr, evs[i].data, buf, sizeof(buf));

		ck_assert_int_gt(len, 0);
		ck_assert_int_eq(tsc_rec_parse(buf, (size_t)len, &rec), 0);
		ck_assert_int_eq(tsc_exporter_add(ex, &rec), 0);
	}
	ck_assert_int_eq(tsc_exporter_finish(ex), 0);
	ck_assert_int_eq(tsc_exporter_finish(ex), -EINVAL);
}

static void assert_file(const char *name, const char *want, size_t len)
{
	size_t got_len;
	uint8_t *got = tsc_test_read_file(name, &got_len);

	ck_assert_msg(got_len == len && !memcmp(got, want, len),
		      "%s:\n%s\n--- want:\n%s", name, got, want);
	free(got);
}

static const char golden_v2[] =
	"{\"version\": 2, \"width\": 80, \"height\": 24, "
	"\"timestamp\": 1700000000, \"title\": \"demo \\\"1\\\"\"}\n"
	"[0.500000, \"o\", \"$ \"]\n"
	"[1.000000, \"o\", \"l\"]\n"
	"[1.600000, \"o\", \"\xc3\xa9\\r\\n\"]\n"
	"[2.000000, \"r\", \"100x30\"]\n"
	"[3.000001, \"o\", \"\\u001b[0m\\\"\\\\\\u007f\"]\n"
	"[3.500000, \"o\", \"\xef\xbf\xbd\"]\n";

START_TEST(test_golden_v2)
{
	struct tsc_export_options opts = { .title = "demo \"1\"" };
	struct tsc_exporter *ex;
	int fd = tsc_test_open("v2.cast", O_WRONLY | O_CREAT | O_TRUNC);

	ck_assert_int_eq(tsc_exporter_new(TSC_EXPORT_ASCIICAST_V2, &opts, fd,
					  -1, -1, &ex),
			 0);
	export_events(ex, golden, ARRAY_SIZE(golden), T0);
	tsc_exporter_free(ex);
	tsc_exporter_free(NULL);
	close(fd);
	assert_file("v2.cast", golden_v2, sizeof(golden_v2) - 1);
}
END_TEST

static const char golden_v3[] =
	"{\"version\": 3, \"term\": {\"cols\": 80, \"rows\": 24, "
	"\"type\": \"xterm\"}, \"timestamp\": 1700000000, "
	"\"command\": \"bash\"}\n"
	"[0.500000, \"o\", \"$ \"]\n"
	"[0.500000, \"i\", \"l\"]\n"
	"[0.000000, \"o\", \"l\"]\n"
	"[0.600000, \"o\", \"\xc3\xa9\\r\\n\"]\n"
	"[0.400000, \"r\", \"100x30\"]\n"
	"[0.500000, \"i\", \"x\"]\n"
	"[0.500001, \"o\", \"\\u001b[0m\\\"\\\\\\u007f\"]\n"
	"[0.499999, \"o\", \"\xef\xbf\xbd\"]\n"
	"[0.500000, \"x\", \"0\"]\n";

START_TEST(test_golden_v3)
{
	struct tsc_export_options opts = {
		.flags = TSC_EXPORT_INPUT | TSC_EXPORT_EXIT_STATUS,
		.command = "bash",
		.term = "xterm",
	};
	struct tsc_exporter *ex;
	int fd = tsc_test_open("v3.cast", O_WRONLY | O_CREAT | O_TRUNC);

	ck_assert_int_eq(tsc_exporter_new(TSC_EXPORT_ASCIICAST_V3, &opts, fd,
					  -1, -1, &ex),
			 0);
	export_events(ex, golden, ARRAY_SIZE(golden), T0);
	tsc_exporter_free(ex);
	close(fd);
	assert_file("v3.cast", golden_v3, sizeof(golden_v3) - 1);
}
END_TEST

static const char golden_timing[] =
	"H 0.000000 START_TIME 2023-11-14 22:13:20+00:00\n"
	"H 0.000000 TERM xterm\n"
	"H 0.000000 TTY /dev/pts/3\n"
	"H 0.000000 COLUMNS 80\n"
	"H 0.000000 LINES 24\n"
	"H 0.000000 COMMAND bash -c 'a b'\n"
	"O 0.500000 2\n"
	"I 0.500000 1\n"
	"O 0.000000 1\n"
	"O 0.500000 1\n"
	"O 0.100000 3\n"
	"S 0.400000 SIGWINCH ROWS=30 COLS=100\n"
	"I 0.500000 1\n"
	"O 0.500001 7\n"
	"O 0.499999 1\n"
	"H 0.000000 DURATION 4.000000\n"
	"H 0.000000 EXIT_CODE 3\n";

#define BANNER                                               \
	"Script started on 2023-11-14 22:13:20+00:00 "       \
	"[TERM=\"xterm\" TTY=\"/dev/pts/3\" COLUMNS=\"80\" " \
	"LINES=\"24\"]\n"
#define DONE \
	"\nScript done on 2023-11-14 22:13:24+00:00 [COMMAND_EXIT_CODE=\"3\"]\n"

static const char golden_io[] = BANNER
	"$ ll\xc3\xa9\r\nx\x1b[0m\"\\\x7f\xff" DONE;
static const char golden_out[] = BANNER
	"$ l\xc3\xa9\r\n\x1b[0m\"\\\x7f\xff" DONE;
static const char golden_in[] = BANNER "lx" DONE;

static const struct tsc_export_options script_opts = {
	.flags = TSC_EXPORT_INPUT | TSC_EXPORT_EXIT_STATUS,
	.command = "bash -c 'a b'",
	.term = "xterm",
	.tty = "/dev/pts/3",
	.exit_status = 3,
};

/* Export the golden session as script files; @split: separate in log. */
static void export_script(bool split)
{
	struct tsc_exporter *ex;
	int tfd = tsc_test_open("timing", O_WRONLY | O_CREAT | O_TRUNC);
	int ofd = tsc_test_open(split ? "out" : "io",
				O_WRONLY | O_CREAT | O_TRUNC);
	int ifd = split ? tsc_test_open("in", O_WRONLY | O_CREAT | O_TRUNC) :
			  ofd;

	ck_assert_int_eq(tsc_exporter_new(TSC_EXPORT_SCRIPT, &script_opts, tfd,
					  ofd, ifd, &ex),
			 0);
	export_events(ex, golden, ARRAY_SIZE(golden), T0);
	tsc_exporter_free(ex);
	close(tfd);
	close(ofd);
	if (split)
		close(ifd);
}

START_TEST(test_golden_script)
{
	export_script(false);
	assert_file("timing", golden_timing, sizeof(golden_timing) - 1);
	assert_file("io", golden_io, sizeof(golden_io) - 1);
	export_script(true);
	assert_file("timing", golden_timing, sizeof(golden_timing) - 1);
	assert_file("out", golden_out, sizeof(golden_out) - 1);
	assert_file("in", golden_in, sizeof(golden_in) - 1);
}
END_TEST

START_TEST(test_exporter_args)
{
	struct tsc_export_options in = { .flags = TSC_EXPORT_INPUT };
	struct tsc_exporter *ex = NULL;

	ck_assert_int_eq(tsc_exporter_new(0, NULL, 1, -1, -1, &ex), -EINVAL);
	ck_assert_int_eq(tsc_exporter_new(TSC_EXPORT_ASCIICAST_V2, NULL, -1, -1,
					  -1, &ex),
			 -EINVAL);
	ck_assert_int_eq(tsc_exporter_new(TSC_EXPORT_ASCIICAST_V2, NULL, 1, 2,
					  -1, &ex),
			 -EINVAL);
	ck_assert_int_eq(tsc_exporter_new(TSC_EXPORT_SCRIPT, NULL, 1, -1, -1,
					  &ex),
			 -EINVAL);
	ck_assert_int_eq(tsc_exporter_new(TSC_EXPORT_SCRIPT, NULL, 1, 2, 3,
					  &ex),
			 -EINVAL);
	ck_assert_int_eq(tsc_exporter_new(TSC_EXPORT_SCRIPT, &in, 1, 2, -1,
					  &ex),
			 -EINVAL);
	ck_assert_ptr_null(ex);
}
END_TEST

/*
 * UTF-8 in asciicast strings: each maximal ill-formed subpart becomes one
 * U+FFFD (as Python's and Rust's lossy decoders do); well-formed text is
 * kept byte for byte; controls are escaped.
 */
#define R "\xef\xbf\xbd"
static const struct {
	const char *in;
	size_t len;
	const char *out;
} utf8_cases[] = {
	{ "plain", 5, "plain" },
	{ "a\xff"
	  "b",
	  3, "a" R "b" },
	{ "\xc3\xa9", 2, "\xc3\xa9" },
	{ "\xe2\x82\xac", 3, "\xe2\x82\xac" },
	{ "\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80" },
	{ "\xe2\x82"
	  "A",
	  3, R "A" },
	{ "\xed\xa0\x80", 3, R R R }, /* surrogate */
	{ "\xc0\xaf", 2, R R }, /* overlong */
	{ "\xe0\x80\xaf", 3, R R R }, /* overlong */
	{ "\xf4\x90\x80\x80", 4, R R R R }, /* above U+10FFFF */
	{ "\xf5", 1, R },
	{ "\x80\xbf", 2, R R },
	{ "\xf0\x9f\x98", 3, R }, /* truncated at the end */
	{ "\xf0\x9f"
	  "ab",
	  4, R "ab" },
	{ "\t\n\r\b\f\x01\x1f", 7, "\\t\\n\\r\\b\\f\\u0001\\u001f" },
	{ "\"\\/", 3, "\\\"\\\\/" },
	{ "\x7f", 1, "\\u007f" },
	{ "\0", 1, "\\u0000" },
	{ "\xef\xbf\xbf\xf4\x8f\xbf\xbf", 7, "\xef\xbf\xbf\xf4\x8f\xbf\xbf" },
};

START_TEST(test_utf8)
{
	struct ev e[] = {
		{ TTYSCOPE_REC_OUT, 0, utf8_cases[_i].in,
		  (uint32_t)utf8_cases[_i].len },
	};
	struct tsc_exporter *ex;
	char want[256];
	int fd = tsc_test_open("u.cast", O_WRONLY | O_CREAT | O_TRUNC);

	ck_assert_int_eq(tsc_exporter_new(TSC_EXPORT_ASCIICAST_V2, NULL, fd, -1,
					  -1, &ex),
			 0);
	export_events(ex, e, 1, T0);
	tsc_exporter_free(ex);
	close(fd);
	snprintf(want, sizeof(want),
		 "{\"version\": 2, \"width\": 80, \"height\": 24, "
		 "\"timestamp\": 1700000000}\n[0.000000, \"o\", \"%s\"]\n",
		 utf8_cases[_i].out);
	assert_file("u.cast", want, strlen(want));
}
END_TEST

/* Records collected by an import. */
struct collect {
	struct tsc_rec_hdr hdr[4096];
	uint8_t *data[4096];
	size_t n;
	int fail_at; /* sink returns -ECANCELED at this record, if > 0 */
};

static int collect_sink(void *userdata, const struct tsc_rec *rec)
{
	struct collect *c = userdata;

	if (c->fail_at && (int)c->n == c->fail_at)
		return -ECANCELED;
	ck_assert_uint_lt(c->n, ARRAY_SIZE(c->hdr));
	ck_assert_uint_eq(rec->hdr.seq, c->n);
	c->hdr[c->n] = rec->hdr;
	c->data[c->n] = malloc(rec->hdr.len + 1);
	memcpy(c->data[c->n], rec->payload, rec->hdr.len);
	c->n++;
	return 0;
}

static void collect_free(struct collect *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->data[i]);
	free(c);
}

/* Concatenated payloads of the records of @type; free() it. */
static uint8_t *concat(const struct collect *c, uint16_t type, size_t *len)
{
	uint8_t *out = malloc(1 << 20);
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++)
		if (c->hdr[i].type == type) {
			memcpy(out + n, c->data[i], c->hdr[i].len);
			n += c->hdr[i].len;
		}
	*len = n;
	return out;
}

static struct collect *import_cast(const char *text, int *ret,
				   struct tsc_import_info *info)
{
	struct tsc_import_options opts = { .major = 4, .minor = 1 };
	struct collect *c = calloc(1, sizeof(*c));
	int fd;

	tsc_test_write_file("in.cast", text, strlen(text));
	fd = tsc_test_open("in.cast", O_RDONLY);
	*ret = tsc_import_asciicast(fd, &opts, collect_sink, c, info);
	close(fd);
	return c;
}

#define HDR2 "{\"version\": 2, \"width\": 80, \"height\": 24}\n"
#define HDR3 "{\"version\": 3, \"term\": {\"cols\": 90, \"rows\": 30}}\n"

static const struct {
	const char *what;
	const char *text;
	int err;
	uint64_t line;
	size_t records;
} cast_cases[] = {
	{ "empty", "", -EBADMSG, 1, 0 },
	{ "not JSON", "hello\n", -EBADMSG, 1, 0 },
	{ "v1", "{\"version\": 1, \"width\": 80, \"height\": 24}\n",
	  -EPROTONOSUPPORT, 1, 0 },
	{ "v4", "{\"version\": 4}\n", -EPROTONOSUPPORT, 1, 0 },
	{ "no version", "{\"width\": 80, \"height\": 24}\n", -EBADMSG, 1, 0 },
	{ "no width", "{\"version\": 2, \"height\": 24}\n", -EBADMSG, 1, 0 },
	{ "height too big",
	  "{\"version\": 2, \"width\": 80, \"height\": 70000}\n", -EBADMSG, 1,
	  0 },
	{ "width not integer",
	  "{\"version\": 2, \"width\": 8.5, \"height\": 24}\n", -EBADMSG, 1,
	  0 },
	{ "v3 without rows", "{\"version\": 3, \"term\": {\"cols\": 80}}\n",
	  -EBADMSG, 1, 0 },
	{ "header only", HDR2, 0, 1, 3 },
	{ "short event", HDR2 "[0.5, \"o\", \"a\"]\n[0.6, \"o\"]\n", -EBADMSG,
	  3, 3 },
	{ "negative time", HDR2 "[-1, \"o\", \"a\"]\n", -EBADMSG, 2, 2 },
	{ "time not a number", HDR2 "[\"1\", \"o\", \"a\"]\n", -EBADMSG, 2, 2 },
	{ "data not a string", HDR2 "[1, \"o\", 5]\n", -EBADMSG, 2, 2 },
	{ "bad resize", HDR2 "[1, \"r\", \"80x\"]\n", -EBADMSG, 2, 2 },
	{ "trailing garbage", HDR2 "[1, \"o\", \"a\"] x\n", -EBADMSG, 2, 2 },
	{ "bad escape", HDR2 "[1, \"o\", \"\\q\"]\n", -EBADMSG, 2, 2 },
	{ "raw control", HDR2 "[1, \"o\", \"a\tb\"]\n", -EBADMSG, 2, 2 },
	{ "comment in v2", HDR2 "# hi\n", -EBADMSG, 2, 2 },
	{ "deep nesting",
	  HDR2 "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	       "[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]"
	       "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
	       "]]]]]]]]]]]\n",
	  -EBADMSG, 2, 2 },
	{ "v3 comments, markers, unknown codes",
	  HDR3
	  "# comment\n\n  [0.5, \"o\", \"a\"]\r\n[0.1, \"m\", \"\"]\n"
	  "[0.1, \"z\", {\"any\": [1, true, null]}]\n[0.2, \"x\", \"0\"]\n",
	  0, 7, 4 },
	{ "exponent time", HDR2 "[1.5e-3, \"o\", \"a\"]\n", 0, 2, 4 },
};

START_TEST(test_import_cast_errors)
{
	struct tsc_import_info info;
	struct collect *c;
	int ret;

	c = import_cast(cast_cases[_i].text, &ret, &info);
	ck_assert_msg(ret == cast_cases[_i].err, "%s: %d", cast_cases[_i].what,
		      ret);
	ck_assert_msg(info.line == cast_cases[_i].line, "%s: line %llu",
		      cast_cases[_i].what, (unsigned long long)info.line);
	ck_assert_uint_eq(c->n, cast_cases[_i].records);
	ck_assert_uint_eq(info.records, c->n);
	collect_free(c);
}
END_TEST

START_TEST(test_import_cast)
{
	struct tsc_import_info info;
	struct collect *c;
	int ret;

	c = import_cast(
		"{\"version\": 2, \"width\": 100, \"height\": 30, "
		"\"timestamp\": 1700000000, \"env\": {\"TERM\": \"x\"}}\n"
		"[0.25, \"o\", \"\\ud83d\\ude00\\ud800\\u00e9\"]\n"
		"[0.125, \"i\", \"q\"]\n"
		"[1.000000001, \"r\", \"81x25\"]\n",
		&ret, &info);
	ck_assert_int_eq(ret, 0);
	ck_assert_uint_eq(c->n, 6);
	ck_assert_uint_eq(c->hdr[0].type, TTYSCOPE_REC_OPEN);
	ck_assert_uint_eq(c->hdr[0].ts_ns, 1700000000 * S);
	ck_assert_uint_eq(c->hdr[0].major, 4);
	ck_assert_uint_eq(c->hdr[0].minor, 1);
	ck_assert_uint_eq(c->hdr[1].type, TTYSCOPE_REC_WINSIZE);
	ck_assert_mem_eq(c->data[1], "\x1e\0\x64\0\0\0\0\0", 8);
	ck_assert_uint_eq(c->hdr[2].type, TTYSCOPE_REC_OUT);
	ck_assert_uint_eq(c->hdr[2].len, 9);
	ck_assert_mem_eq(c->data[2], "\xf0\x9f\x98\x80" R "\xc3\xa9", 9);
	ck_assert_uint_eq(c->hdr[2].ts_ns, 1700000000 * S + 250 * MS);
	/* v2 times going back are held */
	ck_assert_uint_eq(c->hdr[3].type, TTYSCOPE_REC_IN);
	ck_assert_uint_eq(c->hdr[3].ts_ns, 1700000000 * S + 250 * MS);
	ck_assert_uint_eq(c->hdr[4].type, TTYSCOPE_REC_WINSIZE);
	ck_assert_mem_eq(c->data[4], "\x19\0\x51\0\0\0\0\0", 8);
	ck_assert_uint_eq(c->hdr[4].ts_ns, 1700000001 * S + 1);
	ck_assert_uint_eq(c->hdr[5].type, TTYSCOPE_REC_CLOSE);
	ck_assert_uint_eq(c->hdr[5].ts_ns, 1700000001 * S + 1);
	collect_free(c);

	/* a large event is split into records of at most 4096 bytes */
	{
		size_t n = 10000;
		char *text = malloc(n + 200), *p = text;

		p += sprintf(p, HDR3 "[1, \"o\", \"");
		memset(p, 'z', n);
		strcpy(p + n, "\"]\n");
		c = import_cast(text, &ret, &info);
		free(text);
		ck_assert_int_eq(ret, 0);
		ck_assert_uint_eq(c->n, 6);
		ck_assert_uint_eq(c->hdr[2].len, 4096);
		ck_assert_uint_eq(c->hdr[3].len, 4096);
		ck_assert_uint_eq(c->hdr[4].len, n - 8192);
		collect_free(c);
	}
	/* the sink can stop the import */
	{
		struct collect *cc = calloc(1, sizeof(*cc));
		int fd;

		static const char text[] = HDR2 "[1, \"o\", \"a\"]\n";

		cc->fail_at = 2;
		tsc_test_write_file("in.cast", text, sizeof(text) - 1);
		fd = tsc_test_open("in.cast", O_RDONLY);
		ck_assert_int_eq(tsc_import_asciicast(fd, NULL, collect_sink,
						      cc, &info),
				 -ECANCELED);
		close(fd);
		ck_assert_uint_eq(info.records, 2);
		collect_free(cc);
	}
}
END_TEST

/* Import script files given as strings; @in: NULL, "" (= out), or text. */
static struct collect *import_script(const char *timing, const char *out,
				     const char *in, int *ret,
				     struct tsc_import_info *info)
{
	struct collect *c = calloc(1, sizeof(*c));
	int tfd, ofd, ifd = -1;

	tsc_test_write_file("t", timing, strlen(timing));
	tsc_test_write_file("o", out, strlen(out));
	tfd = tsc_test_open("t", O_RDONLY);
	ofd = tsc_test_open("o", O_RDONLY);
	if (in && *in) {
		tsc_test_write_file("i", in, strlen(in));
		ifd = tsc_test_open("i", O_RDONLY);
	} else if (in) {
		ifd = ofd;
	}
	*ret = tsc_import_script(tfd, ofd, ifd, NULL, collect_sink, c, info);
	close(tfd);
	close(ofd);
	if (ifd >= 0 && ifd != ofd)
		close(ifd);
	return c;
}

static const struct {
	const char *what;
	const char *timing;
	const char *out;
	const char *in;
	int err;
	uint64_t line;
	size_t records;
} script_cases[] = {
	{ "advanced", "O 0.5 3\nI 0.25 2\n", "banner\nabc", "x\nqq", 0, 2, 4 },
	{ "shared log", "O 0.5 3\nI 0.25 2\nO 1.0 1\n", "banner\nabcqqz", "", 0,
	  3, 5 },
	{ "input not logged", "O 0.5 3\nI 0.25 2\nO 1.0 1\n", "b\nabcz", NULL,
	  0, 3, 4 },
	{ "classic", "0.5 3\n1.000001 2\n", "b\nabcde", NULL, 0, 2, 4 },
	{ "unknown type", "O 0.5 3\nX 0.1 3\n", "b\nabc", NULL, -EBADMSG, 2,
	  2 },
	{ "short data", "O 0.5 3\nO 0.5 5\n", "b\nabcde", NULL, -EBADMSG, 2,
	  2 },
	{ "bad delay", "O x.5 3\n", "b\nabc", NULL, -EBADMSG, 1, 0 },
	{ "delay without digits", "O 1. 3\n", "b\nabc", NULL, -EBADMSG, 1, 0 },
	{ "missing size", "O 0.5\n", "b\nabc", NULL, -EBADMSG, 1, 0 },
	{ "bad size", "O 0.5 3x\n", "b\nabc", NULL, -EBADMSG, 1, 0 },
	{ "no space after type", "O0.5 3\n", "b\nabc", NULL, -EBADMSG, 1, 0 },
	{ "bad SIGWINCH", "S 0.1 SIGWINCH ROWS=x COLS=80\n", "b\n", NULL,
	  -EBADMSG, 1, 1 },
	{ "SIGWINCH too big", "S 0.1 SIGWINCH ROWS=24 COLS=80000\n", "b\n",
	  NULL, -EBADMSG, 1, 1 },
	{ "other signals", "S 0.1 SIGTERM\nS 0.2 SIGWINCH ROWS=2 COLS=3\n",
	  "b\n", NULL, 0, 2, 3 },
	{ "empty timing", "", "", NULL, 0, 0, 2 },
};

START_TEST(test_import_script_errors)
{
	struct tsc_import_info info;
	struct collect *c;
	int ret;

	c = import_script(script_cases[_i].timing, script_cases[_i].out,
			  script_cases[_i].in, &ret, &info);
	ck_assert_msg(ret == script_cases[_i].err, "%s: %d",
		      script_cases[_i].what, ret);
	ck_assert_msg(info.line == script_cases[_i].line, "%s: line %llu",
		      script_cases[_i].what, (unsigned long long)info.line);
	ck_assert_msg(c->n == script_cases[_i].records, "%s: %zu records",
		      script_cases[_i].what, c->n);
	collect_free(c);
}
END_TEST

/* The header lines: start, size and tty; classic timing. */
START_TEST(test_import_script)
{
	struct tsc_import_info info;
	struct collect *c;
	int ret;

	c = import_script("H 0.000000 START_TIME 2023-11-14 23:13:20+01:00\n"
			  "H 0.000000 TTY /dev/pts/7\n"
			  "H 0.000000 COLUMNS 132\n"
			  "H 0.000000 LINES 43\n"
			  "H 0.000000 SHELL /bin/bash\n"
			  "O 0.250000 2\n"
			  "S 1.000000 SIGWINCH ROWS=50 COLS=100\n"
			  "I 0.000001 1\n"
			  "H 0.000000 DURATION 1.250001\n",
			  "Script started on ...\nhi!", "", &ret, &info);
	ck_assert_int_eq(ret, 0);
	ck_assert_uint_eq(c->n, 6);
	ck_assert_uint_eq(c->hdr[0].type, TTYSCOPE_REC_OPEN);
	ck_assert_str_eq((char *)c->data[0] + 8, "pts/7");
	ck_assert_uint_eq(c->hdr[0].ts_ns, 1700000000 * S);
	ck_assert_mem_eq(c->data[1], "\x2b\0\x84\0\0\0\0\0", 8);
	ck_assert_mem_eq(c->data[2], "hi", 2);
	ck_assert_uint_eq(c->hdr[2].ts_ns, 1700000000 * S + 250 * MS);
	ck_assert_mem_eq(c->data[3], "\x32\0\x64\0\0\0\0\0", 8);
	ck_assert_uint_eq(c->hdr[3].ts_ns, 1700000001 * S + 250 * MS);
	ck_assert_uint_eq(c->hdr[4].type, TTYSCOPE_REC_IN);
	ck_assert_mem_eq(c->data[4], "!", 1);
	ck_assert_uint_eq(c->hdr[4].ts_ns, 1700000001 * S + 250001000);
	ck_assert_uint_eq(c->hdr[5].type, TTYSCOPE_REC_CLOSE);
	collect_free(c);

	c = import_script("0.5 3\n1.000001 2\n", "b\nabcde", NULL, &ret, &info);
	ck_assert_int_eq(ret, 0);
	ck_assert_uint_eq(c->n, 4);
	ck_assert_uint_eq(c->hdr[1].type, TTYSCOPE_REC_OUT);
	ck_assert_uint_eq(c->hdr[1].ts_ns, 500 * MS);
	ck_assert_uint_eq(c->hdr[2].ts_ns, 1500001 * 1000);
	ck_assert_mem_eq(c->data[2], "de", 2);
	collect_free(c);
}
END_TEST

/*
 * Random session data. With @valid_utf8 (asciicast), the OUT and IN
 * streams are each valid UTF-8 text cut into records at random bytes, so
 * that characters are split across records; otherwise any bytes.
 */
static size_t random_events(struct ev *evs, uint8_t *pool, size_t n,
			    bool valid_utf8, uint64_t seed)
{
	static const char *const chars[] = { "a",
					     "\r\n",
					     "\x1b[1m",
					     "\t",
					     "\xc3\xa9",
					     "\xe2\x82\xac",
					     "\xf0\x9f\x98\x80",
					     "\"",
					     "\\",
					     "\x7f",
					     "\0" };
	uint64_t rnd = seed, at = 0;
	size_t k = 0, used = 0, last[2] = { 0, 0 };

	evs[k++] = (struct ev){ TTYSCOPE_REC_OPEN, 0, (const char *)open_pts3,
				40 };
	evs[k++] = (struct ev){ TTYSCOPE_REC_WINSIZE, 0,
				(const char *)winsize_24x80, 8 };
	/* two text streams, each one long run in the pool */
	for (int st = 0; st < 2 && valid_utf8; st++) {
		size_t len = 0, max = 1u << 20;
		uint8_t *p = pool + st * max;

		while (len < max - 8) {
			const char *c =
				chars[tsc_test_rand(&rnd) % ARRAY_SIZE(chars)];
			size_t cl = strlen(c) ? strlen(c) : 1;

			memcpy(p + len, c, cl);
			len += cl;
		}
		used = 2 * max;
	}
	while (k < n) {
		uint64_t x = tsc_test_rand(&rnd);
		uint32_t want = (uint32_t)(x >> 8) % 300 + 1;
		int st = x % 5 == 0;
		uint8_t *p;

		at += (x >> 32) % (2 * S);
		if (x % 23 == 0) {
			p = pool + used;
			p[0] = (uint8_t)(10 + x % 50);
			p[1] = 0;
			p[2] = (uint8_t)(20 + x % 100);
			memset(p + 3, 0, 5);
			evs[k++] = (struct ev){ TTYSCOPE_REC_WINSIZE, at,
						(const char *)p, 8 };
			used += 8;
			continue;
		}
		if (x % 29 == 0)
			want = 4093;
		if (valid_utf8) {
			p = pool + st * (1u << 20) + last[st];
			last[st] += want;
		} else {
			p = pool + used;
			for (uint32_t i = 0; i < want; i++)
				p[i] = (uint8_t)tsc_test_rand(&rnd);
			used += want;
		}
		evs[k++] = (struct ev){ st ? TTYSCOPE_REC_IN : TTYSCOPE_REC_OUT,
					at, (const char *)p, want };
	}
	/* end each text stream on a character boundary */
	for (size_t i = k; valid_utf8 && i-- > 2;) {
		int st = evs[i].type == TTYSCOPE_REC_IN;
		const uint8_t *base = pool + st * (1u << 20);

		if (evs[i].type == TTYSCOPE_REC_WINSIZE || last[st] == SIZE_MAX)
			continue;
		while ((base[last[st]] & 0xc0) == 0x80) {
			evs[i].len++;
			last[st]++;
		}
		last[st] = SIZE_MAX;
	}
	return k;
}

/* Microsecond-rounded time since the start, as the exporters write it. */
static uint64_t rel_us(uint64_t at)
{
	return (at + 500) / 1000;
}

/*
 * Export then import: the OUT and IN byte streams come back identical,
 * every imported data record ending where an original one ended has its
 * time (to the microsecond), and the size changes come back in order.
 * Script keeps record boundaries and arbitrary bytes as well.
 */
static void check_round_trip(const struct ev *evs, size_t n,
			     const struct collect *c, bool exact)
{
	uint64_t start = c->hdr[0].ts_ns;
	size_t ws = 0, wi = 0;

	ck_assert_uint_eq(c->hdr[0].type, TTYSCOPE_REC_OPEN);
	ck_assert_uint_eq(c->hdr[c->n - 1].type, TTYSCOPE_REC_CLOSE);
	for (uint16_t type = TTYSCOPE_REC_IN; type <= TTYSCOPE_REC_OUT;
	     type++) {
		size_t len, olen = 0, oi = 0, ooff = 0;
		uint8_t *got = concat(c, type, &len);
		uint64_t off = 0;

		for (size_t i = 0; i < n; i++)
			if (evs[i].type == type) {
				ck_assert_mem_eq(got + olen, evs[i].data,
						 evs[i].len);
				olen += evs[i].len;
			}
		ck_assert_uint_eq(len, olen);
		free(got);
		for (size_t i = 0; i < c->n; i++) {
			if (c->hdr[i].type != type)
				continue;
			off += c->hdr[i].len;
			while (oi < n && (evs[oi].type != type ||
					  ooff + evs[oi].len < off)) {
				if (evs[oi].type == type)
					ooff += evs[oi].len;
				oi++;
			}
			if (exact || ooff + evs[oi].len == off)
				ck_assert_uint_eq((c->hdr[i].ts_ns - start) /
							  1000,
						  rel_us(evs[oi].at));
		}
	}
	for (size_t i = 1; i < n; i++) {
		if (evs[i].type != TTYSCOPE_REC_WINSIZE)
			continue;
		while (wi < c->n && c->hdr[wi].type != TTYSCOPE_REC_WINSIZE)
			wi++;
		ck_assert_uint_lt(wi, c->n);
		ck_assert_mem_eq(c->data[wi], evs[i].data, 4);
		ck_assert_uint_eq((c->hdr[wi].ts_ns - start) / 1000,
				  rel_us(evs[i].at));
		wi++;
		ws++;
	}
	ck_assert_uint_gt(ws, 3);
}

static const enum tsc_export_format rt_formats[] = {
	TSC_EXPORT_ASCIICAST_V2, TSC_EXPORT_ASCIICAST_V3, TSC_EXPORT_SCRIPT,
	TSC_EXPORT_SCRIPT, /* separate input log */
};

START_TEST(test_round_trip)
{
	static uint8_t pool[4 << 20];
	static struct ev evs[1500];
	struct tsc_export_options opts = { .flags = TSC_EXPORT_INPUT };
	enum tsc_export_format f = rt_formats[_i];
	bool script = f == TSC_EXPORT_SCRIPT, split = _i == 3;
	struct tsc_import_info info;
	struct tsc_exporter *ex;
	struct collect *c = calloc(1, sizeof(*c));
	size_t n = random_events(evs, pool, ARRAY_SIZE(evs), !script, _i + 1);
	int fd, ofd = -1, ifd = -1;

	fd = tsc_test_open("rt", O_RDWR | O_CREAT | O_TRUNC);
	if (script) {
		ofd = tsc_test_open("rt.out", O_RDWR | O_CREAT | O_TRUNC);
		ifd = split ? tsc_test_open("rt.in",
					    O_RDWR | O_CREAT | O_TRUNC) :
			      ofd;
	}
	ck_assert_int_eq(tsc_exporter_new(f, &opts, fd, ofd, ifd, &ex), 0);
	export_events(ex, evs, n, T0);
	tsc_exporter_free(ex);
	lseek(fd, 0, SEEK_SET);
	if (script) {
		lseek(ofd, 0, SEEK_SET);
		lseek(ifd, 0, SEEK_SET);
		ck_assert_int_eq(tsc_import_script(fd, ofd, ifd, NULL,
						   collect_sink, c, &info),
				 0);
	} else {
		ck_assert_int_eq(tsc_import_asciicast(fd, NULL, collect_sink, c,
						      &info),
				 0);
	}
	check_round_trip(evs, n, c, script);
	if (script) /* the same records, and CLOSE */
		ck_assert_uint_eq(c->n, n + 1);
	collect_free(c);
	close(fd);
	if (ofd >= 0)
		close(ofd);
	if (split)
		close(ifd);
}
END_TEST

/*
 * Run scriptreplay with @args (the arguments of -T, -B, -O and -I name
 * files in the test directory); its output goes to @out.
 */
static int run_scriptreplay(const char *const *args, uint8_t *out, size_t *len)
{
	const char *prog = getenv("SCRIPTREPLAY");
	char *argv[16];
	bool owned[16] = { false };
	int p[2], status;
	size_t n = 0, k = 0;
	ssize_t r;
	pid_t pid;

	argv[k++] = (char *)prog;
	for (size_t i = 0; args[i]; i++, k++) {
		owned[k] = i > 0 && strchr("TBOI", args[i - 1][1]) &&
			   args[i - 1][0] == '-';
		argv[k] = owned[k] ? tsc_test_path(args[i]) : (char *)args[i];
	}
	argv[k] = NULL;
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(p[1], 1);
		execv(prog, argv);
		_exit(127);
	}
	close(p[1]);
	while ((r = read(p[0], out + n, 4096 - n)) > 0)
		n += (size_t)r;
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	for (size_t i = 0; i < k; i++)
		if (owned[i])
			free(argv[i]);
	*len = n;
	return status;
}

/* The real scriptreplay plays the export: output, input, both layouts. */
START_TEST(test_scriptreplay)
{
	static const char *const out_io[] = { "-T", "timing", "-B", "io",
					      "-m", "0.001",  NULL };
	static const char *const in_io[] = { "-T", "timing", "-B", "io",
					     "-m", "0.001",  "-x", "in",
					     "-c", "never",  NULL };
	static const char *const out_split[] = { "-T",	"timing", "-O",
						 "out", "-I",	  "in",
						 "-m",	"0.001",  NULL };
	static const char *const in_split[] = { "-T", "timing", "-O", "out",
						"-I", "in",	"-m", "0.001",
						"-x", "in",	"-c", "never",
						NULL };
	static const char want_out[] = "$ l\xc3\xa9\r\n\x1b[0m\"\\\x7f\xff\n";
	static const char want_in[] = "lx\n";
	uint8_t buf[4096];
	size_t len;

	ck_assert_msg(getenv("SCRIPTREPLAY"), "SCRIPTREPLAY is not set");
	export_script(false);
	ck_assert_int_eq(run_scriptreplay(out_io, buf, &len), 0);
	ck_assert_uint_eq(len, sizeof(want_out) - 1);
	ck_assert_mem_eq(buf, want_out, len);
	ck_assert_int_eq(run_scriptreplay(in_io, buf, &len), 0);
	ck_assert_uint_eq(len, sizeof(want_in) - 1);
	ck_assert_mem_eq(buf, want_in, len);
	export_script(true);
	ck_assert_int_eq(run_scriptreplay(out_split, buf, &len), 0);
	ck_assert_uint_eq(len, sizeof(want_out) - 1);
	ck_assert_mem_eq(buf, want_out, len);
	ck_assert_int_eq(run_scriptreplay(in_split, buf, &len), 0);
	ck_assert_uint_eq(len, sizeof(want_in) - 1);
	ck_assert_mem_eq(buf, want_in, len);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("export");
	TCase *tc = tcase_create("export");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_golden_v2);
	tcase_add_test(tc, test_golden_v3);
	tcase_add_test(tc, test_golden_script);
	tcase_add_test(tc, test_exporter_args);
	tcase_add_loop_test(tc, test_utf8, 0, ARRAY_SIZE(utf8_cases));
	tcase_add_loop_test(tc, test_import_cast_errors, 0,
			    ARRAY_SIZE(cast_cases));
	tcase_add_test(tc, test_import_cast);
	tcase_add_loop_test(tc, test_import_script_errors, 0,
			    ARRAY_SIZE(script_cases));
	tcase_add_test(tc, test_import_script);
	tcase_add_loop_test(tc, test_round_trip, 0, ARRAY_SIZE(rt_formats));
	tcase_add_test(tc, test_scriptreplay);
	suite_add_tcase(s, tc);
	return tsc_test_main(s);
}
