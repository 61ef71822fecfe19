// SPDX-License-Identifier: GPL-2.0-only
/*
 * ttyscoped: reads the record stream of /dev/rpl, writes one log file per
 * tty session, and serves live records and operator requests on a unix
 * socket (docs/PROTOCOL.md).
 *
 * One thread, one poll() loop: the device, the listening socket, the
 * clients, a signalfd (SIGHUP reopens logs, SIGTERM/SIGINT exit) and a
 * timerfd (flush of compressed logs, retry of an absent device). Clients
 * have non-blocking sockets and bounded output queues; a client that does
 * not read loses records (and gets a LOSS record), never delays logging.
 *
 * The device is consumed through a mapping of its buffer when the module
 * offers one (docs/IOCTL.md, "Mapping the buffer"): records are handled in
 * place and released in batches; anything else is read().
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "tsc-i18n.h"
#include "tsc-proto.h"
#include "ttyscope.h"
#include "ttyscoped.h"

#ifndef TTYSCOPE_VERSION
#define TTYSCOPE_VERSION "0"
#endif

#define PROGRAM_NAME "ttyscoped"
#define DEFAULT_SOCKET "/run/ttyscope/ttyscope.sock"
#define DEFAULT_LOG_DIR "/var/log/ttyscope"
#define DEFAULT_NAME "%u/%Y%m%d.%H%M%S.%t"
#define PENDING_MAX 64 /* records held before a log is named */

/* A queue of encoded records (a ring of malloc'd copies). */
struct rawq {
	uint8_t **v;
	size_t head, n, cap;
	size_t bytes;
};

/*
 * struct tty - one live tty, from its OPEN to its CLOSE. Owned by the main
 * loop (single thread); nothing is shared.
 */
struct tty {
	struct tty *next;
	uint32_t major, minor;
	char name[TTYSCOPE_NAME_LEN + 1];
	uint32_t kind;
	uint32_t pass;
	struct tsc_session session;
	bool have_session;
	struct tsc_winsize ws;
	uint64_t open_ns, last_ns, records, last_seq;
	/* for LIST: typed and output payload bytes, records missed */
	uint64_t in_bytes, out_bytes, lost;

	/* catch-up for new subscribers: OPEN, then a bounded window */
	uint8_t *open_raw;
	struct rawq catchup;
	/* latest WINSIZE, SESSION, PASS: the start of a reopened log */
	uint8_t *last_ws, *last_session, *last_pass;

	/* the log: records wait in @pending until it is named */
	struct rawq pending;
	bool log_named;
	struct tsc_log_writer *log;
	int log_fd;
	char *log_path;
	uint32_t uid;
	uint64_t lost_records, lost_bytes; /* not logged since last LOSS */
};

/* A connected client. @out holds encoded records not yet sent. */
struct client {
	struct client *next;
	int fd;
	uid_t uid;
	pid_t pid;
	bool hello, closing;
	uint8_t in[TSC_REC_MAX_SIZE];
	size_t in_len;
	uint8_t *out;
	size_t out_off, out_len, out_cap;
	int sub; /* 0: none, 1: all ttys, 2: one tty */
	uint32_t sub_major, sub_minor;
	uint64_t lost_records, lost_bytes;
	/* uids already named to it in USER messages */
	uint32_t *told;
	size_t n_told, cap_told;
};

enum sub_kind { SUB_NONE, SUB_ALL, SUB_ONE };

static struct {
	/* options */
	const char *device;
	const char *socket_path;
	const char *log_dir;
	const char *name_tmpl;
	const char *group;
	const char *fake_control;
	const char *dev_root;
	bool log_passwords, foreground, compress;
	size_t catchup_max, queue_max;

	/* state */
	int dev_fd;
	bool dev_is_file, dev_eof, dev_waiting_reported;
	struct tsc_reader *reader;
	/* mapped buffer of the device, or NULL: read() through @reader */
	struct ttyscope_mmap_ctl *map_ctl;
	const uint8_t *map_ring;
	uint32_t map_size, map_tail;
	size_t map_ctl_len, map_ring_len;
	uint8_t *map_copy; /* a record that wraps, TSC_REC_MAX_SIZE bytes */
	struct tsc_control ctl;
	int listen_fd, sig_fd, timer_fd;
	gid_t gid;
	struct tty *ttys;
	struct client *clients;
	char host[256];
	bool disk_error_reported, quit;
	struct tsc_proto_stats stats;
	uint64_t start_mono;
} d;

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Report on stderr (foreground) and to syslog. */
static void msg(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(prio, fmt, ap);
	va_end(ap);
}

/* ---- record queues ---------------------------------------------------- */

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t tsc_get_len(const uint8_t *raw)
{
	return get_le32(raw + 12);
}

static uint64_t tsc_get_seq(const uint8_t *raw)
{
	return (uint64_t)get_le32(raw + 24) | (uint64_t)get_le32(raw + 28)
						      << 32;
}

static size_t raw_size(const uint8_t *raw)
{
	return TSC_REC_HDR_SIZE + tsc_get_len(raw);
}

static void rawq_pop(struct rawq *q)
{
	uint8_t *r = q->v[q->head];

	q->bytes -= raw_size(r);
	free(r);
	q->head = (q->head + 1) % q->cap;
	q->n--;
}

static uint8_t *rawq_at(const struct rawq *q, size_t i)
{
	return q->v[(q->head + i) % q->cap];
}

static int rawq_push(struct rawq *q, const uint8_t *raw)
{
	size_t size = raw_size(raw);
	uint8_t *copy;

	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 16;
		uint8_t **v = malloc(cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		for (size_t i = 0; i < q->n; i++)
			v[i] = rawq_at(q, i);
		free(q->v);
		q->v = v;
		q->cap = cap;
		q->head = 0;
	}
	copy = malloc(size);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, raw, size);
	q->v[(q->head + q->n) % q->cap] = copy;
	q->n++;
	q->bytes += size;
	return 0;
}

static void rawq_clear(struct rawq *q)
{
	while (q->n)
		rawq_pop(q);
	free(q->v);
	memset(q, 0, sizeof(*q));
}

static uint8_t *dup_raw(const uint8_t *raw)
{
	uint8_t *c = malloc(raw_size(raw));

	if (c)
		memcpy(c, raw, raw_size(raw));
	return c;
}

/* ---- log files -------------------------------------------------------- */

/* Append @s to @buf (size @size) at *@pos, replacing '/' by @slash. */
static void put_name(char *buf, size_t size, size_t *pos, const char *s,
		     char slash)
{
	for (; *s && *pos + 1 < size; s++)
		buf[(*pos)++] =
			(*s == '/' || (*s == '.' && s[1] == '.')) ? slash : *s;
	buf[*pos] = '\0';
}

/*
 * Expand the name template: %u user, %U uid, %t tty ("pts/3" as "pts-3"),
 * %h host, %Y %m %d %H %M %S the local time of the OPEN, %% a '%'.
 */
