// SPDX-License-Identifier: GPL-2.0
/*
 * t-compat32: the ioctls of /dev/rpl from a 32-bit (i386) process on the
 * 64-bit kernel. Built with -m32 and without lib.c (tests/vm/guest.mk).
 *
 * The structures must have the same layout for both ABIs (fixed-width
 * fields, __aligned_u64 pointers), and compat_ptr_ioctl() must pass them
 * through: every request is made with real data and checked for effect.
 * A second reader maps its buffer (32-bit mmap offsets, the same control
 * page layout) and finds a record in it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>
#include <linux/ttyscope.h>

_Static_assert(sizeof(void *) == 4, "t-compat32 must be built with -m32");
_Static_assert(sizeof(struct ttyscope_rec) == 40, "record header");
_Static_assert(sizeof(struct ttyscope_tty_info) == 168, "tty_info");
_Static_assert(sizeof(struct ttyscope_list) == 24, "list");
_Static_assert(sizeof(struct ttyscope_inject) == 32, "inject");
_Static_assert(sizeof(struct ttyscope_stats) == 96, "stats");
_Static_assert(sizeof(struct ttyscope_version) == 32, "version");
_Static_assert(sizeof(struct ttyscope_mmap_ctl) == 128, "mmap_ctl");

static int failures;

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("[t-compat32] %s: ", ok ? "ok" : "FAIL");
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	failures += !ok;
}

/* Read what the slave has within @ms milliseconds. */
static ssize_t read_wait(int fd, char *buf, size_t n, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, ms) <= 0)
		return 0;
	return read(fd, buf, n);
}

/* Find, in @n bytes of records, one of @type for 136:@minor; copy its payload. */
static int find_rec(const uint8_t *buf, size_t n, unsigned int type,
		    unsigned int minor, char *payload, size_t max)
{
	struct ttyscope_rec h;
	size_t off;

	for (off = 0; off + sizeof(h) <= n; off += sizeof(h) + h.len) {
		memcpy(&h, buf + off, sizeof(h));
		if (h.magic != TTYSCOPE_REC_MAGIC)
			return -1;
		if (h.type == type && h.minor == minor) {
			memcpy(payload, buf + off + sizeof(h),
			       h.len < max ? h.len : max);
			return (int)h.len;
		}
	}
	return -1;
}

