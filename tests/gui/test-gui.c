// SPDX-License-Identifier: GPL-2.0-only
/*
 * ttyscope-gui against a real ttyscoped whose device is a FIFO fed by
 * `tdtool gen` and whose control calls go to a --fake-control file. Each
 * test runs the real application (options, window, widgets) under Xvfb
 * and drives its widgets; see tests/gui/meson.build.
 *
 *   test-gui -p /gui/view        live feeding, resize, batched hand-offs,
 *                                status bar, loss, scrollback, alternate
 *                                screen, colours, UTF-8, idle CPU, grid,
 *                                two sources
 *   test-gui -p /gui/actions     block, take over, message, hang up, bulk;
 *                                the list's filter and sorting
 *   test-gui -p /gui/classroom   34 students: the Idle column, a hostile
 *                                command name; smaller tiles (Ctrl+-) fit
 *                                them all on the screen; Ctrl+0, Ctrl++
 *   test-gui -p /gui/reconnect   the daemon goes away and comes back
 *   test-gui -p /gui/record      --record writes replayable logs
 *   test-gui -p /gui/remote      --remote HOST (a fake ssh running ttyscope
 *                                stream) beside --socket; it drops, comes back
 *   test-gui --bridge SOCK       relay stdin/stdout to SOCK (a --command)
 *
 * Needs $TTYSCOPED and $TDTOOL ($TTYSCOPE too for /gui/remote);
 * screenshots go to $TSC_SHOT_DIR.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "gui-test.h"
#include "tsc-log.h"
#include "tsc-proto.h"

#define TIMEOUT_S 20

struct fixture {
	char *tmp;
	struct gt_daemon d1, d2;
	char *record_dir;
	TscApplication *app;
	TscWindow *win;
};

static const char *tdtool;
static const char *ttyscoped;

/* ---- helpers -------------------------------------------------------------- */

static char *read_file(const char *path)
{
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return g_strdup("");
	return text;
}

static void daemon_init(struct gt_daemon *d, const char *tmp, const char *name)
{
	gt_daemon_init(d, tmp, name);
	gt_daemon_prepare(d, 5, 9);
	gt_daemon_start(d, ttyscoped);
}

/* Feed records, as tdtool gen lines, to a daemon's device. */
static void feed(struct gt_daemon *d, const char *lines)
{
	g_autofree char *now = g_strdup_printf(
		"%" G_GINT64_FORMAT, g_get_real_time() / G_USEC_PER_SEC);

	gt_feed(d, tdtool, now, FALSE, lines);
}

/* The daemon has read @n records from its device. */
static gboolean daemon_has_read(struct gt_daemon *d, guint n)
{
	const char *argv[] = { tdtool, "client", d->sock, "stats", NULL };
	g_autofree char *out = NULL;
	g_autofree char *want = g_strdup_printf("stats records=%u ", n);

	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL,
			  NULL, NULL, &out, NULL, NULL, NULL))
		return FALSE;
	return strstr(out, want) != NULL;
}

/* A toplevel window named @name (a dialog), or NULL. */
static GtkWidget *find_toplevel(const char *name)
{
	g_autoptr(GList) list = gtk_window_list_toplevels();

	for (GList *l = list; l; l = l->next)
		if (!g_strcmp0(gtk_widget_get_name(l->data), name) &&
		    gtk_widget_get_visible(l->data))
			return l->data;
	return NULL;
}

static TscSession *find_session(struct fixture *fx, const char *tty,
				const char *host)
{
	g_autoptr(GList) list = tsc_window_get_sessions(fx->win);

	for (GList *l = list; l; l = l->next)
		if (!g_strcmp0(tsc_session_get_tty(l->data), tty) &&
		    (!host || !g_strcmp0(tsc_session_get_host(l->data), host)))
			return l->data;
	return NULL;
}

static guint count_sessions(struct fixture *fx)
{
	g_autoptr(GList) list = tsc_window_get_sessions(fx->win);

	return g_list_length(list);
}

static void assert_text(TscTerminal *t, const char *want, const char *what)
{
	gint64 end = g_get_monotonic_time() + TIMEOUT_S * G_USEC_PER_SEC;

	while (!gt_text_is(t, want) && g_get_monotonic_time() < end)
		gt_settle(20);
	g_autofree char *have = tsc_terminal_dup_text(t);

	if (g_strcmp0(have, want))
		g_error("%s: terminal shows\n[%s]\nexpected\n[%s]", what, have,
			want);
}

/* Wait until @t shows @text somewhere (or, for assert_no_text, nowhere). */
static void wait_text(TscTerminal *t, const char *text, gboolean want,
		      const char *what)
{
	gint64 end = g_get_monotonic_time() + TIMEOUT_S * G_USEC_PER_SEC;

	for (;;) {
		g_autofree char *have = tsc_terminal_dup_text(t);

		if ((strstr(have, text) != NULL) == want)
			return;
		if (g_get_monotonic_time() > end)
			g_error("%s: \"%s\" %s in:\n%s", what, text,
				want ? "not shown" : "still shown", have);
		gt_settle(20);
	}
}

static void assert_has_text(TscTerminal *t, const char *text, const char *what)
{
	wait_text(t, text, TRUE, what);
}

static void assert_no_text(TscTerminal *t, const char *text, const char *what)
{
	wait_text(t, text, FALSE, what);
}

static gboolean file_has(const char *path, const char *text)
{
	g_autofree char *s = read_file(path);

	return strstr(s, text) != NULL;
}

/* ---- the application under test --------------------------------------------- */

static void fixture_init(struct fixture *fx)
{
	fx->tmp = g_dir_make_tmp("ttyscope-gui-XXXXXX", NULL);
	g_assert_nonnull(fx->tmp);
	daemon_init(&fx->d1, fx->tmp, "d1");
	fx->record_dir = g_build_filename(fx->tmp, "record", NULL);
}

static void fixture_free(struct fixture *fx)
{
	gt_daemon_free(&fx->d1);
	if (fx->d2.dir)
		gt_daemon_free(&fx->d2);
	gt_rm_rf(fx->tmp);
	g_free(fx->tmp);
	g_free(fx->record_dir);
}

/* ---- /gui/view ------------------------------------------------------------- */

