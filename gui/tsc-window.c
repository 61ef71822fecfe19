// SPDX-License-Identifier: GPL-2.0-only
/*
 * TscWindow: the main window (tsc-window.ui): session list, overview
 * grid, full views, per-source info bars, and the operator's actions.
 * Every action is a request to the session's daemon, which audits it;
 * the states shown (blocked, closed) come from the records the daemon
 * sends back, never from what was asked.
 */
#include <string.h>

#include <glib/gi18n.h>

#include "tsc-proto.h"
#include "tsc-replay-view.h"
#include "tsc-window.h"

/* Idle times are shown to this precision; the list is redrawn as often. */
#define IDLE_REFRESH_S 5

enum {
	COL_SESSION,
	COL_HOST,
	COL_TTY,
	COL_USER,
	COL_COMMAND,
	COL_STATE,
	COL_ACTIVITY,
	COL_BYTES,
	COL_LOST,
	N_COLS,
};

struct _TscWindow {
	GtkApplicationWindow parent_instance;

	GPtrArray *sources;
	GHashTable *rows; /* TscSession -> GtkTreeIter of store */
	GHashTable *tiles; /* TscSession -> TscTile */
	GHashTable *views; /* TscSession -> TscSessionView */
	GHashTable *bars; /* TscSource -> GtkInfoBar */
	GtkListStore *store;
	GtkTreeModel *filter;
	GtkTreeModel *sort;
	char *filter_text;
	guint idle_timer;
	guint tile_size; /* index in tile_scales */

	/* template children */
	GtkWidget *header_bar;
	GtkWidget *source_bars;
	GtkWidget *action_bar;
	GtkWidget *action_label;
	GtkWidget *filter_entry;
	GtkWidget *session_list;
	GtkWidget *notebook;
	GtkWidget *grid_stack;
	GtkWidget *grid;
};

G_DEFINE_FINAL_TYPE(TscWindow, tsc_window, GTK_TYPE_APPLICATION_WINDOW)

static void update_actions(TscWindow *self);

/* ---- helpers ------------------------------------------------------------ */

static int natural_cmp(const char *a, const char *b)
{
	return strverscmp(a ? a : "", b ? b : "");
}

static int session_cmp(TscSession *a, TscSession *b)
{
	int c = natural_cmp(tsc_session_get_host(a), tsc_session_get_host(b));

	return c ? c :
		   natural_cmp(tsc_session_get_tty(a), tsc_session_get_tty(b));
}

static gboolean matches_filter(TscWindow *self, TscSession *s)
{
	const char *fields[] = {
		tsc_session_get_host(s),
		tsc_session_get_tty(s),
		tsc_session_get_user(s),
		tsc_session_get_command(s),
		tsc_session_state_to_string(tsc_session_get_state(s)),
	};

	if (!self->filter_text || !self->filter_text[0])
		return TRUE;
	for (guint i = 0; i < G_N_ELEMENTS(fields); i++) {
		g_autofree char *f = g_utf8_casefold(fields[i], -1);

		if (strstr(f, self->filter_text))
			return TRUE;
	}
	return FALSE;
}

/* Report a failed action (or clear the report with NULL). */
static void show_action_error(TscWindow *self, const char *text)
{
	if (!text) {
		gtk_widget_hide(self->action_bar);
		return;
	}
	gtk_label_set_text(GTK_LABEL(self->action_label), text);
	gtk_widget_show(self->action_bar);
}

static void on_action_bar_response(GtkInfoBar *bar, int response,
				   TscWindow *self)
{
	show_action_error(self, NULL);
}

/* The session actions apply to: the open view's, else the selected one. */
static TscSession *current_session(TscWindow *self)
{
	GtkNotebook *nb = GTK_NOTEBOOK(self->notebook);
	GtkWidget *page = gtk_notebook_get_nth_page(
		nb, gtk_notebook_get_current_page(nb));
	GtkTreeSelection *sel;
	GtkTreeModel *model;
	GtkTreeIter iter;
	TscSession *s = NULL;

	if (page && TSC_IS_SESSION_VIEW(page))
		return tsc_session_view_get_session(TSC_SESSION_VIEW(page));
	sel = gtk_tree_view_get_selection(GTK_TREE_VIEW(self->session_list));
	if (!gtk_tree_selection_get_selected(sel, &model, &iter))
		return NULL;
	gtk_tree_model_get(model, &iter, COL_SESSION, &s, -1);
	if (s)
		g_object_unref(s); /* the store keeps it */
	return s;
}

static TscSessionView *current_view(TscWindow *self)
{
	GtkNotebook *nb = GTK_NOTEBOOK(self->notebook);
	GtkWidget *page = gtk_notebook_get_nth_page(
		nb, gtk_notebook_get_current_page(nb));

	return page && TSC_IS_SESSION_VIEW(page) ? TSC_SESSION_VIEW(page) :
						   NULL;
}

/* The sessions the list shows, in its order (the filter applies). */
static GPtrArray *listed_sessions(TscWindow *self, gboolean live_only)
{
	GPtrArray *list = g_ptr_array_new_with_free_func(g_object_unref);
	GtkTreeIter iter;
	gboolean ok = gtk_tree_model_get_iter_first(self->sort, &iter);

	for (; ok; ok = gtk_tree_model_iter_next(self->sort, &iter)) {
		TscSession *s;

		gtk_tree_model_get(self->sort, &iter, COL_SESSION, &s, -1);
		if (!live_only ||
		    (tsc_session_is_live(s) && tsc_session_get_source(s)))
			g_ptr_array_add(list, s);
		else
			g_object_unref(s);
	}
	return list;
}

/* Live sessions the list shows: what the bulk actions act on. */
static GPtrArray *listed_live_sessions(TscWindow *self)
{
	return listed_sessions(self, TRUE);
}

/* ---- session list --------------------------------------------------------- */

static void format_idle(GtkTreeViewColumn *col, GtkCellRenderer *cell,
			GtkTreeModel *model, GtkTreeIter *iter, gpointer data)
{
	gint64 last;
	gint64 idle;
	char buf[32];

	gtk_tree_model_get(model, iter, COL_ACTIVITY, &last, -1);
	idle = (g_get_monotonic_time() - last) / G_USEC_PER_SEC;
	if (!last)
		g_snprintf(buf, sizeof(buf), "—");
	else if (idle < IDLE_REFRESH_S)
		g_snprintf(buf, sizeof(buf), _("active"));
	else if (idle < 60)
		g_snprintf(buf, sizeof(buf), _("%d s"),
			   (int)(idle / IDLE_REFRESH_S * IDLE_REFRESH_S));
	else if (idle < 3600)
		g_snprintf(buf, sizeof(buf), _("%d min"), (int)(idle / 60));
	else
		g_snprintf(buf, sizeof(buf), _("%d h %02d min"),
			   (int)(idle / 3600), (int)(idle / 60 % 60));
	g_object_set(cell, "text", buf, NULL);
}

