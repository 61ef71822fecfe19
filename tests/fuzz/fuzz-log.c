// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer targets: the log file reader (common/tsc-log.c).
 *
 * fuzz-log: the input is a log file (plain or zstd, closed with an index or
 * not). fuzz-log-zstd (built with FUZZ_LOG_FRAMES): the input describes
 * the frames of a compressed log, which this target compresses, so that
 * mutations reach the checks of the records inside valid zstd frames; see
 * build_frames().
 *
 * Both then read every record, take the stats, seek to several times and
 * rewind. Invariants, when the reader met no malformed data in a log
 * without a trailer (whose index is rebuilt from the records): the stats
 * count exactly the records read; a seek lands on the first record, in
 * file order, at or after the time; rewinding starts over.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "fuzz.h"
#include "ttyscope.h"

#define MAX_RECORDS 4096

static struct tsc_rec_hdr hdrs[MAX_RECORDS];

/* Seek to @ts and check where the reader lands. */
static void check_seek(struct tsc_log_reader *r, uint64_t ts, size_t n,
		       bool exact)
{
	struct tsc_rec rec;
	size_t k;
	int ret = tsc_log_reader_seek_time(r, ts);

	if (ret < 0) {
		FUZZ_ASSERT(ret == -EBADMSG && !exact);
		return;
	}
	FUZZ_ASSERT(ret == 0);
	ret = tsc_log_reader_next(r, &rec);
	if (ret == 1)
		FUZZ_ASSERT(rec.hdr.ts_ns >= ts);
	if (!exact)
		return;
	for (k = 0; k < n && hdrs[k].ts_ns < ts; k++)
		;
	if (k == n)
		FUZZ_ASSERT(ret == 0);
	else
		FUZZ_ASSERT(ret == 1 &&
			    !memcmp(&rec.hdr, &hdrs[k], sizeof(rec.hdr)));
}

/* Read a log file every way the reader offers. */
static void exercise(int fd)
{
	const struct tsc_log_meta *meta;
	struct tsc_log_reader *r;
	struct tsc_log_stats st;
	struct tsc_rec rec;
	uint64_t bytes = 0, min_ts = UINT64_MAX, max_ts = 0;
	size_t n = 0;
	bool clean;
	int ret, end;

	ret = tsc_log_reader_new(fd, &r);
	if (ret < 0) {
		FUZZ_ASSERT(ret == -EBADMSG || ret == -EPROTONOSUPPORT ||
			    ret == -ENODATA);
		return;
	}
	meta = tsc_log_reader_meta(r);
	for (size_t i = 0; i < meta->n_fields; i++)
		FUZZ_ASSERT(strlen(meta->fields[i].key) > 0 &&
			    strlen(meta->fields[i].value) <= UINT16_MAX);
	if (meta->host)
		FUZZ_ASSERT(strlen(meta->host) <= UINT16_MAX);

	while ((ret = tsc_log_reader_next(r, &rec)) == 1 && n < MAX_RECORDS) {
		FUZZ_ASSERT(rec.hdr.type != TSC_REC_LOG_INDEX &&
			    rec.hdr.type != TSC_REC_LOG_TRAILER);
		hdrs[n++] = rec.hdr;
		bytes += TSC_REC_HDR_SIZE + rec.hdr.len;
		if (rec.hdr.ts_ns < min_ts)
			min_ts = rec.hdr.ts_ns;
		if (rec.hdr.ts_ns > max_ts)
			max_ts = rec.hdr.ts_ns;
	}
	if (ret == -EBADMSG)
		FUZZ_ASSERT(tsc_log_reader_error(r)->fault != TSC_FAULT_NONE);
	else
		FUZZ_ASSERT(ret == 0 || ret == 1);
	end = ret;
	FUZZ_ASSERT(tsc_log_reader_stats(r, &st) == 0);
	/*
	 * The index of a closed log is trusted (its hash covers the index,
	 * not the records): records changed after the close may disagree.
	 */
	clean = end == 0 && !st.closed;
	if (clean) {
		FUZZ_ASSERT(st.records == n);
		FUZZ_ASSERT(st.data_bytes == bytes);
		if (n)
			FUZZ_ASSERT(st.max_ts == max_ts &&
				    st.first_ts == hdrs[0].ts_ns);
	}

	check_seek(r, 0, n, clean);
	check_seek(r, max_ts, n, clean);
	check_seek(r, min_ts / 2 + max_ts / 2, n, clean);
	check_seek(r, min_ts + 1, n, clean);
	check_seek(r, max_ts + 1, n, clean);
	if (n > 2)
		check_seek(r, hdrs[n / 2].ts_ns, n, clean);

	tsc_log_reader_rewind(r);
	ret = tsc_log_reader_next(r, &rec);
	if (clean && n)
		FUZZ_ASSERT(ret == 1 &&
			    !memcmp(&rec.hdr, &hdrs[0], sizeof(rec.hdr)));
	tsc_log_reader_free(r);
}

