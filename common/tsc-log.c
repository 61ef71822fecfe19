// SPDX-License-Identifier: GPL-2.0-only
/*
 * Log files: writer and reader. The byte layout is in docs/FORMAT.md
 * ("Log files"); the constants below mirror it.
 *
 * A file is a header, then units: records (uncompressed logs; index records
 * in all logs) or compressed frames (a 40-byte frame header followed by one
 * zstd frame holding whole records). The index is a list of entries, one
 * per chunk of about chunk_size bytes of records (per frame in compressed
 * logs), giving where the chunk starts and the first and largest timestamp
 * in it. A writer that finishes appends the index as LOG_INDEX records and
 * a LOG_TRAILER record; a reader finding no valid trailer rebuilds the index
 * by walking the units from the header on, which is also how it follows a
 * file that is still growing.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "tsc-log.h"
#include "tsc-private.h"

#define TSC_LOG_MAGIC "TTYSCOPELOG"
#define TSC_LOG_MAGIC_SIZE 12u
#define TSC_LOG_FIXED_SIZE 64u
#define TSC_LOG_HEADER_MAX (64u << 10)
#define TSC_LOG_KNOWN_FLAGS TSC_LOG_ZSTD

/* Compressed frame header: "TSCZ" in memory order. */
#define TSC_FRAME_MAGIC 0x5a435354u
#define TSC_FRAME_HDR_SIZE 40u

/* Index entries per LOG_INDEX record. */
#define TSC_INDEX_PER_REC (TTYSCOPE_MAX_PAYLOAD / TSC_LOG_INDEX_ENTRY_SIZE)

/* Bytes the reader reads at a time when it walks the file. */
#define TSC_WINDOW_SIZE (256u << 10)

/*
 * One index entry: a chunk of records (in compressed logs, one frame).
 * @file_off: file offset of the chunk's first record, or of the frame
 * @stream_off: bytes of data records before the chunk
 * @first_ts: ts_ns of the chunk's first record
 * @max_ts: largest ts_ns in the chunk
 * @first_recno: number of data records before the chunk
 * @first_seq: seq of the chunk's first record
 */
struct tsc_log_entry {
	uint64_t file_off;
	uint64_t stream_off;
	uint64_t first_ts;
	uint64_t max_ts;
	uint64_t first_recno;
	uint64_t first_seq;
};

/* A growable list of entries, with the running maximum of max_ts. */
struct tsc_log_index {
	struct tsc_log_entry *e;
	uint64_t *prefix_max; /* prefix_max[i] = max(e[0..i].max_ts) */
	size_t n;
	size_t cap;
};

