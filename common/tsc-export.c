// SPDX-License-Identifier: GPL-2.0-only
/*
 * Exporters: asciicast v2 and v3 (newline-delimited JSON) and util-linux
 * script's advanced ("multi-stream") timing format with its data file(s),
 * byte-compatible with what script(1) writes so that scriptreplay(1) plays
 * the result.
 *
 * Times are microseconds since the start, rounded from nanoseconds on the
 * absolute position (never per interval) so that intervals add up exactly;
 * timestamps that go backwards (a stepped clock) are held at the latest
 * time seen.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tsc-export.h"
#include "tsc-json.h"
#include "tsc-private.h"

/* Text is handed to write() once a buffer holds this much. */
#define TSC_EXPORT_FLUSH (64u << 10)

enum { TSC_STREAM_OUT, TSC_STREAM_IN };

/*
 * @main: the .cast text, or script's timing file
 * @out, @in: script's output and input logs (@in unused if both are one)
 * @start_ns: time 0 (@have_start)
 * @started: the header is written
 * @last_rel: latest time seen, ns since start (holds back stepped clocks)
 * @last_us: time of the last event written, us since start
 * @carry: trailing bytes of a UTF-8 character cut by the record boundary,
 *	per stream, prepended to that stream's next event
 * @err: first write or allocation error; the exporter stops at it
 */
struct tsc_exporter {
	enum tsc_export_format format;
	unsigned int flags;
	int fd;
	int out_fd;
	int in_fd;
	struct tsc_buf main;
	struct tsc_buf out;
	struct tsc_buf in;
	char *title;
	char *command;
	char *term;
	char *tty;
	int exit_status;
	uint16_t cols;
	uint16_t rows;
	bool size_known;
	uint64_t start_ns;
	bool have_start;
	bool started;
	bool finished;
	uint64_t last_rel;
	uint64_t last_us;
	uint8_t carry[2][4];
	size_t carry_len[2];
	int err;
};