static const char *const students =
	"open 136:6 pts/6\n"
	"winsize 136:6 24 80\n"
	"session 136:6 301 1001 bash\n"
	"out 136:6 \\e[1;32mbob@lab\\e[0m:\\e[1;34m~/src\\e[0m$\\smake\\r\\n\n"
	"out 136:6 cc\\s-O2\\s-c\\smain.c\\r\\ncc\\s-o\\shello\\smain.o\\r\\n\n"
	"out 136:6 \\e[1;32mbob@lab\\e[0m:\\e[1;34m~/src\\e[0m$\\s./hello\\r\\nHello,\\sworld!\\sGrüße,\\s你好\\r\\n\n"
	"out 136:6 \\e[1;32mbob@lab\\e[0m:\\e[1;34m~/src\\e[0m$\\s\n"
	"open 136:7 pts/7\n"
	"winsize 136:7 24 80\n"
	"session 136:7 302 1002 top\n"
	"out 136:7 \\e[H\\e[2Jtop\\s-\\s10:42:01\\sup\\s3\\sdays,\\s\\s2\\susers,\\s\\sload\\saverage:\\s0.42,\\s0.31,\\s0.20\\r\\n\n"
	"out 136:7 Tasks:\\s\\s97\\stotal,\\s\\s\\s1\\srunning,\\s\\s96\\ssleeping\\r\\n\\r\\n\n"
	"out 136:7 \\e[7m\\s\\sPID\\sUSER\\s\\s\\s\\s\\s\\sPR\\s\\sNI\\s\\s\\s\\s%CPU\\s%MEM\\sCOMMAND\\s\\s\\s\\s\\s\\s\\s\\s\\s\\s\\s\\s\\s\\s\\s\\s\\s\\s\\s\\s\\s\\s\\s\\s\\s\\s\\s\\s\\s\\s\\s\\s\\e[0m\\r\\n\n"
	"out 136:7 \\s1234\\scarol\\s\\s\\s\\s\\s20\\s\\s\\s0\\s\\s\\s\\s12.0\\s\\s0.3\\spython3\\r\\n\\s\\s\\s\\s1\\sroot\\s\\s\\s\\s\\s\\s20\\s\\s\\s0\\s\\s\\s\\s\\s0.0\\s\\s0.1\\ssystemd\\r\\n\n"
	"open 136:8 pts/8\n"
	"winsize 136:8 24 80\n"
	"session 136:8 303 1003 vim\n"
	"out 136:8 \\e[H\\e[2J\\e[1;34m#include\\e[0m\\s\\e[31m<stdio.h>\\e[0m\\r\\n\\r\\n\\e[32mint\\e[0m\\smain(\\e[32mvoid\\e[0m)\\r\\n{\\r\\n\\s\\s\\s\\sprintf(\\e[31m\"hi\\\\n\"\\e[0m);\\r\\n}\\r\\n\\e[34m~\\r\\n~\\r\\n~\\e[0m\\e[24;1H--\\sINSERT\\s--\n";

/*
 * The colours of pts/6's prompt, from the HTML that VTE copies of it:
 * "bob@lab" in bold green, "~/src" in bold blue, then "make" in the
 * default colour.
 */
static void check_colours(TscTerminal *t)
{
	GtkClipboard *cb = gtk_widget_get_clipboard(GTK_WIDGET(t),
						    GDK_SELECTION_CLIPBOARD);
	GtkSelectionData *sel;
	g_autofree char *html = NULL;
	g_autoptr(GRegex) re = NULL;

	vte_terminal_select_all(VTE_TERMINAL(t));
	vte_terminal_copy_clipboard_format(VTE_TERMINAL(t), VTE_FORMAT_HTML);
	vte_terminal_unselect_all(VTE_TERMINAL(t));
	sel = gtk_clipboard_wait_for_contents(cb, gdk_atom_intern("text/html",
								  FALSE));
	g_assert_nonnull(sel);
	/* VTE offers text/html in UTF-16, with a byte order mark */
	html = g_convert((const char *)gtk_selection_data_get_data(sel),
			 gtk_selection_data_get_length(sel), "UTF-8", "UTF-16",
			 NULL, NULL, NULL);
	gtk_selection_data_free(sel);
	g_assert_nonnull(html);
	re = g_regex_new("<span style=\"color:#([0-9A-Fa-f]{2})([0-9A-Fa-f]{2})"
			 "([0-9A-Fa-f]{2})\"><b>bob@lab</b></span>:"
			 "<span style=\"color:#([0-9A-Fa-f]{2})([0-9A-Fa-f]{2})"
			 "([0-9A-Fa-f]{2})\"><b>~/src</b></span>\\$ make\n",
			 0, 0, NULL);
	g_assert_nonnull(re);
	g_autoptr(GMatchInfo) m = NULL;
	if (!g_regex_match(re, html, 0, &m))
		g_error("no green and blue prompt in:\n%s", html);
	guint rgb[6];
	for (int i = 0; i < 6; i++) {
		g_autofree char *hex = g_match_info_fetch(m, i + 1);

		rgb[i] = (guint)g_ascii_strtoull(hex, NULL, 16);
	}
	/* green, then blue */
	g_assert_cmpuint(rgb[1], >, rgb[0]);
	g_assert_cmpuint(rgb[1], >, rgb[2]);
	g_assert_cmpuint(rgb[5], >, rgb[3]);
	g_assert_cmpuint(rgb[5], >, rgb[4]);
}

static void count_output(TscSession *s, GBytes *bytes, gpointer data)
{
	(*(guint *)data)++;
}