static void format_bytes(GtkTreeViewColumn *col, GtkCellRenderer *cell,
			 GtkTreeModel *model, GtkTreeIter *iter, gpointer data)
{
	guint64 bytes;
	g_autofree char *text = NULL;

	gtk_tree_model_get(model, iter, COL_BYTES, &bytes, -1);
	text = g_format_size(bytes);
	g_object_set(cell, "text", text, NULL);
}

static void format_state(GtkTreeViewColumn *col, GtkCellRenderer *cell,
			 GtkTreeModel *model, GtkTreeIter *iter, gpointer data)
{
	int state;

	gtk_tree_model_get(model, iter, COL_STATE, &state, -1);
	g_object_set(cell, "text", tsc_session_state_to_string(state),
		     "foreground",
		     state == TSC_SESSION_BLOCKED ? "#c01c28" : NULL, "weight",
		     state == TSC_SESSION_BLOCKED ? PANGO_WEIGHT_BOLD :
						    PANGO_WEIGHT_NORMAL,
		     NULL);
}

/* Sessions that ended are greyed out. */
static void format_row(GtkTreeViewColumn *col, GtkCellRenderer *cell,
		       GtkTreeModel *model, GtkTreeIter *iter, gpointer data)
{
	int state;

	gtk_tree_model_get(model, iter, COL_STATE, &state, -1);
	g_object_set(cell, "sensitive",
		     state == TSC_SESSION_LIVE || state == TSC_SESSION_BLOCKED,
		     NULL);
}

static int sort_natural(GtkTreeModel *model, GtkTreeIter *a, GtkTreeIter *b,
			gpointer data)
{
	int col = GPOINTER_TO_INT(data);
	g_autofree char *x = NULL, *y = NULL;

	gtk_tree_model_get(model, a, col, &x, -1);
	gtk_tree_model_get(model, b, col, &y, -1);
	return natural_cmp(x, y);
}

static void add_column(TscWindow *self, const char *title, int col,
		       GtkTreeCellDataFunc func, gboolean numeric)
{
	GtkCellRenderer *cell = gtk_cell_renderer_text_new();
	GtkTreeViewColumn *c = gtk_tree_view_column_new();

	gtk_tree_view_column_set_title(c, title);
	gtk_tree_view_column_pack_start(c, cell, TRUE);
	if (func)
		gtk_tree_view_column_set_cell_data_func(c, cell, func, NULL,
							NULL);
	else
		gtk_tree_view_column_add_attribute(c, cell, "text", col);
	if (!func || func == format_row)
		gtk_tree_view_column_set_cell_data_func(c, cell, format_row,
							NULL, NULL);
	if (numeric)
		g_object_set(cell, "xalign", 1.0, NULL);
	g_object_set(cell, "ellipsize", PANGO_ELLIPSIZE_END, NULL);
	gtk_tree_view_column_set_sort_column_id(c, col);
	gtk_tree_view_column_set_resizable(c, TRUE);
	gtk_tree_view_column_set_expand(c, col == COL_COMMAND);
	gtk_tree_view_column_set_min_width(c, numeric ? 70 : 90);
	gtk_tree_view_append_column(GTK_TREE_VIEW(self->session_list), c);
}

static gboolean filter_visible(GtkTreeModel *model, GtkTreeIter *iter,
			       gpointer data)
{
	TscSession *s;
	gboolean visible;

	gtk_tree_model_get(model, iter, COL_SESSION, &s, -1);
	if (!s)
		return FALSE;
	visible = matches_filter(data, s);
	g_object_unref(s);
	return visible;
}

static void setup_list(TscWindow *self)
{
	GtkTreeSortable *sortable;

	self->store = gtk_list_store_new(N_COLS, TSC_TYPE_SESSION,
					 G_TYPE_STRING, G_TYPE_STRING,
					 G_TYPE_STRING, G_TYPE_STRING,
					 G_TYPE_INT, G_TYPE_INT64,
					 G_TYPE_UINT64, G_TYPE_UINT64);
	self->filter =
		gtk_tree_model_filter_new(GTK_TREE_MODEL(self->store), NULL);
	gtk_tree_model_filter_set_visible_func(
		GTK_TREE_MODEL_FILTER(self->filter), filter_visible, self,
		NULL);
	self->sort = gtk_tree_model_sort_new_with_model(self->filter);
	sortable = GTK_TREE_SORTABLE(self->sort);
	for (int c = COL_HOST; c <= COL_COMMAND; c++)
		gtk_tree_sortable_set_sort_func(sortable, c, sort_natural,
						GINT_TO_POINTER(c), NULL);
	gtk_tree_sortable_set_sort_column_id(sortable, COL_TTY,
					     GTK_SORT_ASCENDING);
	gtk_tree_view_set_model(GTK_TREE_VIEW(self->session_list), self->sort);

	add_column(self, _("Host"), COL_HOST, NULL, FALSE);
	add_column(self, _("TTY"), COL_TTY, NULL, FALSE);
	add_column(self, _("User"), COL_USER, NULL, FALSE);
	add_column(self, _("Command"), COL_COMMAND, NULL, FALSE);
	add_column(self, _("State"), COL_STATE, format_state, FALSE);
	add_column(self, _("Idle"), COL_ACTIVITY, format_idle, TRUE);
	add_column(self, _("Bytes"), COL_BYTES, format_bytes, TRUE);
	add_column(self, _("Lost"), COL_LOST, NULL, TRUE);
}

static void set_row(TscWindow *self, GtkTreeIter *iter, TscSession *s)
{
	gtk_list_store_set(self->store, iter, COL_SESSION, s, COL_HOST,
			   tsc_session_get_host(s), COL_TTY,
			   tsc_session_get_tty(s), COL_USER,
			   tsc_session_get_user(s), COL_COMMAND,
			   tsc_session_get_command(s), COL_STATE,
			   (int)tsc_session_get_state(s), COL_ACTIVITY,
			   tsc_session_get_last_activity(s), COL_BYTES,
			   tsc_session_get_bytes(s), COL_LOST,
			   tsc_session_get_lost(s), -1);
}

