/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ttyscope lab: helpers shared by the guest test programs (t-*.c) and
 * benchmarks (b-*.c). They run as root inside the QEMU guest with
 * ttyscope.ko loaded and talk to /dev/rpl directly.
 *
 * Conventions: every helper that can fail either returns the raw result
 * (ioctl wrappers: -1 and errno, so tests can assert exact errnos) or fails
 * the test itself through CHECK() with a message saying what differed.
 * A failing test prints "FAIL <test> <file>:<line>: ..." and exits 1.
 */
#ifndef TTYSCOPE_GUEST_LIB_H
#define TTYSCOPE_GUEST_LIB_H

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <termios.h>

#include <linux/ttyscope.h>

#define RPL_PATH "/dev/rpl"
#define REC_HDR ((size_t)sizeof(struct ttyscope_rec))
#define REC_MAX (REC_HDR + TTYSCOPE_MAX_PAYLOAD)
#define PTY_SLAVE_MAJOR_MIN 136u
#define PTY_SLAVE_MAJOR_MAX 143u

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---- reporting ---------------------------------------------------------- */

extern const char *t_name;

/*
 * t_init() - name the test, make stdout line buffered, arm a watchdog that
 * fails the test (with a message) after @timeout_s seconds.
 */
void t_init(const char *name, unsigned int timeout_s);
void t_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void t_fail_at(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));
/* t_pass() - print the verdict line and exit 0. */
void t_pass(void) __attribute__((noreturn));
/* t_skip() - print why and exit 77 (only for genuinely inapplicable cases). */
void t_skip(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
const char *errname(int err);
/*
 * t_track_child() - a child that left our process group (setsid) and must
 * be killed if the test fails. Children in the group are killed anyway.
 */
void t_track_child(pid_t pid);

void t_check_failed(const char *file, int line, const char *cond,
		    const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));

#define FAIL(...) t_fail_at(__FILE__, __LINE__, __VA_ARGS__)
/* CHECK(cond, fmt, ...) - fail with the message unless @cond holds. */
#define CHECK(cond, ...)                                          \
	do {                                                      \
		if (!(cond))                                      \
			t_check_failed(__FILE__, __LINE__, #cond, \
				       __VA_ARGS__);              \
	} while (0)

/*
 * EXPECT_ERRNO(call, err, what...) - @call must return -1 with errno @err.
 * EXPECT_OK(call, what...) - @call must return >= 0; evaluates to nothing.
 * Both print one "ok:" line, so the log shows every case that was checked.
 */
#define EXPECT_ERRNO(call, err, ...)                              \
	do {                                                      \
		errno = 0;                                        \
		long r_ = (long)(call);                           \
		int e_ = errno;                                   \
		t_expect_errno(__FILE__, __LINE__, r_, e_, (err), \
			       __VA_ARGS__);                      \
	} while (0)
#define EXPECT_OK(call, ...)                                          \
	do {                                                          \
		errno = 0;                                            \
		long r_ = (long)(call);                               \
		int e_ = errno;                                       \
		t_expect_ok(__FILE__, __LINE__, r_, e_, __VA_ARGS__); \
	} while (0)

