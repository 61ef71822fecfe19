// SPDX-License-Identifier: GPL-2.0-only
/*
 * Log throughput: generates realistic terminal output (shell prompts with
 * typed commands echoed key by key, ls -l listings, compiler warnings,
 * log files scrolling by, top-style full-screen redraws; colour escapes
 * throughout; a fixed seed), then measures on those records:
 *
 *   - log write and read throughput, plain and zstd (MB/s of payload;
 *     files in $TMPDIR or /tmp, so the page cache, not the disk);
 *   - export throughput to asciicast v2, v3 and script;
 *   - the size of the zstd log against the plain log, and against the
 *     plain log compressed by the real gzip -6.
 *
 * Prints figures and ratios; only wrong contents fail the run.
 *
 * Usage: log-throughput [--size MB] (payload to generate, default 32)
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "ttyscope.h"

#define BASE_TS 1700000000000000000ull
#define MS 1000000ull
#define MB 1e6

/* ---- the session -------------------------------------------------------- */

/* The generated records: headers, and their payloads back to back. */
static struct {
	struct tsc_rec_hdr *hdr;
	size_t n, cap;
	uint8_t *data;
	size_t len, size;
	uint64_t ts, rnd;
	/* the text of the scene being generated */
	char text[1 << 16];
	size_t text_len;
} s;

static uint64_t rnd(uint64_t n)
{
	return bench_rand(&s.rnd) % n;
}

static const char *pick(const char *const *v, size_t n)
{
	return v[rnd(n)];
}

#define PICK(v) pick((v), sizeof(v) / sizeof((v)[0]))

static void add_rec(uint16_t type, uint64_t delay, const void *p, size_t len)
{
	if (s.n == s.cap) {
		s.cap = s.cap ? 2 * s.cap : 65536;
		s.hdr = realloc(s.hdr, s.cap * sizeof(*s.hdr));
		CHECK(s.hdr != NULL);
	}
	CHECK(s.len + len <= s.size);
	s.ts += delay;
	s.hdr[s.n] = (struct tsc_rec_hdr){
		.type = type,
		.len = (uint32_t)len,
		.major = 136,
		.minor = 1,
		.seq = s.n,
		.ts_ns = s.ts,
	};
	memcpy(s.data + s.len, p, len);
	s.len += len;
	s.n++;
}

static void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Append to the scene's text. */
static void emit(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s.text + s.text_len, sizeof(s.text) - s.text_len, fmt,
		      ap);
	va_end(ap);
	CHECK(n >= 0 && (size_t)n < sizeof(s.text) - s.text_len);
	s.text_len += (size_t)n;
}

/* The scene's text as the master reads it: pieces of up to 4095 bytes. */
static void flush_text(uint64_t first_delay)
{
	size_t off = 0;

	while (off < s.text_len) {
		size_t n = 64 + rnd(4032);

		if (n > s.text_len - off)
			n = s.text_len - off;
		add_rec(TTYSCOPE_REC_OUT, off ? rnd(2 * MS) : first_delay,
			s.text + off, n);
		off += n;
	}
	s.text_len = 0;
}

static const char *const users[] = { "alice", "bob", "carol", "root" };
static const char *const dirs[] = { "~", "~/src/ttyscope", "/var/log",
				    "~/src/linux/drivers/tty", "/etc" };
static const char *const syll[] = { "con",  "fig",  "main", "tty", "scope",
				    "log",  "rec",  "util", "net", "io",
				    "test", "read", "er",   "dev", "x" };
static const char *const exts[] = { ".c", ".h",	  ".o",	   ".txt", ".md",
				    "",	  ".log", ".json", ".sh",  ".py" };
static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static void word(char *buf, size_t size)
{
	size_t n = 1 + rnd(3), pos = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		pos += (size_t)snprintf(buf + pos, size - pos, "%s",
					PICK(syll));
}