static gboolean idle_refresh(gpointer data)
{
	TscWindow *self = data;

	gtk_widget_queue_draw(self->session_list);
	return G_SOURCE_CONTINUE;
}

/* The idle column needs redrawing only while the list has rows. */
static void update_idle_timer(TscWindow *self)
{
	gboolean want = g_hash_table_size(self->rows) > 0;

	if (want && !self->idle_timer)
		self->idle_timer = g_timeout_add_seconds(IDLE_REFRESH_S,
							 idle_refresh, self);
	else if (!want)
		g_clear_handle_id(&self->idle_timer, g_source_remove);
}

/* ---- grid ------------------------------------------------------------------ */

static int tile_sort(GtkFlowBoxChild *a, GtkFlowBoxChild *b, gpointer data)
{
	return session_cmp(tsc_tile_get_session(TSC_TILE(a)),
			   tsc_tile_get_session(TSC_TILE(b)));
}

static gboolean tile_filter(GtkFlowBoxChild *child, gpointer data)
{
	return matches_filter(data, tsc_tile_get_session(TSC_TILE(child)));
}

static void update_grid_page(TscWindow *self)
{
	gtk_stack_set_visible_child_name(
		GTK_STACK(self->grid_stack),
		g_hash_table_size(self->tiles) ? "grid" : "empty");
}

/* Font scales of the grid's tiles, smallest first; 30+ fit at the least. */
static const double tile_scales[] = { 0.3, 0.4, 0.5, TSC_TILE_SCALE_DEFAULT,
				      0.8, 1.0 };
#define TILE_SIZE_DEFAULT 3

/* A tile for every live session; none for the others. */
static void sync_tile(TscWindow *self, TscSession *s, gboolean shown)
{
	GtkWidget *tile = g_hash_table_lookup(self->tiles, s);

	shown = shown && tsc_session_is_live(s);
	if (shown && !tile) {
		tile = tsc_tile_new(s, tile_scales[self->tile_size]);
		gtk_widget_show(tile);
		gtk_container_add(GTK_CONTAINER(self->grid), tile);
		g_hash_table_insert(self->tiles, s, tile);
	} else if (!shown && tile) {
		g_hash_table_remove(self->tiles, s);
		gtk_widget_destroy(tile);
	} else if (tile) {
		gtk_flow_box_child_changed(GTK_FLOW_BOX_CHILD(tile));
	}
	update_grid_page(self);
}

static void on_tile_activated(GtkFlowBox *box, GtkFlowBoxChild *child,
			      TscWindow *self)
{
	tsc_window_open_session(self, tsc_tile_get_session(TSC_TILE(child)));
}

/* ---- sessions and sources ------------------------------------------------- */

static void update_subtitle(TscWindow *self)
{
	GHashTableIter it;
	gpointer k;
	guint live = 0, blocked = 0, down = 0;
	g_autofree char *sub = NULL;

	g_hash_table_iter_init(&it, self->rows);
	while (g_hash_table_iter_next(&it, &k, NULL)) {
		TscSessionState st = tsc_session_get_state(k);

		live += st == TSC_SESSION_LIVE;
		blocked += st == TSC_SESSION_BLOCKED;
	}
	for (guint i = 0; i < self->sources->len; i++)
		down += tsc_source_get_state(self->sources->pdata[i]) !=
			TSC_SOURCE_CONNECTED;
	if (down)
		/* Translators: live sessions, blocked sessions, sources */
		sub = g_strdup_printf(
			_("%u live · %u blocked · %u of %u sources disconnected"),
			live, blocked, down, self->sources->len);
	else
		/* Translators: live sessions, blocked sessions */
		sub = g_strdup_printf(_("%u live · %u blocked"), live, blocked);
	gtk_header_bar_set_subtitle(GTK_HEADER_BAR(self->header_bar), sub);
}

static void on_session_changed(TscSession *s, TscWindow *self)
{
	GtkTreeIter *iter = g_hash_table_lookup(self->rows, s);

	if (iter)
		set_row(self, iter, s);
	sync_tile(self, s, iter != NULL);
	if (current_session(self) == s)
		update_actions(self);
	update_subtitle(self);
}

static void on_session_added(TscSource *source, TscSession *s, TscWindow *self)
{
	GtkTreeIter iter;

	if (g_hash_table_contains(self->rows, s))
		return;
	gtk_list_store_append(self->store, &iter);
	g_hash_table_insert(self->rows, s, g_memdup2(&iter, sizeof(iter)));
	set_row(self, &iter, s);
	g_signal_connect_object(s, "changed", G_CALLBACK(on_session_changed),
				self, 0);
	sync_tile(self, s, TRUE);
	update_idle_timer(self);
	update_subtitle(self);
}

static void on_session_removed(TscSource *source, TscSession *s,
			       TscWindow *self)
{
	GtkTreeIter *iter = g_hash_table_lookup(self->rows, s);

	g_signal_handlers_disconnect_by_func(s, on_session_changed, self);
	sync_tile(self, s, FALSE);
	if (iter) {
		gtk_list_store_remove(self->store, iter);
		g_hash_table_remove(self->rows, s);
	}
	update_idle_timer(self);
	update_subtitle(self);
	update_actions(self);
}

static void on_bar_response(GtkInfoBar *bar, int response, gpointer data)
{
	tsc_source_reconnect_now(TSC_SOURCE(data));
}

static void on_source_state(TscSource *source, TscWindow *self)
{
	GtkWidget *bar = g_hash_table_lookup(self->bars, source);
	GtkWidget *label = g_object_get_data(G_OBJECT(bar), "label");
	GtkWidget *button = g_object_get_data(G_OBJECT(bar), "button");
	TscSourceState st = tsc_source_get_state(source);
	const char *err = tsc_source_get_error(source);
	const char *host = tsc_source_get_host(source);
	g_autofree char *text = NULL;

	if (st == TSC_SOURCE_DISCONNECTED) {
		guint delay = tsc_source_get_retry_delay(source);

		text = g_strdup_printf(
			ngettext(
				"Not connected to %s (%s): %s. Trying again in %u second.",
				"Not connected to %s (%s): %s. Trying again in %u seconds.",
				delay),
			host, tsc_source_get_label(source),
			err ? err : _("disconnected"), delay);
		gtk_info_bar_set_message_type(GTK_INFO_BAR(bar),
					      GTK_MESSAGE_WARNING);
	} else if (st == TSC_SOURCE_CONNECTING && err) {
		text = g_strdup_printf(_("Connecting to %s (%s)…"), host,
				       tsc_source_get_label(source));
		gtk_info_bar_set_message_type(GTK_INFO_BAR(bar),
					      GTK_MESSAGE_INFO);
	} else if (st == TSC_SOURCE_CONNECTED && err) {
		text = g_strdup_printf("%s: %s", host, err);
		gtk_info_bar_set_message_type(GTK_INFO_BAR(bar),
					      GTK_MESSAGE_WARNING);
	}
	gtk_widget_set_visible(button, st == TSC_SOURCE_DISCONNECTED);
	if (text)
		gtk_label_set_text(GTK_LABEL(label), text);
	gtk_widget_set_visible(bar, text != NULL);
	update_subtitle(self);
}

