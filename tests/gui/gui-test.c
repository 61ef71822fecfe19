// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the GUI tests share; see gui-test.h.
 */
#include <signal.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <glib/gstdio.h>

#include "gui-test.h"

/* for WAIT_FOR in gt_daemon_start() */
#define TIMEOUT_S 20

gboolean gt_wake(gpointer data)
{
	return G_SOURCE_CONTINUE;
}

/* Let the main loop run for @ms (drawing, late events). */
void gt_settle(guint ms)
{
	gint64 end = g_get_monotonic_time() + ms * 1000;
	guint tick = g_timeout_add(10, gt_wake, NULL);

	while (g_get_monotonic_time() < end)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(tick);
}

static gboolean quit_loop(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_REMOVE;
}

/*
 * Run the main loop for @ms with nothing of the test's own waking it, and
 * return the process's CPU time in that span as a fraction of it.
 */
double gt_idle_cpu(guint ms)
{
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	struct rusage r0, r1;
	gint64 t0;

	getrusage(RUSAGE_SELF, &r0);
	t0 = g_get_monotonic_time();
	g_timeout_add(ms, quit_loop, loop);
	g_main_loop_run(loop);
	getrusage(RUSAGE_SELF, &r1);
	return (double)((r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) * 1000000 +
			(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) +
			(r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) * 1000000 +
			(r1.ru_stime.tv_usec - r0.ru_stime.tv_usec)) /
	       (double)(g_get_monotonic_time() - t0);
}

/* ---- the application under test --------------------------------------------- */

struct run {
	TscApplication **app;
	TscWindow **win;
	void (*body)(gpointer data);
	gpointer data;
};

static void on_activate(GApplication *app, struct run *run)
{
	*run->win = tsc_application_get_window(*run->app);
	gtk_window_move(GTK_WINDOW(*run->win), 0, 0);
	/* the size of the contents: the 1280x800 screen less the title bar */
	gtk_window_resize(GTK_WINDOW(*run->win), 1280, 744);
	run->body(run->data);
	g_application_quit(app);
}

/*
 * gt_run_app() - run ttyscope-gui with @args (NULL-terminated), calling
 * @body(@data) once its window is up; quit when @body returns. *@app and
 * *@win are set while it runs.
 */
void gt_run_app(TscApplication **app, TscWindow **win,
		void (*body)(gpointer data), gpointer data,
		const char *const *args)
{
	struct run run = { app, win, body, data };
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	int status;

	g_ptr_array_add(argv, "ttyscope-gui");
	for (; *args; args++)
		g_ptr_array_add(argv, (char *)*args);
	g_ptr_array_add(argv, NULL);
	*app = tsc_application_new();
	g_signal_connect_after(*app, "activate", G_CALLBACK(on_activate), &run);
	status = g_application_run(G_APPLICATION(*app), (int)argv->len - 1,
				   (char **)argv->pdata);
	g_assert_cmpint(status, ==, 0);
	g_clear_object(app);
}

/* ---- widgets ------------------------------------------------------------------ */

static void find_cb(GtkWidget *w, gpointer data)
{
	gpointer *ctx = data;

	if (!ctx[1])
		ctx[1] = gt_find_widget(w, ctx[0]);
}

/* The first widget named @name at or below @w (internal children too). */
GtkWidget *gt_find_widget(GtkWidget *w, const char *name)
{
	gpointer ctx[2] = { (gpointer)name, NULL };

	if (!g_strcmp0(gtk_widget_get_name(w), name))
		return w;
	if (GTK_IS_CONTAINER(w))
		gtk_container_forall(GTK_CONTAINER(w), find_cb, ctx);
	return ctx[1];
}

/* Click the button named @name below @root, which must be sensitive. */
void gt_click(GtkWidget *root, const char *name)
{
	GtkWidget *w = gt_find_widget(root, name);

	g_assert_nonnull(w);
	g_assert_true(gtk_widget_is_sensitive(w));
	gtk_button_clicked(GTK_BUTTON(w));
}

