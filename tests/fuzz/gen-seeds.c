// SPDX-License-Identifier: GPL-2.0-only
/*
 * Writes the seed corpus of one fuzz target into a directory: small valid
 * (and a few slightly broken) inputs built with libttyscope itself, so the
 * seeds follow the formats as they are.
 *
 * Usage: gen-seeds TARGET DIR
 *   TARGET: reader, log, log-zstd, proto, daemon, cast or script
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "tsc-proto.h"
#include "ttyscope.h"

#define T0 1767323045000000000ull
#define MS 1000000ull

static const char *dir;

static void die(const char *what, int err)
{
	fprintf(stderr, "gen-seeds: %s: %s\n", what, strerror(err));
	exit(1);
}

/* A growing byte string. */
struct bytes {
	uint8_t buf[1u << 18];
	size_t len;
};

static void put(struct bytes *b, const void *p, size_t len)
{
	if (len > sizeof(b->buf) - b->len)
		die("seed too large", E2BIG);
	memcpy(b->buf + b->len, p, len);
	b->len += len;
}

static void put_str(struct bytes *b, const char *s)
{
	put(b, s, strlen(s));
}

static void put_rec(struct bytes *b, uint16_t type, uint32_t flags,
		    uint32_t major, uint32_t minor, uint64_t seq, uint64_t ts,
		    const void *payload, size_t len)
{
	struct tsc_rec_hdr h = { .type = type,
				 .flags = flags,
				 .len = (uint32_t)len,
				 .major = major,
				 .minor = minor,
				 .seq = seq,
				 .ts_ns = ts };
	int n = tsc_rec_encode(&h, payload, b->buf + b->len,
			       sizeof(b->buf) - b->len);

	if (n < 0)
		die("tsc_rec_encode", -n);
	b->len += (size_t)n;
}

static void save(const char *name, const void *p, size_t len)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, p, len) != (ssize_t)len || close(fd) < 0)
		die(path, errno);
}

static void save_bytes(const char *name, const struct bytes *b)
{
	save(name, b->buf, b->len);
}

/* The records of a short session on 136:3, as the kernel sends them. */
static void session(struct bytes *b, size_t n_out)
{
	struct tsc_open o = { .kind = TTYSCOPE_KIND_PTY, .name = "pts/3" };
	struct tsc_winsize ws = { .rows = 24, .cols = 80 };
	struct tsc_session s = { .sid = 4242,
				 .pgrp = 4242,
				 .uid = 1000,
				 .loginuid = 1000,
				 .comm = "bash",
				 .fg_comm = "ls" };
	struct tsc_pass pass = { .pass = 0, .operator_uid = 0 };
	struct tsc_loss loss = { .records = 3, .bytes = 120 };
	uint8_t p[TTYSCOPE_MAX_PAYLOAD];
	uint64_t seq = 0, ts = T0;
	static const char *const out[] = {
		"\033]0;alice@host: ~\007$ ",
		"ls -l\r\n",
		"total 8\r\ndrwxr-xr-x 2 alice alice 4096 Jan  2 03:04 "
		"\033[1;34mdir\033[0m\r\n-rw-r--r-- 1 alice alice   12 "
		"Jan  2 03:04 file\r\n$ ",
		"h\303\251llo w\303\266rld \342\234\223\r\n",
		"\033[H\033[2J\033[7mtop - 03:04:05 up 1 day\033[m\r\n",
	};

	tsc_rec_encode_open(&o, p);
	put_rec(b, TTYSCOPE_REC_OPEN, 0, 136, 3, seq++, ts, p, TSC_OPEN_SIZE);
	tsc_rec_encode_session(&s, p);
	put_rec(b, TTYSCOPE_REC_SESSION, 0, 136, 3, seq++, ts, p,
		TSC_SESSION_SIZE);
	tsc_rec_encode_winsize(&ws, p);
	put_rec(b, TTYSCOPE_REC_WINSIZE, 0, 136, 3, seq++, ts, p,
		TSC_WINSIZE_SIZE);
	for (size_t i = 0; i < n_out; i++) {
		const char *t = out[i % 5];

		ts += (i % 7) * 3 * MS;
		put_rec(b, TTYSCOPE_REC_OUT, 0, 136, 3, seq++, ts, t,
			strlen(t));
		if (i % 5 == 1)
			put_rec(b, TTYSCOPE_REC_IN, 0, 136, 3, seq++, ts,
				"ls -l\r", 6);
	}
	put_rec(b, TTYSCOPE_REC_IN, TTYSCOPE_RF_NOECHO, 136, 3, seq++, ts,
		"secret\r", 7);
	tsc_rec_encode_pass(&pass, p);
	put_rec(b, TTYSCOPE_REC_PASS, 0, 136, 3, seq++, ts, p, TSC_PASS_SIZE);
	put_rec(b, TTYSCOPE_REC_IN_DROPPED, 0, 136, 3, seq++, ts, "x", 1);
	tsc_rec_encode_inject_head(0, p);
	memcpy(p + TSC_INJECT_HEAD_SIZE, "date\r", 5);
	put_rec(b, TTYSCOPE_REC_INJECT, 0, 136, 3, seq++, ts, p,
		TSC_INJECT_HEAD_SIZE + 5);
	tsc_rec_encode_loss(&loss, p);
	put_rec(b, TTYSCOPE_REC_LOSS, 0, 0, 0, seq++, ts, p, TSC_LOSS_SIZE);
	put_rec(b, TTYSCOPE_REC_HANGUP, 0, 136, 3, seq++, ts + MS, NULL, 0);
	put_rec(b, TTYSCOPE_REC_CLOSE, 0, 136, 3, seq++, ts + MS, NULL, 0);
}