static void expand_name(const struct tty *t, const char *user, char *buf,
			size_t size)
{
	time_t sec = (time_t)(t->open_ns / 1000000000u);
	size_t pos = 0;
	char tmp[64];
	struct tm tm;

	localtime_r(&sec, &tm);
	buf[0] = '\0';
	for (const char *p = d.name_tmpl; *p && pos + 1 < size; p++) {
		const char *f = NULL;

		if (*p != '%' || !p[1]) {
			buf[pos++] = *p;
			buf[pos] = '\0';
			continue;
		}
		switch (*++p) {
		case 'u':
			put_name(buf, size, &pos, user, '_');
			continue;
		case 'U':
			snprintf(tmp, sizeof(tmp), "%u", t->uid);
			put_name(buf, size, &pos, tmp, '_');
			continue;
		case 't':
			put_name(buf, size, &pos, t->name, '-');
			continue;
		case 'h':
			put_name(buf, size, &pos, d.host, '_');
			continue;
		case 'Y':
			f = "%Y";
			break;
		case 'm':
			f = "%m";
			break;
		case 'd':
			f = "%d";
			break;
		case 'H':
			f = "%H";
			break;
		case 'M':
			f = "%M";
			break;
		case 'S':
			f = "%S";
			break;
		default:
			tmp[0] = *p;
			tmp[1] = '\0';
			put_name(buf, size, &pos, tmp, '_');
			continue;
		}
		strftime(tmp, sizeof(tmp), f, &tm);
		put_name(buf, size, &pos, tmp, '_');
	}
}

/* Create the directories of @path below the log directory, mode 0700. */
static int make_dirs(char *path)
{
	for (char *p = path + strlen(d.log_dir) + 1; (p = strchr(p, '/'));
	     p++) {
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			int err = errno;

			*p = '/';
			return -err;
		}
		*p = '/';
	}
	return 0;
}

/* The log's owner: the session leader's uid, else the tty node's owner. */
static uint32_t tty_uid(const struct tty *t)
{
	char path[PATH_MAX];
	struct stat st;

	if (t->have_session && t->session.sid != 0)
		return t->session.uid;
	snprintf(path, sizeof(path), "%s/%s", d.dev_root, t->name);
	if (t->name[0] && stat(path, &st) == 0)
		return st.st_uid;
	return TTYSCOPE_UID_UNSET;
}

static void report_disk_error(const struct tty *t, int err)
{
	if (d.disk_error_reported)
		return;
	d.disk_error_reported = true;
	msg(LOG_ERR,
	    _("cannot write log of %s '%s': %s; records are counted and a LOSS record is written when writing works again"),
	    t->name, t->log_path ? t->log_path : d.log_dir, strerror(err));
}

static void log_close(struct tty *t)
{
	int r;

	if (!t->log)
		return;
	r = tsc_log_writer_finish(t->log);
	if (r < 0)
		msg(LOG_ERR, _("cannot finish log '%s': %s"), t->log_path,
		    strerror(-r));
	tsc_log_writer_free(t->log);
	t->log = NULL;
	if (close(t->log_fd) < 0)
		msg(LOG_ERR, _("cannot close log '%s': %s"), t->log_path,
		    strerror(errno));
	t->log_fd = -1;
	d.stats.logs--;
}

/* How long a user name looked up is trusted. */
#define USER_NAME_TTL_NS (60 * 1000000000ull)

/*
 * The name of @uid on this machine ("" if it has none), from a cache: a
 * lookup may be slow (LDAP), and this loop serves every tty and client.
 */
static const char *user_name(uint32_t uid)
{
	static struct {
		uint32_t uid;
		uint64_t at_ns;
		char name[TSC_USER_NAME_MAX + 1];
	} cache[64];
	const unsigned int n_cache = sizeof(cache) / sizeof(cache[0]);
	static unsigned int next;
	uint64_t now = now_ns(CLOCK_MONOTONIC);
	struct passwd *pw;
	unsigned int i;

	for (i = 0; i < n_cache; i++)
		if (cache[i].at_ns && cache[i].uid == uid)
			break;
	if (i < n_cache && now - cache[i].at_ns < USER_NAME_TTL_NS)
		return cache[i].name;
	if (i == n_cache)
		i = next++ % n_cache;
	pw = getpwuid(uid);
	cache[i].uid = uid;
	cache[i].at_ns = now;
	cache[i].name[0] = '\0';
	if (pw && strlen(pw->pw_name) <= TSC_USER_NAME_MAX)
		snprintf(cache[i].name, sizeof(cache[i].name), "%s",
			 pw->pw_name);
	return cache[i].name;
}

