// SPDX-License-Identifier: GPL-2.0
/*
 * t-ioctl: every validation case of docs/IOCTL.md gets its documented
 * errno, and the successful forms return what they document.
 *
 *   VERSION     abi_version/max_payload/inject_max/released/module_version
 *   ENOTTY      unknown numbers, known numbers with the wrong size or
 *               direction, a tty ioctl (TCGETS) on /dev/rpl
 *   EFAULT      NULL, (void *)1, a PROT_NONE page, a kernel address, a
 *               struct running into a PROT_NONE page, and (for out structs)
 *               a read-only page, for every ioctl with an argument; LIST
 *               entries and INJECT data likewise; nothing happens on EFAULT
 *   EINVAL      non-zero flags/reserved in every in-struct; SET_PASS pass 2;
 *               INJECT len 0; SET_BUFSIZE out of range; read() into a buffer
 *               smaller than the next record; write()
 *   E2BIG       INJECT len TTYSCOPE_INJECT_MAX + 1 and 0xffffffff
 *   ENODEV      SET_PASS/INJECT/HANGUP/DETACH of ttys not captured
 *   EBUSY       SET_BUFSIZE smaller than the queued records (kept intact)
 *   EAGAIN      O_NONBLOCK read of an empty reader; EINTR for a blocked
 *               read() interrupted by a signal
 *   LIST        capacity 0 returns the count; a small capacity fills only
 *               that many entries (guard bytes after them stay intact);
 *               entries describe our ptys
 *   INJECT      of TTYSCOPE_INJECT_MAX bytes: the count returned is what
 *               the slave reads and what the INJECT record carries
 *   SET_BUFSIZE sizes are rounded up to a power of two (STATS.rd_buf_size)
 */
#include "lib.h"

#include <endian.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static struct rstream *rs;
static int ctl;
static long page;
static uint8_t *unmapped, *ro, *edge; /* edge: RW page, then PROT_NONE */
static void *const kernel_addr = (void *)0xffffffff81000000ul;
static struct pty p1, p2, p3;

static void setup_memory(void)
{
	page = sysconf(_SC_PAGESIZE);
	/* PROT_NONE rather than munmap()ed: the address is never reused */
	unmapped =
		mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(unmapped != MAP_FAILED, "mmap");
	ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ro != MAP_FAILED, "mmap");
	edge = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(edge != MAP_FAILED, "mmap");
	CHECK(mprotect(edge + page, page, PROT_NONE) == 0, "mprotect");
}

/* a copy of @s whose last 4 bytes lie in the PROT_NONE page */
static void *straddle(const void *s, size_t size)
{
	uint8_t *at = edge + page - (size - 4);

	memcpy(at, s, size - 4);
	return at;
}

static void version(void)
{
	struct ttyscope_version v;
	size_t n;

	EXPECT_OK(tsc_version(ctl, &v), "VERSION");
	n = strnlen(v.module_version, sizeof(v.module_version));
	CHECK(v.abi_version == TTYSCOPE_ABI_VERSION &&
		      v.max_payload == TTYSCOPE_MAX_PAYLOAD &&
		      v.inject_max == TTYSCOPE_INJECT_MAX && v.released == 0,
	      "VERSION: abi %u max_payload %u inject_max %u released %u",
	      v.abi_version, v.max_payload, v.inject_max, v.released);
	CHECK(n > 0 && n < sizeof(v.module_version),
	      "VERSION: module_version not a NUL-terminated string (length %zu)",
	      n);
	t_log("ok: VERSION abi %u max_payload %u inject_max %u released 0 module \"%s\"",
	      v.abi_version, v.max_payload, v.inject_max, v.module_version);
}

