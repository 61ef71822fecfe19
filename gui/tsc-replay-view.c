// SPDX-License-Identifier: GPL-2.0-only
/*
 * TscReplayView: the replay of a recording (tsc-replay-view.ui).
 *
 * The records shown so far are [0, pos) of the recording; the screen is
 * what they drew. Playback asks libttyscope's scheduler (tsc-replay.h)
 * when the next record is due and waits for it with one GLib timeout;
 * pausing removes the timeout. Seeking goes to "every record up to a
 * time": forward by feeding the records in between, backward by resetting
 * the terminal and feeding from the restart point before the target.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "tsc-replay-view.h"
#include "tsc-replay.h"

#define SEC 1000000000ull
#define SEEK_KEY_NS (5ull * SEC)
/* Records shown per main loop iteration at most, when they are all due. */
#define BATCH_MAX 4096
#define SPEED_MIN 0.25
#define SPEED_MAX 16.0
#define DEFAULT_ROWS 24
#define DEFAULT_COLS 80

struct mark {
	gsize index; /* the MARK record */
	guint64 ts;
	char *label;
};

struct _TscReplayView {
	GtkBox parent_instance;

	struct tsc_recording rec;
	char *title;
	guint64 t0, tend; /* first and largest record time */
	gsize pos; /* records shown: [0, pos) */
	guint64 now_ts; /* recording time shown */
	struct tsc_replay *sched;
	gboolean playing;
	gboolean stepping; /* show the next output even if paused */
	gboolean scheduled; /* record @pos is the scheduler's pending event */
	guint timer;
	GArray *marks; /* struct mark, in record order */
	gssize hit; /* record of the last search hit, or -1 */
	gboolean updating; /* the timeline is being set, not dragged */
	TscTerminal *terminal;

	/* template children */
	GtkWidget *play_button;
	GtkWidget *play_image;
	GtkWidget *step_button;
	GtkWidget *speed_combo;
	GtkWidget *timeline;
	GtkWidget *time_label;
	GtkWidget *search_entry;
	GtkWidget *terminal_box;
	GtkWidget *scrollbar;
	GtkWidget *marks_box;
	GtkWidget *marks_list;
	GtkWidget *state_label;
	GtkWidget *info_label;
	GtkWidget *notice_label;
};

G_DEFINE_FINAL_TYPE(TscReplayView, tsc_replay_view, GTK_TYPE_BOX)

G_DEFINE_QUARK(tsc - replay - error - quark, tsc_replay_error)

static const double speeds[] = { 0.25, 0.5, 1, 2, 4, 8, 16 };

static void pump(TscReplayView *self);

/* "1:05" or "1:02:05"; tenths below a minute of total length. */
static char *format_time(guint64 ns, gboolean tenths)
{
	guint64 s = ns / SEC;

	if (s >= 3600)
		return g_strdup_printf("%" G_GUINT64_FORMAT ":%02u:%02u",
				       s / 3600, (guint)(s / 60 % 60),
				       (guint)(s % 60));
	if (tenths)
		return g_strdup_printf("%u:%02u.%u", (guint)(s / 60),
				       (guint)(s % 60),
				       (guint)(ns % SEC / (SEC / 10)));
	return g_strdup_printf("%u:%02u", (guint)(s / 60), (guint)(s % 60));
}

static void show_notice(TscReplayView *self, const char *text)
{
	gtk_label_set_text(GTK_LABEL(self->notice_label), text ? text : "");
	gtk_widget_set_visible(self->notice_label, text && text[0]);
}

static guint64 rec_ts(TscReplayView *self, gsize i)
{
	return self->rec.recs[i].hdr.ts_ns;
}