static void view_body(gpointer data)
{
	struct fixture *fx = data;
	TscSession *s, *remote;
	TscSessionView *view;
	TscTerminal *term, *tile_term;
	TscTile *tile;
	g_autofree char *want1 = NULL, *want2 = NULL, *want3 = NULL;
	g_autofree char *want4 = NULL, *before = NULL;
	GtkAdjustment *adj;
	GtkWidget *status;
	GString *lines;
	guint outputs;
	gulong output_id;
	guint64 bytes;
	double cpu;

	/* the catch-up draws the screen as it was */
	WAIT_FOR((s = find_session(fx, "pts/5", g_get_host_name())) &&
			 tsc_session_get_rows(s) == 10,
		 "pts/5 in the list");
	/* a command's source takes the host name its daemon gives */
	WAIT_FOR((remote = find_session(fx, "pts/9", g_get_host_name())) !=
			 NULL,
		 "pts/9 of the second source");
	g_assert_cmpstr(tsc_session_get_user(s), ==, "root");
	g_assert_cmpstr(tsc_session_get_command(s), ==, "bash");
	/* a uid without a name on the daemon's machine is shown as a number */
	g_assert_cmpstr(tsc_session_get_user(remote), ==, "4242");
	g_assert_cmpint(tsc_session_get_state(s), ==, TSC_SESSION_LIVE);

	tile = tsc_window_get_tile(fx->win, s);
	g_assert_nonnull(tile);
	g_signal_emit_by_name(tile, "activate");
	view = tsc_window_get_view(fx->win, s);
	g_assert_nonnull(view);
	term = tsc_session_view_get_terminal(view);
	tile_term = tsc_tile_get_terminal(tile);
	want1 = gt_screen(10, (const char *const[]){ "hello", "world", NULL });
	assert_text(term, want1, "catch-up");
	g_assert_cmpint(vte_terminal_get_row_count(VTE_TERMINAL(term)), ==, 10);
	g_assert_cmpint(vte_terminal_get_column_count(VTE_TERMINAL(term)), ==,
			40);

	/* live records */
	feed(&fx->d1, "out 136:5 \\sagain\\r\\nthird\\sline\\r\\n$\\s\n");
	want2 = gt_screen(10,
			  (const char *const[]){ "hello", "world again",
						 "third line", "$ ", NULL });
	assert_text(term, want2, "live feeding");
	assert_text(tile_term, want2, "live feeding, the tile");
	g_assert_true(tsc_tile_get_active(tile));

	/* a resize between two outputs applies between them */
	feed(&fx->d1, "out 136:5 0123456789012345678901234567890123456789\n"
		      "winsize 136:5 6 20\n"
		      "out 136:5 \\r\\nafter\\sthe\\sresize\n");
	WAIT_FOR(vte_terminal_get_column_count(VTE_TERMINAL(term)) == 20,
		 "the resize");
	/* 6 rows of 20: the 42-character line takes three */
	want3 = gt_screen(4,
			  (const char *const[]){
				  "world again", "third line",
				  "$ 0123456789012345678901234567890123456789",
				  "after the resize", NULL });
	assert_text(term, want3, "after the resize");
	assert_text(tile_term, want3, "after the resize, the tile");
	g_assert_cmpint(vte_terminal_get_row_count(VTE_TERMINAL(term)), ==, 6);
	g_assert_cmpint(vte_terminal_get_row_count(VTE_TERMINAL(tile_term)), ==,
			6);
	/* the new view and the tile were primed from the same history */
	g_assert_cmpuint(tsc_session_get_lost(s), ==, 0);
	g_assert_cmpuint(tsc_session_get_bytes(s), ==, 12 + 22 + 40 + 18);

	/* the status bar: size, bytes, records lost, latency */
	status = gt_find_widget(GTK_WIDGET(view), "status-label");
	WAIT_FOR(g_str_has_prefix(gtk_label_get_text(GTK_LABEL(status)),
				  "20×6 · 92 bytes · 0 lost · latency "),
		 "the status bar");
	/* records the daemon never got are counted and shown */
	feed(&fx->d1, "skip 136:5 3\nout 136:5 !\n");
	WAIT_FOR(tsc_session_get_lost(s) == 3, "3 records lost");
	WAIT_FOR(g_str_has_prefix(gtk_label_get_text(GTK_LABEL(status)),
				  "20×6 · 93 bytes · 3 lost · "),
		 "the loss in the status bar");

	/* the view keeps what scrolled off the screen; the tile does not */
	lines = g_string_new(NULL);
	for (int i = 1; i <= 40; i++)
		g_string_append_printf(lines, "out 136:5 \\r\\nl%02d\n", i);
	feed(&fx->d1, lines->str);
	g_string_free(lines, TRUE);
	WAIT_FOR(tsc_session_get_bytes(s) == 93 + 40 * 5, "40 more lines");
	adj = gtk_scrollable_get_vadjustment(GTK_SCROLLABLE(term));
	WAIT_FOR(gtk_adjustment_get_upper(adj) -
				 gtk_adjustment_get_page_size(adj) >=
			 40,
		 "40 lines of scrollback");
	assert_no_text(term, "hello", "the bottom of the view");
	gtk_adjustment_set_value(adj, gtk_adjustment_get_lower(adj));
	assert_has_text(term, "hello", "the top of the scrollback");
	gtk_adjustment_set_value(adj,
				 gtk_adjustment_get_upper(adj) -
					 gtk_adjustment_get_page_size(adj));
	assert_no_text(term, "hello", "back at the bottom");
	adj = gtk_scrollable_get_vadjustment(GTK_SCROLLABLE(tile_term));
	g_assert_cmpfloat(gtk_adjustment_get_upper(adj), <=,
			  gtk_adjustment_get_page_size(adj));

	/*
	 * A full-screen program (vim, top, less) draws on the alternate
	 * screen; when it ends the shell's screen is back as it was.
	 */
	before = tsc_terminal_dup_text(term);
	feed(&fx->d1,
	     "out 136:5 \\e[?1049h\\e[H\\e[2Jtop\\s-\\s10:42\\r\\nTasks:\\s97\n");
	want4 = gt_screen(6, (const char *const[]){ "top - 10:42", "Tasks: 97",
						    NULL });
	assert_text(term, want4, "a full-screen program");
	feed(&fx->d1, "out 136:5 \\e[?1049l\n");
	assert_text(term, before, "after the full-screen program");

	/*
	 * Records reach the main thread in batches: 2000 records in a burst
	 * are a few hand-offs, not 2000 (one flush pending per tty at most).
	 */
	outputs = 0;
	output_id = g_signal_connect(s, "output", G_CALLBACK(count_output),
				     &outputs);
	bytes = tsc_session_get_bytes(s);
	feed(&fx->d1, "outn 136:5 2000 1\n");
	WAIT_FOR(tsc_session_get_bytes(s) == bytes + 2000, "2000 records");
	g_signal_handler_disconnect(s, output_id);
	g_test_message("2000 records in %u hand-offs", outputs);
	g_assert_cmpuint(outputs, >=, 1);
	g_assert_cmpuint(outputs, <=, 100);

	/* an idle window costs (almost) no CPU */
	gt_settle(1600);
	cpu = gt_idle_cpu(5000);
	g_test_message("idle CPU: %.2f %%", cpu * 100);
	g_assert_cmpfloat(cpu, <, 0.01);

	/* screenshots: the list and grid, then the full view */
	feed(&fx->d1, students);
	WAIT_FOR(count_sessions(fx) == 5, "five sessions");
	gtk_notebook_set_current_page(
		GTK_NOTEBOOK(gt_find_widget(GTK_WIDGET(fx->win), "notebook")),
		0);
	gt_shot("gui-main.png");
	gtk_paned_set_position(GTK_PANED(gtk_widget_get_parent(gt_find_widget(
				       GTK_WIDGET(fx->win), "notebook"))),
			       0);
	gt_shot("gui-grid.png");
	gtk_paned_set_position(GTK_PANED(gtk_widget_get_parent(gt_find_widget(
				       GTK_WIDGET(fx->win), "notebook"))),
			       180);
	feed(&fx->d1, "pass 136:7 0 0\n");
	tsc_window_open_session(fx->win, find_session(fx, "pts/8", NULL));
	gt_shot("gui-view.png");

	/* colours and UTF-8 as the program wrote them */
	view = tsc_window_open_session(fx->win,
				       find_session(fx, "pts/6", NULL));
	term = tsc_session_view_get_terminal(view);
	assert_has_text(term, "Hello, world! Grüße, 你好", "UTF-8 text");
	check_colours(term);
}

static void test_view(void)
{
	struct fixture fx = { 0 };
	g_autofree char *cmd = NULL;

	fixture_init(&fx);
	daemon_init(&fx.d2, fx.tmp, "d2");
	feed(&fx.d1, "open 136:5 pts/5\n"
		     "winsize 136:5 10 40\n"
		     "session 136:5 200 0 bash\n"
		     "out 136:5 hello\\r\\nworld\n");
	feed(&fx.d2, "open 136:9 pts/9\n"
		     "session 136:9 900 4242 sh\n"
		     "out 136:9 remote\n");
	cmd = g_strdup_printf("%s --bridge %s",
			      g_test_get_filename(G_TEST_BUILT, "test-gui",
						  NULL),
			      fx.d2.sock);
	gt_run_app(&fx.app, &fx.win, view_body, &fx,
		   (const char *const[]){ "--socket", fx.d1.sock, "--command",
					  cmd, NULL });
	fixture_free(&fx);
}

/* ---- /gui/actions ------------------------------------------------------------ */

/* The ttys of the sessions the list shows, in its order, space-separated. */
static char *listed_ttys(struct fixture *fx)
{
	g_autoptr(GPtrArray) list = tsc_window_dup_listed(fx->win);
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < list->len; i++)
		g_string_append_printf(s, "%s%s", i ? " " : "",
				       tsc_session_get_tty(list->pdata[i]));
	return g_string_free(s, FALSE);
}

static gboolean listed_is(struct fixture *fx, const char *ttys)
{
	g_autofree char *have = listed_ttys(fx);

	return !strcmp(have, ttys);
}

