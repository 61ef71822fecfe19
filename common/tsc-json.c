// SPDX-License-Identifier: GPL-2.0-only
/*
 * Minimal JSON (RFC 8259) for asciicast: a recursive-descent parser with a
 * depth limit, building nodes in blocks owned by a document; strings are
 * decoded into one buffer that cannot overflow because a decoded string is
 * never longer than its literal. And UTF-8 handling for the writer: invalid
 * bytes become U+FFFD, one per maximal subpart of an ill-formed sequence
 * (Unicode 15, section 3.9; the same as Rust's String::from_utf8_lossy,
 * which asciinema uses).
 */
#include <errno.h>
#include <stdlib.h>

#include "tsc-json.h"

#define TSC_JSON_MAX_DEPTH 64
#define TSC_JSON_BLOCK 128

struct tsc_json_block {
	struct tsc_json_block *next;
	size_t used;
	struct tsc_json nodes[TSC_JSON_BLOCK];
};

struct tsc_json_doc {
	struct tsc_json *root;
	char *strings;
	size_t strings_used;
	struct tsc_json_block *blocks;
};

struct tsc_json_parser {
	const char *s;
	size_t len;
	size_t pos;
	int depth;
	struct tsc_json_doc *doc;
};

static struct tsc_json *tsc_json_node(struct tsc_json_doc *doc)
{
	struct tsc_json_block *b = doc->blocks;

	if (!b || b->used == TSC_JSON_BLOCK) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return NULL;
		b->next = doc->blocks;
		doc->blocks = b;
	}
	return &b->nodes[b->used++];
}

static void tsc_json_ws(struct tsc_json_parser *p)
{
	while (p->pos < p->len &&
	       (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
		p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static int tsc_hex4(const char *s, uint32_t *ret)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -EBADMSG;
	}
	*ret = v;
	return 0;
}

/* Store code point @cp as UTF-8 at @out; returns the byte count. */
static size_t tsc_utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Parse a string literal at p->pos (the opening quote). Escapes are
 * decoded; a lone surrogate becomes U+FFFD; other bytes are kept as they
 * are. Control characters must be escaped.
 */
static int tsc_json_string(struct tsc_json_parser *p, const char **ret_str,
			   size_t *ret_len)
{
	char *out = p->doc->strings + p->doc->strings_used, *o = out;

	p->pos++;
	for (;;) {
		unsigned char c;
		uint32_t cp, lo;

		if (p->pos >= p->len)
			return -EBADMSG;
		c = (unsigned char)p->s[p->pos++];
		if (c == '"')
			break;
		if (c < 0x20)
			return -EBADMSG;
		if (c != '\\') {
			*o++ = (char)c;
			continue;
		}
		if (p->pos >= p->len)
			return -EBADMSG;
		c = (unsigned char)p->s[p->pos++];
		switch (c) {
		case '"':
		case '\\':
		case '/':
			*o++ = (char)c;
			break;
		case 'b':
			*o++ = '\b';
			break;
		case 'f':
			*o++ = '\f';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'u':
			if (p->len - p->pos < 4 || tsc_hex4(p->s + p->pos, &cp))
				return -EBADMSG;
			p->pos += 4;
			if (cp >= 0xd800 && cp <= 0xdbff &&
			    p->len - p->pos >= 6 && p->s[p->pos] == '\\' &&
			    p->s[p->pos + 1] == 'u' &&
			    !tsc_hex4(p->s + p->pos + 2, &lo) && lo >= 0xdc00 &&
			    lo <= 0xdfff) {
				p->pos += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
			} else if (cp >= 0xd800 && cp <= 0xdfff) {
				cp = 0xfffd;
			}
			o += tsc_utf8_put(o, cp);
			break;
		default:
			return -EBADMSG;
		}
	}
	*o = '\0';
	*ret_str = out;
	*ret_len = (size_t)(o - out);
	p->doc->strings_used += (size_t)(o - out) + 1;
	return 0;
}

static bool tsc_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Check the number grammar at p->pos and keep the literal. */
static int tsc_json_number(struct tsc_json_parser *p, struct tsc_json *v)
{
	size_t start = p->pos;
	const char *s = p->s;

	if (p->pos < p->len && s[p->pos] == '-')
		p->pos++;
	if (p->pos < p->len && s[p->pos] == '0') {
		p->pos++;
	} else if (p->pos < p->len && tsc_digit(s[p->pos])) {
		while (p->pos < p->len && tsc_digit(s[p->pos]))
			p->pos++;
	} else {
		return -EBADMSG;
	}
	if (p->pos < p->len && s[p->pos] == '.') {
		p->pos++;
		if (p->pos >= p->len || !tsc_digit(s[p->pos]))
			return -EBADMSG;
		while (p->pos < p->len && tsc_digit(s[p->pos]))
			p->pos++;
	}
	if (p->pos < p->len && (s[p->pos] == 'e' || s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (s[p->pos] == '+' || s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || !tsc_digit(s[p->pos]))
			return -EBADMSG;
		while (p->pos < p->len && tsc_digit(s[p->pos]))
			p->pos++;
	}
	v->type = TSC_JSON_NUMBER;
	v->str = s + start;
	v->len = p->pos - start;
	return 0;
}

static int tsc_json_value(struct tsc_json_parser *p, struct tsc_json *v);

/* Parse the elements (@close ']') or members (@close '}') of a container. */
static int tsc_json_container(struct tsc_json_parser *p, struct tsc_json *v,
			      char close)
{
	struct tsc_json **tail = &v->child;
	int r;

	if (++p->depth > TSC_JSON_MAX_DEPTH)
		return -EBADMSG;
	p->pos++;
	tsc_json_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		p->depth--;
		return 0;
	}
	for (;;) {
		struct tsc_json *item = tsc_json_node(p->doc);

		if (!item)
			return -ENOMEM;
		tsc_json_ws(p);
		if (close == '}') {
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return -EBADMSG;
			r = tsc_json_string(p, &item->key, &item->key_len);
			if (r < 0)
				return r;
			tsc_json_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return -EBADMSG;
			p->pos++;
		}
		r = tsc_json_value(p, item);
		if (r < 0)
			return r;
		*tail = item;
		tail = &item->next;
		tsc_json_ws(p);
		if (p->pos >= p->len)
			return -EBADMSG;
		if (p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->s[p->pos] != close)
			return -EBADMSG;
		p->pos++;
		p->depth--;
		return 0;
	}
}

static bool tsc_json_literal(struct tsc_json_parser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n))
		return false;
	p->pos += n;
	return true;
}