/* Create the log file of @t; the name is fixed by the first success. */
static int log_open(struct tty *t)
{
	char rel[PATH_MAX / 2], path[PATH_MAX], user[64];
	struct tsc_log_writer_options wo = {
		.flags = d.compress ? TSC_LOG_ZSTD : 0,
	};
	const struct tsc_log_field fields[] = {
		{ "ttyscoped.version", TTYSCOPE_VERSION },
	};
	struct tsc_log_meta meta = {
		.major = t->major,
		.minor = t->minor,
		.start_ns = t->open_ns,
		.host = d.host,
		.tty = t->name,
		.user = user,
		.n_fields = 1,
		.fields = fields,
	};
	const char *name;
	int fd = -1, r;

	t->uid = tty_uid(t);
	meta.uid = t->uid;
	name = t->uid != TTYSCOPE_UID_UNSET ? user_name(t->uid) : "";
	if (name[0])
		snprintf(user, sizeof(user), "%s", name);
	else if (t->uid != TTYSCOPE_UID_UNSET)
		snprintf(user, sizeof(user), "%u", t->uid);
	else
		snprintf(user, sizeof(user), "unknown");
	expand_name(t, user, rel, sizeof(rel));
	if (mkdir(d.log_dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	for (int i = 0; i < 1000 && fd < 0; i++) {
		if (i == 0)
			snprintf(path, sizeof(path), "%s/%s", d.log_dir, rel);
		else
			snprintf(path, sizeof(path), "%s/%s.%d", d.log_dir, rel,
				 i);
		r = make_dirs(path);
		if (r < 0)
			return r;
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			return -errno;
	}
	if (fd < 0)
		return -EEXIST;
	r = tsc_log_writer_new(fd, &meta, &wo, &t->log);
	if (r < 0) {
		unlink(path);
		close(fd);
		return r;
	}
	free(t->log_path);
	t->log_path = strdup(path);
	t->log_fd = fd;
	d.stats.logs++;
	return 0;
}

/* Write one record to the log of @t, with a LOSS first after failures. */
static void log_write(struct tty *t, const uint8_t *raw)
{
	struct tsc_rec rec;
	int r;

	if (tsc_rec_parse(raw, raw_size(raw), &rec) < 0)
		return;
	if (!t->log) {
		r = log_open(t);
		if (r < 0)
			goto fail;
	}
	if (t->lost_records) {
		struct tsc_rec_hdr h = {
			.type = TTYSCOPE_REC_LOSS,
			.len = TSC_LOSS_SIZE,
			.ts_ns = rec.hdr.ts_ns,
		};
		struct tsc_loss loss = {
			.records = t->lost_records,
			.bytes = t->lost_bytes,
		};
		uint8_t p[TSC_LOSS_SIZE];

		tsc_rec_encode_loss(&loss, p);
		r = tsc_log_writer_append(t->log, &h, p);
		if (r < 0)
			goto fail;
		t->lost_records = t->lost_bytes = 0;
	}
	r = tsc_log_writer_append(t->log, &rec.hdr, rec.payload);
	if (r < 0)
		goto fail;
	if (d.disk_error_reported) {
		d.disk_error_reported = false;
		msg(LOG_NOTICE, _("writing logs works again"));
	}
	return;
fail:
	t->lost_records++;
	t->lost_bytes += rec.hdr.len;
	d.stats.log_lost++;
	report_disk_error(t, -r);
}

/*
 * Name the log once the user is known: at the first SESSION with a
 * session, at the first record that is not OPEN/WINSIZE/SESSION, or when
 * PENDING_MAX records wait. Until then the records wait in @pending.
 */
static void log_record(struct tty *t, const uint8_t *raw, unsigned int type)
{
	bool name_now;

	if (t->log_named) {
		log_write(t, raw);
		return;
	}
	if (rawq_push(&t->pending, raw) < 0) {
		t->lost_records++;
		t->lost_bytes += tsc_get_len(raw);
		return;
	}
	name_now = (type == TTYSCOPE_REC_SESSION && t->session.sid != 0) ||
		   (type != TTYSCOPE_REC_OPEN && type != TTYSCOPE_REC_WINSIZE &&
		    type != TTYSCOPE_REC_SESSION) ||
		   t->pending.n >= PENDING_MAX;
	if (!name_now)
		return;
	t->log_named = true;
	while (t->pending.n) {
		log_write(t, rawq_at(&t->pending, 0));
		rawq_pop(&t->pending);
	}
}

/* SIGHUP: finish every log and start a new one for each live tty. */
static void reopen_logs(void)
{
	for (struct tty *t = d.ttys; t; t = t->next) {
		uint8_t *start[4] = { t->open_raw, t->last_ws, t->last_session,
				      t->last_pass };

		if (!t->log_named)
			continue;
		log_close(t);
		t->log_named = false;
		/* the new file starts with what a reader needs, in seq order */
		for (int i = 0; i < 4; i++)
			for (int j = i + 1; j < 4; j++)
				if (start[i] && start[j] &&
				    tsc_get_seq(start[j]) <
					    tsc_get_seq(start[i])) {
					uint8_t *x = start[i];

					start[i] = start[j];
					start[j] = x;
				}
		for (int i = 0; i < 4; i++)
			if (start[i])
				rawq_push(&t->pending, start[i]);
		t->log_named = true;
		while (t->pending.n) {
			log_write(t, rawq_at(&t->pending, 0));
			rawq_pop(&t->pending);
		}
	}
	msg(LOG_INFO, _("logs reopened"));
}

/* ---- ttys ------------------------------------------------------------- */

static struct tty *tty_find(uint32_t major, uint32_t minor)
{
	for (struct tty *t = d.ttys; t; t = t->next)
		if (t->major == major && t->minor == minor)
			return t;
	return NULL;
}

static struct tty *tty_new(uint32_t major, uint32_t minor, uint64_t ts)
{
	struct tty *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->major = major;
	t->minor = minor;
	t->pass = 1;
	t->open_ns = ts;
	t->log_fd = -1;
	t->uid = TTYSCOPE_UID_UNSET;
	/* a tty that was open before the daemon: guess its name */
	if (major >= 136 && major <= 143)
		snprintf(t->name, sizeof(t->name), "pts/%u",
			 (major - 136) * 1048576u + minor);
	else
		snprintf(t->name, sizeof(t->name), "char-%u:%u", major, minor);
	t->next = d.ttys;
	d.ttys = t;
	d.stats.ttys++;
	return t;
}

static void tty_free(struct tty *t)
{
	struct tty **pp;

	for (pp = &d.ttys; *pp != t; pp = &(*pp)->next)
		;
	*pp = t->next;
	if (!t->log_named && t->pending.n) {
		t->log_named = true;
		while (t->pending.n) {
			log_write(t, rawq_at(&t->pending, 0));
			rawq_pop(&t->pending);
		}
	}
	log_close(t);
	rawq_clear(&t->pending);
	rawq_clear(&t->catchup);
	free(t->open_raw);
	free(t->last_ws);
	free(t->last_session);
	free(t->last_pass);
	free(t->log_path);
	free(t);
	d.stats.ttys--;
}

static void replace_raw(uint8_t **slot, const uint8_t *raw)
{
	uint8_t *c = dup_raw(raw);

	if (c) {
		free(*slot);
		*slot = c;
	}
}

/* Keep what a new subscriber needs to draw the screen, within bounds. */
static void catchup_add(struct tty *t, const uint8_t *raw)
{
	if (rawq_push(&t->catchup, raw) < 0)
		return;
	while (t->catchup.n > 1 && t->catchup.bytes > d.catchup_max)
		rawq_pop(&t->catchup);
}

/* ---- clients ---------------------------------------------------------- */

static void client_queue(struct client *c, const void *raw, size_t size,
			 bool droppable);

/* Queue the LOSS record telling @c what it lost since the last one. */
static void client_queue_loss(struct client *c)
{
	struct tsc_rec_hdr h = {
		.type = TTYSCOPE_REC_LOSS,
		.len = TSC_LOSS_SIZE,
		.ts_ns = now_ns(CLOCK_REALTIME),
	};
	struct tsc_loss loss = { c->lost_records, c->lost_bytes };
	uint8_t p[TSC_LOSS_SIZE], rec[TSC_REC_HDR_SIZE + TSC_LOSS_SIZE];

	tsc_rec_encode_loss(&loss, p);
	tsc_rec_encode(&h, p, rec, sizeof(rec));
	c->lost_records = c->lost_bytes = 0;
	client_queue(c, rec, sizeof(rec), false);
}

/* Queue a record; a droppable one is dropped (and counted) when full. */
static void client_queue(struct client *c, const void *raw, size_t size,
			 bool droppable)
{
	size_t used = c->out_len - c->out_off;

	if (c->closing)
		return;
	if (c->lost_records &&
	    used + TSC_REC_HDR_SIZE + TSC_LOSS_SIZE + size <= d.queue_max) {
		client_queue_loss(c);
		used = c->out_len - c->out_off;
	}
	if (droppable && (c->lost_records || used + size > d.queue_max)) {
		c->lost_records++;
		c->lost_bytes += size - TSC_REC_HDR_SIZE;
		d.stats.client_lost++;
		return;
	}
	if (used + size > 2 * d.queue_max) {
		/* replies the client does not read: give up on it */
		c->closing = true;
		return;
	}
	if (c->out_off && c->out_len + size > c->out_cap) {
		memmove(c->out, c->out + c->out_off, used);
		c->out_len = used;
		c->out_off = 0;
	}
	if (c->out_len + size > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 65536;
		uint8_t *o;

		while (cap < c->out_len + size)
			cap *= 2;
		o = realloc(c->out, cap);
		if (!o) {
			c->closing = true;
			return;
		}
		c->out = o;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, raw, size);
	c->out_len += size;
}

/* Send what the socket takes now; never blocks. */
static void client_flush(struct client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				c->closing = true;
			return;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
}

static void reply(struct client *c, const struct tsc_proto_request *q, int err,
		  const void *data, size_t len, bool more)
{
	struct tsc_proto_reply r = {
		.id = q->id,
		.verb = q->verb,
		.error = (uint32_t)(err < 0 ? -err : err),
		.more = more,
		.major = q->major,
		.minor = q->minor,
		.data = data,
		.len = len,
	};
	uint8_t buf[TSC_REC_MAX_SIZE];
	int n = tsc_proto_encode_reply(&r, now_ns(CLOCK_REALTIME), buf,
				       sizeof(buf));

	if (n > 0)
		client_queue(c, buf, (size_t)n, false);
}

static bool sub_matches(const struct client *c, uint32_t major, uint32_t minor)
{
	if (!c->hello || c->sub == SUB_NONE)
		return false;
	if (c->sub == SUB_ALL || (major == 0 && minor == 0))
		return true;
	return c->sub_major == major && c->sub_minor == minor;
}

/*
 * Name @uid to @c in a USER message, once per connection, before the first
 * LIST entry or SESSION record that carries it (docs/PROTOCOL.md).
 */
static void tell_user(struct client *c, uint32_t uid)
{
	struct tsc_proto_user u = { .uid = uid };
	uint8_t buf[TSC_REC_HDR_SIZE + TSC_USER_HEAD_SIZE + TSC_USER_NAME_MAX];
	int n;

	if (uid == TTYSCOPE_UID_UNSET)
		return;
	for (size_t i = 0; i < c->n_told; i++)
		if (c->told[i] == uid)
			return;
	snprintf(u.name, sizeof(u.name), "%s", user_name(uid));
	n = tsc_proto_encode_user(&u, now_ns(CLOCK_REALTIME), buf, sizeof(buf));
	if (n < 0)
		return;
	client_queue(c, buf, (size_t)n, false);
	if (c->n_told == c->cap_told) {
		size_t cap = c->cap_told ? 2 * c->cap_told : 16;
		uint32_t *a = realloc(c->told, cap * sizeof(*a));

		if (!a)
			return; /* told again next time */
		c->told = a;
		c->cap_told = cap;
	}
	c->told[c->n_told++] = uid;
}

static void tell_session_users(struct client *c, const struct tsc_session *s)
{
	tell_user(c, s->uid);
	tell_user(c, s->loginuid);
}

/* Queue a record of the catch-up, after naming the users it carries. */
static void queue_catchup(struct client *c, const uint8_t *raw)
{
	size_t size = raw_size(raw);
	struct tsc_session s;
	struct tsc_rec rec;

	if (tsc_rec_parse(raw, size, &rec) == 0 &&
	    rec.hdr.type == TTYSCOPE_REC_SESSION &&
	    tsc_rec_decode_session(&rec, &s) == 0)
		tell_session_users(c, &s);
	client_queue(c, raw, size, true);
}

/* Send a subscriber the records that draw the current screen of @t. */
static void send_catchup(struct client *c, struct tty *t)
{
	uint8_t sync[TSC_REC_HDR_SIZE];
	uint64_t seq = 0;

	if (t->open_raw) {
		queue_catchup(c, t->open_raw);
		seq = tsc_get_seq(t->open_raw);
	}
	for (size_t i = 0; i < t->catchup.n; i++) {
		const uint8_t *r = rawq_at(&t->catchup, i);

		queue_catchup(c, r);
		seq = tsc_get_seq(r);
	}
	tsc_proto_encode_sync(t->major, t->minor, seq, now_ns(CLOCK_REALTIME),
			      sync, sizeof(sync));
	client_queue(c, sync, sizeof(sync), false);
}

static void audit(const struct client *c, const char *verb,
		  const struct tsc_proto_request *q, const char *detail, int r)
{
	syslog(LOG_NOTICE, "operator uid=%u pid=%d %s %u:%u%s%s: %s",
	       (unsigned int)c->uid, (int)c->pid, verb, q->major, q->minor,
	       detail[0] ? " " : "", detail, r < 0 ? strerror(-r) : "ok");
}

/* Write an operator's message to the user's terminal, in a banner. */
static int tty_message(const struct tty *t, uid_t uid, const uint8_t *text,
		       size_t len)
{
	char path[PATH_MAX], *buf, *p;
	size_t size = 2 * len + 256;
	int fd, r = 0;

	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	p = buf +
	    snprintf(
		    buf, size,
		    "\r\n\a*** Message from the ttyscope operator (uid %u) ***\r\n",
		    (unsigned int)uid);
	/* control characters could drive the terminal: keep only text */
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n') {
			*p++ = '\r';
			*p++ = '\n';
		} else if (text[i] >= 0x20 && text[i] != 0x7f) {
			*p++ = (char)text[i];
		} else if (text[i] == '\t') {
			*p++ = ' ';
		}
	}
	p += sprintf(p, "\r\n*** End of message ***\r\n");
	snprintf(path, sizeof(path), "%s/%s", d.dev_root, t->name);
	fd = open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	for (char *q = buf; q < p;) {
		ssize_t n = write(fd, q, (size_t)(p - q));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		q += n;
	}
	close(fd);
	free(buf);
	return r;
}

