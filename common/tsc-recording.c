// SPDX-License-Identifier: GPL-2.0-only
/*
 * Recordings in memory: loading from every supported format, time and
 * text look-ups, and the restart points of backward seeks. See
 * tsc-recording.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsc-export.h"
#include "tsc-log.h"
#include "tsc-recording.h"

/* Parser states of tsc_text_strip(). */
enum { T_GROUND, T_ESC, T_ESC_INTER, T_CSI, T_STR, T_STR_ESC };

/**
 * tsc_text_strip() - convert terminal output to plain text
 * @t: the state, carried from one call to the next
 * @in: output bytes
 * @len: number of bytes at @in
 * @out: room for @len bytes, or NULL to only follow the state
 *
 * Escape sequences are removed (and RIS, "ESC c", counted in @t->resets);
 * CR LF and a lone CR become LF; other C0 controls and DEL are removed.
 *
 * Return: the number of text bytes (written to @out unless NULL).
 */
size_t tsc_text_strip(struct tsc_text_strip *t, const uint8_t *in, size_t len,
		      uint8_t *out)
{
	size_t n = 0;

#define EMIT(ch)                       \
	do {                           \
		if (out)               \
			out[n] = (ch); \
		n++;                   \
	} while (0)

	for (size_t i = 0; i < len; i++) {
		uint8_t c = in[i];

		switch (t->state) {
		case T_GROUND:
			if (c == 0x1b) {
				t->state = T_ESC;
			} else if (c == '\r') {
				t->cr = true;
			} else if (c == '\n') {
				EMIT('\n');
				t->cr = false;
			} else if ((c >= 0x20 && c != 0x7f) || c == '\t') {
				if (t->cr)
					EMIT('\n');
				t->cr = false;
				EMIT(c);
			}
			break;
		case T_ESC:
			if (c == '[')
				t->state = T_CSI;
			else if (c == ']' || c == 'P' || c == 'X' || c == '^' ||
				 c == '_')
				t->state = T_STR;
			else if (c >= 0x20 && c <= 0x2f)
				t->state = T_ESC_INTER;
			else
				t->state = T_GROUND;
			if (c == 'c')
				t->resets++;
			break;
		case T_ESC_INTER:
			if (c < 0x20 || c > 0x2f)
				t->state = T_GROUND;
			break;
		case T_CSI:
			if (c >= 0x40 && c <= 0x7e)
				t->state = T_GROUND;
			break;
		case T_STR:
			if (c == 0x07 || c == 0x18 || c == 0x1a)
				t->state = T_GROUND;
			else if (c == 0x1b)
				t->state = T_STR_ESC;
			break;
		default:
			t->state = c == 0x1b ? T_STR_ESC : T_GROUND;
			break;
		}
	}
#undef EMIT
	return n;
}

/**
 * tsc_recording_push() - append a copy of a record
 * @rec: the recording
 * @r: the record; its payload is copied
 *
 * Return: 0 or -ENOMEM.
 */
int tsc_recording_push(struct tsc_recording *rec, const struct tsc_rec *r)
{
	struct tsc_rec *dst;
	uint8_t *copy = NULL;

	if (rec->n == rec->cap) {
		size_t cap = rec->cap ? rec->cap * 2 : 256;
		struct tsc_rec *v = realloc(rec->recs, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		rec->recs = v;
		rec->cap = cap;
	}
	if (r->hdr.len) {
		copy = malloc(r->hdr.len);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, r->payload, r->hdr.len);
	}
	dst = &rec->recs[rec->n++];
	dst->hdr = r->hdr;
	dst->payload = copy;
	dst->raw = NULL;
	return 0;
}

/**
 * tsc_recording_free() - free what a recording holds and zero it
 * @rec: the recording
 */
void tsc_recording_free(struct tsc_recording *rec)
{
	for (size_t i = 0; i < rec->n; i++)
		free((void *)rec->recs[i].payload);
	free(rec->recs);
	free(rec->host);
	free(rec->tty);
	free(rec->user);
	free(rec->command);
	memset(rec, 0, sizeof(*rec));
}

static int tsc_recording_sink(void *userdata, const struct tsc_rec *r)
{
	return tsc_recording_push(userdata, r);
}

static int tsc_dup_str(const char *src, char **ret)
{
	*ret = NULL;
	if (!src)
		return 0;
	*ret = strdup(src);
	return *ret ? 0 : -ENOMEM;
}

static int tsc_recording_load_log(struct tsc_recording *rec, int fd,
				  struct tsc_recording_error *err)
{
	struct tsc_log_reader *reader;
	const struct tsc_log_meta *meta;
	struct tsc_rec r;
	int ret;

