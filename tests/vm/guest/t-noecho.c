// SPDX-License-Identifier: GPL-2.0
/*
 * t-noecho: input typed while ECHO is off (a password prompt) is flagged.
 *
 *   - canonical, ECHO off: "hunter2\n" reaches the slave, nothing is echoed,
 *     IN records carry exactly those bytes, every one with
 *     TTYSCOPE_RF_NOECHO, and no OUT record appears;
 *   - canonical, ECHO on: "visible\n" is echoed as "visible\r\n", its IN
 *     records have no flag, OUT == "visible\r\n";
 *   - raw (ICANON off): IN carries TTYSCOPE_RF_NONCANON, plus
 *     TTYSCOPE_RF_NOECHO when ECHO is off (a password prompt is NOECHO
 *     without NONCANON);
 *   - pass 0: dropped input is IN_DROPPED with TTYSCOPE_RF_NOECHO when ECHO
 *     is off and without it when ECHO is on.
 */
#include "lib.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct rstream *rs;
static int ctl;
static struct pty p;

/*
 * type() - type @s on the master; check the slave gets @slave_gets (NULL:
 * nothing) and the master shows @echo; then check the records since @from
 * of @type carry exactly @s, each with @flags, and OUT carries @echo.
 */
static void type(const char *s, const char *slave_gets, const char *echo,
		 unsigned int rtype, uint32_t flags, const char *what)
{
	size_t from = rs_count(rs), n = strlen(s);
	struct buf b = { 0 };
	struct tview tv;

	write_all(p.master, s, n, what);
	if (slave_gets) {
		CHECK(read_until(p.slave, &b, strlen(slave_gets), 3000),
		      "%s: slave got \"%s\"", what, printable(b.p, b.len));
		CHECK_BYTES(what, b.p, b.len, slave_gets, strlen(slave_gets));
	} else {
		CHECK(fd_quiet(p.slave, 300), "%s: input reached the slave",
		      what);
	}
	b.len = 0;
	if (*echo) {
		CHECK(read_until(p.master, &b, strlen(echo), 3000),
		      "%s: echo \"%s\"", what, printable(b.p, b.len));
		CHECK_BYTES("echo", b.p, b.len, echo, strlen(echo));
	}
	CHECK(fd_quiet(p.master, 200), "%s: unexpected output on the master",
	      what);
	CHECK(rs_wait_bytes(rs, from, p.major, p.minor, rtype, n, 5000),
	      "%s: %s records for \"%s\" did not appear", what,
	      rec_type_name(rtype), printable(s, n));
	if (*echo)
		CHECK(rs_wait_bytes(rs, from, p.major, p.minor,
				    TTYSCOPE_REC_OUT, strlen(echo), 5000),
		      "%s: OUT records for the echo did not appear", what);
	tv_build(rs, from, p.major, p.minor, &tv);
	CHECK_BYTES(rec_type_name(rtype),
		    rtype == TTYSCOPE_REC_IN ? tv.in.p : tv.dropped.p,
		    rtype == TTYSCOPE_REC_IN ? tv.in.len : tv.dropped.len, s,
		    n);
	CHECK_BYTES("OUT", tv.out.p, tv.out.len, echo, strlen(echo));
	for (size_t i = 0; i < tv.n; i++)
		if (tv.r[i].type == rtype && tv.r[i].flags != flags) {
			tv_print(&tv, 20);
			FAIL("%s: %s record has flags 0x%x, expected 0x%x",
			     what, rec_type_name(rtype), tv.r[i].flags, flags);
		}
	t_log("ok: %s: %s \"%s\" flags 0x%x, OUT \"%s\"", what,
	      rec_type_name(rtype), printable(s, n), flags,
	      printable(tv.out.p, tv.out.len));
	tv_free(&tv);
	buf_free(&b);
}

int main(void)
{
	size_t m;

	t_init("t-noecho", 60);
	rs = rs_open("main", 4u << 20);
	ctl = rs->fd;
	rs_start(rs);
	m = rs_count(rs);
	pty_open(&p);
	CHECK(rs_wait_rec(rs, m, p.major, p.minor, TTYSCOPE_REC_OPEN, 5000) >=
		      0,
	      "no OPEN for %s", p.name);

	tty_setup(p.slave, TTY_CANON, false);
	type("hunter2\n", "hunter2\n", "", TTYSCOPE_REC_IN, TTYSCOPE_RF_NOECHO,
	     "canonical, ECHO off");
	tty_set_echo(p.slave, true);
	type("visible\n", "visible\n", "visible\r\n", TTYSCOPE_REC_IN, 0,
	     "canonical, ECHO on");
	tty_setup(p.slave, TTY_RAW, false);
	type("abc", "abc", "", TTYSCOPE_REC_IN,
	     TTYSCOPE_RF_NOECHO | TTYSCOPE_RF_NONCANON, "raw, ECHO off");
	tty_setup(p.slave, TTY_RAW, true);
	type("def", "def", "def", TTYSCOPE_REC_IN, TTYSCOPE_RF_NONCANON,
	     "raw, ECHO on (a line editor's settings minus its own echo)");
	EXPECT_OK(tsc_set_pass(ctl, p.major, p.minor, 0, 0),
		  "SET_PASS 0 (raw)");
	type("q", NULL, "", TTYSCOPE_REC_IN_DROPPED, TTYSCOPE_RF_NONCANON,
	     "pass 0, raw, ECHO on (dropped: no echo)");
	tty_set_echo(p.slave, false);
	type("r", NULL, "", TTYSCOPE_REC_IN_DROPPED,
	     TTYSCOPE_RF_NOECHO | TTYSCOPE_RF_NONCANON,
	     "pass 0, raw, ECHO off");
	EXPECT_OK(tsc_set_pass(ctl, p.major, p.minor, 1, 0),
		  "SET_PASS 1 (raw)");

	tty_setup(p.slave, TTY_CANON, false);
	EXPECT_OK(tsc_set_pass(ctl, p.major, p.minor, 0, 0), "SET_PASS 0");
	type("pw\n", NULL, "", TTYSCOPE_REC_IN_DROPPED, TTYSCOPE_RF_NOECHO,
	     "pass 0, ECHO off");
	tty_set_echo(p.slave, true);
	type("x\n", NULL, "", TTYSCOPE_REC_IN_DROPPED, 0, "pass 0, ECHO on");
	EXPECT_OK(tsc_set_pass(ctl, p.major, p.minor, 1, 0), "SET_PASS 1");
	type("y\n", "y\n", "y\r\n", TTYSCOPE_REC_IN, 0, "pass 1, ECHO on");

	m = rs_count(rs);
	pty_close(&p);
	CHECK(rs_wait_rec(rs, m, p.major, p.minor, TTYSCOPE_REC_CLOSE, 5000) >=
		      0,
	      "no CLOSE");
	rs_close(rs);
	t_pass();
}