static void do_list(struct client *c, const struct tsc_proto_request *q)
{
	uint8_t data[TSC_REPLY_DATA_MAX];
	size_t n = 0;

	for (struct tty *t = d.ttys; t; t = t->next)
		if (t->have_session)
			tell_session_users(c, &t->session);
	for (struct tty *t = d.ttys; t; t = t->next) {
		struct tsc_proto_tty e = {
			.major = t->major,
			.minor = t->minor,
			.kind = t->kind,
			.pass = t->pass,
			.sid = t->session.sid,
			.pgrp = t->session.pgrp,
			.uid = t->have_session ? t->session.uid :
						 TTYSCOPE_UID_UNSET,
			.loginuid = t->have_session ? t->session.loginuid :
						      TTYSCOPE_UID_UNSET,
			.rows = t->ws.rows,
			.cols = t->ws.cols,
			.open_ns = t->open_ns,
			.last_ns = t->last_ns,
			.records = t->records,
			.in_bytes = t->in_bytes,
			.out_bytes = t->out_bytes,
			.lost = t->lost,
		};

		snprintf(e.name, sizeof(e.name), "%s", t->name);
		snprintf(e.comm, sizeof(e.comm), "%s", t->session.comm);
		snprintf(e.fg_comm, sizeof(e.fg_comm), "%s",
			 t->session.fg_comm);
		if (n == TSC_PROTO_TTYS_PER_REPLY) {
			reply(c, q, 0, data, n * TSC_PROTO_TTY_SIZE, true);
			n = 0;
		}
		tsc_proto_encode_tty(&e, data + n * TSC_PROTO_TTY_SIZE);
		n++;
	}
	reply(c, q, 0, data, n * TSC_PROTO_TTY_SIZE, false);
}

