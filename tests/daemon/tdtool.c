// SPDX-License-Identifier: GPL-2.0-only
/*
 * tdtool: helper of the ttyscoped tests.
 *
 *   tdtool gen              records from text lines on stdin to stdout
 *   tdtool dump LOG         a log file's header and records as text
 *   tdtool client SOCK CMD… speak the protocol (docs/PROTOCOL.md)
 *
 * gen lines: "open M:N NAME", "winsize M:N ROWS COLS", "session M:N SID
 * UID COMM", "in M:N FLAGS TEXT", "out M:N TEXT", "outn M:N COUNT SIZE",
 * "pass M:N PASS UID", "hangup M:N", "close M:N", "skip M:N COUNT" (COUNT
 * sequence numbers left out, as if the device lost them); TEXT takes \r
 * \n \\ \xHH. Sequence numbers are per tty, kept across runs in $TDSTATE
 * if set. The Nth record generated (counted across runs with $TDSTATE)
 * is stamped $TDTIME (seconds since the epoch, default 1700000000) plus
 * N ms. "session" takes an optional FG_COMM after COMM (default COMM);
 * both take the escapes of TEXT.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "tsc-proto.h"
#include "ttyscope.h"

static void die(const char *what, int err)
{
	fprintf(stderr, "tdtool: %s: %s\n", what, strerror(err));
	exit(2);
}

static void write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE || errno == ECONNRESET)
				return; /* the daemon hung up: read why */
			die("write", errno);
		}
		p += n;
		len -= (size_t)n;
	}
}

/* Decode \r \n \\ \e \xHH; returns the length. */
static size_t unescape(const char *s, uint8_t *out)
{
	size_t n = 0;

	for (; *s; s++) {
		if (*s != '\\' || !s[1]) {
			out[n++] = (uint8_t)*s;
			continue;
		}
		switch (*++s) {
		case 'r':
			out[n++] = '\r';
			break;
		case 'n':
			out[n++] = '\n';
			break;
		case 'e':
			out[n++] = 0x1b;
			break;
		case 's':
			out[n++] = ' ';
			break;
		case 'x': {
			char h[3] = { s[1], s[1] ? s[2] : 0, 0 };

			out[n++] = (uint8_t)strtoul(h, NULL, 16);
			s += 2;
			break;
		}
		default:
			out[n++] = (uint8_t)*s;
			break;
		}
	}
	return n;
}

static void print_escaped(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			putchar(p[i]);
		else if (p[i] == '\r')
			fputs("\\r", stdout);
		else if (p[i] == '\n')
			fputs("\\n", stdout);
		else
			printf("\\x%02x", p[i]);
	}
}

/* ---- gen ---------------------------------------------------------------- */

static struct {
	unsigned int major, minor;
	uint64_t seq;
} seqs[256];
static size_t nseqs;
static uint64_t ts_counter;
static uint64_t base_s = 1700000000ull;

static uint64_t *seq_of(unsigned int major, unsigned int minor)
{
	for (size_t i = 0; i < nseqs; i++)
		if (seqs[i].major == major && seqs[i].minor == minor)
			return &seqs[i].seq;
	if (nseqs == 256)
		die("too many ttys", E2BIG);
	seqs[nseqs].major = major;
	seqs[nseqs].minor = minor;
	seqs[nseqs].seq = 0;
	return &seqs[nseqs++].seq;
}

static void state_io(int save)
{
	const char *path = getenv("TDSTATE");
	FILE *f;

	if (!path)
		return;
	f = fopen(path, save ? "w" : "r");
	if (!f)
		return;
	if (save) {
		fprintf(f, "ts %" PRIu64 "\n", ts_counter);
		for (size_t i = 0; i < nseqs; i++)
			fprintf(f, "%u %u %" PRIu64 "\n", seqs[i].major,
				seqs[i].minor, seqs[i].seq);
	} else {
		unsigned int ma, mi;
		uint64_t s;

		if (fscanf(f, "ts %" SCNu64 "\n", &ts_counter) != 1)
			ts_counter = 0;
		while (fscanf(f, "%u %u %" SCNu64 "\n", &ma, &mi, &s) == 3)
			*seq_of(ma, mi) = s;
	}
	fclose(f);
}