void t_expect_errno(const char *file, int line, long ret, int err, int want,
		    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void t_expect_ok(const char *file, int line, long ret, int err, const char *fmt,
		 ...) __attribute__((format(printf, 5, 6)));

/* ---- time, PRNG, buffers -------------------------------------------------- */

uint64_t mono_ns(void);
uint64_t real_ns(void);
void sleep_ms(unsigned int ms);

/* splitmix64: deterministic, seedable. */
struct rng {
	uint64_t s;
};
uint64_t rng_next(struct rng *r);
uint64_t rng_below(struct rng *r, uint64_t n); /* 0..n-1; n > 0 */
void rng_bytes(struct rng *r, void *buf, size_t n);
/* t_seed() - seed from $TTYSCOPE_SEED (decimal or 0x hex) or the clock; printed. */
uint64_t t_seed(void);
/* env_uint() - unsigned value of environment variable @name, or @def. */
unsigned long env_uint(const char *name, unsigned long def);

struct buf {
	uint8_t *p;
	size_t len, cap;
};
void buf_append(struct buf *b, const void *data, size_t n);
void buf_reserve(struct buf *b, size_t n);
void buf_free(struct buf *b);

/*
 * bytes_diff() - compare @got against @exp. Returns true if they are equal;
 * otherwise prints what differed (lengths, the offset of the first difference
 * and a hex dump of both around it) under the heading @what and returns false.
 */
bool bytes_diff(const char *what, const void *got, size_t got_len,
		const void *exp, size_t exp_len);
#define CHECK_BYTES(what, got, got_len, exp, exp_len)                          \
	do {                                                                   \
		if (!bytes_diff((what), (got), (got_len), (exp), (exp_len)))   \
			FAIL("%s: captured bytes differ (see above)", (what)); \
	} while (0)
void hexdump(const char *prefix, const void *buf, size_t len, size_t base);
/* printable() - a short C-escaped rendering of @buf for messages (static). */
const char *printable(const void *buf, size_t len);

/* ---- records ------------------------------------------------------------ */

/* A decoded record header (host byte order) and its payload. */
struct trec {
	uint16_t version, type;
	uint32_t flags, len, major, minor;
	uint64_t seq, ts_ns;
	const uint8_t *p; /* payload, @len bytes */
};

const char *rec_type_name(unsigned int type);
/* rec_decode() - decode the header at @raw (at least REC_HDR bytes). */
void rec_decode(const void *raw, struct trec *out);
/*
 * rec_check() - validate one record: magic, version, type, flags allowed
 * for the type, payload length for the type and <= TTYSCOPE_MAX_PAYLOAD,
 * reserved fields of payload structs, LOSS names no tty. @avail bytes are
 * available at @raw. Returns NULL if valid (and sets *@reclen), else a
 * static message.
 */
const char *rec_check(const void *raw, size_t avail, size_t *reclen);
/*
 * rec_parse_chunk() - split what one read() returned into records, failing
 * the test if any is invalid or the chunk ends inside a record. Calls @cb
 * for every record with its offset in the chunk.
 */
void rec_parse_chunk(const char *who, const uint8_t *buf, size_t n,
		     void (*cb)(void *ctx, const struct trec *r,
				const uint8_t *raw, size_t reclen),
		     void *ctx);
void rec_print(const char *prefix, const struct trec *r);

/*
 * struct rstream - one reader of /dev/rpl and every record it received,
 * kept in arrival order (raw bytes plus an index). Either drained
 * explicitly (rs_drain(), rs_wait_*()) or by a background thread
 * (rs_start()); with the thread running, take rs_lock() around direct
 * access to @raw/@off. Received records are validated on arrival.
 */
struct rstream {
	char name[16];
	int fd;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thr;
	bool running;
	volatile bool stop;
	bool keep; /* store records (false: count only) */
	uint8_t *rdbuf;
	size_t rdbuf_size;

	uint8_t *raw; /* all records, back to back */
	size_t raw_len, raw_cap;
	size_t *off; /* offset of record i in @raw */
	size_t n, cap;

	/* totals since open (not reset by rs_reset) */
	uint64_t recs; /* records received, LOSS included */
	uint64_t data_recs; /* records received, LOSS excluded */
	uint64_t data_bytes; /* their payload bytes */
	uint64_t loss_recs; /* LOSS records received */
	uint64_t lost_records, lost_bytes; /* sums over LOSS payloads */
	uint64_t reads; /* successful read() calls */
};

/* rs_open() - open a reader; @bufsize 0 keeps the default buffer size. */
struct rstream *rs_open(const char *name, uint32_t bufsize);
void rs_start(struct rstream *rs);
void rs_stop(struct rstream *rs);
void rs_close(struct rstream *rs);
void rs_lock(struct rstream *rs);
void rs_unlock(struct rstream *rs);
/* rs_count() - records stored so far. */
size_t rs_count(struct rstream *rs);
/* rs_get() - decode stored record @i (lock held or thread stopped). */
void rs_get(struct rstream *rs, size_t i, struct trec *out);
/* rs_reset() - forget the stored records (the totals stay). */
void rs_reset(struct rstream *rs);
/*
 * rs_drain() - read until the reader is empty; if nothing is queued wait up
 * to @timeout_ms for the first record. Returns the number of records read.
 * Only without the background thread.
 */
size_t rs_drain(struct rstream *rs, int timeout_ms);
/*
 * rs_wait() - wait until @pred (called with the lock held) is true, up to
 * @timeout_ms. Works with or without the thread. Returns the final value.
 */
bool rs_wait(struct rstream *rs, bool (*pred)(struct rstream *rs, void *arg),
	     void *arg, int timeout_ms);
/*
 * rs_find() - index >= @from of the first record of type @type (0: any type
 * but LOSS) for the tty (any tty if @major == ~0u), or -1. Lock held.
 */
long rs_find(struct rstream *rs, size_t from, uint32_t major, uint32_t minor,
	     unsigned int type);
/* rs_wait_rec() - rs_wait() for rs_find() != -1; returns its index or -1. */
long rs_wait_rec(struct rstream *rs, size_t from, uint32_t major,
		 uint32_t minor, unsigned int type, int timeout_ms);
/* rs_wait_seq() - wait for a record of the tty with seq >= @seq since @from. */
bool rs_wait_seq(struct rstream *rs, size_t from, uint32_t major,
		 uint32_t minor, uint64_t seq, int timeout_ms);
/* rs_wait_bytes() - wait until the tty's records of @type since @from carry
 * at least @n payload bytes (for INJECT: bytes after the head). */
bool rs_wait_bytes(struct rstream *rs, size_t from, uint32_t major,
		   uint32_t minor, unsigned int type, size_t n, int timeout_ms);

/*
 * struct tview - the records of one tty, copied out of a stream: every
 * record from index @from on whose major/minor match, plus the
 * concatenated payloads per direction.
 */
struct tview {
	uint32_t major, minor;
	struct trec *r;
	size_t n;
	size_t *sidx; /* index of r[i] in the stream */
	struct buf arena;
	struct buf in, out, dropped, inject;
	size_t n_in, n_out, n_dropped, n_inject;
};
void tv_build(struct rstream *rs, size_t from, uint32_t major, uint32_t minor,
	      struct tview *tv);
void tv_free(struct tview *tv);
/* tv_print() - dump the record list (one line each) for failure reports. */
void tv_print(const struct tview *tv, size_t max);
/* tv_print_range() - dump records @from..@to (indexes into @tv). */
void tv_print_range(const struct tview *tv, size_t from, size_t to);
/*
 * tv_check_capture() - the records are one whole capture: OPEN (seq 0,
 * flags @open_flags, kind PTY, name @name) ... [HANGUP] CLOSE (flags
 * @close_flags), seq contiguous, no record after CLOSE; every other record's
 * type in @allowed (bitmask of 1u << type). Closing a pty master hangs the
 * slave up, so a HANGUP right before CLOSE is always accepted.
 */
void tv_check_capture(const struct tview *tv, const char *what,
		      const char *name, uint32_t open_flags,
		      uint32_t close_flags, uint64_t allowed);
/* tv_check_seq() - seq numbers of r[a..b) contiguous. */
void tv_check_seq(const struct tview *tv, const char *what, size_t a, size_t b);

/* ---- ptys ----------------------------------------------------------------- */

struct pty {
	int master, slave;
	uint32_t major, minor; /* of the slave, as records name it */
	char path[64]; /* /dev/pts/N */
	char name[32]; /* pts/N */
};

/* pty_open() - open a pair (both ends O_NOCTTY, blocking, close-on-exec). */
void pty_open(struct pty *p);
/* pty_try_open() - same, returning -errno instead of failing. */
int pty_try_open(struct pty *p);
/* pty_close() - close the slave first, then the master (no hangup). */
void pty_close(struct pty *p);
void fd_nonblock(int fd, bool on);

enum tty_mode { TTY_CANON, TTY_RAW, TTY_CANON_NOSPECIAL };
/*
 * tty_setup() - put the slave in a mode: TTY_CANON is the kernel default
 * (ICANON, ISIG, IXON, ICRNL, OPOST|ONLCR); TTY_RAW is cfmakeraw();
 * TTY_CANON_NOSPECIAL is canonical with every special character disabled
 * and IXON/ICRNL off, so any byte but '\n' and NUL is ordinary. ECHO per
 * @echo.
 */
void tty_setup(int fd, enum tty_mode mode, bool echo);
void tty_set_echo(int fd, bool echo);
const char *tty_mode_name(enum tty_mode m);

/* write_all() - write everything (blocking fd, or poll on EAGAIN). */
void write_all(int fd, const void *buf, size_t n, const char *what);
/*
 * read_until() - append what @fd delivers to @b until it holds at least
 * @want bytes or @timeout_ms passes. Returns true if @want was reached.
 */
bool read_until(int fd, struct buf *b, size_t want, int timeout_ms);
/* fd_quiet() - true if nothing becomes readable on @fd within @ms. */
bool fd_quiet(int fd, int ms);
/* drain_fd() - read whatever is available within @ms of quiet into @b. */
void drain_fd(int fd, struct buf *b, int quiet_ms);

/*
 * wait_blocked() - wait until process @pid sleeps in system call @sysno
 * (from /proc/PID/syscall and /proc/PID/stat), up to @timeout_ms. Returns
 * false on timeout.
 */
bool wait_blocked(pid_t pid, long sysno, int timeout_ms);
/* wait_child() - waitpid() with a timeout; fails the test on timeout. */
int wait_child(pid_t pid, int timeout_ms, const char *what);
/* t_fork() - fork() with stdout flushed; fails the test on error. */
pid_t t_fork(void);

/* ---- ioctl wrappers (return the ioctl result; errno on -1) ------------- */

int tsc_version(int fd, struct ttyscope_version *v);
/* tsc_list_all() - every captured tty; malloc'd, count in *n. Fails test on error. */
struct ttyscope_tty_info *tsc_list_all(int fd, uint32_t *n);
/* tsc_find() - LIST entry of a tty; false if it is not listed. */
bool tsc_find(int fd, uint32_t major, uint32_t minor,
	      struct ttyscope_tty_info *out);
void tsc_stats(int fd, struct ttyscope_stats *st);
int tsc_set_pass(int fd, uint32_t major, uint32_t minor, uint32_t pass,
		 uint32_t uid);
long tsc_inject(int fd, uint32_t major, uint32_t minor, const void *data,
		uint32_t len, uint32_t uid);
int tsc_tty_op(int fd, unsigned long req, uint32_t major, uint32_t minor);
int tsc_attach(int fd, int ttyfd, uint32_t *major, uint32_t *minor);
int tsc_set_bufsize(int fd, uint32_t size);

/* ---- pty traffic engine ----------------------------------------------- */

#define FLOW_MAX_RESIZE 8

/*
 * struct flow - traffic through one pty pair: @in is written to the master
 * (keystrokes), @out to the slave (program output), both nonblocking and in
 * random chunk sizes, while both sides are read. At each resize point k the
 * writers pause at in_stop[k]/out_stop[k], wait until everything written so
 * far has been read on the other side, set window size ws[k] (alternately
 * through the master and the slave) and go on. At the end the slave is
 * closed and the master drained to EIO, so @mrd holds every byte the
 * master ever read.
 */
struct flow {
	struct pty pty;
	enum tty_mode mode;
	bool echo;
	bool lenient; /* input may be dropped/added, slave may hang up */
	const uint8_t *in;
	size_t in_len;
	const uint8_t *out;
	size_t out_len;
	int nresize;
	size_t in_stop[FLOW_MAX_RESIZE], out_stop[FLOW_MAX_RESIZE];
	struct winsize ws[FLOW_MAX_RESIZE];
	size_t max_chunk; /* largest single write (0: 64 KiB) */
	struct rng rng;

	/* progress and results */
	size_t in_pos, out_pos, out_nl; /* out_nl: '\n' among out[0..out_pos) */
	int resized;
	size_t resize_in_at[FLOW_MAX_RESIZE]; /* in_pos at resize k */
	size_t resize_mrd_at[FLOW_MAX_RESIZE]; /* mrd.len at resize k */
	struct buf mrd, srd; /* bytes read from master / slave */
	bool slave_closed, done;
	bool slave_eof; /* read 0/EIO on the slave (hangup) */
	int master_err, slave_err; /* first unexpected errno */
	uint64_t last_progress_ns;
};

/* flow_expected_master() - what the master must read when ECHO is off. */
void flow_expected_master(const struct flow *f, struct buf *exp);
/*
 * flow_run() - run @n flows concurrently to completion. @tick (may be NULL)
 * is called about every @tick_ms. Fails the test if nothing progresses for
 * @stall_ms (reporting every flow's state), unless the flow is lenient, in
 * which case it is ended.
 */
void flow_run(struct flow **f, int n, void (*tick)(void *arg), void *arg,
	      int tick_ms, int stall_ms);
void flow_free(struct flow *f);

#endif /* TTYSCOPE_GUEST_LIB_H */
