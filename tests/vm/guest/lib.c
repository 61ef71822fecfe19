// SPDX-License-Identifier: GPL-2.0
/*
 * ttyscope lab: helpers shared by the guest test programs. See lib.h.
 */
#include "lib.h"

#include <ctype.h>
#include <endian.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *t_name = "test";
static unsigned int t_timeout;
static pid_t t_main_pid;
static pid_t t_children[64];
static int t_nchildren;

void t_track_child(pid_t pid)
{
	if (t_nchildren < (int)ARRAY_SIZE(t_children))
		t_children[t_nchildren++] = pid;
}

static void t_kill_children(void)
{
	if (getpid() != t_main_pid)
		return;
	for (int i = 0; i < t_nchildren; i++)
		kill(t_children[i], SIGKILL);
	/* and everything else in our process group, but not ourselves */
	signal(SIGTERM, SIG_IGN);
	kill(0, SIGTERM);
}

/* ---- reporting ---------------------------------------------------------- */

static void t_die(void) __attribute__((noreturn));

static void t_die(void)
{
	fflush(stdout);
	fflush(stderr);
	/* Children of a failed test must not disturb the next one. */
	t_kill_children();
	_exit(1);
}

static void t_watchdog(int sig)
{
	char msg[160];
	int n;

	(void)sig;
	n = snprintf(msg, sizeof(msg),
		     "FAIL %s: watchdog: still running after %u s (hang?)\n",
		     t_name, t_timeout);
	if (write(STDOUT_FILENO, msg, n) < 0)
		_exit(1);
	t_kill_children();
	_exit(1);
}

static void t_sigterm(int sig)
{
	static const char msg[] =
		"FAIL: killed by SIGTERM (harness timeout?)\n";

	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(143);
	t_kill_children();
	_exit(143);
}

void t_init(const char *name, unsigned int timeout_s)
{
	t_name = name;
	setvbuf(stdout, NULL, _IOLBF, 0);
	setvbuf(stderr, NULL, _IONBF, 0);
	signal(SIGPIPE, SIG_IGN);
	/* Own process group, so a failure can take its children down. */
	setpgid(0, 0);
	t_main_pid = getpid();
	signal(SIGTERM, t_sigterm);
	t_timeout = timeout_s;
	if (timeout_s) {
		signal(SIGALRM, t_watchdog);
		alarm(timeout_s);
	}
	t_log("start (pid %d)", (int)getpid());
}

void t_log(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printf("[%s] %s\n", t_name, line);
}

/* The random seed of this test (t_seed()), repeated with a failure. */
static bool t_have_seed;
static uint64_t t_the_seed;

void t_fail_at(const char *file, int line, const char *fmt, ...)
{
	static atomic_int dying;
	char msg[2048];
	va_list ap;

	/* one verdict per process: other failing threads wait for the end */
	if (atomic_exchange(&dying, 1))
		for (;;)
			pause();

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("FAIL %s (pid %d) %s:%d: %s\n", t_name, (int)getpid(), file,
	       line, msg);
	if (t_have_seed)
		printf("FAIL %s: rerun with TTYSCOPE_SEED=0x%" PRIx64 "\n",
		       t_name, t_the_seed);
	t_die();
}

void t_check_failed(const char *file, int line, const char *cond,
		    const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	t_fail_at(file, line, "%s [check: %s]", msg, cond);
}

void t_pass(void)
{
	printf("PASS %s\n", t_name);
	fflush(stdout);
	_exit(0);
}

void t_skip(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("SKIP %s: %s\n", t_name, msg);
	fflush(stdout);
	_exit(77);
}

const char *errname(int err)
{
	const char *n = err ? strerrorname_np(err) : "0";

	return n ? n : "E???";
}

void t_expect_errno(const char *file, int line, long ret, int err, int want,
		    const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (ret != -1 || err != want) {
		if (ret == -1)
			t_fail_at(file, line,
				  "%s: expected -1/%s, got -1/%s (%s)", what,
				  errname(want), errname(err), strerror(err));
		t_fail_at(file, line, "%s: expected -1/%s, got %ld (success)",
			  what, errname(want), ret);
	}
	t_log("ok: %s -> %s", what, errname(want));
}

void t_expect_ok(const char *file, int line, long ret, int err, const char *fmt,
		 ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (ret < 0)
		t_fail_at(file, line, "%s: expected success, got %ld/%s (%s)",
			  what, ret, errname(err), strerror(err));
	t_log("ok: %s -> %ld", what, ret);
}

/* ---- time, PRNG, buffers -------------------------------------------------- */

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t rng_below(struct rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}

void rng_bytes(struct rng *r, void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n >= 8) {
		uint64_t v = rng_next(r);

		memcpy(p, &v, 8);
		p += 8;
		n -= 8;
	}
	if (n) {
		uint64_t v = rng_next(r);

		memcpy(p, &v, n);
	}
}

unsigned long env_uint(const char *name, unsigned long def)
{
	const char *s = getenv(name);
	char *end;
	unsigned long v;

	if (!s || !*s)
		return def;
	v = strtoul(s, &end, 0);
	if (*end)
		FAIL("environment %s=%s is not a number", name, s);
	return v;
}

uint64_t t_seed(void)
{
	const char *s = getenv("TTYSCOPE_SEED");
	uint64_t seed;

	if (s && *s)
		seed = strtoull(s, NULL, 0);
	else
		seed = real_ns() ^ ((uint64_t)getpid() << 32);
	t_log("seed 0x%016" PRIx64 " (rerun with TTYSCOPE_SEED=0x%" PRIx64 ")",
	      seed, seed);
	t_the_seed = seed;
	t_have_seed = true;
	return seed;
}

void buf_reserve(struct buf *b, size_t n)
{
	size_t cap;

	if (b->len + n <= b->cap)
		return;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n)
		cap *= 2;
	b->p = realloc(b->p, cap);
	if (!b->p)
		FAIL("out of memory (%zu bytes)", cap);
	b->cap = cap;
}

void buf_append(struct buf *b, const void *data, size_t n)
{
	if (!n)
		return;
	buf_reserve(b, n);
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

void buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void hexdump(const char *prefix, const void *buf, size_t len, size_t base)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i < len; i += 16) {
		char hex[16 * 3 + 1] = "", asc[17] = "";
		size_t j;

		for (j = 0; j < 16 && i + j < len; j++) {
			sprintf(hex + j * 3, "%02x ", p[i + j]);
			asc[j] = isprint(p[i + j]) ? p[i + j] : '.';
		}
		asc[j] = 0;
		printf("%s%08zx  %-48s |%s|\n", prefix, base + i, hex, asc);
	}
}

const char *printable(const void *buf, size_t len)
{
	static __thread char out[256];
	const uint8_t *p = buf;
	size_t o = 0;

	for (size_t i = 0; i < len && o < sizeof(out) - 8; i++) {
		if (p[i] == '\n')
			o += sprintf(out + o, "\\n");
		else if (p[i] == '\r')
			o += sprintf(out + o, "\\r");
		else if (p[i] == '"' || p[i] == '\\')
			o += sprintf(out + o, "\\%c", p[i]);
		else if (isprint(p[i]))
			out[o++] = p[i];
		else
			o += sprintf(out + o, "\\x%02x", p[i]);
	}
	if (o >= sizeof(out) - 8)
		o += sprintf(out + o, "...");
	out[o] = 0;
	return out;
}

