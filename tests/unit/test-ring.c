// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the ring walker (common/tsc-ring.c): records in a mapped
 * reader buffer walked in place, copied out where the header or the payload
 * wraps around the end, positions wrapping at 2^32, malformed and short
 * records with their exact errors, resynchronisation across the end.
 */
#include <errno.h>
#include <string.h>

#include "tsc-test.h"

#define RING 8192u /* the smallest ring a record always fits in */

static uint8_t ring[RING];
static uint8_t copy[TSC_REC_MAX_SIZE];

/* Write @len bytes at position @pos of the ring, wrapping at its end. */
static void ring_put(uint32_t pos, const void *src, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		ring[(pos + i) & (RING - 1)] = ((const uint8_t *)src)[i];
}

/* Put an OUT record of @len bytes ('a' + seq) at @pos; returns its size. */
static uint32_t put_rec(uint32_t pos, uint64_t seq, uint32_t len)
{
	uint8_t rec[TSC_REC_MAX_SIZE], payload[TTYSCOPE_MAX_PAYLOAD];
	size_t n;

	memset(payload, 'a' + (int)(seq % 26), len);
	n = tsc_test_put_simple(rec, TTYSCOPE_REC_OUT, seq, 1000 + seq, payload,
				len);
	ring_put(pos, rec, (uint32_t)n);
	return (uint32_t)n;
}

static const uint32_t lens[] = { 10, 100, 3000, 0, 17, 4096, 1 };

/*
 * Where the walk starts, and how many of the records above must wrap in
 * their header and in their payload from there.
 */
static const struct {
	uint32_t start;
	unsigned int header_wraps, payload_wraps;
} walk_cases[] = {
	{ 0, 0, 0 }, /* 7504 bytes: nothing wraps */
	{ 1000, 0, 1 }, /* the 4096 payload crosses the end */
	{ RING - 50 - 20, 1, 0 }, /* 2nd header: 20 bytes before the end */
	{ RING - 50 - 1, 1, 0 }, /* 2nd header: 1 byte before the end */
	{ RING - 50 - 39, 1, 0 }, /* 2nd header: 39 bytes before the end */
	{ RING - 50 - 40, 0, 1 }, /* 2nd payload starts at the end, wraps */
	{ RING - 50 - 140, 0, 0 }, /* 2nd record ends exactly at the end */
	{ RING - 50 - 60, 0, 1 }, /* 2nd payload: 20 bytes before the end */
	{ 0xffffffffu - 30, 1, 0 }, /* positions wrap at 2^32, header too */
	{ 0xffffe000u - 25, 1, 0 },
};

START_TEST(test_walk)
{
	uint32_t start = walk_cases[_i].start, pos = start, head;
	unsigned int hw = 0, pw = 0;
	struct tsc_rec rec;
	uint8_t want[TTYSCOPE_MAX_PAYLOAD];

	memset(ring, 0xee, sizeof(ring));
	for (unsigned int i = 0; i < ARRAY_SIZE(lens); i++)
		pos += put_rec(pos, i, lens[i]);
	head = pos;
	ck_assert_uint_le(head - start, RING);
	pos = start;
	for (unsigned int i = 0; i < ARRAY_SIZE(lens); i++) {
		uint32_t off = pos & (RING - 1);
		uint32_t total = TSC_REC_HDR_SIZE + lens[i];

		ck_assert_int_eq(
			tsc_ring_next(ring, RING, pos, head, copy, &rec), 1);
		ck_assert_uint_eq(rec.hdr.type, TTYSCOPE_REC_OUT);
		ck_assert_uint_eq(rec.hdr.seq, i);
		ck_assert_uint_eq(rec.hdr.ts_ns, 1000 + i);
		ck_assert_uint_eq(rec.hdr.len, lens[i]);
		ck_assert_ptr_eq(rec.payload, rec.raw + TSC_REC_HDR_SIZE);
		memset(want, 'a' + (int)i, lens[i]);
		ck_assert_mem_eq(rec.payload, want, lens[i]);
		ck_assert_uint_eq(tsc_test_le32(rec.raw), TTYSCOPE_REC_MAGIC);
		if (off + total <= RING) {
			ck_assert_ptr_eq(rec.raw, ring + off); /* in place */
		} else {
			ck_assert_ptr_eq(rec.raw, copy);
			if (off + TSC_REC_HDR_SIZE > RING)
				hw++;
			else
				pw++;
		}
		pos += total;
	}
	ck_assert_uint_eq(pos, head);
	ck_assert_int_eq(tsc_ring_next(ring, RING, pos, head, copy, &rec), 0);
	ck_assert_uint_eq(hw, walk_cases[_i].header_wraps);
	ck_assert_uint_eq(pw, walk_cases[_i].payload_wraps);
}
END_TEST

enum corrupt {
	C_NONE,
	C_LEN, /* len above TTYSCOPE_MAX_PAYLOAD */
	C_LEN_FIXED, /* a LOSS of the wrong length */
	C_MAGIC,
	C_VERSION,
};

/*
 * A record of 100 payload bytes at @start, corrupted as @corrupt, with
 * @queued bytes of it queued; the ring has @size bytes.
 */
