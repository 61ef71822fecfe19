// SPDX-License-Identifier: GPL-2.0-only
/*
 * Answer-back filter (tsc-abfilter.h): a small VT500-style parser that
 * holds back each escape sequence until its end, then drops it if it is a
 * query and passes it through otherwise.
 */
#include <stdbool.h>
#include <string.h>

#include "tsc-abfilter.h"

enum {
	S_GROUND = 0,
	S_ESC, /* after ESC */
	S_CSI, /* ESC [ ... */
	S_STR, /* OSC or DCS string, held back */
	S_STR_ESC, /* ESC inside a held string: ST or a new sequence */
	S_PASS, /* a string too long to hold: passed through to its end */
	S_PASS_ESC,
};

#define ESC 0x1b
#define BEL 0x07
#define ENQ 0x05
#define CAN 0x18
#define SUB 0x1a

void tsc_abfilter_init(struct tsc_abfilter *f)
{
	f->state = S_GROUND;
	f->len = 0;
}

/* Pass the held bytes through. */
static size_t release(struct tsc_abfilter *f, uint8_t *out)
{
	size_t n = f->len;

	memcpy(out, f->buf, n);
	f->len = 0;
	return n;
}

/* Is the complete CSI sequence in @f->buf a query? */
static bool csi_is_query(const struct tsc_abfilter *f)
{
	const uint8_t *p = f->buf + 2, *end = f->buf + f->len - 1;
	uint8_t final = *end, prefix = 0, inter = 0;
	unsigned int first = 0;
	bool have_first = false;

	if (p < end && *p >= '<' && *p <= '?')
		prefix = *p++;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (first < 100000)
			first = first * 10 + (unsigned int)(*p - '0');
		have_first = true;
	}
	for (; p < end; p++)
		if (*p >= 0x20 && *p <= 0x2f)
			inter = *p;
	switch (final) {
	case 'n': /* DSR, DECDSR */
		return !inter && (!prefix || prefix == '?');
	case 'c': /* DA1, DA2 (>), DA3 (=) */
		return !inter;
	case 'x': /* DECREQTPARM */
		return !inter && !prefix;
	case 'p': /* DECRQM: CSI [?] Ps $ p */
		return inter == '$';
	case 'q': /* XTVERSION */
		return prefix == '>' && !inter;
	case 'u': /* kitty keyboard protocol query */
		return prefix == '?' && !inter;
	case 't': /* window manipulation: 11..21 report */
		return !prefix && !inter && have_first && first >= 11 &&
		       first <= 21;
	default:
		return false;
	}
}

/* Is the complete OSC or DCS string in @f->buf a query? */
static bool str_is_query(const struct tsc_abfilter *f, size_t term_len)
{
	const uint8_t *s = f->buf + 2;
	size_t n = f->len - 2 - term_len;

	if (f->buf[1] == 'P') /* DECRQSS (DCS $ q), XTGETTCAP (DCS + q) */
		return n >= 2 && (s[0] == '$' || s[0] == '+') && s[1] == 'q';
	/* OSC: any ';'-separated field that is exactly "?" */
	for (size_t i = 0, start = 0; i <= n; i++)
		if (i == n || s[i] == ';') {
			if (i - start == 1 && s[start] == '?')
				return true;
			start = i + 1;
		}
	return false;
}

/* Hold @c; if the buffer is full, pass everything held (and go on). */
static size_t hold(struct tsc_abfilter *f, uint8_t c, uint8_t *out)
{
	size_t n = 0;

	if (f->len == sizeof(f->buf)) {
		n = release(f, out);
		f->state = f->state == S_STR ? S_PASS : S_GROUND;
		out[n++] = c;
		return n;
	}
	f->buf[f->len++] = c;
	return 0;
}

static size_t step(struct tsc_abfilter *f, uint8_t c, uint8_t *out)
{
	size_t n = 0;

	switch (f->state) {
	case S_GROUND:
		if (c == ESC) {
			f->buf[0] = c;
			f->len = 1;
			f->state = S_ESC;
		} else if (c != ENQ) {
			out[n++] = c;
		}
		return n;
	case S_ESC:
		if (c == ESC) {
			out[n++] = ESC;
			return n;
		}
		f->buf[f->len++] = c;
		if (c == '[') {
			f->state = S_CSI;
		} else if (c == ']' || c == 'P') {
			f->state = S_STR;
		} else {
			if (c == 'Z') /* DECID */
				f->len = 0;
			n = release(f, out);
			f->state = S_GROUND;
		}
		return n;
	case S_CSI:
		if (c >= 0x20 && c <= 0x3f)
			return hold(f, c, out);
		if (c >= 0x40 && c <= 0x7e) {
			n = hold(f, c, out);
			if (f->state != S_CSI)
				return n;
			if (csi_is_query(f))
				f->len = 0;
			f->state = S_GROUND;
			return release(f, out);
		}
		n = release(f, out);
		f->state = S_GROUND;
		return n + step(f, c, out + n);
	case S_STR:
		if (c == BEL) {
			n = hold(f, c, out);
			if (f->state != S_STR)
				return n;
			if (str_is_query(f, 1))
				f->len = 0;
			f->state = S_GROUND;
			return release(f, out);
		}
		if (c == CAN || c == SUB) {
			n = release(f, out);
			out[n++] = c;
			f->state = S_GROUND;
			return n;
		}
		n = hold(f, c, out);
		if (c == ESC)
			f->state = f->state == S_STR ? S_STR_ESC : S_PASS_ESC;
		return n;
	case S_STR_ESC:
		if (c == '\\') {
			n = hold(f, c, out);
			if (f->state != S_STR_ESC)
				return n;
			if (str_is_query(f, 2))
				f->len = 0;
			f->state = S_GROUND;
			return release(f, out);
		}
		/* ESC then something else: the string was cut short. */
		f->len--;
		n = release(f, out);
		f->state = S_GROUND;
		n += step(f, ESC, out + n);
		return n + step(f, c, out + n);
	case S_PASS:
		out[n++] = c;
		if (c == BEL || c == CAN || c == SUB)
			f->state = S_GROUND;
		else if (c == ESC)
			f->state = S_PASS_ESC;
		return n;
	case S_PASS_ESC:
	default:
		if (c == '\\') {
			out[n++] = c;
			f->state = S_GROUND;
			return n;
		}
		/* The string was cut short; the ESC already went out. */
		out[n++] = c;
		f->state = S_GROUND;
		return n;
	}
}

/**
 * tsc_abfilter_feed() - filter some output bytes
 * @f: the filter
 * @in: bytes
 * @len: number of bytes
 * @out: room for @len + %TSC_ABFILTER_MAX bytes
 *
 * Return: the number of bytes written to @out. Bytes of an unfinished
 * sequence are held until a later call (or tsc_abfilter_flush()).
 */
size_t tsc_abfilter_feed(struct tsc_abfilter *f, const uint8_t *in, size_t len,
			 uint8_t *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += step(f, in[i], out + n);
	return n;
}

/* Pass an unfinished sequence through (at the end of the stream). */
size_t tsc_abfilter_flush(struct tsc_abfilter *f, uint8_t *out)
{
	size_t n = release(f, out);

	f->state = S_GROUND;
	return n;
}