/* Append an entry; returns 0 or -ENOMEM. */
static int tsc_index_add(struct tsc_log_index *idx,
			 const struct tsc_log_entry *entry)
{
	if (idx->n == idx->cap) {
		size_t cap = idx->cap ? idx->cap * 2 : 64;
		struct tsc_log_entry *e;
		uint64_t *pm;

		e = realloc(idx->e, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		idx->e = e;
		pm = realloc(idx->prefix_max, cap * sizeof(*pm));
		if (!pm)
			return -ENOMEM;
		idx->prefix_max = pm;
		idx->cap = cap;
	}
	idx->e[idx->n] = *entry;
	idx->prefix_max[idx->n] = entry->max_ts;
	if (idx->n > 0 && idx->prefix_max[idx->n - 1] > entry->max_ts)
		idx->prefix_max[idx->n] = idx->prefix_max[idx->n - 1];
	idx->n++;
	return 0;
}

/* Raise the last entry's max_ts to @ts if larger (its chunk grew). */
static void tsc_index_grow_last(struct tsc_log_index *idx, uint64_t ts)
{
	size_t i = idx->n - 1;

	if (ts > idx->e[i].max_ts)
		idx->e[i].max_ts = ts;
	if (ts > idx->prefix_max[i])
		idx->prefix_max[i] = ts;
}

static void tsc_index_free(struct tsc_log_index *idx)
{
	free(idx->e);
	free(idx->prefix_max);
	memset(idx, 0, sizeof(*idx));
}

/*
 * FNV-1a, 64 bits, over the index entries as stored: the trailer carries
 * it so that a damaged index is not trusted.
 */
static uint64_t tsc_fnv1a(uint64_t h, const uint8_t *p, size_t len)
{
	while (len--) {
		h ^= *p++;
		h *= 0x100000001b3u;
	}
	return h;
}

#define TSC_FNV1A_INIT 0xcbf29ce484222325u

static void tsc_entry_pack(const struct tsc_log_entry *e, uint8_t *p)
{
	tsc_put_le64(p + 0, e->file_off);
	tsc_put_le64(p + 8, e->stream_off);
	tsc_put_le64(p + 16, e->first_ts);
	tsc_put_le64(p + 24, e->max_ts);
	tsc_put_le64(p + 32, e->first_recno);
	tsc_put_le64(p + 40, e->first_seq);
}

static void tsc_entry_unpack(const uint8_t *p, struct tsc_log_entry *e)
{
	e->file_off = tsc_get_le64(p + 0);
	e->stream_off = tsc_get_le64(p + 8);
	e->first_ts = tsc_get_le64(p + 16);
	e->max_ts = tsc_get_le64(p + 24);
	e->first_recno = tsc_get_le64(p + 32);
	e->first_seq = tsc_get_le64(p + 40);
}

/*
 * The trailer's hash: FNV-1a over the packed index entries, then over the
 * trailer payload before the hash (file id, index offset and the counts).
 */
static uint64_t tsc_log_index_hash(const struct tsc_log_index *idx,
				   const uint8_t *trailer)
{
	uint64_t h = TSC_FNV1A_INIT;
	uint8_t buf[TSC_LOG_INDEX_ENTRY_SIZE];

	for (size_t i = 0; i < idx->n; i++) {
		tsc_entry_pack(&idx->e[i], buf);
		h = tsc_fnv1a(h, buf, sizeof(buf));
	}
	return tsc_fnv1a(h, trailer, TSC_LOG_TRAILER_SIZE - 8);
}

/* A compressed frame header in host order. */
struct tsc_frame_hdr {
	uint32_t magic;
	uint32_t csize;
	uint32_t usize;
	uint32_t nrec;
	uint64_t first_ts;
	uint64_t max_ts;
	uint64_t first_seq;
};

static void tsc_frame_hdr_pack(const struct tsc_frame_hdr *f, uint8_t *p)
{
	tsc_put_le32(p + 0, f->magic);
	tsc_put_le32(p + 4, f->csize);
	tsc_put_le32(p + 8, f->usize);
	tsc_put_le32(p + 12, f->nrec);
	tsc_put_le64(p + 16, f->first_ts);
	tsc_put_le64(p + 24, f->max_ts);
	tsc_put_le64(p + 32, f->first_seq);
}

/* Unpack and bounds-check a frame header; returns whether it is valid. */
static bool tsc_frame_hdr_unpack(const uint8_t *p, struct tsc_frame_hdr *f)
{
	f->magic = tsc_get_le32(p + 0);
	f->csize = tsc_get_le32(p + 4);
	f->usize = tsc_get_le32(p + 8);
	f->nrec = tsc_get_le32(p + 12);
	f->first_ts = tsc_get_le64(p + 16);
	f->max_ts = tsc_get_le64(p + 24);
	f->first_seq = tsc_get_le64(p + 32);
	return f->magic == TSC_FRAME_MAGIC && f->csize > 0 &&
	       f->csize <= ZSTD_compressBound(TSC_LOG_CHUNK_MAX) &&
	       f->usize >= TSC_REC_HDR_SIZE && f->usize <= TSC_LOG_CHUNK_MAX &&
	       f->nrec > 0 && f->nrec <= f->usize / TSC_REC_HDR_SIZE &&
	       f->first_ts <= f->max_ts;
}

static uint64_t tsc_now_realtime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---------------------------------------------------------------- writer */

/*
 * @fd: the file, not owned
 * @off: file size: where the next unit goes
 * @stream_off, @nrec: data records written (or buffered) so far
 * @chunk_bytes: bytes of records in the current chunk (uncompressed)
 * @broken: a failed write could not be undone; the file is left as is
 * @finished: the index was written
 * @cctx, @raw, @raw_len, @frame: compressed logs: the records of the
 *	frame being built and its header fields
 * @zbuf, @zcap: frame header + compressed frame, as written
 */
struct tsc_log_writer {
	int fd;
	unsigned int flags;
	uint32_t chunk_size;
	uint8_t file_id[TSC_LOG_FILE_ID_SIZE];
	uint64_t off;
	uint64_t stream_off;
	uint64_t nrec;
	uint64_t chunk_bytes;
	bool broken;
	bool finished;
	struct tsc_log_index index;

	ZSTD_CCtx *cctx;
	uint8_t *raw;
	size_t raw_len;
	struct tsc_frame_hdr frame;
	uint8_t *zbuf;
	size_t zcap;
};

/* Whether a header string is acceptable: NUL-free and at most @max bytes. */
static bool tsc_field_ok(const char *s, size_t min, size_t max)
{
	size_t len = strnlen(s, max + 1);

	return len >= min && len <= max;
}

/* Append one key/value field to the header being built at @p. */
static size_t tsc_field_put(uint8_t *p, const char *key, const char *value)
{
	size_t klen = strlen(key), vlen = strlen(value);

	tsc_put_le16(p, (uint16_t)klen);
	tsc_put_le16(p + 2, (uint16_t)vlen);
	memcpy(p + 4, key, klen);
	memcpy(p + 4 + klen, value, vlen);
	return 4 + klen + vlen;
}

static bool tsc_key_reserved(const char *key)
{
	return !strcmp(key, "host") || !strcmp(key, "tty") ||
	       !strcmp(key, "user");
}

/*
 * Build the file header for @meta in a new buffer. Returns its length
 * (a multiple of 8) via @ret_len, or -EINVAL for bad fields, -E2BIG if the
 * header would exceed 64 KiB, -ENOMEM.
 */
static int tsc_log_header_build(const struct tsc_log_meta *meta,
				const struct tsc_log_writer *w,
				uint8_t **ret_buf, size_t *ret_len)
{
	const char *well_known[3][2] = {
		{ "host", meta->host },
		{ "tty", meta->tty },
		{ "user", meta->user },
	};
	size_t len = TSC_LOG_FIXED_SIZE, n = 0, i, j;
	uint8_t *buf, *p;

	if (meta->n_fields && !meta->fields)
		return -EINVAL;
	for (i = 0; i < 3; i++) {
		if (!well_known[i][1])
			continue;
		if (!tsc_field_ok(well_known[i][1], 0, UINT16_MAX))
			return -EINVAL;
		len += 4 + strlen(well_known[i][0]) + strlen(well_known[i][1]);
		n++;
	}
	for (i = 0; i < meta->n_fields; i++) {
		const struct tsc_log_field *f = &meta->fields[i];

		if (!f->key || !f->value || !tsc_field_ok(f->key, 1, 255) ||
		    !tsc_field_ok(f->value, 0, UINT16_MAX) ||
		    tsc_key_reserved(f->key))
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (!strcmp(f->key, meta->fields[j].key))
				return -EINVAL;
		len += 4 + strlen(f->key) + strlen(f->value);
		if (len > TSC_LOG_HEADER_MAX)
			return -E2BIG;
		n++;
	}
	len = (len + 7) & ~(size_t)7;
	if (len > TSC_LOG_HEADER_MAX)
		return -E2BIG;

	buf = calloc(1, len);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, TSC_LOG_MAGIC, TSC_LOG_MAGIC_SIZE);
	tsc_put_le16(buf + 12, TSC_LOG_VERSION);
	tsc_put_le16(buf + 14, (uint16_t)w->flags);
	tsc_put_le32(buf + 16, (uint32_t)len);
	tsc_put_le32(buf + 20, w->chunk_size);
	tsc_put_le32(buf + 24, meta->major);
	tsc_put_le32(buf + 28, meta->minor);
	tsc_put_le32(buf + 32, meta->uid);
	tsc_put_le32(buf + 36, (uint32_t)n);
	tsc_put_le64(buf + 40, meta->start_ns);
	memcpy(buf + 48, w->file_id, TSC_LOG_FILE_ID_SIZE);
	p = buf + TSC_LOG_FIXED_SIZE;
	for (i = 0; i < 3; i++)
		if (well_known[i][1])
			p += tsc_field_put(p, well_known[i][0],
					   well_known[i][1]);
	for (i = 0; i < meta->n_fields; i++)
		p += tsc_field_put(p, meta->fields[i].key,
				   meta->fields[i].value);
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

/*
 * Append @len bytes as one unit. On failure the file is cut back to its
 * previous size so that no partial unit stays; if even that fails the
 * writer is broken and refuses further work.
 */
static int tsc_log_writer_put(struct tsc_log_writer *w, const void *buf,
			      size_t len)
{
	int r;

	if (w->broken)
		return -EIO;
	r = tsc_write_all(w->fd, buf, len);
	if (r < 0) {
		if (ftruncate(w->fd, (off_t)w->off) < 0 ||
		    lseek(w->fd, (off_t)w->off, SEEK_SET) < 0)
			w->broken = true;
		return r;
	}
	w->off += len;
	return 0;
}

/**
 * tsc_log_writer_new() - start a log file
 * @fd: an empty regular file open for writing (O_APPEND is fine). The
 *	writer does not own it: close it after tsc_log_writer_free().
 * @meta: the header; strings are copied into the file at once
 * @opts: options, or NULL for an uncompressed log with default chunks
 * @ret_writer: the writer
 *
 * Writes the header with one write().
 *
 * Return: 0; -EINVAL for bad options, header fields or a non-empty file;
 * -E2BIG if the header exceeds 64 KiB; -ENOMEM; -errno from write().
 */
int tsc_log_writer_new(int fd, const struct tsc_log_meta *meta,
		       const struct tsc_log_writer_options *opts,
		       struct tsc_log_writer **ret_writer)
{
	static const uint8_t zero_id[TSC_LOG_FILE_ID_SIZE];
	struct tsc_log_writer *w;
	struct stat st;
	uint8_t *hdr;
	size_t hdr_len;
	int level = 3;
	int r;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size != 0)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = fd;
	w->chunk_size = TSC_LOG_CHUNK_DEFAULT;
	if (opts) {
		if ((opts->flags & ~TSC_LOG_KNOWN_FLAGS) ||
		    (opts->chunk_size &&
		     (opts->chunk_size < TSC_LOG_CHUNK_MIN ||
		      opts->chunk_size > TSC_LOG_CHUNK_MAX))) {
			r = -EINVAL;
			goto err;
		}
		w->flags = opts->flags;
		if (opts->chunk_size)
			w->chunk_size = opts->chunk_size;
		if (opts->zstd_level)
			level = opts->zstd_level;
	}
	if (memcmp(meta->file_id, zero_id, sizeof(zero_id))) {
		memcpy(w->file_id, meta->file_id, sizeof(w->file_id));
	} else {
		ssize_t n = getrandom(w->file_id, sizeof(w->file_id), 0);

		if (n != (ssize_t)sizeof(w->file_id)) {
			r = n < 0 ? -errno : -EIO;
			goto err;
		}
	}

	if (w->flags & TSC_LOG_ZSTD) {
		w->cctx = ZSTD_createCCtx();
		w->raw = malloc(w->chunk_size);
		w->zcap =
			TSC_FRAME_HDR_SIZE + ZSTD_compressBound(w->chunk_size);
		w->zbuf = malloc(w->zcap);
		if (!w->cctx || !w->raw || !w->zbuf) {
			r = -ENOMEM;
			goto err;
		}
		if (ZSTD_isError(ZSTD_CCtx_setParameter(
			    w->cctx, ZSTD_c_compressionLevel, level)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(
			    w->cctx, ZSTD_c_checksumFlag, 1))) {
			r = -EINVAL;
			goto err;
		}
	}

	r = tsc_log_header_build(meta, w, &hdr, &hdr_len);
	if (r < 0)
		goto err;
	r = tsc_log_writer_put(w, hdr, hdr_len);
	free(hdr);
	if (r < 0)
		goto err;
	*ret_writer = w;
	return 0;
err:
	tsc_log_writer_free(w);
	return r;
}