bool bytes_diff(const char *what, const void *got, size_t got_len,
		const void *exp, size_t exp_len)
{
	const uint8_t *g = got, *e = exp;
	size_t n = MIN(got_len, exp_len), i, from, ctx = 48;

	for (i = 0; i < n; i++)
		if (g[i] != e[i])
			break;
	if (i == n && got_len == exp_len)
		return true;
	printf("[%s] MISMATCH %s: got %zu bytes, expected %zu bytes; ", t_name,
	       what, got_len, exp_len);
	if (i < n)
		printf("first difference at offset %zu (got 0x%02x, expected 0x%02x)\n",
		       i, g[i], e[i]);
	else
		printf("equal up to offset %zu, then the %s one ends\n", i,
		       got_len < exp_len ? "captured" : "expected");
	from = i > ctx ? i - ctx : 0;
	printf("[%s]   got      [%zu..):\n", t_name, from);
	hexdump("[got]  ", g + from, MIN(got_len - MIN(from, got_len), 2 * ctx),
		from);
	printf("[%s]   expected [%zu..):\n", t_name, from);
	hexdump("[exp]  ", e + from, MIN(exp_len - MIN(from, exp_len), 2 * ctx),
		from);
	return false;
}

/* ---- records ------------------------------------------------------------ */

const char *rec_type_name(unsigned int type)
{
	static const char *const names[] = {
		[TTYSCOPE_REC_OPEN] = "OPEN",
		[TTYSCOPE_REC_CLOSE] = "CLOSE",
		[TTYSCOPE_REC_HANGUP] = "HANGUP",
		[TTYSCOPE_REC_IN] = "IN",
		[TTYSCOPE_REC_OUT] = "OUT",
		[TTYSCOPE_REC_WINSIZE] = "WINSIZE",
		[TTYSCOPE_REC_SESSION] = "SESSION",
		[TTYSCOPE_REC_IN_DROPPED] = "IN_DROPPED",
		[TTYSCOPE_REC_INJECT] = "INJECT",
		[TTYSCOPE_REC_PASS] = "PASS",
		[TTYSCOPE_REC_LOSS] = "LOSS",
	};

	if (type < ARRAY_SIZE(names) && names[type])
		return names[type];
	return "?";
}

void rec_decode(const void *raw, struct trec *out)
{
	struct ttyscope_rec h;

	memcpy(&h, raw, sizeof(h));
	out->version = le16toh(h.version);
	out->type = le16toh(h.type);
	out->flags = le32toh(h.flags);
	out->len = le32toh(h.len);
	out->major = le32toh(h.major);
	out->minor = le32toh(h.minor);
	out->seq = le64toh(h.seq);
	out->ts_ns = le64toh(h.ts_ns);
	out->p = (const uint8_t *)raw + REC_HDR;
}

const char *rec_check(const void *raw, size_t avail, size_t *reclen)
{
	static __thread char why[256];
	struct ttyscope_rec h;
	struct trec r;
	uint32_t flags_ok = 0;
	long want = -1, min = 0;

	if (avail < REC_HDR) {
		snprintf(why, sizeof(why),
			 "only %zu bytes left, less than a header", avail);
		return why;
	}
	memcpy(&h, raw, sizeof(h));
	rec_decode(raw, &r);
	if (le32toh(h.magic) != TTYSCOPE_REC_MAGIC) {
		snprintf(why, sizeof(why), "bad magic 0x%08x",
			 le32toh(h.magic));
		return why;
	}
	if (r.version != TTYSCOPE_ABI_VERSION) {
		snprintf(why, sizeof(why), "version %u, expected %u", r.version,
			 TTYSCOPE_ABI_VERSION);
		return why;
	}
	if (r.type < TTYSCOPE_REC_OPEN || r.type > TTYSCOPE_REC_LOSS) {
		snprintf(why, sizeof(why), "unknown type %u", r.type);
		return why;
	}
	if (r.len > TTYSCOPE_MAX_PAYLOAD) {
		snprintf(why, sizeof(why), "%s len %u > TTYSCOPE_MAX_PAYLOAD",
			 rec_type_name(r.type), r.len);
		return why;
	}
	if (avail < REC_HDR + r.len) {
		snprintf(
			why, sizeof(why),
			"%s record of %zu bytes but only %zu bytes left (split record)",
			rec_type_name(r.type), REC_HDR + r.len, avail);
		return why;
	}
	switch (r.type) {
	case TTYSCOPE_REC_OPEN:
		want = sizeof(struct ttyscope_rec_open);
		flags_ok = TTYSCOPE_RF_ATTACHED;
		break;
	case TTYSCOPE_REC_CLOSE:
		want = 0;
		flags_ok = TTYSCOPE_RF_ATTACHED;
		break;
	case TTYSCOPE_REC_HANGUP:
		want = 0;
		break;
	case TTYSCOPE_REC_IN:
	case TTYSCOPE_REC_IN_DROPPED:
		min = 1;
		flags_ok = TTYSCOPE_RF_NOECHO | TTYSCOPE_RF_NONCANON;
		break;
	case TTYSCOPE_REC_OUT:
		min = 1;
		break;
	case TTYSCOPE_REC_WINSIZE:
		want = sizeof(struct ttyscope_rec_winsize);
		break;
	case TTYSCOPE_REC_SESSION:
		want = sizeof(struct ttyscope_rec_session);
		break;
	case TTYSCOPE_REC_INJECT:
		min = sizeof(struct ttyscope_rec_inject) + 1;
		flags_ok = TTYSCOPE_RF_NOECHO | TTYSCOPE_RF_NONCANON;
		break;
	case TTYSCOPE_REC_PASS:
		want = sizeof(struct ttyscope_rec_pass);
		break;
	case TTYSCOPE_REC_LOSS:
		want = sizeof(struct ttyscope_rec_loss);
		break;
	}
	if ((want >= 0 && r.len != (uint32_t)want) || r.len < (uint32_t)min) {
		snprintf(why, sizeof(why),
			 "%s with payload length %u (expected %s%ld)",
			 rec_type_name(r.type), r.len,
			 want >= 0 ? "" : ">= ", want >= 0 ? want : min);
		return why;
	}
	if (r.flags & ~flags_ok) {
		snprintf(why, sizeof(why), "%s with undefined flags 0x%x",
			 rec_type_name(r.type), r.flags);
		return why;
	}
	if (r.ts_ns < 1500000000ull * 1000000000ull ||
	    r.ts_ns > real_ns() + 10ull * 1000000000ull) {
		snprintf(why, sizeof(why), "%s with implausible ts_ns %" PRIu64,
			 rec_type_name(r.type), r.ts_ns);
		return why;
	}
	if (r.type == TTYSCOPE_REC_LOSS) {
		struct ttyscope_rec_loss l;

		memcpy(&l, r.p, sizeof(l));
		if (r.major || r.minor) {
			snprintf(why, sizeof(why), "LOSS names tty %u:%u",
				 r.major, r.minor);
			return why;
		}
		if (!le64toh(l.records)) {
			snprintf(why, sizeof(why), "LOSS of 0 records");
			return why;
		}
	} else if (r.major == 0 && r.minor == 0) {
		snprintf(why, sizeof(why), "%s names tty 0:0",
			 rec_type_name(r.type));
		return why;
	}
	if (r.type == TTYSCOPE_REC_OPEN) {
		struct ttyscope_rec_open o;
		size_t nl;

		memcpy(&o, r.p, sizeof(o));
		nl = strnlen(o.name, sizeof(o.name));
		if (le32toh(o.kind) > TTYSCOPE_KIND_SERIAL || o.reserved ||
		    !nl) {
			snprintf(
				why, sizeof(why),
				"OPEN with kind %u reserved %u name length %zu",
				le32toh(o.kind), le32toh(o.reserved), nl);
			return why;
		}
		for (size_t i = nl; i < sizeof(o.name); i++)
			if (o.name[i]) {
				snprintf(why, sizeof(why),
					 "OPEN name not NUL-padded (byte %zu)",
					 i);
				return why;
			}
	}
	if (r.type == TTYSCOPE_REC_INJECT) {
		struct ttyscope_rec_inject in;

		memcpy(&in, r.p, sizeof(in));
		if (in.reserved) {
			snprintf(why, sizeof(why), "INJECT reserved 0x%x",
				 le32toh(in.reserved));
			return why;
		}
	}
	if (r.type == TTYSCOPE_REC_PASS) {
		struct ttyscope_rec_pass ps;

		memcpy(&ps, r.p, sizeof(ps));
		if (le32toh(ps.pass) > 1) {
			snprintf(why, sizeof(why), "PASS with pass %u",
				 le32toh(ps.pass));
			return why;
		}
	}
	*reclen = REC_HDR + r.len;
	return NULL;
}