static void emit(unsigned int type, unsigned int major, unsigned int minor,
		 uint32_t flags, const void *payload, size_t len)
{
	uint8_t buf[TSC_REC_MAX_SIZE];
	uint64_t *seq = seq_of(major, minor);
	struct tsc_rec_hdr h = {
		.type = (uint16_t)type,
		.flags = flags,
		.len = (uint32_t)len,
		.major = major,
		.minor = minor,
	};
	int n;

	if (type == TTYSCOPE_REC_OPEN)
		*seq = 0;
	h.seq = (*seq)++;
	h.ts_ns = base_s * 1000000000ull + ++ts_counter * 1000000ull;
	n = tsc_rec_encode(&h, payload, buf, sizeof(buf));
	if (n < 0)
		die("encode", -n);
	write_all(STDOUT_FILENO, buf, (size_t)n);
}

static int cmd_gen(void)
{
	char line[8192], verb[32], text[8192];
	uint8_t p[TSC_REC_MAX_SIZE];
	unsigned int ma, mi, a, b;

	if (getenv("TDTIME"))
		base_s = strtoull(getenv("TDTIME"), NULL, 10);
	state_io(0);
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		text[0] = '\0';
		if (sscanf(line, "%31s %u:%u", verb, &ma, &mi) != 3)
			continue;
		if (!strcmp(verb, "open")) {
			struct tsc_open o = { .kind = 1 };

			sscanf(line, "%*s %*s %32s", o.name);
			tsc_rec_encode_open(&o, p);
			emit(TTYSCOPE_REC_OPEN, ma, mi, 0, p, TSC_OPEN_SIZE);
		} else if (!strcmp(verb, "winsize")) {
			struct tsc_winsize w = { 0 };

			sscanf(line, "%*s %*s %u %u", &a, &b);
			w.rows = (uint16_t)a;
			w.cols = (uint16_t)b;
			tsc_rec_encode_winsize(&w, p);
			emit(TTYSCOPE_REC_WINSIZE, ma, mi, 0, p,
			     TSC_WINSIZE_SIZE);
		} else if (!strcmp(verb, "session")) {
			struct tsc_session s = { .loginuid = 0xffffffffu };
			char comm[128] = "", fg[128] = "";
			uint8_t raw[128];
			size_t n;

			/* COMM and FG_COMM take escapes, as TEXT does */
			if (sscanf(line, "%*s %*s %u %u %127s %127s", &s.sid,
				   &s.uid, comm, fg) < 4)
				strcpy(fg, comm);
			n = unescape(comm, raw);
			memcpy(s.comm, raw, n < 16 ? n : 16);
			n = unescape(fg, raw);
			memcpy(s.fg_comm, raw, n < 16 ? n : 16);
			s.pgrp = s.sid;
			tsc_rec_encode_session(&s, p);
			emit(TTYSCOPE_REC_SESSION, ma, mi, 0, p,
			     TSC_SESSION_SIZE);
		} else if (!strcmp(verb, "in")) {
			sscanf(line, "%*s %*s %u %8191s", &a, text);
			emit(TTYSCOPE_REC_IN, ma, mi, a, p, unescape(text, p));
		} else if (!strcmp(verb, "out")) {
			sscanf(line, "%*s %*s %8191s", text);
			emit(TTYSCOPE_REC_OUT, ma, mi, 0, p, unescape(text, p));
		} else if (!strcmp(verb, "outn")) {
			sscanf(line, "%*s %*s %u %u", &a, &b);
			memset(p, 'x', b);
			for (unsigned int i = 0; i < a; i++)
				emit(TTYSCOPE_REC_OUT, ma, mi, 0, p, b);
		} else if (!strcmp(verb, "pass")) {
			struct tsc_pass ps;

			sscanf(line, "%*s %*s %u %u", &ps.pass,
			       &ps.operator_uid);
			tsc_rec_encode_pass(&ps, p);
			emit(TTYSCOPE_REC_PASS, ma, mi, 0, p, TSC_PASS_SIZE);
		} else if (!strcmp(verb, "hangup")) {
			emit(TTYSCOPE_REC_HANGUP, ma, mi, 0, NULL, 0);
		} else if (!strcmp(verb, "skip")) {
			sscanf(line, "%*s %*s %u", &a);
			*seq_of(ma, mi) += a;
		} else if (!strcmp(verb, "close")) {
			emit(TTYSCOPE_REC_CLOSE, ma, mi, 0, NULL, 0);
		} else {
			fprintf(stderr, "tdtool: bad line '%s'\n", line);
			return 2;
		}
	}
	state_io(1);
	return 0;
}

/* ---- printing records ------------------------------------------------- */