/* Watch @source's sessions in this window (and start it if needed). */
void tsc_window_add_source(TscWindow *self, TscSource *source)
{
	GtkWidget *bar = gtk_info_bar_new();
	GtkWidget *label = gtk_label_new(NULL);
	GtkWidget *button;
	g_autoptr(GList) sessions = NULL;

	gtk_widget_set_name(bar, "source-infobar");
	gtk_widget_set_name(label, "source-message");
	gtk_label_set_xalign(GTK_LABEL(label), 0);
	gtk_label_set_line_wrap(GTK_LABEL(label), TRUE);
	gtk_widget_show(label);
	gtk_container_add(
		GTK_CONTAINER(gtk_info_bar_get_content_area(GTK_INFO_BAR(bar))),
		label);
	button = gtk_info_bar_add_button(GTK_INFO_BAR(bar), _("_Reconnect Now"),
					 1);
	gtk_widget_set_name(button, "reconnect-button");
	g_object_set_data(G_OBJECT(bar), "label", label);
	g_object_set_data(G_OBJECT(bar), "button", button);
	g_signal_connect_object(bar, "response", G_CALLBACK(on_bar_response),
				source, 0);
	gtk_widget_set_no_show_all(bar, TRUE);
	gtk_box_pack_start(GTK_BOX(self->source_bars), bar, FALSE, FALSE, 0);
	g_hash_table_insert(self->bars, source, bar);
	g_ptr_array_add(self->sources, g_object_ref(source));

	g_signal_connect_object(source, "session-added",
				G_CALLBACK(on_session_added), self, 0);
	g_signal_connect_object(source, "session-removed",
				G_CALLBACK(on_session_removed), self, 0);
	g_signal_connect_object(source, "state-changed",
				G_CALLBACK(on_source_state), self, 0);
	sessions = tsc_source_get_sessions(source);
	for (GList *l = sessions; l; l = l->next)
		on_session_added(source, l->data, self);
	on_source_state(source, self);
	if (tsc_source_get_state(source) == TSC_SOURCE_DISCONNECTED)
		tsc_source_start(source);
}

/* Every session in the list. */
GList *tsc_window_get_sessions(TscWindow *self)
{
	return g_hash_table_get_keys(self->rows);
}

/**
 * tsc_window_dup_listed - the sessions the list shows, in its order
 *
 * The filter and the sort order apply. Returns: an array of references.
 */
GPtrArray *tsc_window_dup_listed(TscWindow *self)
{
	return listed_sessions(self, FALSE);
}

TscTile *tsc_window_get_tile(TscWindow *self, TscSession *session)
{
	return g_hash_table_lookup(self->tiles, session);
}

TscSessionView *tsc_window_get_view(TscWindow *self, TscSession *session)
{
	return g_hash_table_lookup(self->views, session);
}

/* ---- views ------------------------------------------------------------------ */

static void on_view_notify_take_over(GObject *view, GParamSpec *pspec,
				     TscWindow *self)
{
	update_actions(self);
}

static void close_view(TscWindow *self, TscSessionView *view)
{
	g_hash_table_remove(self->views, tsc_session_view_get_session(view));
	gtk_widget_destroy(GTK_WIDGET(view));
	update_actions(self);
}

static void on_tab_close(GtkButton *button, TscWindow *self)
{
	close_view(self, g_object_get_data(G_OBJECT(button), "view"));
}

static void on_view_session_changed(TscSession *s, GtkLabel *label)
{
	g_autofree char *text = g_strdup_printf(
		"%s · %s", tsc_session_get_tty(s), tsc_session_get_host(s));

	gtk_label_set_text(label, text);
}

/* Show the full view of @session, opening it if needed. */
TscSessionView *tsc_window_open_session(TscWindow *self, TscSession *session)
{
	GtkWidget *view = g_hash_table_lookup(self->views, session);
	GtkWidget *tab, *label, *close;
	int page;

	if (!view) {
		view = tsc_session_view_new(session);
		tab = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 4);
		label = gtk_label_new(NULL);
		on_view_session_changed(session, GTK_LABEL(label));
		g_signal_connect_object(session, "changed",
					G_CALLBACK(on_view_session_changed),
					label, 0);
		close = gtk_button_new_from_icon_name("window-close-symbolic",
						      GTK_ICON_SIZE_MENU);
		gtk_button_set_relief(GTK_BUTTON(close), GTK_RELIEF_NONE);
		gtk_widget_set_tooltip_text(close, _("Close this view"));
		g_object_set_data(G_OBJECT(close), "view", view);
		g_signal_connect(close, "clicked", G_CALLBACK(on_tab_close),
				 self);
		gtk_box_pack_start(GTK_BOX(tab), label, TRUE, TRUE, 0);
		gtk_box_pack_start(GTK_BOX(tab), close, FALSE, FALSE, 0);
		gtk_widget_show_all(tab);
		gtk_notebook_append_page(GTK_NOTEBOOK(self->notebook), view,
					 tab);
		gtk_notebook_set_tab_reorderable(GTK_NOTEBOOK(self->notebook),
						 view, TRUE);
		g_signal_connect_object(view, "notify::take-over",
					G_CALLBACK(on_view_notify_take_over),
					self, 0);
		g_hash_table_insert(self->views, session, view);
	}
	page = gtk_notebook_page_num(GTK_NOTEBOOK(self->notebook), view);
	gtk_notebook_set_current_page(GTK_NOTEBOOK(self->notebook), page);
	return TSC_SESSION_VIEW(view);
}

static void on_row_activated(GtkTreeView *tree, GtkTreePath *path,
			     GtkTreeViewColumn *col, TscWindow *self)
{
	GtkTreeIter iter;
	TscSession *s;

	if (!gtk_tree_model_get_iter(self->sort, &iter, path))
		return;
	gtk_tree_model_get(self->sort, &iter, COL_SESSION, &s, -1);
	tsc_window_open_session(self, s);
	g_object_unref(s);
}

