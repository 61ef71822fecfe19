// SPDX-License-Identifier: GPL-2.0-only
/*
 * TscSessionView: the full view of a session (tsc-session-view.ui).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <glib/gi18n.h>

#include "tsc-proto.h"
#include "tsc-replay-view.h"
#include "tsc-session-view.h"
#include "tsc-source.h"

struct _TscSessionView {
	GtkBox parent_instance;

	TscSession *session;
	TscTerminal *terminal;
	gulong changed_id;
	gboolean take_over;
	GCancellable *cancellable;
	TscReplayView *rewind; /* the recent past, while rewound */
	guint64 rewind_next; /* serial of the next record it needs */

	/* template children */
	GtkWidget *title_label;
	GtkWidget *state_label;
	GtkWidget *block_button;
	GtkWidget *terminal_box;
	GtkWidget *scrollbar;
	GtkWidget *input_label;
	GtkWidget *status_label;
	GtkWidget *notice_label;
	GtkWidget *view_stack;
	GtkWidget *rewind_button;
	GtkWidget *live_button;
	GtkWidget *mark_entry;
};

G_DEFINE_FINAL_TYPE(TscSessionView, tsc_session_view, GTK_TYPE_BOX)

enum { PROP_0, PROP_TAKE_OVER, N_PROPS };
static GParamSpec *props[N_PROPS];

static void set_class(GtkWidget *w, const char *name, gboolean on)
{
	GtkStyleContext *ctx = gtk_widget_get_style_context(w);

	if (on)
		gtk_style_context_add_class(ctx, name);
	else
		gtk_style_context_remove_class(ctx, name);
}

static void update(TscSessionView *self)
{
	TscSession *s = self->session;
	TscSessionState st = tsc_session_get_state(s);
	g_autofree char *title = tsc_session_dup_title(s);
	g_autofree char *size = g_format_size(tsc_session_get_bytes(s));
	g_autofree char *latency = NULL;
	g_autofree char *status = NULL;
	gint64 lat = tsc_session_get_latency(s);
	const char *command = tsc_session_get_command(s);

	if (command[0]) {
		g_autofree char *t = g_strdup_printf("%s — %s", title, command);

		gtk_label_set_text(GTK_LABEL(self->title_label), t);
	} else {
		gtk_label_set_text(GTK_LABEL(self->title_label), title);
	}
	gtk_label_set_text(GTK_LABEL(self->state_label),
			   tsc_session_state_to_string(st));
	set_class(self->state_label, "blocked", st == TSC_SESSION_BLOCKED);
	set_class(self->state_label, "closed",
		  st == TSC_SESSION_CLOSED || st == TSC_SESSION_DISCONNECTED);

	switch (st) {
	case TSC_SESSION_LIVE:
		gtk_label_set_text(GTK_LABEL(self->input_label),
				   _("User input passes"));
		break;
	case TSC_SESSION_BLOCKED:
		gtk_label_set_text(GTK_LABEL(self->input_label),
				   _("User input BLOCKED"));
		break;
	case TSC_SESSION_CLOSED:
		gtk_label_set_text(GTK_LABEL(self->input_label),
				   _("Session closed"));
		break;
	case TSC_SESSION_DISCONNECTED:
		gtk_label_set_text(GTK_LABEL(self->input_label),
				   _("Disconnected — showing the last screen"));
		break;
	}
	set_class(self->input_label, "blocked", st == TSC_SESSION_BLOCKED);
	gtk_button_set_label(GTK_BUTTON(self->block_button),
			     st == TSC_SESSION_BLOCKED ? _("_Unblock Input") :
							 _("_Block Input"));
	set_class(self->input_label, "closed",
		  st == TSC_SESSION_CLOSED || st == TSC_SESSION_DISCONNECTED);

	if (lat < 0)
		latency = g_strdup(_("latency —"));
	else if (tsc_session_get_latency_is_local(s))
		/* Translators: the host's clock differs: only our part */
		latency = g_strdup_printf(_("latency ≥ %.1f ms"),
					  (double)lat / 1000.0);
	else
		latency = g_strdup_printf(_("latency %.1f ms"),
					  (double)lat / 1000.0);
	/* Translators: columns×rows · bytes · lost records · latency */
	status = g_strdup_printf(_("%u×%u · %s · %" PRIu64 " lost · %s"),
				 tsc_session_get_cols(s),
				 tsc_session_get_rows(s), size,
				 tsc_session_get_lost(s), latency);
	gtk_label_set_text(GTK_LABEL(self->status_label), status);

	if (self->take_over && !tsc_session_is_live(s))
		tsc_session_view_set_take_over(self, FALSE);
}