static void print_rec(const struct tsc_rec *r)
{
	const struct tsc_rec_hdr *h = &r->hdr;
	const char *name = tsc_rec_type_name(h->type);
	struct tsc_session s;
	struct tsc_winsize w;
	struct tsc_open o;
	struct tsc_loss l;
	struct tsc_pass ps;

	if (h->type == TSC_MSG_SYNC)
		name = "SYNC";
	if (h->type == TSC_MSG_USER) {
		struct tsc_proto_msg m;

		if (tsc_proto_parse(r->raw, TSC_REC_HDR_SIZE + h->len, &m) > 0)
			printf("USER uid=%u name=%s\n", m.user.uid,
			       m.user.name);
		else
			printf("USER malformed\n");
		return;
	}
	if (name)
		printf("%s %u:%u seq=%" PRIu64, name, h->major, h->minor,
		       h->seq);
	else
		printf("type%u %u:%u seq=%" PRIu64, h->type, h->major, h->minor,
		       h->seq);
	if (h->flags)
		printf(" flags=%u", h->flags);
	switch (h->type) {
	case TTYSCOPE_REC_OPEN:
		if (tsc_rec_decode_open(r, &o) == 0)
			printf(" %s", o.name);
		break;
	case TTYSCOPE_REC_WINSIZE:
		if (tsc_rec_decode_winsize(r, &w) == 0)
			printf(" %ux%u", w.rows, w.cols);
		break;
	case TTYSCOPE_REC_SESSION:
		if (tsc_rec_decode_session(r, &s) == 0)
			printf(" sid=%u uid=%u %s", s.sid, s.uid, s.comm);
		break;
	case TTYSCOPE_REC_PASS:
		if (tsc_rec_decode_pass(r, &ps) == 0)
			printf(" pass=%u operator=%u", ps.pass,
			       ps.operator_uid);
		break;
	case TTYSCOPE_REC_LOSS:
		if (tsc_rec_decode_loss(r, &l) == 0)
			printf(" records=%" PRIu64 " bytes=%" PRIu64, l.records,
			       l.bytes);
		break;
	case TTYSCOPE_REC_IN:
	case TTYSCOPE_REC_OUT:
	case TTYSCOPE_REC_IN_DROPPED:
		putchar(' ');
		if (h->len > 64) {
			printf("len=%u", h->len);
			break;
		}
		print_escaped(r->payload, h->len);
		break;
	default:
		break;
	}
	putchar('\n');
}

static int cmd_dump(const char *path)
{
	struct tsc_log_reader *lr;
	const struct tsc_log_meta *m;
	struct tsc_log_stats st;
	struct tsc_rec rec;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		die(path, errno);
	r = tsc_log_reader_new(fd, &lr);
	if (r < 0)
		die("log reader", -r);
	m = tsc_log_reader_meta(lr);
	printf("log %u:%u uid=%u user=%s tty=%s\n", m->major, m->minor, m->uid,
	       m->user ? m->user : "", m->tty ? m->tty : "");
	while ((r = tsc_log_reader_next(lr, &rec)) == 1)
		print_rec(&rec);
	if (r < 0)
		die("log read", -r);
	if (tsc_log_reader_stats(lr, &st) == 0)
		printf("closed=%d\n", st.closed);
	tsc_log_reader_free(lr);
	close(fd);
	return 0;
}

/* ---- client ----------------------------------------------------------- */

static int sock;
static struct tsc_reader *rd;
static uint64_t next_id = 1;

/* Next message; exits 3 on timeout or end. */
static void next_msg(struct tsc_proto_msg *m)
{
	struct tsc_rec rec;
	int r = tsc_reader_next(rd, &rec);

	if (r == 0) {
		printf("EOF\n");
		exit(3);
	}
	if (r < 0) {
		printf("ERROR %s\n", strerror(-r));
		exit(3);
	}
	if (tsc_proto_parse(rec.raw, TSC_REC_HDR_SIZE + rec.hdr.len, m) < 0) {
		printf("BAD message\n");
		exit(3);
	}
}

static void request(uint32_t verb, uint32_t flags, unsigned int ma,
		    unsigned int mi, const void *args, size_t len)
{
	struct tsc_proto_request q = {
		.id = next_id++,
		.verb = verb,
		.flags = flags,
		.major = ma,
		.minor = mi,
		.args = args,
		.len = len,
	};
	uint8_t buf[TSC_REC_MAX_SIZE];
	int n = tsc_proto_encode_request(&q, 0, buf, sizeof(buf));

	if (n < 0)
		die("encode", -n);
	write_all(sock, buf, (size_t)n);
}

/* Wait for the reply to the last request, printing records before it. */
static void wait_reply(struct tsc_proto_msg *m)
{
	for (;;) {
		next_msg(m);
		if (m->type != TSC_MSG_REPLY) {
			print_rec(&m->rec);
			continue;
		}
		if (m->reply.id != next_id - 1 && m->reply.id != 0)
			continue;
		printf("reply %s error=%u",
		       tsc_proto_verb_name(m->reply.verb) ?: "?",
		       m->reply.error);
		if (m->reply.error)
			printf(" (%s)", strerror((int)m->reply.error));
		return;
	}
}