static int tsc_json_value(struct tsc_json_parser *p, struct tsc_json *v)
{
	tsc_json_ws(p);
	if (p->pos >= p->len)
		return -EBADMSG;
	switch (p->s[p->pos]) {
	case '{':
		v->type = TSC_JSON_OBJECT;
		return tsc_json_container(p, v, '}');
	case '[':
		v->type = TSC_JSON_ARRAY;
		return tsc_json_container(p, v, ']');
	case '"':
		v->type = TSC_JSON_STRING;
		return tsc_json_string(p, &v->str, &v->len);
	case 't':
		v->type = TSC_JSON_BOOL;
		v->boolean = true;
		return tsc_json_literal(p, "true") ? 0 : -EBADMSG;
	case 'f':
		v->type = TSC_JSON_BOOL;
		return tsc_json_literal(p, "false") ? 0 : -EBADMSG;
	case 'n':
		v->type = TSC_JSON_NULL;
		return tsc_json_literal(p, "null") ? 0 : -EBADMSG;
	default:
		return tsc_json_number(p, v);
	}
}

/**
 * tsc_json_parse() - parse one JSON text
 * @text: the text (need not be NUL-terminated)
 * @len: its length
 * @ret_doc: the document; free with tsc_json_free()
 *
 * Return: 0; -EBADMSG if @text is not exactly one JSON value (surrounding
 * whitespace allowed) or nests deeper than 64; -ENOMEM.
 */
