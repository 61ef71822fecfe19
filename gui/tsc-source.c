// SPDX-License-Identifier: GPL-2.0-only
/*
 * TscSource: a connection to a ttyscoped, its reader thread and its
 * sessions.
 *
 * A connection is a struct link: the fds, the reader thread, and the
 * per-tty feeds through which records travel to the main thread. The
 * reader thread owns the table of feeds and the recorder; a feed's
 * pending bytes and the flags below are shared and protected by the
 * link's lock. Everything else (the TscSource, its sessions, the write
 * queue) belongs to the main thread.
 *
 * Hand-off: the reader appends each record to its tty's feed; if no flush
 * of that feed is pending it schedules one with g_main_context_invoke_full()
 * holding a reference on the feed. The flush takes everything pending at
 * once. If the main thread falls more than PENDING_MAX bytes behind, the
 * reader waits: the daemon then drops records for us and says so (LOSS).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib/gi18n.h>

#include "tsc-proto.h"
#include "tsc-reader.h"
#include "tsc-recorder.h"
#include "tsc-source.h"

#ifndef TTYSCOPE_VERSION
#define TTYSCOPE_VERSION "0"
#endif

#define PENDING_MAX (8u << 20)
#define RETRY_MAX_S 30u
#define CONTROL_KEY G_MAXUINT64

struct link;

struct feed {
	gatomicrefcount ref;
	struct link *link;
	guint64 key; /* TSC_TTY_KEY, or CONTROL_KEY: HELLO, REPLY, LOSS */
	/* protected by link->lock */
	GByteArray *pending;
	gint64 rx_us; /* when the oldest pending record arrived */
	gboolean scheduled;
};

struct link {
	gatomicrefcount ref;
	GMainContext *context;
	gboolean is_socket;
	int fd; /* read: the socket, or the command's stdout */
	int wfd; /* write: the socket again, or the command's stdin */
	GPid pid;
	GThread *thread;

	/* main thread only */
	TscSource *source; /* NULL once the link is stopped */
	GByteArray *outq;
	guint out_watch;

	/* reader thread only */
	char *socket_path;
	TscRecorder *recorder; /* borrowed from the source */
	GHashTable *feeds; /* TSC_TTY_KEY -> struct feed */
	GHashTable *listed; /* ttys of the LIST being received */
	gboolean host_from_daemon; /* name the recorder's host after HOST */

	/* protected by lock */
	GMutex lock;
	GCond room;
	struct feed *control;
	gsize pending_bytes;
	gboolean stopping;
	gboolean connected; /* the socket is connected, not yet told */
	gboolean ended;
	char *end_message;
	int record_error; /* a log could not be written, not yet told */
	/* uid -> name, from the daemon's USER messages (docs/PROTOCOL.md) */
	GHashTable *users;
};

struct _TscSource {
	GObject parent_instance;

	char *socket_path;
	char **argv;
	char *host;
	char *label;
	char *record_dir;
	gboolean host_from_daemon; /* the daemon's HOST names the host */

	TscSourceState state;
	char *error;
	char *refusal;
	struct link *link;
	TscRecorder *recorder;
	guint retry_id;
	guint retry_delay;
	guint next_delay;
	GPid child_pid;
	guint64 lost;
	gboolean record_error_told;

	guint64 next_id;
	GHashTable *requests; /* id -> GTask */
	guint64 list_id;

	GHashTable *sessions; /* TSC_TTY_KEY -> TscSession, this connection */
	GPtrArray *closed; /* sessions of this connection that ended */
	GHashTable *detached; /* live sessions of the previous connection */
};

G_DEFINE_FINAL_TYPE(TscSource, tsc_source, G_TYPE_OBJECT)

enum { SIG_SESSION_ADDED, SIG_SESSION_REMOVED, SIG_STATE_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void source_take_control(TscSource *self, struct link *l,
				GByteArray *data);
static void source_take_tty(TscSource *self, guint64 key, GByteArray *data,
			    gint64 rx_us);

/* ---- feeds and links (any thread) ------------------------------------- */

static struct link *link_ref(struct link *l)
{
	g_atomic_ref_count_inc(&l->ref);
	return l;
}

static void feed_unref(gpointer data);

static void link_unref(struct link *l)
{
	if (!g_atomic_ref_count_dec(&l->ref))
		return;
	g_clear_pointer(&l->feeds, g_hash_table_unref);
	g_clear_pointer(&l->listed, g_hash_table_unref);
	g_clear_pointer(&l->users, g_hash_table_unref);
	if (l->control) {
		struct feed *c = l->control;

		l->control = NULL;
		feed_unref(c);
	}
	if (l->fd >= 0)
		close(l->fd);
	if (l->wfd >= 0 && l->wfd != l->fd)
		close(l->wfd);
	g_byte_array_unref(l->outq);
	g_mutex_clear(&l->lock);
	g_cond_clear(&l->room);
	g_main_context_unref(l->context);
	g_free(l->socket_path);
	g_free(l->end_message);
	g_free(l);
}

static struct feed *feed_new(struct link *l, guint64 key)
{
	struct feed *f = g_new0(struct feed, 1);

