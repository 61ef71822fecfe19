// SPDX-License-Identifier: GPL-2.0-only
/*
 * Writes the deterministic inputs of the ttyscope CLI golden tests into a
 * directory: ttyscope logs (plain and zstd), a corrupt log, a file that is
 * no log, and the raw output bytes of the first session (s1.out) to
 * compare replays and exports with.
 *
 * Usage: gen-logs DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ttyscope.h"

#define SEC 1000000000ull
#define MS 1000000ull
/* 2026-01-02 03:04:05 UTC and a day later */
#define T1 (1767323045ull * SEC)
#define T2 (T1 + 86400ull * SEC)

struct ev {
	uint64_t at;
	unsigned int type;
	const char *data; /* OUT, IN: text; OPEN: tty name */
};

static const struct ev s1[] = {
	{ 0, TTYSCOPE_REC_OPEN, "pts/3" },
	{ 0, TTYSCOPE_REC_WINSIZE, NULL },
	{ 100 * MS, TTYSCOPE_REC_OUT, "\033]0;alice@host1: ~\007$ " },
	{ 1500 * MS, TTYSCOPE_REC_IN, "l" },
	{ 1500 * MS, TTYSCOPE_REC_OUT, "l" },
	{ 1700 * MS, TTYSCOPE_REC_IN, "s\r" },
	{ 1700 * MS, TTYSCOPE_REC_OUT, "s\r\n" },
	{ 1750 * MS, TTYSCOPE_REC_OUT,
	  "file1  file2  \033[1;34mdir\033[0m\r\n$ " },
	/* answer-back queries: DSR, DA, OSC 11 */
	{ 3 * SEC, TTYSCOPE_REC_OUT, "\033[6n\033[c\033]11;?\007" },
	{ 3 * SEC + 250 * MS, TTYSCOPE_REC_OUT, "h\303\251llo w\303" },
	{ 3 * SEC + 300 * MS, TTYSCOPE_REC_OUT,
	  "\266rld \342\234\223\r\nprogress 50%\rprogress 100%\r\n$ " },
	{ 14 * SEC, TTYSCOPE_REC_IN, "exit\r" },
	{ 14 * SEC, TTYSCOPE_REC_OUT, "exit\r\n" },
	{ 14 * SEC + 500 * MS, TTYSCOPE_REC_CLOSE, NULL },
};

static const struct ev s2[] = {
	{ 0, TTYSCOPE_REC_OPEN, "pts/7" },
	{ 0, TTYSCOPE_REC_WINSIZE, NULL },
	{ 10 * MS, TTYSCOPE_REC_OUT, "$ " },
	{ 2 * SEC, TTYSCOPE_REC_OUT, "grep needle haystack\r\n" },
	{ 65 * SEC, TTYSCOPE_REC_OUT, "found the needle\r\n$ " },
	{ 66 * SEC, TTYSCOPE_REC_CLOSE, NULL },
};

static void die(const char *what, int err)
{
	fprintf(stderr, "gen-logs: %s: %s\n", what, strerror(err));
	exit(1);
}

static int create(const char *dir, const char *name)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die(path, errno);
	return fd;
}

static void write_log(const char *dir, const char *name,
		      const struct tsc_log_meta *meta, unsigned int flags,
		      const struct ev *evs, size_t n, const char *garbage,
		      const char *out_name)
{
	struct tsc_log_writer_options opts = { .flags = flags };
	struct tsc_log_writer *w;
	int fd = create(dir, name), out_fd = -1, r;

	if (out_name)
		out_fd = create(dir, out_name);
	r = tsc_log_writer_new(fd, meta, &opts, &w);
	if (r < 0)
		die("tsc_log_writer_new", -r);
	for (size_t i = 0; i < n; i++) {
		struct tsc_rec_hdr hdr = {
			.magic = TTYSCOPE_REC_MAGIC,
			.version = TTYSCOPE_ABI_VERSION,
			.type = (uint16_t)evs[i].type,
			.major = meta->major,
			.minor = meta->minor,
			.seq = i,
			.ts_ns = meta->start_ns + evs[i].at,
		};
		uint8_t payload[TSC_OPEN_SIZE];
		const void *p = NULL;

		switch (evs[i].type) {
		case TTYSCOPE_REC_OPEN: {
			struct tsc_open o = { 0 };

			snprintf(o.name, sizeof(o.name), "%s", evs[i].data);
			tsc_rec_encode_open(&o, payload);
			hdr.len = TSC_OPEN_SIZE;
			p = payload;
			break;
		}
		case TTYSCOPE_REC_WINSIZE: {
			struct tsc_winsize ws = { .rows = 24, .cols = 80 };

			tsc_rec_encode_winsize(&ws, payload);
			hdr.len = TSC_WINSIZE_SIZE;
			p = payload;
			break;
		}
		case TTYSCOPE_REC_OUT:
		case TTYSCOPE_REC_IN:
			hdr.len = (uint32_t)strlen(evs[i].data);
			p = evs[i].data;
			if (out_fd >= 0 && evs[i].type == TTYSCOPE_REC_OUT &&
			    write(out_fd, p, hdr.len) != (ssize_t)hdr.len)
				die("write", errno);
			break;
		default:
			break;
		}
		r = tsc_log_writer_append(w, &hdr, p);
		if (r < 0)
			die("tsc_log_writer_append", -r);
	}
	if (garbage) {
		/* a torn-free but corrupt record: wrong magic */
		uint8_t bad[TSC_REC_HDR_SIZE];

		r = tsc_log_writer_flush(w);
		if (r < 0)
			die("tsc_log_writer_flush", -r);
		memset(bad, 0x5a, sizeof(bad));
		if (write(fd, bad, sizeof(bad)) != (ssize_t)sizeof(bad))
			die("write", errno);
	} else {
		r = tsc_log_writer_finish(w);
		if (r < 0)
			die("tsc_log_writer_finish", -r);
	}
	tsc_log_writer_free(w);
	close(fd);
	if (out_fd >= 0)
		close(out_fd);
}

int main(int argc, char **argv)
{
	static const struct tsc_log_field bash[] = { { "command", "bash" } };
	static const struct tsc_log_meta m1 = {
		.major = 136,
		.minor = 3,
		.uid = 1000,
		.start_ns = T1,
		.host = "host1",
		.tty = "pts/3",
		.user = "alice",
		.n_fields = 1,
		.fields = bash,
		.file_id = { 1 },
	};
	static const struct tsc_log_meta m2 = {
		.major = 136,
		.minor = 7,
		.uid = 1001,
		.start_ns = T2,
		.host = "host1",
		.tty = "pts/7",
		.user = "bob",
		.file_id = { 2 },
	};
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: gen-logs DIR\n");
		return 2;
	}
	write_log(argv[1], "s1.tsl", &m1, 0, s1, sizeof(s1) / sizeof(s1[0]),
		  NULL, "s1.out");
	write_log(argv[1], "s2.tsl", &m2, TSC_LOG_ZSTD, s2,
		  sizeof(s2) / sizeof(s2[0]), NULL, NULL);
	write_log(argv[1], "corrupt.tsl", &m1, 0, s1, 4, "garbage", NULL);
	fd = create(argv[1], "notalog.txt");
	if (write(fd, "hello\n", 6) != 6)
		die("write", errno);
	close(fd);
	return 0;
}
