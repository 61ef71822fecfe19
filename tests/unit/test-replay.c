// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the replay scheduler (common/tsc-replay.c), on a fake
 * clock: delay arithmetic, drift under random oversleeping, pause, step,
 * seek, speed changes, the busy-wait before events; and a short run on
 * the real clock.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "tsc-test.h"

#define MS 1000000ull
#define S 1000000000ull

/*
 * A fake monotonic clock: sleep() advances it by the request plus a random
 * overshoot of up to @max_over ns; @eintr makes the next sleep fail.
 */
struct fake_clock {
	uint64_t now;
	uint64_t max_over;
	uint64_t rnd;
	uint64_t slept;
	int sleeps;
	bool eintr;
};

static uint64_t fake_now(void *ctx)
{
	return ((struct fake_clock *)ctx)->now;
}

static int fake_sleep(void *ctx, uint64_t ns)
{
	struct fake_clock *c = ctx;

	if (c->eintr) {
		c->eintr = false;
		c->now += ns / 2;
		return -EINTR;
	}
	c->now += ns;
	c->slept += ns;
	c->sleeps++;
	if (c->max_over)
		c->now += tsc_test_rand(&c->rnd) % (c->max_over + 1);
	return 0;
}

static struct tsc_replay *fake_replay(struct fake_clock *c)
{
	struct tsc_replay_clock clock = { fake_now, fake_sleep, c };
	struct tsc_replay *r;

	c->now = 1000 * S;
	ck_assert_int_eq(tsc_replay_new(&clock, &r), 0);
	return r;
}

/* Speed applies to the whole delay, the maximum after the speed. */
static const struct {
	double speed;
	uint64_t max_delay;
	uint64_t from, to;
	uint64_t want;
} delay_cases[] = {
	{ 1.0, 0, 0, 1500 * MS, 1500 * MS },
	{ 3.0, 0, 0, 1500 * MS, 500 * MS },
	{ 2.0, 0, 0, 999999999, 499999999 },
	{ 0.5, 0, 10 * S, 11 * S + 1, 2 * S + 2 },
	{ 2.0, 3 * S, 0, 10 * S, 3 * S },
	{ 2.0, 3 * S, 0, 4 * S, 2 * S },
	{ 0.25, 3 * S, 0, 1 * S, 3 * S },
	{ 1.0, 0, 5 * S, 4 * S, 0 }, /* clock stepped back */
	{ 1.0, 0, 5 * S, 5 * S, 0 },
	{ 1.0, 0, 0, UINT64_MAX, UINT64_MAX },
	{ 1e-6, 0, 0, UINT64_MAX / 2, UINT64_MAX },
	{ 1e6, 0, 0, 1 * S, 1000 },
};

START_TEST(test_delay)
{
	struct fake_clock c = { 0 };
	struct tsc_replay *r = fake_replay(&c);

	ck_assert_int_eq(tsc_replay_set_speed(r, delay_cases[_i].speed), 0);
	tsc_replay_set_max_delay(r, delay_cases[_i].max_delay);
	ck_assert_uint_eq(tsc_replay_delay(r, delay_cases[_i].from,
					   delay_cases[_i].to),
			  delay_cases[_i].want);
	tsc_replay_free(r);
}
END_TEST

START_TEST(test_speed_invalid)
{
	struct fake_clock c = { 0 };
	struct tsc_replay *r = fake_replay(&c);

	ck_assert_int_eq(tsc_replay_set_speed(r, 0), -EINVAL);
	ck_assert_int_eq(tsc_replay_set_speed(r, -1), -EINVAL);
	ck_assert_int_eq(tsc_replay_set_speed(r, NAN), -EINVAL);
	ck_assert_int_eq(tsc_replay_set_speed(r, INFINITY), -EINVAL);
	ck_assert_int_eq(tsc_replay_set_speed(r, 1e7), -EINVAL);
	ck_assert(tsc_replay_speed(r) == 1.0);
	ck_assert_int_eq(tsc_replay_set_speed(r, 1e6), 0);
	tsc_replay_free(r);
	tsc_replay_free(NULL);
}
END_TEST

