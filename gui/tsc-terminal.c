// SPDX-License-Identifier: GPL-2.0-only
/*
 * TscTerminal: a VteTerminal subclass that mirrors a captured tty.
 *
 * VTE parses fed bytes later, in its own update pass, so a resize applied
 * with vte_terminal_set_size() between two feeds would take effect before
 * the bytes fed first. Resizes therefore travel in the byte stream, as
 * the xterm window operation CSI 8 ; rows ; cols t, which VTE turns into
 * "resize-window" while parsing, in order. Our handler applies only the
 * sizes we queued ourselves; a program in the session asking the user's
 * terminal for another size does not change the mirror.
 */
#include <string.h>

#include "tsc-terminal.h"

#define SCROLLBACK_LINES 10000

struct _TscTerminal {
	VteTerminal parent_instance;

	gboolean compact;
	TscSession *session;
	gulong output_id, resize_id, reset_id;
	GQueue resizes; /* sizes fed as CSI 8 t, not yet applied */
	gboolean fed; /* bytes were fed since the last clear */
	guint user_input; /* inside a key press */
};

G_DEFINE_FINAL_TYPE(TscTerminal, tsc_terminal, VTE_TYPE_TERMINAL)

enum { SIG_USER_INPUT, N_SIGNALS };
static guint signals[N_SIGNALS];

#define PACK(rows, cols) GUINT_TO_POINTER(((rows) << 16) | (cols))

/* Tango, on a dark background. */
static const GdkRGBA palette[16] = {
	{ 0.180, 0.204, 0.212, 1 }, { 0.800, 0.000, 0.000, 1 },
	{ 0.306, 0.604, 0.024, 1 }, { 0.769, 0.627, 0.000, 1 },
	{ 0.204, 0.396, 0.643, 1 }, { 0.459, 0.314, 0.482, 1 },
	{ 0.024, 0.596, 0.604, 1 }, { 0.827, 0.843, 0.812, 1 },
	{ 0.333, 0.341, 0.325, 1 }, { 0.937, 0.161, 0.161, 1 },
	{ 0.541, 0.886, 0.204, 1 }, { 0.988, 0.914, 0.310, 1 },
	{ 0.447, 0.624, 0.812, 1 }, { 0.678, 0.498, 0.659, 1 },
	{ 0.204, 0.886, 0.886, 1 }, { 0.933, 0.933, 0.925, 1 },
};
static const GdkRGBA foreground = { 0.827, 0.843, 0.812, 1 };
static const GdkRGBA background = { 0.118, 0.125, 0.129, 1 };

/* Clear the screen and the scrollback; the next size applies at once. */
void tsc_terminal_clear(TscTerminal *self)
{
	static const char erase[] = "\033[H\033[2J\033[3J";

	/* a reset keeps the screen's text: erase it too, in order */
	vte_terminal_reset(VTE_TERMINAL(self), TRUE, TRUE);
	vte_terminal_feed(VTE_TERMINAL(self), erase, sizeof(erase) - 1);
	g_queue_clear(&self->resizes);
	self->fed = FALSE;
}

void tsc_terminal_feed_output(TscTerminal *self, const void *data, gsize len)
{
	if (!len)
		return;
	self->fed = TRUE;
	vte_terminal_feed(VTE_TERMINAL(self), data, (gssize)len);
}

/* The tty's window size changes here, after the output fed so far. */
void tsc_terminal_feed_resize(TscTerminal *self, guint rows, guint cols)
{
	char seq[32];
	int n;

	if (!rows || !cols || rows > 0xffff || cols > 0xffff)
		return;
	if (!self->fed) {
		vte_terminal_set_size(VTE_TERMINAL(self), cols, rows);
		return;
	}
	g_queue_push_tail(&self->resizes, PACK(rows, cols));
	n = g_snprintf(seq, sizeof(seq), "\033[8;%u;%ut", rows, cols);
	vte_terminal_feed(VTE_TERMINAL(self), seq, n);
}

static void tsc_terminal_resize_window(VteTerminal *terminal, guint width,
				       guint height)
{
	TscTerminal *self = TSC_TERMINAL(terminal);

	if (g_queue_is_empty(&self->resizes) ||
	    g_queue_peek_head(&self->resizes) != PACK(height, width))
		return; /* a program's request: the tty's size did not change */
	g_queue_pop_head(&self->resizes);
	vte_terminal_set_size(terminal, width, height);
}