static void unknown(void)
{
	struct ttyscope_pass zero_pass = { 0 };
	uint8_t big[256] = { 0 };
	struct termios t;

	EXPECT_ERRNO(ioctl(ctl, _IO(TTYSCOPE_IOC_MAGIC, 0x0a)), ENOTTY,
		     "ioctl _IO(0xD7, 0x0a)");
	EXPECT_ERRNO(ioctl(ctl, _IO(TTYSCOPE_IOC_MAGIC, 0x7f)), ENOTTY,
		     "ioctl _IO(0xD7, 0x7f)");
	EXPECT_ERRNO(ioctl(ctl, _IOWR(TTYSCOPE_IOC_MAGIC, 0xff, big), big),
		     ENOTTY, "ioctl _IOWR(0xD7, 0xff, 256 bytes)");
	EXPECT_ERRNO(ioctl(ctl, _IOR(TTYSCOPE_IOC_MAGIC, 0x00, uint64_t), big),
		     ENOTTY, "VERSION number with an 8-byte size");
	EXPECT_ERRNO(
		ioctl(ctl,
		      _IOR(TTYSCOPE_IOC_MAGIC, 0x05, struct ttyscope_version),
		      big),
		ENOTTY, "STATS number with VERSION's size");
	EXPECT_ERRNO(ioctl(ctl,
			   _IOR(TTYSCOPE_IOC_MAGIC, 0x02, struct ttyscope_pass),
			   &zero_pass),
		     ENOTTY, "SET_PASS number with direction _IOR");
	EXPECT_ERRNO(ioctl(ctl, _IO(TTYSCOPE_IOC_MAGIC, 0x04)), ENOTTY,
		     "HANGUP number without argument size");
	EXPECT_ERRNO(ioctl(ctl, TCGETS, &t), ENOTTY, "TCGETS on /dev/rpl");
}

struct fault_case {
	const char *name;
	unsigned long req;
	size_t size;
	bool out_only; /* the kernel only writes it */
	bool in_struct; /* the kernel reads it */
};

static void faults(void)
{
	static const struct fault_case cases[] = {
		{ "VERSION", TTYSCOPE_IOC_VERSION,
		  sizeof(struct ttyscope_version), true, false },
		{ "LIST", TTYSCOPE_IOC_LIST, sizeof(struct ttyscope_list),
		  false, true },
		{ "SET_PASS", TTYSCOPE_IOC_SET_PASS,
		  sizeof(struct ttyscope_pass), false, true },
		{ "INJECT", TTYSCOPE_IOC_INJECT, sizeof(struct ttyscope_inject),
		  false, true },
		{ "HANGUP", TTYSCOPE_IOC_HANGUP, sizeof(struct ttyscope_tty),
		  false, true },
		{ "STATS", TTYSCOPE_IOC_STATS, sizeof(struct ttyscope_stats),
		  true, false },
		{ "ATTACH", TTYSCOPE_IOC_ATTACH, sizeof(struct ttyscope_attach),
		  false, true },
		{ "DETACH", TTYSCOPE_IOC_DETACH, sizeof(struct ttyscope_tty),
		  false, true },
		{ "SET_BUFSIZE", TTYSCOPE_IOC_SET_BUFSIZE,
		  sizeof(struct ttyscope_bufsize), false, true },
	};
	uint8_t zero[256] = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct fault_case *c = &cases[i];

		CHECK(_IOC_SIZE(c->req) == c->size,
		      "%s: _IOC_SIZE %lu != sizeof %zu", c->name,
		      (unsigned long)_IOC_SIZE(c->req), c->size);
		CHECK(c->size % 8 == 0, "%s: size %zu not a multiple of 8",
		      c->name, c->size);
		EXPECT_ERRNO(ioctl(ctl, c->req, NULL), EFAULT, "%s(NULL)",
			     c->name);
		EXPECT_ERRNO(ioctl(ctl, c->req, (void *)1), EFAULT,
			     "%s((void *)1)", c->name);
		EXPECT_ERRNO(ioctl(ctl, c->req, unmapped), EFAULT,
			     "%s(PROT_NONE page)", c->name);
		EXPECT_ERRNO(ioctl(ctl, c->req, kernel_addr), EFAULT,
			     "%s(kernel address)", c->name);
		/* a struct of zeros names tty 0:0, so a missed fault is harmless */
		EXPECT_ERRNO(ioctl(ctl, c->req, straddle(zero, c->size)),
			     EFAULT, "%s(struct running into a PROT_NONE page)",
			     c->name);
		if (c->out_only || c->req == TTYSCOPE_IOC_LIST)
			EXPECT_ERRNO(ioctl(ctl, c->req, ro), EFAULT,
				     "%s(read-only page)", c->name);
	}
}