void rec_parse_chunk(const char *who, const uint8_t *buf, size_t n,
		     void (*cb)(void *ctx, const struct trec *r,
				const uint8_t *raw, size_t reclen),
		     void *ctx)
{
	size_t off = 0;

	while (off < n) {
		size_t reclen = 0;
		const char *why = rec_check(buf + off, n - off, &reclen);
		struct trec r;

		if (why) {
			printf("[%s] reader %s: bad record at offset %zu of a %zu-byte read():\n",
			       t_name, who, off, n);
			hexdump("[bad]  ", buf + off, MIN(n - off, (size_t)128),
				off);
			FAIL("reader %s: invalid record: %s", who, why);
		}
		rec_decode(buf + off, &r);
		if (cb)
			cb(ctx, &r, buf + off, reclen);
		off += reclen;
	}
}

void rec_print(const char *prefix, const struct trec *r)
{
	char extra[200] = "";

	switch (r->type) {
	case TTYSCOPE_REC_OPEN: {
		struct ttyscope_rec_open o;

		memcpy(&o, r->p, sizeof(o));
		snprintf(extra, sizeof(extra), " kind %u name \"%.32s\"",
			 le32toh(o.kind), o.name);
		break;
	}
	case TTYSCOPE_REC_IN:
	case TTYSCOPE_REC_OUT:
	case TTYSCOPE_REC_IN_DROPPED:
		snprintf(extra, sizeof(extra), " \"%.60s\"",
			 printable(r->p, MIN(r->len, 40u)));
		break;
	case TTYSCOPE_REC_INJECT: {
		struct ttyscope_rec_inject in;

		memcpy(&in, r->p, sizeof(in));
		snprintf(extra, sizeof(extra), " uid %u \"%.60s\"",
			 le32toh(in.operator_uid),
			 printable(r->p + 8, MIN(r->len - 8, 40u)));
		break;
	}
	case TTYSCOPE_REC_WINSIZE: {
		struct ttyscope_rec_winsize w;

		memcpy(&w, r->p, sizeof(w));
		snprintf(extra, sizeof(extra), " %ux%u (%ux%u px)",
			 le16toh(w.rows), le16toh(w.cols), le16toh(w.xpixel),
			 le16toh(w.ypixel));
		break;
	}
	case TTYSCOPE_REC_SESSION: {
		struct ttyscope_rec_session s;

		memcpy(&s, r->p, sizeof(s));
		snprintf(extra, sizeof(extra),
			 " sid %u pgrp %u uid %u \"%.16s\"", le32toh(s.sid),
			 le32toh(s.pgrp), le32toh(s.uid), s.comm);
		break;
	}
	case TTYSCOPE_REC_PASS: {
		struct ttyscope_rec_pass ps;

		memcpy(&ps, r->p, sizeof(ps));
		snprintf(extra, sizeof(extra), " pass %u uid %u",
			 le32toh(ps.pass), le32toh(ps.operator_uid));
		break;
	}
	case TTYSCOPE_REC_LOSS: {
		struct ttyscope_rec_loss l;

		memcpy(&l, r->p, sizeof(l));
		snprintf(extra, sizeof(extra),
			 " records %" PRIu64 " bytes %" PRIu64,
			 le64toh(l.records), le64toh(l.bytes));
		break;
	}
	}
	printf("%s%u:%u seq %" PRIu64 " %s flags 0x%x len %u%s\n", prefix,
	       r->major, r->minor, r->seq, rec_type_name(r->type), r->flags,
	       r->len, extra);
}

/* ---- rstream -------------------------------------------------------------- */

struct rstream *rs_open(const char *name, uint32_t bufsize)
{
	struct rstream *rs = calloc(1, sizeof(*rs));
	pthread_condattr_t ca;

	CHECK(rs, "out of memory");
	snprintf(rs->name, sizeof(rs->name), "%s", name);
	rs->fd = open(RPL_PATH, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (rs->fd < 0)
		FAIL("open %s (reader %s): %s", RPL_PATH, name,
		     strerror(errno));
	if (bufsize && tsc_set_bufsize(rs->fd, bufsize) < 0)
		FAIL("reader %s: SET_BUFSIZE %u: %s", name, bufsize,
		     strerror(errno));
	pthread_mutex_init(&rs->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&rs->cv, &ca);
	pthread_condattr_destroy(&ca);
	rs->keep = true;
	rs->rdbuf_size = 1u << 20;
	rs->rdbuf = malloc(rs->rdbuf_size);
	CHECK(rs->rdbuf, "out of memory");
	return rs;
}

void rs_lock(struct rstream *rs)
{
	pthread_mutex_lock(&rs->mu);
}

void rs_unlock(struct rstream *rs)
{
	pthread_mutex_unlock(&rs->mu);
}

static void rs_add(void *ctx, const struct trec *r, const uint8_t *raw,
		   size_t reclen)
{
	struct rstream *rs = ctx;

	rs->recs++;
	if (r->type == TTYSCOPE_REC_LOSS) {
		struct ttyscope_rec_loss l;

		memcpy(&l, r->p, sizeof(l));
		rs->loss_recs++;
		rs->lost_records += le64toh(l.records);
		rs->lost_bytes += le64toh(l.bytes);
	} else {
		rs->data_recs++;
		rs->data_bytes += r->len;
	}
	if (!rs->keep)
		return;
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 4096;
		rs->off = realloc(rs->off, rs->cap * sizeof(*rs->off));
		CHECK(rs->off, "out of memory");
	}
	if (rs->raw_len + reclen > rs->raw_cap) {
		size_t cap = rs->raw_cap ? rs->raw_cap : (1u << 20);

		while (cap < rs->raw_len + reclen)
			cap *= 2;
		rs->raw = realloc(rs->raw, cap);
		CHECK(rs->raw, "out of memory (%zu bytes of records)", cap);
		rs->raw_cap = cap;
	}
	rs->off[rs->n++] = rs->raw_len;
	memcpy(rs->raw + rs->raw_len, raw, reclen);
	rs->raw_len += reclen;
}

