/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libttyscope log files: a header describing the capture, then records,
 * optionally zstd-compressed in independently decodable frames, then (after
 * a clean close) an index. docs/FORMAT.md "Log files" specifies every byte.
 *
 * The writer appends each record (or each compressed frame) with a single
 * write(), so after a crash or kill -9 the file is readable up to the last
 * complete record (frame); no trailer is needed for validity. The reader
 * uses the index written at close, or rebuilds it by scanning when the file
 * was not closed cleanly (or is still growing), and seeks to any time in
 * either direction.
 */
#ifndef TSC_LOG_H
#define TSC_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsc-record.h"

#define TSC_LOG_VERSION 1u
#define TSC_LOG_FILE_ID_SIZE 16u

/* Header flags. TSC_LOG_ZSTD: records are stored in zstd frames. */
#define TSC_LOG_ZSTD (1u << 0)

/* Index granularity (and target frame size) in bytes of records. */
#define TSC_LOG_CHUNK_DEFAULT (128u << 10)
#define TSC_LOG_CHUNK_MIN (8u << 10)
#define TSC_LOG_CHUNK_MAX (4u << 20)

/* An extra key/value field of the header; both NUL-free strings. */
struct tsc_log_field {
	const char *key;
	const char *value;
};

/**
 * struct tsc_log_meta - what a log file's header says about the capture
 * @major: device major of the tty
 * @minor: device minor of the tty
 * @uid: uid of the user the log belongs to, or %TTYSCOPE_UID_UNSET
 * @start_ns: CLOCK_REALTIME nanoseconds when the capture started
 * @host: host name, or NULL
 * @tty: tty name below /dev ("pts/3"), or NULL
 * @user: user name, or NULL
 * @n_fields: number of extra fields
 * @fields: extra fields, e.g. { "command", "bash" }; keys are unique and
 *	none is "host", "tty" or "user"
 * @file_id: random identity of the file; all zero when writing: the
 *	writer generates one
 *
 * Keys are 1..255 bytes, values 0..65535 bytes, neither contains a NUL;
 * the whole header is at most 64 KiB.
 */
struct tsc_log_meta {
	uint32_t major;
	uint32_t minor;
	uint32_t uid;
	uint64_t start_ns;
	const char *host;
	const char *tty;
	const char *user;
	size_t n_fields;
	const struct tsc_log_field *fields;
	uint8_t file_id[TSC_LOG_FILE_ID_SIZE];
};

/**
 * struct tsc_log_writer_options - how to write (a zeroed struct is the default)
 * @flags: %TSC_LOG_ZSTD to compress
 * @zstd_level: zstd compression level; 0: 3
 * @chunk_size: bytes of records per index entry and per compressed frame;
 *	0: %TSC_LOG_CHUNK_DEFAULT; %TSC_LOG_CHUNK_MIN..%TSC_LOG_CHUNK_MAX
 */
struct tsc_log_writer_options {
	unsigned int flags;
	int zstd_level;
	uint32_t chunk_size;
};

/**
 * struct tsc_log_stats - what the reader knows about a log's contents
 * @flags: the header flags (%TSC_LOG_ZSTD)
 * @chunk_size: the writer's chunk size, from the header
 * @records: data records (not counting index records)
 * @chunks: index entries (for compressed logs: frames)
 * @first_ts: ts_ns of the first record, 0 if there is none
 * @max_ts: largest ts_ns of any record, 0 if there is none
 * @data_bytes: bytes of the data records, uncompressed
 * @end_offset: file offset where the complete records (frames) end
 * @closed: the file was closed cleanly and its index was used
 */
struct tsc_log_stats {
	unsigned int flags;
	uint32_t chunk_size;
	uint64_t records;
	uint64_t chunks;
	uint64_t first_ts;
	uint64_t max_ts;
	uint64_t data_bytes;
	uint64_t end_offset;
	bool closed;
};

struct tsc_log_writer;
struct tsc_log_reader;

int tsc_log_writer_new(int fd, const struct tsc_log_meta *meta,
		       const struct tsc_log_writer_options *opts,
		       struct tsc_log_writer **ret_writer);
int tsc_log_writer_append(struct tsc_log_writer *writer,
			  const struct tsc_rec_hdr *hdr, const void *payload);
int tsc_log_writer_flush(struct tsc_log_writer *writer);
int tsc_log_writer_finish(struct tsc_log_writer *writer);
uint64_t tsc_log_writer_offset(const struct tsc_log_writer *writer);
void tsc_log_writer_free(struct tsc_log_writer *writer);

int tsc_log_reader_new(int fd, struct tsc_log_reader **ret_reader);
void tsc_log_reader_free(struct tsc_log_reader *reader);
const struct tsc_log_meta *
tsc_log_reader_meta(const struct tsc_log_reader *reader);
int tsc_log_reader_next(struct tsc_log_reader *reader, struct tsc_rec *ret_rec);
int tsc_log_reader_seek_time(struct tsc_log_reader *reader, uint64_t ts_ns);
void tsc_log_reader_rewind(struct tsc_log_reader *reader);
int tsc_log_reader_stats(struct tsc_log_reader *reader,
			 struct tsc_log_stats *ret_stats);
size_t tsc_log_reader_pending(const struct tsc_log_reader *reader);
const struct tsc_error *
tsc_log_reader_error(const struct tsc_log_reader *reader);

#endif /* TSC_LOG_H */