static void replay_chunk(guint rows, guint cols, const guint8 *data, gsize len,
			 gpointer user_data)
{
	TscTerminal *self = user_data;

	tsc_terminal_feed_resize(self, rows, cols);
	tsc_terminal_feed_output(self, data, len);
}

/* Draw the session's retained output from a clear screen. */
static void prime(TscTerminal *self)
{
	tsc_terminal_clear(self);
	tsc_terminal_feed_resize(self, tsc_session_get_rows(self->session),
				 tsc_session_get_cols(self->session));
	tsc_session_foreach_chunk(self->session, replay_chunk, self);
	tsc_terminal_feed_resize(self, tsc_session_get_rows(self->session),
				 tsc_session_get_cols(self->session));
}

static void on_output(TscSession *session, GBytes *bytes, gpointer data)
{
	gsize len;
	const guint8 *p = g_bytes_get_data(bytes, &len);

	tsc_terminal_feed_output(data, p, len);
}

static void on_resize(TscSession *session, guint rows, guint cols,
		      gpointer data)
{
	tsc_terminal_feed_resize(data, rows, cols);
}

static void on_reset(TscSession *session, gpointer data)
{
	prime(data);
}

/* Mirror @session from its retained output on; NULL detaches. */
void tsc_terminal_set_session(TscTerminal *self, TscSession *session)
{
	if (self->session == session)
		return;
	if (self->session) {
		g_clear_signal_handler(&self->output_id, self->session);
		g_clear_signal_handler(&self->resize_id, self->session);
		g_clear_signal_handler(&self->reset_id, self->session);
		g_clear_object(&self->session);
	}
	if (!session)
		return;
	self->session = g_object_ref(session);
	prime(self);
	self->output_id = g_signal_connect(session, "output",
					   G_CALLBACK(on_output), self);
	self->resize_id = g_signal_connect(session, "resize",
					   G_CALLBACK(on_resize), self);
	self->reset_id =
		g_signal_connect(session, "reset", G_CALLBACK(on_reset), self);
}

TscSession *tsc_terminal_get_session(TscTerminal *self)
{
	return self->session;
}

/* The visible text, as vte_terminal_get_text() gives it. */
char *tsc_terminal_dup_text(TscTerminal *self)
{
	return vte_terminal_get_text(VTE_TERMINAL(self), NULL, NULL, NULL);
}

static void emit_user_input(TscTerminal *self, const char *text, gsize len)
{
	g_autoptr(GBytes) bytes = NULL;

	if (!len)
		return;
	bytes = g_bytes_new(text, len);
	g_signal_emit(self, signals[SIG_USER_INPUT], 0, bytes);
}

/*
 * Only text typed in a key press is the operator's; the rest are answers
 * to queries in the output. (VTE's "commit" has no class handler slot.)
 */
static void on_commit(VteTerminal *terminal, const char *text, guint size,
		      gpointer data)
{
	TscTerminal *self = TSC_TERMINAL(terminal);

	if (self->user_input)
		emit_user_input(self, text, size);
}

static gboolean tsc_terminal_key_press(GtkWidget *widget, GdkEventKey *event)
{
	TscTerminal *self = TSC_TERMINAL(widget);
	gboolean handled;

	if (self->compact)
		return FALSE;
	self->user_input++;
	handled = GTK_WIDGET_CLASS(tsc_terminal_parent_class)
			  ->key_press_event(widget, event);
	self->user_input--;
	return handled;
}

static void on_paste_text(GtkClipboard *clipboard, const char *text,
			  gpointer data)
{
	TscTerminal *self = data;

	if (text && vte_terminal_get_input_enabled(VTE_TERMINAL(self)))
		emit_user_input(self, text, strlen(text));
	g_object_unref(self);
}

static void paste_from(TscTerminal *self, GdkAtom selection)
{
	GtkClipboard *cb =
		gtk_widget_get_clipboard(GTK_WIDGET(self), selection);

	gtk_clipboard_request_text(cb, on_paste_text, g_object_ref(self));
}

static void tsc_terminal_paste_clipboard(VteTerminal *terminal)
{
	paste_from(TSC_TERMINAL(terminal), GDK_SELECTION_CLIPBOARD);
}