static void update_ui(TscReplayView *self)
{
	guint64 dur = self->tend - self->t0;
	guint64 pos = self->now_ts > self->t0 ? self->now_ts - self->t0 : 0;
	gboolean tenths = dur < 60 * SEC;
	g_autofree char *p = NULL, *d = NULL, *text = NULL;
	const char *state;

	if (pos > dur)
		pos = dur;
	p = format_time(pos, tenths);
	d = format_time(dur, tenths);
	/* Translators: position / duration */
	text = g_strdup_printf(_("%s / %s"), p, d);
	gtk_label_set_text(GTK_LABEL(self->time_label), text);
	self->updating = TRUE;
	gtk_range_set_value(GTK_RANGE(self->timeline), (double)pos / SEC);
	self->updating = FALSE;
	gtk_image_set_from_icon_name(GTK_IMAGE(self->play_image),
				     self->playing ?
					     "media-playback-pause-symbolic" :
					     "media-playback-start-symbolic",
				     GTK_ICON_SIZE_BUTTON);
	if (self->playing)
		state = _("Playing");
	else if (self->pos >= self->rec.n)
		state = _("End");
	else
		state = _("Paused");
	gtk_label_set_text(GTK_LABEL(self->state_label), state);
	gtk_widget_set_sensitive(self->step_button, self->pos < self->rec.n);
}

/* Show record @i on the terminal. */
static void show(TscReplayView *self, gsize i)
{
	const struct tsc_rec *r = &self->rec.recs[i];
	struct tsc_winsize ws;

	switch (r->hdr.type) {
	case TTYSCOPE_REC_OUT:
		tsc_terminal_feed_output(self->terminal, r->payload,
					 r->hdr.len);
		break;
	case TTYSCOPE_REC_WINSIZE:
		if (tsc_rec_decode_winsize(r, &ws) == 0)
			tsc_terminal_feed_resize(self->terminal, ws.rows,
						 ws.cols);
		break;
	default:
		break;
	}
	if (r->hdr.ts_ns > self->now_ts)
		self->now_ts = r->hdr.ts_ns;
}

/* Reset the terminal to the state before record @from. */
static void restart_at(TscReplayView *self, gsize from)
{
	guint rows = DEFAULT_ROWS, cols = DEFAULT_COLS;
	gboolean known = FALSE;
	struct tsc_winsize ws;

	/* the size in force there; before the first one, the first one */
	for (gsize i = 0; i < self->rec.n && (i < from || !known); i++)
		if (self->rec.recs[i].hdr.type == TTYSCOPE_REC_WINSIZE &&
		    tsc_rec_decode_winsize(&self->rec.recs[i], &ws) == 0 &&
		    ws.rows && ws.cols) {
			rows = ws.rows;
			cols = ws.cols;
			known = TRUE;
		}
	tsc_terminal_clear(self->terminal);
	tsc_terminal_feed_resize(self->terminal, rows, cols);
	self->pos = from;
}

/*
 * Show exactly the records before @end, standing at recording time @ts:
 * forward from where we are, or backward from the restart point.
 */
static void go_to(TscReplayView *self, gsize end, guint64 ts)
{
	if (end > self->rec.n)
		end = self->rec.n;
	if (end < self->pos)
		restart_at(self, tsc_recording_restart(&self->rec, end));
	while (self->pos < end)
		show(self, self->pos++);
	self->now_ts = ts;
	tsc_replay_seek(self->sched, ts);
	self->scheduled = FALSE;
	g_clear_handle_id(&self->timer, g_source_remove);
	if (self->playing)
		pump(self);
	update_ui(self);
}

static gboolean on_timer(gpointer data)
{
	TscReplayView *self = data;

	self->timer = 0;
	pump(self);
	return G_SOURCE_REMOVE;
}