int tsc_json_parse(const char *text, size_t len, struct tsc_json_doc **ret_doc)
{
	struct tsc_json_parser p = { .s = text, .len = len };
	struct tsc_json_doc *doc;
	int r;

	doc = calloc(1, sizeof(*doc));
	if (!doc)
		return -ENOMEM;
	doc->strings = malloc(len + 1);
	doc->root = tsc_json_node(doc);
	if (!doc->strings || !doc->root) {
		r = -ENOMEM;
		goto err;
	}
	p.doc = doc;
	r = tsc_json_value(&p, doc->root);
	if (r < 0)
		goto err;
	tsc_json_ws(&p);
	if (p.pos != len) {
		r = -EBADMSG;
		goto err;
	}
	*ret_doc = doc;
	return 0;
err:
	tsc_json_free(doc);
	return r;
}

const struct tsc_json *tsc_json_root(const struct tsc_json_doc *doc)
{
	return doc->root;
}

void tsc_json_free(struct tsc_json_doc *doc)
{
	struct tsc_json_block *b, *next;

	if (!doc)
		return;
	for (b = doc->blocks; b; b = next) {
		next = b->next;
		free(b);
	}
	free(doc->strings);
	free(doc);
}

/* The member @key of an object, or NULL (also if @obj is not an object). */
const struct tsc_json *tsc_json_get(const struct tsc_json *obj, const char *key)
{
	size_t n = strlen(key);

	if (!obj || obj->type != TSC_JSON_OBJECT)
		return NULL;
	for (const struct tsc_json *m = obj->child; m; m = m->next)
		if (m->key_len == n && !memcmp(m->key, key, n))
			return m;
	return NULL;
}

/* Element @i of an array, or NULL. */
const struct tsc_json *tsc_json_at(const struct tsc_json *arr, size_t i)
{
	const struct tsc_json *e;

	if (!arr || arr->type != TSC_JSON_ARRAY)
		return NULL;
	for (e = arr->child; e && i > 0; e = e->next)
		i--;
	return e;
}

/**
 * tsc_json_seconds_ns() - a non-negative number of seconds in nanoseconds
 * @num: a NUMBER value
 * @ret_ns: the value, exact for up to 9 decimals (rounded half up beyond)
 *
 * Works on the literal's digits (no floating point, no locale): each digit
 * contributes digit * 10^w nanoseconds, w following from its position, the
 * count of fraction digits and the exponent.
 *
 * Return: 0; -EINVAL if @num is not a number; -ERANGE if negative or too
 * large for 64-bit nanoseconds.
 */
int tsc_json_seconds_ns(const struct tsc_json *num, uint64_t *ret_ns)
{
	static const uint64_t pow10[20] = {
		1u,
		10u,
		100u,
		1000u,
		10000u,
		100000u,
		1000000u,
		10000000u,
		100000000u,
		1000000000u,
		10000000000u,
		100000000000u,
		1000000000000u,
		10000000000000u,
		100000000000000u,
		1000000000000000u,
		10000000000000000u,
		100000000000000000u,
		1000000000000000000u,
		10000000000000000000u,
	};
	size_t mant_end, i, ndigits = 0, nfrac = 0;
	long exp = 0, w;
	uint64_t ns = 0;
	bool neg_exp = false, in_frac = false;

	if (!num || num->type != TSC_JSON_NUMBER)
		return -EINVAL;
	if (num->str[0] == '-')
		return -ERANGE;
	for (mant_end = 0; mant_end < num->len; mant_end++)
		if (num->str[mant_end] == 'e' || num->str[mant_end] == 'E')
			break;
	for (i = mant_end + 1; i < num->len; i++) {
		if (num->str[i] == '-')
			neg_exp = true;
		else if (tsc_digit(num->str[i]) && exp < 100000)
			exp = exp * 10 + (num->str[i] - '0');
	}
	if (neg_exp)
		exp = -exp;
	for (i = 0; i < mant_end; i++) {
		if (num->str[i] == '.')
			in_frac = true;
		else if (in_frac)
			nfrac++, ndigits++;
		else
			ndigits++;
	}
	/* weight of the last digit: 10^(exp + 9 - nfrac) nanoseconds */
	w = exp + 9 - (long)nfrac + (long)ndigits - 1;
	for (i = 0; i < mant_end; i++) {
		uint64_t d, add;

		if (num->str[i] == '.')
			continue;
		d = (uint64_t)(num->str[i] - '0');
		if (w >= 0 && d) {
			if (w >= 20 || d > UINT64_MAX / pow10[w])
				return -ERANGE;
			add = d * pow10[w];
			if (ns > UINT64_MAX - add)
				return -ERANGE;
			ns += add;
		} else if (w == -1 && d >= 5) {
			if (ns == UINT64_MAX)
				return -ERANGE;
			ns++;
		}
		w--;
	}
	*ret_ns = ns;
	return 0;
}