static gboolean tsc_terminal_button_press(GtkWidget *widget,
					  GdkEventButton *event)
{
	TscTerminal *self = TSC_TERMINAL(widget);

	if (self->compact)
		return FALSE; /* a tile: the click opens the session */
	if (event->type == GDK_BUTTON_PRESS && event->button == 2) {
		if (vte_terminal_get_input_enabled(VTE_TERMINAL(self)))
			paste_from(self, GDK_SELECTION_PRIMARY);
		return TRUE;
	}
	return GTK_WIDGET_CLASS(tsc_terminal_parent_class)
		->button_press_event(widget, event);
}

/* Never narrower or lower than the tty: VTE would resize to fit. */
static void tsc_terminal_get_preferred_width(GtkWidget *widget, int *minimum,
					     int *natural)
{
	GTK_WIDGET_CLASS(tsc_terminal_parent_class)
		->get_preferred_width(widget, minimum, natural);
	*minimum = *natural;
}

static void tsc_terminal_get_preferred_height(GtkWidget *widget, int *minimum,
					      int *natural)
{
	GTK_WIDGET_CLASS(tsc_terminal_parent_class)
		->get_preferred_height(widget, minimum, natural);
	*minimum = *natural;
}

static void tsc_terminal_dispose(GObject *object)
{
	tsc_terminal_set_session(TSC_TERMINAL(object), NULL);
	G_OBJECT_CLASS(tsc_terminal_parent_class)->dispose(object);
}

static void tsc_terminal_finalize(GObject *object)
{
	g_queue_clear(&TSC_TERMINAL(object)->resizes);
	G_OBJECT_CLASS(tsc_terminal_parent_class)->finalize(object);
}

static void tsc_terminal_class_init(TscTerminalClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
	VteTerminalClass *vte_class = VTE_TERMINAL_CLASS(klass);

	object_class->dispose = tsc_terminal_dispose;
	object_class->finalize = tsc_terminal_finalize;
	widget_class->key_press_event = tsc_terminal_key_press;
	widget_class->button_press_event = tsc_terminal_button_press;
	widget_class->get_preferred_width = tsc_terminal_get_preferred_width;
	widget_class->get_preferred_height = tsc_terminal_get_preferred_height;
	vte_class->resize_window = tsc_terminal_resize_window;
	vte_class->paste_clipboard = tsc_terminal_paste_clipboard;

	/* Bytes the operator typed or pasted (input must be enabled). */
	signals[SIG_USER_INPUT] = g_signal_new(
		"user-input", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
		NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BYTES);
}

static void tsc_terminal_init(TscTerminal *self)
{
	VteTerminal *vte = VTE_TERMINAL(self);

	g_queue_init(&self->resizes);
	g_signal_connect(self, "commit", G_CALLBACK(on_commit), NULL);
	vte_terminal_set_colors(vte, &foreground, &background, palette,
				G_N_ELEMENTS(palette));
	/* nothing blinks: an idle terminal costs no CPU */
	vte_terminal_set_cursor_blink_mode(vte, VTE_CURSOR_BLINK_OFF);
	vte_terminal_set_text_blink_mode(vte, VTE_TEXT_BLINK_NEVER);
	vte_terminal_set_audible_bell(vte, FALSE);
	vte_terminal_set_allow_hyperlink(vte, FALSE);
	vte_terminal_set_input_enabled(vte, FALSE);
	vte_terminal_set_scrollback_lines(vte, SCROLLBACK_LINES);
	gtk_widget_set_halign(GTK_WIDGET(self), GTK_ALIGN_START);
	gtk_widget_set_valign(GTK_WIDGET(self), GTK_ALIGN_START);
}

/**
 * tsc_terminal_new - a terminal for a full view, or a @compact one
 * @compact: a grid tile: no scrollback, no focus, and clicks go to the
 *	parent (the tile scales its font)
 */
GtkWidget *tsc_terminal_new(gboolean compact)
{
	TscTerminal *self = g_object_new(TSC_TYPE_TERMINAL, NULL);

	self->compact = compact;
	if (compact) {
		vte_terminal_set_scrollback_lines(VTE_TERMINAL(self), 0);
		gtk_widget_set_can_focus(GTK_WIDGET(self), FALSE);
		vte_terminal_set_mouse_autohide(VTE_TERMINAL(self), FALSE);
	}
	return GTK_WIDGET(self);
}
