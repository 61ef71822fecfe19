/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * TscWindow: the main window. A session list (filter, sortable columns)
 * above a notebook whose first page is the overview grid of live
 * sessions and whose other pages are full views. One info bar per source
 * that is not connected. The win.* actions act on the current session
 * (the open view, else the selected row) or, for the bulk actions, on
 * every live session the list shows. Replays of recordings (files, or a
 * session's recent past) are pages of the notebook too.
 */
#ifndef TSC_WINDOW_H
#define TSC_WINDOW_H

#include <gtk/gtk.h>

#include "tsc-replay-view.h"
#include "tsc-session-view.h"
#include "tsc-source.h"
#include "tsc-tile.h"

G_BEGIN_DECLS

#define TSC_TYPE_WINDOW (tsc_window_get_type())
G_DECLARE_FINAL_TYPE(TscWindow, tsc_window, TSC, WINDOW, GtkApplicationWindow)

GtkWidget *tsc_window_new(GtkApplication *app);
void tsc_window_add_source(TscWindow *self, TscSource *source);
TscSessionView *tsc_window_open_session(TscWindow *self, TscSession *session);
TscSessionView *tsc_window_get_view(TscWindow *self, TscSession *session);
TscTile *tsc_window_get_tile(TscWindow *self, TscSession *session);
GList *tsc_window_get_sessions(TscWindow *self);
GPtrArray *tsc_window_dup_listed(TscWindow *self);
void tsc_window_add_replay(TscWindow *self, GtkWidget *view);
TscReplayView *tsc_window_open_replay(TscWindow *self, const char *path,
				      const char *timing, GError **error);

G_END_DECLS

#endif /* TSC_WINDOW_H */