static void on_switch_page(GtkNotebook *nb, GtkWidget *page, guint num,
			   TscWindow *self)
{
	update_actions(self);
}

static void on_selection_changed(GtkTreeSelection *sel, TscWindow *self)
{
	update_actions(self);
}

static void on_filter_changed(GtkSearchEntry *entry, TscWindow *self)
{
	g_free(self->filter_text);
	self->filter_text =
		g_utf8_casefold(gtk_entry_get_text(GTK_ENTRY(entry)), -1);
	gtk_tree_model_filter_refilter(GTK_TREE_MODEL_FILTER(self->filter));
	gtk_flow_box_invalidate_filter(GTK_FLOW_BOX(self->grid));
}

/* ---- requests ----------------------------------------------------------------- */

struct action_ctx {
	TscWindow *window; /* weak */
	TscSession *session;
	const char *what; /* translated */
};

static void on_request_done(GObject *object, GAsyncResult *result,
			    gpointer data)
{
	struct action_ctx *ctx = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) reply = NULL;

	reply = tsc_source_request_finish(TSC_SOURCE(object), result, &error);
	if (ctx->window) {
		TscSessionView *view =
			g_hash_table_lookup(ctx->window->views, ctx->session);

		if (!reply) {
			g_autofree char *title =
				tsc_session_dup_title(ctx->session);
			/* Translators: action, session, reason */
			g_autofree char *msg = g_strdup_printf(
				_("%s %s failed: %s"), ctx->what, title,
				error->message);

			show_action_error(ctx->window, msg);
		} else if (view) {
			g_autofree char *msg =
				g_strdup_printf(_("%s: done"), ctx->what);

			tsc_session_view_show_notice(view, msg);
		}
		g_object_remove_weak_pointer(G_OBJECT(ctx->window),
					     (gpointer *)&ctx->window);
	}
	g_object_unref(ctx->session);
	g_free(ctx);
}

/* Send @verb about @s; failures are shown in the window. */
static void session_request(TscWindow *self, TscSession *s, guint verb,
			    const void *args, gsize len, const char *what)
{
	TscSource *source = tsc_session_get_source(s);
	struct action_ctx *ctx;

	if (!source)
		return;
	ctx = g_new0(struct action_ctx, 1);
	ctx->window = self;
	g_object_add_weak_pointer(G_OBJECT(self), (gpointer *)&ctx->window);
	ctx->session = g_object_ref(s);
	ctx->what = what;
	tsc_source_request_async(source, verb, 0, tsc_session_get_major(s),
				 tsc_session_get_minor(s), args, len, NULL,
				 on_request_done, ctx);
}

/* ---- dialogs ------------------------------------------------------------------- */

static void on_hangup_response(GtkDialog *dialog, int response, TscWindow *self)
{
	TscSession *s = g_object_get_data(G_OBJECT(dialog), "session");

	if (response == GTK_RESPONSE_ACCEPT && s && tsc_session_is_live(s))
		session_request(self, s, TSC_VERB_HANGUP, NULL, 0,
				_("Hanging up"));
	gtk_widget_destroy(GTK_WIDGET(dialog));
}

static void confirm_hangup(TscWindow *self, TscSession *s)
{
	g_autofree char *title = tsc_session_dup_title(s);
	GtkWidget *dialog, *button;

	dialog = gtk_message_dialog_new(GTK_WINDOW(self),
					GTK_DIALOG_MODAL |
						GTK_DIALOG_DESTROY_WITH_PARENT,
					GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE,
					_("Hang up %s?"), title);
	gtk_widget_set_name(dialog, "hangup-dialog");
	gtk_message_dialog_format_secondary_text(
		GTK_MESSAGE_DIALOG(dialog),
		_("The session ends: its programs are sent SIGHUP and the user is logged out of this terminal."));
	gtk_dialog_add_button(GTK_DIALOG(dialog), _("_Cancel"),
			      GTK_RESPONSE_CANCEL);
	button = gtk_dialog_add_button(GTK_DIALOG(dialog), _("_Hang Up"),
				       GTK_RESPONSE_ACCEPT);
	gtk_style_context_add_class(gtk_widget_get_style_context(button),
				    "destructive-action");
	gtk_dialog_set_default_response(GTK_DIALOG(dialog),
					GTK_RESPONSE_CANCEL);
	g_object_set_data_full(G_OBJECT(dialog), "session", g_object_ref(s),
			       g_object_unref);
	g_signal_connect(dialog, "response", G_CALLBACK(on_hangup_response),
			 self);
	gtk_widget_show(dialog);
}

static void on_message_response(GtkDialog *dialog, int response,
				TscWindow *self)
{
	GPtrArray *targets = g_object_get_data(G_OBJECT(dialog), "targets");
	GtkTextBuffer *buf = g_object_get_data(G_OBJECT(dialog), "buffer");
	GtkTextIter a, b;
	g_autofree char *text = NULL;

	gtk_text_buffer_get_bounds(buf, &a, &b);
	text = gtk_text_buffer_get_text(buf, &a, &b, FALSE);
	if (response == GTK_RESPONSE_ACCEPT && text[0]) {
		for (guint i = 0; i < targets->len; i++)
			if (tsc_session_is_live(targets->pdata[i]))
				session_request(self, targets->pdata[i],
						TSC_VERB_MESSAGE, text,
						strlen(text),
						_("Sending the message to"));
	}
	gtk_widget_destroy(GTK_WIDGET(dialog));
}

static void on_message_text_changed(GtkTextBuffer *buf, GtkWidget *send)
{
	gtk_widget_set_sensitive(send, gtk_text_buffer_get_char_count(buf) > 0);
}

