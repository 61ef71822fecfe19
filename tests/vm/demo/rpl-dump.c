// SPDX-License-Identifier: GPL-2.0
/*
 * rpl-dump: print the records of /dev/rpl as they arrive, one line each.
 *
 * A minimal live reader for the lab demo; the ttyscope CLI does this (and
 * much more) through the daemon.
 *
 * Usage: rpl-dump [-n SECONDS] [DEVICE]
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/ttyscope.h>

static const char *const type_names[] = {
	[TTYSCOPE_REC_OPEN] = "OPEN",
	[TTYSCOPE_REC_CLOSE] = "CLOSE",
	[TTYSCOPE_REC_HANGUP] = "HANGUP",
	[TTYSCOPE_REC_IN] = "IN",
	[TTYSCOPE_REC_OUT] = "OUT",
	[TTYSCOPE_REC_WINSIZE] = "WINSIZE",
	[TTYSCOPE_REC_SESSION] = "SESSION",
	[TTYSCOPE_REC_IN_DROPPED] = "DROPPED",
	[TTYSCOPE_REC_INJECT] = "INJECT",
	[TTYSCOPE_REC_PASS] = "PASS",
	[TTYSCOPE_REC_LOSS] = "LOSS",
};

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

/* Print bytes as a C string, at most @max of them. */
static void print_bytes(const uint8_t *p, size_t n, size_t max)
{
	size_t i;

	putchar('"');
	for (i = 0; i < n && i < max; i++) {
		if (p[i] == '\n')
			fputs("\\n", stdout);
		else if (p[i] == '\r')
			fputs("\\r", stdout);
		else if (p[i] == '"' || p[i] == '\\')
			printf("\\%c", p[i]);
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			putchar(p[i]);
		else
			printf("\\x%02x", p[i]);
	}
	putchar('"');
	if (n > max)
		printf("...(+%zu)", n - max);
}

static void print_record(const uint8_t *r)
{
	uint16_t type = r[6] | r[7] << 8;
	uint32_t flags = get32(r + 8), len = get32(r + 12);
	uint64_t ts = get64(r + 32);
	const uint8_t *p = r + sizeof(struct ttyscope_rec);
	const char *name = type < sizeof(type_names) / sizeof(type_names[0]) &&
					   type_names[type] ?
				   type_names[type] :
				   "?";

	printf("%02llu:%02llu:%02llu.%03llu %3u:%-3u #%-4llu %-8s",
	       (unsigned long long)(ts / 3600000000000ULL % 24),
	       (unsigned long long)(ts / 60000000000ULL % 60),
	       (unsigned long long)(ts / 1000000000ULL % 60),
	       (unsigned long long)(ts / 1000000ULL % 1000), get32(r + 16),
	       get32(r + 20), (unsigned long long)get64(r + 24), name);
	switch (type) {
	case TTYSCOPE_REC_OPEN:
		printf("%.32s%s", (const char *)p + 8,
		       flags & TTYSCOPE_RF_ATTACHED ? " (attached)" : "");
		break;
	case TTYSCOPE_REC_WINSIZE:
		printf("%ux%u", p[2] | p[3] << 8, p[0] | p[1] << 8);
		break;
	case TTYSCOPE_REC_SESSION:
		printf("sid %u pgrp %u uid %u leader %.16s running %.16s",
		       get32(p), get32(p + 4), get32(p + 8),
		       (const char *)p + 16, (const char *)p + 32);
		break;
	case TTYSCOPE_REC_PASS:
		printf("%s by uid %u", get32(p) ? "typing allowed" : "BLOCKED",
		       get32(p + 4));
		break;
	case TTYSCOPE_REC_INJECT:
		printf("by uid %u ", get32(p));
		print_bytes(p + 8, len - 8, 60);
		break;
	case TTYSCOPE_REC_LOSS:
		printf("%llu records, %llu bytes lost",
		       (unsigned long long)get64(p),
		       (unsigned long long)get64(p + 8));
		break;
	case TTYSCOPE_REC_IN:
	case TTYSCOPE_REC_IN_DROPPED:
		if ((flags & (TTYSCOPE_RF_NOECHO | TTYSCOPE_RF_NONCANON)) ==
		    TTYSCOPE_RF_NOECHO) {
			printf("(password prompt: %u bytes hidden)", len);
			break;
		}
		/* fall through */
	case TTYSCOPE_REC_OUT:
		print_bytes(p, len, 60);
		break;
	}
	putchar('\n');
}

int main(int argc, char **argv)
{
	static uint8_t buf[1 << 16];
	const char *dev = "/dev/rpl";
	struct pollfd pfd;
	time_t end = 0;
	ssize_t n;
	int opt;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n') {
			fprintf(stderr, "usage: %s [-n SECONDS] [DEVICE]\n",
				argv[0]);
			return 2;
		}
		end = time(NULL) + atoi(optarg);
	}
	if (optind < argc)
		dev = argv[optind];
	pfd.fd = open(dev, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (pfd.fd < 0) {
		fprintf(stderr, "rpl-dump: cannot open '%s': %s\n", dev,
			strerror(errno));
		return 1;
	}
	pfd.events = POLLIN;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (!end || time(NULL) < end) {
		if (poll(&pfd, 1, 200) < 0 && errno != EINTR)
			break;
		while ((n = read(pfd.fd, buf, sizeof(buf))) > 0) {
			for (ssize_t o = 0; o < n;
			     o +=
			     sizeof(struct ttyscope_rec) + get32(buf + o + 12))
				print_record(buf + o);
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			fprintf(stderr, "rpl-dump: read: %s\n",
				strerror(errno));
			return 1;
		}
	}
	return 0;
}