/* Run one request of an authorised client; every action is audited. */
static void handle_request(struct client *c, const struct tsc_proto_request *q)
{
	const char *verb = tsc_proto_verb_name(q->verb);
	struct tty *t = tty_find(q->major, q->minor);
	char detail[64] = "";
	uint8_t data[TSC_PROTO_STATS_SIZE];
	uint32_t maj = 0, min = 0;
	int r;

	switch (q->verb) {
	case TSC_VERB_LIST:
		do_list(c, q);
		return;
	case TSC_VERB_SUBSCRIBE:
		if (q->flags & ~TSC_SUB_ALL || q->len) {
			reply(c, q, EINVAL, NULL, 0, false);
			return;
		}
		if (!(q->flags & TSC_SUB_ALL) && !t) {
			reply(c, q, ENODEV, NULL, 0, false);
			return;
		}
		c->sub = q->flags & TSC_SUB_ALL ? SUB_ALL : SUB_ONE;
		c->sub_major = q->major;
		c->sub_minor = q->minor;
		reply(c, q, 0, NULL, 0, false);
		for (struct tty *u = d.ttys; u; u = u->next)
			if (c->sub == SUB_ALL || u == t)
				send_catchup(c, u);
		audit(c, verb, q, c->sub == SUB_ALL ? "all" : "", 0);
		return;
	case TSC_VERB_UNSUBSCRIBE:
		c->sub = SUB_NONE;
		reply(c, q, 0, NULL, 0, false);
		return;
	case TSC_VERB_STATS:
		d.stats.uptime_s =
			(uint32_t)((now_ns(CLOCK_MONOTONIC) - d.start_mono) /
				   1000000000u);
		tsc_proto_encode_stats(&d.stats, data);
		reply(c, q, 0, data, sizeof(data), false);
		return;
	case TSC_VERB_BLOCK:
	case TSC_VERB_UNBLOCK:
		r = q->len ? -EINVAL :
			     d.ctl.set_pass(&d.ctl, q->major, q->minor,
					    q->verb == TSC_VERB_UNBLOCK,
					    (uint32_t)c->uid);
		break;
	case TSC_VERB_INJECT:
		r = q->len == 0 ?
			    -EINVAL :
			    d.ctl.inject(&d.ctl, q->major, q->minor, q->args,
					 q->len, (uint32_t)c->uid);
		snprintf(detail, sizeof(detail), "len=%zu", q->len);
		if (r >= 0) {
			uint8_t cnt[4];

			put_le32(cnt, (uint32_t)r);
			audit(c, verb, q, detail, r);
			reply(c, q, 0, cnt, sizeof(cnt), false);
			return;
		}
		break;
	case TSC_VERB_HANGUP:
		r = q->len ? -EINVAL : d.ctl.hangup(&d.ctl, q->major, q->minor);
		break;
	case TSC_VERB_DETACH:
		r = q->len ? -EINVAL : d.ctl.detach(&d.ctl, q->major, q->minor);
		break;
	case TSC_VERB_MESSAGE:
		snprintf(detail, sizeof(detail), "len=%zu", q->len);
		r = q->len == 0 ? -EINVAL :
		    !t		? -ENODEV :
				  tty_message(t, c->uid, q->args, q->len);
		break;
	case TSC_VERB_ATTACH: {
		char path[PATH_MAX];
		struct stat st;
		int fd;

		if (q->len == 0 || q->len >= sizeof(path) ||
		    memchr(q->args, 0, q->len)) {
			r = -EINVAL;
			break;
		}
		memcpy(path, q->args, q->len);
		path[q->len] = '\0';
		snprintf(detail, sizeof(detail), "%.60s", path);
		fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			r = -errno;
			break;
		}
		if (fstat(fd, &st) < 0 ||
		    (!S_ISCHR(st.st_mode) && !d.fake_control))
			r = -ENOTTY;
		else
			r = d.ctl.attach(&d.ctl, fd, path, &maj, &min);
		close(fd);
		if (r == 0) {
			uint8_t mm[8];

			put_le32(mm, maj);
			put_le32(mm + 4, min);
			audit(c, verb, q, detail, 0);
			reply(c, q, 0, mm, sizeof(mm), false);
			return;
		}
		break;
	}
	default:
		reply(c, q, EOPNOTSUPP, NULL, 0, false);
		return;
	}
	audit(c, verb, q, detail, r);
	reply(c, q, r < 0 ? -r : 0, NULL, 0, false);
}

/* Handle whole messages in the client's input buffer. */
static void client_input(struct client *c)
{
	size_t off = 0;

	while (!c->closing && off < c->in_len) {
		struct tsc_proto_msg m;
		struct tsc_proto_request bad = { 0 };
		int n = tsc_proto_parse(c->in + off, c->in_len - off, &m);

		if (n == -ENODATA)
			break;
		if (n < 0) {
			reply(c, &bad, EBADMSG, NULL, 0, false);
			c->closing = true;
			break;
		}
		off += (size_t)n;
		if (!c->hello) {
			if (m.type != TSC_MSG_HELLO ||
			    m.hello.version != TSC_PROTO_VERSION) {
				reply(c, &bad,
				      m.type == TSC_MSG_HELLO ?
					      EPROTONOSUPPORT :
					      EPROTO,
				      NULL, 0, false);
				c->closing = true;
				break;
			}
			c->hello = true;
			continue;
		}
		if (m.type == TSC_MSG_REQUEST) {
			handle_request(c, &m.request);
		} else {
			bad.id = m.rec.hdr.seq;
			reply(c, &bad, EPROTO, NULL, 0, false);
		}
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
}

static void client_read(struct client *c)
{
	ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len,
			 MSG_DONTWAIT);

	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			c->closing = true;
		return;
	}
	if (n == 0) {
		c->closing = true;
		c->out_len = c->out_off = 0;
		return;
	}
	c->in_len += (size_t)n;
	client_input(c);
}

static void client_free(struct client *c)
{
	struct client **pp;

	for (pp = &d.clients; *pp != c; pp = &(*pp)->next)
		;
	*pp = c->next;
	/* unread input at close() would reset the connection before the
	 * peer reads our last reply: drain it first */
	shutdown(c->fd, SHUT_WR);
	while (recv(c->fd, c->in, sizeof(c->in), MSG_DONTWAIT) > 0)
		;
	close(c->fd);
	free(c->out);
	free(c->told);
	free(c);
	d.stats.clients--;
}

/* Root and members of the group may connect (checked with SO_PEERCRED). */
static bool peer_allowed(int fd, const struct ucred *cred)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);

	if (cred->uid == 0 || (d.gid != 0 && cred->gid == d.gid))
		return true;
	if (d.gid == 0)
		return false;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0) {
		for (size_t i = 0; i < len / sizeof(gid_t); i++)
			if (groups[i] == d.gid)
				return true;
	}
	return false;
}

static void accept_client(void)
{
	struct tsc_proto_hello h = { .version = TSC_PROTO_VERSION };
	struct tsc_proto_host host = { .name = "" };
	struct tsc_proto_request none = { 0 };
	uint8_t buf[TSC_REC_MAX_SIZE];
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct client *c;
	int fd, n;

	fd = accept4(d.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		free(c);
		close(fd);
		return;
	}
	c->fd = fd;
	c->uid = cred.uid;
	c->pid = cred.pid;
	c->next = d.clients;
	d.clients = c;
	d.stats.clients++;
	if (!peer_allowed(fd, &cred)) {
		syslog(LOG_WARNING,
		       "refused connection of uid=%u pid=%d: not root nor in group %s",
		       (unsigned int)cred.uid, (int)cred.pid, d.group);
		reply(c, &none, EACCES, NULL, 0, false);
		client_flush(c);
		c->closing = true;
		return;
	}
	h.uid = (uint32_t)cred.uid;
	snprintf(h.name, sizeof(h.name), "ttyscoped %s", TTYSCOPE_VERSION);
	/* HOST_NAME_MAX is 64 on Linux */
	memcpy(host.name, d.host, strnlen(d.host, TSC_HOST_NAME_MAX));
	n = tsc_proto_encode_hello(&h, now_ns(CLOCK_REALTIME), buf,
				   sizeof(buf));
	if (n > 0)
		client_queue(c, buf, (size_t)n, false);
	n = tsc_proto_encode_host(&host, now_ns(CLOCK_REALTIME), buf,
				  sizeof(buf));
	if (n > 0)
		client_queue(c, buf, (size_t)n, false);
	client_flush(c);
}