/*
 * Drift: sleeps overshoot randomly by up to @over and showing each event
 * costs @work; every event must still come within one overshoot (plus
 * the work) of its ideal time, and the total must not drift. Without the
 * correction the error would grow by the mean overshoot per event.
 */
static const struct {
	uint64_t over;
	uint64_t work;
	uint64_t max_gap;
	double speed;
} drift_cases[] = {
	{ 2 * MS, 0, 50 * MS, 1.0 },	   { 2 * MS, 100000, 50 * MS, 1.0 },
	{ 20 * MS, 0, 30 * MS, 1.0 }, /* overshoots as large as gaps */
	{ 5 * MS, 300000, 100 * MS, 4.0 }, { 1 * MS, 0, 3 * MS, 0.5 },
};

START_TEST(test_drift)
{
	struct fake_clock c = { .max_over = drift_cases[_i].over, .rnd = 99 };
	struct tsc_replay *r = fake_replay(&c);
	uint64_t rnd = 5, ts = 1700000000 * (uint64_t)S, start = 0, ideal = 0;
	uint64_t worst = 0, bound;

	ck_assert_int_eq(tsc_replay_set_speed(r, drift_cases[_i].speed), 0);
	bound = drift_cases[_i].over + drift_cases[_i].work;
	for (int i = 0; i < 20000; i++) {
		uint64_t gap = i ? tsc_test_rand(&rnd) %
					       (drift_cases[_i].max_gap + 1) :
				   0;
		uint64_t late;

		ts += gap;
		ideal += tsc_replay_delay(r, ts - gap, ts);
		ck_assert_int_eq(tsc_replay_wait(r, ts), 0);
		if (i == 0)
			start = c.now;
		ck_assert_uint_ge(c.now, start + ideal);
		late = c.now - (start + ideal);
		if (late > worst)
			worst = late;
		ck_assert_uint_eq(tsc_replay_position(r), ts);
		c.now += drift_cases[_i].work; /* write the event out */
	}
	ck_assert_msg(worst <= bound, "worst lateness %llu > %llu",
		      (unsigned long long)worst, (unsigned long long)bound);
	ck_assert_uint_le(tsc_replay_debt(r), bound);
	tsc_replay_free(r);
}
END_TEST

/* A debt larger than the next delays is paid off without sleeping. */
START_TEST(test_debt)
{
	struct fake_clock c = { 0 };
	struct tsc_replay *r = fake_replay(&c);

	ck_assert_int_eq(tsc_replay_wait(r, 0), 0);
	c.now += 100 * MS; /* the terminal blocked for 100 ms */
	tsc_replay_schedule(r, 30 * MS);
	ck_assert_uint_eq(tsc_replay_timeout(r), 0);
	ck_assert_uint_eq(tsc_replay_debt(r), 70 * MS);
	tsc_replay_fire(r);
	tsc_replay_schedule(r, 60 * MS);
	ck_assert_uint_eq(tsc_replay_timeout(r), 0);
	ck_assert_uint_eq(tsc_replay_debt(r), 40 * MS);
	tsc_replay_fire(r);
	tsc_replay_schedule(r, 150 * MS);
	ck_assert_uint_eq(tsc_replay_timeout(r), 50 * MS);
	ck_assert_uint_eq(tsc_replay_debt(r), 0);
	ck_assert_int_eq(c.sleeps, 0);
	tsc_replay_free(r);
}
END_TEST

/* Pause keeps the rest of the wait, and the pause is not debt. */
START_TEST(test_pause)
{
	struct fake_clock c = { 0 };
	struct tsc_replay *r = fake_replay(&c);

	ck_assert_int_eq(tsc_replay_wait(r, 0), 0);
	tsc_replay_schedule(r, 1 * S);
	ck_assert_uint_eq(tsc_replay_timeout(r), 1 * S);
	c.now += 300 * MS;
	tsc_replay_pause(r);
	tsc_replay_pause(r);
	ck_assert(tsc_replay_paused(r));
	ck_assert_uint_eq(tsc_replay_timeout(r), TSC_REPLAY_NEVER);
	ck_assert_int_eq(tsc_replay_sleep(r), -EBUSY);
	c.now += 60 * S;
	tsc_replay_resume(r);
	tsc_replay_resume(r);
	ck_assert(!tsc_replay_paused(r));
	ck_assert_uint_eq(tsc_replay_timeout(r), 700 * MS);
	ck_assert_int_eq(tsc_replay_sleep(r), 0);
	tsc_replay_fire(r);
	ck_assert_uint_eq(tsc_replay_debt(r), 0);

	/* paused between events: the next delay also starts after it */
	tsc_replay_pause(r);
	c.now += 10 * S;
	tsc_replay_schedule(r, 1500 * MS);
	c.now += 10 * S;
	tsc_replay_resume(r);
	ck_assert_uint_eq(tsc_replay_timeout(r), 500 * MS);
	ck_assert_uint_eq(tsc_replay_debt(r), 0);
	tsc_replay_free(r);
}
END_TEST