/* rs_read_once() - one read(); returns records added, 0 if none queued. */
static size_t rs_read_once(struct rstream *rs)
{
	ssize_t r;
	size_t before;

	r = read(rs->fd, rs->rdbuf, rs->rdbuf_size);
	if (r < 0) {
		struct ttyscope_stats st;
		int e = errno;

		if (e == EAGAIN || e == EINTR)
			return 0;
		memset(&st, 0, sizeof(st));
		ioctl(rs->fd, TTYSCOPE_IOC_STATS, &st);
		FAIL("reader %s: read(%zu bytes): %s (%" PRIu64
		     " records read so far; STATS: buffer %u bytes, %u used, "
		     "%llu records offered)%s",
		     rs->name, rs->rdbuf_size, strerror(e), rs->recs,
		     st.rd_buf_size, st.rd_buf_used,
		     (unsigned long long)st.rd_records,
		     e == EINVAL ? "; EINVAL with room for any record means "
				   "the queue does not start with a whole "
				   "record (misaligned or half-written)" :
				   "");
	}
	if (r == 0)
		FAIL("reader %s: read returned 0 (EOF) on %s", rs->name,
		     RPL_PATH);
	rs_lock(rs);
	before = rs->recs;
	rs->reads++;
	rec_parse_chunk(rs->name, rs->rdbuf, r, rs_add, rs);
	before = rs->recs - before;
	/* poison: bytes a read() claims but does not copy must not parse */
	memset(rs->rdbuf, 0xee, r);
	pthread_cond_broadcast(&rs->cv);
	rs_unlock(rs);
	return before;
}

static void *rs_thread(void *arg)
{
	struct rstream *rs = arg;
	struct pollfd pfd = { .fd = rs->fd, .events = POLLIN };

	while (!rs->stop) {
		int r = poll(&pfd, 1, 50);

		if (r < 0 && errno != EINTR)
			FAIL("reader %s: poll: %s", rs->name, strerror(errno));
		if (r > 0) {
			if (pfd.revents & (POLLERR | POLLNVAL))
				FAIL("reader %s: poll revents 0x%x", rs->name,
				     pfd.revents);
			rs_read_once(rs);
		}
	}
	while (rs_read_once(rs))
		;
	return NULL;
}

void rs_start(struct rstream *rs)
{
	CHECK(!rs->running, "reader %s already started", rs->name);
	rs->stop = false;
	if (pthread_create(&rs->thr, NULL, rs_thread, rs))
		FAIL("pthread_create failed");
	rs->running = true;
}

void rs_stop(struct rstream *rs)
{
	if (!rs->running)
		return;
	rs->stop = true;
	pthread_join(rs->thr, NULL);
	rs->running = false;
}

void rs_close(struct rstream *rs)
{
	if (!rs)
		return;
	rs_stop(rs);
	close(rs->fd);
	free(rs->raw);
	free(rs->off);
	free(rs->rdbuf);
	pthread_mutex_destroy(&rs->mu);
	pthread_cond_destroy(&rs->cv);
	free(rs);
}

size_t rs_count(struct rstream *rs)
{
	size_t n;

	rs_lock(rs);
	n = rs->n;
	rs_unlock(rs);
	return n;
}

void rs_get(struct rstream *rs, size_t i, struct trec *out)
{
	rec_decode(rs->raw + rs->off[i], out);
}

void rs_reset(struct rstream *rs)
{
	rs_lock(rs);
	rs->n = 0;
	rs->raw_len = 0;
	rs_unlock(rs);
}

size_t rs_drain(struct rstream *rs, int timeout_ms)
{
	struct pollfd pfd = { .fd = rs->fd, .events = POLLIN };
	size_t total = 0, got;

	CHECK(!rs->running, "rs_drain on threaded reader %s", rs->name);
	if (timeout_ms > 0 && poll(&pfd, 1, timeout_ms) < 0 && errno != EINTR)
		FAIL("reader %s: poll: %s", rs->name, strerror(errno));
	while ((got = rs_read_once(rs)))
		total += got;
	return total;
}

bool rs_wait(struct rstream *rs, bool (*pred)(struct rstream *rs, void *arg),
	     void *arg, int timeout_ms)
{
	uint64_t deadline = mono_ns() + (uint64_t)timeout_ms * 1000000u;
	bool ok;

	if (!rs->running) {
		for (;;) {
			struct pollfd pfd = { .fd = rs->fd, .events = POLLIN };
			uint64_t now;

			rs_lock(rs);
			ok = pred(rs, arg);
			rs_unlock(rs);
			now = mono_ns();
			if (ok || now >= deadline)
				return ok;
			if (poll(&pfd, 1,
				 (int)((deadline - now) / 1000000u) + 1) > 0)
				while (rs_read_once(rs))
					;
		}
	}
	rs_lock(rs);
	while (!(ok = pred(rs, arg))) {
		struct timespec ts = { (time_t)(deadline / 1000000000u),
				       (long)(deadline % 1000000000u) };

		if (pthread_cond_timedwait(&rs->cv, &rs->mu, &ts) ==
		    ETIMEDOUT) {
			ok = pred(rs, arg);
			break;
		}
	}
	rs_unlock(rs);
	return ok;
}

long rs_find(struct rstream *rs, size_t from, uint32_t major, uint32_t minor,
	     unsigned int type)
{
	for (size_t i = from; i < rs->n; i++) {
		struct trec r;

		rs_get(rs, i, &r);
		if ((r.type == type ||
		     (type == 0 && r.type != TTYSCOPE_REC_LOSS)) &&
		    (major == ~0u || (r.major == major && r.minor == minor)))
			return (long)i;
	}
	return -1;
}

struct find_arg {
	size_t from;
	uint32_t major, minor;
	unsigned int type;
	size_t want;
	long found;
};

static bool pred_find(struct rstream *rs, void *arg)
{
	struct find_arg *a = arg;

	a->found = rs_find(rs, a->from, a->major, a->minor, a->type);
	return a->found >= 0;
}

long rs_wait_rec(struct rstream *rs, size_t from, uint32_t major,
		 uint32_t minor, unsigned int type, int timeout_ms)
{
	struct find_arg a = { from, major, minor, type, 0, -1 };

	rs_wait(rs, pred_find, &a, timeout_ms);
	return a.found;
}

