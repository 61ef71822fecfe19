// SPDX-License-Identifier: GPL-2.0
/*
 * t-serial: ttys that are not pseudo-terminals.
 *
 * - The serial console ttyS0 was opened at boot, before the module: it is
 *   captured only after ATTACH; its OPEN says kind SERIAL and "ttyS0"; OUT
 *   is what a program wrote (before output processing); INJECT works; DETACH
 *   ends capture.
 * - A virtual console opened after the module loaded is captured from its
 *   first byte (kind VT), like every new tty.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/ttyscope.h>

static int failures;

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("[t-serial] %s: ", ok ? "ok" : "FAIL");
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	failures += !ok;
}

static uint8_t recs[1 << 20];
static size_t nrecs;

static void drain(int rpl)
{
	ssize_t n;

	usleep(200000);
	while ((n = read(rpl, recs + nrecs, sizeof(recs) - nrecs)) > 0)
		nrecs += n;
}

/* The @nth record of @type for @dev, or NULL; copies its header. */
static const uint8_t *find(unsigned int type, dev_t dev, unsigned int nth,
			   struct ttyscope_rec *h)
{
	size_t off;

	for (off = 0; off + sizeof(*h) <= nrecs; off += sizeof(*h) + h->len) {
		memcpy(h, recs + off, sizeof(*h));
		if (h->type == type && h->major == major(dev) &&
		    h->minor == minor(dev) && !nth--)
			return recs + off + sizeof(*h);
	}
	return NULL;
}

/* Whether the OUT records of @dev, concatenated, contain @s. */
static int out_contains(dev_t dev, const char *s)
{
	static char all[1 << 16];
	struct ttyscope_rec h;
	const uint8_t *p;
	size_t len = 0;
	unsigned int i;

	for (i = 0; (p = find(TTYSCOPE_REC_OUT, dev, i, &h)); i++) {
		if (len + h.len >= sizeof(all))
			break;
		memcpy(all + len, p, h.len);
		len += h.len;
	}
	all[len] = 0;
	return strstr(all, s) != NULL;
}

static void test_serial(int rpl)
{
	const char *msg = "t-serial: a line written to ttyS0\n";
	struct ttyscope_inject in;
	struct ttyscope_attach a;
	struct ttyscope_rec h;
	struct ttyscope_tty t;
	const uint8_t *p;
	struct stat st;
	int fd, ret;

	fd = open("/dev/ttyS0", O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st)) {
		check(0, "open /dev/ttyS0: %s", strerror(errno));
		return;
	}
	nrecs = 0;
	check(write(fd, "before attach\n", 14) == 14, "write before ATTACH");
	a = (struct ttyscope_attach){ .fd = fd };
	ret = ioctl(rpl, TTYSCOPE_IOC_ATTACH, &a);
	check(!ret && a.major == major(st.st_rdev) &&
		      a.minor == minor(st.st_rdev),
	      "ATTACH ttyS0 -> %u:%u", a.major, a.minor);
	check(write(fd, msg, strlen(msg)) == (ssize_t)strlen(msg),
	      "write after ATTACH");
	in = (struct ttyscope_inject){ .major = a.major,
				       .minor = a.minor,
				       .len = 3,
				       .data = (uintptr_t) "ok\n" };
	ret = ioctl(rpl, TTYSCOPE_IOC_INJECT, &in);
	check(ret == 3, "INJECT into ttyS0 returns %d", ret);
	t = (struct ttyscope_tty){ .major = a.major, .minor = a.minor };
	check(!ioctl(rpl, TTYSCOPE_IOC_DETACH, &t), "DETACH ttyS0");
	check(write(fd, "after detach\n", 13) == 13, "write after DETACH");
	drain(rpl);

	p = find(TTYSCOPE_REC_OPEN, st.st_rdev, 0, &h);
	check(p && h.flags == TTYSCOPE_RF_ATTACHED && h.seq == 0 &&
		      p[0] == TTYSCOPE_KIND_SERIAL &&
		      !strcmp((const char *)p + 8, "ttyS0"),
	      "OPEN: attached, kind serial, name \"%s\"",
	      p ? (const char *)p + 8 : "?");
	check(out_contains(st.st_rdev, msg),
	      "OUT holds exactly the bytes written, before ONLCR");
	check(!out_contains(st.st_rdev, "before attach") &&
		      !out_contains(st.st_rdev, "after detach"),
	      "nothing is captured before ATTACH or after DETACH");
	p = find(TTYSCOPE_REC_INJECT, st.st_rdev, 0, &h);
	check(p && h.len == 11 && !memcmp(p + 8, "ok\n", 3),
	      "INJECT record on ttyS0");
	check(find(TTYSCOPE_REC_CLOSE, st.st_rdev, 0, &h) &&
		      h.flags == TTYSCOPE_RF_ATTACHED,
	      "CLOSE (attached) after DETACH");
	close(fd);
}

static void test_vt(int rpl)
{
	struct ttyscope_rec h;
	const uint8_t *p;
	struct stat st;
	int fd;

	nrecs = 0;
	fd = open("/dev/tty2", O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st)) {
		check(0, "open /dev/tty2: %s", strerror(errno));
		return;
	}
	check(write(fd, "vt line\n", 8) == 8, "write to tty2");
	drain(rpl);
	p = find(TTYSCOPE_REC_OPEN, st.st_rdev, 0, &h);
	check(p && h.flags == 0 && h.seq == 0 && p[0] == TTYSCOPE_KIND_VT &&
		      !strcmp((const char *)p + 8, "tty2"),
	      "tty2 opened after insmod is captured: OPEN kind VT \"%s\"",
	      p ? (const char *)p + 8 : "?");
	check(out_contains(st.st_rdev, "vt line\n"), "tty2 OUT \"vt line\\n\"");
	close(fd);
}

int main(void)
{
	int rpl;

	setvbuf(stdout, NULL, _IOLBF, 0);
	rpl = open("/dev/rpl", O_RDONLY | O_NONBLOCK);
	if (rpl < 0)
		return perror("open /dev/rpl"), 1;
	test_serial(rpl);
	test_vt(rpl);
	printf("%s t-serial\n", failures ? "FAIL" : "PASS");
	return failures ? 1 : 0;
}
