// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the stream reader (common/tsc-reader.c) and the record
 * decoders, on any bytes.
 *
 * Input: one flags byte (bit 0: TSC_READER_RESYNC; bit 1: the stream
 * starts at offset 1000), one byte choosing the size of the writes that
 * feed the reader, then the stream. The stream goes through a non-blocking
 * pipe in pieces of that size (after 63 pieces, of 64 KiB), so records
 * arrive split across reads and the reader sees -EAGAIN between pieces.
 * Without RESYNC every -EBADMSG is followed by tsc_reader_resync().
 *
 * Invariants: every record returned parses again from its raw bytes with
 * the same header; offsets only grow and stay within the stream; the
 * reader consumes the whole stream.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "ttyscope.h"

/* Decode the payload by type; the result is only checked for sanity. */
static void decode(const struct tsc_rec *rec)
{
	struct tsc_open o;
	struct tsc_winsize ws;
	struct tsc_session s;
	struct tsc_inject in;
	struct tsc_pass p;
	struct tsc_loss l;

	switch (rec->hdr.type) {
	case TTYSCOPE_REC_OPEN:
		if (tsc_rec_decode_open(rec, &o) == 0)
			FUZZ_ASSERT(strlen(o.name) <= TTYSCOPE_NAME_LEN);
		break;
	case TTYSCOPE_REC_WINSIZE:
		tsc_rec_decode_winsize(rec, &ws);
		break;
	case TTYSCOPE_REC_SESSION:
		if (tsc_rec_decode_session(rec, &s) == 0)
			FUZZ_ASSERT(strlen(s.comm) <= TTYSCOPE_COMM_LEN &&
				    strlen(s.fg_comm) <= TTYSCOPE_COMM_LEN);
		break;
	case TTYSCOPE_REC_INJECT:
		if (tsc_rec_decode_inject(rec, &in) == 0)
			FUZZ_ASSERT(in.len + TSC_INJECT_HEAD_SIZE ==
				    rec->hdr.len);
		break;
	case TTYSCOPE_REC_PASS:
		tsc_rec_decode_pass(rec, &p);
		break;
	case TTYSCOPE_REC_LOSS:
		tsc_rec_decode_loss(rec, &l);
		break;
	default:
		break;
	}
	/* kernel types the library does not know are rejected */
	FUZZ_ASSERT(rec->hdr.type >= TSC_REC_USER_FIRST ||
		    tsc_rec_type_name(rec->hdr.type) != NULL);
}

/* Write up to @chunk bytes of the stream into the pipe. */
static void feed(int wfd, const uint8_t **data, size_t *size, size_t chunk)
{
	size_t n = *size < chunk ? *size : chunk;
	ssize_t w = n ? write(wfd, *data, n) : 0;

	FUZZ_ASSERT(w == (ssize_t)n);
	*data += n;
	*size -= n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tsc_reader_options opts = { 0 };
	struct tsc_reader *reader;
	uint64_t total, last_off = 0;
	size_t chunk, pieces = 0;
	int p[2], r;

	if (size < 2)
		return 0;
	opts.flags = data[0] & 1 ? TSC_READER_RESYNC : 0;
	opts.offset = data[0] & 2 ? 1000 : 0;
	chunk = 1 + (size_t)data[1] * 61; /* 1..15556 bytes, below PIPE_BUF*4 */
	data += 2;
	size -= 2;
	total = size;
	FUZZ_ASSERT(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
	FUZZ_ASSERT(tsc_reader_new(p[0], &opts, &reader) == 0);

	feed(p[1], &data, &size, chunk);
	if (size == 0)
		close(p[1]);
	for (int steps = 0;; steps++) {
		struct tsc_rec rec, again;

		FUZZ_ASSERT(steps < 1000000);
		r = tsc_reader_next(reader, &rec);
		if (r == -EAGAIN) {
			FUZZ_ASSERT(size > 0);
			/* at most 64 small pieces: system calls are slow */
			if (++pieces == 64)
				chunk = 65536; /* the pipe's capacity */
			feed(p[1], &data, &size, chunk);
			if (size == 0)
				close(p[1]);
			continue;
		}
		if (r == 1) {
			uint64_t off = tsc_reader_offset(reader);

			FUZZ_ASSERT(rec.hdr.len <= TTYSCOPE_MAX_PAYLOAD);
			FUZZ_ASSERT(
				tsc_rec_parse(rec.raw,
					      TSC_REC_HDR_SIZE + rec.hdr.len,
					      &again) == 0);
			FUZZ_ASSERT(
				!memcmp(&again.hdr, &rec.hdr, sizeof(rec.hdr)));
			FUZZ_ASSERT(off >= last_off &&
				    off + TSC_REC_HDR_SIZE + rec.hdr.len <=
					    opts.offset + total);
			last_off = off + TSC_REC_HDR_SIZE + rec.hdr.len;
			decode(&rec);
			continue;
		}
		if (r == -EBADMSG) {
			/* with RESYNC, malformed data is skipped, not returned */
			FUZZ_ASSERT(!(opts.flags & TSC_READER_RESYNC));
			FUZZ_ASSERT(tsc_reader_error(reader)->fault !=
				    TSC_FAULT_NONE);
			tsc_reader_resync(reader);
			continue;
		}
		if (r == -ENODATA) {
			/* a truncated last record: the stream ended */
			FUZZ_ASSERT(size == 0);
			FUZZ_ASSERT(tsc_reader_error(reader)->fault ==
				    TSC_FAULT_TRUNCATED);
			break;
		}
		FUZZ_ASSERT(r == 0);
		FUZZ_ASSERT(size == 0);
		FUZZ_ASSERT(tsc_reader_pending(reader) == 0);
		FUZZ_ASSERT(tsc_reader_offset(reader) == opts.offset + total);
		break;
	}
	FUZZ_ASSERT(tsc_reader_skipped(reader) <= total);
	tsc_reader_free(reader);
	close(p[0]);
	if (size > 0)
		close(p[1]);
	return 0;
}