static bool pred_bytes(struct rstream *rs, void *arg)
{
	struct find_arg *a = arg;
	size_t sum = 0;

	for (size_t i = a->from; i < rs->n; i++) {
		struct trec r;

		rs_get(rs, i, &r);
		if (r.type == a->type && r.major == a->major &&
		    r.minor == a->minor)
			sum += r.type == TTYSCOPE_REC_INJECT ? r.len - 8 :
							       r.len;
	}
	return sum >= a->want;
}

static bool pred_seq(struct rstream *rs, void *arg)
{
	struct find_arg *a = arg;

	for (size_t i = a->from; i < rs->n; i++) {
		struct trec r;

		rs_get(rs, i, &r);
		if (r.type != TTYSCOPE_REC_LOSS && r.major == a->major &&
		    r.minor == a->minor && r.seq >= a->want)
			return true;
	}
	return false;
}

bool rs_wait_seq(struct rstream *rs, size_t from, uint32_t major,
		 uint32_t minor, uint64_t seq, int timeout_ms)
{
	struct find_arg a = { from, major, minor, 0, seq, -1 };

	return rs_wait(rs, pred_seq, &a, timeout_ms);
}

bool rs_wait_bytes(struct rstream *rs, size_t from, uint32_t major,
		   uint32_t minor, unsigned int type, size_t n, int timeout_ms)
{
	struct find_arg a = { from, major, minor, type, n, -1 };

	return rs_wait(rs, pred_bytes, &a, timeout_ms);
}

/* ---- tview ---------------------------------------------------------------- */

void tv_build(struct rstream *rs, size_t from, uint32_t major, uint32_t minor,
	      struct tview *tv)
{
	size_t *offs = NULL, cap = 0;

	memset(tv, 0, sizeof(*tv));
	tv->major = major;
	tv->minor = minor;
	rs_lock(rs);
	for (size_t i = from; i < rs->n; i++) {
		struct trec r;

		rs_get(rs, i, &r);
		if (r.type == TTYSCOPE_REC_LOSS || r.major != major ||
		    r.minor != minor)
			continue;
		if (tv->n == cap) {
			cap = cap ? cap * 2 : 256;
			tv->r = realloc(tv->r, cap * sizeof(*tv->r));
			tv->sidx = realloc(tv->sidx, cap * sizeof(*tv->sidx));
			offs = realloc(offs, cap * sizeof(*offs));
			CHECK(tv->r && tv->sidx && offs, "out of memory");
		}
		offs[tv->n] = tv->arena.len;
		buf_append(&tv->arena, r.p, r.len);
		tv->sidx[tv->n] = i;
		tv->r[tv->n++] = r;
		switch (r.type) {
		case TTYSCOPE_REC_IN:
			buf_append(&tv->in, r.p, r.len);
			tv->n_in++;
			break;
		case TTYSCOPE_REC_OUT:
			buf_append(&tv->out, r.p, r.len);
			tv->n_out++;
			break;
		case TTYSCOPE_REC_IN_DROPPED:
			buf_append(&tv->dropped, r.p, r.len);
			tv->n_dropped++;
			break;
		case TTYSCOPE_REC_INJECT:
			buf_append(&tv->inject, r.p + 8, r.len - 8);
			tv->n_inject++;
			break;
		}
	}
	rs_unlock(rs);
	for (size_t i = 0; i < tv->n; i++)
		tv->r[i].p = tv->arena.p + offs[i];
	free(offs);
}

void tv_free(struct tview *tv)
{
	free(tv->r);
	free(tv->sidx);
	buf_free(&tv->arena);
	buf_free(&tv->in);
	buf_free(&tv->out);
	buf_free(&tv->dropped);
	buf_free(&tv->inject);
	memset(tv, 0, sizeof(*tv));
}

void tv_print(const struct tview *tv, size_t max)
{
	printf("[%s] records of %u:%u (%zu):\n", t_name, tv->major, tv->minor,
	       tv->n);
	for (size_t i = 0; i < tv->n; i++) {
		char pre[64];

		if (i == max / 2 && tv->n > max) {
			printf("[%s]   ... %zu more ...\n", t_name,
			       tv->n - max);
			i = tv->n - max / 2;
		}
		snprintf(pre, sizeof(pre), "[%s]   #%zu ", t_name, tv->sidx[i]);
		rec_print(pre, &tv->r[i]);
	}
}

void tv_print_range(const struct tview *tv, size_t from, size_t to)
{
	printf("[%s] records %zu..%zu of %u:%u (%zu):\n", t_name, from, to,
	       tv->major, tv->minor, tv->n);
	for (size_t i = from; i <= to && i < tv->n; i++) {
		char pre[64];

		snprintf(pre, sizeof(pre), "[%s]   [%zu] #%zu ", t_name, i,
			 tv->sidx[i]);
		rec_print(pre, &tv->r[i]);
	}
}

void tv_check_seq(const struct tview *tv, const char *what, size_t a, size_t b)
{
	for (size_t i = a + 1; i < b; i++)
		if (tv->r[i].seq != tv->r[i - 1].seq + 1) {
			tv_print(tv, 40);
			FAIL("%s: %u:%u record %zu (%s) has seq %" PRIu64
			     " after seq %" PRIu64 " (not contiguous)",
			     what, tv->major, tv->minor, i,
			     rec_type_name(tv->r[i].type), tv->r[i].seq,
			     tv->r[i - 1].seq);
		}
}

void tv_check_capture(const struct tview *tv, const char *what,
		      const char *name, uint32_t open_flags,
		      uint32_t close_flags, uint64_t allowed)
{
	struct ttyscope_rec_open o;
	const struct trec *first, *last;

	if (tv->n < 2) {
		tv_print(tv, 40);
		FAIL("%s: only %zu records for %u:%u, expected at least OPEN and CLOSE",
		     what, tv->n, tv->major, tv->minor);
	}
	first = &tv->r[0];
	last = &tv->r[tv->n - 1];
	if (first->type != TTYSCOPE_REC_OPEN || first->seq != 0 ||
	    first->flags != open_flags) {
		tv_print(tv, 40);
		FAIL("%s: first record of %u:%u is %s seq %" PRIu64
		     " flags 0x%x, expected OPEN seq 0 flags 0x%x",
		     what, tv->major, tv->minor, rec_type_name(first->type),
		     first->seq, first->flags, open_flags);
	}
	memcpy(&o, first->p, sizeof(o));
	if (le32toh(o.kind) != TTYSCOPE_KIND_PTY ||
	    strncmp(o.name, name, sizeof(o.name)) != 0) {
		FAIL("%s: OPEN of %u:%u has kind %u name \"%.32s\", expected kind %u (PTY) name \"%s\"",
		     what, tv->major, tv->minor, le32toh(o.kind), o.name,
		     TTYSCOPE_KIND_PTY, name);
	}
	tv_check_seq(tv, what, 0, tv->n);
	for (size_t i = 1; i + 1 < tv->n; i++)
		if (tv->r[i].type == TTYSCOPE_REC_OPEN ||
		    tv->r[i].type == TTYSCOPE_REC_CLOSE ||
		    (tv->r[i].type == TTYSCOPE_REC_HANGUP && i + 2 != tv->n)) {
			tv_print(tv, 40);
			FAIL("%s: %s in the middle of the capture of %u:%u (record %zu)",
			     what, rec_type_name(tv->r[i].type), tv->major,
			     tv->minor, i);
		}
	if (last->type != TTYSCOPE_REC_CLOSE || last->flags != close_flags) {
		tv_print(tv, 40);
		FAIL("%s: last record of %u:%u is %s flags 0x%x, expected CLOSE flags 0x%x",
		     what, tv->major, tv->minor, rec_type_name(last->type),
		     last->flags, close_flags);
	}
	/*
	 * HANGUP may come right before CLOSE whatever @allowed says: closing
	 * a pty master hangs the slave up (pty_close() -> tty_vhangup()).
	 */
	for (size_t i = 0; i < tv->n; i++)
		if (!(allowed & (1ull << tv->r[i].type)) &&
		    !(tv->r[i].type == TTYSCOPE_REC_HANGUP && i + 2 == tv->n)) {
			tv_print(tv, 40);
			FAIL("%s: unexpected %s record (#%zu) for %u:%u", what,
			     rec_type_name(tv->r[i].type), i, tv->major,
			     tv->minor);
		}
}