/* Step: the pending event is due at once, even while paused. */
START_TEST(test_step)
{
	struct fake_clock c = { 0 };
	struct tsc_replay *r = fake_replay(&c);

	ck_assert_int_eq(tsc_replay_wait(r, 0), 0);
	tsc_replay_schedule(r, 10 * S);
	tsc_replay_pause(r);
	tsc_replay_step(r);
	ck_assert_uint_eq(tsc_replay_timeout(r), 0);
	ck_assert_int_eq(tsc_replay_sleep(r), 0);
	tsc_replay_fire(r);
	ck_assert_uint_eq(tsc_replay_position(r), 10 * S);
	/* still paused: the next one waits for resume or another step */
	tsc_replay_schedule(r, 11 * S);
	ck_assert_uint_eq(tsc_replay_timeout(r), TSC_REPLAY_NEVER);
	c.now += 5 * S;
	tsc_replay_resume(r);
	ck_assert_uint_eq(tsc_replay_timeout(r), 1 * S);
	/* a step with nothing pending applies to the next event */
	ck_assert_int_eq(tsc_replay_sleep(r), 0);
	tsc_replay_fire(r);
	tsc_replay_step(r);
	tsc_replay_schedule(r, 20 * S);
	ck_assert_uint_eq(tsc_replay_timeout(r), 0);
	tsc_replay_fire(r);
	tsc_replay_schedule(r, 21 * S);
	ck_assert_uint_eq(tsc_replay_timeout(r), 1 * S);
	ck_assert_int_eq(c.sleeps, 1);
	tsc_replay_free(r);
}
END_TEST

/* Seek: the next delay runs from the seek target; the debt is dropped. */
START_TEST(test_seek)
{
	struct fake_clock c = { 0 };
	struct tsc_replay *r = fake_replay(&c);

	ck_assert_int_eq(tsc_replay_wait(r, 100 * S), 0);
	c.now += 3 * S; /* late */
	tsc_replay_schedule(r, 101 * S);
	tsc_replay_seek(r, 50 * S);
	ck_assert_uint_eq(tsc_replay_timeout(r), TSC_REPLAY_NEVER);
	ck_assert_uint_eq(tsc_replay_position(r), 50 * S);
	ck_assert_uint_eq(tsc_replay_debt(r), 0);
	tsc_replay_schedule(r, 52 * S);
	ck_assert_uint_eq(tsc_replay_timeout(r), 2 * S);
	tsc_replay_free(r);
}
END_TEST

/* Changing speed or maximum delay rescales the pending wait. */
START_TEST(test_rescale)
{
	struct fake_clock c = { 0 };
	struct tsc_replay *r = fake_replay(&c);

	ck_assert_int_eq(tsc_replay_wait(r, 0), 0);
	tsc_replay_schedule(r, 10 * S);
	c.now += 2 * S;
	ck_assert_int_eq(tsc_replay_set_speed(r, 4.0), 0);
	ck_assert_uint_eq(tsc_replay_timeout(r), 2 * S);
	tsc_replay_set_max_delay(r, 500 * MS);
	ck_assert_uint_eq(tsc_replay_timeout(r), 500 * MS);
	tsc_replay_set_max_delay(r, 0);
	ck_assert_uint_eq(tsc_replay_timeout(r), 500 * MS);
	tsc_replay_free(r);
}
END_TEST

