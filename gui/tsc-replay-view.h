/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * TscReplayView: plays a recorded session in a TscTerminal: a ttyscope
 * log, an asciicast file, a script recording, or the recent past of a
 * live session (time-shift). Play/pause (Space), speed (+ and −), step
 * (.), a timeline that seeks forward and backward (arrow keys: 5 s), a
 * search that jumps to the output containing a text (Enter: the next
 * one), and the operator's markers, on the timeline and in a list.
 *
 * The whole recording is in memory (libttyscope's tsc-recording.h).
 * Seeking forward feeds the records in between at once; seeking backward
 * resets the terminal and feeds from the nearest earlier point the
 * terminal can be put in (tsc_recording_restart()). Records are fed on the
 * main thread from a timeout that exists only while playing: a paused
 * view costs no CPU.
 */
#ifndef TSC_REPLAY_VIEW_H
#define TSC_REPLAY_VIEW_H

#include <gtk/gtk.h>

#include "tsc-recording.h"
#include "tsc-terminal.h"

G_BEGIN_DECLS

#define TSC_TYPE_REPLAY_VIEW (tsc_replay_view_get_type())
G_DECLARE_FINAL_TYPE(TscReplayView, tsc_replay_view, TSC, REPLAY_VIEW, GtkBox)

#define TSC_REPLAY_ERROR (tsc_replay_error_quark())
GQuark tsc_replay_error_quark(void);

/**
 * TscReplayError:
 * @TSC_REPLAY_ERROR_NEEDS_TIMING: a script recording needs its timing file
 * @TSC_REPLAY_ERROR_MALFORMED: the file is malformed (or of no known
 *	format)
 * @TSC_REPLAY_ERROR_FAILED: reading failed
 */
typedef enum {
	TSC_REPLAY_ERROR_NEEDS_TIMING,
	TSC_REPLAY_ERROR_MALFORMED,
	TSC_REPLAY_ERROR_FAILED,
} TscReplayError;

GtkWidget *tsc_replay_view_new(void);
GtkWidget *tsc_replay_view_new_for_file(const char *path, const char *timing,
					GError **error);
gboolean tsc_replay_view_load_file(TscReplayView *self, const char *path,
				   const char *timing, GError **error);
void tsc_replay_view_take_recording(TscReplayView *self,
				    struct tsc_recording *rec,
				    const char *title);
gboolean tsc_replay_view_append_records(TscReplayView *self, GBytes *records);
const char *tsc_replay_view_get_title(TscReplayView *self);
TscTerminal *tsc_replay_view_get_terminal(TscReplayView *self);

void tsc_replay_view_play(TscReplayView *self);
void tsc_replay_view_pause(TscReplayView *self);
gboolean tsc_replay_view_get_playing(TscReplayView *self);
void tsc_replay_view_step(TscReplayView *self);
void tsc_replay_view_set_speed(TscReplayView *self, double speed);
double tsc_replay_view_get_speed(TscReplayView *self);
void tsc_replay_view_seek(TscReplayView *self, guint64 offset_ns);
guint64 tsc_replay_view_get_position(TscReplayView *self);
guint64 tsc_replay_view_get_duration(TscReplayView *self);
gsize tsc_replay_view_get_shown(TscReplayView *self);
gboolean tsc_replay_view_search(TscReplayView *self, const char *text,
				gboolean next);
guint tsc_replay_view_get_n_marks(TscReplayView *self);
const char *tsc_replay_view_get_mark(TscReplayView *self, guint i,
				     guint64 *offset_ns);
void tsc_replay_view_jump_to_mark(TscReplayView *self, guint i);

G_END_DECLS

#endif /* TSC_REPLAY_VIEW_H */