/* Copy an optional string, replacing newlines (they would end a line). */
static int tsc_dup_opt(const char *s, char **ret)
{
	char *d;

	if (!s)
		return 0;
	d = strdup(s);
	if (!d)
		return -ENOMEM;
	for (char *p = d; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	*ret = d;
	return 0;
}

/**
 * tsc_exporter_new() - start an export
 * @format: the output format
 * @opts: options, or NULL for the defaults
 * @fd: asciicast: the .cast file; script: the timing file
 * @out_fd: script: the output log (typescript); asciicast: -1
 * @in_fd: script with %TSC_EXPORT_INPUT: the input log, which may be
 *	@out_fd (like script --log-io); otherwise -1
 * @ret_exporter: the exporter
 *
 * The fds are not owned and should be blocking. Nothing is written before
 * the first event (the header needs the initial window size).
 *
 * Return: 0, -EINVAL for a bad format or fd combination, -ENOMEM.
 */
int tsc_exporter_new(enum tsc_export_format format,
		     const struct tsc_export_options *opts, int fd, int out_fd,
		     int in_fd, struct tsc_exporter **ret_exporter)
{
	static const struct tsc_export_options defaults;
	struct tsc_exporter *ex;
	int r;

	if (!opts)
		opts = &defaults;
	if (fd < 0)
		return -EINVAL;
	switch (format) {
	case TSC_EXPORT_ASCIICAST_V2:
	case TSC_EXPORT_ASCIICAST_V3:
		if (out_fd >= 0 || in_fd >= 0)
			return -EINVAL;
		break;
	case TSC_EXPORT_SCRIPT:
		if (out_fd < 0 ||
		    ((opts->flags & TSC_EXPORT_INPUT) ? in_fd < 0 : in_fd >= 0))
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	ex = calloc(1, sizeof(*ex));
	if (!ex)
		return -ENOMEM;
	ex->format = format;
	ex->flags = opts->flags;
	ex->fd = fd;
	ex->out_fd = out_fd;
	ex->in_fd = in_fd;
	ex->exit_status = opts->exit_status;
	ex->cols = opts->cols ? opts->cols : 80;
	ex->rows = opts->rows ? opts->rows : 24;
	ex->size_known = opts->cols && opts->rows;
	ex->start_ns = opts->start_ns;
	ex->have_start = opts->start_ns != 0;
	r = tsc_dup_opt(opts->title, &ex->title);
	if (!r)
		r = tsc_dup_opt(opts->command, &ex->command);
	if (!r)
		r = tsc_dup_opt(opts->term, &ex->term);
	if (!r)
		r = tsc_dup_opt(opts->tty, &ex->tty);
	if (r < 0) {
		tsc_exporter_free(ex);
		return r;
	}
	*ret_exporter = ex;
	return 0;
}

/* Free an exporter (NULL is fine) without finishing it. */
void tsc_exporter_free(struct tsc_exporter *exporter)
{
	if (!exporter)
		return;
	tsc_buf_free(&exporter->main);
	tsc_buf_free(&exporter->out);
	tsc_buf_free(&exporter->in);
	free(exporter->title);
	free(exporter->command);
	free(exporter->term);
	free(exporter->tty);
	free(exporter);
}

/* Write out a buffer if it is large (or if @force) and empty it. */
static void tsc_export_drain(struct tsc_exporter *ex, struct tsc_buf *b, int fd,
			     bool force)
{
	int r;

	if (!ex->err && b->err)
		ex->err = b->err;
	if (ex->err || b->len == 0 || (!force && b->len < TSC_EXPORT_FLUSH))
		return;
	r = tsc_write_all(fd, b->data, b->len);
	if (r < 0)
		ex->err = r;
	b->len = 0;
}

static void tsc_export_drain_all(struct tsc_exporter *ex, bool force)
{
	tsc_export_drain(ex, &ex->main, ex->fd, force);
	if (ex->format == TSC_EXPORT_SCRIPT) {
		tsc_export_drain(ex, &ex->out, ex->out_fd, force);
		if (ex->in_fd >= 0 && ex->in_fd != ex->out_fd)
			tsc_export_drain(ex, &ex->in, ex->in_fd, force);
	}
}

/* The buffer of script's input log. */
static struct tsc_buf *tsc_export_inbuf(struct tsc_exporter *ex)
{
	return ex->in_fd == ex->out_fd ? &ex->out : &ex->in;
}

/* Seconds and microseconds as "S.UUUUUU". */
static void tsc_put_us(struct tsc_buf *b, uint64_t us)
{
	tsc_buf_printf(b, "%" PRIu64 ".%06" PRIu64, us / 1000000u,
		       us % 1000000u);
}

/* script's ISO timestamp ("2024-05-01 12:34:56+00:00"), in UTC. */
static void tsc_put_iso(struct tsc_buf *b, uint64_t ns)
{
	time_t t = (time_t)(ns / 1000000000u);
	struct tm tm;
	char s[64];

	if (!gmtime_r(&t, &tm) ||
	    !strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S+00:00", &tm))
		strcpy(s, "1970-01-01 00:00:00+00:00");
	tsc_buf_printf(b, "%s", s);
}

static void tsc_put_jstr(struct tsc_buf *b, const char *s)
{
	tsc_json_put_string(b, (const uint8_t *)s, strlen(s));
}

/* The asciicast header line. */
static void tsc_export_cast_header(struct tsc_exporter *ex)
{
	struct tsc_buf *b = &ex->main;

	if (ex->format == TSC_EXPORT_ASCIICAST_V2) {
		tsc_buf_printf(b,
			       "{\"version\": 2, \"width\": %u, \"height\": %u",
			       ex->cols, ex->rows);
	} else {
		tsc_buf_printf(
			b,
			"{\"version\": 3, \"term\": {\"cols\": %u, \"rows\": %u",
			ex->cols, ex->rows);
		if (ex->term) {
			tsc_buf_printf(b, ", \"type\": ");
			tsc_put_jstr(b, ex->term);
		}
		tsc_buf_printf(b, "}");
	}
	tsc_buf_printf(b, ", \"timestamp\": %" PRIu64,
		       ex->start_ns / 1000000000u);
	if (ex->title) {
		tsc_buf_printf(b, ", \"title\": ");
		tsc_put_jstr(b, ex->title);
	}
	if (ex->command) {
		tsc_buf_printf(b, ", \"command\": ");
		tsc_put_jstr(b, ex->command);
	}
	if (ex->term && ex->format == TSC_EXPORT_ASCIICAST_V2) {
		tsc_buf_printf(b, ", \"env\": {\"TERM\": ");
		tsc_put_jstr(b, ex->term);
		tsc_buf_printf(b, "}");
	}
	tsc_buf_printf(b, "}\n");
}

/* One "H" line of script's timing file. */
static void tsc_export_script_info(struct tsc_exporter *ex, const char *name,
				   const char *value)
{
	tsc_buf_printf(&ex->main, "H 0.000000 %s %s\n", name, value);
}

/* The first line of a script data log. */
static void tsc_export_script_banner(struct tsc_exporter *ex, struct tsc_buf *b)
{
	const char *sep = "";

	tsc_buf_printf(b, "Script started on ");
	tsc_put_iso(b, ex->start_ns);
	tsc_buf_printf(b, " [");
	if (ex->term) {
		tsc_buf_printf(b, "TERM=\"%s\"", ex->term);
		sep = " ";
	}
	if (ex->tty) {
		tsc_buf_printf(b, "%sTTY=\"%s\"", sep, ex->tty);
		sep = " ";
	}
	if (ex->size_known)
		tsc_buf_printf(b, "%sCOLUMNS=\"%u\" LINES=\"%u\"", sep,
			       ex->cols, ex->rows);
	tsc_buf_printf(b, "]\n");
}

/* script's timing header lines and data log banners. */
static void tsc_export_script_header(struct tsc_exporter *ex)
{
	struct tsc_buf iso = { 0 };
	char num[16];

	tsc_put_iso(&iso, ex->start_ns);
	if (iso.err) {
		ex->err = iso.err;
		return;
	}
	tsc_export_script_info(ex, "START_TIME", iso.data);
	tsc_buf_free(&iso);
	if (ex->term)
		tsc_export_script_info(ex, "TERM", ex->term);
	if (ex->tty)
		tsc_export_script_info(ex, "TTY", ex->tty);
	if (ex->size_known) {
		snprintf(num, sizeof(num), "%u", ex->cols);
		tsc_export_script_info(ex, "COLUMNS", num);
		snprintf(num, sizeof(num), "%u", ex->rows);
		tsc_export_script_info(ex, "LINES", num);
	}
	if (ex->command)
		tsc_export_script_info(ex, "COMMAND", ex->command);
	tsc_export_script_banner(ex, &ex->out);
	if ((ex->flags & TSC_EXPORT_INPUT) && ex->in_fd != ex->out_fd)
		tsc_export_script_banner(ex, &ex->in);
}

static void tsc_export_start(struct tsc_exporter *ex)
{
	if (ex->started)
		return;
	ex->started = true;
	if (ex->format == TSC_EXPORT_SCRIPT)
		tsc_export_script_header(ex);
	else
		tsc_export_cast_header(ex);
}

/* Microseconds since the start for an event at @rel ns. */
static uint64_t tsc_export_us(uint64_t rel)
{
	return rel / 1000u + (rel % 1000u >= 500u);
}

/* Start of an event line: its time and code (asciicast) or type (script). */
static void tsc_export_event_head(struct tsc_exporter *ex, uint64_t us,
				  char code)
{
	struct tsc_buf *b = &ex->main;

	switch (ex->format) {
	case TSC_EXPORT_ASCIICAST_V2:
		tsc_buf_printf(b, "[");
		tsc_put_us(b, us);
		tsc_buf_printf(b, ", \"%c\", ", code);
		break;
	case TSC_EXPORT_ASCIICAST_V3:
		tsc_buf_printf(b, "[");
		tsc_put_us(b, us - ex->last_us);
		tsc_buf_printf(b, ", \"%c\", ", code);
		break;
	case TSC_EXPORT_SCRIPT:
		/* script's stream letters: O, I, and S for the signal */
		tsc_buf_printf(b, "%c ", code == 'r' ? 'S' : code - 'a' + 'A');
		tsc_put_us(b, us - ex->last_us);
		tsc_buf_printf(b, " ");
		break;
	}
	ex->last_us = us;
}

/*
 * An output or input event. asciicast: the bytes after the stream's carry,
 * up to the last complete UTF-8 character; the rest is carried on. script:
 * all bytes, into the data log.
 */
static void tsc_export_data(struct tsc_exporter *ex, int stream, uint64_t us,
			    const uint8_t *data, size_t len, bool final)
{
	uint8_t buf[4 + TTYSCOPE_MAX_PAYLOAD];
	size_t n, keep;
	char code = stream == TSC_STREAM_OUT ? 'o' : 'i';

	if (ex->format == TSC_EXPORT_SCRIPT) {
		if (len == 0)
			return;
		tsc_export_event_head(ex, us, code);
		tsc_buf_printf(&ex->main, "%zu\n", len);
		tsc_buf_append(stream == TSC_STREAM_OUT ? &ex->out :
							  tsc_export_inbuf(ex),
			       data, len);
		return;
	}
	n = ex->carry_len[stream];
	memcpy(buf, ex->carry[stream], n);
	if (len)
		memcpy(buf + n, data, len);
	n += len;
	keep = final ? n : tsc_utf8_complete(buf, n);
	ex->carry_len[stream] = n - keep;
	memcpy(ex->carry[stream], buf + keep, n - keep);
	if (keep == 0)
		return;
	tsc_export_event_head(ex, us, code);
	tsc_json_put_string(&ex->main, buf, keep);
	tsc_buf_printf(&ex->main, "]\n");
}

/* A window size change. */
static void tsc_export_resize(struct tsc_exporter *ex, uint64_t us,
			      const struct tsc_winsize *ws)
{
	tsc_export_event_head(ex, us, 'r');
	if (ex->format == TSC_EXPORT_SCRIPT)
		tsc_buf_printf(&ex->main, "SIGWINCH ROWS=%u COLS=%u\n",
			       ws->rows, ws->cols);
	else
		tsc_buf_printf(&ex->main, "\"%ux%u\"]\n", ws->cols, ws->rows);
}

/**
 * tsc_exporter_add() - export one record
 * @exporter: the exporter
 * @rec: a record of the session, in order
 *
 * The first record's time is time 0 unless a start was given. WINSIZE
 * records before the first event set the initial size.
 *
 * Return: 0, -EINVAL after finish, -ENOMEM or -errno from write().
 */
int tsc_exporter_add(struct tsc_exporter *exporter, const struct tsc_rec *rec)
{
	struct tsc_exporter *ex = exporter;
	struct tsc_winsize ws;
	struct tsc_inject inj;
	uint64_t rel;

	if (ex->finished)
		return -EINVAL;
	if (ex->err)
		return ex->err;
	if (!ex->have_start) {
		ex->start_ns = rec->hdr.ts_ns;
		ex->have_start = true;
	}
	rel = rec->hdr.ts_ns > ex->start_ns ? rec->hdr.ts_ns - ex->start_ns : 0;
	if (rel < ex->last_rel)
		rel = ex->last_rel;
	ex->last_rel = rel;

	switch (rec->hdr.type) {
	case TTYSCOPE_REC_OUT:
		if (rec->hdr.len == 0)
			break;
		tsc_export_start(ex);
		tsc_export_data(ex, TSC_STREAM_OUT, tsc_export_us(rel),
				rec->payload, rec->hdr.len, false);
		break;
	case TTYSCOPE_REC_IN:
		if (!(ex->flags & TSC_EXPORT_INPUT) || rec->hdr.len == 0)
			break;
		tsc_export_start(ex);
		tsc_export_data(ex, TSC_STREAM_IN, tsc_export_us(rel),
				rec->payload, rec->hdr.len, false);
		break;
	case TTYSCOPE_REC_INJECT:
		if (!(ex->flags & TSC_EXPORT_INPUT) ||
		    tsc_rec_decode_inject(rec, &inj) || inj.len == 0)
			break;
		tsc_export_start(ex);
		tsc_export_data(ex, TSC_STREAM_IN, tsc_export_us(rel), inj.data,
				inj.len, false);
		break;
	case TTYSCOPE_REC_WINSIZE:
		if (tsc_rec_decode_winsize(rec, &ws) || !ws.rows || !ws.cols)
			break;
		if (!ex->started) {
			ex->cols = ws.cols;
			ex->rows = ws.rows;
			ex->size_known = true;
			break;
		}
		tsc_export_resize(ex, tsc_export_us(rel), &ws);
		break;
	default:
		break;
	}
	tsc_export_drain_all(ex, false);
	return ex->err;
}

/**
 * tsc_exporter_finish() - complete the export and write everything out
 * @exporter: the exporter
 *
 * Writes the header if no event came, flushes carried bytes of an
 * incomplete last character (as U+FFFD), and closes the recording: the
 * "x" event of asciicast v3 (with %TSC_EXPORT_EXIT_STATUS), script's
 * DURATION and EXIT_CODE lines and the "Script done" line of the logs.
 * The time of the last record counts as the end.
 *
 * Return: 0, -EINVAL if already finished, -ENOMEM or -errno from write().
 */
int tsc_exporter_finish(struct tsc_exporter *exporter)
{
	struct tsc_exporter *ex = exporter;
	uint64_t end = tsc_export_us(ex->last_rel);
	struct tsc_buf *bufs[2] = { &ex->out, NULL };

	if (ex->finished)
		return -EINVAL;
	if (ex->err)
		return ex->err;
	ex->finished = true;
	tsc_export_start(ex);
	for (int s = TSC_STREAM_OUT; s <= TSC_STREAM_IN; s++)
		if (ex->carry_len[s])
			tsc_export_data(ex, s, end, NULL, 0, true);

	switch (ex->format) {
	case TSC_EXPORT_ASCIICAST_V2:
		break;
	case TSC_EXPORT_ASCIICAST_V3:
		if (ex->flags & TSC_EXPORT_EXIT_STATUS) {
			tsc_export_event_head(ex, end, 'x');
			tsc_buf_printf(&ex->main, "\"%d\"]\n", ex->exit_status);
		}
		break;
	case TSC_EXPORT_SCRIPT:
		tsc_buf_printf(&ex->main, "H 0.000000 DURATION ");
		tsc_put_us(&ex->main, end);
		tsc_buf_printf(&ex->main, "\n");
		if (ex->flags & TSC_EXPORT_EXIT_STATUS)
			tsc_buf_printf(&ex->main, "H 0.000000 EXIT_CODE %d\n",
				       ex->exit_status);
		if ((ex->flags & TSC_EXPORT_INPUT) && ex->in_fd != ex->out_fd)
			bufs[1] = &ex->in;
		for (int i = 0; i < 2 && bufs[i]; i++) {
			tsc_buf_printf(bufs[i], "\nScript done on ");
			tsc_put_iso(bufs[i], ex->start_ns + end * 1000u);
			if (ex->flags & TSC_EXPORT_EXIT_STATUS)
				tsc_buf_printf(bufs[i],
					       " [COMMAND_EXIT_CODE=\"%d\"]",
					       ex->exit_status);
			tsc_buf_printf(bufs[i], "\n");
		}
		break;
	}
	tsc_export_drain_all(ex, true);
	return ex->err;
}
