/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the GUI tests share (test-gui, test-replay, test-gui-lab,
 * tests/i18n/test-gui-locale): running the main loop until a condition
 * holds, the application with a test body, finding and driving widgets,
 * screenshots, and a ttyscoped fed through a FIFO by `tdtool gen`.
 */
#ifndef GUI_TEST_H
#define GUI_TEST_H

#include <gtk/gtk.h>

#include "tsc-application.h"

/* A main loop source that keeps g_main_context_iteration() waking. */
gboolean gt_wake(gpointer data);

/*
 * Run the main loop until @cond holds; fail after TIMEOUT_S seconds
 * (which the test defines).
 */
#define WAIT_FOR(cond, what)                                                 \
	do {                                                                 \
		gint64 end_ =                                                \
			g_get_monotonic_time() + TIMEOUT_S * G_USEC_PER_SEC; \
		guint tick_ = g_timeout_add(20, gt_wake, NULL);              \
		while (!(cond)) {                                            \
			if (g_get_monotonic_time() > end_)                   \
				g_error("timed out waiting for %s", what);   \
			g_main_context_iteration(NULL, TRUE);                \
		}                                                            \
		g_source_remove(tick_);                                      \
	} while (0)

void gt_settle(guint ms);
double gt_idle_cpu(guint ms);

void gt_run_app(TscApplication **app, TscWindow **win,
		void (*body)(gpointer data), gpointer data,
		const char *const *args);

GtkWidget *gt_find_widget(GtkWidget *w, const char *name);
void gt_click(GtkWidget *root, const char *name);
void gt_key(GtkWidget *w, guint keyval);
void gt_key_mod(GtkWidget *w, guint keyval, GdkModifierType state);
void gt_send_key(GtkWidget *w, guint keyval);
char *gt_screen(guint rows, const char *const *lines);
gboolean gt_text_is(TscTerminal *t, const char *want);

void gt_shot(const char *name);
void gt_shot_keep_pointer(const char *name);

char *gt_find_file(const char *dir,
		   gboolean (*match)(const char *path, const char *arg),
		   const char *arg);
void gt_rm_rf(const char *path);

/* A ttyscoped whose device is a FIFO, with --fake-control. */
struct gt_daemon {
	char *dir; /* dev (FIFO), sock, ctl, devroot/, logs/, state */
	char *fifo, *sock, *ctl, *devroot, *state;
	GPid pid;
};

void gt_daemon_init(struct gt_daemon *d, const char *tmp, const char *name);
void gt_daemon_prepare(struct gt_daemon *d, int first_pts, int last_pts);
void gt_daemon_start(struct gt_daemon *d, const char *ttyscoped);
void gt_daemon_stop(struct gt_daemon *d);
void gt_daemon_free(struct gt_daemon *d);
void gt_feed(struct gt_daemon *d, const char *tdtool, const char *tdtime,
	     gboolean overwrite, const char *lines);

#endif