/* Show what is due; wait for the next record with a timeout if playing. */
static void pump(TscReplayView *self)
{
	guint shown = 0;

	g_clear_handle_id(&self->timer, g_source_remove);
	while (self->playing || self->stepping) {
		gboolean out;
		guint64 t;

		if (self->pos >= self->rec.n) {
			self->playing = self->stepping = FALSE;
			tsc_replay_pause(self->sched);
			break;
		}
		if (!self->scheduled) {
			tsc_replay_schedule(self->sched,
					    rec_ts(self, self->pos));
			self->scheduled = TRUE;
			if (self->stepping)
				tsc_replay_step(self->sched);
		}
		t = tsc_replay_timeout(self->sched);
		if (t == 0) {
			out = self->rec.recs[self->pos].hdr.type ==
			      TTYSCOPE_REC_OUT;
			show(self, self->pos++);
			tsc_replay_fire(self->sched);
			self->scheduled = FALSE;
			if (self->stepping && out)
				self->stepping = FALSE;
			if (++shown >= BATCH_MAX) {
				/* let the terminal draw; go on at once */
				self->timer = g_timeout_add(0, on_timer, self);
				break;
			}
			continue;
		}
		if (t == TSC_REPLAY_NEVER)
			break;
		if (t > 3600 * SEC)
			t = 3600 * SEC;
		self->timer = g_timeout_add((guint)((t + 999999) / 1000000),
					    on_timer, self);
		break;
	}
	update_ui(self);
}

void tsc_replay_view_play(TscReplayView *self)
{
	if (self->playing)
		return;
	if (self->pos >= self->rec.n)
		go_to(self, 0, self->t0); /* from the start again */
	self->playing = TRUE;
	tsc_replay_resume(self->sched);
	pump(self);
}

void tsc_replay_view_pause(TscReplayView *self)
{
	if (!self->playing)
		return;
	self->playing = FALSE;
	tsc_replay_pause(self->sched);
	g_clear_handle_id(&self->timer, g_source_remove);
	update_ui(self);
}

gboolean tsc_replay_view_get_playing(TscReplayView *self)
{
	return self->playing;
}

/* Show the next output at once (and what precedes it), paused or not. */
void tsc_replay_view_step(TscReplayView *self)
{
	if (self->pos >= self->rec.n)
		return;
	self->stepping = TRUE;
	if (self->scheduled)
		tsc_replay_step(self->sched);
	pump(self);
}

void tsc_replay_view_set_speed(TscReplayView *self, double speed)
{
	char id[G_ASCII_DTOSTR_BUF_SIZE];

	speed = CLAMP(speed, SPEED_MIN, SPEED_MAX);
	g_ascii_dtostr(id, sizeof(id), speed);
	/* the combo's "changed" applies it */
	if (!gtk_combo_box_set_active_id(GTK_COMBO_BOX(self->speed_combo), id))
		tsc_replay_set_speed(self->sched, speed);
	if (self->playing)
		pump(self);
}

double tsc_replay_view_get_speed(TscReplayView *self)
{
	return tsc_replay_speed(self->sched);
}

/* Stand at @offset_ns from the start: every record up to then is shown. */
void tsc_replay_view_seek(TscReplayView *self, guint64 offset_ns)
{
	guint64 ts = self->t0 + MIN(offset_ns, self->tend - self->t0);

	go_to(self, tsc_recording_find_time(&self->rec, ts + 1), ts);
}

/* Recording time shown, from the start. */
guint64 tsc_replay_view_get_position(TscReplayView *self)
{
	return self->now_ts > self->t0 ? self->now_ts - self->t0 : 0;
}

guint64 tsc_replay_view_get_duration(TscReplayView *self)
{
	return self->tend - self->t0;
}

/* Number of records shown: the last one shown is this minus one. */
gsize tsc_replay_view_get_shown(TscReplayView *self)
{
	return self->pos;
}

/* Show the record that holds a hit, and everything before it. */
static void go_to_record(TscReplayView *self, gsize i)
{
	go_to(self, i + 1, MAX(rec_ts(self, i), self->t0));
}

/**
 * tsc_replay_view_search - jump to the output that contains @text
 * @next: after the last hit; otherwise from the start
 *
 * After the last hit, starts over from the start.
 *
 * Returns: whether @text was found.
 */
