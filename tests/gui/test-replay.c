// SPDX-License-Identifier: GPL-2.0-only
/*
 * ttyscope-gui's replay under Xvfb: the real application, started with
 * recordings on its command line, and against a real ttyscoped fed
 * through a FIFO by `tdtool gen` for markers and time-shift.
 *
 *   test-replay -p /replay/log        a log libttyscope writes: play to
 *                                     the end, seek back and forth, step,
 *                                     keys, search, markers, idle CPU
 *   test-replay -p /replay/imports    an asciicast file and a script
 *                                     recording open and play
 *   test-replay -p /replay/timeshift  markers into the --record log, rewind
 *                                     a live session while it goes on, Live
 *
 * Needs $TTYSCOPED, $TDTOOL and $TTYSCOPE (the CLI); screenshots go to
 * $TSC_SHOT_DIR (gui-replay*.png).
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "gui-test.h"
#include "tsc-log.h"
#include "tsc-replay-view.h"

#define TIMEOUT_S 20
#define SEC 1000000000ull
#define MS 1000000ull
#define T0 (1767323045ull * SEC)

struct fixture {
	char *tmp;
	struct gt_daemon d;
	char *record_dir;
	TscApplication *app;
	TscWindow *win;
};

static const char *tdtool, *ttyscoped, *ttyscope;

/* ---- helpers -------------------------------------------------------------- */

/* The replay views of the window (notebook pages), in order. */
static GList *replay_views(struct fixture *fx)
{
	GtkWidget *nb = gt_find_widget(GTK_WIDGET(fx->win), "notebook");
	GList *list = NULL;

	for (int i = gtk_notebook_get_n_pages(GTK_NOTEBOOK(nb)) - 1; i >= 0;
	     i--) {
		GtkWidget *page =
			gtk_notebook_get_nth_page(GTK_NOTEBOOK(nb), i);

		if (TSC_IS_REPLAY_VIEW(page))
			list = g_list_prepend(list, page);
	}
	return list;
}

/*
 * VTE parses what it is fed in its own update pass: a screen that is
 * about to change may still show. Only a screen that stays counts.
 */
static void assert_text(TscTerminal *t, const char *want, const char *what)
{
	gint64 end = g_get_monotonic_time() + TIMEOUT_S * G_USEC_PER_SEC;

	for (;;) {
		if (gt_text_is(t, want)) {
			gt_settle(150);
			if (gt_text_is(t, want))
				break;
		}
		if (g_get_monotonic_time() > end)
			break;
		gt_settle(20);
	}
	g_autofree char *have = tsc_terminal_dup_text(t);

	if (g_strcmp0(have, want))
		g_error("%s: terminal shows\n[%s]\nexpected\n[%s]", what, have,
			want);
}

#define ASSERT_SCREEN(term, rows, what, ...)                               \
	do {                                                               \
		g_autofree char *want_ = gt_screen(                        \
			rows, (const char *const[]){ __VA_ARGS__, NULL }); \
		assert_text(term, want_, what);                            \
	} while (0)

static void fixture_init(struct fixture *fx)
{
	fx->tmp = g_dir_make_tmp("ttyscope-replay-XXXXXX", NULL);
	g_assert_nonnull(fx->tmp);
	gt_daemon_init(&fx->d, fx->tmp, "d");
	fx->record_dir = g_build_filename(fx->tmp, "record", NULL);
}

static void fixture_free(struct fixture *fx)
{
	gt_daemon_free(&fx->d);
	gt_rm_rf(fx->tmp);
	g_free(fx->tmp);
	g_free(fx->record_dir);
}

static void daemon_start(struct fixture *fx)
{
	gt_daemon_prepare(&fx->d, 5, 5);
	gt_daemon_start(&fx->d, ttyscoped);
}

/* Feed tdtool gen lines; record N is stamped @base_s + N ms. */
static void feed(struct fixture *fx, guint64 base_s, const char *lines)
{
	g_autofree char *t = g_strdup_printf("%" G_GUINT64_FORMAT, base_s);

	gt_feed(&fx->d, tdtool, t, TRUE, lines);
}

/* ---- recordings the tests write --------------------------------------------- */

struct ev {
	guint64 at;
	guint type;
	const char *data;
};