	g_atomic_ref_count_init(&f->ref);
	f->link = l; /* the link owns its feeds; flushes hold the link */
	f->key = key;
	f->pending = g_byte_array_new();
	return f;
}

static struct feed *feed_ref(struct feed *f)
{
	g_atomic_ref_count_inc(&f->ref);
	link_ref(f->link);
	return f;
}

/* Drop a reference taken by feed_ref() (or the table's, link NULL). */
static void feed_release(struct feed *f, gboolean with_link)
{
	struct link *l = f->link;

	if (g_atomic_ref_count_dec(&f->ref)) {
		g_byte_array_unref(f->pending);
		g_free(f);
	}
	if (with_link)
		link_unref(l);
}

static void feed_unref(gpointer data)
{
	feed_release(data, FALSE);
}

static void feed_flush_done(gpointer data)
{
	feed_release(data, TRUE);
}

/* Main thread: take what is pending on a feed and apply it. */
static gboolean feed_flush(gpointer data)
{
	struct feed *f = data;
	struct link *l = f->link;
	GByteArray *batch;
	gint64 rx;

	g_mutex_lock(&l->lock);
	batch = f->pending;
	f->pending = g_byte_array_new();
	f->scheduled = FALSE;
	rx = f->rx_us;
	l->pending_bytes -= batch->len;
	g_cond_signal(&l->room);
	g_mutex_unlock(&l->lock);

	if (l->source) {
		if (f->key == CONTROL_KEY)
			source_take_control(l->source, l, batch);
		else
			source_take_tty(l->source, f->key, batch, rx);
	}
	g_byte_array_unref(batch);
	return G_SOURCE_REMOVE;
}

/*
 * Call with the lock held. The hand-off runs at G_PRIORITY_DEFAULT_IDLE,
 * the priority at which VTE reads its own pty: VTE's parsing and drawing
 * (redraw priority) come first. Ahead of them, under load, terminals
 * were fed faster than VTE parsed, and its queue of fed bytes grew
 * without bound; behind them, a busy main thread leaves records pending
 * here, and PENDING_MAX makes the reader thread wait.
 */
static void feed_schedule_locked(struct feed *f)
{
	if (f->scheduled)
		return;
	f->scheduled = TRUE;
	g_main_context_invoke_full(f->link->context, G_PRIORITY_DEFAULT_IDLE,
				   feed_flush, feed_ref(f), feed_flush_done);
}

/* Reader thread: append one record to a feed. */
static void feed_push(struct feed *f, const void *raw, gsize size)
{
	struct link *l = f->link;

	g_mutex_lock(&l->lock);
	while (l->pending_bytes > PENDING_MAX && !l->stopping)
		g_cond_wait(&l->room, &l->lock);
	if (!f->pending->len)
		f->rx_us = g_get_monotonic_time();
	g_byte_array_append(f->pending, raw, (guint)size);
	l->pending_bytes += size;
	feed_schedule_locked(f);
	g_mutex_unlock(&l->lock);
}

static struct feed *feed_get(struct link *l, guint32 major, guint32 minor)
{
	guint64 key = TSC_TTY_KEY(major, minor);
	struct feed *f = g_hash_table_lookup(l->feeds, &key);