/* A stream connection to the unix socket @path; dies if it fails. */
static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect", errno);
	return fd;
}

static int cmd_client(int argc, char **argv)
{
	struct timeval tv = { .tv_sec = 5 };
	struct tsc_proto_hello h = { .version = TSC_PROTO_VERSION };
	struct tsc_proto_msg m;
	uint8_t buf[TSC_REC_MAX_SIZE];
	int i = 1, n;

	sock = connect_to(argv[0]);
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (tsc_reader_new(sock, NULL, &rd) < 0)
		die("reader", ENOMEM);
	next_msg(&m);
	if (m.type == TSC_MSG_REPLY) {
		printf("refused error=%u (%s)\n", m.reply.error,
		       strerror((int)m.reply.error));
		return 1;
	}
	if (m.type != TSC_MSG_HELLO)
		die("no HELLO", EPROTO);
	printf("hello version=%u uid=%u\n", m.hello.version, m.hello.uid);
	/* the daemon names its host right after its HELLO */
	next_msg(&m);
	if (m.type != TSC_MSG_HOST)
		die("no HOST after HELLO", EPROTO);
	if (i < argc && !strcmp(argv[i], "host")) {
		printf("host=%s\n", m.host.name);
		i++;
	}
	if (i < argc && !strcmp(argv[i], "badhello")) {
		h.version = 99;
		i++;
	}
	if (i < argc && !strcmp(argv[i], "garbage")) {
		write_all(sock, "garbage garbage garbage garbage garbage!!",
			  41);
		wait_reply(&m);
		putchar('\n');
		next_msg(&m);
		return 0;
	}
	snprintf(h.name, sizeof(h.name), "tdtool");
	n = tsc_proto_encode_hello(&h, 0, buf, sizeof(buf));
	write_all(sock, buf, (size_t)n);
	for (; i < argc; i++) {
		const char *c = argv[i];
		unsigned int ma = 0, mi = 0;
		uint8_t arg[8192];
		size_t len = 0;
		int verb = tsc_proto_verb_from_name(c);

		if (!strcmp(c, "sleep")) {
			sleep((unsigned int)atoi(argv[++i]));
			continue;
		}
		if (!strcmp(c, "stall")) {
			/* subscribe, read nothing for a while, then drain */
			unsigned long total = 0;

			request(TSC_VERB_SUBSCRIBE, TSC_SUB_ALL, 0, 0, NULL, 0);
			printf("stalling\n");
			sleep((unsigned int)atoi(argv[++i]));
			tv.tv_sec = 2;
			setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv,
				   sizeof(tv));
			for (;;) {
				struct tsc_rec rec;

				if (tsc_reader_next(rd, &rec) != 1)
					break;
				total++;
				if (rec.hdr.type == TTYSCOPE_REC_LOSS)
					print_rec(&rec);
			}
			printf("received=%s\n", total ? "some" : "none");
			return 0;
		}
		if (!strcmp(c, "sub")) {
			const char *what = argv[++i];
			int count = atoi(argv[++i]);

			if (strcmp(what, "all") == 0)
				request(TSC_VERB_SUBSCRIBE, TSC_SUB_ALL, 0, 0,
					NULL, 0);
			else if (sscanf(what, "%u:%u", &ma, &mi) == 2)
				request(TSC_VERB_SUBSCRIBE, 0, ma, mi, NULL, 0);
			wait_reply(&m);
			putchar('\n');
			fflush(stdout);
			for (int k = 0; k < count; k++) {
				next_msg(&m);
				print_rec(&m.rec);
				fflush(stdout);
			}
			continue;
		}
		if (verb < 0) {
			fprintf(stderr, "tdtool: unknown command %s\n", c);
			return 2;
		}
		if (verb == TSC_VERB_ATTACH) {
			len = strlen(argv[++i]);
			memcpy(arg, argv[i], len);
		} else if (verb != TSC_VERB_LIST && verb != TSC_VERB_STATS &&
			   verb != TSC_VERB_UNSUBSCRIBE) {
			if (sscanf(argv[++i], "%u:%u", &ma, &mi) != 2)
				die("tty", EINVAL);
		}
		if (verb == TSC_VERB_INJECT || verb == TSC_VERB_MESSAGE)
			len = unescape(argv[++i], arg);
		request((uint32_t)verb, 0, ma, mi, arg, len);
		wait_reply(&m);
		if (verb == TSC_VERB_INJECT && m.reply.len == 4)
			printf(" accepted=%u",
			       m.reply.data[0] | m.reply.data[1] << 8);
		if (verb == TSC_VERB_ATTACH && m.reply.len == 8)
			printf(" tty=%u:%u", m.reply.data[0], m.reply.data[4]);
		putchar('\n');
		if (verb == TSC_VERB_STATS && m.reply.len >= 64) {
			struct tsc_proto_stats s;

			tsc_proto_decode_stats(m.reply.data, m.reply.len, &s);
			printf("stats records=%" PRIu64
			       " ttys=%u clients=%u client_lost=%s\n",
			       s.records, s.ttys, s.clients,
			       s.client_lost ? "yes" : "no");
		}
		while (verb == TSC_VERB_LIST) {
			for (size_t k = 0;
			     k + TSC_PROTO_TTY_SIZE <= m.reply.len;
			     k += TSC_PROTO_TTY_SIZE) {
				struct tsc_proto_tty t;

				tsc_proto_decode_tty(m.reply.data + k,
						     TSC_PROTO_TTY_SIZE, &t);
				printf("tty %u:%u %s pass=%u uid=%u %s %ux%u records=%" PRIu64
				       "\n",
				       t.major, t.minor, t.name, t.pass, t.uid,
				       t.comm, t.rows, t.cols, t.records);
			}
			if (!m.reply.more)
				break;
			next_msg(&m);
		}
		fflush(stdout);
	}
	return 0;
}