/*
 * Compress the buffered records into one frame and write frame header and
 * frame with one write(). On failure the records stay buffered.
 */
static int tsc_log_writer_flush_frame(struct tsc_log_writer *w)
{
	struct tsc_log_entry e;
	size_t csize;
	int r;

	if (w->raw_len == 0)
		return 0;
	csize = ZSTD_compress2(w->cctx, w->zbuf + TSC_FRAME_HDR_SIZE,
			       w->zcap - TSC_FRAME_HDR_SIZE, w->raw,
			       w->raw_len);
	if (ZSTD_isError(csize))
		return -ENOMEM;
	w->frame.magic = TSC_FRAME_MAGIC;
	w->frame.csize = (uint32_t)csize;
	w->frame.usize = (uint32_t)w->raw_len;
	tsc_frame_hdr_pack(&w->frame, w->zbuf);

	e.file_off = w->off;
	e.stream_off = w->stream_off - w->raw_len;
	e.first_ts = w->frame.first_ts;
	e.max_ts = w->frame.max_ts;
	e.first_recno = w->nrec - w->frame.nrec;
	e.first_seq = w->frame.first_seq;
	r = tsc_index_add(&w->index, &e);
	if (r < 0)
		return r;
	r = tsc_log_writer_put(w, w->zbuf, TSC_FRAME_HDR_SIZE + csize);
	if (r < 0) {
		w->index.n--;
		return r;
	}
	w->raw_len = 0;
	return 0;
}

/**
 * tsc_log_writer_append() - append one record
 * @writer: the writer
 * @hdr: the header (magic and version are filled in); LOG_INDEX and
 *	LOG_TRAILER are reserved for the writer
 * @payload: @hdr->len bytes
 *
 * Uncompressed logs: the record is written at once with one write().
 * Compressed logs: it is buffered; a full frame is written first when the
 * record would not fit in it. Call tsc_log_writer_flush() periodically so
 * that buffered records reach the file (a crash loses what is buffered).
 *
 * Return: 0; -EINVAL for an invalid record or after finish; -ENOMEM;
 * -errno from write() (the record was not stored; the file is unchanged).
 */
int tsc_log_writer_append(struct tsc_log_writer *writer,
			  const struct tsc_rec_hdr *hdr, const void *payload)
{
	struct tsc_log_writer *w = writer;
	uint8_t buf[TSC_REC_MAX_SIZE];
	struct tsc_log_entry e;
	bool new_chunk;
	size_t size;
	int r;

	if (w->finished || hdr->type == TSC_REC_LOG_INDEX ||
	    hdr->type == TSC_REC_LOG_TRAILER)
		return -EINVAL;

	if (w->flags & TSC_LOG_ZSTD) {
		size = TSC_REC_HDR_SIZE + hdr->len;
		if (w->raw_len + size > w->chunk_size) {
			r = tsc_log_writer_flush_frame(w);
			if (r < 0)
				return r;
		}
		r = tsc_rec_encode(hdr, payload, w->raw + w->raw_len,
				   w->chunk_size - w->raw_len);
		if (r < 0)
			return r;
		if (w->raw_len == 0) {
			w->frame.nrec = 0;
			w->frame.first_ts = hdr->ts_ns;
			w->frame.max_ts = hdr->ts_ns;
			w->frame.first_seq = hdr->seq;
		}
		if (hdr->ts_ns > w->frame.max_ts)
			w->frame.max_ts = hdr->ts_ns;
		w->frame.nrec++;
		w->raw_len += size;
	} else {
		r = tsc_rec_encode(hdr, payload, buf, sizeof(buf));
		if (r < 0)
			return r;
		size = (size_t)r;
		new_chunk = w->index.n == 0 ||
			    w->chunk_bytes + size > w->chunk_size;
		if (new_chunk) {
			e.file_off = w->off;
			e.stream_off = w->stream_off;
			e.first_ts = hdr->ts_ns;
			e.max_ts = hdr->ts_ns;
			e.first_recno = w->nrec;
			e.first_seq = hdr->seq;
			r = tsc_index_add(&w->index, &e);
			if (r < 0)
				return r;
		}
		r = tsc_log_writer_put(w, buf, size);
		if (r < 0) {
			if (new_chunk)
				w->index.n--;
			return r;
		}
		if (new_chunk)
			w->chunk_bytes = 0;
		else
			tsc_index_grow_last(&w->index, hdr->ts_ns);
		w->chunk_bytes += size;
	}
	w->stream_off += size;
	w->nrec++;
	return 0;
}

