// SPDX-License-Identifier: GPL-2.0-only
/*
 * TscApplication: options, shortcuts, style, and the main window.
 */
#include <signal.h>
#include <stdio.h>

#include <glib/gi18n.h>

#include "tsc-application.h"

#ifndef TTYSCOPE_VERSION
#define TTYSCOPE_VERSION "0"
#endif

struct _TscApplication {
	GtkApplication parent_instance;

	char **sockets;
	char **remotes;
	char **commands;
	char *record_dir;
	char **replays; /* --replay FILE and the files named as arguments */
	char **files;
	char *timing;
	GPtrArray *sources;
	TscWindow *window;
};

G_DEFINE_FINAL_TYPE(TscApplication, tsc_application, GTK_TYPE_APPLICATION)

static const struct {
	const char *action;
	const char *accels[3];
} accels[] = {
	{ "app.quit", { "<Primary><Shift>q", NULL } },
	{ "win.find", { "<Primary><Shift>f", NULL } },
	{ "win.close-view", { "<Primary><Shift>w", NULL } },
	{ "win.show-overview", { "<Primary><Shift>g", NULL } },
	{ "win.block", { "<Primary><Shift>b", NULL } },
	{ "win.take-over", { "<Primary><Shift>t", NULL } },
	{ "win.hangup", { "<Primary><Shift>h", NULL } },
	{ "win.message", { "<Primary><Shift>m", NULL } },
	{ "win.block-all", { "<Primary><Alt>b", NULL } },
	{ "win.unblock-all", { "<Primary><Alt>u", NULL } },
	{ "win.message-all", { "<Primary><Alt>m", NULL } },
	{ "win.tiles-smaller", { "<Primary>minus", NULL } },
	{ "win.tiles-larger", { "<Primary>plus", "<Primary>equal" } },
	{ "win.tiles-default", { "<Primary>0", NULL } },
	{ "win.open", { "<Primary>o", NULL } },
	{ "win.mark", { "<Primary>m", NULL } },
};

static void activate_quit(GSimpleAction *action, GVariant *param, gpointer data)
{
	g_application_quit(G_APPLICATION(data));
}

static const GActionEntry app_actions[] = {
	{ "quit", activate_quit },
};

/* The sources the command line names; the local daemon if none. */
static void create_sources(TscApplication *self)
{
	guint n = 0;

	for (char **s = self->sockets; s && *s; s++, n++)
		g_ptr_array_add(self->sources, tsc_source_new_socket(*s));
	for (char **r = self->remotes; r && *r; r++, n++) {
		const char *argv[] = { "ssh",		"-T", "-o",
				       "BatchMode=yes", *r,   "ttyscope",
				       "stream",	NULL };

		g_ptr_array_add(self->sources,
				tsc_source_new_command(argv, *r));
	}
	for (char **c = self->commands; c && *c; c++, n++) {
		g_auto(GStrv) argv = NULL;
		g_autoptr(GError) error = NULL;

		if (!g_shell_parse_argv(*c, NULL, &argv, &error)) {
			g_printerr(_("ttyscope-gui: bad command '%s': %s\n"),
				   *c, error->message);
			continue;
		}
		g_ptr_array_add(self->sources,
				tsc_source_new_command(
					(const char *const *)argv, NULL));
	}
	/* only recordings to replay: no daemon unless one is named */
	if (!n && !self->replays && !self->files)
		g_ptr_array_add(self->sources, tsc_source_new_socket(NULL));
	for (guint i = 0; i < self->sources->len; i++)
		tsc_source_set_record_dir(self->sources->pdata[i],
					  self->record_dir);
}

/* Open the recordings the command line names; errors go to stderr. */
static void open_replays(TscApplication *self, char **paths)
{
	for (char **p = paths; p && *p; p++) {
		g_autoptr(GError) error = NULL;

		if (!tsc_window_open_replay(self->window, *p, self->timing,
					    &error))
			g_printerr("ttyscope-gui: %s\n", error->message);
	}
}

static void tsc_application_activate(GApplication *app)
{
	TscApplication *self = TSC_APPLICATION(app);

	if (!self->window) {
		self->window = TSC_WINDOW(tsc_window_new(GTK_APPLICATION(app)));
		g_object_add_weak_pointer(G_OBJECT(self->window),
					  (gpointer *)&self->window);
		if (!self->sources->len)
			create_sources(self);
		for (guint i = 0; i < self->sources->len; i++)
			tsc_window_add_source(self->window,
					      self->sources->pdata[i]);
		open_replays(self, self->replays);
		open_replays(self, self->files);
	}
	gtk_window_present(GTK_WINDOW(self->window));
}