static void list_faults(void)
{
	struct ttyscope_list l = { 0 };
	struct ttyscope_tty_info *one =
		(void *)(edge + page - sizeof(struct ttyscope_tty_info));

	l.capacity = 0;
	l.entries = 0;
	EXPECT_OK(ioctl(ctl, TTYSCOPE_IOC_LIST, &l),
		  "LIST capacity 0, entries NULL");
	CHECK(l.count >= 3, "LIST count %u with 3 ptys open", l.count);
	l.capacity = 4;
	EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_LIST, &l), EFAULT,
		     "LIST capacity 4, entries NULL");
	l.entries = 1;
	EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_LIST, &l), EFAULT,
		     "LIST capacity 4, entries (void *)1");
	l.entries = (uintptr_t)unmapped;
	EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_LIST, &l), EFAULT,
		     "LIST capacity 4, entries in a PROT_NONE page");
	l.entries = (uintptr_t)ro;
	EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_LIST, &l), EFAULT,
		     "LIST capacity 4, entries read-only");
	l.capacity = 2; /* room for one entry before PROT_NONE, 3+ ttys */
	l.entries = (uintptr_t)one;
	EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_LIST, &l), EFAULT,
		     "LIST capacity 2, second entry in a PROT_NONE page");
}

static void check_entry(const struct ttyscope_tty_info *e, const struct pty *p)
{
	uint64_t now = real_ns();

	CHECK(e->kind == TTYSCOPE_KIND_PTY && e->pass == 1 && e->flags == 0 &&
		      e->reserved == 0 && e->lost_records == 0 &&
		      !strncmp(e->name, p->name, sizeof(e->name)) &&
		      e->records >= 1 && e->open_ns <= now &&
		      e->open_ns > now - 3600ull * 1000000000ull,
	      "LIST entry of %s: kind %u pass %u flags 0x%x reserved %u lost %llu "
	      "name \"%.32s\" records %llu open_ns %llu",
	      p->name, e->kind, e->pass, e->flags, e->reserved,
	      (unsigned long long)e->lost_records, e->name,
	      (unsigned long long)e->records, (unsigned long long)e->open_ns);
}

static void list(void)
{
	struct ttyscope_list l = { 0 };
	struct ttyscope_tty_info *e;
	uint32_t count;
	size_t sz = sizeof(*e);
	uint8_t *g;
	int found = 0;

	EXPECT_OK(ioctl(ctl, TTYSCOPE_IOC_LIST, &l), "LIST capacity 0");
	count = l.count;
	CHECK(count >= 3, "LIST count %u with 3 ptys open", count);
	g = malloc((count + 5) * sz);
	CHECK(g, "out of memory");

	/* capacity 0 with a real buffer: untouched */
	memset(g, 0xa5, (count + 5) * sz);
	l = (struct ttyscope_list){ .capacity = 0, .entries = (uintptr_t)g };
	EXPECT_OK(ioctl(ctl, TTYSCOPE_IOC_LIST, &l), "LIST capacity 0, buffer");
	CHECK(l.count == count, "LIST count changed: %u then %u", count,
	      l.count);
	for (size_t i = 0; i < (count + 5) * sz; i++)
		CHECK(g[i] == 0xa5, "LIST capacity 0 wrote byte %zu", i);

	/* capacity 1: exactly one entry */
	l = (struct ttyscope_list){ .capacity = 1, .entries = (uintptr_t)g };
	EXPECT_OK(ioctl(ctl, TTYSCOPE_IOC_LIST, &l), "LIST capacity 1");
	CHECK(l.count == count, "LIST capacity 1: count %u, expected %u",
	      l.count, count);
	for (size_t i = sz; i < (count + 5) * sz; i++)
		CHECK(g[i] == 0xa5,
		      "LIST capacity 1 wrote byte %zu (entry size %zu)", i, sz);
	t_log("ok: LIST capacity 1 filled one entry, count %u, guard intact",
	      count);

	/* capacity count + 5: count entries, the rest untouched */
	memset(g, 0xa5, (count + 5) * sz);
	l = (struct ttyscope_list){ .capacity = count + 5,
				    .entries = (uintptr_t)g };
	EXPECT_OK(ioctl(ctl, TTYSCOPE_IOC_LIST, &l), "LIST capacity %u",
		  count + 5);
	CHECK(l.count == count, "LIST: count %u, expected %u", l.count, count);
	for (size_t i = count * sz; i < (count + 5) * sz; i++)
		CHECK(g[i] == 0xa5, "LIST wrote byte %zu past %u entries", i,
		      count);
	e = (struct ttyscope_tty_info *)g;
	for (uint32_t i = 0; i < count; i++) {
		const struct pty *ps[] = { &p1, &p2, &p3 };

		for (int j = 0; j < 3; j++)
			if (e[i].major == ps[j]->major &&
			    e[i].minor == ps[j]->minor) {
				check_entry(&e[i], ps[j]);
				found++;
			}
	}
	CHECK(found == 3, "LIST lists %d of our 3 ptys", found);
	t_log("ok: LIST capacity %u: %u entries, our 3 ptys described, guard intact",
	      count + 5, count);
	free(g);
}

