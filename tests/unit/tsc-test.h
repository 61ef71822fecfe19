/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the libttyscope unit tests.
 */
#ifndef TSC_TEST_H
#define TSC_TEST_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "ttyscope.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A record to build, possibly malformed (no validation). */
struct tsc_test_rec {
	uint32_t magic; /* 0: TTYSCOPE_REC_MAGIC */
	uint16_t version; /* 0: TTYSCOPE_ABI_VERSION */
	uint16_t type;
	uint32_t flags;
	uint32_t len;
	uint32_t major;
	uint32_t minor;
	uint64_t seq;
	uint64_t ts_ns;
};

size_t tsc_test_put(uint8_t *buf, const struct tsc_test_rec *r,
		    const void *payload);
size_t tsc_test_put_simple(uint8_t *buf, uint16_t type, uint64_t seq,
			   uint64_t ts, const void *payload, uint32_t len);
uint64_t tsc_test_rand(uint64_t *state);
uint16_t tsc_test_le16(const uint8_t *p);
uint32_t tsc_test_le32(const uint8_t *p);
uint64_t tsc_test_le64(const uint8_t *p);
const char *tsc_test_dir(void);
char *tsc_test_path(const char *name);
int tsc_test_open(const char *name, int flags);
void tsc_test_write_file(const char *name, const void *data, size_t len);
uint8_t *tsc_test_read_file(const char *name, size_t *ret_len);
int tsc_test_main(Suite *s);

#endif /* TSC_TEST_H */
