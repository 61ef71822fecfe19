/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libttyscope stream reader: whole records from any file descriptor.
 *
 * Works on /dev/rpl (each read() returns whole records; the reader always
 * offers at least TSC_REC_MAX_SIZE bytes of room), sockets, pipes and
 * regular files (short reads, records split across reads). Every length is
 * bounds-checked before it is used. A malformed record stops the reader
 * with -EBADMSG and an error naming its byte offset in the stream; the
 * caller may then resynchronise on the next valid record.
 */
#ifndef TSC_READER_H
#define TSC_READER_H

#include <stddef.h>
#include <stdint.h>

#include "tsc-record.h"

/* Default and smallest buffer sizes of a reader. */
#define TSC_READER_BUF_DEFAULT (64u << 10)
#define TSC_READER_BUF_MIN (16u << 10)

/*
 * Reader flags.
 * TSC_READER_RESYNC: skip malformed data instead of returning -EBADMSG,
 *	as if tsc_reader_resync() were called after each error; the skipped
 *	bytes are counted and tsc_reader_error() reports the last fault.
 */
#define TSC_READER_RESYNC (1u << 0)

/**
 * struct tsc_reader_options - how to read (a zeroed struct is the default)
 * @bufsize: buffer size in bytes; 0: %TSC_READER_BUF_DEFAULT; smaller
 *	values are raised to %TSC_READER_BUF_MIN
 * @offset: stream offset of the first byte the fd will return (for error
 *	offsets of a stream that does not start at 0, e.g. inside a file)
 * @flags: TSC_READER_* flags
 */
struct tsc_reader_options {
	size_t bufsize;
	uint64_t offset;
	unsigned int flags;
};

struct tsc_reader;

int tsc_reader_new(int fd, const struct tsc_reader_options *opts,
		   struct tsc_reader **ret_reader);
void tsc_reader_free(struct tsc_reader *reader);
int tsc_reader_next(struct tsc_reader *reader, struct tsc_rec *ret_rec);
int tsc_reader_resync(struct tsc_reader *reader);
void tsc_reader_reset(struct tsc_reader *reader, uint64_t offset);
const struct tsc_error *tsc_reader_error(const struct tsc_reader *reader);
uint64_t tsc_reader_error_offset(const struct tsc_reader *reader);
uint64_t tsc_reader_offset(const struct tsc_reader *reader);
uint64_t tsc_reader_skipped(const struct tsc_reader *reader);
size_t tsc_reader_pending(const struct tsc_reader *reader);

#endif /* TSC_READER_H */