gboolean tsc_replay_view_search(TscReplayView *self, const char *text,
				gboolean next)
{
	gsize from = next && self->hit >= 0 ? (gsize)self->hit + 1 : 0;
	ssize_t i = tsc_recording_search(&self->rec, from, text);
	g_autofree char *msg = NULL, *at = NULL;

	if (i == -ENOENT && from > 0)
		i = tsc_recording_search(&self->rec, 0, text);
	if (i < 0) {
		self->hit = -1;
		if (text[0]) {
			msg = g_strdup_printf(_("Not found: “%s”"), text);
			show_notice(self, msg);
		}
		return FALSE;
	}
	self->hit = i;
	go_to_record(self, (gsize)i);
	at = format_time(tsc_replay_view_get_position(self), TRUE);
	msg = g_strdup_printf(_("Found at %s"), at);
	show_notice(self, msg);
	return TRUE;
}

guint tsc_replay_view_get_n_marks(TscReplayView *self)
{
	return self->marks->len;
}

/* The label of marker @i; its time from the start in @offset_ns. */
const char *tsc_replay_view_get_mark(TscReplayView *self, guint i,
				     guint64 *offset_ns)
{
	struct mark *m;

	g_return_val_if_fail(i < self->marks->len, NULL);
	m = &g_array_index(self->marks, struct mark, i);
	if (offset_ns)
		*offset_ns = m->ts > self->t0 ? m->ts - self->t0 : 0;
	return m->label;
}

void tsc_replay_view_jump_to_mark(TscReplayView *self, guint i)
{
	g_return_if_fail(i < self->marks->len);
	go_to_record(self, g_array_index(self->marks, struct mark, i).index);
}

static void destroy_child(GtkWidget *w, gpointer data)
{
	gtk_widget_destroy(w);
}

static void mark_clear(gpointer data)
{
	g_free(((struct mark *)data)->label);
}

/* Marks on the timeline (numbered) and in the list; times may grow. */
static void update_marks(TscReplayView *self)
{
	guint64 dur = self->tend - self->t0;
	g_autoptr(GList) rows =
		gtk_container_get_children(GTK_CONTAINER(self->marks_list));

	gtk_adjustment_set_upper(
		gtk_range_get_adjustment(GTK_RANGE(self->timeline)),
		MAX((double)dur / SEC, 0.001));
	gtk_scale_clear_marks(GTK_SCALE(self->timeline));
	for (guint i = 0; i < self->marks->len; i++) {
		struct mark *m = &g_array_index(self->marks, struct mark, i);
		guint64 at = m->ts > self->t0 ? m->ts - self->t0 : 0;
		g_autofree char *num = g_strdup_printf("%u", i + 1);

		gtk_scale_add_mark(GTK_SCALE(self->timeline), (double)at / SEC,
				   GTK_POS_BOTTOM, num);
	}
	/* rows for the marks that have none yet */
	for (guint i = g_list_length(rows); i < self->marks->len; i++) {
		struct mark *m = &g_array_index(self->marks, struct mark, i);
		g_autofree char *t =
			format_time(m->ts > self->t0 ? m->ts - self->t0 : 0,
				    dur < 60 * SEC);
		g_autofree char *text = g_strdup_printf(
			"%u  %s  %s", i + 1, t,
			m->label[0] ? m->label : _("(no label)"));
		GtkWidget *row = gtk_list_box_row_new();
		GtkWidget *label = gtk_label_new(text);

		gtk_label_set_xalign(GTK_LABEL(label), 0);
		gtk_label_set_ellipsize(GTK_LABEL(label), PANGO_ELLIPSIZE_END);
		g_object_set(label, "margin", 6, NULL);
		gtk_widget_set_tooltip_text(row, m->label);
		gtk_container_add(GTK_CONTAINER(row), label);
		g_object_set_data(G_OBJECT(row), "mark", GUINT_TO_POINTER(i));
		gtk_widget_show_all(row);
		gtk_container_add(GTK_CONTAINER(self->marks_list), row);
	}
	gtk_widget_set_visible(self->marks_box, self->marks->len > 0);
}