static void seeds_reader(void)
{
	static struct bytes b, s;

	session(&s, 5);
	put(&b, "\0\0", 2);
	put(&b, s.buf, s.len);
	save_bytes("session", &b);
	b.buf[0] = 1;
	b.buf[1] = 3;
	save_bytes("session-resync", &b);
	b.len = 0;
	put(&b, "\1\1", 2);
	put(&b, s.buf, 200);
	put_str(&b, "garbage TSCR \001\000 more garbage");
	put(&b, s.buf + 200, s.len - 200);
	save_bytes("garbage", &b);
	b.len -= 10;
	save_bytes("truncated", &b);
}

/* A log of @n_out outputs, closed (index and trailer) or not. */
static void write_log(const char *name, unsigned int flags, bool finish,
		      size_t n_out)
{
	const struct tsc_log_field fields[] = { { "command", "bash" } };
	struct tsc_log_meta meta = { .major = 136,
				     .minor = 3,
				     .uid = 1000,
				     .start_ns = T0,
				     .host = "host",
				     .tty = "pts/3",
				     .user = "alice",
				     .n_fields = 1,
				     .fields = fields };
	struct tsc_log_writer_options wo = { .flags = flags,
					     .chunk_size = TSC_LOG_CHUNK_MIN };
	static struct bytes s;
	struct tsc_log_writer *w;
	char path[4096];
	struct tsc_rec rec;
	int fd, r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die(path, errno);
	memset(meta.file_id, 7, sizeof(meta.file_id));
	r = tsc_log_writer_new(fd, &meta, &wo, &w);
	if (r < 0)
		die("tsc_log_writer_new", -r);
	s.len = 0;
	session(&s, n_out);
	for (size_t off = 0; off < s.len;
	     off += TSC_REC_HDR_SIZE + rec.hdr.len) {
		tsc_rec_parse(s.buf + off, s.len - off, &rec);
		r = tsc_log_writer_append(w, &rec.hdr, rec.payload);
		if (r < 0)
			die("tsc_log_writer_append", -r);
	}
	r = finish ? tsc_log_writer_finish(w) : tsc_log_writer_flush(w);
	if (r < 0)
		die("tsc_log_writer_finish", -r);
	tsc_log_writer_free(w);
	close(fd);
}

static void seeds_log(void)
{
	write_log("plain-closed", 0, true, 90);
	write_log("plain-crashed", 0, false, 90);
	write_log("zstd-closed", TSC_LOG_ZSTD, true, 90);
	write_log("zstd-crashed", TSC_LOG_ZSTD, false, 90);
	write_log("short", 0, true, 2);
}

static void seeds_log_zstd(void)
{
	static struct bytes b, s;
	uint8_t fields[28] = { 0 };

	session(&s, 12);
	put(&b, "\1\1", 2);
	put(&b, s.buf, s.len / 2);
	put(&b, FUZZ_SEPARATOR "\1", FUZZ_SEPARATOR_LEN + 1);
	put(&b, s.buf + s.len / 2, s.len - s.len / 2);
	save_bytes("two-frames", &b);
	b.len = 0;
	put(&b, "\0\0", 2);
	fields[0] = 3;
	memcpy(fields + 4, &(uint64_t){ T0 }, 8);
	memcpy(fields + 12, &(uint64_t){ T0 }, 8);
	put(&b, fields, sizeof(fields));
	put(&b, s.buf, s.len);
	put(&b, FUZZ_SEPARATOR "\2", FUZZ_SEPARATOR_LEN + 1);
	put(&b, s.buf, 100);
	put(&b, FUZZ_SEPARATOR "\5", FUZZ_SEPARATOR_LEN + 1);
	put(&b, s.buf, s.len);
	save_bytes("stated-stray-torn", &b);
}

