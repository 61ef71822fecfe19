// SPDX-License-Identifier: GPL-2.0-only
/*
 * TscSession: the state of one tty session, built from its records, and
 * the retained output that lets a terminal opened later draw its screen.
 * Main thread only.
 */
#include <errno.h>
#include <string.h>

#include <glib/gi18n.h>

#include "tsc-proto.h"
#include "tsc-session.h"
#include "tsc-source.h"
#include "tsc-text.h"

/* Retained output per session, for terminals opened later. */
#define HISTORY_MAX (1u << 20)
#define CHUNK_MAX (64u << 10)
/*
 * Recent records per session, for time-shift (rewinding a live session),
 * kept back to back in chunks: 4 MiB is minutes of a busy screen and hours
 * of typing, and 64 watched sessions stay within 260 MiB.
 */
#define RECORDS_MAX (4u << 20)
#define RCHUNK_SIZE (64u << 10)
/* Record times further off than this are taken for another clock. */
#define LATENCY_SANE_US (G_GINT64_CONSTANT(3600) * G_USEC_PER_SEC)

struct chunk {
	guint16 rows, cols;
	GByteArray *data;
};

/* Whole records, back to back; the first has serial @first. */
struct rchunk {
	guint64 first;
	guint count;
	GByteArray *data;
};

struct _TscSession {
	GObject parent_instance;

	TscSource *source; /* weak: cleared by tsc_session_detach_source() */
	char *host;
	guint32 major, minor;

	/* what the records said */
	char *tty;
	char *user;
	char comm[TTYSCOPE_COMM_LEN + 1];
	char fg_comm[TTYSCOPE_COMM_LEN + 1];
	guint32 uid;
	gboolean user_named; /* @user is a name, not the uid's number */
	gboolean pass;
	gboolean closed, disconnected;
	guint rows, cols;
	guint64 open_ns;

	/* counters */
	guint64 bytes, lost;
	gboolean listed; /* a LIST entry counted what came before SYNC */
	gboolean seen; /* a record of the tty was applied */
	gboolean synced; /* live records: sequence gaps are losses */
	gboolean have_next_seq;
	guint64 next_seq;
	gint64 last_activity; /* monotonic µs */
	gint64 latency; /* µs, -1 unknown */
	gboolean latency_local;

	/* output of the current batch, not yet emitted */
	GByteArray *out;
	gboolean dirty;

	/* retained output, oldest first */
	GQueue history;
	gsize history_bytes;

	/* recent records (struct rchunk), oldest first; serial of the next */
	GQueue records;
	gsize records_bytes;
	guint64 records_next;
	guint64 last_seq;
	guint64 last_ts;
	gint64 last_rx_us; /* monotonic µs when @last_ts was applied */
};

G_DEFINE_FINAL_TYPE(TscSession, tsc_session, G_TYPE_OBJECT)

enum { SIG_OUTPUT, SIG_RESIZE, SIG_RESET, SIG_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void chunk_free(gpointer data)
{
	struct chunk *c = data;

