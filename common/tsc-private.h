/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libttyscope internals shared by its source files: little-endian field
 * access on unaligned bytes and I/O loops. Not installed, not public.
 */
#ifndef TSC_PRIVATE_H
#define TSC_PRIVATE_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

static inline uint16_t tsc_get_le16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static inline uint32_t tsc_get_le32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static inline uint64_t tsc_get_le64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static inline void tsc_put_le16(void *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, sizeof(v));
}

static inline void tsc_put_le32(void *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void tsc_put_le64(void *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

int tsc_write_all(int fd, const void *buf, size_t len);
ssize_t tsc_pread_full(int fd, void *buf, size_t len, uint64_t offset);

/*
 * A growable byte buffer for text output (exporters). Errors are sticky:
 * after a failed allocation every append is ignored and @err stays set.
 */
struct tsc_buf {
	char *data;
	size_t len;
	size_t cap;
	int err;
};

void tsc_buf_append(struct tsc_buf *b, const void *data, size_t len);
void tsc_buf_printf(struct tsc_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void tsc_buf_free(struct tsc_buf *b);

#endif /* TSC_PRIVATE_H */