	ret = tsc_log_reader_new(fd, &reader);
	if (ret == -EBADMSG || ret == -ENODATA || ret == -EPROTONOSUPPORT) {
		err->header = true; /* not a log, or a newer format */
		return -EBADMSG;
	}
	if (ret < 0)
		return ret;
	meta = tsc_log_reader_meta(reader);
	rec->have_meta = true;
	rec->uid = meta->uid;
	rec->start_ns = meta->start_ns;
	ret = tsc_dup_str(meta->host, &rec->host);
	if (!ret)
		ret = tsc_dup_str(meta->tty, &rec->tty);
	if (!ret)
		ret = tsc_dup_str(meta->user, &rec->user);
	for (size_t i = 0; !ret && i < meta->n_fields; i++)
		if (!strcmp(meta->fields[i].key, "command") && !rec->command)
			ret = tsc_dup_str(meta->fields[i].value, &rec->command);
	while (!ret && (ret = tsc_log_reader_next(reader, &r)) > 0)
		ret = tsc_recording_push(rec, &r);
	if (ret == -EBADMSG)
		err->offset = tsc_log_reader_error(reader)->offset;
	tsc_log_reader_free(reader);
	return ret < 0 ? ret : 0;
}

/**
 * tsc_recording_sniff() - guess the format of a file from its first bytes
 * @fd: the file (read with pread() at offset 0)
 *
 * Return: %TSC_RECORDING_LOG (the log magic), %TSC_RECORDING_ASCIICAST
 * (starts with '{'), else %TSC_RECORDING_SCRIPT.
 */
enum tsc_recording_format tsc_recording_sniff(int fd)
{
	static const char log_magic[12] = "TTYSCOPELOG";
	char buf[12];
	ssize_t n = pread(fd, buf, sizeof(buf), 0);

	if (n == (ssize_t)sizeof(buf) && !memcmp(buf, log_magic, sizeof(buf)))
		return TSC_RECORDING_LOG;
	if (n > 0 && buf[0] == '{')
		return TSC_RECORDING_ASCIICAST;
	return TSC_RECORDING_SCRIPT;
}

/**
 * tsc_recording_load() - read a whole session file into a recording
 * @rec: the recording, zeroed
 * @fd: the file: a log, an asciicast file, or script's typescript
 * @timing_fd: script's timing file, or -1
 * @format: the format of @fd; %TSC_RECORDING_AUTO: tsc_recording_sniff()
 *	(script if @timing_fd is given)
 * @ret_error: on -EBADMSG, where; its @format is set on every failure
 *
 * Return: 0; -EBADMSG if the file is malformed (or not a log); -EINVAL
 * for a script recording without @timing_fd; another negative errno if
 * reading failed. On failure @rec is freed.
 */
int tsc_recording_load(struct tsc_recording *rec, int fd, int timing_fd,
		       enum tsc_recording_format format,
		       struct tsc_recording_error *ret_error)
{
	struct tsc_recording_error err = { 0 };
	struct tsc_import_info info = { 0 };
	int r;

	if (format == TSC_RECORDING_AUTO)
		format = timing_fd >= 0 ? TSC_RECORDING_SCRIPT :
					  tsc_recording_sniff(fd);
	err.format = format;
	switch (format) {
	case TSC_RECORDING_LOG:
		r = tsc_recording_load_log(rec, fd, &err);
		break;
	case TSC_RECORDING_ASCIICAST:
		r = tsc_import_asciicast(fd, NULL, tsc_recording_sink, rec,
					 &info);
		err.line = info.line;
		break;
	case TSC_RECORDING_SCRIPT:
		if (timing_fd < 0) {
			r = -EINVAL;
			break;
		}
		r = tsc_import_script(timing_fd, fd, fd, NULL,
				      tsc_recording_sink, rec, &info);
		err.line = info.line;
		break;
	default:
		r = -EINVAL;
		break;
	}
	if (r < 0) {
		tsc_recording_free(rec);
		if (ret_error)
			*ret_error = err;
		return r;
	}
	return 0;
}

/**
 * tsc_recording_load_stream() - append the records of a stream in memory
 * @rec: the recording
 * @buf: records back to back (docs/FORMAT.md "Stream")
 * @len: bytes at @buf
 *
 * Log index records are skipped; an incomplete record at the end is
 * ignored. Records appended before an error stay.
 *
 * Return: 0; -EBADMSG at an invalid record; -ENOMEM.
 */
