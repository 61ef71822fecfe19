// SPDX-License-Identifier: GPL-2.0-only
/*
 * Replay scheduler. See tsc-replay.h for the model.
 *
 * Virtual time stands still while paused: every computation uses
 * tsc_vnow(), which is the pause instant during a pause, and resuming
 * shifts the deadlines by the length of the pause.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "tsc-replay.h"

/*
 * @anchor_ts: recording time of the event scheduled last (@have_anchor)
 * @pending: an event is scheduled and not fired; it is due at @deadline
 * @ref: when the event fired last was due (@have_ref): lateness is
 *	measured from here
 * @debt: how far playback is behind the recording's schedule
 * @step: fire the pending (or next) event at once
 * @position: recording time of the event fired last
 * @spin: longest busy-wait before an event (0: sleep only)
 * @over_avg: running mean of how late sleeps woke up (EWMA, 1/8)
 * @over_dev: running mean deviation of that lateness (EWMA, 1/4)
 */
struct tsc_replay {
	struct tsc_replay_clock clock;
	double speed;
	uint64_t max_delay;
	bool have_anchor;
	uint64_t anchor_ts;
	bool pending;
	uint64_t deadline;
	bool have_ref;
	uint64_t ref;
	uint64_t debt;
	bool paused;
	uint64_t paused_at;
	bool step;
	uint64_t position;
	uint64_t spin;
	uint64_t over_avg;
	uint64_t over_dev;
};

static uint64_t tsc_mono_now(void *ctx)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int tsc_mono_sleep(void *ctx, uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / 1000000000u),
		.tv_nsec = (long)(ns % 1000000000u),
	};
	int r = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);

	return r ? -r : 0;
}

/**
 * tsc_replay_new() - create a scheduler
 * @clock: the time source, or NULL for CLOCK_MONOTONIC and
 *	clock_nanosleep() (copied)
 * @ret_replay: the scheduler: speed 1, no maximum delay, not paused; a
 *	busy-wait of at most %TSC_REPLAY_SPIN_DEFAULT on the real clock,
 *	none on an injected one (tsc_replay_set_spin())
 *
 * Return: 0 or -ENOMEM.
 */
int tsc_replay_new(const struct tsc_replay_clock *clock,
		   struct tsc_replay **ret_replay)
{
	struct tsc_replay *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	if (clock) {
		r->clock = *clock;
	} else {
		r->clock.now = tsc_mono_now;
		r->clock.sleep = tsc_mono_sleep;
		r->spin = TSC_REPLAY_SPIN_DEFAULT;
	}
	r->speed = 1.0;
	*ret_replay = r;
	return 0;
}

void tsc_replay_free(struct tsc_replay *replay)
{
	free(replay);
}

static uint64_t tsc_vnow(const struct tsc_replay *r)
{
	return r->paused ? r->paused_at : r->clock.now(r->clock.ctx);
}

/**
 * tsc_replay_delay() - the playback delay between two recording times
 * @replay: the scheduler
 * @from_ts: recording time of the earlier event
 * @to_ts: recording time of the later event
 *
 * The difference (0 if @to_ts is earlier: the clock was stepped back),
 * divided by the speed, then capped at the maximum delay.
 *
 * Return: nanoseconds.
 */
uint64_t tsc_replay_delay(const struct tsc_replay *replay, uint64_t from_ts,
			  uint64_t to_ts)
{
	double scaled;
	uint64_t d;

	if (to_ts <= from_ts)
		return 0;
	scaled = (double)(to_ts - from_ts) / replay->speed;
	d = scaled >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)scaled;
	if (replay->max_delay && d > replay->max_delay)
		d = replay->max_delay;
	return d;
}

/*
 * Rescale what is left of the pending event's wait after a change of
 * speed or maximum delay, as if it had been scheduled with the new ones.
 */
static void tsc_replay_rescale(struct tsc_replay *r, double old_speed)
{
	uint64_t now, left;
	double scaled;

	if (!r->pending || r->step)
		return;
	now = tsc_vnow(r);
	if (r->deadline <= now)
		return;
	scaled = (double)(r->deadline - now) * old_speed / r->speed;
	left = scaled >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)scaled;
	if (r->max_delay && left > r->max_delay)
		left = r->max_delay;
	r->deadline = left > UINT64_MAX - now ? UINT64_MAX : now + left;
}

/**
 * tsc_replay_set_speed() - set the speed factor
 * @replay: the scheduler
 * @speed: 2 plays twice as fast, 0.5 half as fast
 *
 * The pending event's remaining wait is rescaled.
 *
 * Return: 0, or -EINVAL unless 1/1000000 <= @speed <= 1000000.
 */