/**
 * tsc_log_writer_flush() - write the buffered records of a compressed log
 * @writer: the writer
 *
 * Ends the current frame early. A no-op for uncompressed logs, whose
 * records are written as they come. The daemon calls this on a timer
 * (e.g. every second) to bound what a crash can lose.
 *
 * Return: 0, -ENOMEM, or -errno from write().
 */
int tsc_log_writer_flush(struct tsc_log_writer *writer)
{
	if (writer->finished || !(writer->flags & TSC_LOG_ZSTD))
		return 0;
	return tsc_log_writer_flush_frame(writer);
}

/**
 * tsc_log_writer_finish() - close a log cleanly
 * @writer: the writer
 *
 * Flushes, then appends the index (LOG_INDEX records) and the LOG_TRAILER
 * record with one write(). No record can be appended afterwards. A log
 * that is never finished stays valid; readers rebuild its index.
 *
 * Return: 0, -EINVAL if already finished, -ENOMEM, -errno from write().
 */
int tsc_log_writer_finish(struct tsc_log_writer *writer)
{
	struct tsc_log_writer *w = writer;
	size_t nrecs, len, i, k;
	struct tsc_rec_hdr hdr = { 0 };
	uint64_t now = tsc_now_realtime(), index_off;
	uint8_t payload[TTYSCOPE_MAX_PAYLOAD], *buf, *p;
	int r;

	if (w->finished)
		return -EINVAL;
	r = tsc_log_writer_flush(w);
	if (r < 0)
		return r;

	nrecs = (w->index.n + TSC_INDEX_PER_REC - 1) / TSC_INDEX_PER_REC;
	len = nrecs * TSC_REC_HDR_SIZE + w->index.n * TSC_LOG_INDEX_ENTRY_SIZE +
	      TSC_REC_HDR_SIZE + TSC_LOG_TRAILER_SIZE;
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	p = buf;
	index_off = w->off;
	hdr.ts_ns = now;
	for (i = 0; i < w->index.n; i += k) {
		k = w->index.n - i;
		if (k > TSC_INDEX_PER_REC)
			k = TSC_INDEX_PER_REC;
		for (size_t j = 0; j < k; j++)
			tsc_entry_pack(&w->index.e[i + j],
				       payload + j * TSC_LOG_INDEX_ENTRY_SIZE);
		hdr.type = TSC_REC_LOG_INDEX;
		hdr.len = (uint32_t)(k * TSC_LOG_INDEX_ENTRY_SIZE);
		hdr.seq = i;
		p += tsc_rec_encode(&hdr, payload, p, (size_t)(buf + len - p));
	}
	memcpy(payload, w->file_id, TSC_LOG_FILE_ID_SIZE);
	tsc_put_le64(payload + 16, index_off);
	tsc_put_le64(payload + 24, w->index.n);
	tsc_put_le64(payload + 32, w->nrec);
	tsc_put_le64(payload + 40, w->stream_off);
	tsc_put_le64(payload + 48, tsc_log_index_hash(&w->index, payload));
	hdr.type = TSC_REC_LOG_TRAILER;
	hdr.len = TSC_LOG_TRAILER_SIZE;
	hdr.seq = 0;
	p += tsc_rec_encode(&hdr, payload, p, (size_t)(buf + len - p));

	r = tsc_log_writer_put(w, buf, (size_t)(p - buf));
	free(buf);
	if (r < 0)
		return r;
	w->finished = true;
	return 0;
}

/* Size of the file written so far (records buffered for a frame excluded). */
uint64_t tsc_log_writer_offset(const struct tsc_log_writer *writer)
{
	return writer->off;
}

/*
 * Free a writer (NULL is fine) without finishing it: buffered records of a
 * compressed log are dropped, the file stays valid. The fd stays open.
 */
void tsc_log_writer_free(struct tsc_log_writer *writer)
{
	if (!writer)
		return;
	ZSTD_freeCCtx(writer->cctx);
	free(writer->raw);
	free(writer->zbuf);
	tsc_index_free(&writer->index);
	free(writer);
}

/* ---------------------------------------------------------------- reader */

/* A cached range of the file: bytes [off, off + len) are at buf. */
struct tsc_window {
	uint8_t *buf;
	size_t cap;
	uint64_t off;
	size_t len;
};

/*
 * Make [off, off + len) available; returns how many of those bytes exist
 * (fewer than @len at end of file) with *ret pointing at the first, or
 * -errno.
 */
static ssize_t tsc_window_get(struct tsc_window *w, int fd, uint64_t off,
			      size_t len, const uint8_t **ret)
{
	ssize_t n;
	size_t want;

	if (off >= w->off && off - w->off <= w->len &&
	    w->len - (off - w->off) >= len) {
		*ret = w->buf + (off - w->off);
		return (ssize_t)len;
	}
	want = len > TSC_WINDOW_SIZE ? len : TSC_WINDOW_SIZE;
	if (want > w->cap) {
		uint8_t *buf = realloc(w->buf, want);

		if (!buf)
			return -ENOMEM;
		w->buf = buf;
		w->cap = want;
	}
	w->len = 0;
	n = tsc_pread_full(fd, w->buf, want, off);
	if (n < 0)
		return n;
	w->off = off;
	w->len = (size_t)n;
	*ret = w->buf;
	return (size_t)n < len ? n : (ssize_t)len;
}