	g_byte_array_unref(c->data);
	g_free(c);
}

static void history_clear(TscSession *self)
{
	g_queue_clear_full(&self->history, chunk_free);
	self->history_bytes = 0;
}

static void history_append(TscSession *self, const guint8 *data, gsize len)
{
	struct chunk *c = g_queue_peek_tail(&self->history);

	if (!c || c->rows != self->rows || c->cols != self->cols ||
	    c->data->len + len > CHUNK_MAX) {
		c = g_new0(struct chunk, 1);
		c->rows = (guint16)self->rows;
		c->cols = (guint16)self->cols;
		c->data = g_byte_array_sized_new((guint)MIN(len, CHUNK_MAX));
		g_queue_push_tail(&self->history, c);
	}
	g_byte_array_append(c->data, data, (guint)len);
	self->history_bytes += len;
	while (self->history_bytes > HISTORY_MAX && self->history.length > 1) {
		c = g_queue_pop_head(&self->history);
		self->history_bytes -= c->data->len;
		chunk_free(c);
	}
}

static void rchunk_free(gpointer data)
{
	struct rchunk *c = data;

	g_byte_array_unref(c->data);
	g_free(c);
}

static void records_clear(TscSession *self)
{
	g_queue_clear_full(&self->records, rchunk_free);
	self->records_bytes = 0;
}

/* Keep @raw (a whole record) in the bounded record history. */
static void records_append(TscSession *self, const void *raw, gsize size)
{
	struct rchunk *c = g_queue_peek_tail(&self->records);

	if (!c || c->data->len + size > RCHUNK_SIZE) {
		c = g_new0(struct rchunk, 1);
		c->first = self->records_next;
		c->data = g_byte_array_sized_new(MAX(RCHUNK_SIZE, (guint)size));
		g_queue_push_tail(&self->records, c);
	}
	g_byte_array_append(c->data, raw, (guint)size);
	c->count++;
	self->records_bytes += size;
	self->records_next++;
	while (self->records_bytes > RECORDS_MAX && self->records.length > 1) {
		c = g_queue_pop_head(&self->records);
		self->records_bytes -= c->data->len;
		rchunk_free(c);
	}
}

/* Emit the output collected so far, before anything that must follow it. */
static void flush_output(TscSession *self)
{
	g_autoptr(GBytes) bytes = NULL;

	if (!self->out->len)
		return;
	history_append(self, self->out->data, self->out->len);
	bytes = g_bytes_new(self->out->data, self->out->len);
	g_byte_array_set_size(self->out, 0);
	g_signal_emit(self, signals[SIG_OUTPUT], 0, bytes);
}

/*
 * Make @s fit to show, in place (tsc_text_printable()): names come from
 * any user (a command name is whatever its process says) or from another
 * machine.
 */
static char *make_printable(char *s)
{
	return tsc_text_printable(s, s, strlen(s) + 1);
}

static void set_user(TscSession *self, guint32 uid)
{
	g_autofree char *name = NULL;

	/* a uid shown as a number is looked up again: it may be named now */
	if (uid == self->uid && self->user && self->user_named)
		return;
	self->uid = uid;
	g_free(self->user);
	self->user_named = FALSE;
	if (uid == TTYSCOPE_UID_UNSET) {
		self->user = g_strdup("");
		self->user_named = TRUE;
		return;
	}
	/* the daemon named the uid before the record that carries it */
	name = self->source ? tsc_source_dup_user_name(self->source, uid) :
			      NULL;
	self->user_named = name && name[0];
	if (self->user_named)
		self->user = make_printable(g_steal_pointer(&name));
	else
		self->user = g_strdup_printf("%u", uid);
}

static void set_size(TscSession *self, guint rows, guint cols)
{
	if (!rows || !cols || (rows == self->rows && cols == self->cols))
		return;
	flush_output(self);
	self->rows = rows;
	self->cols = cols;
	g_signal_emit(self, signals[SIG_RESIZE], 0, rows, cols);
}

/* A LIST entry, forwarded by the source as a REPLY record of the tty. */
static void apply_list_entry(TscSession *self, const struct tsc_rec *rec)
{
	struct tsc_proto_tty t;
	gint64 idle;

	if (tsc_proto_decode_tty(rec->payload, rec->hdr.len, &t) < 0)
		return;
	g_free(self->tty);
	self->tty = make_printable(g_strdup(t.name));
	g_strlcpy(self->comm, t.comm, sizeof(self->comm));
	g_strlcpy(self->fg_comm, t.fg_comm, sizeof(self->fg_comm));
	make_printable(self->comm);
	make_printable(self->fg_comm);
	set_user(self, t.uid);
	self->pass = t.pass != 0;
	self->open_ns = t.open_ns;
	self->bytes = t.in_bytes + t.out_bytes;
	self->lost = t.lost;
	self->listed = TRUE;
	set_size(self, t.rows, t.cols);
	idle = g_get_real_time() - (gint64)(t.last_ns / 1000);
	if (idle >= 0 && idle < LATENCY_SANE_US * 24)
		self->last_activity = g_get_monotonic_time() - idle;
}

static void note_latency(TscSession *self, const struct tsc_rec *rec,
			 gint64 rx_us)
{
	gint64 lat = g_get_real_time() - (gint64)(rec->hdr.ts_ns / 1000);

	if (lat >= 0 && lat < LATENCY_SANE_US) {
		self->latency = lat;
		self->latency_local = FALSE;
	} else {
		/* another clock: at least the time it spent here */
		self->latency = g_get_monotonic_time() - rx_us;
		self->latency_local = TRUE;
	}
}

/**
 * tsc_session_apply - apply one record of the session's tty
 * @self: the session
 * @rec: a record (kernel type, SYNC, or a LIST entry as a REPLY record)
 * @rx_us: monotonic time the batch holding @rec was received
 *
 * Output is collected and emitted by tsc_session_commit() or before the
 * next record that must follow it (a resize, the end of the session).
 */
void tsc_session_apply(TscSession *self, const struct tsc_rec *rec,
		       gint64 rx_us)
{
	const struct tsc_rec_hdr *h = &rec->hdr;
	struct tsc_session s;
	struct tsc_winsize ws;
	struct tsc_open o;
	struct tsc_pass p;
	gboolean counted;

	self->dirty = TRUE;
	if (h->type == TSC_MSG_REPLY) {
		apply_list_entry(self, rec);
		self->seen = TRUE;
		return;
	}
	/* a tty that opens while we watch has no catch-up: live at once */
	if (!self->seen && h->type == TTYSCOPE_REC_OPEN && !self->listed) {
		self->synced = TRUE;
		self->have_next_seq = TRUE;
		self->next_seq = h->seq;
	}
	self->seen = TRUE;
	/* the LIST entry counted the bytes of the catch-up */
	counted = !self->listed || self->synced;
	if (h->type == TSC_MSG_SYNC) {
		/*
		 * Input is not part of the catch-up, so the first live record
		 * may follow SYNC with a gap that is no loss: count from it.
		 */
		self->synced = TRUE;
		self->have_next_seq = FALSE;
		return;
	}
	if (h->type < TSC_REC_USER_FIRST && rec->raw) {
		records_append(self, rec->raw, TSC_REC_HDR_SIZE + h->len);
		self->last_seq = h->seq;
		self->last_ts = h->ts_ns;
		self->last_rx_us = g_get_monotonic_time();
	}
	if (self->synced) {
		/* the live stream has every record: a gap is a loss */
		if (self->have_next_seq && h->seq > self->next_seq)
			self->lost += h->seq - self->next_seq;
		self->next_seq = h->seq + 1;
		self->have_next_seq = TRUE;
		note_latency(self, rec, rx_us);
	}
	switch (h->type) {
	case TTYSCOPE_REC_OPEN:
		if (tsc_rec_decode_open(rec, &o) == 0) {
			g_free(self->tty);
			self->tty = make_printable(g_strdup(o.name));
		}
		self->open_ns = h->ts_ns;
		break;
	case TTYSCOPE_REC_WINSIZE:
		if (tsc_rec_decode_winsize(rec, &ws) == 0)
			set_size(self, ws.rows, ws.cols);
		break;
	case TTYSCOPE_REC_SESSION:
		if (tsc_rec_decode_session(rec, &s) == 0) {
			set_user(self, s.uid);
			g_strlcpy(self->comm, s.comm, sizeof(self->comm));
			g_strlcpy(self->fg_comm, s.fg_comm,
				  sizeof(self->fg_comm));
			make_printable(self->comm);
			make_printable(self->fg_comm);
		}
		break;
	case TTYSCOPE_REC_PASS:
		if (tsc_rec_decode_pass(rec, &p) == 0)
			self->pass = p.pass != 0;
		break;
	case TTYSCOPE_REC_OUT:
		g_byte_array_append(self->out, rec->payload, h->len);
		if (counted) {
			self->bytes += h->len;
			self->last_activity = g_get_monotonic_time();
		}
		break;
	case TTYSCOPE_REC_IN:
	case TTYSCOPE_REC_IN_DROPPED:
		if (counted) {
			self->bytes += h->len;
			self->last_activity = g_get_monotonic_time();
		}
		break;
	case TTYSCOPE_REC_CLOSE:
		flush_output(self);
		self->closed = TRUE;
		break;
	default:
		break;
	}
}

/* End of a batch: emit the collected output and one "changed". */
void tsc_session_commit(TscSession *self)
{
	flush_output(self);
	if (self->dirty) {
		self->dirty = FALSE;
		g_signal_emit(self, signals[SIG_CHANGED], 0);
	}
}

/* The session is seen again after a reconnection: its catch-up follows. */
void tsc_session_restart(TscSession *self)
{
	g_byte_array_set_size(self->out, 0);
	history_clear(self);
	records_clear(self);
	self->disconnected = FALSE;
	self->closed = FALSE;
	self->synced = FALSE;
	self->listed = FALSE;
	self->seen = FALSE;
	g_signal_emit(self, signals[SIG_RESET], 0);
	g_signal_emit(self, signals[SIG_CHANGED], 0);
}

void tsc_session_set_disconnected(TscSession *self)
{
	flush_output(self);
	self->disconnected = TRUE;
	self->synced = FALSE;
	g_signal_emit(self, signals[SIG_CHANGED], 0);
}

/* The tty is gone (not listed after a reconnection). */
void tsc_session_set_closed(TscSession *self)
{
	self->disconnected = FALSE;
	self->closed = TRUE;
	g_signal_emit(self, signals[SIG_CHANGED], 0);
}

void tsc_session_detach_source(TscSession *self)
{
	if (self->source)
		g_object_remove_weak_pointer(G_OBJECT(self->source),
					     (gpointer *)&self->source);
	self->source = NULL;
}

TscSource *tsc_session_get_source(TscSession *self)
{
	return self->source;
}

guint32 tsc_session_get_major(TscSession *self)
{
	return self->major;
}

guint32 tsc_session_get_minor(TscSession *self)
{
	return self->minor;
}

const char *tsc_session_get_host(TscSession *self)
{
	return self->host;
}

/* The source learnt its host's name from the daemon. */
void tsc_session_set_host(TscSession *self, const char *host)
{
	if (!g_strcmp0(self->host, host))
		return;
	g_free(self->host);
	self->host = g_strdup(host);
	g_signal_emit(self, signals[SIG_CHANGED], 0);
}

const char *tsc_session_get_tty(TscSession *self)
{
	return self->tty;
}

const char *tsc_session_get_user(TscSession *self)
{
	return self->user ? self->user : "";
}

const char *tsc_session_get_command(TscSession *self)
{
	return self->fg_comm[0] ? self->fg_comm : self->comm;
}

TscSessionState tsc_session_get_state(TscSession *self)
{
	if (self->disconnected)
		return TSC_SESSION_DISCONNECTED;
	if (self->closed)
		return TSC_SESSION_CLOSED;
	return self->pass ? TSC_SESSION_LIVE : TSC_SESSION_BLOCKED;
}

const char *tsc_session_state_to_string(TscSessionState state)
{
	switch (state) {
	case TSC_SESSION_LIVE:
		return C_("session state", "live");
	case TSC_SESSION_BLOCKED:
		return C_("session state", "blocked");
	case TSC_SESSION_CLOSED:
		return C_("session state", "closed");
	case TSC_SESSION_DISCONNECTED:
		return C_("session state", "disconnected");
	}
	return "";
}

/* Live: captured now, blocked or not. */
gboolean tsc_session_is_live(TscSession *self)
{
	TscSessionState st = tsc_session_get_state(self);

	return st == TSC_SESSION_LIVE || st == TSC_SESSION_BLOCKED;
}

guint tsc_session_get_rows(TscSession *self)
{
	return self->rows;
}

guint tsc_session_get_cols(TscSession *self)
{
	return self->cols;
}

guint64 tsc_session_get_bytes(TscSession *self)
{
	return self->bytes;
}

guint64 tsc_session_get_lost(TscSession *self)
{
	return self->lost;
}

guint64 tsc_session_get_open_ns(TscSession *self)
{
	return self->open_ns;
}

gint64 tsc_session_get_last_activity(TscSession *self)
{
	return self->last_activity;
}

/* Time from capture to display in µs, or -1 if nothing was live yet. */
gint64 tsc_session_get_latency(TscSession *self)
{
	return self->latency;
}

/* The latency covers only the time spent here (the clocks differ). */
gboolean tsc_session_get_latency_is_local(TscSession *self)
{
	return self->latency_local;
}

/* "pts/3 on host (user)" */
char *tsc_session_dup_title(TscSession *self)
{
	const char *user = tsc_session_get_user(self);

	if (user[0])
		/* Translators: tty on host (user name) */
		return g_strdup_printf(_("%s on %s (%s)"), self->tty,
				       self->host, user);
	/* Translators: tty on host */
	return g_strdup_printf(_("%s on %s"), self->tty, self->host);
}

void tsc_session_foreach_chunk(TscSession *self, TscSessionChunkFunc func,
			       gpointer user_data)
{
	for (GList *l = self->history.head; l; l = l->next) {
		struct chunk *c = l->data;

		func(c->rows, c->cols, c->data->data, c->data->len, user_data);
	}
}

/**
 * tsc_session_dup_records - the session's recent records, for time-shift
 * @from: in: serial of the first record wanted (0: all retained); out: the
 *	serial of the next record, to ask for what follows later
 *
 * At most the last 4 MiB of records are retained; a @from older than that
 * gets what is left. Records of the session's current capture only (a
 * reconnection starts again).
 *
 * Returns: the records, back to back (docs/FORMAT.md "Stream").
 */
GBytes *tsc_session_dup_records(TscSession *self, guint64 *from)
{
	GByteArray *out = g_byte_array_new();

	for (GList *l = self->records.head; l; l = l->next) {
		const struct rchunk *c = l->data;
		gsize off = 0;

		if (c->first + c->count <= *from)
			continue;
		/* skip the records of this chunk before @from */
		for (guint64 s = c->first; s < *from; s++) {
			struct tsc_rec_hdr h;

			tsc_rec_hdr_unpack(c->data->data + off, &h);
			off += TSC_REC_HDR_SIZE + h.len;
		}
		g_byte_array_append(out, c->data->data + off,
				    (guint)(c->data->len - off));
	}
	*from = self->records_next;
	return g_byte_array_free_to_bytes(out);
}

/**
 * tsc_session_add_mark - set a marker in the session now
 * @label: the operator's label (UTF-8; cut to %TSC_MARK_LABEL_MAX bytes at
 *	a character boundary), or NULL
 *
 * The MARK record (docs/FORMAT.md) takes the session's clock: the time of
 * its last record plus the time since it arrived. It goes into the
 * record history and, if the source records logs, into the session's log.
 *
 * Returns: 0 if the log has it; -ENOTCONN if no log is being written (the
 * history still has it); another negative errno if writing it failed.
 */
int tsc_session_add_mark(TscSession *self, const char *label)
{
	guint8 buf[TSC_REC_HDR_SIZE + TSC_MARK_LABEL_MAX];
	struct tsc_rec_hdr h = {
		.type = TSC_REC_MARK,
		.major = self->major,
		.minor = self->minor,
		.seq = self->last_seq,
	};
	const char *end;
	struct tsc_rec rec;
	int n;

	if (!label)
		label = "";
	end = label + strlen(label);
	if (!g_utf8_validate(label, -1, &end) ||
	    end - label > (gssize)TSC_MARK_LABEL_MAX) {
		end = label + MIN(end - label, (gssize)TSC_MARK_LABEL_MAX);
		while (end > label &&
		       !g_utf8_validate(label, end - label, NULL))
			end--;
	}
	h.len = (guint32)(end - label);
	if (self->last_rx_us)
		h.ts_ns = self->last_ts +
			  (guint64)(g_get_monotonic_time() - self->last_rx_us) *
				  1000u;
	else
		h.ts_ns = (guint64)g_get_real_time() * 1000u;
	n = tsc_rec_encode(&h, label, buf, sizeof(buf));
	if (n < 0 || tsc_rec_parse(buf, (gsize)n, &rec) < 0)
		return -EINVAL;
	records_append(self, buf, (gsize)n);
	if (!self->source)
		return -ENOTCONN;
	return tsc_source_add_mark(self->source, &rec);
}

static void tsc_session_finalize(GObject *object)
{
	TscSession *self = TSC_SESSION(object);

	tsc_session_detach_source(self);
	history_clear(self);
	records_clear(self);
	g_byte_array_unref(self->out);
	g_free(self->host);
	g_free(self->tty);
	g_free(self->user);
	G_OBJECT_CLASS(tsc_session_parent_class)->finalize(object);
}

static void tsc_session_class_init(TscSessionClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->finalize = tsc_session_finalize;

	/* Terminal bytes, in stream order. */
	signals[SIG_OUTPUT] = g_signal_new("output", G_TYPE_FROM_CLASS(klass),
					   G_SIGNAL_RUN_LAST, 0, NULL, NULL,
					   NULL, G_TYPE_NONE, 1, G_TYPE_BYTES);
	/* The tty's window size changed: rows, cols. */
	signals[SIG_RESIZE] = g_signal_new("resize", G_TYPE_FROM_CLASS(klass),
					   G_SIGNAL_RUN_LAST, 0, NULL, NULL,
					   NULL, G_TYPE_NONE, 2, G_TYPE_UINT,
					   G_TYPE_UINT);
	/* Start again from a clear screen. */
	signals[SIG_RESET] = g_signal_new("reset", G_TYPE_FROM_CLASS(klass),
					  G_SIGNAL_RUN_LAST, 0, NULL, NULL,
					  NULL, G_TYPE_NONE, 0);
	/* Anything shown about the session changed. */
	signals[SIG_CHANGED] = g_signal_new("changed", G_TYPE_FROM_CLASS(klass),
					    G_SIGNAL_RUN_LAST, 0, NULL, NULL,
					    NULL, G_TYPE_NONE, 0);
}

static void tsc_session_init(TscSession *self)
{
	self->out = g_byte_array_new();
	self->pass = TRUE;
	self->uid = TTYSCOPE_UID_UNSET;
	self->latency = -1;
	g_queue_init(&self->history);
	g_queue_init(&self->records);
}

/**
 * tsc_session_new - a session of @source's tty @major:@minor
 *
 * Users are named as the source's daemon names them.
 */
TscSession *tsc_session_new(TscSource *source, guint32 major, guint32 minor)
{
	TscSession *self = g_object_new(TSC_TYPE_SESSION, NULL);

	self->source = source;
	g_object_add_weak_pointer(G_OBJECT(source), (gpointer *)&self->source);
	self->host = g_strdup(tsc_source_get_host(source));
	self->major = major;
	self->minor = minor;
	self->tty = g_strdup_printf("%u:%u", major, minor);
	set_user(self, TTYSCOPE_UID_UNSET);
	return self;
}