/* While rewound, the replay's recording grows with the live session. */
static void rewind_catch_up(TscSessionView *self)
{
	g_autoptr(GBytes) more = NULL;

	if (!self->rewind)
		return;
	more = tsc_session_dup_records(self->session, &self->rewind_next);
	if (g_bytes_get_size(more))
		tsc_replay_view_append_records(self->rewind, more);
}

static void on_changed(TscSession *session, gpointer data)
{
	update(data);
	rewind_catch_up(data);
}

/**
 * tsc_session_view_rewind - replay the session's recent past (time-shift)
 *
 * The live terminal goes on being fed, hidden; the replay view shows the
 * records the session retained (tsc_session_dup_records()), paused at the
 * start, and takes the new ones as they come.
 *
 * Returns: (transfer none): the replay view.
 */
TscReplayView *tsc_session_view_rewind(TscSessionView *self)
{
	struct tsc_recording rec = { 0 };
	g_autoptr(GBytes) records = NULL;
	g_autofree char *title = NULL, *name = NULL;
	gsize len;
	const guint8 *p;

	if (self->rewind)
		return self->rewind;
	self->rewind_next = 0;
	records = tsc_session_dup_records(self->session, &self->rewind_next);
	p = g_bytes_get_data(records, &len);
	tsc_recording_load_stream(&rec, p, len);
	name = tsc_session_dup_title(self->session);
	/* Translators: the title of a session's recent past */
	title = g_strdup_printf(_("%s (recent past)"), name);
	self->rewind = TSC_REPLAY_VIEW(tsc_replay_view_new());
	gtk_widget_set_name(GTK_WIDGET(self->rewind), "rewind-view");
	tsc_replay_view_take_recording(self->rewind, &rec, title);
	tsc_recording_free(&rec);
	gtk_stack_add_named(GTK_STACK(self->view_stack),
			    GTK_WIDGET(self->rewind), "rewind");
	gtk_widget_show(GTK_WIDGET(self->rewind));
	gtk_stack_set_visible_child_name(GTK_STACK(self->view_stack), "rewind");
	gtk_widget_hide(self->rewind_button);
	gtk_widget_show(self->live_button);
	gtk_widget_grab_focus(
		GTK_WIDGET(tsc_replay_view_get_terminal(self->rewind)));
	tsc_session_view_show_notice(
		self, _("Rewound: the session goes on; Live shows it again"));
	return self->rewind;
}

/* Back to the live terminal; the replay of the recent past is dropped. */
void tsc_session_view_go_live(TscSessionView *self)
{
	if (!self->rewind)
		return;
	gtk_stack_set_visible_child_name(GTK_STACK(self->view_stack), "live");
	gtk_widget_destroy(GTK_WIDGET(self->rewind));
	self->rewind = NULL;
	gtk_widget_show(self->rewind_button);
	gtk_widget_hide(self->live_button);
	tsc_session_view_show_notice(self, NULL);
}

/* The replay of the recent past while rewound, else NULL. */
TscReplayView *tsc_session_view_get_rewind(TscSessionView *self)
{
	return self->rewind;
}

static void on_rewind_clicked(GtkButton *button, TscSessionView *self)
{
	tsc_session_view_rewind(self);
}

static void on_live_clicked(GtkButton *button, TscSessionView *self)
{
	tsc_session_view_go_live(self);
}

/**
 * tsc_session_view_add_mark - set a marker in the session now
 *
 * Labelled with the text of the view's marker entry, which is cleared.
 * Goes into the session's log if one is recorded (--record) and into its
 * recent past; a notice tells which.
 */