static gboolean listed_ends_with(struct fixture *fx, const char *tty)
{
	g_autofree char *have = listed_ttys(fx);

	return g_str_has_suffix(have, tty);
}

/* The session list's column titled @title. */
static GtkTreeViewColumn *find_column(struct fixture *fx, const char *title)
{
	GtkTreeView *tv = GTK_TREE_VIEW(
		gt_find_widget(GTK_WIDGET(fx->win), "session-list"));

	for (guint i = 0; i < gtk_tree_view_get_n_columns(tv); i++) {
		GtkTreeViewColumn *c = gtk_tree_view_get_column(tv, (int)i);

		if (!g_strcmp0(gtk_tree_view_column_get_title(c), title))
			return c;
	}
	g_error("no column %s", title);
}

static void actions_body(gpointer data)
{
	struct fixture *fx = data;
	TscSession *s, *s6;
	TscSessionView *view;
	GtkWidget *vw, *dialog, *text, *block;
	g_autofree char *ctl_want = NULL, *msg = NULL;
	const char *ctl = fx->d1.ctl;
	g_autofree char *pts5 =
		g_build_filename(fx->d1.devroot, "pts", "5", NULL);
	g_autofree char *pts6 =
		g_build_filename(fx->d1.devroot, "pts", "6", NULL);
	g_autofree char *pts7 =
		g_build_filename(fx->d1.devroot, "pts", "7", NULL);
	GtkWidget *entry;
	guint uid = getuid();

	WAIT_FOR((s = find_session(fx, "pts/5", NULL)) != NULL, "pts/5");
	view = tsc_window_open_session(fx->win, s);
	vw = GTK_WIDGET(view);
	block = gt_find_widget(vw, "block-button");

	/* block: the request, and the state only once the kernel says so */
	gt_click(vw, "block-button");
	msg = g_strdup_printf("set_pass 136:5 pass=0 operator=%u\n", uid);
	WAIT_FOR(file_has(ctl, msg), "the block request");
	gt_settle(200);
	g_assert_cmpint(tsc_session_get_state(s), ==, TSC_SESSION_LIVE);
	g_assert_cmpstr(gtk_button_get_label(GTK_BUTTON(block)), ==,
			"_Block Input");
	feed(&fx->d1, "pass 136:5 0 0\n");
	WAIT_FOR(tsc_session_get_state(s) == TSC_SESSION_BLOCKED, "blocked");
	g_assert_cmpstr(gtk_button_get_label(GTK_BUTTON(block)), ==,
			"_Unblock Input");
	g_assert_cmpstr(gtk_label_get_text(
				GTK_LABEL(gt_find_widget(vw, "input-label"))),
			==, "User input BLOCKED");
	gt_shot("gui-blocked.png");
	gt_click(vw, "block-button");
	g_free(msg);
	msg = g_strdup_printf("set_pass 136:5 pass=1 operator=%u\n", uid);
	WAIT_FOR(file_has(ctl, msg), "the unblock request");
	feed(&fx->d1, "pass 136:5 1 0\n");
	WAIT_FOR(tsc_session_get_state(s) == TSC_SESSION_LIVE, "unblocked");

	/* take over: keystrokes become INJECT requests, one per key */
	gt_click(vw, "take-over-button");
	g_assert_true(tsc_session_view_get_take_over(view));
	gt_send_key(GTK_WIDGET(tsc_session_view_get_terminal(view)), GDK_KEY_l);
	gt_send_key(GTK_WIDGET(tsc_session_view_get_terminal(view)), GDK_KEY_s);
	gt_send_key(GTK_WIDGET(tsc_session_view_get_terminal(view)),
		    GDK_KEY_Return);
	g_free(msg);
	msg = g_strdup_printf("inject 136:5 operator=%u len=1 data=0d\n", uid);
	WAIT_FOR(file_has(ctl, msg), "the injected Return");
	/* what the terminal answers to a query is not the operator's */
	feed(&fx->d1, "out 136:5 \\e[c\\e[6n\n");
	gt_settle(500);
	gt_click(vw, "take-over-button");
	g_assert_false(tsc_session_view_get_take_over(view));
	gt_send_key(GTK_WIDGET(tsc_session_view_get_terminal(view)), GDK_KEY_x);

	/* message: a dialog, then the banner on the user's terminal */
	gt_click(vw, "message-button");
	WAIT_FOR((dialog = find_toplevel("message-dialog")) != NULL,
		 "the message dialog");
	text = gt_find_widget(dialog, "message-text");
	gtk_text_buffer_set_text(gtk_text_view_get_buffer(GTK_TEXT_VIEW(text)),
				 "Please save your work.", -1);
	gt_shot("gui-message.png");
	gtk_dialog_response(GTK_DIALOG(dialog), GTK_RESPONSE_ACCEPT);
	WAIT_FOR(file_has(pts5, "\r\nPlease save your work.\r\n*** End of "
				"message ***\r\n"),
		 "the message on pts/5");

	/* hang up: cancelled first, then confirmed */
	gt_click(vw, "hangup-button");
	WAIT_FOR((dialog = find_toplevel("hangup-dialog")) != NULL,
		 "the hangup dialog");
	gtk_dialog_response(GTK_DIALOG(dialog), GTK_RESPONSE_CANCEL);
	gt_settle(300);
	g_assert_false(file_has(ctl, "hangup"));
	gt_click(vw, "hangup-button");
	WAIT_FOR((dialog = find_toplevel("hangup-dialog")) != NULL,
		 "the hangup dialog");
	gtk_dialog_response(GTK_DIALOG(dialog), GTK_RESPONSE_ACCEPT);
	WAIT_FOR(file_has(ctl, "hangup 136:5\n"), "the hangup request");
	feed(&fx->d1, "hangup 136:5\nclose 136:5\n");
	WAIT_FOR(tsc_session_get_state(s) == TSC_SESSION_CLOSED, "closed");
	g_assert_null(tsc_window_get_tile(fx->win, s));
	g_assert_false(gtk_widget_is_sensitive(block));

	/* bulk: every live session in the list, only those not blocked */
	feed(&fx->d1, "open 136:6 pts/6\nsession 136:6 600 0 bash\n"
		      "open 136:7 pts/7\nsession 136:7 700 0 bash\n"
		      "pass 136:7 0 0\n");
	WAIT_FOR((s6 = find_session(fx, "pts/7", NULL)) &&
			 tsc_session_get_state(s6) == TSC_SESSION_BLOCKED,
		 "pts/6 and pts/7");
	g_action_group_activate_action(G_ACTION_GROUP(fx->win), "block-all",
				       NULL);
	g_free(msg);
	msg = g_strdup_printf("set_pass 136:6 pass=0 operator=%u\n", uid);
	WAIT_FOR(file_has(ctl, msg), "block all");
	g_action_group_activate_action(G_ACTION_GROUP(fx->win), "unblock-all",
				       NULL);
	g_free(msg);
	msg = g_strdup_printf("set_pass 136:7 pass=1 operator=%u\n", uid);
	WAIT_FOR(file_has(ctl, msg), "unblock all");
	gt_settle(300);

	/* exactly these requests, in this order */
	ctl_want = g_strdup_printf("set_pass 136:5 pass=0 operator=%u\n"
				   "set_pass 136:5 pass=1 operator=%u\n"
				   "inject 136:5 operator=%u len=1 data=6c\n"
				   "inject 136:5 operator=%u len=1 data=73\n"
				   "inject 136:5 operator=%u len=1 data=0d\n"
				   "hangup 136:5\n"
				   "set_pass 136:6 pass=0 operator=%u\n"
				   "set_pass 136:7 pass=1 operator=%u\n",
				   uid, uid, uid, uid, uid, uid, uid);
	g_autofree char *ctl_have = read_file(ctl);

	g_assert_cmpstr(ctl_have, ==, ctl_want);

	/* the filter narrows the list, and what the bulk actions reach */
	entry = gt_find_widget(GTK_WIDGET(fx->win), "filter-entry");
	gtk_entry_set_text(GTK_ENTRY(entry), "PTS/7");
	WAIT_FOR(listed_is(fx, "pts/7"), "only pts/7 listed");
	g_action_group_activate_action(G_ACTION_GROUP(fx->win), "message-all",
				       NULL);
	WAIT_FOR((dialog = find_toplevel("message-dialog")) != NULL,
		 "the message dialog for every listed session");
	text = gt_find_widget(dialog, "message-text");
	gtk_text_buffer_set_text(gtk_text_view_get_buffer(GTK_TEXT_VIEW(text)),
				 "Class ends in 5 minutes.", -1);
	gtk_dialog_response(GTK_DIALOG(dialog), GTK_RESPONSE_ACCEPT);
	WAIT_FOR(file_has(pts7, "\r\nClass ends in 5 minutes.\r\n*** End "
				"of message ***\r\n"),
		 "the message on pts/7");
	gt_settle(300);
	g_assert_false(file_has(pts6, "Class ends"));
	/* by state, by user */
	gtk_entry_set_text(GTK_ENTRY(entry), "closed");
	WAIT_FOR(listed_is(fx, "pts/5"), "the closed session listed");
	gtk_entry_set_text(GTK_ENTRY(entry), "nobody-here");
	WAIT_FOR(listed_is(fx, ""), "nothing listed");

	/* sorted by tty; a click on the header turns the order round */
	gtk_entry_set_text(GTK_ENTRY(entry), "");
	WAIT_FOR(listed_is(fx, "pts/5 pts/6 pts/7"), "every session, by tty");
	gtk_tree_view_column_clicked(find_column(fx, "TTY"));
	WAIT_FOR(listed_is(fx, "pts/7 pts/6 pts/5"), "by tty, descending");
	/* by bytes: pts/5 has had output, the others none */
	gtk_tree_view_column_clicked(find_column(fx, "Bytes"));
	WAIT_FOR(listed_ends_with(fx, "pts/5"), "by bytes, the largest last");
}