/* A non-negative integer up to @max; 0, -EINVAL or -ERANGE. */
int tsc_json_uint(const struct tsc_json *num, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (!num || num->type != TSC_JSON_NUMBER)
		return -EINVAL;
	for (size_t i = 0; i < num->len; i++) {
		if (!tsc_digit(num->str[i]))
			return -EINVAL;
		v = v * 10 + (uint64_t)(num->str[i] - '0');
		if (v > max)
			return -ERANGE;
	}
	*ret = v;
	return 0;
}

/**
 * tsc_utf8_seq() - classify the UTF-8 sequence starting at @s
 * @s: bytes
 * @len: bytes available, at least 1
 * @ret_len: the sequence's length; for an ill-formed one, the length of
 *	its maximal subpart (to be replaced by one U+FFFD); for a truncated
 *	one, @len
 *
 * Return: 1 well-formed; 0 a well-formed prefix cut off by the end of the
 * data; -1 ill-formed.
 */
int tsc_utf8_seq(const uint8_t *s, size_t len, size_t *ret_len)
{
	uint8_t c = s[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c < 0x80) {
		*ret_len = 1;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		*ret_len = 1;
		return -1;
	}
	for (i = 1; i < n; i++) {
		if (i >= len) {
			*ret_len = len;
			return 0;
		}
		if (s[i] < lo || s[i] > hi) {
			*ret_len = i;
			return -1;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	*ret_len = n;
	return 1;
}

/*
 * Length of the longest prefix of @s that does not end in a truncated
 * sequence; the rest (at most 3 bytes) may complete with later data.
 */
size_t tsc_utf8_complete(const uint8_t *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		if (tsc_utf8_seq(s + i, len - i, &n) == 0)
			return i;
		i += n;
	}
	return len;
}

/*
 * Append @s as a JSON string literal. Well-formed UTF-8 is kept (control
 * characters, '"', '\\' and DEL escaped); each maximal subpart of an
 * ill-formed or truncated sequence becomes U+FFFD.
 */
void tsc_json_put_string(struct tsc_buf *b, const uint8_t *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, run = 0, n;

	tsc_buf_append(b, "\"", 1);
	while (i < len) {
		int kind = tsc_utf8_seq(s + i, len - i, &n);
		uint8_t c = s[i];
		char esc[6];

		if (kind == 1 && !(n == 1 && (c < 0x20 || c == '"' ||
					      c == '\\' || c == 0x7f))) {
			i += n;
			run += n;
			continue;
		}
		tsc_buf_append(b, s + i - run, run);
		run = 0;
		i += n;
		if (kind != 1) {
			tsc_buf_append(b, "\xef\xbf\xbd", 3);
			continue;
		}
		switch (c) {
		case '"':
			tsc_buf_append(b, "\\\"", 2);
			break;
		case '\\':
			tsc_buf_append(b, "\\\\", 2);
			break;
		case '\n':
			tsc_buf_append(b, "\\n", 2);
			break;
		case '\r':
			tsc_buf_append(b, "\\r", 2);
			break;
		case '\t':
			tsc_buf_append(b, "\\t", 2);
			break;
		case '\b':
			tsc_buf_append(b, "\\b", 2);
			break;
		case '\f':
			tsc_buf_append(b, "\\f", 2);
			break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			tsc_buf_append(b, esc, 6);
			break;
		}
	}
	tsc_buf_append(b, s + i - run, run);
	tsc_buf_append(b, "\"", 1);
}