void tsc_session_view_add_mark(TscSessionView *self)
{
	const char *label = gtk_entry_get_text(GTK_ENTRY(self->mark_entry));
	int r = tsc_session_add_mark(self->session, label);
	g_autofree char *msg = NULL;

	gtk_entry_set_text(GTK_ENTRY(self->mark_entry), "");
	if (r == 0)
		msg = g_strdup(_("Marker set in the session’s log"));
	else if (r == -ENOTCONN)
		msg = g_strdup(
			_("Marker set (no log is recorded: see --record)"));
	else
		msg = g_strdup_printf(_("Marker not written to the log: %s"),
				      g_strerror(-r));
	tsc_session_view_show_notice(self, msg);
	rewind_catch_up(self);
}

static void on_mark_entry_activate(GtkEntry *entry, TscSessionView *self)
{
	tsc_session_view_add_mark(self);
}

/* Show a short note in the status bar (results of actions). */
void tsc_session_view_show_notice(TscSessionView *self, const char *text)
{
	gtk_label_set_text(GTK_LABEL(self->notice_label), text);
	gtk_widget_set_visible(self->notice_label, text && text[0]);
}

static void on_inject_done(GObject *object, GAsyncResult *result, gpointer data)
{
	g_autoptr(TscSessionView) self = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) reply = NULL;
	guint32 accepted;
	gsize len;
	const guint8 *p;

	reply = tsc_source_request_finish(TSC_SOURCE(object), result, &error);
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	if (!reply) {
		g_autofree char *msg =
			g_strdup_printf(_("Typing into the session failed: %s"),
					error->message);

		tsc_session_view_show_notice(self, msg);
		return;
	}
	p = g_bytes_get_data(reply, &len);
	if (len != sizeof(accepted))
		return;
	memcpy(&accepted, p, sizeof(accepted));
	if (GUINT32_FROM_LE(accepted) == 0)
		tsc_session_view_show_notice(
			self,
			_("The session’s input buffer is full: keystrokes were lost"));
}

static void on_user_input(TscTerminal *terminal, GBytes *bytes, gpointer data)
{
	TscSessionView *self = data;
	TscSource *source = tsc_session_get_source(self->session);
	gsize len;
	const guint8 *p = g_bytes_get_data(bytes, &len);

	if (!self->take_over || !source || !tsc_session_is_live(self->session))
		return;
	tsc_source_request_async(source, TSC_VERB_INJECT, 0,
				 tsc_session_get_major(self->session),
				 tsc_session_get_minor(self->session), p, len,
				 self->cancellable, on_inject_done,
				 g_object_ref(self));
}

TscSession *tsc_session_view_get_session(TscSessionView *self)
{
	return self->session;
}

TscTerminal *tsc_session_view_get_terminal(TscSessionView *self)
{
	return self->terminal;
}

gboolean tsc_session_view_get_take_over(TscSessionView *self)
{
	return self->take_over;
}

/* Type into the session: keystrokes in the terminal become INJECTs. */
void tsc_session_view_set_take_over(TscSessionView *self, gboolean take_over)
{
	take_over = take_over && tsc_session_is_live(self->session);
	if (self->take_over == take_over)
		return;
	self->take_over = take_over;
	vte_terminal_set_input_enabled(VTE_TERMINAL(self->terminal), take_over);
	set_class(GTK_WIDGET(self), "take-over", take_over);
	if (take_over) {
		gtk_widget_grab_focus(GTK_WIDGET(self->terminal));
		tsc_session_view_show_notice(
			self, _("You are typing into this session"));
	} else {
		tsc_session_view_show_notice(self, NULL);
	}
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_TAKE_OVER]);
}

static void tsc_session_view_get_property(GObject *object, guint id,
					  GValue *value, GParamSpec *pspec)
{
	TscSessionView *self = TSC_SESSION_VIEW(object);

	switch (id) {
	case PROP_TAKE_OVER:
		g_value_set_boolean(value, self->take_over);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
	}
}

