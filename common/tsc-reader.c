// SPDX-License-Identifier: GPL-2.0-only
/*
 * Stream reader: a buffer over a file descriptor that hands out whole,
 * validated records.
 *
 * The buffer holds [start, end) unread bytes; buf[start] is at stream
 * offset @offset. A returned record stays in the buffer until the next call,
 * so its pointers stay valid until then. Before every read() at least
 * TSC_REC_MAX_SIZE bytes are free, which /dev/rpl requires (it never splits
 * a record and fails with EINVAL if the next one does not fit).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "tsc-private.h"
#include "tsc-reader.h"

/* Internal result of the parse steps: more bytes must be read first. */
#define TSC_NEED_MORE 2

struct tsc_reader {
	int fd;
	unsigned int flags;
	uint8_t *buf;
	size_t size;
	size_t start;
	size_t end;
	size_t consume; /* size of the record returned last, dropped next */
	uint64_t offset; /* stream offset of buf[start] */
	uint64_t skipped; /* bytes dropped by resynchronisation */
	bool resync; /* scanning for the next valid record */
	struct tsc_error error;
};

/**
 * tsc_reader_new() - create a reader on a file descriptor
 * @fd: any readable fd; blocking or not. The reader does not own it.
 * @opts: options, or NULL for the defaults
 * @ret_reader: the reader
 *
 * Return: 0 or -ENOMEM.
 */
int tsc_reader_new(int fd, const struct tsc_reader_options *opts,
		   struct tsc_reader **ret_reader)
{
	struct tsc_reader *r;
	size_t size = TSC_READER_BUF_DEFAULT;

	if (opts && opts->bufsize)
		size = opts->bufsize < TSC_READER_BUF_MIN ? TSC_READER_BUF_MIN :
							    opts->bufsize;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->buf = malloc(size);
	if (!r->buf) {
		free(r);
		return -ENOMEM;
	}
	r->fd = fd;
	r->size = size;
	if (opts) {
		r->offset = opts->offset;
		r->flags = opts->flags;
	}
	*ret_reader = r;
	return 0;
}

/* Free a reader (NULL is fine); the fd stays open. */
void tsc_reader_free(struct tsc_reader *reader)
{
	if (!reader)
		return;
	free(reader->buf);
	free(reader);
}

/* Drop @n unread bytes as skipped garbage. */
static void tsc_reader_skip(struct tsc_reader *r, size_t n)
{
	r->start += n;
	r->offset += n;
	r->skipped += n;
}

/* Record a fault at the current position; returns @err. */
static int tsc_reader_fault(struct tsc_reader *r, enum tsc_fault fault, int err)
{
	r->error.fault = fault;
	r->error.offset = r->offset;
	r->error.inner = 0;
	return err;
}

/*
 * Read more bytes, first moving the unread ones to the front if fewer than
 * TSC_REC_MAX_SIZE bytes are free. Returns the number of bytes read, 0 at
 * end of file, -EAGAIN or another -errno.
 */
static ssize_t tsc_reader_fill(struct tsc_reader *r)
{
	ssize_t n;

	if (r->size - r->end < TSC_REC_MAX_SIZE || r->start == r->end) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	do
		n = read(r->fd, r->buf + r->end, r->size - r->end);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	r->end += (size_t)n;
	return n;
}

/* Whether a valid header starts at @p. */
static bool tsc_header_valid(const uint8_t *p, struct tsc_rec_hdr *hdr)
{
	tsc_rec_hdr_unpack(p, hdr);
	return tsc_rec_hdr_check(hdr) == TSC_FAULT_NONE;
}

/*
 * Resynchronise: find the next offset where a record can start. A valid
 * header followed by another valid header (or by the end of the stream)
 * is a strong candidate and wins at once. A valid header followed by
 * garbage is a weak candidate: it is taken only if no strong candidate
 * starts inside the record it announces (a fake header in garbage often
 * overlaps the real record after it; a real record may well be followed
 * by garbage). The scan restarts from the current position on each call,
 * so no state survives a NEED_MORE. Returns 0 when positioned,
 * TSC_NEED_MORE, or 1 when the stream ended without a candidate (all of
 * it skipped).
 */