int main(void)
{
	static uint8_t recs[1 << 20];
	struct ttyscope_tty_info info[64];
	struct ttyscope_version v;
	struct ttyscope_stats st;
	struct ttyscope_list l;
	struct ttyscope_pass p;
	struct ttyscope_inject in;
	struct ttyscope_attach a;
	struct ttyscope_bufsize b = { .size = 65536 };
	struct ttyscope_tty t;
	struct stat sb;
	char buf[256], payload[64];
	unsigned int i, found = 0;
	ssize_t n, total = 0;
	int rpl, rpl2, m, s, ret;
	struct ttyscope_mmap_ctl *ctl;
	struct pollfd pfd;
	uint8_t *ring;
	uint32_t head;

	setvbuf(stdout, NULL, _IOLBF, 0);
	rpl = open("/dev/rpl", O_RDONLY | O_NONBLOCK);
	check(rpl >= 0, "open /dev/rpl from a 32-bit process");
	if (rpl < 0)
		return 1;

	ret = ioctl(rpl, TTYSCOPE_IOC_VERSION, &v);
	check(!ret && v.abi_version == TTYSCOPE_ABI_VERSION &&
		      v.max_payload == TTYSCOPE_MAX_PAYLOAD,
	      "VERSION: abi %u, max payload %u", v.abi_version, v.max_payload);
	check(!ioctl(rpl, TTYSCOPE_IOC_SET_BUFSIZE, &b), "SET_BUFSIZE 64 KiB");

	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) || unlockpt(m))
		return perror("posix_openpt"), 1;
	s = open(ptsname(m), O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (s < 0 || fstat(s, &sb))
		return perror("open slave"), 1;

	l = (struct ttyscope_list){ .capacity = 64,
				    .entries = (uintptr_t)info };
	ret = ioctl(rpl, TTYSCOPE_IOC_LIST, &l);
	for (i = 0; !ret && i < l.count && i < 64; i++)
		if (info[i].major == major(sb.st_rdev) &&
		    info[i].minor == minor(sb.st_rdev))
			found = 1;
	check(!ret && found, "LIST through a 32-bit entries pointer lists %s",
	      ptsname(m));

	p = (struct ttyscope_pass){ .major = major(sb.st_rdev),
				    .minor = minor(sb.st_rdev),
				    .operator_uid = 32 };
	check(!ioctl(rpl, TTYSCOPE_IOC_SET_PASS, &p), "SET_PASS 0");
	check(write(m, "typed\n", 6) == 6, "write to the master");
	n = read_wait(s, buf, sizeof(buf), 300);
	check(n == 0, "blocked input does not reach the slave (read %zd)", n);

	in = (struct ttyscope_inject){ .major = p.major,
				       .minor = p.minor,
				       .len = 7,
				       .operator_uid = 3232,
				       .data = (uintptr_t) "hello!\n" };
	ret = ioctl(rpl, TTYSCOPE_IOC_INJECT, &in);
	check(ret == 7, "INJECT through a 32-bit data pointer returns %d", ret);
	n = read_wait(s, buf, sizeof(buf), 2000);
	check(n == 7 && !memcmp(buf, "hello!\n", 7),
	      "the slave reads the injected line");
	in.data = 0;
	errno = 0;
	check(ioctl(rpl, TTYSCOPE_IOC_INJECT, &in) == -1 && errno == EFAULT,
	      "INJECT with a NULL data pointer: EFAULT");

	p.pass = 1;
	check(!ioctl(rpl, TTYSCOPE_IOC_SET_PASS, &p), "SET_PASS 1");
	t = (struct ttyscope_tty){ .major = p.major, .minor = p.minor };
	check(!ioctl(rpl, TTYSCOPE_IOC_DETACH, &t), "DETACH");
	a = (struct ttyscope_attach){ .fd = m };
	ret = ioctl(rpl, TTYSCOPE_IOC_ATTACH, &a);
	check(!ret && a.major == p.major && a.minor == p.minor,
	      "ATTACH by the master's fd returns %u:%u", a.major, a.minor);

	ret = ioctl(rpl, TTYSCOPE_IOC_STATS, &st);
	check(!ret && st.readers >= 1 && st.rd_buf_size == 65536 &&
		      st.rd_records > 0,
	      "STATS: %u readers, buffer %u, %llu records", st.readers,
	      st.rd_buf_size, (unsigned long long)st.rd_records);

	while ((n = read(rpl, recs + total, sizeof(recs) - total)) > 0)
		total += n;
	ret = find_rec(recs, total, TTYSCOPE_REC_INJECT, p.minor, payload,
		       sizeof(payload));
	check(ret == 15 && !memcmp(payload + 8, "hello!\n", 7) &&
		      payload[0] == (char)(3232 & 0xff),
	      "INJECT record with the operator uid and the bytes");
	ret = find_rec(recs, total, TTYSCOPE_REC_IN_DROPPED, p.minor, payload,
		       sizeof(payload));
	check(ret == 6 && !memcmp(payload, "typed\n", 6),
	      "IN_DROPPED record with the blocked bytes");

	/* a mapped reader */
	rpl2 = open("/dev/rpl", O_RDWR | O_NONBLOCK);
	check(rpl2 >= 0, "open a second reader");
	ctl = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, rpl2,
		   TTYSCOPE_MMAP_CTL);
	check(ctl != MAP_FAILED && ctl->size == TTYSCOPE_BUF_DEFAULT,
	      "mmap of the control page: size %u",
	      ctl != MAP_FAILED ? ctl->size : 0);
	if (ctl == MAP_FAILED)
		return 1;
	ring = mmap(NULL, ctl->size, PROT_READ, MAP_SHARED, rpl2,
		    TTYSCOPE_MMAP_DATA);
	check(ring != MAP_FAILED, "mmap of the ring");
	if (ring == MAP_FAILED)
		return 1;
	check(write(m, "mapped\n", 7) == 7, "write to the master");
	pfd = (struct pollfd){ .fd = rpl2, .events = POLLIN };
	check(poll(&pfd, 1, 2000) == 1, "poll() on the mapped reader");
	/*
	 * poll() reports the first record; a WINSIZE or SESSION sample may
	 * come before the IN record, published separately.
	 */
	for (int i = 0;; i++) {
		head = __atomic_load_n(&ctl->head, __ATOMIC_ACQUIRE);
		ret = find_rec(ring, head - ctl->tail, TTYSCOPE_REC_IN, p.minor,
			       payload, sizeof(payload));
		if (ret >= 0 || i == 200)
			break;
		usleep(10000);
	}
	check(!ctl->tail && ret == 7 && !memcmp(payload, "mapped\n", 7),
	      "IN record in the mapping (head %u)", head);
	__atomic_store_n(&ctl->tail, head, __ATOMIC_RELEASE);
	ret = ioctl(rpl2, TTYSCOPE_IOC_STATS, &st);
	check(!ret && st.rd_buf_used == 0, "consumed by the tail: %u used",
	      st.rd_buf_used);
	errno = 0;
	check(read(rpl2, buf, sizeof(buf)) == -1 && errno == EBUSY,
	      "read() of a mapped reader: EBUSY");
	munmap(ring, ctl->size);
	munmap(ctl, 4096);
	close(rpl2);

	errno = 0;
	check(ioctl(rpl, TTYSCOPE_IOC_HANGUP, NULL) == -1 && errno == EFAULT,
	      "HANGUP with a NULL argument: EFAULT");
	check(!ioctl(rpl, TTYSCOPE_IOC_HANGUP, &t), "HANGUP");
	close(s);
	close(m);
	close(rpl);
	printf("%s t-compat32\n", failures ? "FAIL" : "PASS");
	return failures ? 1 : 0;
}