static void tsc_session_view_set_property(GObject *object, guint id,
					  const GValue *value,
					  GParamSpec *pspec)
{
	TscSessionView *self = TSC_SESSION_VIEW(object);

	switch (id) {
	case PROP_TAKE_OVER:
		tsc_session_view_set_take_over(self,
					       g_value_get_boolean(value));
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
	}
}

static void tsc_session_view_dispose(GObject *object)
{
	TscSessionView *self = TSC_SESSION_VIEW(object);

	if (self->cancellable)
		g_cancellable_cancel(self->cancellable);
	g_clear_object(&self->cancellable);
	if (self->session) {
		g_clear_signal_handler(&self->changed_id, self->session);
		g_clear_object(&self->session);
	}
	G_OBJECT_CLASS(tsc_session_view_parent_class)->dispose(object);
}

static void tsc_session_view_class_init(TscSessionViewClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	object_class->dispose = tsc_session_view_dispose;
	object_class->get_property = tsc_session_view_get_property;
	object_class->set_property = tsc_session_view_set_property;

	props[PROP_TAKE_OVER] = g_param_spec_boolean(
		"take-over", NULL, NULL, FALSE,
		G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
			G_PARAM_EXPLICIT_NOTIFY);
	g_object_class_install_properties(object_class, N_PROPS, props);

	gtk_widget_class_set_template_from_resource(
		widget_class, "/org/ttyscope/Gui/tsc-session-view.ui");
	gtk_widget_class_bind_template_child(widget_class, TscSessionView,
					     title_label);
	gtk_widget_class_bind_template_child(widget_class, TscSessionView,
					     state_label);
	gtk_widget_class_bind_template_child(widget_class, TscSessionView,
					     block_button);
	gtk_widget_class_bind_template_child(widget_class, TscSessionView,
					     terminal_box);
	gtk_widget_class_bind_template_child(widget_class, TscSessionView,
					     scrollbar);
	gtk_widget_class_bind_template_child(widget_class, TscSessionView,
					     input_label);
	gtk_widget_class_bind_template_child(widget_class, TscSessionView,
					     status_label);
	gtk_widget_class_bind_template_child(widget_class, TscSessionView,
					     notice_label);
	gtk_widget_class_bind_template_child(widget_class, TscSessionView,
					     view_stack);
	gtk_widget_class_bind_template_child(widget_class, TscSessionView,
					     rewind_button);
	gtk_widget_class_bind_template_child(widget_class, TscSessionView,
					     live_button);
	gtk_widget_class_bind_template_child(widget_class, TscSessionView,
					     mark_entry);
	gtk_widget_class_bind_template_callback(widget_class,
						on_rewind_clicked);
	gtk_widget_class_bind_template_callback(widget_class, on_live_clicked);
	gtk_widget_class_bind_template_callback(widget_class,
						on_mark_entry_activate);
}

static void tsc_session_view_init(TscSessionView *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	self->cancellable = g_cancellable_new();
	self->terminal = TSC_TERMINAL(tsc_terminal_new(FALSE));
	gtk_widget_set_name(GTK_WIDGET(self->terminal), "session-terminal");
	gtk_box_pack_start(GTK_BOX(self->terminal_box),
			   GTK_WIDGET(self->terminal), FALSE, FALSE, 0);
	gtk_widget_show(GTK_WIDGET(self->terminal));
	gtk_range_set_adjustment(
		GTK_RANGE(self->scrollbar),
		gtk_scrollable_get_vadjustment(GTK_SCROLLABLE(self->terminal)));
	g_signal_connect(self->terminal, "user-input",
			 G_CALLBACK(on_user_input), self);
}

GtkWidget *tsc_session_view_new(TscSession *session)
{
	TscSessionView *self = g_object_new(TSC_TYPE_SESSION_VIEW, NULL);

	self->session = g_object_ref(session);
	tsc_terminal_set_session(self->terminal, session);
	self->changed_id = g_signal_connect(session, "changed",
					    G_CALLBACK(on_changed), self);
	update(self);
	return GTK_WIDGET(self);
}