/* A prompt, then a command typed key by key, echoed by the tty. */
static void prompt_and_type(const char *cmd)
{
	const char *user = PICK(users);

	emit("\033]0;%s@host: %s\007\033[01;32m%s@host\033[00m:\033[01;34m%s"
	     "\033[00m%s ",
	     user, PICK(dirs), user, PICK(dirs),
	     strcmp(user, "root") ? "$" : "#");
	flush_text(200 * MS + rnd(3000 * MS));
	for (const char *c = cmd; *c; c++) {
		add_rec(TTYSCOPE_REC_IN, 60 * MS + rnd(200 * MS), c, 1);
		add_rec(TTYSCOPE_REC_OUT, rnd(MS / 10), c, 1);
	}
	add_rec(TTYSCOPE_REC_IN, 100 * MS + rnd(300 * MS), "\r", 1);
	add_rec(TTYSCOPE_REC_OUT, rnd(MS / 10), "\r\n", 2);
}

static void scene_ls(void)
{
	size_t lines = 5 + rnd(80);
	char name[64];

	prompt_and_type("ls -l --color");
	emit("total %u\r\n", (unsigned int)rnd(100000));
	for (size_t i = 0; i < lines; i++) {
		bool dir = rnd(4) == 0;

		word(name, sizeof(name));
		emit("%s %2u %s %s %8u %s %2u %02u:%02u %s%s%s%s\r\n",
		     dir ? "drwxr-xr-x" : "-rw-r--r--",
		     (unsigned int)(1 + rnd(9)), PICK(users), PICK(users),
		     (unsigned int)rnd(dir ? 8192 : 2000000), PICK(months),
		     (unsigned int)(1 + rnd(28)), (unsigned int)rnd(24),
		     (unsigned int)rnd(60), dir ? "\033[01;34m" : "", name,
		     dir ? "" : PICK(exts), dir ? "\033[0m" : "");
	}
	flush_text(5 * MS);
}

static void scene_make(void)
{
	size_t files = 3 + rnd(30);
	char name[64];

	prompt_and_type("make -j2");
	for (size_t i = 0; i < files; i++) {
		unsigned int line = 1 + (unsigned int)rnd(2000);
		unsigned int col = 1 + (unsigned int)rnd(40);

		word(name, sizeof(name));
		emit("gcc -Wall -Wextra -O2 -g -Icommon -c %s.c -o %s.o\r\n",
		     name, name);
		if (rnd(3))
			continue;
		emit("\033[01m\033[K%s.c:%u:%u:\033[m\033[K \033[01;35m\033[K"
		     "warning: \033[m\033[Kunused variable '\033[01m\033[K%s"
		     "\033[m\033[K' [\033[01;35m\033[K-Wunused-variable\033[m"
		     "\033[K]\r\n%5u |         int %s = %u;\r\n      | "
		     "            \033[01;35m\033[K^~~~\033[m\033[K\r\n",
		     name, line, col, name, line, name, (unsigned int)rnd(100));
		flush_text(300 * MS + rnd(2000 * MS));
	}
	emit("gcc -o ttyscope *.o -lzstd\r\n");
	flush_text(800 * MS);
}

static void scene_tail(void)
{
	static const char *const daemons[] = { "sshd", "systemd", "cron",
					       "kernel", "ttyscoped" };
	static const char *const msgs[] = {
		"Accepted publickey for %s from 10.0.%u.%u port 5%04u ssh2",
		"Started Session %u of User %s.",
		"pam_unix(cron:session): session opened for user %s by (uid=%u)",
		"operator uid=%u pid=%u block 136:%u: ok",
	};
	size_t lines = 10 + rnd(120);

	prompt_and_type("tail -f /var/log/auth.log");
	for (size_t i = 0; i < lines; i++) {
		const char *m = PICK(msgs);

		emit("%s %2u %02u:%02u:%02u host %s[%u]: ", PICK(months),
		     (unsigned int)(1 + rnd(28)), (unsigned int)rnd(24),
		     (unsigned int)rnd(60), (unsigned int)rnd(60),
		     PICK(daemons), (unsigned int)rnd(65536));
		if (m == msgs[0])
			emit(m, PICK(users), (unsigned int)rnd(256),
			     (unsigned int)rnd(256), (unsigned int)rnd(10000));
		else if (m == msgs[1])
			emit(m, (unsigned int)rnd(1000), PICK(users));
		else if (m == msgs[2])
			emit(m, PICK(users), (unsigned int)rnd(1000));
		else
			emit(m, (unsigned int)rnd(1000),
			     (unsigned int)rnd(65536), (unsigned int)rnd(10));
		emit("\r\n");
		if (rnd(4) == 0)
			flush_text(rnd(5000 * MS));
	}
	add_rec(TTYSCOPE_REC_IN, 2000 * MS, "\003", 1);
	add_rec(TTYSCOPE_REC_OUT, MS / 10, "^C\r\n", 4);
}