int tsc_replay_set_speed(struct tsc_replay *replay, double speed)
{
	double old = replay->speed;

	if (!isfinite(speed) || speed < 1e-6 || speed > 1e6)
		return -EINVAL;
	replay->speed = speed;
	tsc_replay_rescale(replay, old);
	return 0;
}

double tsc_replay_speed(const struct tsc_replay *replay)
{
	return replay->speed;
}

/*
 * Set the longest delay between two events, applied after the speed
 * factor; 0: no limit. The pending event's remaining wait is capped too.
 */
void tsc_replay_set_max_delay(struct tsc_replay *replay, uint64_t ns)
{
	replay->max_delay = ns;
	tsc_replay_rescale(replay, replay->speed);
}

/**
 * tsc_replay_schedule() - make an event the pending one
 * @replay: the scheduler
 * @ts_ns: the event's recording time
 *
 * Its delay runs from the previous event's recording time; the debt
 * accumulated so far (how late the previous event came, and the time since
 * it was due) is paid off first. The first event, and one after
 * tsc_replay_step(), are due at once.
 */
void tsc_replay_schedule(struct tsc_replay *replay, uint64_t ts_ns)
{
	struct tsc_replay *r = replay;
	uint64_t now = tsc_vnow(r), delay = 0, wait;

	if (r->have_anchor)
		delay = tsc_replay_delay(r, r->anchor_ts, ts_ns);
	r->have_anchor = true;
	r->anchor_ts = ts_ns;
	if (r->have_ref && now > r->ref)
		r->debt += now - r->ref;
	if (r->debt >= delay) {
		r->debt -= delay;
		wait = 0;
	} else {
		wait = delay - r->debt;
		r->debt = 0;
	}
	r->deadline = wait > UINT64_MAX - now ? UINT64_MAX : now + wait;
	r->pending = true;
}

/**
 * tsc_replay_timeout() - how long until the pending event is due
 * @replay: the scheduler
 *
 * Return: nanoseconds, 0 if due (or stepped to), %TSC_REPLAY_NEVER if
 * paused or if no event is pending.
 */
uint64_t tsc_replay_timeout(const struct tsc_replay *replay)
{
	uint64_t now;

	if (!replay->pending)
		return TSC_REPLAY_NEVER;
	if (replay->step)
		return 0;
	if (replay->paused)
		return TSC_REPLAY_NEVER;
	now = replay->clock.now(replay->clock.ctx);
	return replay->deadline > now ? replay->deadline - now : 0;
}

/**
 * tsc_replay_fire() - the caller showed the pending event
 * @replay: the scheduler
 *
 * Lateness is measured from the event's due time at the next
 * tsc_replay_schedule(). An event fired early (after tsc_replay_step())
 * starts a new schedule with no debt.
 */
void tsc_replay_fire(struct tsc_replay *replay)
{
	struct tsc_replay *r = replay;
	uint64_t now;

	if (!r->pending)
		return;
	now = tsc_vnow(r);
	if (r->step || now < r->deadline) {
		r->ref = now;
		r->debt = 0;
	} else {
		r->ref = r->deadline;
	}
	r->have_ref = true;
	r->step = false;
	r->pending = false;
	r->position = r->anchor_ts;
}

/*
 * Tell the CPU that this is a busy-wait loop. Not sched_yield(): with
 * another task runnable, that gives the CPU away for a whole time slice
 * (milliseconds), far later than the event is due.
 */
static inline void tsc_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/**
 * tsc_replay_set_spin() - bound the busy-wait before each event
 * @replay: the scheduler
 * @ns: the longest busy-wait; 0 sleeps the whole wait
 *
 * A sleep wakes up late by the kernel's wake-up latency (the timer slack,
 * 50 us by default, plus scheduling). tsc_replay_sleep() therefore sleeps
 * until the estimated latency before the due time (tsc_replay_lead(), at
 * most @ns), then polls the clock until the event is due: at most @ns of
 * busy-waiting per event, however long the wait, so a player stays idle
 * between events.
 */
void tsc_replay_set_spin(struct tsc_replay *replay, uint64_t ns)
{
	replay->spin = ns;
}

/*
 * How early tsc_replay_sleep() wakes up before an event is due: the
 * running mean of the sleeps' lateness plus its mean deviation, at most
 * the busy-wait bound (so 0 without one).
 */
uint64_t tsc_replay_lead(const struct tsc_replay *replay)
{
	uint64_t lead = replay->over_avg + replay->over_dev;

	return lead < replay->spin ? lead : replay->spin;
}

