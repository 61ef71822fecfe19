// SPDX-License-Identifier: GPL-2.0-only
/*
 * Importers: asciicast v2/v3 and util-linux script recordings (advanced
 * multi-stream timing or classic two-column timing, with their data logs)
 * turned into records: OPEN, WINSIZE, OUT, IN, CLOSE, numbered from seq 0,
 * data split into records of at most TTYSCOPE_MAX_PAYLOAD bytes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "tsc-export.h"
#include "tsc-json.h"
#include "tsc-private.h"

/* Longest line accepted in a timing or asciicast file. */
#define TSC_LINE_MAX (64u << 20)
#define TSC_READ_CHUNK (64u << 10)

/* Buffered reading of an fd, by lines or by byte counts. */
struct tsc_input {
	int fd;
	char *buf;
	size_t cap;
	size_t start;
	size_t end;
	bool eof;
};

static void tsc_input_free(struct tsc_input *in)
{
	free(in->buf);
	in->buf = NULL;
}

/* Read more, keeping the unread bytes. Returns >0, 0 at EOF, -errno. */
static ssize_t tsc_input_fill(struct tsc_input *in)
{
	ssize_t n;

	if (in->eof)
		return 0;
	if (in->start > 0) {
		memmove(in->buf, in->buf + in->start, in->end - in->start);
		in->end -= in->start;
		in->start = 0;
	}
	if (in->cap - in->end < TSC_READ_CHUNK) {
		size_t cap = in->cap ? in->cap * 2 : 2 * TSC_READ_CHUNK;
		char *buf;

		if (cap > TSC_LINE_MAX + 2 * TSC_READ_CHUNK)
			return -E2BIG;
		buf = realloc(in->buf, cap);
		if (!buf)
			return -ENOMEM;
		in->buf = buf;
		in->cap = cap;
	}
	do
		n = read(in->fd, in->buf + in->end, in->cap - in->end);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		in->eof = true;
	in->end += (size_t)n;
	return n;
}

/*
 * The next line, without its "\n" (and "\r\n"); a last line without a
 * newline counts. Returns 1, 0 at EOF, -EBADMSG if longer than
 * TSC_LINE_MAX, -errno. The line stays valid until the next call.
 */
static int tsc_input_line(struct tsc_input *in, char **ret_line,
			  size_t *ret_len)
{
	size_t scanned = 0;

	for (;;) {
		size_t avail = in->end - in->start - scanned;
		char *nl = avail ? memchr(in->buf + in->start + scanned, '\n',
					  avail) :
				   NULL;
		size_t len;
		ssize_t n;

		if (nl || (in->eof && in->end > in->start)) {
			len = nl ? (size_t)(nl - (in->buf + in->start)) :
				   in->end - in->start;
			*ret_line = in->buf + in->start;
			in->start += len + (nl ? 1 : 0);
			if (len > 0 && (*ret_line)[len - 1] == '\r')
				len--;
			*ret_len = len;
			return 1;
		}
		if (in->eof)
			return 0;
		scanned = in->end - in->start;
		if (scanned > TSC_LINE_MAX)
			return -EBADMSG;
		n = tsc_input_fill(in);
		if (n == -E2BIG)
			return -EBADMSG;
		if (n < 0)
			return (int)n;
	}
}

/* Up to @len bytes (fewer only at EOF); returns the count or -errno. */
static ssize_t tsc_input_bytes(struct tsc_input *in, uint8_t *dst, size_t len)
{
	size_t done = 0;

	while (done < len) {
		size_t n = in->end - in->start;
		ssize_t r;

		if (n > 0) {
			if (n > len - done)
				n = len - done;
			memcpy(dst + done, in->buf + in->start, n);
			in->start += n;
			done += n;
			continue;
		}
		r = tsc_input_fill(in);
		if (r < 0)
			return r;
		if (r == 0)
			break;
	}
	return (ssize_t)done;
}

