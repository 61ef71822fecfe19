// SPDX-License-Identifier: GPL-2.0-only
/*
 * ttyscope-gui in another language, and its keyboard shortcuts, under
 * Xvfb (see tests/i18n/meson.build):
 *
 *   test-gui-locale -p /i18n/window     the window in $LANGUAGE: the
 *                                       title bar and the menus are
 *                                       translated; screenshot
 *                                       gui-$LANGUAGE.png in $TSC_SHOT_DIR
 *   test-gui-locale -p /gui/shortcuts   the shortcuts window lists every
 *                                       accelerator the application sets,
 *                                       and only actions that have one
 *
 * The catalogs come from $TSC_LOCALEDIR (the build's po directory), bound
 * here as gui/main.c binds LOCALEDIR. The application watches a socket
 * that does not exist, so it shows its disconnected state.
 */
#include <locale.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "gui-test.h"

#define TIMEOUT_S 20

struct fixture {
	char *tmp;
	TscApplication *app;
	TscWindow *win;
};

/* Does @s hold a double-width (CJK) character? */
static gboolean has_wide_char(const char *s)
{
	for (; s && *s; s = g_utf8_next_char(s))
		if (g_unichar_iswide(g_utf8_get_char(s)))
			return TRUE;
	return FALSE;
}

static void collect_cb(GtkWidget *w, gpointer data);

/* Every widget of type @type at or below @w, internal children too. */
static void collect(GtkWidget *w, GType type, GPtrArray *out)
{
	gpointer ctx[2] = { (gpointer)type, out };

	if (G_TYPE_CHECK_INSTANCE_TYPE(w, type))
		g_ptr_array_add(out, w);
	if (GTK_IS_CONTAINER(w))
		gtk_container_forall(GTK_CONTAINER(w), collect_cb, ctx);
}

static void collect_cb(GtkWidget *w, gpointer data)
{
	gpointer *ctx = data;

	collect(w, (GType)ctx[0], ctx[1]);
}

/* The label of the item of @model (recursing into sections) bound to
 * @action, or NULL. */
static char *menu_label(GMenuModel *model, const char *action)
{
	for (int i = 0; i < g_menu_model_get_n_items(model); i++) {
		g_autofree char *act = NULL, *label = NULL;
		g_autoptr(GMenuModel) section = NULL;

		section = g_menu_model_get_item_link(model, i,
						     G_MENU_LINK_SECTION);
		if (section) {
			char *found = menu_label(section, action);

			if (found)
				return found;
			continue;
		}
		if (g_menu_model_get_item_attribute(
			    model, i, G_MENU_ATTRIBUTE_ACTION, "s", &act) &&
		    !g_strcmp0(act, action) &&
		    g_menu_model_get_item_attribute(
			    model, i, G_MENU_ATTRIBUTE_LABEL, "s", &label))
			return g_steal_pointer(&label);
	}
	return NULL;
}

/* The menu button whose menu has an item for @action. */
static GtkMenuButton *menu_button_for(TscWindow *win, const char *action)
{
	g_autoptr(GPtrArray) buttons = g_ptr_array_new();

	collect(gtk_window_get_titlebar(GTK_WINDOW(win)), GTK_TYPE_MENU_BUTTON,
		buttons);
	for (guint i = 0; i < buttons->len; i++) {
		GMenuModel *m =
			gtk_menu_button_get_menu_model(buttons->pdata[i]);
		g_autofree char *label = m ? menu_label(m, action) : NULL;

		if (label)
			return buttons->pdata[i];
	}
	return NULL;
}

/* ---- the application ------------------------------------------------------ */

static void run_app(void (*body)(gpointer data))
{
	struct fixture fx = { 0 };
	g_autofree char *sock = NULL;

	fx.tmp = g_dir_make_tmp("ttyscope-locale-XXXXXX", NULL);
	g_assert_nonnull(fx.tmp);
	/* nothing listens there: the window shows it is disconnected */
	sock = g_build_filename(fx.tmp, "no-daemon.sock", NULL);
	gt_run_app(&fx.app, &fx.win, body, &fx,
		   (const char *const[]){ "--socket", sock, NULL });
	g_rmdir(fx.tmp);
	g_free(fx.tmp);
}

/* ---- /i18n/window ---------------------------------------------------------- */