static int tsc_reader_scan(struct tsc_reader *r, bool eof)
{
	static const uint8_t magic[4] = { 'T', 'S', 'C', 'R' };
	const uint8_t *base = r->buf + r->start;
	size_t avail = r->end - r->start, i = 0, c, weak = 0, weak_end = 0;
	bool have_weak = false;
	struct tsc_rec_hdr hdr, next;

	for (;;) {
		const uint8_t *m = NULL;
		size_t total;

		if (i < avail)
			m = memmem(base + i, avail - i, magic, sizeof(magic));
		c = m ? (size_t)(m - base) : avail;
		/*
		 * No other candidate starts inside the weak one's record
		 * (all of which, and a header beyond, is buffered).
		 */
		if (have_weak && c >= weak_end) {
			tsc_reader_skip(r, weak);
			return 0;
		}
		if (!m) {
			if (eof) {
				tsc_reader_skip(r, avail);
				return 1;
			}
			/* keep a tail that may be the start of the magic */
			if (avail > sizeof(magic) - 1)
				tsc_reader_skip(r, avail - (sizeof(magic) - 1));
			return TSC_NEED_MORE;
		}
		if (avail - c < TSC_REC_HDR_SIZE) {
			if (eof) {
				i = c + 1;
				continue;
			}
			break;
		}
		if (!tsc_header_valid(m, &hdr)) {
			i = c + 1;
			continue;
		}
		total = TSC_REC_HDR_SIZE + hdr.len;
		if (avail - c < total + TSC_REC_HDR_SIZE) {
			if (!eof)
				break;
			/* followed by the end of the stream */
			tsc_reader_skip(r, c);
			return 0;
		}
		if (tsc_header_valid(m + total, &next)) {
			tsc_reader_skip(r, c);
			return 0;
		}
		if (!have_weak) {
			have_weak = true;
			weak = c;
			weak_end = c + total;
		}
		i = c + 1;
	}
	/* undecided: keep from the first candidate on and read more */
	tsc_reader_skip(r, have_weak ? weak : c);
	return TSC_NEED_MORE;
}

/*
 * Try to produce the next record from the buffered bytes. @eof: the last
 * read returned end of file. Returns 1 with @rec set, 0 at end of stream,
 * TSC_NEED_MORE, or a negative error.
 */
static int tsc_reader_try(struct tsc_reader *r, bool eof, struct tsc_rec *rec)
{
	struct tsc_rec_hdr hdr;
	enum tsc_fault fault;
	size_t avail, total;

	if (r->resync) {
		int s = tsc_reader_scan(r, eof);

		if (s == TSC_NEED_MORE)
			return TSC_NEED_MORE;
		if (s == 1)
			return 0;
		r->resync = false;
	}
	avail = r->end - r->start;
	if (avail == 0)
		return eof ? 0 : TSC_NEED_MORE;
	if (avail < TSC_REC_HDR_SIZE) {
		if (!eof)
			return TSC_NEED_MORE;
		/* a short tail that cannot start a record is garbage */
		if (memcmp(r->buf + r->start, "TSCR", avail < 4 ? avail : 4))
			return tsc_reader_fault(r, TSC_FAULT_MAGIC, -EBADMSG);
		return tsc_reader_fault(r, TSC_FAULT_TRUNCATED, -ENODATA);
	}

	tsc_rec_hdr_unpack(r->buf + r->start, &hdr);
	fault = tsc_rec_hdr_check(&hdr);
	if (fault != TSC_FAULT_NONE)
		return tsc_reader_fault(r, fault, -EBADMSG);
	total = TSC_REC_HDR_SIZE + hdr.len;
	if (avail < total)
		return eof ? tsc_reader_fault(r, TSC_FAULT_TRUNCATED,
					      -ENODATA) :
			     TSC_NEED_MORE;

	rec->hdr = hdr;
	rec->raw = r->buf + r->start;
	rec->payload = rec->raw + TSC_REC_HDR_SIZE;
	r->consume = total;
	return 1;
}