/* Take note of the records from @from on: times and markers. */
static void scan(TscReplayView *self, gsize from)
{
	for (gsize i = from; i < self->rec.n; i++) {
		const struct tsc_rec *r = &self->rec.recs[i];
		struct tsc_mark tm;

		if (r->hdr.ts_ns > self->tend)
			self->tend = r->hdr.ts_ns;
		if (r->hdr.type == TSC_REC_MARK &&
		    tsc_rec_decode_mark(r, &tm) == 0) {
			struct mark m = {
				.index = i,
				.ts = r->hdr.ts_ns,
				.label = g_utf8_make_valid(tm.label, -1),
			};

			g_array_append_val(self->marks, m);
		}
	}
	update_marks(self);
}

/**
 * tsc_replay_view_take_recording - show @rec, from its start, paused
 * @rec: moved into the view (zeroed)
 * @title: what the recording is (the tab's label)
 */
void tsc_replay_view_take_recording(TscReplayView *self,
				    struct tsc_recording *rec,
				    const char *title)
{
	g_autofree char *info = NULL, *dur = NULL;

	tsc_replay_view_pause(self);
	tsc_recording_free(&self->rec);
	self->rec = *rec;
	memset(rec, 0, sizeof(*rec));
	g_free(self->title);
	self->title = g_strdup(title);
	g_array_set_size(self->marks, 0);
	gtk_container_foreach(GTK_CONTAINER(self->marks_list), destroy_child,
			      NULL);
	self->t0 = self->tend = tsc_recording_first_ts(&self->rec);
	self->hit = -1;
	scan(self, 0);
	dur = format_time(self->tend - self->t0, FALSE);
	if (self->rec.have_meta) {
		g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(
			(gint64)(self->rec.start_ns / SEC));
		g_autofree char *when = g_date_time_format(dt, "%F %T");

		g_autofree char *cmd =
			self->rec.command && self->rec.command[0] ?
				g_strdup_printf(" — %s", self->rec.command) :
				g_strdup("");

		/* Translators: user, host, tty, command, date, records */
		info = g_strdup_printf(_("%s@%s %s%s · %s · %zu records"),
				       self->rec.user ? self->rec.user : "?",
				       self->rec.host ? self->rec.host : "?",
				       self->rec.tty ? self->rec.tty : "?", cmd,
				       when, self->rec.n);
	} else {
		info = g_strdup_printf(_("%s · %zu records"), title,
				       self->rec.n);
	}
	gtk_label_set_text(GTK_LABEL(self->info_label), info);
	restart_at(self, 0);
	tsc_replay_view_seek(self, 0);
}

/**
 * tsc_replay_view_append_records - the recording goes on (time-shift)
 * @records: records back to back, after the last one the view has
 *
 * Returns: FALSE if @records held a malformed record (those before it
 * are taken).
 */
gboolean tsc_replay_view_append_records(TscReplayView *self, GBytes *records)
{
	gsize len, n = self->rec.n;
	const guint8 *p = g_bytes_get_data(records, &len);
	int r = tsc_recording_load_stream(&self->rec, p, len);

	if (self->rec.n > n) {
		if (!n)
			self->t0 = self->tend =
				tsc_recording_first_ts(&self->rec);
		scan(self, n);
		if (self->playing)
			pump(self);
		else
			update_ui(self);
	}
	return r == 0;
}

/*
 * Load @path into @rec (zeroed) and name it in @ret_title; see
 * tsc_replay_view_load_file().
 */