static void test_actions(void)
{
	struct fixture fx = { 0 };

	fixture_init(&fx);
	feed(&fx.d1, "open 136:5 pts/5\n"
		     "winsize 136:5 24 80\n"
		     "session 136:5 500 0 bash\n"
		     "out 136:5 $\\s\n");
	gt_run_app(&fx.app, &fx.win, actions_body, &fx,
		   (const char *const[]){ "--socket", fx.d1.sock, NULL });
	fixture_free(&fx);
}

/* ---- /gui/classroom ----------------------------------------------------------- */

#define STUDENTS 32

/* Every tile's font scale is @scale. */
static gboolean tiles_scaled(struct fixture *fx, double scale)
{
	g_autoptr(GList) list = tsc_window_get_sessions(fx->win);

	for (GList *l = list; l; l = l->next) {
		TscTile *t = tsc_window_get_tile(fx->win, l->data);

		if (t && tsc_tile_get_scale(t) != scale)
			return FALSE;
	}
	return TRUE;
}

/* What the session list's Idle column shows for @tty. */
static const char *idle_text(struct fixture *fx, const char *tty)
{
	static char text[64];
	GtkTreeView *tv = GTK_TREE_VIEW(
		gt_find_widget(GTK_WIDGET(fx->win), "session-list"));
	GtkTreeModel *model = gtk_tree_view_get_model(tv);
	GtkTreeViewColumn *col = find_column(fx, "Idle");
	g_autoptr(GList)
		cells = gtk_cell_layout_get_cells(GTK_CELL_LAYOUT(col));
	GtkTreeIter iter;
	gboolean ok = gtk_tree_model_get_iter_first(model, &iter);

	for (; ok; ok = gtk_tree_model_iter_next(model, &iter)) {
		g_autoptr(GObject) obj = NULL;
		g_autofree char *s = NULL;

		gtk_tree_model_get(model, &iter, 0, &obj, -1);
		if (g_strcmp0(tsc_session_get_tty(TSC_SESSION(obj)), tty))
			continue;
		gtk_tree_view_column_cell_set_cell_data(col, model, &iter,
							FALSE, FALSE);
		g_object_get(cells->data, "text", &s, NULL);
		g_strlcpy(text, s ? s : "", sizeof(text));
		return text;
	}
	g_error("no %s in the list", tty);
}

/* The overview shows every tile without scrolling. */
static gboolean grid_fits(struct fixture *fx)
{
	GtkWidget *grid = gt_find_widget(GTK_WIDGET(fx->win), "grid");
	GtkScrolledWindow *sw = GTK_SCROLLED_WINDOW(
		gtk_widget_get_ancestor(grid, GTK_TYPE_SCROLLED_WINDOW));
	GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment(sw);

	return gtk_adjustment_get_upper(adj) <=
	       gtk_adjustment_get_page_size(adj);
}

static void classroom_body(gpointer data)
{
	struct fixture *fx = data;
	GtkWidget *entry = gt_find_widget(GTK_WIDGET(fx->win), "filter-entry");
	GAction *smaller = g_action_map_lookup_action(G_ACTION_MAP(fx->win),
						      "tiles-smaller");
	TscSession *late;

	/* an instructor's full HD screen (this test's Xvfb screen) */
	gtk_window_resize(GTK_WINDOW(fx->win), 1920, 1080);
	WAIT_FOR(count_sessions(fx) == STUDENTS + 2, "every student's session");
	gt_settle(300);
	/* the Idle column: the student who stopped two hours ago, the others */
	g_assert_cmpstr(idle_text(fx, "pts/33"), ==, "2 h 05 min");
	g_assert_cmpstr(idle_text(fx, "pts/0"), ==, "active");
	/* a command name that is not text is shown as '?'s, with no warning */
	g_assert_cmpstr(
		tsc_session_get_command(find_session(fx, "pts/34", NULL)), ==,
		"?]2;x??");
	g_assert_true(tiles_scaled(fx, 0.6));
	g_assert_false(grid_fits(fx));

	/* Ctrl+- three times: tiles small enough for the whole class */
	gtk_widget_grab_focus(entry);
	for (int i = 0; i < 3; i++)
		gt_key_mod(entry, GDK_KEY_minus, GDK_CONTROL_MASK);
	g_assert_true(tiles_scaled(fx, 0.3));
	g_assert_false(g_action_get_enabled(smaller));
	WAIT_FOR(grid_fits(fx), "every tile on the screen");
	gt_shot("gui-classroom.png");

	/* a student who logs in later gets a tile of the same size */
	feed(&fx->d1, "open 136:40 pts/40\nwinsize 136:40 24 80\n"
		      "session 136:40 1040 1040 bash\nout 136:40 $\\s\n");
	WAIT_FOR((late = find_session(fx, "pts/40", NULL)) &&
			 tsc_window_get_tile(fx->win, late),
		 "the late student's tile");
	g_assert_true(tiles_scaled(fx, 0.3));

	/* Ctrl+0: the usual size again; Ctrl++ larger still */
	gt_key_mod(entry, GDK_KEY_0, GDK_CONTROL_MASK);
	g_assert_true(tiles_scaled(fx, 0.6));
	g_assert_true(g_action_get_enabled(smaller));
	gt_key_mod(entry, GDK_KEY_plus, GDK_CONTROL_MASK);
	g_assert_true(tiles_scaled(fx, 0.8));
}