/*
 * Six rows of 30 columns. Record indexes: 0 OPEN, 1 WINSIZE, 2 one,
 * 3 two, 4 MARK, 5 cleared, 6 three, 7 fresh (a terminal reset), 8 four,
 * 9 MARK, 10 needle, 11 CLOSE.
 */
static const struct ev log_evs[] = {
	{ 0, TTYSCOPE_REC_OPEN, "pts/4" },
	{ 0, TTYSCOPE_REC_WINSIZE, NULL },
	{ 100 * MS, TTYSCOPE_REC_OUT, "\033[1;32mone\033[0m\r\n" },
	{ 1000 * MS, TTYSCOPE_REC_OUT, "two\r\n" },
	{ 1500 * MS, TSC_REC_MARK, "after two" },
	{ 2000 * MS, TTYSCOPE_REC_OUT, "\033[H\033[2Jcleared\r\n" },
	{ 3000 * MS, TTYSCOPE_REC_OUT, "three\r\n" },
	{ 4000 * MS, TTYSCOPE_REC_OUT, "\033cfresh\r\n" },
	{ 5000 * MS, TTYSCOPE_REC_OUT, "four\r\n" },
	{ 5500 * MS, TSC_REC_MARK, "the end is near" },
	{ 6000 * MS, TTYSCOPE_REC_OUT, "a needle here\r\n" },
	{ 6500 * MS, TTYSCOPE_REC_CLOSE, NULL },
};

static void write_log(const char *path)
{
	struct tsc_log_meta meta = {
		.major = 136,
		.minor = 4,
		.uid = 1000,
		.start_ns = T0,
		.host = "lab1",
		.tty = "pts/4",
		.user = "carol",
	};
	struct tsc_log_writer *w;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(tsc_log_writer_new(fd, &meta, NULL, &w), ==, 0);
	for (guint i = 0; i < G_N_ELEMENTS(log_evs); i++) {
		struct tsc_rec_hdr h = {
			.type = (guint16)log_evs[i].type,
			.major = 136,
			.minor = 4,
			.seq = i,
			.ts_ns = T0 + log_evs[i].at,
		};
		guint8 payload[TSC_OPEN_SIZE];
		const void *p = log_evs[i].data;

		if (log_evs[i].type == TTYSCOPE_REC_OPEN) {
			struct tsc_open o = { .kind = 1 };

			g_strlcpy(o.name, log_evs[i].data, sizeof(o.name));
			tsc_rec_encode_open(&o, payload);
			h.len = TSC_OPEN_SIZE;
			p = payload;
		} else if (log_evs[i].type == TTYSCOPE_REC_WINSIZE) {
			struct tsc_winsize ws = { .rows = 6, .cols = 30 };

			tsc_rec_encode_winsize(&ws, payload);
			h.len = TSC_WINSIZE_SIZE;
			p = payload;
		} else {
			h.len = p ? (guint32)strlen(p) : 0;
		}
		g_assert_cmpint(tsc_log_writer_append(w, &h, p), ==, 0);
	}
	g_assert_cmpint(tsc_log_writer_finish(w), ==, 0);
	tsc_log_writer_free(w);
	close(fd);
}

/* ---- /replay/log ---------------------------------------------------------- */