static void tsc_application_startup(GApplication *app)
{
	g_autoptr(GtkCssProvider) css = gtk_css_provider_new();

	G_APPLICATION_CLASS(tsc_application_parent_class)->startup(app);
	/* a peer that goes away must not kill us: writes report EPIPE */
	signal(SIGPIPE, SIG_IGN);
	g_action_map_add_action_entries(G_ACTION_MAP(app), app_actions,
					G_N_ELEMENTS(app_actions), app);
	for (guint i = 0; i < G_N_ELEMENTS(accels); i++)
		gtk_application_set_accels_for_action(GTK_APPLICATION(app),
						      accels[i].action,
						      accels[i].accels);
	/* data/icons: hicolor/scalable/apps/org.ttyscope.Gui.svg */
	gtk_window_set_default_icon_name(TSC_APPLICATION_ID);
	gtk_css_provider_load_from_resource(css, "/org/ttyscope/Gui/style.css");
	gtk_style_context_add_provider_for_screen(
		gdk_screen_get_default(), GTK_STYLE_PROVIDER(css),
		GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

static void tsc_application_shutdown(GApplication *app)
{
	TscApplication *self = TSC_APPLICATION(app);

	for (guint i = 0; i < self->sources->len; i++)
		tsc_source_stop(self->sources->pdata[i]);
	G_APPLICATION_CLASS(tsc_application_parent_class)->shutdown(app);
}

static int tsc_application_handle_local_options(GApplication *app,
						GVariantDict *options)
{
	if (g_variant_dict_contains(options, "version")) {
		printf("ttyscope-gui %s\n", TTYSCOPE_VERSION);
		return 0;
	}
	return -1;
}

static void tsc_application_finalize(GObject *object)
{
	TscApplication *self = TSC_APPLICATION(object);

	g_ptr_array_unref(self->sources);
	g_strfreev(self->sockets);
	g_strfreev(self->remotes);
	g_strfreev(self->commands);
	g_free(self->record_dir);
	g_strfreev(self->replays);
	g_strfreev(self->files);
	g_free(self->timing);
	G_OBJECT_CLASS(tsc_application_parent_class)->finalize(object);
}

static void tsc_application_class_init(TscApplicationClass *klass)
{
	GApplicationClass *app_class = G_APPLICATION_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = tsc_application_finalize;
	app_class->activate = tsc_application_activate;
	app_class->startup = tsc_application_startup;
	app_class->shutdown = tsc_application_shutdown;
	app_class->handle_local_options = tsc_application_handle_local_options;
}

static void tsc_application_init(TscApplication *self)
{
	const GOptionEntry entries[] = {
		{ "socket", 's', 0, G_OPTION_ARG_FILENAME_ARRAY, &self->sockets,
		  /* the path is TSC_DEFAULT_SOCKET, spelt out for xgettext */
		  N_("Watch the daemon at this socket (default /run/ttyscope/ttyscope.sock)"),
		  N_("PATH") },
		{ "remote", 'r', 0, G_OPTION_ARG_STRING_ARRAY, &self->remotes,
		  N_("Watch HOST through “ssh HOST ttyscope stream”"),
		  N_("HOST") },
		{ "command", 'c', 0, G_OPTION_ARG_STRING_ARRAY, &self->commands,
		  N_("Watch the daemon a command connects to on its stdin and stdout"),
		  N_("COMMAND") },
		{ "record", 'R', 0, G_OPTION_ARG_FILENAME, &self->record_dir,
		  N_("Write logs of the sessions watched to DIR"), N_("DIR") },
		{ "replay", 'p', 0, G_OPTION_ARG_FILENAME_ARRAY, &self->replays,
		  N_("Replay a recording: a ttyscope log, an asciicast file or a script typescript"),
		  N_("FILE") },
		{ "timing", 't', 0, G_OPTION_ARG_FILENAME, &self->timing,
		  N_("The timing file of the script recordings to replay (default: FILE.timing)"),
		  N_("FILE") },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, NULL,
		  N_("Show the version and exit"), NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY,
		  &self->files, NULL, N_("[FILE…]") },
		{ NULL },
	};

	self->sources = g_ptr_array_new_with_free_func(g_object_unref);
	g_application_add_main_option_entries(G_APPLICATION(self), entries);
	g_application_set_option_context_summary(
		G_APPLICATION(self),
		_("Watch, block, take over and hang up the terminal sessions of one or many machines. Options may be repeated to watch several daemons in one window. Recordings named as FILE are replayed."));
}

TscApplication *tsc_application_new(void)
{
	return g_object_new(TSC_TYPE_APPLICATION, "application-id",
			    TSC_APPLICATION_ID, "flags",
			    G_APPLICATION_NON_UNIQUE, NULL);
}

TscWindow *tsc_application_get_window(TscApplication *self)
{
	return self->window;
}

/* The sources watched; empty before the first activation. */
GPtrArray *tsc_application_get_sources(TscApplication *self)
{
	return self->sources;
}