/* Skip the first line of a data log (script's "Script started" banner). */
static int tsc_input_skip_line(struct tsc_input *in)
{
	char *line;
	size_t len;
	int r = tsc_input_line(in, &line, &len);

	return r < 0 ? r : 0;
}

/* Builds records and hands them to the sink. */
struct tsc_emitter {
	tsc_rec_sink_fn sink;
	void *userdata;
	uint32_t major;
	uint32_t minor;
	uint64_t seq;
	struct tsc_import_info *info;
	uint8_t raw[TSC_REC_MAX_SIZE];
};

static int tsc_emit(struct tsc_emitter *em, unsigned int type, uint64_t ts,
		    const void *payload, size_t len)
{
	struct tsc_rec_hdr hdr = {
		.type = (uint16_t)type,
		.len = (uint32_t)len,
		.major = em->major,
		.minor = em->minor,
		.seq = em->seq,
		.ts_ns = ts,
	};
	struct tsc_rec rec;
	int r;

	r = tsc_rec_encode(&hdr, payload, em->raw, sizeof(em->raw));
	if (r < 0)
		return r;
	tsc_rec_parse(em->raw, (size_t)r, &rec);
	r = em->sink(em->userdata, &rec);
	if (r < 0)
		return r;
	em->seq++;
	em->info->records++;
	return 0;
}

/* Data as records of at most TTYSCOPE_MAX_PAYLOAD bytes. */
static int tsc_emit_data(struct tsc_emitter *em, unsigned int type, uint64_t ts,
			 const uint8_t *data, size_t len)
{
	while (len > 0) {
		size_t n = len > TTYSCOPE_MAX_PAYLOAD ? TTYSCOPE_MAX_PAYLOAD :
							len;
		int r = tsc_emit(em, type, ts, data, n);

		if (r < 0)
			return r;
		data += n;
		len -= n;
	}
	return 0;
}

static int tsc_emit_open(struct tsc_emitter *em, uint64_t ts, const char *name)
{
	struct tsc_open open = { .kind = TTYSCOPE_KIND_OTHER };
	uint8_t payload[TSC_OPEN_SIZE];

	if (name) {
		if (!strncmp(name, "/dev/", 5))
			name += 5;
		snprintf(open.name, sizeof(open.name), "%s", name);
	}
	tsc_rec_encode_open(&open, payload);
	return tsc_emit(em, TTYSCOPE_REC_OPEN, ts, payload, sizeof(payload));
}

static int tsc_emit_winsize(struct tsc_emitter *em, uint64_t ts, uint16_t cols,
			    uint16_t rows)
{
	struct tsc_winsize ws = { .rows = rows, .cols = cols };
	uint8_t payload[TSC_WINSIZE_SIZE];

	tsc_rec_encode_winsize(&ws, payload);
	return tsc_emit(em, TTYSCOPE_REC_WINSIZE, ts, payload, sizeof(payload));
}

/* Parse a decimal integer of @s (no sign) up to @max. */
static bool tsc_parse_uint(const char *s, size_t len, uint64_t max,
			   uint64_t *ret)
{
	uint64_t v = 0;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9' || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*ret = v;
	return true;
}

/* Parse "COLSxROWS" (asciicast resize data). */
static bool tsc_parse_size(const char *s, size_t len, uint16_t *cols,
			   uint16_t *rows)
{
	const char *x = memchr(s, 'x', len);
	uint64_t c, r;

	if (!x || !tsc_parse_uint(s, (size_t)(x - s), UINT16_MAX, &c) ||
	    !tsc_parse_uint(x + 1, len - (size_t)(x - s) - 1, UINT16_MAX, &r))
		return false;
	*cols = (uint16_t)c;
	*rows = (uint16_t)r;
	return true;
}

/* One asciicast header value as a size; false if absent or invalid. */
static bool tsc_cast_dim(const struct tsc_json *v, uint16_t *ret)
{
	uint64_t n;

	if (tsc_json_uint(v, UINT16_MAX, &n))
		return false;
	*ret = (uint16_t)n;
	return true;
}