static void test_classroom(void)
{
	struct fixture fx = { 0 };
	GString *s = g_string_new(NULL);

	fixture_init(&fx);
	for (int i = 0; i < STUDENTS; i++)
		g_string_append_printf(
			s,
			"open 136:%d pts/%d\nwinsize 136:%d 24 80\n"
			"session 136:%d %d %d bash\n"
			"out 136:%d \\e[1;32mstudent%d@lab\\e[0m:~$\\smake\\r\\n"
			"cc\\s-c\\sex%d.c\\r\\n\\e[1;32mstudent%d@lab\\e[0m:~$\\s\n",
			i, i, i, i, 1000 + i, 1000 + i, i, i, i % 7, i);
	feed(&fx.d1, s->str);
	g_string_free(s, TRUE);
	/* and one who stopped typing two hours and five minutes ago */
	g_autofree char *then = g_strdup_printf(
		"%" G_GINT64_FORMAT, g_get_real_time() / G_USEC_PER_SEC - 7500);
	gt_feed(&fx.d1, tdtool, then, FALSE,
		"open 136:33 pts/33\nwinsize 136:33 24 80\n"
		"session 136:33 1033 1033 bash\nout 136:33 $\\s\n");
	/* and one whose program names itself with escapes and a stray byte */
	feed(&fx.d1, "open 136:34 pts/34\nwinsize 136:34 24 80\n"
		     "session 136:34 1034 1034 \\e]2;x\\x07\\xff\n");
	gt_run_app(&fx.app, &fx.win, classroom_body, &fx,
		   (const char *const[]){ "--socket", fx.d1.sock, NULL });
	fixture_free(&fx);
}

/* ---- /gui/reconnect ---------------------------------------------------------- */

static const char *const session5 = "open 136:5 pts/5\n"
				    "winsize 136:5 5 30\n"
				    "session 136:5 500 0 bash\n"
				    "out 136:5 before\\r\\n$\\s\n";

static void reconnect_body(gpointer data)
{
	struct fixture *fx = data;
	TscSession *s;
	TscSource *source =
		g_ptr_array_index(tsc_application_get_sources(fx->app), 0);
	TscSessionView *view;
	GtkWidget *bar, *label;
	g_autofree char *want =
		gt_screen(5, (const char *const[]){ "before", "$ ", NULL });

	WAIT_FOR((s = find_session(fx, "pts/5", NULL)) != NULL, "pts/5");
	view = tsc_window_open_session(fx->win, s);
	assert_text(tsc_session_view_get_terminal(view), want, "before");

	/* the daemon goes away: nothing stale is shown as live */
	gt_daemon_stop(&fx->d1);
	WAIT_FOR(tsc_source_get_state(source) == TSC_SOURCE_DISCONNECTED,
		 "the disconnection");
	g_assert_cmpuint(count_sessions(fx), ==, 0);
	g_assert_null(tsc_window_get_tile(fx->win, s));
	g_assert_cmpint(tsc_session_get_state(s), ==, TSC_SESSION_DISCONNECTED);
	bar = gt_find_widget(GTK_WIDGET(fx->win), "source-infobar");
	label = gt_find_widget(bar, "source-message");
	g_assert_true(gtk_widget_get_visible(bar));
	g_assert_nonnull(strstr(gtk_label_get_text(GTK_LABEL(label)),
				"the daemon closed the connection"));
	WAIT_FOR(strstr(gtk_label_get_text(GTK_LABEL(label)),
			"ttyscoped is not running"),
		 "the failed reconnection");
	g_assert_false(gtk_widget_is_sensitive(
		gt_find_widget(GTK_WIDGET(view), "block-button")));
	g_assert_cmpstr(gtk_label_get_text(GTK_LABEL(gt_find_widget(
				GTK_WIDGET(view), "input-label"))),
			==, "Disconnected — showing the last screen");
	gt_shot("gui-disconnected.png");

	/*
	 * It comes back with the same session: the view follows it again.
	 * The records are there before we reconnect (with the button, well
	 * before the 4 s retry): a tty the daemon does not list is gone.
	 */
	WAIT_FOR(strstr(gtk_label_get_text(GTK_LABEL(label)),
			"Trying again in 4 seconds"),
		 "the third attempt");
	g_unlink(fx->d1.state);
	g_unlink(fx->d1.sock);
	gt_daemon_start(&fx->d1, ttyscoped);
	feed(&fx->d1, session5);
	WAIT_FOR(daemon_has_read(&fx->d1, 4), "the records");
	gt_click(bar, "reconnect-button");
	WAIT_FOR(tsc_source_get_state(source) == TSC_SOURCE_CONNECTED,
		 "the reconnection");
	WAIT_FOR(find_session(fx, "pts/5", NULL) == s, "pts/5 again");
	g_assert_false(gtk_widget_get_visible(bar));
	g_assert_cmpint(tsc_session_get_state(s), ==, TSC_SESSION_LIVE);
	feed(&fx->d1, "out 136:5 back\n");
	g_free(want);
	want = gt_screen(5, (const char *const[]){ "before", "$ back", NULL });
	assert_text(tsc_session_view_get_terminal(view), want, "after");
	g_assert_nonnull(tsc_window_get_tile(fx->win, s));
	/* users are named by the new connection's daemon */
	g_assert_cmpstr(tsc_session_get_user(s), ==, "root");
	feed(&fx->d1, "session 136:5 501 65534 sh\n");
	WAIT_FOR(!g_strcmp0(tsc_session_get_user(s), "nobody"),
		 "the new user, named by the new connection");
}

static void test_reconnect(void)
{
	struct fixture fx = { 0 };

	fixture_init(&fx);
	/* the same records, stamped alike, after the restart */
	g_setenv("TDTIME", "1700000000", TRUE);
	feed(&fx.d1, session5);
	gt_run_app(&fx.app, &fx.win, reconnect_body, &fx,
		   (const char *const[]){ "--socket", fx.d1.sock, NULL });
	fixture_free(&fx);
}

/* ---- /gui/record ---------------------------------------------------------------- */

static gboolean log_closed(const char *dir)
{
	g_autofree char *path = gt_find_file(dir, g_str_has_suffix, ".pts-5");
	struct tsc_log_reader *lr;
	struct tsc_log_stats st = { 0 };
	int fd;

	if (!path)
		return FALSE;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return FALSE;
	if (tsc_log_reader_new(fd, &lr) == 0) {
		tsc_log_reader_stats(lr, &st);
		tsc_log_reader_free(lr);
	}
	close(fd);
	return st.closed;
}

