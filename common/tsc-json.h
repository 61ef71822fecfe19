/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Minimal JSON for the asciicast importer and exporters (internal): a
 * parser building a small tree for one line, exact decimal numbers, and a
 * string writer that turns arbitrary bytes into a valid JSON string.
 */
#ifndef TSC_JSON_H
#define TSC_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsc-private.h"

enum tsc_json_type {
	TSC_JSON_NULL,
	TSC_JSON_BOOL,
	TSC_JSON_NUMBER,
	TSC_JSON_STRING,
	TSC_JSON_ARRAY,
	TSC_JSON_OBJECT,
};

/*
 * A value. STRING: @str holds @len decoded bytes plus a NUL. NUMBER: @str
 * is the literal (@len bytes, not terminated). ARRAY, OBJECT: @child is
 * the first element (member), linked through @next; members carry @key.
 */
struct tsc_json {
	enum tsc_json_type type;
	bool boolean;
	const char *str;
	size_t len;
	const char *key;
	size_t key_len;
	struct tsc_json *child;
	struct tsc_json *next;
};

struct tsc_json_doc;

int tsc_json_parse(const char *text, size_t len, struct tsc_json_doc **ret_doc);
const struct tsc_json *tsc_json_root(const struct tsc_json_doc *doc);
void tsc_json_free(struct tsc_json_doc *doc);
const struct tsc_json *tsc_json_get(const struct tsc_json *obj,
				    const char *key);
const struct tsc_json *tsc_json_at(const struct tsc_json *arr, size_t i);
int tsc_json_seconds_ns(const struct tsc_json *num, uint64_t *ret_ns);
int tsc_json_uint(const struct tsc_json *num, uint64_t max, uint64_t *ret);

int tsc_utf8_seq(const uint8_t *s, size_t len, size_t *ret_len);
size_t tsc_utf8_complete(const uint8_t *s, size_t len);
void tsc_json_put_string(struct tsc_buf *b, const uint8_t *s, size_t len);

#endif /* TSC_JSON_H */