static void log_body(gpointer data)
{
	struct fixture *fx = data;
	g_autoptr(GList) views = replay_views(fx);
	TscReplayView *v;
	TscTerminal *term;
	GtkWidget *entry, *list;
	g_autoptr(GList) rows = NULL;
	guint64 at;
	double cpu;

	/* --replay opened it in a tab of its own, playing */
	g_assert_cmpuint(g_list_length(views), ==, 1);
	v = views->data;
	term = tsc_replay_view_get_terminal(v);
	g_assert_true(gtk_widget_is_focus(GTK_WIDGET(term)));
	g_assert_cmpstr(tsc_replay_view_get_title(v), ==, "pts/4 · lab1");
	g_assert_cmpuint(tsc_replay_view_get_duration(v), ==, 6500 * MS);
	g_assert_true(tsc_replay_view_get_playing(v));

	/* the keys: + doubles the speed, - halves it, space pauses */
	gt_send_key(GTK_WIDGET(term), GDK_KEY_plus);
	g_assert_cmpfloat(tsc_replay_view_get_speed(v), ==, 2);
	gt_send_key(GTK_WIDGET(term), GDK_KEY_plus);
	gt_send_key(GTK_WIDGET(term), GDK_KEY_plus);
	gt_send_key(GTK_WIDGET(term), GDK_KEY_minus);
	g_assert_cmpfloat(tsc_replay_view_get_speed(v), ==, 4);
	tsc_replay_view_set_speed(v, 16);
	g_assert_cmpfloat(tsc_replay_view_get_speed(v), ==, 16);

	/* play to the end: 6.5 s at 16x */
	WAIT_FOR(!tsc_replay_view_get_playing(v), "the end of the replay");
	g_assert_cmpuint(tsc_replay_view_get_shown(v), ==,
			 G_N_ELEMENTS(log_evs));
	g_assert_cmpuint(tsc_replay_view_get_position(v), ==, 6500 * MS);
	ASSERT_SCREEN(term, 6, "at the end", "fresh", "four", "a needle here");

	/* backward, past the reset: from the start again */
	tsc_replay_view_seek(v, 3500 * MS);
	g_assert_cmpuint(tsc_replay_view_get_shown(v), ==, 7);
	ASSERT_SCREEN(term, 6, "seek back to 3.5 s", "cleared", "three");
	tsc_replay_view_seek(v, 1200 * MS);
	ASSERT_SCREEN(term, 6, "seek back to 1.2 s", "one", "two");
	g_assert_cmpuint(tsc_replay_view_get_position(v), ==, 1200 * MS);
	/* forward */
	tsc_replay_view_seek(v, 4500 * MS);
	ASSERT_SCREEN(term, 6, "seek forward to 4.5 s", "fresh");
	tsc_replay_view_seek(v, 6500 * MS);
	/* backward, after the reset: from the reset on */
	tsc_replay_view_seek(v, 5200 * MS);
	ASSERT_SCREEN(term, 6, "seek back to 5.2 s", "fresh", "four");
	/* the timeline seeks too, in both directions */
	gtk_range_set_value(
		GTK_RANGE(gt_find_widget(GTK_WIDGET(v), "replay-timeline")),
		1.0);
	g_assert_cmpuint(tsc_replay_view_get_position(v), ==, 1000 * MS);
	ASSERT_SCREEN(term, 6, "timeline at 1 s", "one", "two");
	g_assert_false(tsc_replay_view_get_playing(v));

	/* step from the start: the first output, then the next */
	tsc_replay_view_seek(v, 0);
	ASSERT_SCREEN(term, 6, "at the start", "");
	gt_send_key(GTK_WIDGET(term), GDK_KEY_period);
	ASSERT_SCREEN(term, 6, "one step", "one");
	gt_click(GTK_WIDGET(v), "replay-step");
	ASSERT_SCREEN(term, 6, "two steps", "one", "two");
	g_assert_cmpuint(tsc_replay_view_get_shown(v), ==, 4);
	g_assert_false(tsc_replay_view_get_playing(v));

	/* search: the first hit, Enter for the next ones, then around */
	g_assert_true(tsc_replay_view_search(v, "three", FALSE));
	g_assert_cmpuint(tsc_replay_view_get_shown(v), ==, 7);
	ASSERT_SCREEN(term, 6, "search three", "cleared", "three");
	entry = gt_find_widget(GTK_WIDGET(v), "replay-search");
	gtk_entry_set_text(GTK_ENTRY(entry), "e\n");
	WAIT_FOR(tsc_replay_view_get_shown(v) == 3, "the first hit of e\\n");
	g_signal_emit_by_name(entry, "activate");
	g_assert_cmpuint(tsc_replay_view_get_shown(v), ==, 7); /* three */
	g_signal_emit_by_name(entry, "activate");
	g_assert_cmpuint(tsc_replay_view_get_shown(v), ==, 11); /* needle */
	ASSERT_SCREEN(term, 6, "search e\\n", "fresh", "four", "a needle here");
	g_signal_emit_by_name(entry, "activate");
	g_assert_cmpuint(tsc_replay_view_get_shown(v), ==, 3); /* one */
	g_assert_false(tsc_replay_view_search(v, "haystack", TRUE));
	g_assert_true(gtk_widget_get_visible(
		gt_find_widget(GTK_WIDGET(v), "replay-notice")));

	/* markers from the log: on the timeline and in the list */
	g_assert_cmpuint(tsc_replay_view_get_n_marks(v), ==, 2);
	g_assert_cmpstr(tsc_replay_view_get_mark(v, 0, &at), ==, "after two");
	g_assert_cmpuint(at, ==, 1500 * MS);
	g_assert_cmpstr(tsc_replay_view_get_mark(v, 1, &at), ==,
			"the end is near");
	g_assert_cmpuint(at, ==, 5500 * MS);
	list = gt_find_widget(GTK_WIDGET(v), "replay-marks");
	g_assert_true(gtk_widget_is_visible(list));
	rows = gtk_container_get_children(GTK_CONTAINER(list));
	g_assert_cmpuint(g_list_length(rows), ==, 2);
	gtk_widget_activate(rows->data);
	g_assert_cmpuint(tsc_replay_view_get_position(v), ==, 1500 * MS);
	ASSERT_SCREEN(term, 6, "marker 1", "one", "two");
	gtk_widget_activate(rows->next->data);
	ASSERT_SCREEN(term, 6, "marker 2", "fresh", "four");
	gtk_entry_set_text(GTK_ENTRY(entry), "");
	gt_shot("gui-replay.png");

	/* paused: no timer runs, the CPU stays idle */
	g_assert_false(tsc_replay_view_get_playing(v));
	gt_settle(300);
	cpu = gt_idle_cpu(2000);
	g_test_message("CPU while paused: %.2f %%", cpu * 100);
	g_assert_cmpfloat(cpu, <, 0.01);

	/*
	 * space plays from the marker on to the end, at 1x: 1 s, so that
	 * playing is seen even on a loaded machine
	 */
	tsc_replay_view_set_speed(v, 1);
	gt_send_key(GTK_WIDGET(term), GDK_KEY_space);
	g_assert_true(tsc_replay_view_get_playing(v));
	WAIT_FOR(!tsc_replay_view_get_playing(v), "the end again");
	ASSERT_SCREEN(term, 6, "the end again", "fresh", "four",
		      "a needle here");
	/* at the end, play starts over */
	gt_click(GTK_WIDGET(v), "replay-play");
	g_assert_true(tsc_replay_view_get_playing(v));
	g_assert_cmpuint(tsc_replay_view_get_position(v), <, 500 * MS);
	tsc_replay_view_pause(v);
	tsc_replay_view_search(v, "needle", FALSE);
	gtk_entry_set_text(GTK_ENTRY(entry), "needle");
	gt_settle(300);
	gt_shot("gui-replay-search.png");
}