/* Handle one asciicast event line; @t is the running time (ns since start). */
static int tsc_cast_event(struct tsc_emitter *em, int version, uint64_t start,
			  const char *line, size_t len, uint64_t *t)
{
	const struct tsc_json *ev, *time, *code, *data;
	struct tsc_json_doc *doc;
	uint64_t ns;
	uint16_t cols, rows;
	int r;

	r = tsc_json_parse(line, len, &doc);
	if (r < 0)
		return r;
	ev = tsc_json_root(doc);
	time = tsc_json_at(ev, 0);
	code = tsc_json_at(ev, 1);
	data = tsc_json_at(ev, 2);
	r = -EBADMSG;
	if (!code || code->type != TSC_JSON_STRING ||
	    tsc_json_seconds_ns(time, &ns))
		goto out;
	if (version == 2)
		*t = ns > *t ? ns : *t;
	else if (ns > UINT64_MAX - *t)
		goto out;
	else
		*t += ns;
	r = 0;
	if (code->len != 1)
		goto out;
	switch (code->str[0]) {
	case 'o':
	case 'i':
		if (!data || data->type != TSC_JSON_STRING) {
			r = -EBADMSG;
			break;
		}
		r = tsc_emit_data(em,
				  code->str[0] == 'o' ? TTYSCOPE_REC_OUT :
							TTYSCOPE_REC_IN,
				  start + *t, (const uint8_t *)data->str,
				  data->len);
		break;
	case 'r':
		if (!data || data->type != TSC_JSON_STRING ||
		    !tsc_parse_size(data->str, data->len, &cols, &rows)) {
			r = -EBADMSG;
			break;
		}
		r = tsc_emit_winsize(em, start + *t, cols, rows);
		break;
	default:
		/* markers, exit status and unknown codes carry no record */
		break;
	}
out:
	tsc_json_free(doc);
	return r;
}

/**
 * tsc_import_asciicast() - import an asciicast v2 or v3 recording
 * @fd: the .cast file (read to the end; not owned)
 * @opts: options, or NULL for the defaults
 * @sink: receives the records
 * @userdata: passed to @sink
 * @info: filled in on success and on failure
 *
 * The header gives the initial size (WINSIZE after OPEN) and the start
 * time (the header's "timestamp" in seconds, else @opts->start_ns). "o"
 * events become OUT, "i" IN, "r" WINSIZE; markers, "x" and unknown event
 * codes are skipped; in v3, lines starting with '#' are comments. Event
 * times that go backwards (v2) are held at the latest time. CLOSE follows
 * the last event.
 *
 * Return: 0; -EBADMSG for a malformed line (@info->line says which);
 * -EPROTONOSUPPORT for other asciicast versions; a negative value @sink
 * returned; -ENOMEM or -errno.
 */
int tsc_import_asciicast(int fd, const struct tsc_import_options *opts,
			 tsc_rec_sink_fn sink, void *userdata,
			 struct tsc_import_info *info)
{
	static const struct tsc_import_options defaults;
	struct tsc_emitter *em;
	struct tsc_input in = { .fd = fd };
	struct tsc_json_doc *doc = NULL;
	const struct tsc_json *hdr, *term;
	uint64_t version, start, t = 0;
	uint16_t cols, rows;
	char *line;
	size_t len;
	int r;

	if (!opts)
		opts = &defaults;
	memset(info, 0, sizeof(*info));
	em = calloc(1, sizeof(*em));
	if (!em)
		return -ENOMEM;
	*em = (struct tsc_emitter){ .sink = sink,
				    .userdata = userdata,
				    .major = opts->major,
				    .minor = opts->minor,
				    .info = info };

