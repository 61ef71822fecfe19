/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libttyscope replay scheduler: when to show each recorded event.
 *
 * Time is one 64-bit nanosecond count throughout (record timestamps and
 * CLOCK_MONOTONIC), never split into seconds and microseconds. The delay
 * between two events is their timestamp difference, divided by the speed
 * factor as a whole, then capped at the maximum delay. Like ttyrpld's
 * ttyreplay, the scheduler measures how late each event actually came
 * (sleep overshoot plus the caller's processing time), keeps that as a
 * running debt and takes it off the following delays, so playback does
 * not drift from the recording however often sleeps overshoot.
 *
 * The scheduler itself never sleeps except in tsc_replay_sleep() and
 * tsc_replay_wait(); a player with its own poll() loop uses
 * tsc_replay_schedule(), tsc_replay_timeout() and tsc_replay_fire(), and
 * may call tsc_replay_sleep() for the last millisecond or two. The clock
 * is injected, so the logic is testable without sleeping.
 *
 * Precision: tsc_replay_sleep() wakes up early by its running estimate of
 * the sleeps' wake-up latency and busy-waits the rest, at most
 * tsc_replay_set_spin() ns per event (%TSC_REPLAY_SPIN_DEFAULT on the
 * real clock): events come within microseconds of their time whenever
 * the kernel wakes the player up less than that bound late, and the CPU
 * stays idle between them.
 */
#ifndef TSC_REPLAY_H
#define TSC_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

/* tsc_replay_timeout() when nothing is due until the caller acts. */
#define TSC_REPLAY_NEVER UINT64_MAX

/* Busy-wait bound of a scheduler on the real clock: 200 us. */
#define TSC_REPLAY_SPIN_DEFAULT 200000u

/**
 * struct tsc_replay_clock - the time source of a scheduler
 * @now: CLOCK_MONOTONIC-like nanoseconds, never decreasing
 * @sleep: sleep about @ns nanoseconds; 0, or -EINTR if interrupted
 * @ctx: passed to both
 */
struct tsc_replay_clock {
	uint64_t (*now)(void *ctx);
	int (*sleep)(void *ctx, uint64_t ns);
	void *ctx;
};

struct tsc_replay;

int tsc_replay_new(const struct tsc_replay_clock *clock,
		   struct tsc_replay **ret_replay);
void tsc_replay_free(struct tsc_replay *replay);
int tsc_replay_set_speed(struct tsc_replay *replay, double speed);
double tsc_replay_speed(const struct tsc_replay *replay);
void tsc_replay_set_max_delay(struct tsc_replay *replay, uint64_t ns);
uint64_t tsc_replay_delay(const struct tsc_replay *replay, uint64_t from_ts,
			  uint64_t to_ts);

void tsc_replay_schedule(struct tsc_replay *replay, uint64_t ts_ns);
uint64_t tsc_replay_timeout(const struct tsc_replay *replay);
void tsc_replay_fire(struct tsc_replay *replay);
void tsc_replay_set_spin(struct tsc_replay *replay, uint64_t ns);
uint64_t tsc_replay_lead(const struct tsc_replay *replay);
int tsc_replay_sleep(struct tsc_replay *replay);
int tsc_replay_wait(struct tsc_replay *replay, uint64_t ts_ns);

void tsc_replay_pause(struct tsc_replay *replay);
void tsc_replay_resume(struct tsc_replay *replay);
bool tsc_replay_paused(const struct tsc_replay *replay);
void tsc_replay_step(struct tsc_replay *replay);
void tsc_replay_seek(struct tsc_replay *replay, uint64_t ts_ns);
uint64_t tsc_replay_position(const struct tsc_replay *replay);
uint64_t tsc_replay_debt(const struct tsc_replay *replay);

#endif /* TSC_REPLAY_H */