	if (!f) {
		f = feed_new(l, key);
		g_hash_table_insert(l->feeds, g_memdup2(&key, sizeof(key)), f);
	}
	return f;
}

/* ---- reader thread ---------------------------------------------------- */

/* Hand every LIST entry to its tty's feed, as a REPLY record of that tty. */
static void link_list_entries(struct link *l, const struct tsc_proto_reply *r)
{
	for (gsize off = 0; off + TSC_PROTO_TTY_SIZE <= r->len;
	     off += TSC_PROTO_TTY_SIZE) {
		guint8 buf[TSC_REC_HDR_SIZE + TSC_PROTO_TTY_SIZE];
		struct tsc_proto_tty t;
		struct tsc_rec_hdr h = {
			.type = TSC_MSG_REPLY,
			.len = TSC_PROTO_TTY_SIZE,
		};
		guint64 key;

		if (tsc_proto_decode_tty(r->data + off, TSC_PROTO_TTY_SIZE,
					 &t) < 0)
			continue;
		h.major = t.major;
		h.minor = t.minor;
		if (tsc_rec_encode(&h, r->data + off, buf, sizeof(buf)) < 0)
			continue;
		feed_push(feed_get(l, t.major, t.minor), buf, sizeof(buf));
		key = TSC_TTY_KEY(t.major, t.minor);
		g_hash_table_add(l->listed, g_memdup2(&key, sizeof(key)));
	}
	if (!r->more && l->recorder) {
		tsc_recorder_retain(l->recorder, l->listed);
		g_hash_table_remove_all(l->listed);
	}
}

static void link_record(struct link *l, const struct tsc_rec *rec)
{
	int err = tsc_recorder_record(l->recorder, rec);

	if (err < 0) {
		g_mutex_lock(&l->lock);
		if (!l->record_error) {
			l->record_error = -err;
			feed_schedule_locked(l->control);
		}
		g_mutex_unlock(&l->lock);
	}
}

/* One record from the peer; < 0 ends the connection. */
static int link_dispatch(struct link *l, const struct tsc_rec *rec)
{
	const struct tsc_rec_hdr *h = &rec->hdr;
	gsize size = TSC_REC_HDR_SIZE + h->len;
	struct tsc_proto_msg m;

	switch (h->type) {
	case TSC_MSG_USER:
		/* before the records that carry the uid: kept at once */
		if (tsc_proto_parse(rec->raw, size, &m) < 0)
			return -EBADMSG;
		g_mutex_lock(&l->lock);
		g_hash_table_insert(l->users, GUINT_TO_POINTER(m.user.uid),
				    g_strdup(m.user.name));
		g_mutex_unlock(&l->lock);
		if (l->recorder)
			tsc_recorder_set_user(l->recorder, m.user.uid,
					      m.user.name);
		return 0;
	case TSC_MSG_HOST:
		/* right after HELLO: before any record to log */
		if (tsc_proto_parse(rec->raw, size, &m) < 0)
			return -EBADMSG;
		if (l->recorder && l->host_from_daemon)
			tsc_recorder_set_host(l->recorder, m.host.name);
		feed_push(l->control, rec->raw, size);
		return 0;
	case TSC_MSG_HELLO:
	case TSC_MSG_REPLY:
		if (tsc_proto_parse(rec->raw, size, &m) < 0)
			return -EBADMSG;
		if (h->type == TSC_MSG_REPLY && m.reply.verb == TSC_VERB_LIST &&
		    !m.reply.error)
			link_list_entries(l, &m.reply);
		feed_push(l->control, rec->raw, size);
		return 0;
	case TSC_MSG_SYNC:
		feed_push(feed_get(l, h->major, h->minor), rec->raw, size);
		return 0;
	case TSC_MSG_REQUEST:
		return -EPROTO;
	default:
		break;
	}
	if (h->type >= TSC_REC_USER_FIRST)
		return 0; /* not for us */
	if (l->recorder)
		link_record(l, rec);
	if (h->type == TTYSCOPE_REC_LOSS)
		feed_push(l->control, rec->raw, size);
	else
		feed_push(feed_get(l, h->major, h->minor), rec->raw, size);
	return 0;
}

static void link_end(struct link *l, char *message)
{
	g_mutex_lock(&l->lock);
	l->ended = TRUE;
	l->end_message = message;
	feed_schedule_locked(l->control);
	g_mutex_unlock(&l->lock);
}

static int link_connect(struct link *l)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	gboolean stopping;