/*
 * @meta, @strings: the parsed header; strings point into @strings
 * @win: the window next() reads through; @scan: the index scan's window
 * @pos: file offset of the next unit; @in_frame: the next record is in the
 *	decompressed frame @fbuf at @fpos (the frame starts at @frame_off and
 *	the unit after it at @frame_next); @frame_valid: @fbuf holds the frame
 *	at @frame_off
 * @cur: size of the record peeked last
 * @pending: bytes after @pos that do not (yet) form a complete unit
 * @index, @scan_*: the index and how far it covers the file: @scan_off is
 *	the next unit to scan, @scan_chunk the bytes in the last (open) chunk
 *	of an uncompressed log, @scan_stop a fault ended the scan
 * @closed: the index came from the trailer and covers the whole file
 */
struct tsc_log_reader {
	int fd;
	unsigned int flags;
	uint32_t header_len;
	uint32_t chunk_size;
	struct tsc_log_meta meta;
	struct tsc_log_field *fields;
	char *strings;

	struct tsc_window win;
	struct tsc_window scan;
	uint64_t pos;
	bool in_frame;
	bool frame_valid;
	uint8_t *fbuf;
	size_t fcap;
	size_t flen;
	size_t fpos;
	uint64_t frame_off;
	uint64_t frame_next;
	size_t cur;
	size_t pending;
	struct tsc_error error;
	ZSTD_DCtx *dctx;

	struct tsc_log_index index;
	uint64_t scan_off;
	uint64_t scan_recno;
	uint64_t scan_stream;
	uint64_t scan_chunk;
	bool scan_stop;
	bool closed;
};

/* Record a fault; returns -EBADMSG. */
static int tsc_log_fault(struct tsc_log_reader *r, enum tsc_fault fault,
			 uint64_t offset, uint64_t inner)
{
	r->error.fault = fault;
	r->error.offset = offset;
	r->error.inner = inner;
	return -EBADMSG;
}

/*
 * Parse the key/value fields of the header at @hdr (@len bytes, @n
 * fields) into r->meta. Returns 0, -EBADMSG or -ENOMEM.
 */
static int tsc_log_parse_fields(struct tsc_log_reader *r, const uint8_t *hdr,
				size_t len, uint32_t n)
{
	size_t off = TSC_LOG_FIXED_SIZE, sp = 0, nf = 0, i, j;
	char *s;

	if (n > (len - TSC_LOG_FIXED_SIZE) / 5)
		return -EBADMSG;
	/* strings: every key and value with its NUL fits in len */
	r->strings = malloc(len);
	r->fields = calloc(n ? n : 1, sizeof(*r->fields));
	if (!r->strings || !r->fields)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		size_t klen, vlen;
		const char *key, *value;

		if (len - off < 4)
			return -EBADMSG;
		klen = tsc_get_le16(hdr + off);
		vlen = tsc_get_le16(hdr + off + 2);
		off += 4;
		if (klen == 0 || len - off < klen + vlen ||
		    memchr(hdr + off, '\0', klen + vlen))
			return -EBADMSG;
		s = r->strings + sp;
		memcpy(s, hdr + off, klen);
		s[klen] = '\0';
		key = s;
		memcpy(s + klen + 1, hdr + off + klen, vlen);
		s[klen + 1 + vlen] = '\0';
		value = s + klen + 1;
		sp += klen + vlen + 2;
		off += klen + vlen;

		for (j = 0; j < nf; j++)
			if (!strcmp(r->fields[j].key, key))
				return -EBADMSG;
		if ((!strcmp(key, "host") && r->meta.host) ||
		    (!strcmp(key, "tty") && r->meta.tty) ||
		    (!strcmp(key, "user") && r->meta.user))
			return -EBADMSG;
		if (!strcmp(key, "host"))
			r->meta.host = value;
		else if (!strcmp(key, "tty"))
			r->meta.tty = value;
		else if (!strcmp(key, "user"))
			r->meta.user = value;
		else
			r->fields[nf++] = (struct tsc_log_field){ key, value };
	}
	r->meta.fields = r->fields;
	r->meta.n_fields = nf;
	return 0;
}

/*
 * Read and validate the file header. Returns 0; -EBADMSG for a malformed
 * header; -EPROTONOSUPPORT for another format version or unknown flags;
 * -ENODATA if the file ends inside the header; -ENOMEM or -errno.
 */
static int tsc_log_read_header(struct tsc_log_reader *r)
{
	const uint8_t *p;
	uint8_t fixed[TSC_LOG_FIXED_SIZE];
	uint8_t *hdr;
	ssize_t n;
	int ret;

	n = tsc_pread_full(r->fd, fixed, sizeof(fixed), 0);
	if (n < 0)
		return (int)n;
	/* a file that ends inside the magic is a torn header, not another file */
	if (memcmp(fixed, TSC_LOG_MAGIC,
		   (size_t)n < TSC_LOG_MAGIC_SIZE ? (size_t)n :
						    TSC_LOG_MAGIC_SIZE))
		return -EBADMSG;
	if ((size_t)n < sizeof(fixed))
		return -ENODATA;
	p = fixed;
	if (tsc_get_le16(p + 12) != TSC_LOG_VERSION ||
	    (tsc_get_le16(p + 14) & ~TSC_LOG_KNOWN_FLAGS))
		return -EPROTONOSUPPORT;
	r->flags = tsc_get_le16(p + 14);
	r->header_len = tsc_get_le32(p + 16);
	r->chunk_size = tsc_get_le32(p + 20);
	if (r->header_len < TSC_LOG_FIXED_SIZE ||
	    r->header_len > TSC_LOG_HEADER_MAX || r->header_len % 8 ||
	    r->chunk_size < TSC_LOG_CHUNK_MIN ||
	    r->chunk_size > TSC_LOG_CHUNK_MAX)
		return -EBADMSG;
	r->meta.major = tsc_get_le32(p + 24);
	r->meta.minor = tsc_get_le32(p + 28);
	r->meta.uid = tsc_get_le32(p + 32);
	r->meta.start_ns = tsc_get_le64(p + 40);
	memcpy(r->meta.file_id, p + 48, TSC_LOG_FILE_ID_SIZE);

	hdr = malloc(r->header_len);
	if (!hdr)
		return -ENOMEM;
	n = tsc_pread_full(r->fd, hdr, r->header_len, 0);
	if (n < 0)
		ret = (int)n;
	else if ((size_t)n < r->header_len)
		ret = -ENODATA;
	else
		ret = tsc_log_parse_fields(r, hdr, r->header_len,
					   tsc_get_le32(p + 36));
	free(hdr);
	return ret;
}

/*
 * Use the index of a cleanly closed file: a LOG_TRAILER record at the very
 * end whose file id matches the header, pointing at LOG_INDEX records that
 * reach exactly up to it, with entries that make sense. Anything else
 * leaves the index to be rebuilt by scanning. Returns 0 or -ENOMEM/-errno.
 */