static void invalid_fields(void)
{
	struct ttyscope_list l = { 0 };
	struct ttyscope_pass ps = { .major = p1.major,
				    .minor = p1.minor,
				    .pass = 1 };
	struct ttyscope_inject in = { .major = p1.major,
				      .minor = p1.minor,
				      .len = 1,
				      .data = (uintptr_t) "x" };
	struct ttyscope_tty t = { .major = p1.major, .minor = p1.minor };
	struct ttyscope_bufsize bs = { .size = TTYSCOPE_BUF_DEFAULT };
	struct ttyscope_tty_info ti;
	static const uint32_t bad[] = { 1, 0x80000000u };

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		l.flags = bad[i];
		EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_LIST, &l), EINVAL,
			     "LIST flags 0x%x", bad[i]);
		l.flags = 0;
		l.reserved = bad[i];
		EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_LIST, &l), EINVAL,
			     "LIST reserved 0x%x", bad[i]);
		l.reserved = 0;

		ps.flags = bad[i];
		EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_SET_PASS, &ps), EINVAL,
			     "SET_PASS flags 0x%x", bad[i]);
		ps.flags = 0;
		ps.reserved = bad[i];
		EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_SET_PASS, &ps), EINVAL,
			     "SET_PASS reserved 0x%x", bad[i]);
		ps.reserved = 0;

		in.flags = bad[i];
		EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_INJECT, &in), EINVAL,
			     "INJECT flags 0x%x", bad[i]);
		in.flags = 0;
		in.reserved = bad[i];
		EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_INJECT, &in), EINVAL,
			     "INJECT reserved 0x%x", bad[i]);
		in.reserved = 0;

		t.flags = bad[i];
		EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_HANGUP, &t), EINVAL,
			     "HANGUP flags 0x%x", bad[i]);
		EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_DETACH, &t), EINVAL,
			     "DETACH flags 0x%x", bad[i]);
		t.flags = 0;
		t.reserved = bad[i];
		EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_HANGUP, &t), EINVAL,
			     "HANGUP reserved 0x%x", bad[i]);
		EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_DETACH, &t), EINVAL,
			     "DETACH reserved 0x%x", bad[i]);
		t.reserved = 0;

		bs.flags = bad[i];
		EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_SET_BUFSIZE, &bs), EINVAL,
			     "SET_BUFSIZE flags 0x%x", bad[i]);
		bs.flags = 0;
	}
	ps.pass = 2;
	EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_SET_PASS, &ps), EINVAL,
		     "SET_PASS pass 2");
	ps.pass = 0xffffffffu;
	EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_SET_PASS, &ps), EINVAL,
		     "SET_PASS pass 0xffffffff");

	/* none of it acted */
	CHECK(tsc_find(ctl, p1.major, p1.minor, &ti),
	      "%s no longer captured after invalid HANGUP/DETACH", p1.name);
	CHECK(ti.pass == 1 && ti.bytes_injected == 0 && ti.flags == 0,
	      "after invalid requests: pass %u injected %llu flags 0x%x",
	      ti.pass, (unsigned long long)ti.bytes_injected, ti.flags);
	CHECK(fd_quiet(p1.slave, 100), "an invalid INJECT reached the slave");
	t_log("ok: invalid requests had no effect on %s", p1.name);
}