	if (strlen(l->socket_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, l->socket_path);
	while (connect(l->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		if (errno != EINTR)
			return -errno;
	g_mutex_lock(&l->lock);
	stopping = l->stopping;
	if (!stopping) {
		l->connected = TRUE;
		feed_schedule_locked(l->control);
	}
	g_mutex_unlock(&l->lock);
	return stopping ? -ECANCELED : 0;
}

static char *connect_message(struct link *l, int err)
{
	if (err == -ENOENT || err == -ECONNREFUSED)
		return g_strdup_printf(
			_("ttyscoped is not running (no daemon at %s)"),
			l->socket_path);
	if (err == -EACCES)
		return g_strdup_printf(
			_("no permission to open %s; are you in the ttyscope group?"),
			l->socket_path);
	return g_strdup_printf(_("cannot connect to %s: %s"), l->socket_path,
			       g_strerror(-err));
}

static gpointer link_thread(gpointer data)
{
	struct link *l = data;
	struct tsc_reader *rd = NULL;
	struct tsc_rec rec;
	int r;

	if (l->is_socket) {
		r = link_connect(l);
		if (r < 0) {
			link_end(l, connect_message(l, r));
			link_unref(l);
			return NULL;
		}
	}
	r = tsc_reader_new(l->fd, NULL, &rd);
	if (r < 0) {
		link_end(l, g_strdup(g_strerror(-r)));
		link_unref(l);
		return NULL;
	}
	for (;;) {
		r = tsc_reader_next(rd, &rec);
		if (r == -EINTR)
			continue;
		if (r != 1)
			break;
		r = link_dispatch(l, &rec);
		if (r < 0)
			break;
	}
	tsc_reader_free(rd);
	if (r == 0 || r == -ENODATA)
		link_end(l,
			 l->is_socket ?
				 g_strdup(_(
					 "the daemon closed the connection")) :
				 g_strdup(_("the connection command ended")));
	else if (r == -EBADMSG || r == -EPROTO)
		link_end(
			l,
			g_strdup(_(
				"the peer sent data that is not the ttyscope protocol")));
	else
		link_end(l, g_strdup_printf(_("reading failed: %s"),
					    g_strerror(-r)));
	link_unref(l);
	return NULL;
}

/* ---- links (main thread) ---------------------------------------------- */

static struct link *link_new(TscSource *self)
{
	struct link *l = g_new0(struct link, 1);

	g_atomic_ref_count_init(&l->ref);
	g_mutex_init(&l->lock);
	g_cond_init(&l->room);
	l->context = g_main_context_ref_thread_default();
	l->fd = l->wfd = -1;
	l->source = self;
	l->outq = g_byte_array_new();
	l->feeds = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
					 feed_unref);
	l->listed = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
					  NULL);
	l->users = g_hash_table_new_full(NULL, NULL, NULL, g_free);
	l->control = feed_new(l, CONTROL_KEY);
	l->recorder = self->recorder;
	l->host_from_daemon = self->host_from_daemon;
	return l;
}

static gboolean link_writable(gint fd, GIOCondition cond, gpointer data)
{
	struct link *l = data;
	ssize_t n = l->is_socket ? send(fd, l->outq->data, l->outq->len,
					MSG_DONTWAIT | MSG_NOSIGNAL) :
				   write(fd, l->outq->data, l->outq->len);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	if (n < 0) {
		/* the reader sees the end of the connection */
		g_byte_array_set_size(l->outq, 0);
	} else {
		g_byte_array_remove_range(l->outq, 0, (guint)n);
	}
	if (l->outq->len)
		return G_SOURCE_CONTINUE;
	l->out_watch = 0;
	return G_SOURCE_REMOVE;
}

/* Write without blocking; what the peer cannot take now is queued. */
static void link_write(struct link *l, const guint8 *buf, gsize len)
{
	if (!l->outq->len) {
		ssize_t n = l->is_socket ? send(l->wfd, buf, len,
						MSG_DONTWAIT | MSG_NOSIGNAL) :
					   write(l->wfd, buf, len);

		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return; /* the reader sees the end of the connection */
		if (n > 0) {
			buf += n;
			len -= (gsize)n;
		}
	}
	if (!len)
		return;
	g_byte_array_append(l->outq, buf, (guint)len);
	if (!l->out_watch)
		l->out_watch =
			g_unix_fd_add(l->wfd, G_IO_OUT, link_writable, l);
}

/* Stop the reader thread and forget the link. */
static void link_stop(struct link *l)
{
	g_mutex_lock(&l->lock);
	l->stopping = TRUE;
	g_cond_broadcast(&l->room);
	g_mutex_unlock(&l->lock);
	if (l->is_socket) {
		shutdown(l->fd, SHUT_RDWR);
	} else {
		if (l->wfd >= 0)
			close(l->wfd);
		l->wfd = -1;
		if (l->pid > 0)
			kill(l->pid, SIGTERM);
	}
	if (l->thread)
		g_thread_join(l->thread);
	l->thread = NULL;
	if (l->out_watch)
		g_source_remove(l->out_watch);
	l->out_watch = 0;
	l->source = NULL;
	link_unref(l);
}

/* ---- the source (main thread) ----------------------------------------- */

static void set_state(TscSource *self, TscSourceState state, const char *error)
{
	self->state = state;
	if (error) {
		g_free(self->error);
		self->error = g_strdup(error);
	}
	g_signal_emit(self, signals[SIG_STATE_CHANGED], 0);
}

static void send_request(TscSource *self, guint64 id, guint verb, guint flags,
			 guint32 major, guint32 minor, const void *args,
			 gsize len)
{
	struct tsc_proto_request q = {
		.id = id,
		.verb = verb,
		.flags = flags,
		.major = major,
		.minor = minor,
		.args = args,
		.len = len,
	};
	guint8 buf[TSC_REC_MAX_SIZE];
	int n = tsc_proto_encode_request(&q, (guint64)g_get_real_time() * 1000,
					 buf, sizeof(buf));

	if (n > 0)
		link_write(self->link, buf, (gsize)n);
}

/* Is @s, a session of the previous connection, among the listed ttys? */
static gboolean listed_again(TscSession *s, GBytes *list)
{
	gsize len = 0;
	const guint8 *p = list ? g_bytes_get_data(list, &len) : NULL;

	for (gsize off = 0; off + TSC_PROTO_TTY_SIZE <= len;
	     off += TSC_PROTO_TTY_SIZE) {
		struct tsc_proto_tty t;

		if (tsc_proto_decode_tty(p + off, TSC_PROTO_TTY_SIZE, &t) ==
			    0 &&
		    t.major == tsc_session_get_major(s) &&
		    t.minor == tsc_session_get_minor(s) &&
		    t.open_ns == tsc_session_get_open_ns(s))
			return TRUE;
	}
	return FALSE;
}

static void on_list_done(GObject *object, GAsyncResult *result, gpointer data)
{
	TscSource *self = TSC_SOURCE(object);
	g_autoptr(GBytes) bytes = NULL;
	GHashTableIter it;
	gpointer v;

	bytes = tsc_source_request_finish(self, result, NULL);
	if (!bytes)
		return; /* this attempt failed too: nothing is known yet */
	/*
	 * Sessions of the previous connection that are not listed again are
	 * gone; the others are taken up when their records arrive, which
	 * may be before or after this reply.
	 */
	g_hash_table_iter_init(&it, self->detached);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		if (listed_again(v, bytes))
			continue;
		tsc_session_set_closed(v);
		g_hash_table_iter_remove(&it);
	}
}

static void on_subscribe_done(GObject *object, GAsyncResult *result,
			      gpointer data)
{
	TscSource *self = TSC_SOURCE(object);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes = NULL;

	bytes = tsc_source_request_finish(self, result, &error);
	if (!bytes &&
	    !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED))
		set_state(self, self->state, error->message);
}

