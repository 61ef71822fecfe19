/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * TscSource: one connection to a ttyscoped (docs/PROTOCOL.md), through
 * its unix socket or through a command's stdin/stdout (`ssh HOST ttyscope
 * stream`).
 *
 * One reader thread per connection does blocking reads of the record
 * stream; records reach the main thread in batches, through
 * g_main_context_invoke_full(), with at most one hand-off pending per tty
 * (records arriving meanwhile are appended to it). Requests are written
 * from the main thread, without blocking (a queue and an fd watch take
 * what the peer cannot take at once), and their replies are matched by
 * request id. When the connection is lost the source's sessions are
 * removed and it reconnects with a growing delay; a timer runs only while
 * it is disconnected.
 */
#ifndef TSC_SOURCE_H
#define TSC_SOURCE_H

#include <gio/gio.h>

#include "tsc-record.h"
#include "tsc-session.h"

G_BEGIN_DECLS

typedef enum {
	TSC_SOURCE_DISCONNECTED,
	TSC_SOURCE_CONNECTING,
	TSC_SOURCE_CONNECTED,
} TscSourceState;

#define TSC_TYPE_SOURCE (tsc_source_get_type())
G_DECLARE_FINAL_TYPE(TscSource, tsc_source, TSC, SOURCE, GObject)

/* Default socket of the local daemon. */
#define TSC_DEFAULT_SOCKET "/run/ttyscope/ttyscope.sock"

TscSource *tsc_source_new_socket(const char *path);
TscSource *tsc_source_new_command(const char *const *argv, const char *host);
void tsc_source_set_record_dir(TscSource *self, const char *dir);
int tsc_source_add_mark(TscSource *self, const struct tsc_rec *rec);

void tsc_source_start(TscSource *self);
void tsc_source_stop(TscSource *self);
void tsc_source_reconnect_now(TscSource *self);

const char *tsc_source_get_host(TscSource *self);
const char *tsc_source_get_label(TscSource *self);
char *tsc_source_dup_user_name(TscSource *self, guint32 uid);
TscSourceState tsc_source_get_state(TscSource *self);
const char *tsc_source_get_error(TscSource *self);
guint tsc_source_get_retry_delay(TscSource *self);
guint64 tsc_source_get_lost(TscSource *self);
GList *tsc_source_get_sessions(TscSource *self);

void tsc_source_request_async(TscSource *self, guint verb, guint flags,
			      guint32 major, guint32 minor, const void *args,
			      gsize len, GCancellable *cancellable,
			      GAsyncReadyCallback callback, gpointer user_data);
GBytes *tsc_source_request_finish(TscSource *self, GAsyncResult *result,
				  GError **error);

G_END_DECLS

#endif /* TSC_SOURCE_H */
