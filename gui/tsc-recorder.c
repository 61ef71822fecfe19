// SPDX-License-Identifier: GPL-2.0-only
/*
 * TscRecorder: one log file per watched tty session, written through
 * libttyscope's log writer. Like ttyscoped, a new tty's records are held
 * until its user is known (a SESSION with a session id, or the first
 * record that is not OPEN/WINSIZE/SESSION/PASS), so the file can be named
 * after the user and still start at its OPEN.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "tsc-log.h"
#include "tsc-recorder.h"

#ifndef TTYSCOPE_VERSION
#define TTYSCOPE_VERSION "0"
#endif

#define HELD_MAX 64

struct rtty {
	guint32 major, minor;
	GPtrArray *held; /* raw records (GBytes) before the file is named */
	struct tsc_log_writer *writer;
	int fd;
	gboolean have_open;
	guint64 open_ts;
	gboolean have_seq;
	guint64 last_seq;
	char name[TTYSCOPE_NAME_LEN + 1];
	gboolean have_session;
	struct tsc_session session;
	guint64 first_ts;
};

struct _TscRecorder {
	GMutex lock; /* the reader thread records, the main thread marks */
	char *dir;
	char *host;
	GHashTable *users; /* uid -> its name on the daemon's machine */
	GHashTable *ttys; /* TSC_TTY_KEY -> struct rtty */
};

static void rtty_finish(struct rtty *t)
{
	if (t->writer) {
		tsc_log_writer_finish(t->writer);
		tsc_log_writer_free(t->writer);
		close(t->fd);
	}
	t->writer = NULL;
	t->fd = -1;
	g_ptr_array_set_size(t->held, 0);
}

static void rtty_free(gpointer data)
{
	struct rtty *t = data;

	rtty_finish(t);
	g_ptr_array_unref(t->held);
	g_free(t);
}

/* Logs of @host's sessions, in @dir/HOST/USER/. */
TscRecorder *tsc_recorder_new(const char *dir, const char *host)
{
	TscRecorder *rec = g_new0(TscRecorder, 1);

	rec->dir = g_strdup(dir);
	rec->host = g_strdup(host);
	rec->users = g_hash_table_new_full(NULL, NULL, NULL, g_free);
	rec->ttys = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
					  rtty_free);
	g_mutex_init(&rec->lock);
	return rec;
}

void tsc_recorder_free(TscRecorder *rec)
{
	if (!rec)
		return;
	g_hash_table_unref(rec->ttys);
	g_hash_table_unref(rec->users);
	g_mutex_clear(&rec->lock);
	g_free(rec->dir);
	g_free(rec->host);
	g_free(rec);
}

/* The daemon named its machine: logs opened from now on go below @host. */
void tsc_recorder_set_host(TscRecorder *rec, const char *host)
{
	g_mutex_lock(&rec->lock);
	g_free(rec->host);
	rec->host = g_strdup(host);
	g_mutex_unlock(&rec->lock);
}

/* The daemon named @uid @name (empty: it has no name there). */
void tsc_recorder_set_user(TscRecorder *rec, guint32 uid, const char *name)
{
	g_mutex_lock(&rec->lock);
	g_hash_table_insert(rec->users, GUINT_TO_POINTER(uid), g_strdup(name));
	g_mutex_unlock(&rec->lock);
}

/* A file name component: no '/', no leading '.', never empty. */
static char *component(const char *s)
{
	char *c = g_strdup(s && s[0] ? s : "unknown");

	g_strdelimit(c, "/", '-');
	if (c[0] == '.')
		c[0] = '_';
	return c;
}

