// SPDX-License-Identifier: GPL-2.0-only
/*
 * I/O loops and a byte buffer shared by the libttyscope modules.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tsc-private.h"

/*
 * Write all @len bytes, retrying after EINTR and short writes. Returns 0 or
 * -errno (-EAGAIN on a non-blocking fd that is full, possibly after part of
 * the data was written).
 */
int tsc_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Read up to @len bytes at @offset, retrying after EINTR and short reads.
 * Returns the number of bytes read (fewer only at end of file) or -errno.
 */
ssize_t tsc_pread_full(int fd, void *buf, size_t len, uint64_t offset)
{
	uint8_t *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n =
			pread(fd, p + done, len - done, (off_t)(offset + done));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* Make room for @len more bytes; sets b->err on failure. */
static int tsc_buf_reserve(struct tsc_buf *b, size_t len)
{
	size_t cap;
	char *data;

	if (b->err)
		return b->err;
	if (b->cap - b->len > len)
		return 0;
	cap = b->cap ? b->cap : 4096;
	while (cap - b->len <= len) {
		if (cap > SIZE_MAX / 2) {
			b->err = -ENOMEM;
			return b->err;
		}
		cap *= 2;
	}
	data = realloc(b->data, cap);
	if (!data) {
		b->err = -ENOMEM;
		return b->err;
	}
	b->data = data;
	b->cap = cap;
	return 0;
}

/* Append @len bytes; the buffer stays NUL-terminated. */
void tsc_buf_append(struct tsc_buf *b, const void *data, size_t len)
{
	if (tsc_buf_reserve(b, len))
		return;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

/* Append formatted text. */
void tsc_buf_printf(struct tsc_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		if (!b->err)
			b->err = -EINVAL;
		return;
	}
	if (tsc_buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Release the memory; the buffer may be reused afterwards. */
void tsc_buf_free(struct tsc_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->err = 0;
}