static void record_body(gpointer data)
{
	struct fixture *fx = data;
	g_autofree char *path = NULL;
	struct tsc_log_reader *lr;
	struct tsc_rec rec;
	GString *got = g_string_new(NULL);
	int fd, r;

	WAIT_FOR(find_session(fx, "pts/5", NULL), "pts/5");
	feed(&fx->d1, "out 136:5 live\nin 136:5 0 x\nclose 136:5\n");
	WAIT_FOR(log_closed(fx->record_dir), "the finished log");
	path = gt_find_file(fx->record_dir, g_str_has_suffix, ".pts-5");
	g_assert_true(g_str_has_prefix(path, fx->record_dir));
	g_assert_nonnull(strstr(path, "/root/"));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(tsc_log_reader_new(fd, &lr), ==, 0);
	g_assert_cmpstr(tsc_log_reader_meta(lr)->tty, ==, "pts/5");
	g_assert_cmpstr(tsc_log_reader_meta(lr)->user, ==, "root");
	g_assert_cmpstr(tsc_log_reader_meta(lr)->host, ==, g_get_host_name());
	while ((r = tsc_log_reader_next(lr, &rec)) == 1) {
		g_string_append_printf(got, "%s %" G_GUINT64_FORMAT,
				       tsc_rec_type_name(rec.hdr.type),
				       rec.hdr.seq);
		if (rec.hdr.type == TTYSCOPE_REC_OUT ||
		    rec.hdr.type == TTYSCOPE_REC_IN)
			g_string_append_printf(got, " %.*s", (int)rec.hdr.len,
					       rec.payload);
		g_string_append_c(got, '\n');
	}
	g_assert_cmpint(r, ==, 0);
	tsc_log_reader_free(lr);
	close(fd);
	/* the catch-up (no input in it), then every live record */
	g_assert_cmpstr(got->str, ==,
			"OPEN 0\nWINSIZE 1\nSESSION 2\nOUT 3 $ \n"
			"OUT 5 live\nIN 6 x\nCLOSE 7\n");
	g_string_free(got, TRUE);
}

static void test_record(void)
{
	struct fixture fx = { 0 };

	fixture_init(&fx);
	feed(&fx.d1, "open 136:5 pts/5\n"
		     "winsize 136:5 24 80\n"
		     "session 136:5 500 0 bash\n"
		     "out 136:5 $\\s\n"
		     "in 136:5 0 y\n");
	gt_run_app(&fx.app, &fx.win, record_body, &fx,
		   (const char *const[]){ "--socket", fx.d1.sock, "--record",
					  fx.record_dir, NULL });
	fixture_free(&fx);
}

/* ---- /gui/remote ------------------------------------------------------------ */

/*
 * A stand-in for ssh on $PATH: it checks the command line --remote builds
 * (ssh -T -o BatchMode=yes HOST ttyscope stream), records its pid, and
 * runs the real `ttyscope --socket DIR/HOST.sock stream`; while DIR/HOST.down
 * exists it fails as ssh does when the host is unreachable.
 */
static const char fake_ssh[] =
	"#!/bin/sh\n"
	"[ \"$1 $2 $3\" = '-T -o BatchMode=yes' ] || exit 2\n"
	"host=$4\n"
	"shift 4\n"
	"[ \"$*\" = 'ttyscope stream' ] || exit 2\n"
	"if [ -e \"$FAKE_SSH_DIR/$host.down\" ]; then\n"
	"\techo \"ssh: connect to host $host port 22: Connection refused\" >&2\n"
	"\texit 255\n"
	"fi\n"
	"echo $$ > \"$FAKE_SSH_DIR/$host.pid\"\n"
	"exec \"$TTYSCOPE\" --socket \"$FAKE_SSH_DIR/$host.sock\" stream\n";

/* the fake ssh's: bin/ssh, HOST.sock, HOST.pid, HOST.down */
static char *ssh_dir;

/* The info bar of the @i-th source (in command line order). */
static GtkWidget *source_bar(struct fixture *fx, guint i)
{
	GtkWidget *first =
		gt_find_widget(GTK_WIDGET(fx->win), "source-infobar");
	g_autoptr(GList) bars = NULL;

	g_assert_nonnull(first);
	bars = gtk_container_get_children(
		GTK_CONTAINER(gtk_widget_get_parent(first)));
	g_assert_cmpuint(g_list_length(bars), >, i);
	return g_list_nth_data(bars, i);
}

static const char *bar_text(GtkWidget *bar)
{
	return gtk_label_get_text(
		GTK_LABEL(gt_find_widget(bar, "source-message")));
}

static void label_cb(GtkWidget *w, gpointer data)
{
	GString *s = data;

	if (GTK_IS_LABEL(w))
		g_string_append_printf(s, "%s\n",
				       gtk_label_get_text(GTK_LABEL(w)));
	else if (GTK_IS_CONTAINER(w))
		gtk_container_forall(GTK_CONTAINER(w), label_cb, s);
}

/* The texts of the labels of a tile (its header). */
static char *tile_labels(TscTile *tile)
{
	GString *s = g_string_new(NULL);

	gtk_container_forall(GTK_CONTAINER(tile), label_cb, s);
	return g_string_free(s, FALSE);
}