static int open_log(TscRecorder *rec, struct rtty *t)
{
	guint32 uid = t->have_session ? t->session.uid : TTYSCOPE_UID_UNSET;
	guint64 start = t->have_open ? t->open_ts : t->first_ts;
	g_autofree char *user = NULL, *host = NULL, *tty = NULL, *base = NULL;
	g_autofree char *dir = NULL;
	const char *name = NULL;
	struct tm tm;
	time_t secs = (time_t)(start / 1000000000u);
	char stamp[32];
	int fd = -1, r;

	if (uid != TTYSCOPE_UID_UNSET)
		name = g_hash_table_lookup(rec->users, GUINT_TO_POINTER(uid));
	if (name && name[0])
		user = component(name);
	else if (uid != TTYSCOPE_UID_UNSET)
		user = g_strdup_printf("%u", uid);
	else
		user = g_strdup("unknown");
	host = component(rec->host);
	tty = component(t->name);
	localtime_r(&secs, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d.%H%M%S", &tm);
	dir = g_build_filename(rec->dir, host, user, NULL);
	if (g_mkdir_with_parents(dir, 0700) < 0)
		return -errno;
	base = g_strdup_printf("%s/%s.%s", dir, stamp, tty);
	for (int i = 0; i < 1000 && fd < 0; i++) {
		g_autofree char *path = i ? g_strdup_printf("%s.%d", base, i) :
					    g_strdup(base);

		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			return -errno;
		if (fd >= 0) {
			const struct tsc_log_field fields[] = {
				{ "command", t->session.comm },
				{ "ttyscope-gui.version", TTYSCOPE_VERSION },
			};
			struct tsc_log_meta meta = {
				.major = t->major,
				.minor = t->minor,
				.uid = uid,
				.start_ns = start,
				.host = rec->host,
				.tty = t->name,
				.user = name && name[0] ? name : user,
				.n_fields = t->session.comm[0] ? 2 : 1,
				.fields = t->session.comm[0] ? fields :
							       fields + 1,
			};

			r = tsc_log_writer_new(fd, &meta, NULL, &t->writer);
			if (r < 0) {
				unlink(path);
				close(fd);
				return r;
			}
		}
	}
	if (fd < 0)
		return -EEXIST;
	t->fd = fd;
	return 0;
}

static int write_raw(struct rtty *t, GBytes *raw)
{
	struct tsc_rec r;
	gsize size;
	const guint8 *p = g_bytes_get_data(raw, &size);

	if (tsc_rec_parse(p, size, &r) < 0)
		return -EBADMSG;
	return tsc_log_writer_append(t->writer, &r.hdr, r.payload);
}

/* Hold @r, or name the file and write what was held. */
static int hold_or_write(TscRecorder *rec, struct rtty *t,
			 const struct tsc_rec *r)
{
	unsigned int type = r->hdr.type;
	gboolean names =
		(type == TTYSCOPE_REC_SESSION && t->session.sid) ||
		(type != TTYSCOPE_REC_OPEN && type != TTYSCOPE_REC_WINSIZE &&
		 type != TTYSCOPE_REC_SESSION && type != TTYSCOPE_REC_PASS &&
		 type != TTYSCOPE_REC_LOSS);
	int err;

	if (t->writer)
		return tsc_log_writer_append(t->writer, &r->hdr, r->payload);
	g_ptr_array_add(t->held,
			g_bytes_new(r->raw, TSC_REC_HDR_SIZE + r->hdr.len));
	if (!names && t->held->len < HELD_MAX)
		return 0;
	err = open_log(rec, t);
	if (err < 0) {
		g_ptr_array_set_size(t->held, 0);
		return err;
	}
	for (guint i = 0; i < t->held->len && err >= 0; i++)
		err = write_raw(t, t->held->pdata[i]);
	g_ptr_array_set_size(t->held, 0);
	return err;
}

static struct rtty *rtty_get(TscRecorder *rec, guint32 major, guint32 minor)
{
	guint64 key = TSC_TTY_KEY(major, minor);
	struct rtty *t = g_hash_table_lookup(rec->ttys, &key);

	if (!t) {
		t = g_new0(struct rtty, 1);
		t->major = major;
		t->minor = minor;
		t->fd = -1;
		t->held = g_ptr_array_new_with_free_func(
			(GDestroyNotify)g_bytes_unref);
		g_snprintf(t->name, sizeof(t->name), "pts/%u", minor);
		g_hash_table_insert(rec->ttys, g_memdup2(&key, sizeof(key)), t);
	}
	return t;
}

/**
 * tsc_recorder_record - log one record
 * @rec: the recorder
 * @r: a kernel record (types 1..63); others are ignored
 *
 * Returns 0, or a negative errno if the log could not be written (the
 * record is lost for the log; later records are tried again).
 */
static int record_locked(TscRecorder *rec, const struct tsc_rec *r)
{
	const struct tsc_rec_hdr *h = &r->hdr;
	struct rtty *t;
	struct tsc_open o;
	int err = 0;

	if (h->type == TTYSCOPE_REC_LOSS) {
		GHashTableIter it;
		gpointer v;

		g_hash_table_iter_init(&it, rec->ttys);
		while (g_hash_table_iter_next(&it, NULL, &v)) {
			int e = hold_or_write(rec, v, r);

			if (e < 0)
				err = e;
		}
		return err;
	}
	t = rtty_get(rec, h->major, h->minor);
	if (h->type == TTYSCOPE_REC_OPEN) {
		if (t->have_open && t->open_ts == h->ts_ns)
			return 0; /* the same session, seen again */
		if (t->writer || t->held->len || t->have_seq) {
			guint64 key = TSC_TTY_KEY(h->major, h->minor);

			g_hash_table_remove(rec->ttys, &key);
			t = rtty_get(rec, h->major, h->minor);
		}
		t->have_open = TRUE;
		t->open_ts = h->ts_ns;
		if (tsc_rec_decode_open(r, &o) == 0)
			g_strlcpy(t->name, o.name, sizeof(t->name));
	} else if (t->have_seq && h->seq <= t->last_seq) {
		return 0; /* written before a reconnection */
	}
	t->have_seq = TRUE;
	t->last_seq = h->seq;
	if (!t->first_ts)
		t->first_ts = h->ts_ns;
	if (h->type == TTYSCOPE_REC_SESSION &&
	    tsc_rec_decode_session(r, &t->session) == 0)
		t->have_session = TRUE;
	err = hold_or_write(rec, t, r);
	if (h->type == TTYSCOPE_REC_CLOSE) {
		guint64 key = TSC_TTY_KEY(h->major, h->minor);

		g_hash_table_remove(rec->ttys, &key);
	}
	return err;
}

int tsc_recorder_record(TscRecorder *rec, const struct tsc_rec *r)
{
	int err;

	if (r->hdr.type >= TSC_REC_USER_FIRST)
		return 0;
	g_mutex_lock(&rec->lock);
	err = record_locked(rec, r);
	g_mutex_unlock(&rec->lock);
	return err;
}

/**
 * tsc_recorder_mark - log an operator's marker (any thread)
 * @rec: the recorder
 * @r: a MARK record of a tty being recorded
 *
 * The marker goes into the tty's log after the records logged so far (or
 * is held with them until the file is named).
 *
 * Returns 0; -ENOENT if the tty has no log (it closed, or none of its
 * records came yet); -EINVAL if @r is not a MARK; or the writer's error.
 */
int tsc_recorder_mark(TscRecorder *rec, const struct tsc_rec *r)
{
	guint64 key = TSC_TTY_KEY(r->hdr.major, r->hdr.minor);
	struct rtty *t;
	int err;

	if (r->hdr.type != TSC_REC_MARK)
		return -EINVAL;
	g_mutex_lock(&rec->lock);
	t = g_hash_table_lookup(rec->ttys, &key);
	if (!t) {
		err = -ENOENT;
	} else if (t->writer) {
		err = tsc_log_writer_append(t->writer, &r->hdr, r->payload);
		if (!err)
			err = tsc_log_writer_flush(t->writer);
	} else {
		g_ptr_array_add(t->held,
				g_bytes_new(r->raw,
					    TSC_REC_HDR_SIZE + r->hdr.len));
		err = 0;
	}
	g_mutex_unlock(&rec->lock);
	return err;
}

/* Finish the logs of ttys that are not in @live (after a reconnection). */
void tsc_recorder_retain(TscRecorder *rec, GHashTable *live)
{
	GHashTableIter it;
	gpointer k;

	g_mutex_lock(&rec->lock);
	g_hash_table_iter_init(&it, rec->ttys);
	while (g_hash_table_iter_next(&it, &k, NULL))
		if (!g_hash_table_contains(live, k))
			g_hash_table_iter_remove(&it);
	g_mutex_unlock(&rec->lock);
}