static int tsc_log_load_trailer(struct tsc_log_reader *r)
{
	uint8_t tail[TSC_REC_HDR_SIZE + TSC_LOG_TRAILER_SIZE];
	uint64_t size, tpos, index_off, n_entries, n_records, data_bytes;
	uint64_t hash, off;
	struct tsc_log_index idx = { 0 };
	struct tsc_rec rec;
	struct stat st;
	ssize_t n;
	int ret = 0;

	if (fstat(r->fd, &st) < 0)
		return -errno;
	size = (uint64_t)st.st_size;
	if (size < r->header_len + sizeof(tail))
		return 0;
	tpos = size - sizeof(tail);
	n = tsc_pread_full(r->fd, tail, sizeof(tail), tpos);
	if (n < 0)
		return (int)n;
	if ((size_t)n != sizeof(tail) ||
	    tsc_rec_parse(tail, sizeof(tail), &rec) ||
	    rec.hdr.type != TSC_REC_LOG_TRAILER ||
	    memcmp(rec.payload, r->meta.file_id, TSC_LOG_FILE_ID_SIZE))
		return 0;
	index_off = tsc_get_le64(rec.payload + 16);
	n_entries = tsc_get_le64(rec.payload + 24);
	n_records = tsc_get_le64(rec.payload + 32);
	data_bytes = tsc_get_le64(rec.payload + 40);
	hash = tsc_get_le64(rec.payload + 48);
	if (index_off < r->header_len || index_off > tpos ||
	    n_entries > (tpos - index_off) / TSC_LOG_INDEX_ENTRY_SIZE)
		return 0;

	for (off = index_off; off < tpos;) {
		const uint8_t *p;
		size_t k;

		n = tsc_window_get(&r->scan, r->fd, off, TSC_REC_MAX_SIZE, &p);
		if (n < 0) {
			ret = (int)n;
			goto out;
		}
		if (tsc_rec_parse(p, (size_t)n, &rec) ||
		    rec.hdr.type != TSC_REC_LOG_INDEX || rec.hdr.seq != idx.n)
			goto out;
		for (k = 0; k < rec.hdr.len / TSC_LOG_INDEX_ENTRY_SIZE; k++) {
			struct tsc_log_entry e;

			tsc_entry_unpack(
				rec.payload + k * TSC_LOG_INDEX_ENTRY_SIZE, &e);
			if (e.file_off < r->header_len ||
			    e.file_off >= index_off || e.first_ts > e.max_ts ||
			    e.first_recno >= n_records ||
			    e.stream_off >= data_bytes ||
			    (idx.n > 0 &&
			     (e.file_off <= idx.e[idx.n - 1].file_off ||
			      e.first_recno <= idx.e[idx.n - 1].first_recno ||
			      e.stream_off <= idx.e[idx.n - 1].stream_off)))
				goto out;
			ret = tsc_index_add(&idx, &e);
			if (ret < 0)
				goto out;
		}
		off += TSC_REC_HDR_SIZE + rec.hdr.len;
	}
	if (off != tpos || idx.n != n_entries)
		goto out;
	if (tsc_log_index_hash(&idx, tail + TSC_REC_HDR_SIZE) != hash)
		goto out;

	tsc_index_free(&r->index);
	r->index = idx;
	memset(&idx, 0, sizeof(idx));
	r->scan_off = index_off;
	r->scan_recno = n_records;
	r->scan_stream = data_bytes;
	r->closed = true;
out:
	tsc_index_free(&idx);
	return ret;
}

/**
 * tsc_log_reader_new() - open a log file for reading
 * @fd: the file, readable with pread(); not owned by the reader
 * @ret_reader: the reader, positioned at the first record
 *
 * Return: 0; -EBADMSG if this is not a valid log header; -EPROTONOSUPPORT
 * for another format version or unknown flags; -ENODATA if the file ends
 * inside the header; -ENOMEM; -errno.
 */
int tsc_log_reader_new(int fd, struct tsc_log_reader **ret_reader)
{
	struct tsc_log_reader *r;
	int ret;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = fd;
	ret = tsc_log_read_header(r);
	if (ret < 0)
		goto err;
	if (r->flags & TSC_LOG_ZSTD) {
		r->dctx = ZSTD_createDCtx();
		if (!r->dctx) {
			ret = -ENOMEM;
			goto err;
		}
	}
	r->pos = r->header_len;
	r->scan_off = r->header_len;
	ret = tsc_log_load_trailer(r);
	if (ret < 0)
		goto err;
	*ret_reader = r;
	return 0;
err:
	tsc_log_reader_free(r);
	return ret;
}

/* Free a reader (NULL is fine); the fd stays open. */
void tsc_log_reader_free(struct tsc_log_reader *reader)
{
	if (!reader)
		return;
	ZSTD_freeDCtx(reader->dctx);
	free(reader->win.buf);
	free(reader->scan.buf);
	free(reader->fbuf);
	free(reader->fields);
	free(reader->strings);
	tsc_index_free(&reader->index);
	free(reader);
}

/* The header's contents; valid as long as the reader. */
const struct tsc_log_meta *
tsc_log_reader_meta(const struct tsc_log_reader *reader)
{
	return &reader->meta;
}

/*
 * Load and check the compressed frame at @off into fbuf: the frame header,
 * the zstd frame (exactly @csize bytes, content size as announced), and
 * the records (valid, filling the frame exactly, matching the header's
 * count, first seq and timestamps). Returns 1, 0 if the file ends inside
 * the frame (r->pending says how much of it exists), or a negative error.
 */