/* Ask for a message to show on the screens of @targets (TscSession). */
static void compose_message(TscWindow *self, GPtrArray *targets)
{
	GtkWidget *dialog, *area, *label, *scroll, *text, *send;
	g_autofree char *prompt = NULL;
	GtkTextBuffer *buf;

	if (targets->len == 1) {
		g_autofree char *title =
			tsc_session_dup_title(targets->pdata[0]);

		prompt =
			g_strdup_printf(_("Message to the user of %s:"), title);
	} else {
		prompt = g_strdup_printf(
			ngettext("Message to the users of %u session:",
				 "Message to the users of %u sessions:",
				 targets->len),
			targets->len);
	}
	dialog = gtk_dialog_new_with_buttons(
		_("Send a Message"), GTK_WINDOW(self),
		GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT |
			GTK_DIALOG_USE_HEADER_BAR,
		_("_Cancel"), GTK_RESPONSE_CANCEL, _("_Send"),
		GTK_RESPONSE_ACCEPT, NULL);
	gtk_widget_set_name(dialog, "message-dialog");
	gtk_window_set_default_size(GTK_WINDOW(dialog), 440, 220);
	send = gtk_dialog_get_widget_for_response(GTK_DIALOG(dialog),
						  GTK_RESPONSE_ACCEPT);
	gtk_style_context_add_class(gtk_widget_get_style_context(send),
				    "suggested-action");
	gtk_widget_set_sensitive(send, FALSE);
	area = gtk_dialog_get_content_area(GTK_DIALOG(dialog));
	gtk_container_set_border_width(GTK_CONTAINER(area), 12);
	gtk_box_set_spacing(GTK_BOX(area), 8);
	label = gtk_label_new(prompt);
	gtk_label_set_xalign(GTK_LABEL(label), 0);
	scroll = gtk_scrolled_window_new(NULL, NULL);
	gtk_scrolled_window_set_shadow_type(GTK_SCROLLED_WINDOW(scroll),
					    GTK_SHADOW_IN);
	gtk_widget_set_vexpand(scroll, TRUE);
	text = gtk_text_view_new();
	gtk_widget_set_name(text, "message-text");
	gtk_text_view_set_wrap_mode(GTK_TEXT_VIEW(text), GTK_WRAP_WORD_CHAR);
	gtk_container_add(GTK_CONTAINER(scroll), text);
	gtk_box_pack_start(GTK_BOX(area), label, FALSE, FALSE, 0);
	gtk_box_pack_start(GTK_BOX(area), scroll, TRUE, TRUE, 0);
	buf = gtk_text_view_get_buffer(GTK_TEXT_VIEW(text));
	g_signal_connect(buf, "changed", G_CALLBACK(on_message_text_changed),
			 send);
	g_object_set_data(G_OBJECT(dialog), "buffer", buf);
	g_object_set_data_full(G_OBJECT(dialog), "targets",
			       g_ptr_array_ref(targets),
			       (GDestroyNotify)g_ptr_array_unref);
	g_signal_connect(dialog, "response", G_CALLBACK(on_message_response),
			 self);
	gtk_widget_show_all(dialog);
	gtk_widget_grab_focus(text);
}

/* ---- actions ------------------------------------------------------------------ */

static void set_action_state(TscWindow *self, const char *name,
			     gboolean enabled, gboolean state)
{
	GAction *a = g_action_map_lookup_action(G_ACTION_MAP(self), name);

	g_simple_action_set_enabled(G_SIMPLE_ACTION(a), enabled);
	if (g_action_get_state_type(a))
		g_simple_action_set_state(G_SIMPLE_ACTION(a),
					  g_variant_new_boolean(state));
}

/* The replay view on the current page, or NULL. */
static TscReplayView *current_replay(TscWindow *self)
{
	GtkNotebook *nb = GTK_NOTEBOOK(self->notebook);
	GtkWidget *page = gtk_notebook_get_nth_page(
		nb, gtk_notebook_get_current_page(nb));

	return page && TSC_IS_REPLAY_VIEW(page) ? TSC_REPLAY_VIEW(page) : NULL;
}

static void update_actions(TscWindow *self)
{
	TscSession *s = current_session(self);
	TscSessionView *view = current_view(self);
	gboolean live = s && tsc_session_is_live(s) &&
			tsc_session_get_source(s);

	gboolean typing = view && tsc_session_view_get_take_over(view);

	/* while taking over, ^M and ^O are the session's keys */
	set_action_state(self, "mark",
			 view && tsc_session_is_live(s) && !typing, FALSE);
	set_action_state(self, "open", !typing, FALSE);
	set_action_state(self, "block", live, FALSE);
	set_action_state(self, "take-over", live,
			 view && tsc_session_view_get_take_over(view));
	set_action_state(self, "hangup", live, FALSE);
	set_action_state(self, "message", live, FALSE);
	set_action_state(self, "close-view",
			 view != NULL || current_replay(self) != NULL, FALSE);
	/* Ctrl+- is a key of the session too (readline's undo) */
	set_action_state(self, "tiles-smaller", !typing && self->tile_size > 0,
			 FALSE);
	set_action_state(self, "tiles-larger",
			 !typing && self->tile_size + 1 <
					    G_N_ELEMENTS(tile_scales),
			 FALSE);
	set_action_state(self, "tiles-default",
			 !typing && self->tile_size != TILE_SIZE_DEFAULT,
			 FALSE);
}

/* Block the current session's user, or unblock a blocked one. */
static void activate_block(GSimpleAction *action, GVariant *param,
			   gpointer data)
{
	TscWindow *self = data;
	TscSession *s = current_session(self);
	gboolean block;

	if (!s || !tsc_session_is_live(s))
		return;
	/* the state shown follows the PASS record the kernel produces */
	block = tsc_session_get_state(s) != TSC_SESSION_BLOCKED;
	session_request(self, s, block ? TSC_VERB_BLOCK : TSC_VERB_UNBLOCK,
			NULL, 0, block ? _("Blocking") : _("Unblocking"));
}

static void change_take_over(GSimpleAction *action, GVariant *value,
			     gpointer data)
{
	TscWindow *self = data;
	TscSessionView *view = current_view(self);
	TscSession *s;

	if (!view) {
		s = current_session(self);
		if (!s)
			return;
		view = tsc_window_open_session(self, s);
	}
	tsc_session_view_set_take_over(view, g_variant_get_boolean(value));
	update_actions(self);
}

static void activate_hangup(GSimpleAction *action, GVariant *param,
			    gpointer data)
{
	TscWindow *self = data;
	TscSession *s = current_session(self);

	if (s && tsc_session_is_live(s))
		confirm_hangup(self, s);
}

static void activate_message(GSimpleAction *action, GVariant *param,
			     gpointer data)
{
	TscWindow *self = data;
	TscSession *s = current_session(self);
	g_autoptr(GPtrArray) targets = NULL;

	if (!s || !tsc_session_is_live(s))
		return;
	targets = g_ptr_array_new_with_free_func(g_object_unref);
	g_ptr_array_add(targets, g_object_ref(s));
	compose_message(self, targets);
}