static void attach_flags(void)
{
	struct pty d;
	struct ttyscope_attach a = { 0 };
	size_t m = rs_count(rs);

	pty_open(&d);
	CHECK(rs_wait_rec(rs, m, d.major, d.minor, TTYSCOPE_REC_OPEN, 5000) >=
		      0,
	      "no OPEN for %s", d.name);
	EXPECT_OK(tsc_tty_op(ctl, TTYSCOPE_IOC_DETACH, d.major, d.minor),
		  "DETACH %s", d.name);
	a.fd = d.slave;
	a.flags = 1;
	EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_ATTACH, &a), EINVAL,
		     "ATTACH flags 1");
	a.flags = 0x80000000u;
	EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_ATTACH, &a), EINVAL,
		     "ATTACH flags 0x80000000");
	CHECK(!tsc_find(ctl, d.major, d.minor, NULL),
	      "ATTACH with bad flags attached %s", d.name);
	a.flags = 0;
	EXPECT_OK(ioctl(ctl, TTYSCOPE_IOC_ATTACH, &a), "ATTACH %s", d.name);
	CHECK(a.major == d.major && a.minor == d.minor,
	      "ATTACH returned %u:%u for %u:%u", a.major, a.minor, d.major,
	      d.minor);
	pty_close(&d);
}

static void inject(void)
{
	uint8_t *data = malloc(TTYSCOPE_INJECT_MAX + 1);
	struct ttyscope_inject in = { .major = p2.major, .minor = p2.minor };
	struct ttyscope_tty_info ti;
	struct buf got = { 0 };
	struct rng rng = { 7 };
	struct tview tv;
	size_t m;
	long r;

	CHECK(data, "out of memory");
	for (size_t i = 0; i <= TTYSCOPE_INJECT_MAX; i++)
		data[i] = 'a' + rng_below(&rng, 26);
	in.data = (uintptr_t)data;
	in.len = 0;
	EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_INJECT, &in), EINVAL,
		     "INJECT len 0");
	in.len = TTYSCOPE_INJECT_MAX + 1;
	EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_INJECT, &in), E2BIG,
		     "INJECT len TTYSCOPE_INJECT_MAX + 1");
	in.len = 0xffffffffu;
	EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_INJECT, &in), E2BIG,
		     "INJECT len 0xffffffff");
	in.len = 5;
	in.data = 0;
	EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_INJECT, &in), EFAULT,
		     "INJECT data NULL");
	in.data = 1;
	EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_INJECT, &in), EFAULT,
		     "INJECT data (void *)1");
	in.data = (uintptr_t)unmapped;
	EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_INJECT, &in), EFAULT,
		     "INJECT data in a PROT_NONE page");
	memcpy(edge + page - 3, "abc", 3);
	in.data = (uintptr_t)(edge + page - 3);
	EXPECT_ERRNO(ioctl(ctl, TTYSCOPE_IOC_INJECT, &in), EFAULT,
		     "INJECT 5 bytes, the last 2 in a PROT_NONE page");
	CHECK(fd_quiet(p2.slave, 100), "a faulting INJECT reached the slave");
	CHECK(tsc_find(ctl, p2.major, p2.minor, &ti) && ti.bytes_injected == 0,
	      "faulting INJECTs counted %llu bytes",
	      (unsigned long long)ti.bytes_injected);

	/* the largest INJECT, into a raw slave */
	m = rs_count(rs);
	in.data = (uintptr_t)data;
	in.len = TTYSCOPE_INJECT_MAX;
	in.operator_uid = 99;
	r = ioctl(ctl, TTYSCOPE_IOC_INJECT, &in);
	CHECK(r > 0 && r <= (long)TTYSCOPE_INJECT_MAX,
	      "INJECT of %u bytes returned %ld (%s)", TTYSCOPE_INJECT_MAX, r,
	      r < 0 ? errname(errno) : "");
	CHECK(read_until(p2.slave, &got, r, 5000),
	      "slave read %zu of %ld injected bytes", got.len, r);
	CHECK(fd_quiet(p2.slave, 100), "slave read more than %ld bytes", r);
	CHECK_BYTES("slave read of the injection", got.p, got.len, data, r);
	CHECK(rs_wait_bytes(rs, m, p2.major, p2.minor, TTYSCOPE_REC_INJECT, r,
			    5000),
	      "INJECT records do not carry %ld bytes", r);
	tv_build(rs, m, p2.major, p2.minor, &tv);
	CHECK_BYTES("INJECT record bytes", tv.inject.p, tv.inject.len, data, r);
	tv_free(&tv);
	t_log("ok: INJECT of %u bytes accepted %ld; slave and record agree",
	      TTYSCOPE_INJECT_MAX, r);
	buf_free(&got);
	free(data);
}