static void remote_body(gpointer data)
{
	struct fixture *fx = data;
	GPtrArray *sources = tsc_application_get_sources(fx->app);
	TscSource *local = g_ptr_array_index(sources, 0);
	TscSource *lab2 = g_ptr_array_index(sources, 1);
	TscSession *s5, *s9;
	TscSessionView *view;
	GtkWidget *bar;
	g_autofree char *down = g_build_filename(ssh_dir, "lab2.down", NULL);
	g_autofree char *pidfile = g_build_filename(ssh_dir, "lab2.pid", NULL);
	g_autofree char *want =
		gt_screen(5, (const char *const[]){ "remote", NULL });
	g_autofree char *pid = NULL;
	g_autofree char *labels = NULL;
	g_autofree char *local_title = NULL;

	/* both sources in one window, told apart by their host names */
	g_assert_cmpuint(sources->len, ==, 2);
	g_assert_cmpstr(tsc_source_get_host(lab2), ==, "lab2");
	g_assert_cmpstr(tsc_source_get_label(lab2), ==,
			"ssh -T -o BatchMode=yes lab2 ttyscope stream");
	WAIT_FOR((s5 = find_session(fx, "pts/5", g_get_host_name())) != NULL,
		 "pts/5 of this machine");
	WAIT_FOR((s9 = find_session(fx, "pts/9", "lab2")) != NULL &&
			 tsc_session_get_rows(s9) == 5,
		 "pts/9 of lab2");
	g_assert_null(find_session(fx, "pts/9", g_get_host_name()));
	g_assert_null(find_session(fx, "pts/5", "lab2"));
	g_assert_cmpuint(count_sessions(fx), ==, 2);
	g_assert_cmpstr(tsc_session_get_user(s5), ==, "root");
	g_assert_cmpstr(tsc_session_get_user(s9), ==, "4242");
	g_assert_cmpstr(tsc_session_get_command(s9), ==, "sh");
	labels = tile_labels(tsc_window_get_tile(fx->win, s9));
	g_assert_nonnull(strstr(labels, "lab2 · pts/9 · 4242 · sh"));
	g_free(labels);
	local_title =
		g_strdup_printf("%s · pts/5 · root · bash", g_get_host_name());
	labels = tile_labels(tsc_window_get_tile(fx->win, s5));
	g_assert_nonnull(strstr(labels, local_title));
	g_assert_false(gtk_widget_get_visible(source_bar(fx, 0)));
	g_assert_false(gtk_widget_get_visible(source_bar(fx, 1)));

	/* the catch-up and live records come through the command */
	view = tsc_window_open_session(fx->win, s9);
	assert_text(tsc_session_view_get_terminal(view), want, "catch-up");
	feed(&fx->d2, "out 136:9 \\sand\\slive\n");
	g_free(want);
	want = gt_screen(5, (const char *const[]){ "remote and live", NULL });
	assert_text(tsc_session_view_get_terminal(view), want, "live");
	gtk_notebook_set_current_page(
		GTK_NOTEBOOK(gt_find_widget(GTK_WIDGET(fx->win), "notebook")),
		0);
	gt_shot("gui-remote.png");

	/* the command ends (the link drops) and the host stays unreachable */
	g_assert_true(g_file_set_contents(down, "", 0, NULL));
	g_assert_true(g_file_get_contents(pidfile, &pid, NULL, NULL));
	g_assert_cmpint(kill(atoi(pid), SIGTERM), ==, 0);
	WAIT_FOR(tsc_source_get_state(lab2) == TSC_SOURCE_DISCONNECTED,
		 "the disconnection of lab2");
	bar = source_bar(fx, 1);
	g_assert_true(gtk_widget_get_visible(bar));
	g_assert_nonnull(strstr(bar_text(bar), "Not connected to lab2 (ssh"));
	g_assert_null(find_session(fx, "pts/9", "lab2"));
	g_assert_null(tsc_window_get_tile(fx->win, s9));
	g_assert_cmpint(tsc_session_get_state(s9), ==,
			TSC_SESSION_DISCONNECTED);
	g_assert_cmpstr(gtk_label_get_text(GTK_LABEL(gt_find_widget(
				GTK_WIDGET(view), "input-label"))),
			==, "Disconnected — showing the last screen");
	assert_text(tsc_session_view_get_terminal(view), want, "last screen");
	/* the retry runs ssh again, which fails */
	WAIT_FOR(strstr(bar_text(bar), "failed: Child process exited with "
				       "code 255"),
		 "the failed attempt");
	g_assert_nonnull(strstr(
		bar_text(bar),
		"‘ssh -T -o BatchMode=yes lab2 ttyscope stream’ failed"));
	/* the other source is not affected */
	g_assert_cmpint(tsc_source_get_state(local), ==, TSC_SOURCE_CONNECTED);
	g_assert_false(gtk_widget_get_visible(source_bar(fx, 0)));
	g_assert_true(find_session(fx, "pts/5", g_get_host_name()) == s5);
	g_assert_cmpint(tsc_session_get_state(s5), ==, TSC_SESSION_LIVE);
	g_assert_nonnull(tsc_window_get_tile(fx->win, s5));
	g_assert_cmpuint(count_sessions(fx), ==, 1);
	gt_shot("gui-remote-down.png");

	/* the host is reachable again: the same session, followed again */
	g_assert_cmpint(g_unlink(down), ==, 0);
	gt_click(bar, "reconnect-button");
	WAIT_FOR(tsc_source_get_state(lab2) == TSC_SOURCE_CONNECTED,
		 "the reconnection of lab2");
	WAIT_FOR(find_session(fx, "pts/9", "lab2") == s9, "pts/9 again");
	g_assert_cmpint(tsc_session_get_state(s9), ==, TSC_SESSION_LIVE);
	g_assert_false(gtk_widget_get_visible(bar));
	feed(&fx->d2, "out 136:9 \\r\\nback\n");
	g_free(want);
	want = gt_screen(5, (const char *const[]){ "remote and live", "back",
						   NULL });
	assert_text(tsc_session_view_get_terminal(view), want, "after");
	g_assert_nonnull(tsc_window_get_tile(fx->win, s9));
	g_assert_cmpuint(count_sessions(fx), ==, 2);
}

static void test_remote(void)
{
	struct fixture fx = { 0 };
	g_autofree char *bin = NULL, *ssh = NULL, *path = NULL, *sock = NULL;
	const char *ttyscope = g_getenv("TTYSCOPE");

	if (!ttyscope)
		g_error("TTYSCOPE must name the command line tool");
	fixture_init(&fx);
	daemon_init(&fx.d2, fx.tmp, "d2");
	ssh_dir = g_build_filename(fx.tmp, "ssh", NULL);
	bin = g_build_filename(ssh_dir, "bin", NULL);
	g_assert_cmpint(g_mkdir_with_parents(bin, 0700), ==, 0);
	ssh = g_build_filename(bin, "ssh", NULL);
	g_assert_true(g_file_set_contents(ssh, fake_ssh, -1, NULL));
	g_assert_cmpint(chmod(ssh, 0700), ==, 0);
	sock = g_build_filename(ssh_dir, "lab2.sock", NULL);
	g_assert_cmpint(symlink(fx.d2.sock, sock), ==, 0);
	path = g_strdup_printf("%s:%s", bin, g_getenv("PATH"));
	g_setenv("PATH", path, TRUE);
	g_setenv("FAKE_SSH_DIR", ssh_dir, TRUE);
	feed(&fx.d1, "open 136:5 pts/5\n"
		     "winsize 136:5 5 30\n"
		     "session 136:5 500 0 bash\n"
		     "out 136:5 local\n");
	feed(&fx.d2, "open 136:9 pts/9\n"
		     "winsize 136:9 5 30\n"
		     "session 136:9 900 4242 sh\n"
		     "out 136:9 remote\n");
	gt_run_app(&fx.app, &fx.win, remote_body, &fx,
		   (const char *const[]){ "--socket", fx.d1.sock, "--remote",
					  "lab2", NULL });
	fixture_free(&fx);
	g_clear_pointer(&ssh_dir, g_free);
}

/* ---- --bridge: a stand-in for `ssh HOST ttyscope stream` ------------------------ */

static int relay(int from, int to)
{
	char buf[65536];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0)
		return -1;
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));

		if (w < 0)
			return -1;
		off += w;
	}
	return 0;
}

static int bridge(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return 1;
	for (;;) {
		struct pollfd p[2] = { { .fd = 0, .events = POLLIN },
				       { .fd = fd, .events = POLLIN } };

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return 1;
		if (p[0].revents && relay(0, fd) < 0)
			return 0;
		if (p[1].revents && relay(fd, 1) < 0)
			return 0;
	}
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--bridge"))
		return bridge(argv[2]);
	g_test_init(&argc, &argv, NULL);
	gtk_init(&argc, &argv);
	tdtool = g_getenv("TDTOOL");
	ttyscoped = g_getenv("TTYSCOPED");
	if (!tdtool || !ttyscoped)
		g_error("TDTOOL and TTYSCOPED must name the test tools");
	g_test_add_func("/gui/view", test_view);
	g_test_add_func("/gui/actions", test_actions);
	g_test_add_func("/gui/classroom", test_classroom);
	g_test_add_func("/gui/reconnect", test_reconnect);
	g_test_add_func("/gui/record", test_record);
	g_test_add_func("/gui/remote", test_remote);
	return g_test_run();
}
