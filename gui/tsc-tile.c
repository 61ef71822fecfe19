// SPDX-License-Identifier: GPL-2.0-only
/*
 * TscTile: a grid tile. The activity highlight is a CSS class set on
 * output and cleared by a one-shot timer ACTIVITY_MS after the last
 * output; an idle tile has no timer.
 */
#include <glib/gi18n.h>

#include "tsc-tile.h"

#define ACTIVITY_MS 1500
#define TILE_MIN_WIDTH 240 /* at TSC_TILE_SCALE_DEFAULT */

struct _TscTile {
	GtkFlowBoxChild parent_instance;

	TscSession *session;
	GtkWidget *title;
	GtkWidget *state;
	TscTerminal *terminal;
	gulong changed_id, output_id;
	gint64 last_output;
	guint activity_id;
};

G_DEFINE_FINAL_TYPE(TscTile, tsc_tile, GTK_TYPE_FLOW_BOX_CHILD)

static void update(TscTile *self)
{
	TscSessionState st = tsc_session_get_state(self->session);
	GtkStyleContext *ctx = gtk_widget_get_style_context(GTK_WIDGET(self));
	g_autofree char *title = NULL;
	const char *user = tsc_session_get_user(self->session);

	/* Translators: grid tile header: host, tty, user, command */
	title = g_strdup_printf(_("%s · %s · %s · %s"),
				tsc_session_get_host(self->session),
				tsc_session_get_tty(self->session),
				user[0] ? user : "?",
				tsc_session_get_command(self->session));
	gtk_label_set_text(GTK_LABEL(self->title), title);
	gtk_label_set_text(GTK_LABEL(self->state),
			   tsc_session_state_to_string(st));
	if (st == TSC_SESSION_BLOCKED)
		gtk_style_context_add_class(ctx, "blocked");
	else
		gtk_style_context_remove_class(ctx, "blocked");
}

static gboolean activity_done(gpointer data)
{
	TscTile *self = data;
	gint64 left =
		self->last_output + ACTIVITY_MS * 1000 - g_get_monotonic_time();

	if (left > 1000) {
		self->activity_id = g_timeout_add((guint)(left / 1000) + 1,
						  activity_done, self);
		return G_SOURCE_REMOVE;
	}
	self->activity_id = 0;
	gtk_style_context_remove_class(
		gtk_widget_get_style_context(GTK_WIDGET(self)), "active");
	return G_SOURCE_REMOVE;
}

static void on_output(TscSession *session, GBytes *bytes, gpointer data)
{
	TscTile *self = data;

	self->last_output = g_get_monotonic_time();
	if (self->activity_id)
		return;
	gtk_style_context_add_class(
		gtk_widget_get_style_context(GTK_WIDGET(self)), "active");
	self->activity_id = g_timeout_add(ACTIVITY_MS, activity_done, self);
}

static void on_changed(TscSession *session, gpointer data)
{
	update(data);
}

TscSession *tsc_tile_get_session(TscTile *self)
{
	return self->session;
}

TscTerminal *tsc_tile_get_terminal(TscTile *self)
{
	return self->terminal;
}

/*
 * Scale the tile's terminal font by @scale (TSC_TILE_SCALE_DEFAULT: the
 * usual size); its least width, room for the header of a narrow tty,
 * follows.
 */
void tsc_tile_set_scale(TscTile *self, double scale)
{
	vte_terminal_set_font_scale(VTE_TERMINAL(self->terminal), scale);
	gtk_widget_set_size_request(
		GTK_WIDGET(self),
		(int)(TILE_MIN_WIDTH * scale / TSC_TILE_SCALE_DEFAULT), -1);
}

double tsc_tile_get_scale(TscTile *self)
{
	return vte_terminal_get_font_scale(VTE_TERMINAL(self->terminal));
}

/* Output arrived in the last ACTIVITY_MS. */
gboolean tsc_tile_get_active(TscTile *self)
{
	return self->activity_id != 0;
}

static void tsc_tile_dispose(GObject *object)
{
	TscTile *self = TSC_TILE(object);

	g_clear_handle_id(&self->activity_id, g_source_remove);
	if (self->session) {
		g_clear_signal_handler(&self->changed_id, self->session);
		g_clear_signal_handler(&self->output_id, self->session);
		g_clear_object(&self->session);
	}
	G_OBJECT_CLASS(tsc_tile_parent_class)->dispose(object);
}

static void tsc_tile_class_init(TscTileClass *klass)
{
	G_OBJECT_CLASS(klass)->dispose = tsc_tile_dispose;
}

static void tsc_tile_init(TscTile *self)
{
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
	GtkWidget *header = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);

	self->title = gtk_label_new(NULL);
	gtk_label_set_ellipsize(GTK_LABEL(self->title), PANGO_ELLIPSIZE_END);
	/* the terminal, not the header, sets the width of the tile */
	gtk_label_set_max_width_chars(GTK_LABEL(self->title), 1);
	gtk_label_set_xalign(GTK_LABEL(self->title), 0);
	gtk_widget_set_hexpand(self->title, TRUE);
	self->state = gtk_label_new(NULL);
	gtk_style_context_add_class(gtk_widget_get_style_context(self->state),
				    "state");
	gtk_box_pack_start(GTK_BOX(header), self->title, TRUE, TRUE, 0);
	gtk_box_pack_end(GTK_BOX(header), self->state, FALSE, FALSE, 0);
	self->terminal = TSC_TERMINAL(tsc_terminal_new(TRUE));
	gtk_box_pack_start(GTK_BOX(box), header, FALSE, FALSE, 0);
	gtk_box_pack_start(GTK_BOX(box), GTK_WIDGET(self->terminal), FALSE,
			   FALSE, 0);
	gtk_container_add(GTK_CONTAINER(self), box);
	gtk_style_context_add_class(
		gtk_widget_get_style_context(GTK_WIDGET(self)), "tsc-tile");
	gtk_widget_set_valign(GTK_WIDGET(self), GTK_ALIGN_START);
	gtk_widget_set_halign(GTK_WIDGET(self), GTK_ALIGN_START);
	gtk_widget_show_all(box);
}

/* A tile for @session, its font scaled by @scale (tsc_tile_set_scale()). */
GtkWidget *tsc_tile_new(TscSession *session, double scale)
{
	TscTile *self = g_object_new(TSC_TYPE_TILE, NULL);

	tsc_tile_set_scale(self, scale);
	self->session = g_object_ref(session);
	tsc_terminal_set_session(self->terminal, session);
	self->changed_id = g_signal_connect(session, "changed",
					    G_CALLBACK(on_changed), self);
	self->output_id = g_signal_connect(session, "output",
					   G_CALLBACK(on_output), self);
	update(self);
	return GTK_WIDGET(self);
}