static int tsc_log_load_frame(struct tsc_log_reader *r, uint64_t off)
{
	struct tsc_frame_hdr f;
	uint64_t max_ts = 0;
	const uint8_t *p;
	size_t got, pos;
	uint32_t nrec = 0;
	ssize_t n;

	if (r->frame_valid && r->frame_off == off)
		goto done;
	n = tsc_window_get(&r->win, r->fd, off, TSC_FRAME_HDR_SIZE, &p);
	if (n < 0)
		return (int)n;
	if ((size_t)n < TSC_FRAME_HDR_SIZE) {
		r->pending = (size_t)n;
		return 0;
	}
	if (!tsc_frame_hdr_unpack(p, &f))
		return tsc_log_fault(r, TSC_FAULT_FRAME, off, 0);
	n = tsc_window_get(&r->win, r->fd, off,
			   TSC_FRAME_HDR_SIZE + (size_t)f.csize, &p);
	if (n < 0)
		return (int)n;
	if ((size_t)n < TSC_FRAME_HDR_SIZE + f.csize) {
		r->pending = (size_t)n;
		return 0;
	}
	p += TSC_FRAME_HDR_SIZE;
	if (f.usize > r->fcap) {
		uint8_t *buf = realloc(r->fbuf, f.usize);

		if (!buf)
			return -ENOMEM;
		r->fbuf = buf;
		r->fcap = f.usize;
	}
	r->frame_valid = false;
	if (ZSTD_findFrameCompressedSize(p, f.csize) != f.csize ||
	    ZSTD_getFrameContentSize(p, f.csize) != f.usize)
		return tsc_log_fault(r, TSC_FAULT_FRAME, off, 0);
	got = ZSTD_decompressDCtx(r->dctx, r->fbuf, f.usize, p, f.csize);
	if (ZSTD_isError(got) || got != f.usize)
		return tsc_log_fault(r, TSC_FAULT_FRAME, off, 0);

	for (pos = 0; pos < got;) {
		struct tsc_rec rec;

		if (tsc_rec_parse(r->fbuf + pos, got - pos, &rec) ||
		    rec.hdr.type == TSC_REC_LOG_INDEX ||
		    rec.hdr.type == TSC_REC_LOG_TRAILER ||
		    (nrec == 0 && (rec.hdr.seq != f.first_seq ||
				   rec.hdr.ts_ns != f.first_ts)))
			return tsc_log_fault(r, TSC_FAULT_FRAME, off, pos);
		if (rec.hdr.ts_ns > max_ts)
			max_ts = rec.hdr.ts_ns;
		nrec++;
		pos += TSC_REC_HDR_SIZE + rec.hdr.len;
	}
	if (nrec != f.nrec || max_ts != f.max_ts)
		return tsc_log_fault(r, TSC_FAULT_FRAME, off, 0);
	r->flen = got;
	r->frame_off = off;
	r->frame_next = off + TSC_FRAME_HDR_SIZE + f.csize;
	r->frame_valid = true;
done:
	r->in_frame = true;
	r->fpos = 0;
	return 1;
}

/*
 * Find the record at the current position without consuming it. Index
 * records are passed over. Returns 1 with @rec set, 0 at the end of the
 * complete data, or a negative error.
 */
static int tsc_log_peek(struct tsc_log_reader *r, struct tsc_rec *rec)
{
	struct tsc_rec_hdr hdr;
	enum tsc_fault fault;
	const uint8_t *p;
	size_t total;
	ssize_t n;
	int ret;

	r->pending = 0;
	for (;;) {
		if (r->in_frame) {
			if (r->fpos < r->flen) {
				/* validated when the frame was loaded */
				tsc_rec_parse(r->fbuf + r->fpos,
					      r->flen - r->fpos, rec);
				r->cur = TSC_REC_HDR_SIZE + rec->hdr.len;
				return 1;
			}
			r->in_frame = false;
			r->pos = r->frame_next;
		}
		n = tsc_window_get(&r->win, r->fd, r->pos, TSC_REC_HDR_SIZE,
				   &p);
		if (n < 0)
			return (int)n;
		if ((size_t)n < TSC_REC_HDR_SIZE) {
			r->pending = (size_t)n;
			return 0;
		}
		if ((r->flags & TSC_LOG_ZSTD) &&
		    tsc_get_le32(p) == TSC_FRAME_MAGIC) {
			ret = tsc_log_load_frame(r, r->pos);
			if (ret <= 0)
				return ret;
			continue;
		}
		tsc_rec_hdr_unpack(p, &hdr);
		fault = tsc_rec_hdr_check(&hdr);
		if (fault != TSC_FAULT_NONE)
			return tsc_log_fault(r, fault, r->pos, 0);
		total = TSC_REC_HDR_SIZE + hdr.len;
		n = tsc_window_get(&r->win, r->fd, r->pos, total, &p);
		if (n < 0)
			return (int)n;
		if ((size_t)n < total) {
			r->pending = (size_t)n;
			return 0;
		}
		if (hdr.type == TSC_REC_LOG_INDEX ||
		    hdr.type == TSC_REC_LOG_TRAILER) {
			r->pos += total;
			continue;
		}
		if (r->flags & TSC_LOG_ZSTD)
			return tsc_log_fault(r, TSC_FAULT_PLACEMENT, r->pos, 0);
		rec->hdr = hdr;
		rec->raw = p;
		rec->payload = p + TSC_REC_HDR_SIZE;
		r->cur = total;
		return 1;
	}
}

/* Consume the record tsc_log_peek() returned. */
static void tsc_log_advance(struct tsc_log_reader *r)
{
	if (r->in_frame)
		r->fpos += r->cur;
	else
		r->pos += r->cur;
	r->cur = 0;
}

/**
 * tsc_log_reader_next() - read the next record
 * @reader: the reader
 * @ret_rec: the record; its pointers stay valid until the next call on
 *	@reader
 *
 * At the end of the complete records, returns 0; a torn last record (a
 * crash while it was written) or one still being written is not returned,
 * tsc_log_reader_pending() counts its bytes, and a later call returns it
 * once complete. Index records are not returned.
 *
 * Return: 1 and a record; 0 at the end; -EBADMSG for malformed data
 * (tsc_log_reader_error() says where and why; calling again fails again);
 * -ENOMEM or -errno.
 */
int tsc_log_reader_next(struct tsc_log_reader *reader, struct tsc_rec *ret_rec)
{
	int r = tsc_log_peek(reader, ret_rec);

	if (r == 1)
		tsc_log_advance(reader);
	return r;
}

/*
 * Extend the index of an uncompressed log over the records written since
 * the last scan, in chunks of about chunk_size bytes. Stops at a torn tail
 * or at the first malformed record (which next() will report).
 */
static int tsc_log_scan_records(struct tsc_log_reader *r)
{
	struct tsc_rec_hdr hdr;
	const uint8_t *p;
	ssize_t n;
	int ret;

	for (;;) {
		size_t total;

		n = tsc_window_get(&r->scan, r->fd, r->scan_off,
				   TSC_REC_HDR_SIZE, &p);
		if (n < 0)
			return (int)n;
		if ((size_t)n < TSC_REC_HDR_SIZE)
			return 0;
		tsc_rec_hdr_unpack(p, &hdr);
		if (tsc_rec_hdr_check(&hdr) != TSC_FAULT_NONE) {
			r->scan_stop = true;
			return 0;
		}
		total = TSC_REC_HDR_SIZE + hdr.len;
		n = tsc_window_get(&r->scan, r->fd, r->scan_off, total, &p);
		if (n < 0)
			return (int)n;
		if ((size_t)n < total)
			return 0;
		if (hdr.type != TSC_REC_LOG_INDEX &&
		    hdr.type != TSC_REC_LOG_TRAILER) {
			if (r->index.n == 0 ||
			    r->scan_chunk + total > r->chunk_size) {
				struct tsc_log_entry e = {
					.file_off = r->scan_off,
					.stream_off = r->scan_stream,
					.first_ts = hdr.ts_ns,
					.max_ts = hdr.ts_ns,
					.first_recno = r->scan_recno,
					.first_seq = hdr.seq,
				};

				ret = tsc_index_add(&r->index, &e);
				if (ret < 0)
					return ret;
				r->scan_chunk = 0;
			} else {
				tsc_index_grow_last(&r->index, hdr.ts_ns);
			}
			r->scan_chunk += total;
			r->scan_recno++;
			r->scan_stream += total;
		}
		r->scan_off += total;
	}
}