/* An interrupted sleep leaves the event pending. */
START_TEST(test_eintr)
{
	struct fake_clock c = { 0 };
	struct tsc_replay *r = fake_replay(&c);

	ck_assert_int_eq(tsc_replay_wait(r, 0), 0);
	c.eintr = true;
	ck_assert_int_eq(tsc_replay_wait(r, 2 * S), -EINTR);
	ck_assert_uint_eq(tsc_replay_timeout(r), 1 * S);
	ck_assert_int_eq(tsc_replay_sleep(r), 0);
	tsc_replay_fire(r);
	ck_assert_uint_eq(tsc_replay_position(r), 2 * S);
	ck_assert_uint_eq(tsc_replay_timeout(r), TSC_REPLAY_NEVER);
	ck_assert_int_eq(tsc_replay_sleep(r), -EBUSY);
	tsc_replay_free(r);
}
END_TEST

/*
 * A clock for the busy-wait: every now() takes @tick ns (so polling it
 * advances time, as on a real CPU) and every sleep wakes up @over ns late,
 * plus up to @jitter; @busy counts the ns spent in now() since the last
 * sleep, @worst_busy the most of them before one event.
 */
struct spin_clock {
	uint64_t now, tick, over, jitter, rnd;
	uint64_t busy, worst_busy;
	int sleeps;
};

static uint64_t spin_now(void *ctx)
{
	struct spin_clock *c = ctx;

	c->now += c->tick;
	c->busy += c->tick;
	if (c->busy > c->worst_busy)
		c->worst_busy = c->busy;
	return c->now;
}

static int spin_sleep(void *ctx, uint64_t ns)
{
	struct spin_clock *c = ctx;

	c->now += ns + c->over;
	if (c->jitter)
		c->now += tsc_test_rand(&c->rnd) % (c->jitter + 1);
	c->busy = 0;
	c->sleeps++;
	return 0;
}

/*
 * Play @n events 1..50 ms apart; returns the mean lateness in ns of the
 * events after the first @warm, and their worst in *@ret_worst.
 */
static uint64_t spin_play(struct tsc_replay *r, struct spin_clock *c, int n,
			  int warm, uint64_t *ret_worst)
{
	uint64_t rnd = 7, ts = 1700000000 * (uint64_t)S, start = 0, ideal = 0;
	uint64_t sum = 0, worst = 0;

	tsc_replay_seek(r, ts); /* no debt from an earlier run */
	for (int i = 0; i < n; i++) {
		uint64_t gap = i ? 1 * MS + tsc_test_rand(&rnd) % (49 * MS) : 0;
		uint64_t late;

		ts += gap;
		ideal += gap;
		ck_assert_int_eq(tsc_replay_wait(r, ts), 0);
		if (i == 0)
			start = c->now;
		/* never early (start itself is a few reads late) */
		ck_assert_uint_ge(c->now + 2 * c->tick, start + ideal);
		late = c->now > start + ideal ? c->now - (start + ideal) : 0;
		if (i >= warm) {
			sum += late;
			if (late > worst)
				worst = late;
		}
	}
	*ret_worst = worst;
	return sum / (uint64_t)(n - warm);
}

/*
 * Sleeps wake up 80..90 us late. Without a busy-wait every event is that
 * late; with one of 200 us the scheduler learns the latency, wakes up
 * that much early and polls: events come within a few polls of their
 * time, at most 200 us of polling each.
 */