/* A key press and release on the focused widget @w, as the X server would
 * deliver them. */
void gt_key(GtkWidget *w, guint keyval)
{
	gt_key_mod(w, keyval, 0);
}

/* A key press and release with modifiers (@state) on the focused @w. */
void gt_key_mod(GtkWidget *w, guint keyval, GdkModifierType state)
{
	GdkWindow *win = gtk_widget_get_window(gtk_widget_get_toplevel(w));
	GdkDisplay *display = gdk_window_get_display(win);
	GdkEvent *ev = gdk_event_new(GDK_KEY_PRESS);
	GdkKeymapKey *keys = NULL;
	gint n = 0;

	g_assert_true(gtk_widget_is_focus(w));
	ev->key.window = g_object_ref(win);
	ev->key.time = GDK_CURRENT_TIME;
	ev->key.keyval = keyval;
	ev->key.state = state;
	gdk_event_set_device(
		ev,
		gdk_seat_get_keyboard(gdk_display_get_default_seat(display)));
	if (gdk_keymap_get_entries_for_keyval(
		    gdk_keymap_get_for_display(display), keyval, &keys, &n)) {
		ev->key.hardware_keycode = (guint16)keys[0].keycode;
		ev->key.group = (guint8)keys[0].group;
		g_free(keys);
	}
	gtk_main_do_event(ev);
	ev->type = GDK_KEY_RELEASE;
	gtk_main_do_event(ev);
	gdk_event_free(ev);
}

/* gt_key(), then 50 ms of the main loop. */
void gt_send_key(GtkWidget *w, guint keyval)
{
	gt_key(w, keyval);
	gt_settle(50);
}

/* The screen vte_terminal_get_text() should give: @rows lines. */
char *gt_screen(guint rows, const char *const *lines)
{
	GString *s = g_string_new(NULL);
	guint i = 0;

	for (; lines[i]; i++)
		g_string_append_printf(s, "%s\n", lines[i]);
	for (; i < rows; i++)
		g_string_append_c(s, '\n');
	return g_string_free(s, FALSE);
}

gboolean gt_text_is(TscTerminal *t, const char *want)
{
	g_autofree char *have = tsc_terminal_dup_text(t);

	return !g_strcmp0(have, want);
}

/* ---- screenshots -------------------------------------------------------------- */

/* The screen, 400 ms from now, into $TSC_SHOT_DIR/@name (import(1)). */
void gt_shot_keep_pointer(const char *name)
{
	const char *dir = g_getenv("TSC_SHOT_DIR");
	g_autofree char *path = NULL;
	g_autoptr(GError) error = NULL;
	int status;

	gt_settle(400);
	path = g_build_filename(dir ? dir : ".", name, NULL);
	const char *argv[] = { "import", "-window", "root", path, NULL };

	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
			  NULL, NULL, NULL, &status, &error) ||
	    !g_spawn_check_wait_status(status, &error))
		g_error("screenshot %s: %s", name, error->message);
	g_test_message("screenshot: %s", path);
}

/* The same with the pointer in a corner: no hover effects, no tooltips. */
void gt_shot(const char *name)
{
	GdkDisplay *display = gdk_display_get_default();
	GdkSeat *seat = gdk_display_get_default_seat(display);

	gdk_device_warp(gdk_seat_get_pointer(seat),
			gdk_display_get_default_screen(display), 1279, 799);
	gt_shot_keep_pointer(name);
}

/*
 * gt_find_file() - the first file below @dir (depth first, in directory
 * order) whose path @match(path, @arg) accepts, or NULL; g_free() it.
 */
char *gt_find_file(const char *dir,
		   gboolean (*match)(const char *path, const char *arg),
		   const char *arg)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	if (!d)
		return NULL;
	while ((name = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename(dir, name, NULL);
		char *found;

		if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
			found = gt_find_file(path, match, arg);
			if (found)
				return found;
		} else if (match(path, arg)) {
			return g_steal_pointer(&path);
		}
	}
	return NULL;
}