	info->line = 1;
	r = tsc_input_line(&in, &line, &len);
	if (r == 0)
		r = -EBADMSG;
	if (r < 0)
		goto out;
	r = tsc_json_parse(line, len, &doc);
	if (r < 0)
		goto out;
	hdr = tsc_json_root(doc);
	r = -EBADMSG;
	if (tsc_json_uint(tsc_json_get(hdr, "version"), 1000, &version))
		goto out;
	if (version != 2 && version != 3) {
		r = -EPROTONOSUPPORT;
		goto out;
	}
	term = version == 2 ? hdr : tsc_json_get(hdr, "term");
	if (!tsc_cast_dim(tsc_json_get(term, version == 2 ? "width" : "cols"),
			  &cols) ||
	    !tsc_cast_dim(tsc_json_get(term, version == 2 ? "height" : "rows"),
			  &rows))
		goto out;
	if (tsc_json_seconds_ns(tsc_json_get(hdr, "timestamp"), &start))
		start = opts->start_ns;
	tsc_json_free(doc);
	doc = NULL;

	r = tsc_emit_open(em, start, opts->tty);
	if (r == 0)
		r = tsc_emit_winsize(em, start, cols, rows);
	while (r == 0) {
		info->line++;
		r = tsc_input_line(&in, &line, &len);
		if (r <= 0)
			break;
		while (len > 0 && (*line == ' ' || *line == '\t')) {
			line++;
			len--;
		}
		if (len == 0 || (version == 3 && *line == '#')) {
			r = 0;
			continue;
		}
		r = tsc_cast_event(em, (int)version, start, line, len, &t);
	}
	if (r == 0) {
		info->line--;
		r = tsc_emit(em, TTYSCOPE_REC_CLOSE, start + t, NULL, 0);
	}
out:
	tsc_json_free(doc);
	tsc_input_free(&in);
	free(em);
	return r;
}

/*
 * Parse script's "<sec>.<usec>" delay (any number of fraction digits; up
 * to 9 are used) into nanoseconds.
 */
static bool tsc_parse_delay(const char *s, size_t len, uint64_t *ret_ns)
{
	const char *dot = memchr(s, '.', len);
	uint64_t sec, frac = 0, scale = 100000000u;
	size_t ilen = dot ? (size_t)(dot - s) : len;

	if (!tsc_parse_uint(s, ilen, UINT64_MAX / 1000000000u - 1, &sec))
		return false;
	if (dot) {
		size_t i;

		if (ilen + 1 == len)
			return false;
		for (i = ilen + 1; i < len; i++) {
			if (s[i] < '0' || s[i] > '9')
				return false;
			frac += (uint64_t)(s[i] - '0') * scale;
			scale /= 10;
		}
	}
	*ret_ns = sec * 1000000000u + frac;
	return true;
}

/*
 * Parse script's START_TIME ("2024-05-01 12:34:56+00:00"; also with 'T',
 * fractional seconds, "Z", "+HHMM" or no zone, meaning UTC).
 */
static bool tsc_parse_iso(const char *s, uint64_t *ret_ns)
{
	int y, mo, d, h, mi, sec, n = 0, zh = 0, zm = 0;
	struct tm tm = { 0 };
	long long off = 0;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2d%*1[ T]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi,
		   &sec, &n) != 6 ||
	    n == 0)
		return false;
	s += n;
	if (*s == '.' || *s == ',')
		for (s++; *s >= '0' && *s <= '9'; s++)
			;
	if (*s == '+' || *s == '-') {
		int sign = *s == '-' ? -1 : 1;

		if (sscanf(s + 1, "%2d:%2d", &zh, &zm) != 2 &&
		    sscanf(s + 1, "%2d%2d", &zh, &zm) != 2)
			return false;
		off = sign * (zh * 3600LL + zm * 60LL);
	} else if (*s && *s != 'Z') {
		return false;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1 || (long long)t - off < 0)
		return false;
	*ret_ns = (uint64_t)((long long)t - off) * 1000000000u;
	return true;
}