static void nodev(void)
{
	static const struct {
		uint32_t major, minor;
		const char *what;
	} devs[] = {
		{ 136, 999999, "136:999999" },
		{ 1, 3, "1:3 (/dev/null)" },
		{ 0, 0, "0:0" },
		{ 5, 2, "5:2 (/dev/ptmx)" },
		{ 0, 0, NULL },
	};
	struct pty x;
	size_t m;
	char c = 'x';

	for (size_t i = 0; i < ARRAY_SIZE(devs); i++) {
		uint32_t maj = devs[i].major, min = devs[i].minor;
		char what[64];

		if (devs[i].what) {
			snprintf(what, sizeof(what), "%s", devs[i].what);
		} else { /* the master side of a live pair: 128:N */
			maj = 128;
			min = p1.minor;
			snprintf(what, sizeof(what), "%u:%u (master of %s)",
				 maj, min, p1.name);
		}
		EXPECT_ERRNO(tsc_set_pass(ctl, maj, min, 1, 0), ENODEV,
			     "SET_PASS %s", what);
		EXPECT_ERRNO(tsc_inject(ctl, maj, min, &c, 1, 0), ENODEV,
			     "INJECT %s", what);
		EXPECT_ERRNO(tsc_tty_op(ctl, TTYSCOPE_IOC_HANGUP, maj, min),
			     ENODEV, "HANGUP %s", what);
		EXPECT_ERRNO(tsc_tty_op(ctl, TTYSCOPE_IOC_DETACH, maj, min),
			     ENODEV, "DETACH %s", what);
	}
	m = rs_count(rs);
	pty_open(&x);
	pty_close(&x);
	CHECK(rs_wait_rec(rs, m, x.major, x.minor, TTYSCOPE_REC_CLOSE, 5000) >=
		      0,
	      "no CLOSE for %s", x.name);
	EXPECT_ERRNO(tsc_set_pass(ctl, x.major, x.minor, 1, 0), ENODEV,
		     "SET_PASS of closed %s", x.name);
	EXPECT_ERRNO(tsc_inject(ctl, x.major, x.minor, &c, 1, 0), ENODEV,
		     "INJECT of closed %s", x.name);
	EXPECT_ERRNO(tsc_tty_op(ctl, TTYSCOPE_IOC_HANGUP, x.major, x.minor),
		     ENODEV, "HANGUP of closed %s", x.name);
	EXPECT_ERRNO(tsc_tty_op(ctl, TTYSCOPE_IOC_DETACH, x.major, x.minor),
		     ENODEV, "DETACH of closed %s", x.name);
}

static uint32_t buf_size_of(int fd)
{
	struct ttyscope_stats st;

	tsc_stats(fd, &st);
	return st.rd_buf_size;
}