static void request(struct bytes *b, uint64_t id, uint32_t verb, uint32_t flags,
		    uint32_t major, uint32_t minor, const char *args)
{
	struct tsc_proto_request q = {
		.id = id,
		.verb = verb,
		.flags = flags,
		.major = major,
		.minor = minor,
		.args = (const uint8_t *)args,
		.len = args ? strlen(args) : 0,
	};
	int n = tsc_proto_encode_request(&q, T0, b->buf + b->len,
					 sizeof(b->buf) - b->len);

	if (n < 0)
		die("tsc_proto_encode_request", -n);
	b->len += (size_t)n;
}

static void hello(struct bytes *b, uint32_t version)
{
	struct tsc_proto_hello h = { .version = version, .name = "fuzz 1" };
	int n = tsc_proto_encode_hello(&h, T0, b->buf + b->len,
				       sizeof(b->buf) - b->len);

	if (n < 0)
		die("tsc_proto_encode_hello", -n);
	b->len += (size_t)n;
}

/* HELLO and one request of every verb, about the tty 136:0. */
static void requests(struct bytes *b)
{
	hello(b, TSC_PROTO_VERSION);
	request(b, 1, TSC_VERB_LIST, 0, 0, 0, NULL);
	request(b, 2, TSC_VERB_STATS, 0, 0, 0, NULL);
	request(b, 3, TSC_VERB_SUBSCRIBE, TSC_SUB_ALL, 0, 0, NULL);
	request(b, 4, TSC_VERB_UNSUBSCRIBE, 0, 0, 0, NULL);
	request(b, 5, TSC_VERB_SUBSCRIBE, 0, 136, 0, NULL);
	request(b, 6, TSC_VERB_BLOCK, 0, 136, 0, NULL);
	request(b, 7, TSC_VERB_UNBLOCK, 0, 136, 0, NULL);
	request(b, 8, TSC_VERB_INJECT, 0, 136, 0, "ls\r");
	request(b, 9, TSC_VERB_MESSAGE, 0, 136, 0, "back in 5\nminutes\a");
	request(b, 10, TSC_VERB_HANGUP, 0, 4, 1, NULL);
	request(b, 11, TSC_VERB_ATTACH, 0, 0, 0, "pts/0");
	request(b, 12, TSC_VERB_DETACH, 0, 136, 0, NULL);
	request(b, 13, 99, 0, 0, 0, NULL);
	request(b, 14, TSC_VERB_SUBSCRIBE, 0, 9, 9, NULL);
}

