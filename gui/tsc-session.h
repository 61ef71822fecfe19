/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * TscSession: one tty session as a source sees it (main thread only).
 *
 * A TscSource applies the records of one tty to its TscSession in order;
 * the session keeps what the session list and the views show (name, user,
 * command, state, counters), a bounded history of the terminal output so
 * that a terminal opened later draws the same screen, and emits, in
 * stream order, "output" (bytes for the terminal), "resize" (the tty's
 * window size) and "reset" (start again from a clear screen). "changed"
 * is emitted once per batch of records and on every state change. It also
 * keeps its last 8 MiB of records and the operator's markers, so that a
 * replay view can show its recent past while it goes on (time-shift).
 */
#ifndef TSC_SESSION_H
#define TSC_SESSION_H

#include <glib-object.h>

#include "tsc-record.h"

G_BEGIN_DECLS

typedef struct _TscSource TscSource;

/**
 * TscSessionState:
 * @TSC_SESSION_LIVE: the tty is captured and the user's input passes
 * @TSC_SESSION_BLOCKED: the tty is captured and the user's input is
 *	discarded (pass flag 0)
 * @TSC_SESSION_CLOSED: the tty was closed (CLOSE record)
 * @TSC_SESSION_DISCONNECTED: the connection to its daemon is lost
 */
typedef enum {
	TSC_SESSION_LIVE,
	TSC_SESSION_BLOCKED,
	TSC_SESSION_CLOSED,
	TSC_SESSION_DISCONNECTED,
} TscSessionState;

#define TSC_TYPE_SESSION (tsc_session_get_type())
G_DECLARE_FINAL_TYPE(TscSession, tsc_session, TSC, SESSION, GObject)

/* Called for each retained output chunk, oldest first. */
typedef void (*TscSessionChunkFunc)(guint rows, guint cols, const guint8 *data,
				    gsize len, gpointer user_data);

TscSession *tsc_session_new(TscSource *source, guint32 major, guint32 minor);

TscSource *tsc_session_get_source(TscSession *self);
guint32 tsc_session_get_major(TscSession *self);
guint32 tsc_session_get_minor(TscSession *self);
const char *tsc_session_get_host(TscSession *self);
void tsc_session_set_host(TscSession *self, const char *host);
const char *tsc_session_get_tty(TscSession *self);
const char *tsc_session_get_user(TscSession *self);
const char *tsc_session_get_command(TscSession *self);
TscSessionState tsc_session_get_state(TscSession *self);
const char *tsc_session_state_to_string(TscSessionState state);
gboolean tsc_session_is_live(TscSession *self);
guint tsc_session_get_rows(TscSession *self);
guint tsc_session_get_cols(TscSession *self);
guint64 tsc_session_get_bytes(TscSession *self);
guint64 tsc_session_get_lost(TscSession *self);
guint64 tsc_session_get_open_ns(TscSession *self);
gint64 tsc_session_get_last_activity(TscSession *self);
gint64 tsc_session_get_latency(TscSession *self);
gboolean tsc_session_get_latency_is_local(TscSession *self);
char *tsc_session_dup_title(TscSession *self);
void tsc_session_foreach_chunk(TscSession *self, TscSessionChunkFunc func,
			       gpointer user_data);
GBytes *tsc_session_dup_records(TscSession *self, guint64 *from);
int tsc_session_add_mark(TscSession *self, const char *label);

/* Used by TscSource, which feeds the session. */
void tsc_session_apply(TscSession *self, const struct tsc_rec *rec,
		       gint64 rx_us);
void tsc_session_commit(TscSession *self);
void tsc_session_restart(TscSession *self);
void tsc_session_set_disconnected(TscSession *self);
void tsc_session_set_closed(TscSession *self);
void tsc_session_detach_source(TscSession *self);

G_END_DECLS

#endif /* TSC_SESSION_H */
