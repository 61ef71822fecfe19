// SPDX-License-Identifier: GPL-2.0
/*
 * t-stress: everything at once, then RELEASE and unload. Runs LAST: it
 * unloads the module.
 *
 * For TTYSCOPE_STRESS_SECS seconds (default 60; or argv[1]), 32 worker
 * processes each open pty pairs one after another and flood both
 * directions:
 *   group A (16): raw, no echo; the worker DETACHes and re-ATTACHes its
 *     own tty every ~100 ms (through a fresh /dev/rpl open each time, via
 *     the slave or the master fd). The bytes must arrive exactly.
 *   group B (8): the controller thread toggles pass, INJECTs random bytes,
 *     and DETACHes/ATTACHes them (through /dev/pts/N opened on its own).
 *   group C (8): session leaders with the pty as controlling tty; the
 *     controller HANGs them UP at random.
 * Meanwhile two readers read continuously and check every record (valid
 * header, per-tty seq strictly increasing, gaps only after LOSS, nothing
 * between CLOSE and the next OPEN), and a churn thread opens readers, sets
 * their buffer size, reads a little and closes them. The controller's
 * calls may fail only with the errnos documented for races (ENODEV, EIO,
 * EEXIST, ENOTTY).
 *
 * Then, with pty Q open (captured) since the start:
 *   - delete_module(O_NONBLOCK) before RELEASE fails (EBUSY or EAGAIN);
 *   - RELEASE returns 0, VERSION.released == 1, the reader gets CLOSE with
 *     TTYSCOPE_RF_ATTACHED for Q; a second RELEASE gives EALREADY; ATTACH
 *     gives ESHUTDOWN; a new pty is not captured; STATS still works;
 *   - delete_module still fails while /dev/rpl is open;
 *   - all /dev/rpl fds closed: delete_module succeeds (retried for 10 s
 *     while EBUSY/EAGAIN); /dev/rpl is gone;
 *   - Q, captured until RELEASE, still works both ways, and so does a new
 *     pty.
 */
#include "lib.h"

#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NW 32
#define GROUP_A_END 16
#define GROUP_B_END 24

struct slot {
	_Atomic uint32_t major, minor;
	_Atomic int active;
	char path[64];
	_Atomic uint64_t cycles, bytes, churns;
};

static struct slot *slots; /* shared with the workers */
static uint64_t deadline_ns;
static uint64_t seed;
static int rpl_fds[8], n_rpl_fds;
static struct pty q;

static bool group_a(int w)
{
	return w < GROUP_A_END;
}

static bool group_b(int w)
{
	return w >= GROUP_A_END && w < GROUP_B_END;
}

/* ---- workers (child processes) ------------------------------------------- */

struct churn_ctx {
	struct flow *f;
	int w;
	struct rng rng;
};