static gboolean load_recording(const char *path, const char *timing,
			       struct tsc_recording *rec, char **ret_title,
			       GError **error)
{
	struct tsc_recording_error err = { 0 };
	g_autofree char *guess = NULL, *base = g_path_get_basename(path);
	g_autofree char *disp = g_filename_display_name(path);
	int fd, tfd = -1, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		g_set_error(error, TSC_REPLAY_ERROR, TSC_REPLAY_ERROR_FAILED,
			    _("Cannot open “%s”: %s"), disp, g_strerror(e));
		return FALSE;
	}
	if (!timing && tsc_recording_sniff(fd) == TSC_RECORDING_SCRIPT) {
		g_autofree char *dir = g_path_get_dirname(path);

		guess = g_strconcat(path, ".timing", NULL);
		if (!g_file_test(guess, G_FILE_TEST_IS_REGULAR)) {
			g_free(guess);
			guess = !strcmp(base, "typescript") ?
					g_build_filename(dir, "timing", NULL) :
					NULL;
		}
		if (guess && g_file_test(guess, G_FILE_TEST_IS_REGULAR))
			timing = guess;
	}
	if (timing) {
		tfd = open(timing, O_RDONLY | O_CLOEXEC);
		if (tfd < 0) {
			int e = errno;
			g_autofree char *td = g_filename_display_name(timing);

			g_set_error(error, TSC_REPLAY_ERROR,
				    TSC_REPLAY_ERROR_FAILED,
				    _("Cannot open “%s”: %s"), td,
				    g_strerror(e));
			close(fd);
			return FALSE;
		}
	}
	r = tsc_recording_load(rec, fd, tfd, TSC_RECORDING_AUTO, &err);
	close(fd);
	if (tfd >= 0)
		close(tfd);
	if (r == -EINVAL && err.format == TSC_RECORDING_SCRIPT) {
		g_set_error(
			error, TSC_REPLAY_ERROR, TSC_REPLAY_ERROR_NEEDS_TIMING,
			_("“%s” is not a ttyscope log or an asciicast file; a script recording needs its timing file"),
			disp);
		return FALSE;
	}
	if (r == -EBADMSG && err.format == TSC_RECORDING_LOG && err.header) {
		g_set_error(
			error, TSC_REPLAY_ERROR, TSC_REPLAY_ERROR_MALFORMED,
			_("“%s” has an invalid log header, or is of a newer version"),
			disp);
		return FALSE;
	}
	if (r == -EBADMSG && err.format == TSC_RECORDING_LOG) {
		g_set_error(error, TSC_REPLAY_ERROR, TSC_REPLAY_ERROR_MALFORMED,
			    _("“%s” is corrupt at byte %" PRIu64), disp,
			    err.offset);
		return FALSE;
	}
	if (r == -EBADMSG) {
		g_set_error(error, TSC_REPLAY_ERROR, TSC_REPLAY_ERROR_MALFORMED,
			    _("“%s” is malformed at line %" PRIu64),
			    err.format == TSC_RECORDING_SCRIPT && timing ?
				    timing :
				    disp,
			    err.line);
		return FALSE;
	}
	if (r < 0) {
		g_set_error(error, TSC_REPLAY_ERROR, TSC_REPLAY_ERROR_FAILED,
			    _("Cannot read “%s”: %s"), disp, g_strerror(-r));
		return FALSE;
	}
	if (rec->have_meta && rec->tty)
		*ret_title = g_strdup_printf("%s · %s", rec->tty,
					     rec->host ? rec->host : base);
	else
		*ret_title = g_strdup(base);
	return TRUE;
}

/**
 * tsc_replay_view_load_file - load a recording
 * @path: a ttyscope log, an asciicast file, or script's typescript
 * @timing: script's timing file; NULL: @path.timing, or "timing" next to
 *	a file named "typescript", if it exists
 *
 * Returns: FALSE with @error set if the file cannot be played (the view
 * keeps what it showed).
 */
gboolean tsc_replay_view_load_file(TscReplayView *self, const char *path,
				   const char *timing, GError **error)
{
	struct tsc_recording rec = { 0 };
	g_autofree char *title = NULL;

	if (!load_recording(path, timing, &rec, &title, error))
		return FALSE;
	tsc_replay_view_take_recording(self, &rec, title);
	return TRUE;
}

/**
 * tsc_replay_view_new_for_file - a replay view of a recording file
 *
 * As tsc_replay_view_load_file(), but no view is made for a file that
 * cannot be played.
 *
 * Returns: (transfer floating): the view, or NULL with @error set.
 */