static void bufsize(void)
{
	static const uint32_t bad[] = { 0,
					1024,
					TTYSCOPE_BUF_MIN - 1,
					TTYSCOPE_BUF_MAX + 1,
					TTYSCOPE_BUF_MAX * 2u,
					0xffffffffu };
	static const struct {
		uint32_t ask, get;
	} good[] = {
		{ TTYSCOPE_BUF_MIN, TTYSCOPE_BUF_MIN },
		{ TTYSCOPE_BUF_MIN + 1, 2 * TTYSCOPE_BUF_MIN },
		{ 100000, 131072 },
		{ TTYSCOPE_BUF_DEFAULT, TTYSCOPE_BUF_DEFAULT },
	};
	struct rstream *r = rs_open("bufsize", 0);
	struct ttyscope_stats st;
	struct pty q;
	struct flow *f;
	struct tview tv;
	size_t mark;
	uint8_t *out = malloc(65536);

	CHECK(out, "out of memory");
	CHECK(buf_size_of(r->fd) == TTYSCOPE_BUF_DEFAULT,
	      "a new reader's rd_buf_size is %u, expected TTYSCOPE_BUF_DEFAULT",
	      buf_size_of(r->fd));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_ERRNO(tsc_set_bufsize(r->fd, bad[i]), EINVAL,
			     "SET_BUFSIZE %u", bad[i]);
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		EXPECT_OK(tsc_set_bufsize(r->fd, good[i].ask), "SET_BUFSIZE %u",
			  good[i].ask);
		CHECK(buf_size_of(r->fd) == good[i].get,
		      "SET_BUFSIZE %u gave rd_buf_size %u, expected %u",
		      good[i].ask, buf_size_of(r->fd), good[i].get);
	}
	t_log("ok: SET_BUFSIZE rounds up to powers of two");

	/* EBUSY: more than 8 KiB queued */
	rs_drain(r, 0);
	for (size_t i = 0; i < 65536; i++)
		out[i] = i * 7;
	f = calloc(1, sizeof(*f));
	CHECK(f, "out of memory");
	mark = rs_count(rs);
	pty_open(&f->pty);
	q = f->pty;
	tty_setup(q.slave, TTY_RAW, false);
	f->mode = TTY_RAW;
	f->out = out;
	f->out_len = 65536;
	f->rng.s = 1;
	flow_run(&f, 1, NULL, NULL, 100, 20000);
	CHECK_BYTES("master read", f->mrd.p, f->mrd.len, out, 65536);
	CHECK(rs_wait_bytes(rs, mark, q.major, q.minor, TTYSCOPE_REC_OUT, 65536,
			    5000),
	      "OUT records missing");
	tsc_stats(r->fd, &st);
	CHECK(st.rd_buf_used > TTYSCOPE_BUF_MIN,
	      "only %u bytes queued after 64 KiB of output", st.rd_buf_used);
	EXPECT_ERRNO(tsc_set_bufsize(r->fd, TTYSCOPE_BUF_MIN), EBUSY,
		     "SET_BUFSIZE %u with %u bytes queued", TTYSCOPE_BUF_MIN,
		     st.rd_buf_used);
	CHECK(buf_size_of(r->fd) == TTYSCOPE_BUF_DEFAULT,
	      "rd_buf_size changed by a refused SET_BUFSIZE");
	rs_drain(r, 0);
	tv_build(r, 0, q.major, q.minor, &tv);
	CHECK(tv.n && tv.r[0].type == TTYSCOPE_REC_OPEN,
	      "queued records lost after EBUSY");
	tv_check_seq(&tv, "after EBUSY", 0, tv.n);
	CHECK_BYTES("queued OUT records after EBUSY", tv.out.p, tv.out.len, out,
		    65536);
	t_log("ok: queued records intact after EBUSY");
	tv_free(&tv);
	flow_free(f);
	free(out);
	rs_close(r);
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void *kick(void *arg)
{
	sleep_ms(300);
	pthread_kill(*(pthread_t *)arg, SIGUSR1);
	return NULL;
}