static void test_log(void)
{
	struct fixture fx = { 0 };
	g_autofree char *path = NULL;

	fixture_init(&fx);
	path = g_build_filename(fx.tmp, "carol.tsl", NULL);
	write_log(path);
	gt_run_app(&fx.app, &fx.win, log_body, &fx,
		   (const char *const[]){ "--replay", path, NULL });
	fixture_free(&fx);
}

/* ---- /replay/imports ---------------------------------------------------------- */

static void imports_body(gpointer data)
{
	struct fixture *fx = data;
	g_autoptr(GList) views = replay_views(fx);
	TscReplayView *cast, *script;

	/* the asciicast named as an argument, the script with --replay */
	g_assert_cmpuint(g_list_length(views), ==, 2);
	script = views->data;
	cast = views->next->data;
	g_assert_cmpstr(tsc_replay_view_get_title(cast), ==, "demo.cast");
	g_assert_cmpstr(tsc_replay_view_get_title(script), ==, "typescript");
	tsc_replay_view_set_speed(cast, 16);
	tsc_replay_view_set_speed(script, 16);
	WAIT_FOR(!tsc_replay_view_get_playing(cast) &&
			 !tsc_replay_view_get_playing(script),
		 "both replays to end");
	ASSERT_SCREEN(tsc_replay_view_get_terminal(cast), 4, "asciicast",
		      "hello from", "asciinema");
	g_assert_cmpuint(tsc_replay_view_get_duration(cast), ==, 1500 * MS);
	ASSERT_SCREEN(tsc_replay_view_get_terminal(script), 24, "script",
		      "$ echo hi", "hi");
	/* backward in an import */
	tsc_replay_view_seek(cast, 800 * MS);
	ASSERT_SCREEN(tsc_replay_view_get_terminal(cast), 4,
		      "asciicast at 0.8 s", "hello from");
	gt_shot("gui-replay-cast.png");

	/* what cannot be played says why, and opens no tab */
	{
		g_autofree char *missing =
			g_build_filename(fx->tmp, "missing", NULL);
		g_autofree char *lone = g_build_filename(fx->tmp, "lone", NULL);
		g_autofree char *bad =
			g_build_filename(fx->tmp, "bad.tsl", NULL);
		g_autoptr(GList) after = NULL;
		GError *error = NULL;

		g_assert_null(
			tsc_window_open_replay(fx->win, missing, NULL, &error));
		g_assert_error(error, TSC_REPLAY_ERROR,
			       TSC_REPLAY_ERROR_FAILED);
		g_clear_error(&error);
		g_assert_true(g_file_set_contents(lone, "$ ls\r\n", -1, NULL));
		g_assert_null(
			tsc_window_open_replay(fx->win, lone, NULL, &error));
		g_assert_error(error, TSC_REPLAY_ERROR,
			       TSC_REPLAY_ERROR_NEEDS_TIMING);
		g_clear_error(&error);
		g_assert_true(
			g_file_set_contents(bad, "TTYSCOPELOG", 12, NULL));
		g_assert_null(
			tsc_window_open_replay(fx->win, bad, NULL, &error));
		g_assert_error(error, TSC_REPLAY_ERROR,
			       TSC_REPLAY_ERROR_MALFORMED);
		g_clear_error(&error);
		after = replay_views(fx);
		g_assert_cmpuint(g_list_length(after), ==, 2);
	}
}