/* top: every redraw repaints the whole 80x24 screen. */
static void scene_top(void)
{
	static const char *const cmds[] = {
		"bash", "vim",	   "gcc",	  "make",   "ttyscoped",
		"sshd", "python3", "kworker/0:1", "systemd"
	};
	size_t redraws = 3 + rnd(20);
	unsigned int pids[17];

	for (size_t i = 0; i < 17; i++)
		pids[i] = 100 + (unsigned int)rnd(30000);
	prompt_and_type("top");
	emit("\033[?1049h\033[?25l");
	for (size_t r = 0; r < redraws; r++) {
		emit("\033[H\033[2Jtop - %02u:%02u:%02u up 3 days,  2 users,  "
		     "load average: 0.%02u, 0.%02u, 0.%02u\033[K\r\n",
		     (unsigned int)rnd(24), (unsigned int)rnd(60),
		     (unsigned int)r % 60, (unsigned int)rnd(100),
		     (unsigned int)rnd(100), (unsigned int)rnd(100));
		emit("Tasks: \033[1m%u \033[mtotal,   \033[1m1 \033[mrunning, "
		     "\033[1m%u \033[msleeping\033[K\r\n",
		     150 + (unsigned int)rnd(20), 149 + (unsigned int)rnd(20));
		emit("%%Cpu(s): \033[1m %u.%u \033[mus, \033[1m %u.%u \033[msy, "
		     "\033[1m 0.0 \033[mni, \033[1m%u.%u \033[mid\033[K\r\n",
		     (unsigned int)rnd(30), (unsigned int)rnd(10),
		     (unsigned int)rnd(10), (unsigned int)rnd(10),
		     60 + (unsigned int)rnd(39), (unsigned int)rnd(10));
		emit("MiB Mem : \033[1m  7951.4 \033[mtotal, \033[1m  %4u.%u "
		     "\033[mfree\033[K\r\n\033[K\r\n",
		     (unsigned int)rnd(4000), (unsigned int)rnd(10));
		emit("\033[7m    PID USER      PR  NI    VIRT    RES  %%CPU  %%MEM"
		     "     TIME+ COMMAND                \033[m\033[K\r\n");
		for (size_t i = 0; i < 17; i++)
			emit("%s%7u %-8s  20   0 %7u %6u %5u.%u %5u.%u %4u:%02u."
			     "%02u %-22s\033[m\033[K\r\n",
			     i == 0 ? "\033[1m" : "", pids[i],
			     users[pids[i] % 4], 10000 + pids[i] * 7,
			     (unsigned int)(1000 + rnd(90000)),
			     (unsigned int)(i < 3 ? rnd(60) : 0),
			     (unsigned int)rnd(10), (unsigned int)rnd(5),
			     (unsigned int)rnd(10), (unsigned int)(i * 3),
			     (unsigned int)rnd(60), (unsigned int)rnd(100),
			     cmds[pids[i] % 9]);
		flush_text(r ? 3000 * MS : 50 * MS);
	}
	add_rec(TTYSCOPE_REC_IN, 500 * MS, "q", 1);
	add_rec(TTYSCOPE_REC_OUT, MS / 2, "\033[?1049l\033[?25h", 16);
}

/* Generate about @bytes of payload. */
static void generate(size_t bytes)
{
	struct tsc_open o = { .kind = TTYSCOPE_KIND_PTY, .name = "pts/1" };
	struct tsc_winsize ws = { .rows = 24, .cols = 80 };
	uint8_t p[TSC_OPEN_SIZE];

	s.size = bytes + (1u << 20);
	s.data = malloc(s.size);
	CHECK(s.data != NULL);
	s.rnd = 1;
	s.ts = BASE_TS;
	tsc_rec_encode_open(&o, p);
	add_rec(TTYSCOPE_REC_OPEN, 0, p, TSC_OPEN_SIZE);
	tsc_rec_encode_winsize(&ws, p);
	add_rec(TTYSCOPE_REC_WINSIZE, 0, p, TSC_WINSIZE_SIZE);
	while (s.len < bytes) {
		uint64_t k = rnd(100);

		if (k < 30)
			scene_ls();
		else if (k < 55)
			scene_make();
		else if (k < 85)
			scene_tail();
		else
			scene_top();
	}
	add_rec(TTYSCOPE_REC_CLOSE, 1000 * MS, NULL, 0);
}