/*
 * Extend the index of a compressed log by walking frame headers (the
 * frames are decompressed and checked only when read). Stops at a torn
 * frame or at anything that is not a frame or an index record.
 */
static int tsc_log_scan_frames(struct tsc_log_reader *r)
{
	uint8_t buf[TSC_FRAME_HDR_SIZE];
	struct stat st;
	int ret;

	if (fstat(r->fd, &st) < 0)
		return -errno;
	for (;;) {
		struct tsc_frame_hdr f;
		struct tsc_rec_hdr hdr;
		ssize_t n;

		n = tsc_pread_full(r->fd, buf, sizeof(buf), r->scan_off);
		if (n < 0)
			return (int)n;
		if ((size_t)n < sizeof(buf))
			return 0;
		if (tsc_get_le32(buf) != TSC_FRAME_MAGIC) {
			tsc_rec_hdr_unpack(buf, &hdr);
			if (tsc_rec_hdr_check(&hdr) != TSC_FAULT_NONE ||
			    (hdr.type != TSC_REC_LOG_INDEX &&
			     hdr.type != TSC_REC_LOG_TRAILER)) {
				r->scan_stop = true;
				return 0;
			}
			if (r->scan_off + TSC_REC_HDR_SIZE + hdr.len >
			    (uint64_t)st.st_size)
				return 0;
			r->scan_off += TSC_REC_HDR_SIZE + hdr.len;
			continue;
		}
		if (!tsc_frame_hdr_unpack(buf, &f)) {
			r->scan_stop = true;
			return 0;
		}
		if (r->scan_off + TSC_FRAME_HDR_SIZE + f.csize >
		    (uint64_t)st.st_size)
			return 0;
		ret = tsc_index_add(&r->index,
				    &(struct tsc_log_entry){
					    .file_off = r->scan_off,
					    .stream_off = r->scan_stream,
					    .first_ts = f.first_ts,
					    .max_ts = f.max_ts,
					    .first_recno = r->scan_recno,
					    .first_seq = f.first_seq,
				    });
		if (ret < 0)
			return ret;
		r->scan_recno += f.nrec;
		r->scan_stream += f.usize;
		r->scan_off += TSC_FRAME_HDR_SIZE + f.csize;
	}
}

/* Bring the index up to the current end of the file. */
static int tsc_log_index_extend(struct tsc_log_reader *r)
{
	if (r->closed || r->scan_stop)
		return 0;
	if (r->flags & TSC_LOG_ZSTD)
		return tsc_log_scan_frames(r);
	return tsc_log_scan_records(r);
}

/**
 * tsc_log_reader_seek_time() - go to the first record at or after a time
 * @reader: the reader
 * @ts_ns: CLOCK_REALTIME nanoseconds
 *
 * Afterwards tsc_log_reader_next() returns the first record, in file
 * order, whose ts_ns is at least @ts_ns (timestamps need not be monotonic:
 * the index keeps the largest timestamp of each chunk). Works in both
 * directions. If there is no such record, the reader is at the end of the
 * data and returns records appended later. The index is first extended
 * over any data written since it was last built.
 *
 * Return: 0; -EBADMSG if malformed data is met on the way; -ENOMEM;
 * -errno.
 */
int tsc_log_reader_seek_time(struct tsc_log_reader *reader, uint64_t ts_ns)
{
	struct tsc_log_reader *r = reader;
	const struct tsc_log_index *idx = &r->index;
	size_t lo = 0, hi, i;
	struct tsc_rec rec;
	int ret;

	ret = tsc_log_index_extend(r);
	if (ret < 0)
		return ret;
	/* the first chunk whose running maximum reaches ts_ns */
	hi = idx->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (idx->prefix_max[mid] >= ts_ns)
			hi = mid;
		else
			lo = mid + 1;
	}
	i = lo;
	r->in_frame = false;
	r->cur = 0;
	r->pos = i < idx->n ? idx->e[i].file_off : r->scan_off;
	for (;;) {
		ret = tsc_log_peek(r, &rec);
		if (ret <= 0)
			return ret;
		if (rec.hdr.ts_ns >= ts_ns)
			return 0;
		tsc_log_advance(r);
	}
}

/* Go back to the first record. */
void tsc_log_reader_rewind(struct tsc_log_reader *reader)
{
	reader->in_frame = false;
	reader->cur = 0;
	reader->pos = reader->header_len;
}

/**
 * tsc_log_reader_stats() - describe the log's contents
 * @reader: the reader
 * @ret_stats: the description
 *
 * Extends the index over any data written since it was last built (for a
 * file that was not closed cleanly, the first call scans the whole file).
 *
 * Return: 0, -ENOMEM or -errno.
 */
int tsc_log_reader_stats(struct tsc_log_reader *reader,
			 struct tsc_log_stats *ret_stats)
{
	const struct tsc_log_index *idx = &reader->index;
	int ret = tsc_log_index_extend(reader);

	if (ret < 0)
		return ret;
	*ret_stats = (struct tsc_log_stats){
		.flags = reader->flags,
		.chunk_size = reader->chunk_size,
		.records = reader->scan_recno,
		.chunks = idx->n,
		.first_ts = idx->n ? idx->e[0].first_ts : 0,
		.max_ts = idx->n ? idx->prefix_max[idx->n - 1] : 0,
		.data_bytes = reader->scan_stream,
		.end_offset = reader->scan_off,
		.closed = reader->closed,
	};
	return 0;
}

/*
 * Bytes after the reader's position that do not form a complete record
 * (or frame), as found by the last tsc_log_reader_next() that returned 0.
 */
size_t tsc_log_reader_pending(const struct tsc_log_reader *reader)
{
	return reader->pending;
}

/* The last fault, as for tsc_reader_error(). */
const struct tsc_error *
tsc_log_reader_error(const struct tsc_log_reader *reader)
{
	return &reader->error;
}