/* The connection is up: HELLO, the list of ttys, every tty's records. */
static void source_handshake(TscSource *self)
{
	struct tsc_proto_hello h = { .version = TSC_PROTO_VERSION };
	guint8 buf[TSC_REC_MAX_SIZE];
	int n;

	g_strlcpy(h.name, "ttyscope-gui " TTYSCOPE_VERSION, sizeof(h.name));
	n = tsc_proto_encode_hello(&h, (guint64)g_get_real_time() * 1000, buf,
				   sizeof(buf));
	if (n > 0)
		link_write(self->link, buf, (gsize)n);
	tsc_source_request_async(self, TSC_VERB_LIST, 0, 0, 0, NULL, 0, NULL,
				 on_list_done, NULL);
	tsc_source_request_async(self, TSC_VERB_SUBSCRIBE, TSC_SUB_ALL, 0, 0,
				 NULL, 0, NULL, on_subscribe_done, NULL);
}

static void complete_reply(TscSource *self, const struct tsc_proto_reply *r)
{
	GTask *task = g_hash_table_lookup(self->requests, &r->id);
	GByteArray *data;

	if (r->id == 0) {
		/* refused, or a protocol error: the daemon hangs up */
		g_free(self->refusal);
		self->refusal = g_strdup_printf(
			_("the daemon refused the connection: %s"),
			g_strerror((int)r->error));
		return;
	}
	if (!task)
		return;
	data = g_task_get_task_data(task);
	g_byte_array_append(data, r->data, (guint)r->len);
	if (r->more)
		return;
	g_object_ref(task);
	g_hash_table_remove(self->requests, &r->id);
	if (r->error)
		g_task_return_new_error(task, G_IO_ERROR,
					g_io_error_from_errno((int)r->error),
					"%s", g_strerror((int)r->error));
	else
		g_task_return_pointer(task, g_bytes_new(data->data, data->len),
				      (GDestroyNotify)g_bytes_unref);
	g_object_unref(task);
}

static void fail_requests(TscSource *self)
{
	GHashTableIter it;
	gpointer v;
	g_autoptr(GPtrArray)
		tasks = g_ptr_array_new_with_free_func(g_object_unref);

	g_hash_table_iter_init(&it, self->requests);
	while (g_hash_table_iter_next(&it, NULL, &v))
		g_ptr_array_add(tasks, g_object_ref(v));
	g_hash_table_remove_all(self->requests);
	for (guint i = 0; i < tasks->len; i++)
		g_task_return_new_error(tasks->pdata[i], G_IO_ERROR,
					G_IO_ERROR_NOT_CONNECTED,
					_("the connection to %s was lost"),
					self->host);
}

static gboolean retry_cb(gpointer data)
{
	TscSource *self = data;

	self->retry_id = 0;
	tsc_source_start(self);
	return G_SOURCE_REMOVE;
}

/* Remove every session: they are shown again when the daemon lists them. */
static void clear_sessions(TscSource *self, gboolean keep_detached)
{
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_iter_init(&it, self->sessions);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		TscSession *s = v;

		if (keep_detached && tsc_session_is_live(s)) {
			tsc_session_set_disconnected(s);
			g_hash_table_insert(self->detached,
					    g_memdup2(k, sizeof(guint64)),
					    g_object_ref(s));
		} else if (tsc_session_is_live(s)) {
			tsc_session_set_disconnected(s);
		}
		g_signal_emit(self, signals[SIG_SESSION_REMOVED], 0, s);
	}
	g_hash_table_remove_all(self->sessions);
	for (guint i = 0; i < self->closed->len; i++)
		g_signal_emit(self, signals[SIG_SESSION_REMOVED], 0,
			      self->closed->pdata[i]);
	g_ptr_array_set_size(self->closed, 0);
}

static void source_disconnected(TscSource *self, const char *message)
{
	struct link *l = self->link;

	self->link = NULL;
	if (l)
		link_stop(l);
	fail_requests(self);
	clear_sessions(self, TRUE);
	self->retry_delay = self->next_delay;
	self->next_delay = MIN(self->next_delay * 2, RETRY_MAX_S);
	self->retry_id =
		g_timeout_add_seconds(self->retry_delay, retry_cb, self);
	/* a refusal explains the end of the connection better */
	set_state(self, TSC_SOURCE_DISCONNECTED,
		  self->refusal ? self->refusal : message);
}

/* The daemon named its machine: the source and its sessions take the name. */
static void set_host(TscSource *self, const char *host)
{
	GHashTableIter it;
	gpointer v;

	if (!g_strcmp0(self->host, host))
		return;
	g_free(self->host);
	self->host = g_strdup(host);
	g_hash_table_iter_init(&it, self->sessions);
	while (g_hash_table_iter_next(&it, NULL, &v))
		tsc_session_set_host(v, host);
	g_hash_table_iter_init(&it, self->detached);
	while (g_hash_table_iter_next(&it, NULL, &v))
		tsc_session_set_host(v, host);
}