static void test_imports(void)
{
	static const char cast[] =
		"{\"version\": 2, \"width\": 20, \"height\": 4}\n"
		"[0.5, \"o\", \"hello \"]\n"
		"[0.7, \"o\", \"from\\r\\n\"]\n"
		"[1.5, \"o\", \"\\u001b[1masciinema\\u001b[0m\"]\n";
	static const char typescript[] = "Script started on 2026-01-02\n"
					 "$ echo hi\r\nhi\r\n";
	static const char timing[] = "0.2 11\n0.8 4\n";
	struct fixture fx = { 0 };
	g_autofree char *cpath = NULL, *tpath = NULL, *tdir = NULL;
	g_autofree char *timing_path = NULL;

	fixture_init(&fx);
	cpath = g_build_filename(fx.tmp, "demo.cast", NULL);
	g_assert_true(g_file_set_contents(cpath, cast, -1, NULL));
	tdir = g_build_filename(fx.tmp, "s", NULL);
	g_assert_cmpint(g_mkdir(tdir, 0700), ==, 0);
	tpath = g_build_filename(tdir, "typescript", NULL);
	g_assert_true(g_file_set_contents(tpath, typescript, -1, NULL));
	/* found as "timing" next to "typescript" */
	timing_path = g_build_filename(tdir, "timing", NULL);
	g_assert_true(g_file_set_contents(timing_path, timing, -1, NULL));
	gt_run_app(&fx.app, &fx.win, imports_body, &fx,
		   (const char *const[]){ "--replay", tpath, cpath, NULL });
	fixture_free(&fx);
}

/* ---- /replay/timeshift -------------------------------------------------------- */

static TscSession *find_session(struct fixture *fx, const char *tty)
{
	g_autoptr(GList) list = tsc_window_get_sessions(fx->win);

	for (GList *l = list; l; l = l->next)
		if (!g_strcmp0(tsc_session_get_tty(l->data), tty))
			return l->data;
	return NULL;
}

