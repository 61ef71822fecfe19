/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the libFuzzer targets of tests/fuzz.
 */
#ifndef TSC_FUZZ_H
#define TSC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant the code under test broke: report it as a crash. */
#define FUZZ_ASSERT(cond)                                                \
	do {                                                             \
		if (!(cond)) {                                           \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", \
				__FILE__, __LINE__, #cond);              \
			abort();                                         \
		}                                                        \
	} while (0)

int fuzz_memfd(const void *data, size_t size);
int fuzz_devnull(void);
const uint8_t *fuzz_split(const uint8_t **data, size_t *size, size_t *ret_len);

/* Separates the files of one input (script's timing and data logs). */
#define FUZZ_SEPARATOR "\n--8<--\n"
#define FUZZ_SEPARATOR_LEN 8u

#endif /* TSC_FUZZ_H */