static void bulk_pass(TscWindow *self, gboolean block)
{
	g_autoptr(GPtrArray) list = listed_live_sessions(self);

	for (guint i = 0; i < list->len; i++) {
		TscSession *s = list->pdata[i];
		gboolean blocked = tsc_session_get_state(s) ==
				   TSC_SESSION_BLOCKED;

		if (blocked != block)
			session_request(
				self, s,
				block ? TSC_VERB_BLOCK : TSC_VERB_UNBLOCK, NULL,
				0, block ? _("Blocking") : _("Unblocking"));
	}
}

static void activate_block_all(GSimpleAction *action, GVariant *param,
			       gpointer data)
{
	bulk_pass(data, TRUE);
}

static void activate_unblock_all(GSimpleAction *action, GVariant *param,
				 gpointer data)
{
	bulk_pass(data, FALSE);
}

static void activate_message_all(GSimpleAction *action, GVariant *param,
				 gpointer data)
{
	TscWindow *self = data;
	g_autoptr(GPtrArray) list = listed_live_sessions(self);

	if (list->len)
		compose_message(self, list);
	else
		show_action_error(self, _("No live session in the list."));
}

static void activate_find(GSimpleAction *action, GVariant *param, gpointer data)
{
	TscWindow *self = data;

	gtk_widget_grab_focus(self->filter_entry);
}

static void activate_close_view(GSimpleAction *action, GVariant *param,
				gpointer data)
{
	TscWindow *self = data;
	TscSessionView *view = current_view(self);
	TscReplayView *replay = current_replay(self);

	if (view)
		close_view(self, view);
	else if (replay)
		gtk_widget_destroy(GTK_WIDGET(replay));
	update_actions(self);
}

/* ---- replay --------------------------------------------------------------- */

static void on_replay_tab_close(GtkButton *button, TscWindow *self)
{
	gtk_widget_destroy(g_object_get_data(G_OBJECT(button), "view"));
	update_actions(self);
}

/* Show @view (a TscReplayView) in a tab of its own, and make it current. */
void tsc_window_add_replay(TscWindow *self, GtkWidget *view)
{
	GtkWidget *tab = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 4);
	GtkWidget *icon = gtk_image_new_from_icon_name(
		"media-playback-start-symbolic", GTK_ICON_SIZE_MENU);
	GtkWidget *label =
		gtk_label_new(tsc_replay_view_get_title(TSC_REPLAY_VIEW(view)));
	GtkWidget *close = gtk_button_new_from_icon_name(
		"window-close-symbolic", GTK_ICON_SIZE_MENU);
	int page;

	gtk_button_set_relief(GTK_BUTTON(close), GTK_RELIEF_NONE);
	gtk_widget_set_tooltip_text(close, _("Close this replay"));
	g_object_set_data(G_OBJECT(close), "view", view);
	g_signal_connect(close, "clicked", G_CALLBACK(on_replay_tab_close),
			 self);
	gtk_box_pack_start(GTK_BOX(tab), icon, FALSE, FALSE, 0);
	gtk_box_pack_start(GTK_BOX(tab), label, TRUE, TRUE, 0);
	gtk_box_pack_start(GTK_BOX(tab), close, FALSE, FALSE, 0);
	gtk_widget_show_all(tab);
	page = gtk_notebook_append_page(GTK_NOTEBOOK(self->notebook), view,
					tab);
	gtk_notebook_set_tab_reorderable(GTK_NOTEBOOK(self->notebook), view,
					 TRUE);
	gtk_notebook_set_current_page(GTK_NOTEBOOK(self->notebook), page);
	gtk_widget_grab_focus(GTK_WIDGET(
		tsc_replay_view_get_terminal(TSC_REPLAY_VIEW(view))));
	update_actions(self);
}

/**
 * tsc_window_open_replay - replay a recording file in a new tab, playing
 * @path: a ttyscope log, an asciicast file or script's typescript
 * @timing: script's timing file, or NULL (see tsc_replay_view_load_file())
 *
 * Returns: (transfer none): the view, or NULL with @error set.
 */
TscReplayView *tsc_window_open_replay(TscWindow *self, const char *path,
				      const char *timing, GError **error)
{
	GtkWidget *view = tsc_replay_view_new_for_file(path, timing, error);

	if (!view)
		return NULL;
	tsc_window_add_replay(self, view);
	tsc_replay_view_play(TSC_REPLAY_VIEW(view));
	return TSC_REPLAY_VIEW(view);
}

struct open_ctx {
	TscWindow *window;
	char *path; /* a script recording whose timing file is asked for */
};

static void open_file(TscWindow *self, const char *path, const char *timing);

static void on_open_response(GtkNativeDialog *dialog, int response,
			     gpointer data)
{
	struct open_ctx *ctx = data;
	g_autofree char *path = NULL;

	if (response == GTK_RESPONSE_ACCEPT)
		path = gtk_file_chooser_get_filename(GTK_FILE_CHOOSER(dialog));
	if (path && ctx->path)
		open_file(ctx->window, ctx->path, path);
	else if (path)
		open_file(ctx->window, path, NULL);
	g_object_unref(dialog);
	g_object_unref(ctx->window);
	g_free(ctx->path);
	g_free(ctx);
}

/* Ask for a file: a recording, or (@script set) the timing file of one. */
static void choose_file(TscWindow *self, const char *script)
{
	GtkFileChooserNative *dialog = gtk_file_chooser_native_new(
		script ? _("Choose the Timing File of the Script Recording") :
			 _("Open Recording"),
		GTK_WINDOW(self), GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"),
		_("_Cancel"));
	struct open_ctx *ctx = g_new0(struct open_ctx, 1);

	ctx->window = g_object_ref(self);
	ctx->path = g_strdup(script);
	if (script) {
		g_autofree char *dir = g_path_get_dirname(script);

		gtk_file_chooser_set_current_folder(GTK_FILE_CHOOSER(dialog),
						    dir);
	}
	g_signal_connect(dialog, "response", G_CALLBACK(on_open_response), ctx);
	gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(dialog), TRUE);
	gtk_native_dialog_show(GTK_NATIVE_DIALOG(dialog));
}

static void open_file(TscWindow *self, const char *path, const char *timing)
{
	g_autoptr(GError) error = NULL;

	if (tsc_window_open_replay(self, path, timing, &error)) {
		show_action_error(self, NULL);
		return;
	}
	if (!timing && g_error_matches(error, TSC_REPLAY_ERROR,
				       TSC_REPLAY_ERROR_NEEDS_TIMING)) {
		choose_file(self, path);
		return;
	}
	show_action_error(self, error->message);
}