/* The log's records as "TYPE text" lines (OUT and MARK with their text). */
static char *dump_log(const char *dir, gboolean *closed)
{
	g_autofree char *path = gt_find_file(dir, g_str_has_suffix, ".pts-5");
	struct tsc_log_reader *lr;
	struct tsc_log_stats st = { 0 };
	struct tsc_rec rec;
	GString *s = g_string_new(NULL);
	int fd;

	*closed = FALSE;
	if (!path)
		return g_string_free(s, FALSE);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(fd, >=, 0);
	if (tsc_log_reader_new(fd, &lr) == 0) {
		while (tsc_log_reader_next(lr, &rec) == 1) {
			g_string_append(s, tsc_rec_type_name(rec.hdr.type));
			if (rec.hdr.type == TTYSCOPE_REC_OUT ||
			    rec.hdr.type == TSC_REC_MARK)
				g_string_append_printf(s, " %.*s",
						       (int)rec.hdr.len,
						       rec.payload);
			g_string_append_c(s, '\n');
		}
		tsc_log_reader_stats(lr, &st);
		tsc_log_reader_free(lr);
	}
	close(fd);
	*closed = st.closed;
	return g_string_free(s, FALSE);
}

static void timeshift_body(gpointer data)
{
	struct fixture *fx = data;
	TscSession *s;
	TscSessionView *view;
	TscReplayView *rw;
	TscTerminal *live;
	GtkWidget *stack, *entry;
	g_auto(GStrv) accels = NULL;
	g_autofree char *log = NULL, *path = NULL, *out = NULL;
	gboolean closed = FALSE;
	guint64 dur, at;

	WAIT_FOR((s = find_session(fx, "pts/5")) &&
			 tsc_session_get_bytes(s) >= 12,
		 "pts/5 and its first screen");
	view = tsc_window_open_session(fx->win, s);
	live = tsc_session_view_get_terminal(view);
	ASSERT_SCREEN(live, 5, "live, at first", "$ make", "old output");

	/* taking over, ^M and ^O are the session's keys, not ours */
	tsc_session_view_set_take_over(view, TRUE);
	g_assert_true(tsc_session_view_get_take_over(view));
	g_assert_false(g_action_group_get_action_enabled(
		G_ACTION_GROUP(fx->win), "mark"));
	g_assert_false(g_action_group_get_action_enabled(
		G_ACTION_GROUP(fx->win), "open"));
	tsc_session_view_set_take_over(view, FALSE);
	g_assert_true(g_action_group_get_action_enabled(G_ACTION_GROUP(fx->win),
							"open"));

	/* a marker with a label: Ctrl+M is win.mark */
	accels = gtk_application_get_accels_for_action(GTK_APPLICATION(fx->app),
						       "win.mark");
	g_assert_cmpstr(accels[0], ==, "<Primary>m");
	entry = gt_find_widget(GTK_WIDGET(view), "mark-entry");
	gtk_entry_set_text(GTK_ENTRY(entry), "build failed");
	g_action_group_activate_action(G_ACTION_GROUP(fx->win), "mark", NULL);
	g_assert_cmpstr(gtk_entry_get_text(GTK_ENTRY(entry)), ==, "");
	g_assert_cmpstr(gtk_label_get_text(GTK_LABEL(gt_find_widget(
				GTK_WIDGET(view), "notice-label"))),
			==, "Marker set in the session’s log");

	/* a minute later the screen is cleared */
	feed(fx, 1767323105,
	     "out 136:5 \\e[H\\e[2J$\\smake\\sagain\\r\\nnew\\soutput\\r\\n\n");
	ASSERT_SCREEN(live, 5, "live, a minute later", "$ make again",
		      "new output");

	/* rewind: the recent past, from its start, while it goes on */
	gt_click(GTK_WIDGET(view), "rewind-button");
	rw = tsc_session_view_get_rewind(view);
	g_assert_nonnull(rw);
	stack = gt_find_widget(GTK_WIDGET(view), "view-stack");
	g_assert_true(gtk_stack_get_visible_child(GTK_STACK(stack)) ==
		      GTK_WIDGET(rw));
	g_assert_false(gtk_widget_get_visible(
		gt_find_widget(GTK_WIDGET(view), "rewind-button")));
	g_assert_true(gtk_widget_get_visible(
		gt_find_widget(GTK_WIDGET(view), "live-button")));
	g_assert_cmpuint(tsc_replay_view_get_n_marks(rw), ==, 1);
	g_assert_cmpstr(tsc_replay_view_get_mark(rw, 0, &at), ==,
			"build failed");
	tsc_replay_view_jump_to_mark(rw, 0);
	ASSERT_SCREEN(tsc_replay_view_get_terminal(rw), 5,
		      "rewound to the marker", "$ make", "old output");
	dur = tsc_replay_view_get_duration(rw);
	g_assert_cmpuint(dur, >=, 60 * SEC);

	/* the session goes on: live output, and the replay's timeline grows */
	feed(fx, 1767323165, "out 136:5 still\\srunning\\r\\n\n");
	ASSERT_SCREEN(live, 5, "live while rewound", "$ make again",
		      "new output", "still running");
	WAIT_FOR(tsc_replay_view_get_duration(rw) > dur,
		 "the timeline to grow");
	ASSERT_SCREEN(tsc_replay_view_get_terminal(rw), 5,
		      "the replay stays where it was", "$ make", "old output");
	tsc_replay_view_seek(rw, G_MAXUINT64);
	ASSERT_SCREEN(tsc_replay_view_get_terminal(rw), 5,
		      "the replay at its end", "$ make again", "new output",
		      "still running");
	/* the start: the OPEN only, at the session's first size */
	tsc_replay_view_seek(rw, 0);
	ASSERT_SCREEN(tsc_replay_view_get_terminal(rw), 5, "at the start", "");
	tsc_replay_view_seek(rw, 100 * MS);
	ASSERT_SCREEN(tsc_replay_view_get_terminal(rw), 5, "back again",
		      "$ make", "old output");
	gt_shot("gui-replay-timeshift.png");

	/* Live: the current screen again */
	gt_click(GTK_WIDGET(view), "live-button");
	g_assert_null(tsc_session_view_get_rewind(view));
	g_assert_cmpstr(gtk_stack_get_visible_child_name(GTK_STACK(stack)), ==,
			"live");
	g_assert_true(gtk_widget_get_visible(
		gt_find_widget(GTK_WIDGET(view), "rewind-button")));
	ASSERT_SCREEN(live, 5, "live again", "$ make again", "new output",
		      "still running");

	/* the marker is in the log, between the records it came between */
	feed(fx, 1767323170, "close 136:5\n");
	WAIT_FOR((g_free(log), log = dump_log(fx->record_dir, &closed), closed),
		 "the finished log");
	g_assert_cmpstr(log, ==,
			"OPEN\nWINSIZE\nSESSION\nOUT $ make\r\nold output\r\n\n"
			"MARK build failed\n"
			"OUT \033[H\033[2J$ make again\r\nnew output\r\n\n"
			"OUT still running\r\n\nCLOSE\n");

	/* ttyscope replay --text takes the log, the marker ignored */
	path = gt_find_file(fx->record_dir, g_str_has_suffix, ".pts-5");
	{
		const char *argv[] = { ttyscope, "replay", "--text", path,
				       NULL };
		int status;

		g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, 0, NULL,
					   NULL, &out, NULL, &status, NULL));
		g_assert_true(g_spawn_check_wait_status(status, NULL));
	}
	g_assert_cmpstr(out, ==,
			"$ make\nold output\n$ make again\nnew output\n"
			"still running\n");
}

static void test_timeshift(void)
{
	struct fixture fx = { 0 };

	fixture_init(&fx);
	daemon_start(&fx);
	feed(&fx, 1767323045,
	     "open 136:5 pts/5\n"
	     "winsize 136:5 5 30\n"
	     "session 136:5 500 0 bash\n"
	     "out 136:5 $\\smake\\r\\nold\\soutput\\r\\n\n");
	gt_run_app(&fx.app, &fx.win, timeshift_body, &fx,
		   (const char *const[]){ "--socket", fx.d.sock, "--record",
					  fx.record_dir, NULL });
	fixture_free(&fx);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	gtk_init(&argc, &argv);
	tdtool = g_getenv("TDTOOL");
	ttyscoped = g_getenv("TTYSCOPED");
	ttyscope = g_getenv("TTYSCOPE");
	if (!tdtool || !ttyscoped || !ttyscope)
		g_error("TDTOOL, TTYSCOPED and TTYSCOPE must name the tools");
	g_test_add_func("/replay/log", test_log);
	g_test_add_func("/replay/imports", test_imports);
	g_test_add_func("/replay/timeshift", test_timeshift);
	return g_test_run();
}