static void self_churn(void *arg)
{
	struct churn_ctx *c = arg;
	struct flow *f = c->f;
	uint32_t maj, min;
	int fd, via;

	if (f->done || f->pty.master < 0)
		return;
	fd = open(RPL_PATH, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	CHECK(fd >= 0, "worker %d: open %s: %s", c->w, RPL_PATH,
	      strerror(errno));
	if (tsc_tty_op(fd, TTYSCOPE_IOC_DETACH, f->pty.major, f->pty.minor))
		FAIL("worker %d: DETACH of its own %s: %s", c->w, f->pty.name,
		     errname(errno));
	via = (!f->slave_closed && rng_below(&c->rng, 2)) ? f->pty.slave :
							    f->pty.master;
	if (tsc_attach(fd, via, &maj, &min))
		FAIL("worker %d: ATTACH of its own %s (%s fd): %s", c->w,
		     f->pty.name, via == f->pty.master ? "master" : "slave",
		     errname(errno));
	CHECK(maj == f->pty.major && min == f->pty.minor,
	      "worker %d: ATTACH returned %u:%u for %s", c->w, maj, min,
	      f->pty.name);
	close(fd);
	atomic_fetch_add(&slots[c->w].churns, 1);
}

static void worker(int w)
{
	struct rng rng = { seed + 1000003ull * (w + 1) };
	struct slot *s = &slots[w];
	int sess_fd = -1;

	for (int i = 0; i < n_rpl_fds; i++)
		close(rpl_fds[i]);
	pty_close(&q);
	if (!group_a(w) && !group_b(w)) {
		CHECK(setsid() > 0, "setsid: %s", strerror(errno));
		signal(SIGHUP, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		signal(SIGTSTP, SIG_IGN);
		signal(SIGTTIN, SIG_IGN);
		signal(SIGTTOU, SIG_IGN);
	}
	while (mono_ns() < deadline_ns) {
		struct flow *f = calloc(1, sizeof(*f));
		size_t max = group_a(w) ? 256 * 1024 : 64 * 1024;
		uint8_t *in, *out;
		struct churn_ctx cc = { f, w, { rng_next(&rng) } };
		int r;

		CHECK(f, "out of memory");
		f->in_len = rng_below(&rng, max);
		f->out_len = rng_below(&rng, max);
		in = malloc(f->in_len + 1);
		out = malloc(f->out_len + 1);
		CHECK(in && out, "out of memory");
		rng_bytes(&rng, in, f->in_len);
		rng_bytes(&rng, out, f->out_len);
		f->in = in;
		f->out = out;
		f->rng.s = rng_next(&rng);
		f->mode = TTY_RAW;
		f->echo = !group_a(w) && rng_below(&rng, 2);
		f->lenient = !group_a(w);
		r = pty_try_open(&f->pty);
		if (r < 0)
			FAIL("worker %d: opening a pty: %s", w, strerror(-r));
		if (!group_a(w) && !group_b(w)) {
			/* make it the controlling tty (session leader) */
			sess_fd = open(f->pty.path, O_RDWR | O_CLOEXEC);
			CHECK(sess_fd >= 0, "worker %d: open %s: %s", w,
			      f->pty.path, strerror(errno));
			close(f->pty.slave);
			f->pty.slave = sess_fd;
		}
		tty_setup(f->pty.slave, f->mode, f->echo);
		snprintf(s->path, sizeof(s->path), "%s", f->pty.path);
		atomic_store(&s->major, f->pty.major);
		atomic_store(&s->minor, f->pty.minor);
		atomic_store(&s->active, 1);

		flow_run(&f, 1, group_a(w) ? self_churn : NULL, &cc,
			 50 + (int)rng_below(&rng, 100),
			 group_a(w) ? 60000 : 2000);
		atomic_store(&s->active, 0);

		if (group_a(w)) {
			struct buf exp = { 0 };
			char what[96];

			snprintf(what, sizeof(what),
				 "worker %d %s: slave read vs written", w,
				 f->pty.name);
			CHECK_BYTES(what, f->srd.p, f->srd.len, in, f->in_len);
			flow_expected_master(f, &exp);
			snprintf(what, sizeof(what),
				 "worker %d %s: master read vs written", w,
				 f->pty.name);
			CHECK_BYTES(what, f->mrd.p, f->mrd.len, exp.p, exp.len);
			buf_free(&exp);
		}
		atomic_fetch_add(&s->cycles, 1);
		atomic_fetch_add(&s->bytes, f->in_pos + f->out_pos);
		free(in);
		free(out);
		flow_free(f);
	}
	_exit(0);
}

/* ---- continuous readers ------------------------------------------------ */

#define TTYMAP 8192

struct ttystate {
	uint32_t major, minor; /* major 0: empty slot */
	bool open;
	uint32_t last_flags;
	int last_type;
	uint64_t next;
	unsigned int captures; /* OPENs seen */
	uint64_t prev_close_seq; /* of the last CLOSE seen */
	uint32_t prev_close_flags;
};

static void tty_history(const struct ttystate *t)
{
	printf("[%s]   %u:%u: %u captures seen; the previous one ended with "
	       "CLOSE seq %" PRIu64 " flags 0x%x\n",
	       t_name, t->major, t->minor, t->captures, t->prev_close_seq,
	       t->prev_close_flags);
}

struct vreader {
	struct rstream *rs;
	pthread_t thr;
	struct ttystate map[TTYMAP];
	uint64_t records, lost, gaps, adopted, restarts, opens_after_release;
	_Atomic bool stop;
	_Atomic bool after_release;
	_Atomic uint32_t watch_major, watch_minor;
	_Atomic uint64_t watch_seen;
	pthread_mutex_t mu;
};

static struct ttystate *lookup(struct vreader *v, uint32_t major,
			       uint32_t minor)
{
	uint32_t h = (major * 2654435761u) ^ (minor * 40503u);

	for (uint32_t i = 0; i < TTYMAP; i++) {
		struct ttystate *t = &v->map[(h + i) % TTYMAP];

		if (t->major == major && t->minor == minor)
			return t;
		if (!t->major) {
			t->major = major;
			t->minor = minor;
			return t;
		}
	}
	FAIL("reader: tty map full");
}

static void vcheck(void *ctx, const struct trec *r, const uint8_t *raw,
		   size_t reclen)
{
	struct vreader *v = ctx;
	struct ttystate *t;

	(void)raw;
	(void)reclen;
	v->records++;
	if (r->type == TTYSCOPE_REC_LOSS) {
		struct ttyscope_rec_loss l;

		memcpy(&l, r->p, sizeof(l));
		v->lost += l.records;
		return;
	}
	if (r->major == atomic_load(&v->watch_major) &&
	    r->minor == atomic_load(&v->watch_minor))
		atomic_fetch_add(&v->watch_seen, 1);
	if (r->type == TTYSCOPE_REC_OPEN && atomic_load(&v->after_release))
		v->opens_after_release++;
	t = lookup(v, r->major, r->minor);
	t->last_type = r->type;
	t->last_flags = r->flags;
	if (r->type == TTYSCOPE_REC_OPEN) {
		if (t->open && !v->lost)
			FAIL("reader %s: OPEN of %u:%u while its capture is open "
			     "(no CLOSE) and nothing was lost",
			     v->rs->name, r->major, r->minor);
		if (r->seq != 0)
			FAIL("reader %s: OPEN of %u:%u with seq %" PRIu64,
			     v->rs->name, r->major, r->minor, r->seq);
		t->open = true;
		t->next = 1;
		t->captures++;
		return;
	}
	if (!t->open) {
		if (!t->next && !v->lost) {
			/* a tty captured before this reader opened */
			v->adopted++;
		} else if (!v->lost) {
			rec_print("[rec] ", r);
			tty_history(t);
			FAIL("reader %s: %s record for %u:%u after its CLOSE, "
			     "without a new OPEN",
			     v->rs->name, rec_type_name(r->type), r->major,
			     r->minor);
		}
		t->open = true;
		t->next = r->seq;
	}
	if (r->seq < t->next && v->lost) {
		/* the CLOSE and the next OPEN may both have been lost */
		v->restarts++;
		t->next = r->seq;
		t->captures++;
	}
	if (r->seq < t->next) {
		rec_print("[rec] ", r);
		tty_history(t);
		FAIL("reader %s: %u:%u seq %" PRIu64 " after %" PRIu64
		     " (duplicate or reordered; nothing lost)",
		     v->rs->name, r->major, r->minor, r->seq, t->next - 1);
	}
	if (r->seq > t->next) {
		v->gaps += r->seq - t->next;
		if (v->gaps > v->lost) {
			rec_print("[rec] ", r);
			tty_history(t);
		}
		if (v->gaps > v->lost && t->captures > 1 &&
		    r->seq == t->prev_close_seq + 1)
			FAIL("reader %s: %s record seq %" PRIu64
			     " of %u:%u continues the PREVIOUS capture, which "
			     "had ended with CLOSE seq %" PRIu64
			     " (flags 0x%x): a record after CLOSE",
			     v->rs->name, rec_type_name(r->type), r->seq,
			     r->major, r->minor, t->prev_close_seq,
			     t->prev_close_flags);
		if (v->gaps > v->lost)
			FAIL("reader %s: %u:%u jumps from seq %" PRIu64
			     " to %" PRIu64
			     ", but LOSS records account for only %" PRIu64
			     " of %" PRIu64 " missing records",
			     v->rs->name, r->major, r->minor, t->next - 1,
			     r->seq, v->lost, v->gaps);
	}
	t->next = r->seq + 1;
	if (r->type == TTYSCOPE_REC_CLOSE) {
		t->open = false;
		t->prev_close_seq = r->seq;
		t->prev_close_flags = r->flags;
	}
}

static void *vreader_main(void *arg)
{
	struct vreader *v = arg;
	struct pollfd pfd = { .fd = v->rs->fd, .events = POLLIN };

	for (;;) {
		ssize_t n;
		bool stop = atomic_load(&v->stop);

		if (!stop && poll(&pfd, 1, 50) <= 0)
			continue;
		n = read(v->rs->fd, v->rs->rdbuf, v->rs->rdbuf_size);
		if (n < 0 && errno == EAGAIN) {
			if (stop)
				break;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			FAIL("reader %s: read: %s", v->rs->name,
			     n < 0 ? strerror(errno) : "EOF");
		pthread_mutex_lock(&v->mu);
		rec_parse_chunk(v->rs->name, v->rs->rdbuf, n, vcheck, v);
		pthread_mutex_unlock(&v->mu);
		memset(v->rs->rdbuf, 0xee, n); /* see rs_read_once() */
	}
	return NULL;
}

static struct vreader *vreader_start(const char *name)
{
	struct vreader *v = calloc(1, sizeof(*v));

	CHECK(v, "out of memory");
	v->rs = rs_open(name, 16u << 20);
	pthread_mutex_init(&v->mu, NULL);
	rpl_fds[n_rpl_fds++] = v->rs->fd;
	return v;
}

/* the state of @major:@minor as @v last saw it */
static void vreader_tty(struct vreader *v, uint32_t major, uint32_t minor,
			int *type, uint32_t *flags)
{
	struct ttystate *t;

	pthread_mutex_lock(&v->mu);
	t = lookup(v, major, minor);
	*type = t->last_type;
	*flags = t->last_flags;
	pthread_mutex_unlock(&v->mu);
}

/* ---- controller and churn threads ------------------------------------- */

struct stats {
	uint64_t pass, inject, inject_bytes, detach, attach, hangup, list,
		churn_opens, churn_records;
	uint64_t race_errs;
};

static struct stats cst;
static _Atomic bool threads_stop;
static int ctl;

static void race_ok(long r, const char *what, const int *allowed)
{
	if (r >= 0)
		return;
	for (; *allowed; allowed++)
		if (errno == *allowed) {
			cst.race_errs++;
			return;
		}
	FAIL("controller: %s failed with %s (not a documented race errno)",
	     what, errname(errno));
}

static void *controller(void *arg)
{
	static const int nodev_eio[] = { ENODEV, EIO, 0 };
	/* EAGAIN: nothing accepted, the input buffer is full (the module's
	 * behaviour; docs/IOCTL.md does not list it) */
	static const int inject_errs[] = { ENODEV, EIO, EAGAIN, 0 };
	static const int attach_errs[] = { EEXIST, ENOTTY, EIO, 0 };
	struct rng rng = { seed ^ 0xc0ffee };
	uint8_t data[TTYSCOPE_INJECT_MAX];
	uint64_t next_list = 0;

	(void)arg;
	while (!atomic_load(&threads_stop)) {
		int w = GROUP_A_END + rng_below(&rng, NW - GROUP_A_END);
		struct slot *s = &slots[w];
		uint32_t maj = atomic_load(&s->major),
			 min = atomic_load(&s->minor);
		char path[64];

		memcpy(path, s->path, sizeof(path));
		path[sizeof(path) - 1] = 0;
		if (mono_ns() > next_list) {
			uint32_t n;

			free(tsc_list_all(ctl, &n));
			cst.list++;
			next_list = mono_ns() + 200000000u;
		}
		if (!atomic_load(&s->active) || !maj) {
			sleep_ms(2);
			continue;
		}
		if (group_b(w)) {
			switch (rng_below(&rng, 3)) {
			case 0:
				race_ok(tsc_set_pass(ctl, maj, min,
						     rng_below(&rng, 2), 77),
					"SET_PASS", nodev_eio);
				cst.pass++;
				break;
			case 1: {
				uint32_t len =
					1 + rng_below(&rng, sizeof(data));
				long r;

				rng_bytes(&rng, data, len);
				r = tsc_inject(ctl, maj, min, data, len, 78);
				race_ok(r, "INJECT", inject_errs);
				CHECK(r < 0 || r <= (long)len,
				      "INJECT of %u bytes returned %ld", len,
				      r);
				if (r > 0)
					cst.inject_bytes += r;
				cst.inject++;
				break;
			}
			default: {
				int fd;

				race_ok(tsc_tty_op(ctl, TTYSCOPE_IOC_DETACH,
						   maj, min),
					"DETACH", nodev_eio);
				cst.detach++;
				fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK |
							O_CLOEXEC);
				if (fd >= 0) {
					race_ok(tsc_attach(ctl, fd, NULL, NULL),
						"ATTACH", attach_errs);
					close(fd);
					cst.attach++;
				}
				break;
			}
			}
		} else {
			race_ok(tsc_tty_op(ctl, TTYSCOPE_IOC_HANGUP, maj, min),
				"HANGUP", nodev_eio);
			cst.hangup++;
			sleep_ms(50 + rng_below(&rng, 200));
		}
		sleep_ms(rng_below(&rng, 10));
	}
	return NULL;
}

static void count_rec(void *ctx, const struct trec *r, const uint8_t *raw,
		      size_t reclen)
{
	(void)r;
	(void)raw;
	(void)reclen;
	(*(uint64_t *)ctx)++;
}

static void *churn(void *arg)
{
	static const uint32_t sizes[] = { 0, TTYSCOPE_BUF_MIN, 65536,
					  TTYSCOPE_BUF_DEFAULT };
	struct rng rng = { seed ^ 0xbeef };
	uint8_t *buf = malloc(1u << 20);

	(void)arg;
	CHECK(buf, "out of memory");
	while (!atomic_load(&threads_stop)) {
		int fd = open(RPL_PATH, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		uint32_t sz = sizes[rng_below(&rng, ARRAY_SIZE(sizes))];
		uint64_t until = mono_ns() + rng_below(&rng, 200) * 1000000u;

		CHECK(fd >= 0, "churn: open %s: %s", RPL_PATH, strerror(errno));
		cst.churn_opens++;
		/* EBUSY: more than @sz queued already, fine under load */
		if (sz && tsc_set_bufsize(fd, sz) < 0 && errno != EBUSY)
			FAIL("churn: SET_BUFSIZE %u on a new reader: %s", sz,
			     errname(errno));
		while (mono_ns() < until) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			ssize_t n;

			if (poll(&pfd, 1, 20) <= 0)
				continue;
			n = read(fd, buf, 1u << 20);
			if (n < 0 && errno == EAGAIN)
				continue;
			CHECK(n > 0, "churn: read: %s", strerror(errno));
			rec_parse_chunk("churn", buf, n, count_rec,
					&cst.churn_records);
		}
		close(fd);
	}
	free(buf);
	return NULL;
}

/* ---- release and unload ------------------------------------------------ */

static long delete_module(void)
{
	return syscall(SYS_delete_module, "ttyscope", O_NONBLOCK);
}

static void expect_busy(const char *when)
{
	long r = delete_module();
	int e = errno;

	CHECK(r == -1 && (e == EBUSY || e == EAGAIN),
	      "delete_module %s: %ld/%s, expected EBUSY or EAGAIN", when, r,
	      errname(e));
	t_log("ok: delete_module %s -> %s", when, errname(e));
}

static void check_pty_works(struct pty *p, const char *what)
{
	struct buf b = { 0 };

	write_all(p->master, "after\n", 6, what);
	CHECK(read_until(p->slave, &b, 6, 3000), "%s: slave read", what);
	CHECK_BYTES(what, b.p, b.len, "after\n", 6);
	b.len = 0;
	CHECK(read_until(p->master, &b, 7, 3000), "%s: echo", what);
	CHECK_BYTES(what, b.p, b.len, "after\r\n", 7);
	b.len = 0;
	write_all(p->slave, "out\n", 4, what);
	CHECK(read_until(p->master, &b, 5, 3000), "%s: master read", what);
	CHECK_BYTES(what, b.p, b.len, "out\r\n", 5);
	buf_free(&b);
	t_log("ok: %s (%s) works both ways", what, p->name);
}

int main(int argc, char **argv)
{
	unsigned long secs = env_uint("TTYSCOPE_STRESS_SECS", 60);
	struct vreader *v1, *v2;
	pthread_t tc, tch;
	pid_t pids[NW];
	struct pty r, s;
	struct ttyscope_version ver;
	struct ttyscope_stats st;
	uint64_t t0, cycles = 0, bytes = 0, churns = 0;
	int type = 0;
	uint32_t flags = 0;
	long rc;
	int e;

	if (argc > 1)
		secs = strtoul(argv[1], NULL, 0);
	t_init("t-stress", 290);
	CHECK(secs <= 200, "duration %lu s does not fit the 300 s test limit",
	      secs);
	seed = t_seed();
	slots = mmap(NULL, sizeof(*slots) * NW, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(slots != MAP_FAILED, "mmap");
	memset(slots, 0, sizeof(*slots) * NW);

	v1 = vreader_start("v1");
	v2 = vreader_start("v2");
	ctl = open(RPL_PATH, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	CHECK(ctl >= 0, "open %s: %s", RPL_PATH, strerror(errno));
	CHECK(tsc_set_bufsize(ctl, TTYSCOPE_BUF_MIN) == 0, "SET_BUFSIZE");
	rpl_fds[n_rpl_fds++] = ctl;
	pty_open(&q);
	tty_setup(q.slave, TTY_CANON, true);

	t_log("%lu s of stress: %d workers (A 0..%d self attach/detach, "
	      "B %d..%d pass/inject/attach, C %d..%d hangups)",
	      secs, NW, GROUP_A_END - 1, GROUP_A_END, GROUP_B_END - 1,
	      GROUP_B_END, NW - 1);
	t0 = mono_ns();
	deadline_ns = t0 + secs * 1000000000ull;
	for (int w = 0; w < NW; w++) {
		pids[w] = t_fork();
		if (pids[w] == 0)
			worker(w);
		t_track_child(pids[w]);
	}
	CHECK(pthread_create(&v1->thr, NULL, vreader_main, v1) == 0 &&
		      pthread_create(&v2->thr, NULL, vreader_main, v2) == 0 &&
		      pthread_create(&tc, NULL, controller, NULL) == 0 &&
		      pthread_create(&tch, NULL, churn, NULL) == 0,
	      "pthread_create");

	for (int w = 0; w < NW; w++) {
		int stw = wait_child(pids[w], (int)(secs * 1000) + 120000,
				     "worker");

		if (!WIFEXITED(stw) || WEXITSTATUS(stw))
			FAIL("worker %d (group %c) failed: status 0x%x", w,
			     group_a(w) ? 'A' :
			     group_b(w) ? 'B' :
					  'C',
			     stw);
		cycles += slots[w].cycles;
		bytes += slots[w].bytes;
		churns += slots[w].churns;
	}
	atomic_store(&threads_stop, true);
	pthread_join(tc, NULL);
	pthread_join(tch, NULL);
	t_log("workers done after %.1f s: %" PRIu64 " pty sessions, %" PRIu64
	      " MiB moved, %" PRIu64 " self DETACH+ATTACH",
	      (mono_ns() - t0) / 1e9, cycles, bytes >> 20, churns);
	t_log("controller: %" PRIu64 " SET_PASS, %" PRIu64 " INJECT (%" PRIu64
	      " bytes), %" PRIu64 " DETACH, %" PRIu64 " ATTACH, %" PRIu64
	      " HANGUP, %" PRIu64 " LIST; %" PRIu64 " race errnos",
	      cst.pass, cst.inject, cst.inject_bytes, cst.detach, cst.attach,
	      cst.hangup, cst.list, cst.race_errs);
	t_log("churn: %" PRIu64 " reader opens, %" PRIu64 " records read",
	      cst.churn_opens, cst.churn_records);
	CHECK(cycles >= NW, "only %" PRIu64 " pty sessions in %lu s", cycles,
	      secs);
	check_pty_works(&q, "pty Q during capture");

	/* ---- release ---- */
	expect_busy("before RELEASE");
	/* let v1 catch up, so that any OPEN it reads from now on is new */
	for (int i = 0;; i++) {
		tsc_stats(v1->rs->fd, &st);
		if (!st.rd_buf_used)
			break;
		CHECK(i < 3000,
		      "reader v1 still has %u bytes queued after 30 s",
		      st.rd_buf_used);
		sleep_ms(10);
	}
	sleep_ms(100); /* and has parsed its last read() */
	atomic_store(&v1->after_release, true);
	atomic_store(&v2->after_release, true);
	EXPECT_OK(ioctl(ctl, TTYSCOPE_IOC_RELEASE), "RELEASE");
	CHECK(tsc_version(ctl, &ver) == 0 && ver.released == 1,
	      "VERSION after RELEASE: released %u", ver.released);
	t_log("ok: VERSION.released == 1");
	EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_RELEASE), EALREADY,
		     "second RELEASE");
	EXPECT_ERRNO(tsc_attach(ctl, q.slave, NULL, NULL), ESHUTDOWN,
		     "ATTACH of Q after RELEASE");
	EXPECT_ERRNO(tsc_set_pass(ctl, q.major, q.minor, 0, 0), ENODEV,
		     "SET_PASS of Q after RELEASE");
	for (int i = 0; i < 500; i++) {
		vreader_tty(v1, q.major, q.minor, &type, &flags);
		if (type == TTYSCOPE_REC_CLOSE)
			break;
		sleep_ms(10);
	}
	CHECK(type == TTYSCOPE_REC_CLOSE && flags == TTYSCOPE_RF_ATTACHED,
	      "after RELEASE the last record of Q is %s flags 0x%x, expected "
	      "CLOSE with TTYSCOPE_RF_ATTACHED",
	      rec_type_name(type), flags);
	t_log("ok: RELEASE recorded CLOSE (TTYSCOPE_RF_ATTACHED) for Q");

	pty_open(&r);
	atomic_store(&v1->watch_major, r.major);
	atomic_store(&v1->watch_minor, r.minor);
	EXPECT_ERRNO(tsc_attach(ctl, r.master, NULL, NULL), ESHUTDOWN,
		     "ATTACH of a new pty after RELEASE");
	check_pty_works(&r, "a pty opened after RELEASE");
	sleep_ms(300);
	CHECK(atomic_load(&v1->watch_seen) == 0 && v1->opens_after_release == 0,
	      "a pty opened after RELEASE was captured (%" PRIu64
	      " records, %" PRIu64 " OPENs after RELEASE)",
	      atomic_load(&v1->watch_seen), v1->opens_after_release);
	t_log("ok: a pty opened after RELEASE is not captured");
	tsc_stats(ctl, &st);
	t_log("ok: STATS after RELEASE: ttys_captured %u readers %u produced %llu lost %llu",
	      st.ttys_captured, st.readers,
	      (unsigned long long)st.records_produced,
	      (unsigned long long)st.records_lost);
	CHECK(st.ttys_captured == 0, "STATS.ttys_captured %u after RELEASE",
	      st.ttys_captured);
	expect_busy("after RELEASE with /dev/rpl open");

	/* ---- readers' verdicts, then close everything ---- */
	atomic_store(&v1->stop, true);
	atomic_store(&v2->stop, true);
	pthread_join(v1->thr, NULL);
	pthread_join(v2->thr, NULL);
	for (struct vreader **vp = (struct vreader *[]){ v1, v2, NULL }; *vp;
	     vp++) {
		struct vreader *v = *vp;

		t_log("ok: reader %s: %" PRIu64 " records, all valid; %" PRIu64
		      " lost, %" PRIu64 " seq gaps (<= lost), %" PRIu64
		      " ttys without OPEN, %" PRIu64 " captures whose CLOSE "
		      "and OPEN were lost",
		      v->rs->name, v->records, v->lost, v->gaps, v->adopted,
		      v->restarts);
		rs_close(v->rs);
	}
	close(ctl);
	pty_close(&r);

	/* ---- unload ---- */
	{
		uint64_t until = mono_ns() + 10000000000ull;

		for (;;) {
			rc = delete_module();
			e = errno;
			if (rc == 0 || (e != EBUSY && e != EAGAIN) ||
			    mono_ns() > until)
				break;
			sleep_ms(50);
		}
		CHECK(rc == 0, "delete_module after RELEASE and close: %s",
		      errname(e));
		t_log("ok: module unloaded");
	}
	rc = open(RPL_PATH, O_RDONLY);
	e = errno;
	CHECK(rc < 0 && (e == ENOENT || e == ENODEV || e == ENXIO),
	      "open %s after unload: %ld/%s", RPL_PATH, rc, errname(e));
	t_log("ok: %s gone (%s)", RPL_PATH, errname(e));
	check_pty_works(&q, "pty Q, captured until RELEASE, after unload");
	pty_open(&s);
	tty_setup(s.slave, TTY_CANON, true);
	check_pty_works(&s, "a new pty after unload");
	pty_close(&s);
	pty_close(&q);
	t_pass();
}
