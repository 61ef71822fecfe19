/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the benchmarks: failure of a correctness check,
 * reproducible random numbers, the monotonic clock.
 */
#ifndef TSC_BENCH_H
#define TSC_BENCH_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Correctness failures end a benchmark; times are only reported. */
#define CHECK(cond) bench_check((cond), #cond)

static inline void bench_check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "%s: check failed: %s\n",
			program_invocation_short_name, what);
		exit(1);
	}
}

/* xorshift64*: reproducible pseudo-random numbers. */
static inline uint64_t bench_rand(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dull;
}

static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif /* TSC_BENCH_H */