#ifdef FUZZ_LOG_FRAMES

/* Frame header fields computed from the records, as the writer does. */
static void honest_fields(const uint8_t *raw, size_t len, uint8_t *f)
{
	uint64_t first_ts = 0, max_ts = 0, first_seq = 0;
	uint32_t nrec = 0;
	struct tsc_rec rec;

	for (size_t pos = 0; pos < len; pos += TSC_REC_HDR_SIZE + rec.hdr.len) {
		if (tsc_rec_parse(raw + pos, len - pos, &rec) < 0)
			break;
		if (nrec == 0) {
			first_ts = max_ts = rec.hdr.ts_ns;
			first_seq = rec.hdr.seq;
		}
		if (rec.hdr.ts_ns > max_ts)
			max_ts = rec.hdr.ts_ns;
		nrec++;
	}
	memcpy(f + 12, &nrec, 4);
	memcpy(f + 16, &first_ts, 8);
	memcpy(f + 24, &max_ts, 8);
	memcpy(f + 32, &first_seq, 8);
}

/*
 * Input: a byte of file options (bit 0: chunk size 8 KiB, else 128 KiB),
 * then parts separated by FUZZ_SEPARATOR. A part starts with a control
 * byte: bit 0: the frame header's record count, timestamps and first seq
 * are computed from the records, else they are the part's next 28 bytes;
 * bit 1: the part is written as is (a stray record or index record), not
 * as a frame; bit 2: the frame is cut in half (a torn last frame). The
 * rest of the part is the frame's uncompressed content.
 */
static int build_frames(const uint8_t *data, size_t size)
{
	struct tsc_log_writer_options wo = { .flags = TSC_LOG_ZSTD };
	struct tsc_log_meta meta = { .start_ns = 1, .tty = "pts/0" };
	static uint8_t zbuf[40 + (1u << 20)];
	struct tsc_log_writer *w;
	int fd = fuzz_memfd("", 0);

	wo.chunk_size = data[0] & 1 ? TSC_LOG_CHUNK_MIN : 0;
	memset(meta.file_id, 1, sizeof(meta.file_id));
	FUZZ_ASSERT(tsc_log_writer_new(fd, &meta, &wo, &w) == 0);
	tsc_log_writer_free(w);
	data++;
	size--;
	while (size > 0) {
		size_t len, csize;
		const uint8_t *part = fuzz_split(&data, &size, &len);
		uint8_t ctl;
		uint32_t magic = 0x5a435354u, usize;

		if (len == 0)
			continue;
		ctl = part[0];
		part++;
		len--;
		if (ctl & 2) {
			FUZZ_ASSERT(write(fd, part, len) == (ssize_t)len);
			continue;
		}
		if (!(ctl & 1)) {
			if (len < 28)
				continue;
			memcpy(zbuf + 12, part, 28);
			part += 28;
			len -= 28;
		}
		if (len > (1u << 20) - 1024)
			continue;
		if (ctl & 1)
			honest_fields(part, len, zbuf);
		csize = ZSTD_compress(zbuf + 40, sizeof(zbuf) - 40, part, len,
				      1);
		FUZZ_ASSERT(!ZSTD_isError(csize));
		usize = (uint32_t)len;
		memcpy(zbuf, &magic, 4);
		memcpy(zbuf + 4, &(uint32_t){ (uint32_t)csize }, 4);
		memcpy(zbuf + 8, &usize, 4);
		csize += 40;
		if (ctl & 4)
			csize /= 2;
		FUZZ_ASSERT(write(fd, zbuf, csize) == (ssize_t)csize);
	}
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd;

	if (size < 1)
		return 0;
	fd = build_frames(data, size);
	exercise(fd);
	close(fd);
	return 0;
}

#else

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = fuzz_memfd(data, size);

	exercise(fd);
	close(fd);
	return 0;
}

#endif