static void reads(void)
{
	struct rstream *r = rs_open("read", 0);
	uint8_t *buf = malloc(REC_MAX);
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct pty q;
	struct trec rec;
	pthread_t self = pthread_self(), thr;
	void *volatile nullp = NULL;
	ssize_t n;
	int fd;

	CHECK(buf, "out of memory");
	rs_drain(r, 0);
	EXPECT_ERRNO(read(r->fd, buf, REC_MAX), EAGAIN,
		     "O_NONBLOCK read of an empty reader");
	CHECK(poll(&pfd, 1, 100) == 0, "poll reports an empty reader readable");
	t_log("ok: poll of an empty reader: not readable");

	pty_open(&q); /* queues OPEN (80 bytes) */
	CHECK(poll(&pfd, 1, 5000) == 1 && (pfd.revents & POLLIN),
	      "poll: no POLLIN after a record was produced");
	EXPECT_ERRNO(read(r->fd, buf, REC_HDR - 1), EINVAL,
		     "read with a %zu-byte buffer", REC_HDR - 1);
	for (;;) { /* skip records of other ttys, if any */
		n = read(r->fd, buf,
			 REC_HDR + sizeof(struct ttyscope_rec_open) - 1);
		if (n < 0)
			break;
		rec_parse_chunk("read", buf, n, NULL, NULL);
	}
	CHECK(errno == EINVAL,
	      "read with a buffer 1 byte short of OPEN: %s, expected EINVAL",
	      errname(errno));
	t_log("ok: read with a buffer 1 byte short of the OPEN record -> EINVAL");
	EXPECT_ERRNO(read(r->fd, nullp, REC_MAX), EFAULT, "read into NULL");
	EXPECT_ERRNO(read(r->fd, unmapped, REC_MAX), EFAULT,
		     "read into a PROT_NONE page");
	EXPECT_ERRNO(read(r->fd, ro, REC_MAX), EFAULT,
		     "read into a read-only page");
	n = read(r->fd, buf, REC_HDR + sizeof(struct ttyscope_rec_open));
	if (n > 0) {
		rec_parse_chunk("read", buf, n, NULL, NULL);
		rec_decode(buf, &rec);
		if (rec.type == TTYSCOPE_REC_LOSS) {
			rec_print("[got] ", &rec);
			FAIL("after read() failed with EFAULT the queued OPEN record "
			     "was dropped (a LOSS record came instead); IOCTL.md: "
			     "\"it fails with EFAULT and the records stay queued\"");
		}
	}
	CHECK(n == (ssize_t)(REC_HDR + sizeof(struct ttyscope_rec_open)),
	      "read of exactly one OPEN record returned %zd (%s)", n,
	      n < 0 ? errname(errno) : "");
	CHECK(rec.type == TTYSCOPE_REC_OPEN && rec.major == q.major &&
		      rec.minor == q.minor,
	      "the record kept through EINVAL/EFAULT is %s %u:%u, not OPEN of %s",
	      rec_type_name(rec.type), rec.major, rec.minor, q.name);
	t_log("ok: the OPEN record stayed queued through EINVAL and EFAULT");
	pty_close(&q);

	/* a blocking read is interrupted by a signal */
	fd = open(RPL_PATH, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "open: %s", strerror(errno));
	sigaction(SIGUSR1, &sa, NULL); /* no SA_RESTART */
	CHECK(pthread_create(&thr, NULL, kick, &self) == 0, "pthread_create");
	EXPECT_ERRNO(
		read(fd, buf, REC_MAX), EINTR,
		"blocking read of an empty reader, interrupted by a signal");
	pthread_join(thr, NULL);
	close(fd);

	fd = open(RPL_PATH, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0, "open %s O_RDWR: %s", RPL_PATH, strerror(errno));
	EXPECT_ERRNO(write(fd, "x", 1), EINVAL, "write() to /dev/rpl");
	close(fd);
	free(buf);
	rs_close(r);
}

static void stats(void)
{
	struct ttyscope_stats st;
	uint32_t n;
	struct ttyscope_tty_info *e;

	EXPECT_OK(ioctl(ctl, TTYSCOPE_IOC_STATS, &st), "STATS");
	e = tsc_list_all(ctl, &n);
	free(e);
	CHECK(st.reserved[0] == 0 && st.reserved[1] == 0,
	      "STATS reserved %llu %llu", (unsigned long long)st.reserved[0],
	      (unsigned long long)st.reserved[1]);
	CHECK(st.ttys_captured == n, "STATS ttys_captured %u, LIST count %u",
	      st.ttys_captured, n);
	CHECK(st.readers >= 1 && st.rd_buf_size == 4u << 20 &&
		      st.rd_records <= st.records_produced,
	      "STATS readers %u rd_buf_size %u rd_records %llu records_produced %llu",
	      st.readers, st.rd_buf_size, (unsigned long long)st.rd_records,
	      (unsigned long long)st.records_produced);
	t_log("ok: STATS: ttys_captured %u == LIST, readers %u, produced %llu",
	      n, st.readers, (unsigned long long)st.records_produced);
}

int main(void)
{
	t_init("t-ioctl", 120);
	setup_memory();
	rs = rs_open("main", 4u << 20);
	ctl = rs->fd;
	rs_start(rs);
	pty_open(&p1);
	pty_open(&p2);
	pty_open(&p3);
	tty_setup(p1.slave, TTY_CANON, true);
	tty_setup(p2.slave, TTY_RAW, false);
	fd_nonblock(p1.slave, true);

	version();
	unknown();
	faults();
	list_faults();
	list();
	invalid_fields();
	attach_flags();
	inject();
	nodev();
	bufsize();
	reads();
	stats();

	pty_close(&p1);
	pty_close(&p2);
	pty_close(&p3);
	rs_close(rs);
	t_pass();
}
