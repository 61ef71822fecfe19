// SPDX-License-Identifier: GPL-2.0-only
/*
 * Ring walker: validated records in place in a mapped reader buffer, copied
 * out only where they wrap around the end of the ring.
 *
 * The validation is the stream reader's (tsc_rec_hdr_check() on every
 * header, the record within the queued bytes), and so is the
 * resynchronisation rule: a candidate is a valid header whose record is
 * followed by another valid header or ends exactly at head.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "tsc-ring.h"

/* Copy @len bytes at position @pos out of the ring, wrapping at its end. */
static void ring_get(const uint8_t *ring, uint32_t size, uint32_t pos,
		     void *dst, uint32_t len)
{
	uint32_t off = pos & (size - 1);
	uint32_t first = size - off < len ? size - off : len;

	memcpy(dst, ring + off, first);
	memcpy((uint8_t *)dst + first, ring, len - first);
}

/*
 * Whether a valid header starts at @pos and its record fits before @head;
 * sets *@ret_total to the record size.
 */
static bool ring_header_valid(const uint8_t *ring, uint32_t size, uint32_t pos,
			      uint32_t head, uint32_t *ret_total)
{
	uint8_t p[TSC_REC_HDR_SIZE];
	struct tsc_rec_hdr hdr;

	if (head - pos < TSC_REC_HDR_SIZE)
		return false;
	ring_get(ring, size, pos, p, TSC_REC_HDR_SIZE);
	tsc_rec_hdr_unpack(p, &hdr);
	if (tsc_rec_hdr_check(&hdr) != TSC_FAULT_NONE ||
	    TSC_REC_HDR_SIZE + hdr.len > head - pos)
		return false;
	*ret_total = TSC_REC_HDR_SIZE + hdr.len;
	return true;
}

static bool ring_sane(uint32_t size, uint32_t pos, uint32_t head)
{
	return size >= TSC_REC_MAX_SIZE && !(size & (size - 1)) &&
	       head - pos <= size;
}

/**
 * tsc_ring_next() - the record at a position of the ring
 * @ring: the ring, @size bytes
 * @size: its size, a power of two of at least %TSC_REC_MAX_SIZE bytes
 * @pos: position of the record (the consumer's tail)
 * @head: end of the queued records
 * @copy: %TSC_REC_MAX_SIZE bytes where a record that wraps is copied
 * @ret_rec: the record, pointing into @ring or, if it wraps, into @copy;
 *	the next one starts at @pos + %TSC_REC_HDR_SIZE + @ret_rec->hdr.len
 *
 * Return: 1 and a record; 0 if @pos == @head; -EBADMSG if the header at
 * @pos is not valid (tsc_rec_hdr_check()); -ENODATA if fewer bytes than
 * its header or record are queued; -EINVAL for a @size that is not a power
 * of two or too small, or more than @size bytes queued.
 */
int tsc_ring_next(const void *ring, uint32_t size, uint32_t pos, uint32_t head,
		  void *copy, struct tsc_rec *ret_rec)
{
	const uint8_t *base = ring;
	uint32_t off = pos & (size - 1), avail = head - pos, total;
	uint8_t p[TSC_REC_HDR_SIZE];
	const uint8_t *raw;
	struct tsc_rec_hdr hdr;

	if (!ring_sane(size, pos, head))
		return -EINVAL;
	if (avail == 0)
		return 0;
	if (avail < TSC_REC_HDR_SIZE)
		return -ENODATA;
	ring_get(base, size, pos, p, TSC_REC_HDR_SIZE);
	tsc_rec_hdr_unpack(p, &hdr);
	if (tsc_rec_hdr_check(&hdr) != TSC_FAULT_NONE)
		return -EBADMSG;
	total = TSC_REC_HDR_SIZE + hdr.len;
	if (total > avail)
		return -ENODATA;
	if (off + total <= size) {
		raw = base + off;
	} else {
		ring_get(base, size, pos, copy, total);
		raw = copy;
	}
	ret_rec->hdr = hdr;
	ret_rec->raw = raw;
	ret_rec->payload = raw + TSC_REC_HDR_SIZE;
	return 1;
}

/**
 * tsc_ring_resync() - find where records start again after a bad one
 * @ring: the ring, @size bytes
 * @size: its size, as for tsc_ring_next()
 * @pos: position of the bad record
 * @head: end of the queued records
 *
 * Scans from @pos + 1 for a valid header whose record fits before @head and
 * is followed by another valid header or ends exactly at @head.
 *
 * Return: the position of that record, or @head if there is none (or the
 * arguments are not sane); the bytes before it are to be skipped.
 */
uint32_t tsc_ring_resync(const void *ring, uint32_t size, uint32_t pos,
			 uint32_t head)
{
	const uint8_t *base = ring;
	uint32_t avail = head - pos, total, next;

	if (!ring_sane(size, pos, head))
		return head;
	for (uint32_t i = 1; i < avail && avail - i >= TSC_REC_HDR_SIZE; i++) {
		uint32_t p = pos + i;

		if (base[p & (size - 1)] != 'T' ||
		    !ring_header_valid(base, size, p, head, &total))
			continue;
		if (p + total == head ||
		    ring_header_valid(base, size, p + total, head, &next))
			return p;
	}
	return head;
}