GtkWidget *tsc_replay_view_new_for_file(const char *path, const char *timing,
					GError **error)
{
	struct tsc_recording rec = { 0 };
	g_autofree char *title = NULL;
	GtkWidget *view;

	if (!load_recording(path, timing, &rec, &title, error))
		return NULL;
	view = tsc_replay_view_new();
	tsc_replay_view_take_recording(TSC_REPLAY_VIEW(view), &rec, title);
	return view;
}

const char *tsc_replay_view_get_title(TscReplayView *self)
{
	return self->title ? self->title : "";
}

TscTerminal *tsc_replay_view_get_terminal(TscReplayView *self)
{
	return self->terminal;
}

/* ---- widgets ---------------------------------------------------------- */

static void on_play_clicked(GtkButton *button, TscReplayView *self)
{
	if (self->playing)
		tsc_replay_view_pause(self);
	else
		tsc_replay_view_play(self);
}

static void on_step_clicked(GtkButton *button, TscReplayView *self)
{
	tsc_replay_view_step(self);
}

static void on_speed_changed(GtkComboBox *combo, TscReplayView *self)
{
	const char *id = gtk_combo_box_get_active_id(combo);

	if (id)
		tsc_replay_set_speed(self->sched, g_ascii_strtod(id, NULL));
	if (self->playing)
		pump(self);
}

static void on_timeline_changed(GtkRange *range, TscReplayView *self)
{
	double v = gtk_range_get_value(range);

	if (self->updating)
		return;
	tsc_replay_view_seek(self, (guint64)(MAX(v, 0) * SEC + 0.5));
}

static void on_search_changed(GtkSearchEntry *entry, TscReplayView *self)
{
	const char *text = gtk_entry_get_text(GTK_ENTRY(entry));

	if (!text[0]) {
		self->hit = -1;
		show_notice(self, NULL);
		return;
	}
	tsc_replay_view_search(self, text, FALSE);
}

static void on_search_activate(GtkEntry *entry, TscReplayView *self)
{
	const char *text = gtk_entry_get_text(entry);

	if (text[0])
		tsc_replay_view_search(self, text, TRUE);
}

static void on_mark_activated(GtkListBox *box, GtkListBoxRow *row,
			      TscReplayView *self)
{
	tsc_replay_view_jump_to_mark(self, GPOINTER_TO_UINT(g_object_get_data(
						   G_OBJECT(row), "mark")));
	/* keys (Space, arrows) act on the replay again */
	gtk_widget_grab_focus(GTK_WIDGET(self->terminal));
}

static gboolean on_key_press(GtkWidget *widget, GdkEventKey *event,
			     TscReplayView *self)
{
	guint64 pos = tsc_replay_view_get_position(self);

	if (event->state & (GDK_CONTROL_MASK | GDK_MOD1_MASK | GDK_SUPER_MASK))
		return FALSE;
	switch (event->keyval) {
	case GDK_KEY_space:
		on_play_clicked(NULL, self);
		return TRUE;
	case GDK_KEY_period:
		tsc_replay_view_step(self);
		return TRUE;
	case GDK_KEY_plus:
	case GDK_KEY_equal:
	case GDK_KEY_KP_Add:
		tsc_replay_view_set_speed(self,
					  tsc_replay_view_get_speed(self) * 2);
		return TRUE;
	case GDK_KEY_minus:
	case GDK_KEY_KP_Subtract:
		tsc_replay_view_set_speed(self,
					  tsc_replay_view_get_speed(self) / 2);
		return TRUE;
	case GDK_KEY_Left:
		tsc_replay_view_seek(self,
				     pos > SEEK_KEY_NS ? pos - SEEK_KEY_NS : 0);
		return TRUE;
	case GDK_KEY_Right:
		tsc_replay_view_seek(self, pos + SEEK_KEY_NS);
		return TRUE;
	case GDK_KEY_Home:
		tsc_replay_view_seek(self, 0);
		return TRUE;
	case GDK_KEY_End:
		tsc_replay_view_seek(self, G_MAXUINT64);
		return TRUE;
	default:
		return FALSE;
	}
}