int tsc_recording_load_stream(struct tsc_recording *rec, const void *buf,
			      size_t len)
{
	const uint8_t *p = buf;
	size_t off = 0;

	while (off < len) {
		struct tsc_rec r;
		int ret = tsc_rec_parse(p + off, len - off, &r);

		if (ret == -ENODATA)
			break;
		if (ret < 0)
			return ret;
		off += TSC_REC_HDR_SIZE + r.hdr.len;
		if (r.hdr.type == TSC_REC_LOG_INDEX ||
		    r.hdr.type == TSC_REC_LOG_TRAILER)
			continue;
		ret = tsc_recording_push(rec, &r);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* ts_ns of the first record; 0 if there is none. */
uint64_t tsc_recording_first_ts(const struct tsc_recording *rec)
{
	return rec->n ? rec->recs[0].hdr.ts_ns : 0;
}

/* The largest ts_ns of any record; 0 if there is none. */
uint64_t tsc_recording_last_ts(const struct tsc_recording *rec)
{
	uint64_t max = 0;

	for (size_t i = 0; i < rec->n; i++)
		if (rec->recs[i].hdr.ts_ns > max)
			max = rec->recs[i].hdr.ts_ns;
	return max;
}

/**
 * tsc_recording_find_time() - where playback stands at a time
 * @rec: the recording
 * @ts_ns: a recording time
 *
 * As the log reader's seek (docs/FORMAT.md "Seeking"): the first record in
 * order whose ts_ns, or that of a record before it, is at least @ts_ns
 * (the clock may have been stepped back).
 *
 * Return: its index; @rec->n if every record is earlier.
 */
size_t tsc_recording_find_time(const struct tsc_recording *rec, uint64_t ts_ns)
{
	for (size_t i = 0; i < rec->n; i++)
		if (rec->recs[i].hdr.ts_ns >= ts_ns)
			return i;
	return rec->n;
}

/**
 * tsc_recording_restart() - where to start drawing the screen of a record
 * @rec: the recording
 * @index: a record index (at most @rec->n)
 *
 * The screen before record @index is the output of the records before it,
 * fed to a reset terminal. If an OUT record before @index resets the
 * terminal (RIS, "ESC c", outside any other escape sequence), what came
 * before that reset does not matter: feeding from the last such record on
 * gives the same screen, given the window size in force there.
 *
 * Return: the index of the last OUT record before @index that contains a
 * reset; 0 if there is none.
 */
size_t tsc_recording_restart(const struct tsc_recording *rec, size_t index)
{
	struct tsc_text_strip t = { 0 };
	size_t last = 0;

	if (index > rec->n)
		index = rec->n;
	for (size_t i = 0; i < index; i++) {
		const struct tsc_rec *r = &rec->recs[i];
		uint64_t before = t.resets;

		if (r->hdr.type != TTYSCOPE_REC_OUT)
			continue;
		tsc_text_strip(&t, r->payload, r->hdr.len, NULL);
		if (t.resets != before)
			last = i;
	}
	return last;
}

/**
 * tsc_recording_search() - find output text
 * @rec: the recording
 * @from: the first record index to consider
 * @needle: the text, compared byte for byte with the output as plain text
 *	(tsc_text_strip(): escape sequences removed, line ends as LF)
 *
 * A match may span records; it counts for the record that holds its first
 * byte.
 *
 * Return: the index of the first OUT record at or after @from where a
 * match starts; -ENOENT if there is none (or @needle is empty); -ENOMEM.
 */
ssize_t tsc_recording_search(const struct tsc_recording *rec, size_t from,
			     const char *needle)
{
	struct tsc_text_strip t = { 0 };
	size_t total = 0, len = 0, start = 0, nlen = strlen(needle);
	size_t *ends;
	uint8_t *text;
	ssize_t found = -ENOENT;

	if (!nlen)
		return -ENOENT;
	for (size_t i = 0; i < rec->n; i++)
		if (rec->recs[i].hdr.type == TTYSCOPE_REC_OUT)
			total += rec->recs[i].hdr.len;
	text = malloc(total + 1);
	ends = calloc(rec->n ? rec->n : 1, sizeof(*ends));
	if (!text || !ends) {
		found = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < rec->n; i++) {
		const struct tsc_rec *r = &rec->recs[i];

		if (i == from)
			start = len;
		if (r->hdr.type == TTYSCOPE_REC_OUT)
			len += tsc_text_strip(&t, r->payload, r->hdr.len,
					      text + len);
		ends[i] = len;
	}
	if (from >= rec->n)
		goto out;
	for (size_t pos = start; pos + nlen <= len; pos++) {
		const uint8_t *m = memmem(text + pos, len - pos, needle, nlen);

		if (!m)
			break;
		pos = (size_t)(m - text);
		for (size_t i = from; i < rec->n; i++)
			if (pos < ends[i]) {
				found = (ssize_t)i;
				break;
			}
		break;
	}
out:
	free(text);
	free(ends);
	return found;
}