/* State of a script import. */
struct tsc_script_import {
	struct tsc_emitter em;
	const struct tsc_import_options *opts;
	struct tsc_input timing;
	struct tsc_input out;
	struct tsc_input in;
	struct tsc_input *inp; /* &out, &in, or NULL: no input log */
	uint64_t start;
	uint64_t t;
	bool opened;
	uint16_t cols;
	uint16_t rows;
	char tty[128];
	uint8_t data[TSC_READ_CHUNK];
};

/* OPEN (and WINSIZE if the header gave a size) before the first event. */
static int tsc_script_open(struct tsc_script_import *si)
{
	const char *tty = si->opts->tty;
	int r;

	if (si->opened)
		return 0;
	si->opened = true;
	if (!tty && si->tty[0])
		tty = si->tty;
	r = tsc_emit_open(&si->em, si->start, tty);
	if (r == 0 && si->cols && si->rows)
		r = tsc_emit_winsize(&si->em, si->start, si->cols, si->rows);
	return r;
}

/* Copy @size bytes of a data log into records (none if @log is NULL). */
static int tsc_script_data(struct tsc_script_import *si, struct tsc_input *log,
			   unsigned int type, uint64_t size)
{
	while (log && size > 0) {
		size_t n = size > sizeof(si->data) ? sizeof(si->data) :
						     (size_t)size;
		ssize_t got = tsc_input_bytes(log, si->data, n);
		int r;

		if (got < 0)
			return (int)got;
		if ((size_t)got < n)
			return -EBADMSG;
		r = tsc_emit_data(&si->em, type, si->start + si->t, si->data,
				  n);
		if (r < 0)
			return r;
		size -= n;
	}
	return 0;
}

/* A header line "NAME VALUE" of advanced timing. */
static void tsc_script_info(struct tsc_script_import *si, const char *s,
			    size_t len)
{
	const char *sp = memchr(s, ' ', len);
	size_t nlen = sp ? (size_t)(sp - s) : len;
	char value[128];
	size_t vlen = sp ? len - nlen - 1 : 0;
	uint64_t v;

	if (si->opened || vlen >= sizeof(value))
		return;
	memcpy(value, sp ? sp + 1 : "", vlen);
	value[vlen] = '\0';
	if (nlen == 10 && !memcmp(s, "START_TIME", 10)) {
		tsc_parse_iso(value, &si->start);
	} else if (nlen == 7 && !memcmp(s, "COLUMNS", 7) &&
		   tsc_parse_uint(value, vlen, UINT16_MAX, &v)) {
		si->cols = (uint16_t)v;
	} else if (nlen == 5 && !memcmp(s, "LINES", 5) &&
		   tsc_parse_uint(value, vlen, UINT16_MAX, &v)) {
		si->rows = (uint16_t)v;
	} else if (nlen == 3 && !memcmp(s, "TTY", 3)) {
		snprintf(si->tty, sizeof(si->tty), "%s", value);
	}
}

/* One line of the timing file. */
static int tsc_script_line(struct tsc_script_import *si, bool classic,
			   const char *s, size_t len)
{
	const char *end = s + len, *f1;
	char type = 'O', buf[64];
	uint64_t delay, size, rows, cols;
	int r, n = 0;

	if (!classic) {
		if (len < 2 || s[1] != ' ')
			return -EBADMSG;
		type = s[0];
		s += 2;
	}
	f1 = memchr(s, ' ', (size_t)(end - s));
	if (!f1 || !tsc_parse_delay(s, (size_t)(f1 - s), &delay) ||
	    delay > UINT64_MAX - si->t)
		return -EBADMSG;
	si->t += delay;
	f1++;
	switch (type) {
	case 'O':
	case 'I':
		if (!tsc_parse_uint(f1, (size_t)(end - f1), UINT32_MAX, &size))
			return -EBADMSG;
		r = tsc_script_open(si);
		if (r < 0)
			return r;
		return tsc_script_data(
			si, type == 'O' ? &si->out : si->inp,
			type == 'O' ? TTYSCOPE_REC_OUT : TTYSCOPE_REC_IN, size);
	case 'S':
		r = tsc_script_open(si);
		if (r < 0)
			return r;
		/* "SIGWINCH ROWS=24 COLS=80"; other signals carry no record */
		len = (size_t)(end - f1);
		if (len < 9 || memcmp(f1, "SIGWINCH ", 9))
			return 0;
		if (len >= sizeof(buf))
			return -EBADMSG;
		memcpy(buf, f1, len);
		buf[len] = '\0';
		if (sscanf(buf, "SIGWINCH ROWS=%" SCNu64 " COLS=%" SCNu64 "%n",
			   &rows, &cols, &n) != 2 ||
		    (size_t)n != len || rows > UINT16_MAX || cols > UINT16_MAX)
			return -EBADMSG;
		return tsc_emit_winsize(&si->em, si->start + si->t,
					(uint16_t)cols, (uint16_t)rows);
	case 'H':
		tsc_script_info(si, f1, (size_t)(end - f1));
		return 0;
	default:
		return -EBADMSG;
	}
}