static void seeds_proto(void)
{
	static struct bytes b;
	struct tsc_proto_tty t = { .major = 136,
				   .minor = 0,
				   .kind = 1,
				   .pass = 1,
				   .uid = 1000,
				   .rows = 24,
				   .cols = 80,
				   .name = "pts/0",
				   .comm = "bash",
				   .fg_comm = "vi" };
	struct tsc_proto_stats st = {
		.records = 10, .bytes = 100, .ttys = 2, .clients = 1
	};
	uint8_t data[2 * TSC_PROTO_TTY_SIZE];
	struct tsc_proto_reply q = { .id = 1,
				     .verb = TSC_VERB_LIST,
				     .more = 1,
				     .data = data,
				     .len = sizeof(data) };
	int n;

	struct tsc_proto_hello h = { .version = TSC_PROTO_VERSION,
				     .uid = 1000,
				     .name = "ttyscoped 0.1.0" };
	struct tsc_proto_host host = { .name = "lab" };
	struct tsc_proto_user u = { .uid = 1000, .name = "student1" };

	requests(&b);
	save_bytes("requests", &b);
	/* what a client receives: the daemon's HELLO, HOST, USER, replies */
	b.len = 0;
	n = tsc_proto_encode_hello(&h, T0, b.buf + b.len, 8192);
	b.len += (size_t)n;
	n = tsc_proto_encode_host(&host, T0, b.buf + b.len, 8192);
	b.len += (size_t)n;
	n = tsc_proto_encode_user(&u, T0, b.buf + b.len, 8192);
	b.len += (size_t)n;
	tsc_proto_encode_tty(&t, data);
	tsc_proto_encode_tty(&t, data + TSC_PROTO_TTY_SIZE);
	n = tsc_proto_encode_reply(&q, T0, b.buf + b.len, 8192);
	b.len += (size_t)n;
	q.more = 0;
	q.len = TSC_PROTO_TTY_SIZE;
	n = tsc_proto_encode_reply(&q, T0, b.buf + b.len, 8192);
	b.len += (size_t)n;
	tsc_proto_encode_stats(&st, data);
	q = (struct tsc_proto_reply){ .id = 2,
				      .verb = TSC_VERB_STATS,
				      .data = data,
				      .len = TSC_PROTO_STATS_SIZE };
	n = tsc_proto_encode_reply(&q, T0, b.buf + b.len, 8192);
	b.len += (size_t)n;
	q = (struct tsc_proto_reply){ .id = 3,
				      .verb = TSC_VERB_BLOCK,
				      .error = ENODEV };
	n = tsc_proto_encode_reply(&q, T0, b.buf + b.len, 8192);
	b.len += (size_t)n;
	n = tsc_proto_encode_sync(136, 0, 5, T0, b.buf + b.len, 8192);
	b.len += (size_t)n;
	put_rec(&b, TTYSCOPE_REC_OUT, 0, 136, 0, 6, T0, "$ ", 2);
	save_bytes("replies", &b);
}

static void seeds_daemon(void)
{
	static struct bytes b;
	static const uint8_t flags[] = { 0x00, 0x08, 0x50, 0xf8, 0x02, 0x04 };

	for (size_t i = 0; i < sizeof(flags); i++) {
		char name[32];

		b.len = 0;
		put(&b, &flags[i], 1);
		requests(&b);
		snprintf(name, sizeof(name), "requests-%02x", flags[i]);
		save_bytes(name, &b);
	}
	b.len = 0;
	put(&b, "\0", 1);
	hello(&b, 2);
	save_bytes("bad-version", &b);
	b.len = 0;
	put(&b, "\1", 1);
	request(&b, 1, TSC_VERB_LIST, 0, 0, 0, NULL);
	put_rec(&b, TTYSCOPE_REC_OUT, 0, 136, 0, 6, T0, "$ ", 2);
	put_str(&b, "not a record at all, not at all");
	save_bytes("no-hello-garbage", &b);
}

/* Import @b (a session) into an exporter of @format writing to @fds. */
static void export_session(enum tsc_export_format format, unsigned int flags,
			   int fd, int out_fd, int in_fd)
{
	struct tsc_export_options eo = { .flags = flags,
					 .exit_status = 3,
					 .title = "demo",
					 .command = "bash",
					 .term = "xterm-256color",
					 .tty = "/dev/pts/3" };
	static struct bytes s;
	struct tsc_exporter *ex;
	struct tsc_rec rec;
	int r;

	s.len = 0;
	session(&s, 7);
	r = tsc_exporter_new(format, &eo, fd, out_fd, in_fd, &ex);
	if (r < 0)
		die("tsc_exporter_new", -r);
	for (size_t off = 0; off < s.len;
	     off += TSC_REC_HDR_SIZE + rec.hdr.len) {
		tsc_rec_parse(s.buf + off, s.len - off, &rec);
		r = tsc_exporter_add(ex, &rec);
		if (r < 0)
			die("tsc_exporter_add", -r);
	}
	r = tsc_exporter_finish(ex);
	if (r < 0)
		die("tsc_exporter_finish", -r);
	tsc_exporter_free(ex);
}

/* The contents of a file descriptor, appended to @b. */
static void slurp(struct bytes *b, int fd)
{
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, b->buf + b->len, sizeof(b->buf) - b->len)) > 0)
		b->len += (size_t)n;
	close(fd);
}