/* ---- ptys ----------------------------------------------------------------- */

int pty_try_open(struct pty *p)
{
	struct stat st;
	int e;

	memset(p, 0, sizeof(*p));
	p->slave = -1;
	p->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p->master < 0)
		return -errno;
	if (grantpt(p->master) || unlockpt(p->master) ||
	    ptsname_r(p->master, p->path, sizeof(p->path)))
		goto err;
	p->slave = open(p->path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p->slave < 0 || fstat(p->slave, &st) < 0)
		goto err;
	p->major = major(st.st_rdev);
	p->minor = minor(st.st_rdev);
	snprintf(p->name, sizeof(p->name), "%.31s",
		 strncmp(p->path, "/dev/", 5) ? p->path : p->path + 5);
	return 0;
err:
	e = errno;
	if (p->slave >= 0)
		close(p->slave);
	close(p->master);
	p->master = p->slave = -1;
	return -e;
}

void pty_open(struct pty *p)
{
	int r = pty_try_open(p);

	if (r < 0)
		FAIL("opening a pty pair: %s", strerror(-r));
	if (p->major < PTY_SLAVE_MAJOR_MIN || p->major > PTY_SLAVE_MAJOR_MAX)
		FAIL("%s has device %u:%u, not a Unix98 pty slave", p->path,
		     p->major, p->minor);
}

void pty_close(struct pty *p)
{
	if (p->slave >= 0)
		close(p->slave);
	if (p->master >= 0)
		close(p->master);
	p->slave = p->master = -1;
}

void fd_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	CHECK(fl >= 0, "F_GETFL fd %d: %s", fd, strerror(errno));
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	CHECK(fcntl(fd, F_SETFL, fl) == 0, "F_SETFL fd %d: %s", fd,
	      strerror(errno));
}

const char *tty_mode_name(enum tty_mode m)
{
	switch (m) {
	case TTY_CANON:
		return "canonical";
	case TTY_RAW:
		return "raw";
	case TTY_CANON_NOSPECIAL:
		return "canonical-nospecial";
	}
	return "?";
}

void tty_setup(int fd, enum tty_mode mode, bool echo)
{
	struct termios t;

	CHECK(tcgetattr(fd, &t) == 0, "tcgetattr: %s", strerror(errno));
	if (mode == TTY_RAW) {
		cfmakeraw(&t);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
	} else {
		t.c_iflag |= ICRNL | IXON;
		t.c_iflag &= ~(INLCR | IGNCR | ISTRIP | IXOFF | IXANY | PARMRK |
			       IUCLC | IMAXBEL);
		t.c_oflag |= OPOST | ONLCR;
		t.c_oflag &= ~(OCRNL | ONOCR | ONLRET | OLCUC | TABDLY);
		t.c_lflag |= ICANON | ISIG | IEXTEN;
		t.c_lflag &= ~(ECHONL | NOFLSH | TOSTOP | XCASE);
		if (mode == TTY_CANON_NOSPECIAL) {
			static const int cc[] = { VINTR,   VQUIT,    VERASE,
						  VKILL,   VEOF,     VEOL,
						  VEOL2,   VSTART,   VSTOP,
						  VSUSP,   VREPRINT, VDISCARD,
						  VWERASE, VLNEXT };

			for (size_t i = 0; i < ARRAY_SIZE(cc); i++)
				t.c_cc[cc[i]] = _POSIX_VDISABLE;
			t.c_iflag &= ~(IXON | ICRNL);
		}
	}
	if (echo)
		t.c_lflag |= ECHO;
	else
		t.c_lflag &= ~ECHO;
	CHECK(tcsetattr(fd, TCSANOW, &t) == 0, "tcsetattr: %s",
	      strerror(errno));
}

void tty_set_echo(int fd, bool echo)
{
	struct termios t;

	CHECK(tcgetattr(fd, &t) == 0, "tcgetattr: %s", strerror(errno));
	if (echo)
		t.c_lflag |= ECHO;
	else
		t.c_lflag &= ~ECHO;
	CHECK(tcsetattr(fd, TCSANOW, &t) == 0, "tcsetattr: %s",
	      strerror(errno));
}

void write_all(int fd, const void *buf, size_t n, const char *what)
{
	const uint8_t *p = buf;

	while (n) {
		ssize_t r = write(fd, p, n);

		if (r < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (poll(&pfd, 1, 10000) == 0)
				FAIL("%s: write blocked for 10 s with %zu bytes left",
				     what, n);
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			FAIL("%s: write: %s", what,
			     r < 0 ? strerror(errno) : "returned 0");
		p += r;
		n -= r;
	}
}

bool read_until(int fd, struct buf *b, size_t want, int timeout_ms)
{
	uint64_t deadline = mono_ns() + (uint64_t)timeout_ms * 1000000u;
	uint8_t tmp[65536];

	while (b->len < want) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = mono_ns();
		ssize_t r;

		if (now >= deadline)
			return false;
		r = poll(&pfd, 1, (int)((deadline - now) / 1000000u) + 1);
		if (r <= 0)
			continue;
		r = read(fd, tmp, sizeof(tmp));
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0)
			return false;
		buf_append(b, tmp, r);
	}
	return true;
}

bool fd_quiet(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int r;

	do
		r = poll(&pfd, 1, ms);
	while (r < 0 && errno == EINTR);
	return r == 0;
}

void drain_fd(int fd, struct buf *b, int quiet_ms)
{
	uint8_t tmp[65536];

	while (!fd_quiet(fd, quiet_ms)) {
		ssize_t r = read(fd, tmp, sizeof(tmp));

		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0)
			return;
		buf_append(b, tmp, r);
	}
}