static void window_body(gpointer data)
{
	struct fixture *fx = data;
	const char *lang = g_getenv("LANGUAGE");
	GtkWidget *bar = gtk_window_get_titlebar(GTK_WINDOW(fx->win));
	const char *quit = g_dgettext(GETTEXT_PACKAGE, "_Quit");
	const char *empty = g_dgettext(GETTEXT_PACKAGE, "No live sessions");
	g_autofree char *quit_label = NULL, *block_label = NULL;
	g_autofree char *name = NULL;
	g_autoptr(GPtrArray) labels = g_ptr_array_new();
	GtkMenuButton *primary, *bulk;
	gboolean empty_shown = FALSE;
	const char *sub;

	/* the catalog of $LANGUAGE is there and has the strings */
	g_assert_nonnull(lang);
	g_assert_cmpstr(quit, !=, "_Quit");
	g_assert_cmpstr(empty, !=, "No live sessions");

	/* the title bar: "0 live · 0 blocked · 1 of 1 sources disconnected" */
	g_assert_true(GTK_IS_HEADER_BAR(bar));
	WAIT_FOR((sub = gtk_header_bar_get_subtitle(GTK_HEADER_BAR(bar))) &&
			 *sub,
		 "the subtitle");
	g_test_message("subtitle: %s", sub);
	g_assert_false(strstr(sub, "live") || strstr(sub, "blocked"));

	/* the menus */
	primary = menu_button_for(fx->win, "app.quit");
	bulk = menu_button_for(fx->win, "win.block-all");
	g_assert_nonnull(primary);
	g_assert_nonnull(bulk);
	quit_label =
		menu_label(gtk_menu_button_get_menu_model(primary), "app.quit");
	block_label = menu_label(gtk_menu_button_get_menu_model(bulk),
				 "win.block-all");
	g_assert_cmpstr(quit_label, ==, quit);
	g_assert_cmpstr(block_label, ==,
			g_dgettext(GETTEXT_PACKAGE, "_Block All"));
	g_assert_cmpstr(block_label, !=, "_Block All");

	/* a label of the window's template */
	collect(GTK_WIDGET(fx->win), GTK_TYPE_LABEL, labels);
	for (guint i = 0; i < labels->len; i++)
		if (!g_strcmp0(gtk_label_get_text(labels->pdata[i]), empty))
			empty_shown = TRUE;
	g_assert_true(empty_shown);

	if (g_str_has_prefix(lang, "zh")) {
		g_assert_true(has_wide_char(sub));
		g_assert_true(has_wide_char(quit_label));
		g_assert_true(has_wide_char(empty));
	}

	/* the application's icon, from data/icons (not installed here) */
	g_assert_cmpstr(gtk_window_get_default_icon_name(), ==,
			TSC_APPLICATION_ID);
	if (g_getenv("TSC_ICON_DIR")) {
		GtkIconTheme *theme = gtk_icon_theme_get_default();
		g_autoptr(GdkPixbuf) icon = NULL, symbolic = NULL;
		g_autoptr(GError) error = NULL;

		gtk_icon_theme_append_search_path(theme,
						  g_getenv("TSC_ICON_DIR"));
		icon = gtk_icon_theme_load_icon(theme, TSC_APPLICATION_ID, 48,
						0, &error);
		g_assert_no_error(error);
		g_assert_cmpint(gdk_pixbuf_get_width(icon), ==, 48);
		symbolic = gtk_icon_theme_load_icon(
			theme, TSC_APPLICATION_ID "-symbolic", 16, 0, &error);
		g_assert_no_error(error);
		g_assert_cmpint(gdk_pixbuf_get_width(symbolic), ==, 16);
	}

	/* the main menu open, for the screenshot */
	gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(primary), TRUE);
	WAIT_FOR(gtk_menu_button_get_popover(primary) &&
			 gtk_widget_get_mapped(GTK_WIDGET(
				 gtk_menu_button_get_popover(primary))),
		 "the main menu");
	name = g_strdup_printf("gui-%s.png", lang);
	gt_shot_keep_pointer(name);
	gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(primary), FALSE);
	gt_settle(200);
}

static void test_window(void)
{
	run_app(window_body);
}

/* ---- /gui/shortcuts -------------------------------------------------------- */

static void shortcuts_body(gpointer data)
{
	struct fixture *fx = data;
	GtkApplication *app = GTK_APPLICATION(fx->app);
	GtkShortcutsWindow *overlay = gtk_application_window_get_help_overlay(
		GTK_APPLICATION_WINDOW(fx->win));
	g_autoptr(GPtrArray) shortcuts = g_ptr_array_new();
	g_autoptr(GHashTable) listed =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_auto(GStrv) actions = NULL;
	guint with_accels = 0;

	g_assert_nonnull(overlay);
	collect(GTK_WIDGET(overlay), GTK_TYPE_SHORTCUTS_SHORTCUT, shortcuts);
	g_assert_cmpuint(shortcuts->len, >, 0);
	for (guint i = 0; i < shortcuts->len; i++) {
		g_autofree char *action = NULL, *accel = NULL, *title = NULL;
		g_auto(GStrv) accels = NULL;

		/* the search page holds copies, outside the sections */
		if (!gtk_widget_get_ancestor(shortcuts->pdata[i],
					     GTK_TYPE_SHORTCUTS_SECTION))
			continue;
		g_object_get(shortcuts->pdata[i], "action-name", &action,
			     "accelerator", &accel, "title", &title, NULL);
		/* a shortcut names its action; its keys come from the app */
		if (!action)
			g_error("shortcut '%s' has no action-name (keys: %s)",
				title, accel);
		accels = gtk_application_get_accels_for_action(app, action);
		if (!accels[0])
			g_error("shortcut '%s' shows %s, which has no accelerator",
				title, action);
		if (!g_hash_table_add(listed, g_steal_pointer(&action)))
			g_error("shortcut '%s': its action is listed twice",
				title);
	}
	/* every action that has an accelerator is in the shortcuts window */
	actions = gtk_application_list_action_descriptions(app);
	for (char **a = actions; *a; a++) {
		g_auto(GStrv)
			accels = gtk_application_get_accels_for_action(app, *a);

		if (!accels[0])
			continue;
		with_accels++;
		if (!g_hash_table_contains(listed, *a))
			g_error("%s (%s) is missing from gui/help-overlay.ui",
				*a, accels[0]);
	}
	g_test_message("%u shortcuts, %u actions with accelerators",
		       g_hash_table_size(listed), with_accels);
	g_assert_cmpuint(with_accels, ==, g_hash_table_size(listed));
}

static void test_shortcuts(void)
{
	run_app(shortcuts_body);
}

int main(int argc, char **argv)
{
	const char *localedir = g_getenv("TSC_LOCALEDIR");

	setlocale(LC_ALL, "");
	if (localedir)
		bindtextdomain(GETTEXT_PACKAGE, localedir);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/i18n/window", test_window);
	g_test_add_func("/gui/shortcuts", test_shortcuts);
	return g_test_run();
}