static void source_take_control(TscSource *self, struct link *l,
				GByteArray *data)
{
	gboolean connected, ended;
	g_autofree char *end_message = NULL;
	int record_error;

	g_mutex_lock(&l->lock);
	connected = l->connected;
	l->connected = FALSE;
	ended = l->ended;
	end_message = g_steal_pointer(&l->end_message);
	record_error = l->record_error;
	g_mutex_unlock(&l->lock);

	if (connected)
		source_handshake(self);
	for (gsize off = 0; off < data->len;) {
		struct tsc_proto_msg m;
		int n = tsc_proto_parse(data->data + off, data->len - off, &m);

		if (n <= 0)
			break;
		off += (gsize)n;
		if (m.type == TSC_MSG_HELLO) {
			if (m.hello.version != TSC_PROTO_VERSION)
				continue;
			self->next_delay = 1;
			g_clear_pointer(&self->error, g_free);
			set_state(self, TSC_SOURCE_CONNECTED, NULL);
		} else if (m.type == TSC_MSG_HOST) {
			if (self->host_from_daemon)
				set_host(self, m.host.name);
		} else if (m.type == TSC_MSG_REPLY) {
			complete_reply(self, &m.reply);
		} else if (m.type == TTYSCOPE_REC_LOSS) {
			struct tsc_loss loss;

			if (tsc_rec_decode_loss(&m.rec, &loss) == 0)
				self->lost += loss.records;
		}
	}
	if (record_error && !self->record_error_told) {
		g_autofree char *msg = g_strdup_printf(
			_("cannot write logs to %s: %s"), self->record_dir,
			g_strerror(record_error));

		self->record_error_told = TRUE;
		set_state(self, self->state, msg);
	}
	if (ended)
		source_disconnected(self, end_message);
}

static TscSession *add_session(TscSource *self, guint64 key)
{
	TscSession *s =
		tsc_session_new(self, (guint32)(key >> 32), (guint32)key);

	g_hash_table_insert(self->sessions, g_memdup2(&key, sizeof(key)), s);
	g_signal_emit(self, signals[SIG_SESSION_ADDED], 0, s);
	return s;
}

/* The session a record of tty @key belongs to, creating it if needed. */
static TscSession *session_for(TscSource *self, guint64 key,
			       const struct tsc_rec *rec)
{
	TscSession *s = g_hash_table_lookup(self->sessions, &key);
	guint64 open_ns = 0;
	struct tsc_proto_tty t;

	if (rec->hdr.type == TTYSCOPE_REC_OPEN)
		open_ns = rec->hdr.ts_ns;
	else if (rec->hdr.type == TSC_MSG_REPLY &&
		 tsc_proto_decode_tty(rec->payload, rec->hdr.len, &t) == 0)
		open_ns = t.open_ns;
	if (s && open_ns && tsc_session_get_open_ns(s) &&
	    tsc_session_get_open_ns(s) != open_ns) {
		/* a new session on the same tty number */
		if (tsc_session_is_live(s))
			tsc_session_set_closed(s);
		g_ptr_array_add(self->closed, g_object_ref(s));
		g_hash_table_remove(self->sessions, &key);
		s = NULL;
	}
	if (s)
		return s;
	s = g_hash_table_lookup(self->detached, &key);
	if (s && open_ns && tsc_session_get_open_ns(s) == open_ns) {
		/* seen again after a reconnection: redrawn by its catch-up */
		g_hash_table_insert(self->sessions,
				    g_memdup2(&key, sizeof(key)),
				    g_object_ref(s));
		g_hash_table_remove(self->detached, &key);
		tsc_session_restart(s);
		g_signal_emit(self, signals[SIG_SESSION_ADDED], 0, s);
		return s;
	}
	return add_session(self, key);
}

static void source_take_tty(TscSource *self, guint64 key, GByteArray *data,
			    gint64 rx_us)
{
	TscSession *s = NULL, *prev = NULL;

	for (gsize off = 0; off < data->len;) {
		struct tsc_rec rec;

		if (tsc_rec_parse(data->data + off, data->len - off, &rec) < 0)
			break;
		off += TSC_REC_HDR_SIZE + rec.hdr.len;
		s = session_for(self, key, &rec);
		if (prev && prev != s)
			tsc_session_commit(prev);
		prev = s;
		tsc_session_apply(s, &rec, rx_us);
		if (rec.hdr.type == TTYSCOPE_REC_CLOSE) {
			/* ended: listed as closed until the next connection */
			tsc_session_commit(s);
			g_ptr_array_add(self->closed, g_object_ref(s));
			g_hash_table_remove(self->sessions, &key);
			prev = NULL;
		}
	}
	if (prev)
		tsc_session_commit(prev);
}

/* ---- public API --------------------------------------------------------- */

static TscSource *source_new(const char *host, const char *label)
{
	TscSource *self = g_object_new(TSC_TYPE_SOURCE, NULL);

	self->host = g_strdup(host);
	self->label = g_strdup(label);
	return self;
}

/* A source for the daemon socket at @path (NULL: the default) here. */
TscSource *tsc_source_new_socket(const char *path)
{
	const char *p = path ? path : TSC_DEFAULT_SOCKET;
	TscSource *self = source_new(g_get_host_name(), p);

	self->socket_path = g_strdup(p);
	self->host_from_daemon = TRUE;
	return self;
}

