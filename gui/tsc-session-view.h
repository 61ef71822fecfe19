/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * TscSessionView: the full view of one session: a TscTerminal at the
 * tty's window size with scrollback, the actions (bound to the window's
 * win.* actions), and a status bar (input state, size, bytes, loss,
 * latency). In take-over mode what the operator types is sent to the
 * session as INJECT requests. The operator sets markers (Ctrl+M) that go
 * into the session's log, and can rewind the session (time-shift): a
 * replay of its recent past while it goes on, until Live.
 */
#ifndef TSC_SESSION_VIEW_H
#define TSC_SESSION_VIEW_H

#include <gtk/gtk.h>

#include "tsc-replay-view.h"
#include "tsc-session.h"
#include "tsc-terminal.h"

G_BEGIN_DECLS

#define TSC_TYPE_SESSION_VIEW (tsc_session_view_get_type())
G_DECLARE_FINAL_TYPE(TscSessionView, tsc_session_view, TSC, SESSION_VIEW,
		     GtkBox)

GtkWidget *tsc_session_view_new(TscSession *session);
TscSession *tsc_session_view_get_session(TscSessionView *self);
TscTerminal *tsc_session_view_get_terminal(TscSessionView *self);
gboolean tsc_session_view_get_take_over(TscSessionView *self);
void tsc_session_view_set_take_over(TscSessionView *self, gboolean take_over);
void tsc_session_view_show_notice(TscSessionView *self, const char *text);
void tsc_session_view_add_mark(TscSessionView *self);
TscReplayView *tsc_session_view_rewind(TscSessionView *self);
void tsc_session_view_go_live(TscSessionView *self);
TscReplayView *tsc_session_view_get_rewind(TscSessionView *self);

G_END_DECLS

#endif /* TSC_SESSION_VIEW_H */
