/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * TscTerminal: a VteTerminal that mirrors a captured tty.
 *
 * It keeps the tty's window size (rows x columns from WINSIZE records,
 * applied exactly where they occur in the output), never resizes itself
 * to its allocation, and answers nothing: text the terminal would send
 * back to a program (answers to queries) is dropped; only what the
 * operator types or pastes is reported, by "user-input". The replay view
 * drives it with tsc_terminal_clear(), tsc_terminal_feed_resize() and
 * tsc_terminal_feed_output(); live views attach it to a TscSession.
 */
#ifndef TSC_TERMINAL_H
#define TSC_TERMINAL_H

#include <vte/vte.h>

#include "tsc-session.h"

G_BEGIN_DECLS

#define TSC_TYPE_TERMINAL (tsc_terminal_get_type())
G_DECLARE_FINAL_TYPE(TscTerminal, tsc_terminal, TSC, TERMINAL, VteTerminal)

GtkWidget *tsc_terminal_new(gboolean compact);
void tsc_terminal_set_session(TscTerminal *self, TscSession *session);
TscSession *tsc_terminal_get_session(TscTerminal *self);
void tsc_terminal_clear(TscTerminal *self);
void tsc_terminal_feed_output(TscTerminal *self, const void *data, gsize len);
void tsc_terminal_feed_resize(TscTerminal *self, guint rows, guint cols);
char *tsc_terminal_dup_text(TscTerminal *self);

G_END_DECLS

#endif /* TSC_TERMINAL_H */