static void activate_open(GSimpleAction *action, GVariant *param, gpointer data)
{
	choose_file(data, NULL);
}

/* A marker in the current session, labelled from its view's entry. */
static void activate_mark(GSimpleAction *action, GVariant *param, gpointer data)
{
	TscSessionView *view = current_view(data);

	if (view)
		tsc_session_view_add_mark(view);
}

static void activate_show_overview(GSimpleAction *action, GVariant *param,
				   gpointer data)
{
	TscWindow *self = data;

	gtk_notebook_set_current_page(GTK_NOTEBOOK(self->notebook), 0);
}

static void set_tile_size(TscWindow *self, guint size)
{
	GHashTableIter it;
	gpointer v;

	self->tile_size = size;
	g_hash_table_iter_init(&it, self->tiles);
	while (g_hash_table_iter_next(&it, NULL, &v))
		tsc_tile_set_scale(v, tile_scales[size]);
	gtk_notebook_set_current_page(GTK_NOTEBOOK(self->notebook), 0);
	update_actions(self);
}

static void activate_tiles_smaller(GSimpleAction *action, GVariant *param,
				   gpointer data)
{
	TscWindow *self = data;

	if (self->tile_size > 0)
		set_tile_size(self, self->tile_size - 1);
}

static void activate_tiles_larger(GSimpleAction *action, GVariant *param,
				  gpointer data)
{
	TscWindow *self = data;

	if (self->tile_size + 1 < G_N_ELEMENTS(tile_scales))
		set_tile_size(self, self->tile_size + 1);
}

static void activate_tiles_default(GSimpleAction *action, GVariant *param,
				   gpointer data)
{
	set_tile_size(data, TILE_SIZE_DEFAULT);
}

static const GActionEntry win_actions[] = {
	{ "block", activate_block },
	{ "take-over", NULL, NULL, "false", change_take_over },
	{ "hangup", activate_hangup },
	{ "message", activate_message },
	{ "block-all", activate_block_all },
	{ "unblock-all", activate_unblock_all },
	{ "message-all", activate_message_all },
	{ "find", activate_find },
	{ "close-view", activate_close_view },
	{ "show-overview", activate_show_overview },
	{ "tiles-smaller", activate_tiles_smaller },
	{ "tiles-larger", activate_tiles_larger },
	{ "tiles-default", activate_tiles_default },
	{ "open", activate_open },
	{ "mark", activate_mark },
};

/* ---- the window ------------------------------------------------------------- */

static void tsc_window_dispose(GObject *object)
{
	TscWindow *self = TSC_WINDOW(object);

	g_clear_handle_id(&self->idle_timer, g_source_remove);
	if (self->sources) {
		for (guint i = 0; i < self->sources->len; i++)
			g_signal_handlers_disconnect_by_data(
				self->sources->pdata[i], self);
		g_clear_pointer(&self->sources, g_ptr_array_unref);
	}
	if (self->rows) {
		GHashTableIter it;
		gpointer k;

		g_hash_table_iter_init(&it, self->rows);
		while (g_hash_table_iter_next(&it, &k, NULL))
			g_signal_handlers_disconnect_by_data(k, self);
	}
	g_clear_pointer(&self->rows, g_hash_table_unref);
	g_clear_pointer(&self->tiles, g_hash_table_unref);
	g_clear_pointer(&self->views, g_hash_table_unref);
	g_clear_pointer(&self->bars, g_hash_table_unref);
	g_clear_object(&self->sort);
	g_clear_object(&self->filter);
	g_clear_object(&self->store);
	G_OBJECT_CLASS(tsc_window_parent_class)->dispose(object);
}

static void tsc_window_finalize(GObject *object)
{
	g_free(TSC_WINDOW(object)->filter_text);
	G_OBJECT_CLASS(tsc_window_parent_class)->finalize(object);
}

static void tsc_window_class_init(TscWindowClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	object_class->dispose = tsc_window_dispose;
	object_class->finalize = tsc_window_finalize;

	gtk_widget_class_set_template_from_resource(
		widget_class, "/org/ttyscope/Gui/tsc-window.ui");
	gtk_widget_class_bind_template_child(widget_class, TscWindow,
					     header_bar);
	gtk_widget_class_bind_template_child(widget_class, TscWindow,
					     source_bars);
	gtk_widget_class_bind_template_child(widget_class, TscWindow,
					     action_bar);
	gtk_widget_class_bind_template_child(widget_class, TscWindow,
					     action_label);
	gtk_widget_class_bind_template_child(widget_class, TscWindow,
					     filter_entry);
	gtk_widget_class_bind_template_child(widget_class, TscWindow,
					     session_list);
	gtk_widget_class_bind_template_child(widget_class, TscWindow, notebook);
	gtk_widget_class_bind_template_child(widget_class, TscWindow,
					     grid_stack);
	gtk_widget_class_bind_template_child(widget_class, TscWindow, grid);
	gtk_widget_class_bind_template_callback(widget_class,
						on_action_bar_response);
	gtk_widget_class_bind_template_callback(widget_class,
						on_filter_changed);
	gtk_widget_class_bind_template_callback(widget_class, on_row_activated);
	gtk_widget_class_bind_template_callback(widget_class, on_switch_page);
	gtk_widget_class_bind_template_callback(widget_class,
						on_tile_activated);
}

static void tsc_window_init(TscWindow *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	self->sources = g_ptr_array_new_with_free_func(g_object_unref);
	self->rows = g_hash_table_new_full(NULL, NULL, NULL, g_free);
	self->tiles = g_hash_table_new(NULL, NULL);
	self->views = g_hash_table_new(NULL, NULL);
	self->bars = g_hash_table_new(NULL, NULL);
	g_action_map_add_action_entries(G_ACTION_MAP(self), win_actions,
					G_N_ELEMENTS(win_actions), self);
	self->tile_size = TILE_SIZE_DEFAULT;
	setup_list(self);
	gtk_flow_box_set_sort_func(GTK_FLOW_BOX(self->grid), tile_sort, NULL,
				   NULL);
	gtk_flow_box_set_filter_func(GTK_FLOW_BOX(self->grid), tile_filter,
				     self, NULL);
	g_signal_connect(
		gtk_tree_view_get_selection(GTK_TREE_VIEW(self->session_list)),
		"changed", G_CALLBACK(on_selection_changed), self);
	update_grid_page(self);
	update_actions(self);
	update_subtitle(self);
}

GtkWidget *tsc_window_new(GtkApplication *app)
{
	return g_object_new(TSC_TYPE_WINDOW, "application", app, NULL);
}