bool wait_blocked(pid_t pid, long sysno, int timeout_ms)
{
	uint64_t deadline = mono_ns() + (uint64_t)timeout_ms * 1000000u;
	char path[64], line[512];

	do {
		FILE *f;
		long nr = -1;
		char state = '?';
		char *p;

		snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
		f = fopen(path, "r");
		if (f) {
			if (fgets(line, sizeof(line), f) &&
			    sscanf(line, "%ld", &nr) != 1)
				nr = -1;
			fclose(f);
		}
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		f = fopen(path, "r");
		if (f) {
			if (fgets(line, sizeof(line), f) &&
			    (p = strrchr(line, ')')) && p[1] == ' ')
				state = p[2];
			fclose(f);
		}
		if (state == 'S' && nr == sysno) {
			/* settle: it has just gone to sleep */
			sleep_ms(50);
			return true;
		}
		sleep_ms(10);
	} while (mono_ns() < deadline);
	return false;
}

int wait_child(pid_t pid, int timeout_ms, const char *what)
{
	uint64_t deadline = mono_ns() + (uint64_t)timeout_ms * 1000000u;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		if (r < 0 && errno != EINTR)
			FAIL("%s: waitpid %d: %s", what, (int)pid,
			     strerror(errno));
		if (mono_ns() > deadline) {
			kill(pid, SIGKILL);
			FAIL("%s: process %d did not exit within %d ms", what,
			     (int)pid, timeout_ms);
		}
		sleep_ms(5);
	}
}

pid_t t_fork(void)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		FAIL("fork: %s", strerror(errno));
	return pid;
}

/* ---- ioctl wrappers ------------------------------------------------------- */

int tsc_version(int fd, struct ttyscope_version *v)
{
	memset(v, 0, sizeof(*v));
	return ioctl(fd, TTYSCOPE_IOC_VERSION, v);
}

struct ttyscope_tty_info *tsc_list_all(int fd, uint32_t *n)
{
	struct ttyscope_list l;
	struct ttyscope_tty_info *e = NULL;
	uint32_t cap = 0;

	for (;;) {
		memset(&l, 0, sizeof(l));
		l.capacity = cap;
		l.entries = (uintptr_t)e;
		if (ioctl(fd, TTYSCOPE_IOC_LIST, &l) < 0)
			FAIL("LIST (capacity %u): %s", cap, strerror(errno));
		if (l.count <= cap)
			break;
		cap = l.count + 16;
		free(e);
		e = calloc(cap, sizeof(*e));
		CHECK(e, "out of memory");
	}
	*n = l.count;
	return e;
}

bool tsc_find(int fd, uint32_t major, uint32_t minor,
	      struct ttyscope_tty_info *out)
{
	uint32_t n;
	struct ttyscope_tty_info *e = tsc_list_all(fd, &n);
	bool found = false;

	for (uint32_t i = 0; i < n; i++)
		if (e[i].major == major && e[i].minor == minor) {
			if (out)
				*out = e[i];
			found = true;
			break;
		}
	free(e);
	return found;
}

void tsc_stats(int fd, struct ttyscope_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (ioctl(fd, TTYSCOPE_IOC_STATS, st) < 0)
		FAIL("STATS: %s", strerror(errno));
}

int tsc_set_pass(int fd, uint32_t major, uint32_t minor, uint32_t pass,
		 uint32_t uid)
{
	struct ttyscope_pass p = { .major = major,
				   .minor = minor,
				   .pass = pass,
				   .operator_uid = uid };

	return ioctl(fd, TTYSCOPE_IOC_SET_PASS, &p);
}

long tsc_inject(int fd, uint32_t major, uint32_t minor, const void *data,
		uint32_t len, uint32_t uid)
{
	struct ttyscope_inject in = { .major = major,
				      .minor = minor,
				      .len = len,
				      .operator_uid = uid,
				      .data = (uintptr_t)data };

	return ioctl(fd, TTYSCOPE_IOC_INJECT, &in);
}

int tsc_tty_op(int fd, unsigned long req, uint32_t major, uint32_t minor)
{
	struct ttyscope_tty t = { .major = major, .minor = minor };

	return ioctl(fd, req, &t);
}

int tsc_attach(int fd, int ttyfd, uint32_t *major, uint32_t *minor)
{
	struct ttyscope_attach a = { .fd = ttyfd };
	int r = ioctl(fd, TTYSCOPE_IOC_ATTACH, &a);

	if (r >= 0) {
		if (major)
			*major = a.major;
		if (minor)
			*minor = a.minor;
	}
	return r;
}

int tsc_set_bufsize(int fd, uint32_t size)
{
	struct ttyscope_bufsize b = { .size = size };

	return ioctl(fd, TTYSCOPE_IOC_SET_BUFSIZE, &b);
}

/* ---- pty traffic engine ----------------------------------------------- */

static bool flow_onlcr(const struct flow *f)
{
	return f->mode != TTY_RAW;
}

void flow_expected_master(const struct flow *f, struct buf *exp)
{
	exp->len = 0;
	buf_reserve(exp, f->out_len * 2 + 1);
	for (size_t i = 0; i < f->out_len; i++) {
		if (flow_onlcr(f) && f->out[i] == '\n')
			exp->p[exp->len++] = '\r';
		exp->p[exp->len++] = f->out[i];
	}
}

static size_t flow_master_expected_len(const struct flow *f)
{
	return f->out_pos + (flow_onlcr(f) ? f->out_nl : 0);
}

static void flow_report(struct flow *f, int i)
{
	printf("[%s]   flow %d %s (%s, echo %s%s): in %zu/%zu written, slave read %zu; "
	       "out %zu/%zu written, master read %zu (expect %zu w/o echo); "
	       "resized %d/%d; slave %s; done %d; errors master %s slave %s\n",
	       t_name, i, f->pty.name, tty_mode_name(f->mode),
	       f->echo ? "on" : "off", f->lenient ? ", lenient" : "", f->in_pos,
	       f->in_len, f->srd.len, f->out_pos, f->out_len, f->mrd.len,
	       flow_master_expected_len(f), f->resized, f->nresize,
	       f->slave_closed ? "closed" : "open", f->done,
	       errname(f->master_err), errname(f->slave_err));
}

static size_t flow_chunk(struct flow *f, size_t left)
{
	size_t max = f->max_chunk ? f->max_chunk : 65536;
	size_t c =
		1 + rng_below(&f->rng, (uint64_t)1 << rng_below(&f->rng, 17));

	return MIN(MIN(c, max), left);
}

static void flow_progress(struct flow *f)
{
	f->last_progress_ns = mono_ns();
}

static void flow_close_slave(struct flow *f)
{
	if (!f->slave_closed) {
		close(f->pty.slave);
		f->pty.slave = -1;
		f->slave_closed = true;
		flow_progress(f);
	}
}

static void flow_finish(struct flow *f)
{
	flow_close_slave(f);
	if (f->pty.master >= 0)
		close(f->pty.master);
	f->pty.master = -1;
	f->done = true;
}