static void seeds_cast(void)
{
	static struct bytes b;
	int fd;

	fd = fuzz_memfd("", 0);
	export_session(TSC_EXPORT_ASCIICAST_V2, TSC_EXPORT_INPUT, fd, -1, -1);
	slurp(&b, fd);
	save_bytes("v2", &b);
	b.len = 0;
	fd = fuzz_memfd("", 0);
	export_session(TSC_EXPORT_ASCIICAST_V3,
		       TSC_EXPORT_INPUT | TSC_EXPORT_EXIT_STATUS, fd, -1, -1);
	slurp(&b, fd);
	save_bytes("v3", &b);
	b.len = 0;
	put_str(&b,
		"{\"version\": 3, \"term\": {\"cols\": 100, \"rows\": 30, "
		"\"type\": \"xterm\"}, \"timestamp\": 1.7e9, "
		"\"env\": {\"SHELL\": \"/bin/bash\"}}\n"
		"# a comment\n"
		"[0.25, \"o\", \"\\u001b[1mbold\\u001b[0m \\ud83d\\ude00\"]\n"
		"[1e-3, \"m\", \"chapter\"]\n"
		"[0.5, \"r\", \"120x40\"]\n"
		"[0.000001, \"i\", \"q\"]\n"
		"[2.5E+0, \"x\", \"0\"]\n");
	save_bytes("v3-hand", &b);
	b.len = 0;
	put_str(&b, "{\"version\": 2, \"width\": 80, \"height\": 24, "
		    "\"timestamp\": 1700000000, \"title\": \"t\"}\n"
		    "[0.5, \"o\", \"a\\r\\n\"]\r\n"
		    "[0.25, \"o\", \"time goes back\"]\n"
		    "  [1.000000001, \"o\", \"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]\n");
	save_bytes("v2-hand", &b);
}

static void seeds_script(void)
{
	static struct bytes b;
	int fds[3];

	/* advanced timing with a separate input log */
	for (int i = 0; i < 3; i++)
		fds[i] = fuzz_memfd("", 0);
	export_session(TSC_EXPORT_SCRIPT,
		       TSC_EXPORT_INPUT | TSC_EXPORT_EXIT_STATUS, fds[0],
		       fds[1], fds[2]);
	put(&b, "\1", 1);
	slurp(&b, fds[0]);
	put(&b, FUZZ_SEPARATOR, FUZZ_SEPARATOR_LEN);
	slurp(&b, fds[1]);
	put(&b, FUZZ_SEPARATOR, FUZZ_SEPARATOR_LEN);
	slurp(&b, fds[2]);
	save_bytes("advanced", &b);

	/* script --log-io: input and output in one log */
	b.len = 0;
	fds[0] = fuzz_memfd("", 0);
	fds[1] = fuzz_memfd("", 0);
	export_session(TSC_EXPORT_SCRIPT, TSC_EXPORT_INPUT, fds[0], fds[1],
		       fds[1]);
	put(&b, "\3", 1);
	slurp(&b, fds[0]);
	put(&b, FUZZ_SEPARATOR, FUZZ_SEPARATOR_LEN);
	slurp(&b, fds[1]);
	save_bytes("log-io", &b);

	/* classic two-column timing */
	b.len = 0;
	put(&b, "\0", 1);
	put_str(&b, "0.5 6\n1.25 3\n0.000100 13\n" FUZZ_SEPARATOR
		    "Script started on 2024-05-01 12:34:56+00:00\n"
		    "$ ls\r\na b\r\n\033[1mbold\033[0m\r\n");
	save_bytes("classic", &b);
	b.len = 0;
	put(&b, "\0", 1);
	put_str(&b, "H 0.000000 START_TIME 2024-05-01T12:34:56.5+0200\n"
		    "H 0.000000 COLUMNS 132\nH 0.000000 LINES 43\n"
		    "H 0.000000 TTY /dev/pts/9\n"
		    "S 0.100000 SIGWINCH ROWS=50 COLS=200\n"
		    "S 0.100000 SIGSTOP\n"
		    "O 0.2 5\n" FUZZ_SEPARATOR "banner\nhello");
	save_bytes("headers", &b);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: gen-seeds TARGET DIR\n");
		return 2;
	}
	dir = argv[2];
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		die(dir, errno);
	if (!strcmp(argv[1], "reader"))
		seeds_reader();
	else if (!strcmp(argv[1], "log"))
		seeds_log();
	else if (!strcmp(argv[1], "log-zstd"))
		seeds_log_zstd();
	else if (!strcmp(argv[1], "proto"))
		seeds_proto();
	else if (!strcmp(argv[1], "daemon"))
		seeds_daemon();
	else if (!strcmp(argv[1], "cast"))
		seeds_cast();
	else if (!strcmp(argv[1], "script"))
		seeds_script();
	else {
		fprintf(stderr, "gen-seeds: unknown target '%s'\n", argv[1]);
		return 2;
	}
	return 0;
}