/**
 * tsc_import_script() - import a util-linux script recording
 * @timing_fd: the timing file (advanced "I/O/S/H" lines or classic
 *	"<delay> <size>" lines, detected like scriptreplay does)
 * @out_fd: the output log (typescript)
 * @in_fd: the input log; @out_fd if both were logged to one file
 *	(--log-io); -1 if none (input entries are then skipped)
 * @opts: options, or NULL for the defaults
 * @sink: receives the records
 * @userdata: passed to @sink
 * @info: filled in on success and on failure
 *
 * Like scriptreplay, the first line of each data log (script's banner) is
 * skipped and entries take their bytes from the logs in order. START_TIME
 * gives the start (else @opts->start_ns), COLUMNS and LINES the initial
 * size, TTY the tty name. The fds are read to the end and not owned.
 *
 * Return: 0; -EBADMSG for a malformed timing line or a data log shorter
 * than the timing says (@info->line says where); a negative value @sink
 * returned; -ENOMEM or -errno.
 */
int tsc_import_script(int timing_fd, int out_fd, int in_fd,
		      const struct tsc_import_options *opts,
		      tsc_rec_sink_fn sink, void *userdata,
		      struct tsc_import_info *info)
{
	static const struct tsc_import_options defaults;
	struct tsc_script_import *si;
	bool classic = false, first = true;
	char *line;
	size_t len;
	int r;

	if (!opts)
		opts = &defaults;
	memset(info, 0, sizeof(*info));
	si = calloc(1, sizeof(*si));
	if (!si)
		return -ENOMEM;
	si->em = (struct tsc_emitter){ .sink = sink,
				       .userdata = userdata,
				       .major = opts->major,
				       .minor = opts->minor,
				       .info = info };
	si->opts = opts;
	si->start = opts->start_ns;
	si->timing.fd = timing_fd;
	si->out.fd = out_fd;
	si->in.fd = in_fd;
	si->inp = in_fd < 0 ? NULL : in_fd == out_fd ? &si->out : &si->in;

	r = tsc_input_skip_line(&si->out);
	if (r == 0 && si->inp == &si->in)
		r = tsc_input_skip_line(&si->in);
	while (r == 0) {
		info->line++;
		r = tsc_input_line(&si->timing, &line, &len);
		if (r <= 0)
			break;
		if (first) {
			classic = len > 0 && line[0] >= '0' && line[0] <= '9';
			first = false;
		}
		if (len == 0) {
			r = 0;
			continue;
		}
		r = tsc_script_line(si, classic, line, len);
	}
	if (r == 0) {
		info->line--;
		r = tsc_script_open(si);
	}
	if (r == 0)
		r = tsc_emit(&si->em, TTYSCOPE_REC_CLOSE, si->start + si->t,
			     NULL, 0);
	tsc_input_free(&si->timing);
	tsc_input_free(&si->out);
	tsc_input_free(&si->in);
	free(si);
	return r;
}