/* ---- measurements --------------------------------------------------------- */

static char bench_dir[4096];

static char *bench_path(const char *name)
{
	static char path[sizeof(bench_dir) + 32];

	snprintf(path, sizeof(path), "%s/%s", bench_dir, name);
	return path;
}

static void bench_cleanup(void)
{
	static const char *const names[] = { "plain",	"zstd",	  "v2.cast",
					     "v3.cast", "timing", "out",
					     "in" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(bench_path(names[i]));
	rmdir(bench_dir);
}

static int bench_open(const char *name, int flags)
{
	int fd = open(bench_path(name), flags | O_CLOEXEC, 0600);

	CHECK(fd >= 0);
	return fd;
}

static uint64_t file_size(const char *name)
{
	struct stat st;

	CHECK(stat(bench_path(name), &st) == 0);
	return (uint64_t)st.st_size;
}

static const uint8_t *payload(size_t i, size_t *off)
{
	const uint8_t *p = s.data + *off;

	*off += s.hdr[i].len;
	return p;
}

/* Write all records to a log; returns the seconds it took. */
static double write_log(const char *name, unsigned int flags)
{
	struct tsc_log_meta meta = { .start_ns = BASE_TS, .tty = "pts/1" };
	struct tsc_log_writer_options wo = { .flags = flags };
	struct tsc_log_writer *w;
	size_t off = 0;
	uint64_t t0 = mono_ns();
	int fd = bench_open(name, O_WRONLY | O_CREAT | O_TRUNC);

	CHECK(tsc_log_writer_new(fd, &meta, &wo, &w) == 0);
	for (size_t i = 0; i < s.n; i++)
		CHECK(tsc_log_writer_append(w, &s.hdr[i], payload(i, &off)) ==
		      0);
	CHECK(tsc_log_writer_finish(w) == 0);
	tsc_log_writer_free(w);
	CHECK(close(fd) == 0);
	return (double)(mono_ns() - t0) / 1e9;
}

/* Read all records back, checking them; returns the seconds it took. */
static double read_log(const char *name)
{
	struct tsc_log_reader *r;
	struct tsc_rec rec;
	size_t n = 0, off = 0;
	uint64_t t0 = mono_ns();
	int fd = bench_open(name, O_RDONLY);

	CHECK(tsc_log_reader_new(fd, &r) == 0);
	while (tsc_log_reader_next(r, &rec) == 1) {
		CHECK(n < s.n && rec.hdr.len == s.hdr[n].len &&
		      rec.hdr.ts_ns == s.hdr[n].ts_ns);
		CHECK(!memcmp(rec.payload, payload(n, &off), rec.hdr.len));
		n++;
	}
	CHECK(n == s.n);
	tsc_log_reader_free(r);
	close(fd);
	return (double)(mono_ns() - t0) / 1e9;
}

/* Export all records; returns the seconds it took. */
static double export(enum tsc_export_format format, const char *name)
{
	struct tsc_export_options eo = { .flags = TSC_EXPORT_INPUT };
	struct tsc_exporter *ex;
	struct tsc_rec rec;
	uint8_t raw[TSC_REC_MAX_SIZE];
	size_t off = 0;
	uint64_t t0 = mono_ns();
	int fd = bench_open(name, O_WRONLY | O_CREAT | O_TRUNC), out = -1,
	    in = -1;

	if (format == TSC_EXPORT_SCRIPT) {
		out = bench_open("out", O_WRONLY | O_CREAT | O_TRUNC);
		in = bench_open("in", O_WRONLY | O_CREAT | O_TRUNC);
	}
	CHECK(tsc_exporter_new(format, &eo, fd, out, in, &ex) == 0);
	for (size_t i = 0; i < s.n; i++) {
		int n = tsc_rec_encode(&s.hdr[i], payload(i, &off), raw,
				       sizeof(raw));

		CHECK(n > 0 && tsc_rec_parse(raw, (size_t)n, &rec) == 0);
		CHECK(tsc_exporter_add(ex, &rec) == 0);
	}
	CHECK(tsc_exporter_finish(ex) == 0);
	tsc_exporter_free(ex);
	CHECK(close(fd) == 0);
	if (out >= 0)
		CHECK(close(out) == 0 && close(in) == 0);
	return (double)(mono_ns() - t0) / 1e9;
}

/* Size of @name compressed by gzip -6; *@secs: how long gzip took. */
static uint64_t gzip_size(const char *name, double *secs)
{
	char cmd[sizeof(bench_dir) + 64], buf[65536];
	uint64_t total = 0, t0 = mono_ns();
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "gzip -6 -c < '%s'", bench_path(name));
	p = popen(cmd, "r");
	CHECK(p != NULL);
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		total += n;
	CHECK(pclose(p) == 0);
	*secs = (double)(mono_ns() - t0) / 1e9;
	return total;
}