START_TEST(test_spin)
{
	struct spin_clock c = {
		.tick = 1000, .over = 80000, .jitter = 10000, .rnd = 3
	};
	struct tsc_replay_clock clock = { spin_now, spin_sleep, &c };
	struct tsc_replay *r;
	uint64_t mean, worst;

	c.now = 1000 * S;
	ck_assert_int_eq(tsc_replay_new(&clock, &r), 0);
	/* an injected clock does not busy-wait unless asked */
	ck_assert_uint_eq(tsc_replay_lead(r), 0);
	mean = spin_play(r, &c, 200, 0, &worst);
	ck_assert_uint_ge(mean, 80000);
	ck_assert_uint_eq(tsc_replay_lead(r), 0);
	tsc_replay_free(r);

	c.now = 1000 * S;
	ck_assert_int_eq(tsc_replay_new(&clock, &r), 0);
	tsc_replay_set_spin(r, 200000);
	c.worst_busy = 0;
	c.sleeps = 0;
	mean = spin_play(r, &c, 2000, 50, &worst);
	ck_assert_msg(mean <= 3000, "mean lateness %llu ns",
		      (unsigned long long)mean);
	ck_assert_msg(worst <= 15000, "worst lateness %llu ns",
		      (unsigned long long)worst);
	ck_assert_uint_ge(tsc_replay_lead(r), 80000);
	ck_assert_uint_le(tsc_replay_lead(r), 100000);
	/* one sleep per event: no sleeps are split */
	ck_assert_int_le(c.sleeps, 2000 + 50);
	ck_assert_uint_le(c.worst_busy, 200000 + 5 * c.tick);
	ck_assert_uint_le(tsc_replay_debt(r), 15000);
	tsc_replay_free(r);
}
END_TEST

/*
 * On a machine whose sleeps wake up 5 ms late the busy-wait stays within
 * its bound (the lead is capped) and playback still does not drift; a
 * sleep preempted for a second does not spoil the estimate for long.
 */
START_TEST(test_spin_bound)
{
	struct spin_clock c = { .tick = 1000, .over = 5 * MS };
	struct tsc_replay_clock clock = { spin_now, spin_sleep, &c };
	struct tsc_replay *r;
	uint64_t mean, worst;

	c.now = 1000 * S;
	ck_assert_int_eq(tsc_replay_new(&clock, &r), 0);
	tsc_replay_set_spin(r, 200000);
	mean = spin_play(r, &c, 500, 20, &worst);
	ck_assert_uint_eq(tsc_replay_lead(r), 200000);
	ck_assert_uint_le(c.worst_busy, 200000 + 5 * c.tick);
	ck_assert_uint_le(worst, 5 * MS);
	ck_assert_uint_ge(mean, 4 * MS);

	/* back to 80 us; one sleep then takes a second more */
	c.over = 80000;
	spin_play(r, &c, 100, 0, &worst);
	ck_assert_uint_le(tsc_replay_lead(r), 90000);
	c.over = 1 * S;
	tsc_replay_schedule(r, tsc_replay_position(r) + 10 * MS);
	ck_assert_int_eq(tsc_replay_sleep(r), 0);
	tsc_replay_fire(r);
	ck_assert_uint_eq(tsc_replay_lead(r), 200000);
	c.over = 80000;
	mean = spin_play(r, &c, 20, 10, &worst);
	ck_assert_uint_le(tsc_replay_lead(r), 100000);
	ck_assert_uint_le(mean, 3000);
	tsc_replay_free(r);
}
END_TEST

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * S + (uint64_t)ts.tv_nsec;
}

/* The real clock: 21 events 5 ms apart take 100 ms, not more. */
START_TEST(test_real_clock)
{
	struct tsc_replay *r;
	uint64_t t0, elapsed;

	ck_assert_int_eq(tsc_replay_new(NULL, &r), 0);
	t0 = mono_ns();
	for (uint64_t i = 0; i <= 20; i++)
		ck_assert_int_eq(
			tsc_replay_wait(r, 1700000000 * S + i * 5 * MS), 0);
	elapsed = mono_ns() - t0;
	ck_assert_uint_ge(elapsed, 100 * MS);
	ck_assert_uint_lt(elapsed, 100 * MS + 50 * MS);
	tsc_replay_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("replay");
	TCase *tc = tcase_create("replay");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_delay, 0, ARRAY_SIZE(delay_cases));
	tcase_add_test(tc, test_speed_invalid);
	tcase_add_loop_test(tc, test_drift, 0, ARRAY_SIZE(drift_cases));
	tcase_add_test(tc, test_debt);
	tcase_add_test(tc, test_pause);
	tcase_add_test(tc, test_step);
	tcase_add_test(tc, test_seek);
	tcase_add_test(tc, test_rescale);
	tcase_add_test(tc, test_eintr);
	tcase_add_test(tc, test_spin);
	tcase_add_test(tc, test_spin_bound);
	tcase_add_test(tc, test_real_clock);
	suite_add_tcase(s, tc);
	return tsc_test_main(s);
}
