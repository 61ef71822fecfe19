// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer targets: the importers (common/tsc-import.c) and, on what they
 * produce, the exporters.
 *
 * fuzz-cast: the input is an asciicast v2 or v3 file. fuzz-script (built
 * with FUZZ_IMPORT_SCRIPT): a flags byte (bit 0: there is an input log;
 * bit 1: input and output share one log, like script --log-io), then the
 * timing file, the output log and the input log, separated by
 * FUZZ_SEPARATOR.
 *
 * Invariants: the records are valid, numbered from 0, start with OPEN and
 * (on success) end with CLOSE; the exporter accepts all of them; and the
 * export imports again to the same output and input bytes (for asciicast,
 * when those bytes are valid UTF-8, which is what asciicast can carry).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "tsc-json.h"
#include "ttyscope.h"

/* What an import produced: the records' order, and the data streams. */
struct capture {
	uint64_t records;
	unsigned int last_type;
	struct tsc_buf out;
	struct tsc_buf in;
	struct tsc_exporter *ex;
};

static int sink(void *userdata, const struct tsc_rec *rec)
{
	struct capture *c = userdata;
	struct tsc_rec again;
	unsigned int t = rec->hdr.type;

	FUZZ_ASSERT(tsc_rec_parse(rec->raw, TSC_REC_HDR_SIZE + rec->hdr.len,
				  &again) == 0);
	FUZZ_ASSERT(rec->hdr.seq == c->records);
	FUZZ_ASSERT(c->records > 0 || t == TTYSCOPE_REC_OPEN);
	FUZZ_ASSERT(c->last_type != TTYSCOPE_REC_CLOSE);
	FUZZ_ASSERT(t == TTYSCOPE_REC_OPEN || t == TTYSCOPE_REC_WINSIZE ||
		    t == TTYSCOPE_REC_OUT || t == TTYSCOPE_REC_IN ||
		    t == TTYSCOPE_REC_CLOSE);
	FUZZ_ASSERT(t != TTYSCOPE_REC_CLOSE || rec->hdr.len == 0);
	if (t == TTYSCOPE_REC_OUT)
		tsc_buf_append(&c->out, rec->payload, rec->hdr.len);
	else if (t == TTYSCOPE_REC_IN)
		tsc_buf_append(&c->in, rec->payload, rec->hdr.len);
	FUZZ_ASSERT(!c->out.err && !c->in.err);
	if (c->ex)
		FUZZ_ASSERT(tsc_exporter_add(c->ex, rec) == 0);
	c->records++;
	c->last_type = t;
	return 0;
}

static void capture_free(struct capture *c)
{
	tsc_buf_free(&c->out);
	tsc_buf_free(&c->in);
	tsc_exporter_free(c->ex);
}

static bool same(const struct tsc_buf *a, const struct tsc_buf *b)
{
	return a->len == b->len &&
	       (!a->len || !memcmp(a->data, b->data, a->len));
}

/* Check the result of an import and its info. */
static void check_import(const struct capture *c, int r,
			 const struct tsc_import_info *info)
{
	FUZZ_ASSERT(info->records == c->records);
	if (r == 0)
		FUZZ_ASSERT(c->last_type == TTYSCOPE_REC_CLOSE);
	else
		FUZZ_ASSERT(r == -EBADMSG || r == -EPROTONOSUPPORT);
}

#ifdef FUZZ_IMPORT_SCRIPT

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tsc_export_options eo = { .flags = TSC_EXPORT_INPUT };
	struct capture c = { 0 }, c2 = { 0 };
	struct tsc_import_info info;
	const uint8_t *timing, *out, *in;
	size_t tlen, olen, ilen;
	int tfd, ofd, ifd, efd[3], flags, r;

	if (size < 1)
		return 0;
	flags = data[0];
	data++;
	size--;
	timing = fuzz_split(&data, &size, &tlen);
	out = fuzz_split(&data, &size, &olen);
	in = fuzz_split(&data, &size, &ilen);
	tfd = fuzz_memfd(timing, tlen);
	ofd = fuzz_memfd(out, olen);
	ifd = !(flags & 1) ? -1 : flags & 2 ? ofd : fuzz_memfd(in, ilen);

	for (int i = 0; i < 3; i++)
		efd[i] = fuzz_memfd("", 0);
	FUZZ_ASSERT(tsc_exporter_new(TSC_EXPORT_SCRIPT, &eo, efd[0], efd[1],
				     efd[2], &c.ex) == 0);
	r = tsc_import_script(tfd, ofd, ifd, NULL, sink, &c, &info);
	check_import(&c, r, &info);
	if (r == 0) {
		/* script's format is lossless: the export reads back the same */
		FUZZ_ASSERT(tsc_exporter_finish(c.ex) == 0);
		for (int i = 0; i < 3; i++)
			FUZZ_ASSERT(lseek(efd[i], 0, SEEK_SET) == 0);
		r = tsc_import_script(efd[0], efd[1], efd[2], NULL, sink, &c2,
				      &info);
		FUZZ_ASSERT(r == 0);
		FUZZ_ASSERT(same(&c.out, &c2.out) && same(&c.in, &c2.in));
	}
	capture_free(&c);
	capture_free(&c2);
	for (int i = 0; i < 3; i++)
		close(efd[i]);
	if (ifd >= 0 && ifd != ofd)
		close(ifd);
	close(ofd);
	close(tfd);
	return 0;
}

#else

/* Whether all of @b is well-formed UTF-8. */
static bool utf8_valid(const struct tsc_buf *b)
{
	const uint8_t *s = (const uint8_t *)b->data;
	size_t n;

	for (size_t i = 0; i < b->len; i += n)
		if (tsc_utf8_seq(s + i, b->len - i, &n) != 1)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tsc_export_options eo = { .flags = TSC_EXPORT_INPUT };
	struct capture c = { 0 }, c2 = { 0 };
	struct tsc_import_info info;
	int fd = fuzz_memfd(data, size), efd = fuzz_memfd("", 0), r;

	/* v3 keeps input, resizes and every time; v2 times are absolute */
	FUZZ_ASSERT(tsc_exporter_new(size % 2 ? TSC_EXPORT_ASCIICAST_V3 :
						TSC_EXPORT_ASCIICAST_V2,
				     &eo, efd, -1, -1, &c.ex) == 0);
	r = tsc_import_asciicast(fd, NULL, sink, &c, &info);
	check_import(&c, r, &info);
	if (r == 0) {
		FUZZ_ASSERT(tsc_exporter_finish(c.ex) == 0);
		FUZZ_ASSERT(lseek(efd, 0, SEEK_SET) == 0);
		r = tsc_import_asciicast(efd, NULL, sink, &c2, &info);
		FUZZ_ASSERT(r == 0);
		if (utf8_valid(&c.out) && utf8_valid(&c.in))
			FUZZ_ASSERT(same(&c.out, &c2.out) &&
				    same(&c.in, &c2.in));
	}
	capture_free(&c);
	capture_free(&c2);
	close(efd);
	close(fd);
	return 0;
}

#endif