static void row(const char *what, double secs, const char *extra)
{
	printf("%-13s %8.1f MB/s  %s\n", what, (double)s.len / MB / secs,
	       extra);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *tmp = getenv("TMPDIR");
	uint64_t plain, zstd, gz, in_bytes = 0;
	unsigned long mb = 32;
	char extra[128];
	double t, gz_secs;
	int c;

	while ((c = getopt_long(argc, argv, "s:", longopts, NULL)) != -1) {
		char *end;

		if (c != 's') {
			fprintf(stderr, "usage: log-throughput [--size MB]\n");
			return 2;
		}
		mb = strtoul(optarg, &end, 10);
		if (*end || mb < 1 || mb > 4096) {
			fprintf(stderr, "log-throughput: bad size\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(bench_dir, sizeof(bench_dir), "%s/tsc-log-throughput-XXXXXX",
		 tmp ? tmp : "/tmp");
	CHECK(mkdtemp(bench_dir) != NULL);
	atexit(bench_cleanup);

	generate(mb << 20);
	for (size_t i = 0; i < s.n; i++)
		if (s.hdr[i].type == TTYSCOPE_REC_IN)
			in_bytes += s.hdr[i].len;
	printf("log-throughput: %.1f MB of payload in %zu records (%.1f s "
	       "of prompts and typing, ls, make, tail -f, top), %llu "
	       "typed bytes\n",
	       (double)s.len / MB, s.n, (double)(s.ts - BASE_TS) / 1e9,
	       (unsigned long long)in_bytes);

	t = write_log("plain", 0);
	plain = file_size("plain");
	snprintf(extra, sizeof(extra), "file %.1f MB", (double)plain / MB);
	row("write plain", t, extra);
	t = write_log("zstd", TSC_LOG_ZSTD);
	zstd = file_size("zstd");
	snprintf(extra, sizeof(extra), "file %.1f MB (zstd level 3)",
		 (double)zstd / MB);
	row("write zstd", t, extra);
	row("read plain", read_log("plain"), "");
	row("read zstd", read_log("zstd"), "");

	t = export(TSC_EXPORT_ASCIICAST_V2, "v2.cast");
	snprintf(extra, sizeof(extra), "%.1f MB", file_size("v2.cast") / MB);
	row("export v2", t, extra);
	t = export(TSC_EXPORT_ASCIICAST_V3, "v3.cast");
	snprintf(extra, sizeof(extra), "%.1f MB", file_size("v3.cast") / MB);
	row("export v3", t, extra);
	t = export(TSC_EXPORT_SCRIPT, "timing");
	snprintf(extra, sizeof(extra), "%.1f MB (timing, output, input)",
		 (file_size("timing") + file_size("out") + file_size("in")) /
			 MB);
	row("export script", t, extra);

	gz = gzip_size("plain", &gz_secs);
	printf("compression of the plain log (%.1f MB): zstd log %.2f MB "
	       "(%.1f:1), gzip -6 %.2f MB (%.1f:1, %.1f MB/s); zstd log / "
	       "gzip -6 = %.2f\n",
	       (double)plain / MB, (double)zstd / MB,
	       (double)plain / (double)zstd, (double)gz / MB,
	       (double)plain / (double)gz, (double)plain / MB / gz_secs,
	       (double)zstd / (double)gz);
	free(s.data);
	free(s.hdr);
	return 0;
}