void gt_rm_rf(const char *path)
{
	const char *argv[] = { "rm", "-rf", path, NULL };

	g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
		     NULL, NULL, NULL, NULL);
}

/* ---- ttyscoped -------------------------------------------------------------------- */

/* The paths of daemon @name under @tmp (nothing is created yet). */
void gt_daemon_init(struct gt_daemon *d, const char *tmp, const char *name)
{
	d->dir = g_build_filename(tmp, name, NULL);
	d->fifo = g_build_filename(d->dir, "dev", NULL);
	d->sock = g_build_filename(d->dir, "sock", NULL);
	d->ctl = g_build_filename(d->dir, "ctl", NULL);
	d->devroot = g_build_filename(d->dir, "devroot", NULL);
	d->state = g_build_filename(d->dir, "state", NULL);
}

/* Its directory, the FIFO, and devroot/pts/@first_pts..@last_pts. */
void gt_daemon_prepare(struct gt_daemon *d, int first_pts, int last_pts)
{
	g_autofree char *pts = g_build_filename(d->devroot, "pts", NULL);

	g_assert_cmpint(g_mkdir_with_parents(d->dir, 0700), ==, 0);
	g_assert_cmpint(mkfifo(d->fifo, 0600), ==, 0);
	g_assert_cmpint(g_mkdir_with_parents(pts, 0700), ==, 0);
	for (int i = first_pts; i <= last_pts; i++) {
		g_autofree char *node = g_strdup_printf("%s/%d", pts, i);

		g_assert_true(g_file_set_contents(node, "", 0, NULL));
	}
}

/* Daemons end with the test, however it ends. */
static void die_with_parent(gpointer data)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/* Start @ttyscoped on a prepared daemon; wait for its socket. */
void gt_daemon_start(struct gt_daemon *d, const char *ttyscoped)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *logs = g_build_filename(d->dir, "logs", NULL);
	const char *argv[] = { ttyscoped,   "--foreground", "--device",
			       d->fifo,	    "--socket",	    d->sock,
			       "--log-dir", logs,	    "--fake-control",
			       d->ctl,	    "--dev-root",   d->devroot,
			       NULL };

	if (!g_spawn_async(NULL, (char **)argv, NULL,
			   G_SPAWN_DO_NOT_REAP_CHILD |
				   G_SPAWN_STDOUT_TO_DEV_NULL,
			   die_with_parent, NULL, &d->pid, &error))
		g_error("cannot start ttyscoped: %s", error->message);
	WAIT_FOR(g_file_test(d->sock, G_FILE_TEST_EXISTS), "the socket");
}

void gt_daemon_stop(struct gt_daemon *d)
{
	int status;

	if (!d->pid)
		return;
	kill(d->pid, SIGTERM);
	waitpid(d->pid, &status, 0);
	g_spawn_close_pid(d->pid);
	d->pid = 0;
}

void gt_daemon_free(struct gt_daemon *d)
{
	gt_daemon_stop(d);
	g_free(d->dir);
	g_free(d->fifo);
	g_free(d->sock);
	g_free(d->ctl);
	g_free(d->devroot);
	g_free(d->state);
}

/*
 * Feed records, as `@tdtool gen` lines, to a daemon's device; TDTIME is
 * @tdtime unless it is set already and !@overwrite.
 */
void gt_feed(struct gt_daemon *d, const char *tdtool, const char *tdtime,
	     gboolean overwrite, const char *lines)
{
	g_autoptr(GSubprocessLauncher)
		l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_PIPE);
	g_autoptr(GSubprocess) p = NULL;
	g_autoptr(GError) error = NULL;

	g_subprocess_launcher_setenv(l, "TDSTATE", d->state, TRUE);
	g_subprocess_launcher_setenv(l, "TDTIME", tdtime, overwrite);
	g_subprocess_launcher_set_stdout_file_path(l, d->fifo);
	p = g_subprocess_launcher_spawn(l, &error, tdtool, "gen", NULL);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(p, lines, NULL, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_successful(p));
}