/* ---- the device ------------------------------------------------------- */

static bool is_password_input(const struct tsc_rec_hdr *h)
{
	return (h->type == TTYSCOPE_REC_IN ||
		h->type == TTYSCOPE_REC_IN_DROPPED) &&
	       (h->flags & TTYSCOPE_RF_NOECHO) &&
	       !(h->flags & TTYSCOPE_RF_NONCANON);
}

/* One record from the device: state, log, catch-up, subscribers. */
static void handle_record(const struct tsc_rec *rec)
{
	uint8_t masked[TSC_REC_MAX_SIZE];
	const uint8_t *raw = rec->raw;
	const struct tsc_rec_hdr *h = &rec->hdr;
	size_t size = TSC_REC_HDR_SIZE + h->len;
	struct tty *t;

	d.stats.records++;
	d.stats.bytes += h->len;
	if (h->type >= TSC_REC_USER_FIRST)
		return; /* not the kernel's: nothing to log or forward */
	if (!d.log_passwords && is_password_input(h)) {
		memcpy(masked, raw, size);
		memset(masked + TSC_REC_HDR_SIZE, '*', h->len);
		raw = masked;
	}
	if (h->type == TTYSCOPE_REC_LOSS) {
		struct tsc_loss loss;

		if (tsc_rec_decode_loss(rec, &loss) == 0)
			d.stats.device_lost += loss.records;
		for (t = d.ttys; t; t = t->next)
			log_record(t, raw, h->type);
	} else {
		t = tty_find(h->major, h->minor);
		if (t && h->type == TTYSCOPE_REC_OPEN) {
			tty_free(t); /* its CLOSE was lost */
			t = NULL;
		}
		if (!t)
			t = tty_new(h->major, h->minor, h->ts_ns);
		if (!t)
			return;
		/* a gap in seq: the device dropped records of this tty */
		if (t->records && h->seq > t->last_seq + 1)
			t->lost += h->seq - t->last_seq - 1;
		t->last_ns = h->ts_ns;
		t->last_seq = h->seq;
		t->records++;
		if (h->type == TTYSCOPE_REC_IN ||
		    h->type == TTYSCOPE_REC_IN_DROPPED)
			t->in_bytes += h->len;
		else if (h->type == TTYSCOPE_REC_OUT)
			t->out_bytes += h->len;
		switch (h->type) {
		case TTYSCOPE_REC_OPEN: {
			struct tsc_open o;

			if (tsc_rec_decode_open(rec, &o) == 0) {
				snprintf(t->name, sizeof(t->name), "%s",
					 o.name);
				t->kind = o.kind;
			}
			free(t->open_raw);
			t->open_raw = dup_raw(raw);
			break;
		}
		case TTYSCOPE_REC_WINSIZE:
			tsc_rec_decode_winsize(rec, &t->ws);
			replace_raw(&t->last_ws, raw);
			catchup_add(t, raw);
			break;
		case TTYSCOPE_REC_SESSION:
			if (tsc_rec_decode_session(rec, &t->session) == 0)
				t->have_session = true;
			replace_raw(&t->last_session, raw);
			catchup_add(t, raw);
			break;
		case TTYSCOPE_REC_PASS: {
			struct tsc_pass p;

			if (tsc_rec_decode_pass(rec, &p) == 0)
				t->pass = p.pass;
			replace_raw(&t->last_pass, raw);
			catchup_add(t, raw);
			break;
		}
		case TTYSCOPE_REC_OUT:
			catchup_add(t, raw);
			break;
		default:
			break;
		}
		log_record(t, raw, h->type);
	}
	for (struct client *c = d.clients; c; c = c->next) {
		if (!sub_matches(c, h->major, h->minor))
			continue;
		if (h->type == TTYSCOPE_REC_SESSION && t && t->have_session)
			tell_session_users(c, &t->session);
		client_queue(c, raw, size, true);
	}
	if (h->type == TTYSCOPE_REC_CLOSE)
		tty_free(t);
}

static void device_unmap(void)
{
	if (d.map_ring)
		munmap((void *)d.map_ring, d.map_ring_len);
	if (d.map_ctl)
		munmap(d.map_ctl, d.map_ctl_len);
	free(d.map_copy);
	d.map_ring = NULL;
	d.map_ctl = NULL;
	d.map_copy = NULL;
}

static void device_close(void)
{
	device_unmap();
	tsc_reader_free(d.reader);
	d.reader = NULL;
	if (d.dev_fd >= 0)
		close(d.dev_fd);
	d.dev_fd = -1;
}

/*
 * Map the control page and the ring of the device. Returns 0, or -errno
 * with nothing mapped; *@ret_switched is set when a mapping succeeded
 * before the failure (the reader is then switched over and read() fails).
 */
static int device_map(bool *ret_switched)
{
	long page = sysconf(_SC_PAGESIZE);
	uint32_t size;
	void *p;
	int r;

	*ret_switched = false;
	d.map_ctl_len = (size_t)page;
	p = mmap(NULL, d.map_ctl_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 d.dev_fd, TTYSCOPE_MMAP_CTL);
	if (p == MAP_FAILED)
		return -errno;
	*ret_switched = true;
	d.map_ctl = p;
	size = d.map_ctl->size;
	if (size < TTYSCOPE_BUF_MIN || size > TTYSCOPE_BUF_MAX ||
	    (size & (size - 1))) {
		r = -EPROTO;
		goto err_unmap;
	}
	d.map_size = size;
	d.map_ring_len =
		((size_t)size + (size_t)page - 1) / (size_t)page * (size_t)page;
	p = mmap(NULL, d.map_ring_len, PROT_READ, MAP_SHARED, d.dev_fd,
		 TTYSCOPE_MMAP_DATA);
	if (p == MAP_FAILED) {
		r = -errno;
		goto err_unmap;
	}
	d.map_ring = p;
	d.map_copy = malloc(TSC_REC_MAX_SIZE);
	if (!d.map_copy) {
		r = -ENOMEM;
		goto err_unmap;
	}
	/* where read() would have gone on: nothing was read yet */
	d.map_tail = __atomic_load_n(&d.map_ctl->tail, __ATOMIC_RELAXED);
	return 0;

err_unmap:
	device_unmap();
	return r;
}

/* Open the device; a missing module is waited for, reported once. */
static int device_open(void)
{
	struct tsc_reader_options ro = { .flags = TSC_READER_RESYNC };
	struct stat st;
	int flags = O_RDONLY;
	bool switched = false;
	int r;

	if (stat(d.device, &st) == 0 &&
	    (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)))
		flags = O_RDWR; /* a FIFO never sees EOF when a writer leaves;
				 * mapping the device takes O_RDWR */