/*
 * A source speaking the protocol on the stdin/stdout of @argv, such as
 * ssh HOST ttyscope stream; @host names it, or NULL: the host name the
 * daemon gives (the command line until it is connected).
 */
TscSource *tsc_source_new_command(const char *const *argv, const char *host)
{
	g_autofree char *label = g_strjoinv(" ", (char **)argv);
	TscSource *self = source_new(host ? host : label, label);

	self->argv = g_strdupv((char **)argv);
	self->host_from_daemon = !host;
	return self;
}

/**
 * tsc_source_dup_user_name - what @uid is called on the daemon's machine
 *
 * Returns: the name the daemon gave (empty: it has none there), or NULL
 * when it has not named the uid on this connection; free with g_free().
 */
char *tsc_source_dup_user_name(TscSource *self, guint32 uid)
{
	struct link *l = self->link;
	char *name;

	if (!l)
		return NULL;
	g_mutex_lock(&l->lock);
	name = g_strdup(g_hash_table_lookup(l->users, GUINT_TO_POINTER(uid)));
	g_mutex_unlock(&l->lock);
	return name;
}

/**
 * tsc_source_add_mark - write an operator's marker into a session's log
 * @rec: a MARK record of one of the source's ttys
 *
 * Returns: 0; -ENOTCONN if the source writes no logs; or as
 * tsc_recorder_mark().
 */
int tsc_source_add_mark(TscSource *self, const struct tsc_rec *rec)
{
	if (!self->recorder)
		return -ENOTCONN;
	return tsc_recorder_mark(self->recorder, rec);
}

/* Write logs of every session watched to @dir (before tsc_source_start()). */
void tsc_source_set_record_dir(TscSource *self, const char *dir)
{
	g_return_if_fail(!self->link);
	g_free(self->record_dir);
	self->record_dir = g_strdup(dir);
	g_clear_pointer(&self->recorder, tsc_recorder_free);
	if (dir)
		self->recorder = tsc_recorder_new(dir, self->host);
}

static void on_child_exit(GPid pid, gint status, gpointer data)
{
	TscSource *self = data;
	g_autoptr(GError) error = NULL;

	g_spawn_close_pid(pid);
	if (self->child_pid == pid &&
	    !g_spawn_check_wait_status(status, &error)) {
		g_autofree char *msg = g_strdup_printf(
			_("‘%s’ failed: %s"), self->label, error->message);

		/*
		 * The exit may be seen before the end of the command's
		 * output: then it explains the disconnection that follows.
		 */
		if (self->state == TSC_SOURCE_DISCONNECTED) {
			set_state(self, self->state, msg);
		} else if (self->link) {
			g_free(self->refusal);
			self->refusal = g_steal_pointer(&msg);
		}
	}
	g_object_unref(self);
}

static gboolean start_command(TscSource *self, struct link *l, GError **error)
{
	int in = -1, out = -1;

	if (!g_spawn_async_with_pipes(
		    NULL, self->argv, NULL,
		    G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
		    &l->pid, &in, &out, NULL, error))
		return FALSE;
	l->fd = out;
	l->wfd = in;
	g_unix_set_fd_nonblocking(in, TRUE, NULL);
	self->child_pid = l->pid;
	g_child_watch_add(l->pid, on_child_exit, g_object_ref(self));
	return TRUE;
}

/* Connect (again); does nothing while connected or connecting. */
void tsc_source_start(TscSource *self)
{
	g_autoptr(GError) error = NULL;
	struct link *l;

	if (self->link)
		return;
	g_clear_handle_id(&self->retry_id, g_source_remove);
	g_clear_pointer(&self->refusal, g_free);
	l = link_new(self);
	if (self->socket_path) {
		l->is_socket = TRUE;
		l->socket_path = g_strdup(self->socket_path);
		l->fd = l->wfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (l->fd < 0)
			g_set_error(&error, G_IO_ERROR,
				    g_io_error_from_errno(errno), "%s",
				    g_strerror(errno));
	} else {
		start_command(self, l, &error);
	}
	if (!error) {
		l->thread = g_thread_try_new("tsc-reader", link_thread,
					     link_ref(l), &error);
		if (!l->thread)
			link_unref(l);
	}
	if (error) {
		if (l->pid > 0)
			kill(l->pid, SIGTERM);
		l->source = NULL;
		link_unref(l);
		source_disconnected(self, error->message);
		return;
	}
	/* the thread holds a reference of its own, dropped when it ends */
	self->link = l;
	set_state(self, TSC_SOURCE_CONNECTING, NULL);
	if (!l->is_socket)
		source_handshake(self);
}

/* Disconnect and stay disconnected. */
void tsc_source_stop(TscSource *self)
{
	struct link *l = self->link;

	g_clear_handle_id(&self->retry_id, g_source_remove);
	self->link = NULL;
	if (l)
		link_stop(l);
	fail_requests(self);
	clear_sessions(self, FALSE);
	g_hash_table_remove_all(self->detached);
	if (self->state != TSC_SOURCE_DISCONNECTED)
		set_state(self, TSC_SOURCE_DISCONNECTED, NULL);
}