static void flow_service(struct flow *f, short mrev, short srev)
{
	static __thread uint8_t tmp[65536];
	size_t in_limit = f->in_len, out_limit = f->out_len;
	int k = f->resized;

	/* master: read screen output */
	if (mrev & (POLLIN | POLLHUP | POLLERR)) {
		for (int i = 0; i < 4; i++) {
			ssize_t r = read(f->pty.master, tmp, sizeof(tmp));

			if (r > 0) {
				buf_append(&f->mrd, tmp, r);
				flow_progress(f);
				continue;
			}
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			/* EOF/EIO: only expected once the slave is closed */
			if (f->slave_closed) {
				flow_finish(f);
				return;
			}
			if (!f->master_err)
				f->master_err = r < 0 ? errno : EPIPE;
			if (!f->lenient)
				FAIL("%s: master read failed (%s) with the slave open",
				     f->pty.name,
				     r < 0 ? strerror(errno) : "EOF");
			flow_finish(f);
			return;
		}
	}
	/* slave: read keystrokes */
	if (!f->slave_closed && (srev & (POLLIN | POLLHUP | POLLERR))) {
		for (int i = 0; i < 4; i++) {
			ssize_t r = read(f->pty.slave, tmp, sizeof(tmp));

			if (r > 0) {
				buf_append(&f->srd, tmp, r);
				flow_progress(f);
				continue;
			}
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			if (!f->slave_err)
				f->slave_err = r < 0 ? errno : EPIPE;
			f->slave_eof = true;
			if (!f->lenient)
				FAIL("%s: slave read failed (%s)", f->pty.name,
				     r < 0 ? strerror(errno) : "EOF");
			f->in_pos = f->in_len;
			f->out_pos = f->out_len;
			f->resized = f->nresize;
			flow_close_slave(f);
			return;
		}
	}
	if (f->slave_closed)
		return;

	if (k < f->nresize) {
		in_limit = f->in_stop[k];
		out_limit = f->out_stop[k];
		if (f->in_pos == in_limit && f->out_pos == out_limit &&
		    f->srd.len == f->in_pos &&
		    (f->echo || f->mrd.len == flow_master_expected_len(f))) {
			int fd = (k & 1) ? f->pty.slave : f->pty.master;

			if (ioctl(fd, TIOCSWINSZ, &f->ws[k]) < 0)
				FAIL("%s: TIOCSWINSZ: %s", f->pty.name,
				     strerror(errno));
			f->resize_in_at[k] = f->in_pos;
			f->resize_mrd_at[k] = f->mrd.len;
			f->resized++;
			flow_progress(f);
			return;
		}
	}
	/* keystrokes into the master */
	if (f->in_pos < in_limit) {
		ssize_t r = write(f->pty.master, f->in + f->in_pos,
				  flow_chunk(f, in_limit - f->in_pos));

		if (r > 0) {
			f->in_pos += r;
			flow_progress(f);
		} else if (r < 0 && errno != EAGAIN && errno != EINTR) {
			if (!f->master_err)
				f->master_err = errno;
			if (!f->lenient)
				FAIL("%s: master write: %s", f->pty.name,
				     strerror(errno));
			f->in_pos = f->in_len;
		}
	}
	/* program output into the slave */
	if (f->out_pos < out_limit) {
		ssize_t r = write(f->pty.slave, f->out + f->out_pos,
				  flow_chunk(f, out_limit - f->out_pos));

		if (r > 0) {
			for (ssize_t i = 0; i < r; i++)
				f->out_nl += f->out[f->out_pos + i] == '\n';
			f->out_pos += r;
			flow_progress(f);
		} else if (r < 0 && errno != EAGAIN && errno != EINTR) {
			if (!f->slave_err)
				f->slave_err = errno;
			if (!f->lenient)
				FAIL("%s: slave write: %s", f->pty.name,
				     strerror(errno));
			f->out_pos = f->out_len;
		}
	}
	/* everything written and read: close the slave, drain the master */
	if (f->resized == f->nresize && f->in_pos == f->in_len &&
	    f->out_pos == f->out_len) {
		bool in_done = f->srd.len >= f->in_len;
		bool out_done = f->echo || f->lenient ||
				f->mrd.len >= flow_master_expected_len(f);

		if (f->lenient && mono_ns() - f->last_progress_ns > 300000000u)
			in_done = out_done = true;
		if (in_done && out_done)
			flow_close_slave(f);
	}
}

void flow_run(struct flow **f, int n, void (*tick)(void *arg), void *arg,
	      int tick_ms, int stall_ms)
{
	struct pollfd *pfd = calloc(2 * n, sizeof(*pfd));
	uint64_t next_tick = mono_ns() + (uint64_t)tick_ms * 1000000u;

	CHECK(pfd, "out of memory");
	for (int i = 0; i < n; i++) {
		fd_nonblock(f[i]->pty.master, true);
		fd_nonblock(f[i]->pty.slave, true);
		flow_progress(f[i]);
	}
	for (;;) {
		int live = 0;
		uint64_t now;

		for (int i = 0; i < n; i++) {
			struct flow *fl = f[i];
			bool wr_in, wr_out;
			size_t il = fl->in_len, ol = fl->out_len;

			pfd[2 * i].fd = pfd[2 * i + 1].fd = -1;
			pfd[2 * i].revents = pfd[2 * i + 1].revents = 0;
			if (fl->done)
				continue;
			live++;
			if (fl->resized < fl->nresize) {
				il = fl->in_stop[fl->resized];
				ol = fl->out_stop[fl->resized];
			}
			wr_in = !fl->slave_closed && fl->in_pos < il;
			wr_out = !fl->slave_closed && fl->out_pos < ol;
			pfd[2 * i].fd = fl->pty.master;
			pfd[2 * i].events = POLLIN | (wr_in ? POLLOUT : 0);
			pfd[2 * i + 1].fd = fl->pty.slave;
			pfd[2 * i + 1].events = POLLIN | (wr_out ? POLLOUT : 0);
		}
		if (!live)
			break;
		if (poll(pfd, 2 * n, 10) < 0 && errno != EINTR)
			FAIL("poll: %s", strerror(errno));
		now = mono_ns();
		for (int i = 0; i < n; i++) {
			struct flow *fl = f[i];

			if (fl->done)
				continue;
			flow_service(fl, pfd[2 * i].revents,
				     pfd[2 * i + 1].revents);
			now = mono_ns();
			if (fl->done || now - fl->last_progress_ns <
						(uint64_t)stall_ms * 1000000u)
				continue;
			if (fl->lenient) {
				/* a hung-up or blocked lenient flow: end it */
				if (!fl->slave_closed)
					flow_close_slave(fl);
				else
					flow_finish(fl);
				continue;
			}
			printf("[%s] flows stalled for %d ms:\n", t_name,
			       stall_ms);
			for (int j = 0; j < n; j++)
				flow_report(f[j], j);
			FAIL("pty traffic stalled (flow %d, %s)", i,
			     fl->pty.name);
		}
		if (tick && now >= next_tick) {
			tick(arg);
			next_tick = now + (uint64_t)tick_ms * 1000000u;
		}
	}
	free(pfd);
}

void flow_free(struct flow *f)
{
	if (!f)
		return;
	pty_close(&f->pty);
	buf_free(&f->mrd);
	buf_free(&f->srd);
	free(f);
}
