/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libttyscope ring walker: whole records in a mapped /dev/rpl buffer.
 *
 * The ring is the TTYSCOPE_MMAP_DATA region of a reader (docs/IOCTL.md,
 * "Mapping the buffer"): @size bytes, a power of two, holding the records
 * from position @tail up to @head back to back; positions count bytes
 * modulo 2^32 and position p is at offset p & (size - 1). A record may wrap
 * around the end of the ring. These functions only read the ring; loading
 * head and storing tail (with their memory ordering) is the caller's job,
 * so they are testable on any buffer.
 */
#ifndef TSC_RING_H
#define TSC_RING_H

#include <stdint.h>

#include "tsc-record.h"

int tsc_ring_next(const void *ring, uint32_t size, uint32_t pos, uint32_t head,
		  void *copy, struct tsc_rec *ret_rec);
uint32_t tsc_ring_resync(const void *ring, uint32_t size, uint32_t pos,
			 uint32_t head);

#endif /* TSC_RING_H */