/* Try to connect now instead of when the retry delay runs out. */
void tsc_source_reconnect_now(TscSource *self)
{
	if (self->state == TSC_SOURCE_DISCONNECTED)
		tsc_source_start(self);
}

const char *tsc_source_get_host(TscSource *self)
{
	return self->host;
}

/* The socket path or the command line, for messages. */
const char *tsc_source_get_label(TscSource *self)
{
	return self->label;
}

TscSourceState tsc_source_get_state(TscSource *self)
{
	return self->state;
}

/* Why the connection was lost or failed, or a logging error; or NULL. */
const char *tsc_source_get_error(TscSource *self)
{
	return self->error;
}

/* Seconds between the loss of the connection and the next attempt. */
guint tsc_source_get_retry_delay(TscSource *self)
{
	return self->retry_delay;
}

/* Records the daemon dropped for this connection (LOSS records). */
guint64 tsc_source_get_lost(TscSource *self)
{
	return self->lost;
}

/* The sessions shown now (transfer container). */
GList *tsc_source_get_sessions(TscSource *self)
{
	GList *list = g_hash_table_get_values(self->sessions);

	for (guint i = 0; i < self->closed->len; i++)
		list = g_list_prepend(list, self->closed->pdata[i]);
	return list;
}

/**
 * tsc_source_request_async - send a request to the daemon
 * @verb: TSC_VERB_*
 * @flags: verb flags
 * @major, @minor: the tty
 * @args, @len: arguments
 *
 * The reply's data (all parts of a multi-part reply) is returned by
 * tsc_source_request_finish(); a daemon error as a G_IO_ERROR with its
 * errno; G_IO_ERROR_NOT_CONNECTED if the connection is or gets lost.
 */
void tsc_source_request_async(TscSource *self, guint verb, guint flags,
			      guint32 major, guint32 minor, const void *args,
			      gsize len, GCancellable *cancellable,
			      GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask)
		task = g_task_new(self, cancellable, callback, user_data);
	guint64 id;

	g_task_set_source_tag(task, tsc_source_request_async);
	if (!self->link) {
		g_task_return_new_error(task, G_IO_ERROR,
					G_IO_ERROR_NOT_CONNECTED,
					_("not connected to %s"), self->host);
		return;
	}
	if (len > TSC_REQUEST_ARGS_MAX) {
		g_task_return_new_error(task, G_IO_ERROR,
					G_IO_ERROR_MESSAGE_TOO_LARGE, "%s",
					g_strerror(E2BIG));
		return;
	}
	id = self->next_id++;
	g_task_set_task_data(task, g_byte_array_new(),
			     (GDestroyNotify)g_byte_array_unref);
	g_hash_table_insert(self->requests, g_memdup2(&id, sizeof(id)),
			    g_object_ref(task));
	send_request(self, id, verb, flags, major, minor, args, len);
}

GBytes *tsc_source_request_finish(TscSource *self, GAsyncResult *result,
				  GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, self), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}

static void tsc_source_dispose(GObject *object)
{
	TscSource *self = TSC_SOURCE(object);

	if (self->requests)
		tsc_source_stop(self);
	G_OBJECT_CLASS(tsc_source_parent_class)->dispose(object);
}

static void tsc_source_finalize(GObject *object)
{
	TscSource *self = TSC_SOURCE(object);

	g_hash_table_unref(self->requests);
	g_hash_table_unref(self->sessions);
	g_hash_table_unref(self->detached);
	g_ptr_array_unref(self->closed);
	tsc_recorder_free(self->recorder);
	g_free(self->socket_path);
	g_strfreev(self->argv);
	g_free(self->host);
	g_free(self->label);
	g_free(self->record_dir);
	g_free(self->error);
	g_free(self->refusal);
	G_OBJECT_CLASS(tsc_source_parent_class)->finalize(object);
}

static void tsc_source_class_init(TscSourceClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = tsc_source_dispose;
	object_class->finalize = tsc_source_finalize;

	signals[SIG_SESSION_ADDED] = g_signal_new(
		"session-added", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
		NULL, NULL, NULL, G_TYPE_NONE, 1, TSC_TYPE_SESSION);
	signals[SIG_SESSION_REMOVED] = g_signal_new(
		"session-removed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
		0, NULL, NULL, NULL, G_TYPE_NONE, 1, TSC_TYPE_SESSION);
	/* The connection state or the error message changed. */
	signals[SIG_STATE_CHANGED] = g_signal_new("state-changed",
						  G_TYPE_FROM_CLASS(klass),
						  G_SIGNAL_RUN_LAST, 0, NULL,
						  NULL, NULL, G_TYPE_NONE, 0);
}

static void tsc_source_init(TscSource *self)
{
	self->state = TSC_SOURCE_DISCONNECTED;
	self->next_id = 1;
	self->next_delay = 1;
	self->requests = g_hash_table_new_full(g_int64_hash, g_int64_equal,
					       g_free, g_object_unref);
	self->sessions = g_hash_table_new_full(g_int64_hash, g_int64_equal,
					       g_free, g_object_unref);
	self->detached = g_hash_table_new_full(g_int64_hash, g_int64_equal,
					       g_free, g_object_unref);
	self->closed = g_ptr_array_new_with_free_func(g_object_unref);
}