/* Learn from a sleep of @asked ns that took @took ns. */
static void tsc_replay_learn(struct tsc_replay *r, uint64_t asked,
			     uint64_t took)
{
	uint64_t over = took > asked ? took - asked : 0, dev;

	/*
	 * A sleep preempted for ages says little about the next one; the
	 * lead is capped at the busy-wait bound anyway.
	 */
	if (over > 2 * r->spin)
		over = 2 * r->spin;
	dev = over > r->over_avg ? over - r->over_avg : r->over_avg - over;
	r->over_dev = r->over_dev - r->over_dev / 4 + dev / 4;
	r->over_avg = r->over_avg - r->over_avg / 8 + over / 8;
}

/**
 * tsc_replay_sleep() - sleep until the pending event is due
 * @replay: the scheduler
 *
 * Sleeps until tsc_replay_lead() before the due time, then busy-waits
 * (see tsc_replay_set_spin()). The lateness of each sleep is measured
 * and refines the estimate.
 *
 * Return: 0 when due; -EBUSY if paused or nothing is pending (it would
 * never be due); -EINTR if a sleep was interrupted (the event stays
 * pending: handle the interruption and call again).
 */
int tsc_replay_sleep(struct tsc_replay *replay)
{
	struct tsc_replay *rp = replay;

	for (;;) {
		uint64_t t = tsc_replay_timeout(rp), lead, before;
		int r;

		if (t == 0)
			return 0;
		if (t == TSC_REPLAY_NEVER)
			return -EBUSY;
		lead = tsc_replay_lead(rp);
		if (rp->spin && t <= lead) {
			/* at most lead <= spin ns: poll until due */
			while (tsc_replay_timeout(rp) > 0)
				tsc_cpu_relax();
			return 0;
		}
		before = rp->clock.now(rp->clock.ctx);
		r = rp->clock.sleep(rp->clock.ctx, t - lead);
		if (r < 0)
			return r;
		if (rp->spin)
			tsc_replay_learn(rp, t - lead,
					 rp->clock.now(rp->clock.ctx) - before);
	}
}

/**
 * tsc_replay_wait() - schedule an event, sleep until it is due, fire it
 * @replay: the scheduler
 * @ts_ns: the event's recording time
 *
 * Return: 0 when the caller should show the event now; otherwise as
 * tsc_replay_sleep(), with the event still pending.
 */
int tsc_replay_wait(struct tsc_replay *replay, uint64_t ts_ns)
{
	int r;

	tsc_replay_schedule(replay, ts_ns);
	r = tsc_replay_sleep(replay);
	if (r == 0)
		tsc_replay_fire(replay);
	return r;
}

/* Stop the playback clock; a pending event keeps the rest of its wait. */
void tsc_replay_pause(struct tsc_replay *replay)
{
	if (replay->paused)
		return;
	replay->paused_at = replay->clock.now(replay->clock.ctx);
	replay->paused = true;
}

/* Restart the playback clock; the pause does not count as lateness. */
void tsc_replay_resume(struct tsc_replay *replay)
{
	uint64_t d;

	if (!replay->paused)
		return;
	d = replay->clock.now(replay->clock.ctx) - replay->paused_at;
	if (replay->pending)
		replay->deadline = replay->deadline > UINT64_MAX - d ?
					   UINT64_MAX :
					   replay->deadline + d;
	if (replay->have_ref)
		replay->ref += d;
	replay->paused = false;
}

bool tsc_replay_paused(const struct tsc_replay *replay)
{
	return replay->paused;
}

/*
 * Make the pending event due at once, or the next one if none is pending,
 * paused or not; the schedule then restarts from that event.
 */
void tsc_replay_step(struct tsc_replay *replay)
{
	replay->step = true;
}

/**
 * tsc_replay_seek() - continue playback from another recording time
 * @replay: the scheduler
 * @ts_ns: where the caller repositioned its source (e.g. after
 *	tsc_log_reader_seek_time())
 *
 * Drops the pending event and the debt; the next event's delay runs from
 * @ts_ns, starting now.
 */
void tsc_replay_seek(struct tsc_replay *replay, uint64_t ts_ns)
{
	replay->have_anchor = true;
	replay->anchor_ts = ts_ns;
	replay->pending = false;
	replay->step = false;
	replay->debt = 0;
	replay->ref = tsc_vnow(replay);
	replay->have_ref = true;
	replay->position = ts_ns;
}

/* Recording time of the event fired last (or of the last seek). */
uint64_t tsc_replay_position(const struct tsc_replay *replay)
{
	return replay->position;
}

/* Nanoseconds playback is behind schedule and will catch up. */
uint64_t tsc_replay_debt(const struct tsc_replay *replay)
{
	return replay->debt;
}