/*
 * fuzz SOCK N: N connections, each sending a HELLO (or not), then records
 * with random verbs, flags, ttys and arguments, some with a corrupted
 * byte, some plain random bytes; reads nothing back.
 */
static int cmd_fuzz(const char *path, int n)
{
	uint64_t st = 12345;
	uint8_t buf[TSC_REC_MAX_SIZE], args[TSC_REQUEST_ARGS_MAX];

	for (int i = 0; i < n; i++) {
		struct tsc_proto_hello h = { .version = TSC_PROTO_VERSION };
		int fd = connect_to(path), len;

		sock = fd;
		st = st * 6364136223846793005ull + 1442695040888963407ull;
		if (st >> 60) {
			len = tsc_proto_encode_hello(&h, 0, buf, sizeof(buf));
			write_all(fd, buf, (size_t)len);
		}
		for (int k = 0; k < 50; k++) {
			struct tsc_proto_request q;

			st = st * 6364136223846793005ull +
			     1442695040888963407ull;
			q.id = st >> 40;
			q.verb = (uint32_t)(st >> 33) % 13;
			/* attach opens paths: keep its argument harmless */
			if (q.verb == TSC_VERB_ATTACH)
				q.verb = TSC_VERB_STATS;
			q.flags = (st >> 20) & 1 ? 0 : (uint32_t)(st >> 25) % 3;
			q.major = (st >> 10) & 1 ? 136 : (uint32_t)st;
			q.minor = (st >> 11) & 1 ? 5 : (uint32_t)(st >> 3);
			q.len = (size_t)(st >> 45) % 64;
			for (size_t b = 0; b < q.len; b++)
				args[b] = (uint8_t)(st >> (b % 56));
			q.args = args;
			len = tsc_proto_encode_request(&q, 0, buf, sizeof(buf));
			if ((st >> 7) % 8 == 0)
				buf[(st >> 16) % (uint64_t)len] ^= 0x5a;
			if ((st >> 9) % 16 == 0)
				for (int b = 0; b < len; b++)
					buf[b] = (uint8_t)(st >> (b % 60));
			write_all(fd, buf, (size_t)len);
		}
		close(fd);
	}
	return 0;
}

/*
 * race SOCK: wait (spinning, up to 10 s) for SOCK to appear as a socket,
 * then connect at once. A daemon that binds where clients look before it
 * listens refuses this connection.
 */
static int cmd_race(const char *path)
{
	struct timespec t0, t;
	struct stat st;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (stat(path, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 10)
			die("no socket appeared", ETIMEDOUT);
	}
	close(connect_to(path));
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && !strcmp(argv[1], "gen"))
		return cmd_gen();
	if (argc >= 3 && !strcmp(argv[1], "dump"))
		return cmd_dump(argv[2]);
	if (argc >= 4 && !strcmp(argv[1], "fuzz"))
		return cmd_fuzz(argv[2], atoi(argv[3]));
	if (argc >= 3 && !strcmp(argv[1], "race"))
		return cmd_race(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "client"))
		return cmd_client(argc - 2, argv + 2);
	fprintf(stderr,
		"usage: tdtool gen | dump LOG | race SOCK | client SOCK CMD...\n");
	return 2;
}
