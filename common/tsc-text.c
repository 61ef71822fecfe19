// SPDX-License-Identifier: GPL-2.0-only
/*
 * Untrusted text made safe to show (tsc-text.h), on the UTF-8 rules of the
 * JSON writer (tsc-json.c).
 */
#include <stdlib.h>

#include "tsc-json.h"
#include "tsc-text.h"

/**
 * tsc_text_printable() - @s as text that cannot drive a terminal
 * @s: the text, any bytes
 * @buf: where to write; may be @s itself (the result is never longer)
 * @size: bytes at @buf; the result is cut to fit, at a character boundary
 *
 * Each control character (C0, DEL, C1) and each maximal part of an
 * ill-formed or truncated UTF-8 sequence becomes one '?'.
 *
 * Return: @buf.
 */
char *tsc_text_printable(const char *s, char *buf, size_t size)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t len = strlen(s), i = 0, o = 0, n;

	if (!size)
		return buf;
	while (i < len && o + 1 < size) {
		int kind = tsc_utf8_seq(p + i, len - i, &n);
		/* C1 controls are U+0080..U+009F: 0xc2 0x80..0x9f */
		bool control = kind == 1 &&
			       (p[i] < 0x20 || p[i] == 0x7f ||
				(n == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0));

		if (kind != 1 || control) {
			buf[o++] = '?';
		} else {
			if (o + n >= size)
				break;
			memmove(buf + o, p + i, n);
			o += n;
		}
		i += n;
	}
	buf[o] = '\0';
	return buf;
}

/**
 * tsc_text_json() - @s as a JSON string literal, quotes included
 * @s: the text, any bytes
 *
 * Well-formed UTF-8 is kept (control characters, '"', '\\' and DEL
 * escaped); each maximal part of an ill-formed sequence becomes U+FFFD.
 *
 * Return: the literal, malloc'd (the caller frees it); NULL when out of
 * memory.
 */
char *tsc_text_json(const char *s)
{
	struct tsc_buf b = { 0 };

	tsc_json_put_string(&b, (const uint8_t *)s, strlen(s));
	if (b.err) {
		tsc_buf_free(&b);
		return NULL;
	}
	return b.data;
}