/**
 * tsc_reader_next() - read the next record
 * @reader: the reader
 * @ret_rec: the record; its pointers stay valid until the next call on
 *	@reader
 *
 * Reads as needed, retrying after EINTR. On a non-blocking fd, -EAGAIN
 * keeps the bytes read so far; call again when the fd is readable. After an
 * error nothing is consumed: calling again retries (a truncated record
 * completes if the file grew; a malformed one fails again until
 * tsc_reader_resync()).
 *
 * Return: 1 and a record; 0 at end of stream on a record boundary;
 * -EAGAIN; -EBADMSG for a malformed record and -ENODATA if the stream
 * ended inside a record (tsc_reader_error() says where and why); another
 * -errno from read().
 */
int tsc_reader_next(struct tsc_reader *reader, struct tsc_rec *ret_rec)
{
	struct tsc_rec rec;
	bool eof = false;

	if (reader->consume) {
		reader->start += reader->consume;
		reader->offset += reader->consume;
		reader->consume = 0;
	}
	for (;;) {
		int r = tsc_reader_try(reader, eof, &rec);
		ssize_t n;

		if (r == -EBADMSG && (reader->flags & TSC_READER_RESYNC)) {
			reader->resync = true;
			continue;
		}
		if (r == 1)
			*ret_rec = rec;
		if (r != TSC_NEED_MORE)
			return r;
		n = tsc_reader_fill(reader);
		if (n < 0)
			return (int)n;
		eof = n == 0;
	}
}

/**
 * tsc_reader_resync() - skip to the next valid record after an error
 * @reader: the reader
 *
 * The next tsc_reader_next() scans forward from the current position for
 * a valid header that is followed by another valid header (or by the end
 * of the stream), and continues there. The bytes passed over are added to
 * tsc_reader_skipped().
 *
 * Return: 0.
 */
int tsc_reader_resync(struct tsc_reader *reader)
{
	reader->resync = true;
	return 0;
}

/**
 * tsc_reader_reset() - forget buffered bytes, e.g. after lseek() on the fd
 * @reader: the reader
 * @offset: stream offset of the next byte the fd will return
 *
 * Clears the error, the resynchronisation state and the skip counter.
 */
void tsc_reader_reset(struct tsc_reader *reader, uint64_t offset)
{
	reader->start = 0;
	reader->end = 0;
	reader->consume = 0;
	reader->offset = offset;
	reader->skipped = 0;
	reader->resync = false;
	memset(&reader->error, 0, sizeof(reader->error));
}

/*
 * The last fault: set when tsc_reader_next() returned -EBADMSG or -ENODATA
 * (or skipped malformed data with TSC_READER_RESYNC); fault
 * TSC_FAULT_NONE if there was none. Later successful reads keep it.
 */
const struct tsc_error *tsc_reader_error(const struct tsc_reader *reader)
{
	return &reader->error;
}

/* Stream offset of the last fault; see tsc_reader_error(). */
uint64_t tsc_reader_error_offset(const struct tsc_reader *reader)
{
	return reader->error.offset;
}

/* Stream offset of the record tsc_reader_next() returned last, or of the
 * next one if it has not returned one since the last error or reset. */
uint64_t tsc_reader_offset(const struct tsc_reader *reader)
{
	return reader->offset;
}

/* Bytes skipped by resynchronisation since creation or the last reset. */
uint64_t tsc_reader_skipped(const struct tsc_reader *reader)
{
	return reader->skipped;
}

/* Bytes read from the fd but not yet returned in a record. */
size_t tsc_reader_pending(const struct tsc_reader *reader)
{
	return reader->end - reader->start - reader->consume;
}