reopen:
	d.dev_fd = open(d.device, flags | O_NONBLOCK | O_CLOEXEC);
	if (d.dev_fd < 0 && flags == O_RDWR && S_ISCHR(st.st_mode) &&
	    (errno == EACCES || errno == EPERM || errno == EROFS)) {
		flags = O_RDONLY; /* may read, not map: read() it */
		goto reopen;
	}
	if (d.dev_fd < 0) {
		r = -errno;
		if (!d.dev_waiting_reported)
			msg(LOG_WARNING,
			    _("cannot open '%s': %s; is the ttyscope module loaded? Retrying."),
			    d.device, strerror(-r));
		d.dev_waiting_reported = true;
		return r;
	}
	d.dev_is_file = fstat(d.dev_fd, &st) == 0 && S_ISREG(st.st_mode);
	if (!d.dev_is_file && !switched) {
		r = device_map(&switched);
		if (r == 0) {
			msg(LOG_INFO,
			    _("reading '%s' through a mapped buffer of %u KiB"),
			    d.device, d.map_size >> 10);
		} else {
			msg(LOG_DEBUG, _("cannot map '%s': %s; using read()"),
			    d.device, strerror(-r));
			if (switched) {
				/* read() is refused now: start afresh */
				close(d.dev_fd);
				d.dev_fd = -1;
				goto reopen;
			}
		}
	}
	r = tsc_reader_new(d.dev_fd, &ro, &d.reader);
	if (r < 0) {
		device_close();
		return r;
	}
	if (d.fake_control)
		tsc_control_init_fake(&d.ctl, d.fake_control);
	else if (S_ISCHR(st.st_mode))
		tsc_control_init_ioctl(&d.ctl, d.dev_fd);
	else
		tsc_control_init_none(&d.ctl);
	if (d.dev_waiting_reported)
		msg(LOG_NOTICE, _("reading '%s'"), d.device);
	d.dev_waiting_reported = false;
	return 0;
}

/*
 * Handle the records queued in the mapped buffer, in place, then release
 * them. Malformed bytes are skipped to the next valid record, as the
 * reader does with TSC_READER_RESYNC.
 */
static void device_read_mapped(void)
{
	uint32_t head = __atomic_load_n(&d.map_ctl->head, __ATOMIC_ACQUIRE);
	uint32_t tail = d.map_tail;
	struct tsc_rec rec;

	for (int i = 0; i < 4096 && tail != head; i++) {
		int r = tsc_ring_next(d.map_ring, d.map_size, tail, head,
				      d.map_copy, &rec);

		if (r == 1) {
			handle_record(&rec);
			tail += TSC_REC_HDR_SIZE + rec.hdr.len;
		} else if (r == -EBADMSG || r == -ENODATA) {
			tail = tsc_ring_resync(d.map_ring, d.map_size, tail,
					       head);
		} else {
			msg(LOG_ERR, _("cannot read '%s': %s"), d.device,
			    strerror(-r));
			device_close();
			return;
		}
	}
	d.map_tail = tail;
	/* the kernel may reuse the bytes before tail from now on */
	__atomic_store_n(&d.map_ctl->tail, tail, __ATOMIC_RELEASE);
}

static void device_read(void)
{
	struct tsc_rec rec;

	if (d.map_ctl) {
		device_read_mapped();
		return;
	}
	for (int i = 0; i < 4096; i++) {
		int r = tsc_reader_next(d.reader, &rec);

		if (r == 1) {
			handle_record(&rec);
			continue;
		}
		if (r == -EAGAIN || r == -EINTR)
			return;
		if (r == 0 && d.dev_is_file) {
			d.dev_eof = true; /* a file: its records are all read */
			return;
		}
		msg(LOG_ERR, _("cannot read '%s': %s"), d.device,
		    r == 0 ? _("end of file") : strerror(-r));
		device_close();
		return;
	}
}

/* ---- setup and main loop ---------------------------------------------- */

static int listen_socket(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)], *slash;
	int fd, n;

	/*
	 * Bind and listen under a temporary name, then rename it into place:
	 * a client that sees the socket never finds it refusing connections.
	 */
	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s.new", d.socket_path);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(dir, d.socket_path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		/* the group must be able to enter; umask(077) cut the mode */
		if (mkdir(dir, 0750) == 0 &&
		    (chown(dir, 0, d.gid) < 0 || chmod(dir, 0750) < 0))
			msg(LOG_WARNING, "chown '%s': %s", dir,
			    strerror(errno));
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(sa.sun_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(sa.sun_path, 0660) < 0 || listen(fd, 64) < 0) {
		int err = errno;

		unlink(sa.sun_path);
		close(fd);
		return -err;
	}
	if (chown(sa.sun_path, 0, d.gid) < 0 && geteuid() == 0)
		msg(LOG_WARNING, "chown '%s': %s", sa.sun_path,
		    strerror(errno));
	if (rename(sa.sun_path, d.socket_path) < 0) {
		int err = errno;

		unlink(sa.sun_path);
		close(fd);
		return -err;
	}
	return fd;
}

static void timer_arm(void)
{
	struct itimerspec its = { 0 };

	if (d.compress || d.dev_fd < 0) {
		its.it_value.tv_sec = 1;
		its.it_interval.tv_sec = 1;
	}
	timerfd_settime(d.timer_fd, 0, &its, NULL);
}

static void on_timer(void)
{
	uint64_t n;

	if (read(d.timer_fd, &n, sizeof(n)) < 0)
		return;
	if (d.dev_fd < 0 && device_open() == 0)
		timer_arm();
	for (struct tty *t = d.ttys; t; t = t->next)
		if (t->log && tsc_log_writer_flush(t->log) < 0)
			report_disk_error(t, ENOSPC);
}

static void on_signal(void)
{
	struct signalfd_siginfo si;

	while (read(d.sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			reopen_logs();
		else
			d.quit = true;
	}
}

static void shutdown_all(void)
{
	while (d.ttys) {
		/* logs of live ttys are finished: readable with their index */
		tty_free(d.ttys);
	}
	while (d.clients)
		client_free(d.clients);
	device_close();
	if (d.listen_fd >= 0) {
		close(d.listen_fd);
		unlink(d.socket_path);
	}
	msg(LOG_INFO, _("exiting"));
}

static int main_loop(void)
{
	struct pollfd *pfd = NULL;
	size_t cap = 0;

	while (!d.quit) {
		size_t n = 0, nclients = 0;
		size_t dev_i = SIZE_MAX;

		for (struct client *c = d.clients; c; c = c->next)
			nclients++;
		if (cap < nclients + 4) {
			cap = nclients + 16;
			free(pfd);
			pfd = calloc(cap, sizeof(*pfd));
			if (!pfd)
				return -ENOMEM;
		}
		pfd[n++] = (struct pollfd){ d.sig_fd, POLLIN, 0 };
		pfd[n++] = (struct pollfd){ d.timer_fd, POLLIN, 0 };
		pfd[n++] = (struct pollfd){ d.listen_fd, POLLIN, 0 };
		if (d.dev_fd >= 0 && !d.dev_eof) {
			dev_i = n;
			pfd[n++] = (struct pollfd){ d.dev_fd, POLLIN, 0 };
		}
		for (struct client *c = d.clients; c; c = c->next)
			pfd[n++] = (struct pollfd){
				c->fd,
				(short)(POLLIN |
					(c->out_len > c->out_off ? POLLOUT :
								   0)),
				0
			};
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			free(pfd);
			return -errno;
		}
		if (pfd[0].revents)
			on_signal();
		if (pfd[1].revents)
			on_timer();
		if (pfd[2].revents)
			accept_client();
		if (dev_i != SIZE_MAX && pfd[dev_i].revents && d.dev_fd >= 0) {
			device_read();
			if (d.dev_fd < 0)
				timer_arm();
		}
		for (size_t i = dev_i != SIZE_MAX ? dev_i + 1 : 3; i < n; i++) {
			for (struct client *c = d.clients; c; c = c->next)
				if (c->fd == pfd[i].fd && !c->closing &&
				    (pfd[i].revents &
				     (POLLIN | POLLHUP | POLLERR)))
					client_read(c);
		}
		for (struct client *c = d.clients, *next; c; c = next) {
			next = c->next;
			if (c->out_len > c->out_off)
				client_flush(c);
			/* room again: tell the client what it lost at once */
			if (c->lost_records && !c->closing &&
			    c->out_len - c->out_off + TSC_REC_HDR_SIZE +
					    TSC_LOSS_SIZE <=
				    d.queue_max) {
				client_queue_loss(c);
				client_flush(c);
			}
			if (c->closing)
				client_free(c);
		}
	}
	free(pfd);
	return 0;
}