static void tsc_replay_view_dispose(GObject *object)
{
	TscReplayView *self = TSC_REPLAY_VIEW(object);

	g_clear_handle_id(&self->timer, g_source_remove);
	self->playing = self->stepping = FALSE;
	G_OBJECT_CLASS(tsc_replay_view_parent_class)->dispose(object);
}

static void tsc_replay_view_finalize(GObject *object)
{
	TscReplayView *self = TSC_REPLAY_VIEW(object);

	tsc_recording_free(&self->rec);
	tsc_replay_free(self->sched);
	g_array_unref(self->marks);
	g_free(self->title);
	G_OBJECT_CLASS(tsc_replay_view_parent_class)->finalize(object);
}

static void tsc_replay_view_class_init(TscReplayViewClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	object_class->dispose = tsc_replay_view_dispose;
	object_class->finalize = tsc_replay_view_finalize;

	gtk_widget_class_set_template_from_resource(
		widget_class, "/org/ttyscope/Gui/tsc-replay-view.ui");
#define CHILD(name) \
	gtk_widget_class_bind_template_child(widget_class, TscReplayView, name)
	CHILD(play_button);
	CHILD(play_image);
	CHILD(step_button);
	CHILD(speed_combo);
	CHILD(timeline);
	CHILD(time_label);
	CHILD(search_entry);
	CHILD(terminal_box);
	CHILD(scrollbar);
	CHILD(marks_box);
	CHILD(marks_list);
	CHILD(state_label);
	CHILD(info_label);
	CHILD(notice_label);
#undef CHILD
	gtk_widget_class_bind_template_callback(widget_class, on_play_clicked);
	gtk_widget_class_bind_template_callback(widget_class, on_step_clicked);
	gtk_widget_class_bind_template_callback(widget_class, on_speed_changed);
	gtk_widget_class_bind_template_callback(widget_class,
						on_timeline_changed);
	gtk_widget_class_bind_template_callback(widget_class,
						on_search_changed);
	gtk_widget_class_bind_template_callback(widget_class,
						on_search_activate);
	gtk_widget_class_bind_template_callback(widget_class,
						on_mark_activated);
}

static void tsc_replay_view_init(TscReplayView *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	self->marks = g_array_new(FALSE, TRUE, sizeof(struct mark));
	g_array_set_clear_func(self->marks, mark_clear);
	self->hit = -1;
	if (tsc_replay_new(NULL, &self->sched) < 0)
		g_error("out of memory");
	tsc_replay_pause(self->sched);
	for (guint i = 0; i < G_N_ELEMENTS(speeds); i++) {
		char id[G_ASCII_DTOSTR_BUF_SIZE];
		/* Translators: a playback speed factor, e.g. 0.5× */
		g_autofree char *text = g_strdup_printf(_("%g×"), speeds[i]);

		g_ascii_dtostr(id, sizeof(id), speeds[i]);
		gtk_combo_box_text_append(GTK_COMBO_BOX_TEXT(self->speed_combo),
					  id, text);
	}
	tsc_replay_view_set_speed(self, 1);
	self->terminal = TSC_TERMINAL(tsc_terminal_new(FALSE));
	gtk_widget_set_name(GTK_WIDGET(self->terminal), "replay-terminal");
	gtk_box_pack_start(GTK_BOX(self->terminal_box),
			   GTK_WIDGET(self->terminal), FALSE, FALSE, 0);
	gtk_widget_show(GTK_WIDGET(self->terminal));
	gtk_range_set_adjustment(
		GTK_RANGE(self->scrollbar),
		gtk_scrollable_get_vadjustment(GTK_SCROLLABLE(self->terminal)));
	g_signal_connect(self->terminal, "key-press-event",
			 G_CALLBACK(on_key_press), self);
	restart_at(self, 0);
	update_ui(self);
}

GtkWidget *tsc_replay_view_new(void)
{
	return g_object_new(TSC_TYPE_REPLAY_VIEW, NULL);
}