static const struct {
	const char *name;
	uint32_t size, start;
	enum corrupt corrupt;
	uint32_t queued;
	int ret;
} bad_cases[] = {
	{ "empty", RING, 5, C_NONE, 0, 0 },
	{ "whole", RING, 5, C_NONE, 140, 1 },
	{ "corrupt length", RING, 5, C_LEN, 140, -EBADMSG },
	{ "corrupt length, wrapped", RING, RING - 7, C_LEN, 140, -EBADMSG },
	{ "LOSS of 100 bytes", RING, 5, C_LEN_FIXED, 140, -EBADMSG },
	{ "bad magic", RING, RING - 2, C_MAGIC, 140, -EBADMSG },
	{ "bad version", RING, 5, C_VERSION, 140, -EBADMSG },
	{ "partial header", RING, RING - 3, C_NONE, 39, -ENODATA },
	{ "partial payload", RING, RING - 60, C_NONE, 139, -ENODATA },
	{ "more queued than the ring", RING, 5, C_NONE, RING + 1, -EINVAL },
	{ "size not a power of two", RING + 8, 5, C_NONE, 140, -EINVAL },
	{ "size too small", 4096, 5, C_NONE, 140, -EINVAL },
};

START_TEST(test_malformed)
{
	uint8_t payload[100], rec[140];
	struct tsc_test_rec r = { .type = TTYSCOPE_REC_OUT, .len = 100 };
	struct tsc_rec out;

	memset(ring, 0, sizeof(ring));
	memset(payload, 'x', sizeof(payload));
	switch (bad_cases[_i].corrupt) {
	case C_LEN:
		r.len = TTYSCOPE_MAX_PAYLOAD + 1;
		break;
	case C_LEN_FIXED:
		r.type = TTYSCOPE_REC_LOSS;
		break;
	case C_MAGIC:
		r.magic = TTYSCOPE_REC_MAGIC ^ 1;
		break;
	case C_VERSION:
		r.version = TTYSCOPE_ABI_VERSION + 1;
		break;
	case C_NONE:
		break;
	}
	tsc_test_put(rec, &r, payload);
	ring_put(bad_cases[_i].start, rec, sizeof(rec));
	ck_assert_msg(tsc_ring_next(ring, bad_cases[_i].size,
				    bad_cases[_i].start,
				    bad_cases[_i].start + bad_cases[_i].queued,
				    copy, &out) == bad_cases[_i].ret,
		      "%s", bad_cases[_i].name);
}
END_TEST

/*
 * Resynchronisation: @garbage bytes (with a fake header if @fake) before
 * three records, starting at @start; the scan must land on the first
 * record, and the walk go on from there.
 */
static const struct {
	uint32_t start, garbage;
	bool fake;
	bool records;
} resync_cases[] = {
	{ 100, 57, false, true },
	{ RING - 30, 57, false, true }, /* garbage wraps */
	{ RING - 60, 40, false, true }, /* first record's header wraps */
	{ RING - 200, 100, true, true }, /* fake header followed by garbage */
	{ RING - 20, 300, true, false }, /* nothing valid: skip to head */
	{ 0xfffffff0u, 33, true, true },
};

START_TEST(test_resync)
{
	uint32_t start = resync_cases[_i].start, pos = start, first, head;
	uint8_t junk[400];
	struct tsc_rec rec;

	memset(ring, 0, sizeof(ring));
	for (uint32_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 7 + 1);
	ring_put(pos, junk, resync_cases[_i].garbage);
	if (resync_cases[_i].fake) {
		/* a valid header whose "record" is followed by garbage */
		uint8_t fake[TSC_REC_HDR_SIZE + 8];
		struct tsc_test_rec r = { .type = TTYSCOPE_REC_OUT, .len = 8 };

		tsc_test_put(fake, &r, junk);
		ring_put(pos + 3, fake, sizeof(fake));
	}
	pos += resync_cases[_i].garbage;
	first = pos;
	if (resync_cases[_i].records)
		for (unsigned int i = 0; i < 3; i++)
			pos += put_rec(pos, i, 50 + i);
	head = pos;

	ck_assert_int_eq(tsc_ring_next(ring, RING, start, head, copy, &rec),
			 -EBADMSG);
	pos = tsc_ring_resync(ring, RING, start, head);
	ck_assert_uint_eq(pos, first);
	for (unsigned int i = 0; resync_cases[_i].records && i < 3; i++) {
		ck_assert_int_eq(
			tsc_ring_next(ring, RING, pos, head, copy, &rec), 1);
		ck_assert_uint_eq(rec.hdr.seq, i);
		pos += TSC_REC_HDR_SIZE + rec.hdr.len;
	}
	ck_assert_uint_eq(pos, head);
	ck_assert_int_eq(tsc_ring_next(ring, RING, pos, head, copy, &rec), 0);
}
END_TEST

/* Resynchronisation at the edges: nothing queued, a record ending at head. */
START_TEST(test_resync_edges)
{
	uint32_t pos = RING - 10, head;

	memset(ring, 0, sizeof(ring));
	/* pos..head queued but nothing: resync is a no-op */
	ck_assert_uint_eq(tsc_ring_resync(ring, RING, pos, pos), pos);
	/* a corrupt length, then one record ending exactly at head */
	ring_put(pos, "TSCR", 4);
	head = pos + 7 + put_rec(pos + 7, 9, 5);
	ck_assert_uint_eq(tsc_ring_resync(ring, RING, pos, head), pos + 7);
	/* insane arguments: give up on everything queued */
	ck_assert_uint_eq(tsc_ring_resync(ring, RING + 1, pos, head), head);
	ck_assert_uint_eq(tsc_ring_resync(ring, RING, head, pos), pos);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ring");
	TCase *tc = tcase_create("ring");

	tcase_add_loop_test(tc, test_walk, 0, ARRAY_SIZE(walk_cases));
	tcase_add_loop_test(tc, test_malformed, 0, ARRAY_SIZE(bad_cases));
	tcase_add_loop_test(tc, test_resync, 0, ARRAY_SIZE(resync_cases));
	tcase_add_test(tc, test_resync_edges);
	suite_add_tcase(s, tc);
	return tsc_test_main(s);
}