static void __attribute__((noreturn)) usage(void)
{
	FILE *out = stdout;

	fputs(_("\nUsage:\n"), out);
	fprintf(out, _(" %s [options]\n"), PROGRAM_NAME);
	fputs(_("\nCapture tty sessions from /dev/rpl into log files and serve them on a socket.\n"),
	      out);
	fputs(_("\nOptions:\n"), out);
	fputs(_(" -d, --device <path>      record source (default /dev/rpl; a FIFO or file for tests)\n"),
	      out);
	fputs(_(" -s, --socket <path>      socket (default /run/ttyscope/ttyscope.sock)\n"),
	      out);
	fputs(_(" -l, --log-dir <dir>      log directory (default /var/log/ttyscope)\n"),
	      out);
	fputs(_(" -n, --name <template>    log file name (default %u/%Y%m%d.%H%M%S.%t)\n"),
	      out);
	fputs(_(" -p, --log-passwords      do not mask input typed with echo off\n"),
	      out);
	fputs(_(" -g, --group <name>       group allowed on the socket (default ttyscope)\n"),
	      out);
	fputs(_(" -f, --foreground         do not daemonize; messages also on stderr\n"),
	      out);
	fputs(_(" -z, --compress           write zstd-compressed logs\n"), out);
	fputs(_("     --fake-control <file> append control requests to <file> (tests)\n"),
	      out);
	fputs(_("     --dev-root <dir>     where tty nodes are (default /dev; tests)\n"),
	      out);
	fputs(_("     --catchup-size <n>   bytes kept per tty for new subscribers\n"),
	      out);
	fputs(_("     --queue-size <n>     bytes queued per client before it loses records\n"),
	      out);
	fputs(_(" -h, --help               display this help\n"), out);
	fputs(_(" -V, --version            display version\n"), out);
	exit(EXIT_SUCCESS);
}

static size_t parse_size(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < 4096 || v > (1ull << 32)) {
		fprintf(stderr, _("%s: invalid size '%s'\n"), PROGRAM_NAME, s);
		exit(EXIT_FAILURE);
	}
	return (size_t)v;
}

int main(int argc, char **argv)
{
	enum { OPT_FAKE = 256, OPT_DEVROOT, OPT_CATCHUP, OPT_QUEUE };
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "socket", required_argument, NULL, 's' },
		{ "log-dir", required_argument, NULL, 'l' },
		{ "name", required_argument, NULL, 'n' },
		{ "log-passwords", no_argument, NULL, 'p' },
		{ "group", required_argument, NULL, 'g' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "compress", no_argument, NULL, 'z' },
		{ "fake-control", required_argument, NULL, OPT_FAKE },
		{ "dev-root", required_argument, NULL, OPT_DEVROOT },
		{ "catchup-size", required_argument, NULL, OPT_CATCHUP },
		{ "queue-size", required_argument, NULL, OPT_QUEUE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct group *gr;
	sigset_t mask;
	int c, r;

	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
	textdomain(GETTEXT_PACKAGE);

	d.device = "/dev/rpl";
	d.socket_path = DEFAULT_SOCKET;
	d.log_dir = DEFAULT_LOG_DIR;
	d.name_tmpl = DEFAULT_NAME;
	d.group = "ttyscope";
	d.dev_root = "/dev";
	d.catchup_max = 1u << 20;
	d.queue_max = 4u << 20;
	d.dev_fd = d.listen_fd = -1;
	while ((c = getopt_long(argc, argv, "d:s:l:n:pg:fzhV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'd':
			d.device = optarg;
			break;
		case 's':
			d.socket_path = optarg;
			break;
		case 'l':
			d.log_dir = optarg;
			break;
		case 'n':
			d.name_tmpl = optarg;
			break;
		case 'p':
			d.log_passwords = true;
			break;
		case 'g':
			d.group = optarg;
			break;
		case 'f':
			d.foreground = true;
			break;
		case 'z':
			d.compress = true;
			break;
		case OPT_FAKE:
			d.fake_control = optarg;
			break;
		case OPT_DEVROOT:
			d.dev_root = optarg;
			break;
		case OPT_CATCHUP:
			d.catchup_max = parse_size(optarg);
			break;
		case OPT_QUEUE:
			d.queue_max = parse_size(optarg);
			break;
		case 'h':
			usage();
		case 'V':
			printf(_("%s from ttyscope %s\n"), PROGRAM_NAME,
			       TTYSCOPE_VERSION);
			return EXIT_SUCCESS;
		default:
			fprintf(stderr,
				_("Try '%s --help' for more information.\n"),
				PROGRAM_NAME);
			return EXIT_FAILURE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, _("%s: unexpected argument '%s'\n"),
			PROGRAM_NAME, argv[optind]);
		return EXIT_FAILURE;
	}
	if (!d.name_tmpl[0] || d.name_tmpl[0] == '/' ||
	    strstr(d.name_tmpl, "..")) {
		fprintf(stderr, _("%s: invalid name template '%s'\n"),
			PROGRAM_NAME, d.name_tmpl);
		return EXIT_FAILURE;
	}

	/* in the foreground, messages go to stderr too, except when stderr
	 * is the journal already (systemd sets JOURNAL_STREAM) */
	openlog(PROGRAM_NAME,
		LOG_PID | (d.foreground && !getenv("JOURNAL_STREAM") ?
				   LOG_PERROR :
				   0),
		LOG_AUTHPRIV);
	umask(077);
	gethostname(d.host, sizeof(d.host) - 1);
	gr = getgrnam(d.group);
	if (gr) {
		d.gid = gr->gr_gid;
	} else {
		msg(LOG_WARNING,
		    _("group '%s' does not exist: only root may use the socket"),
		    d.group);
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d.sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d.timer_fd =
		timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d.sig_fd < 0 || d.timer_fd < 0) {
		msg(LOG_ERR, "signalfd/timerfd: %s", strerror(errno));
		return EXIT_FAILURE;
	}
	d.listen_fd = listen_socket();
	if (d.listen_fd < 0) {
		msg(LOG_ERR, _("cannot listen on '%s': %s"), d.socket_path,
		    strerror(-d.listen_fd));
		return EXIT_FAILURE;
	}
	if (!d.foreground && daemon(0, 0) < 0) {
		msg(LOG_ERR, "daemon: %s", strerror(errno));
		return EXIT_FAILURE;
	}
	d.start_mono = now_ns(CLOCK_MONOTONIC);
	device_open();
	timer_arm();
	msg(LOG_INFO, _("started; logs in '%s', socket '%s'"), d.log_dir,
	    d.socket_path);
	r = main_loop();
	shutdown_all();
	if (r < 0) {
		msg(LOG_ERR, "poll: %s", strerror(-r));
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}
