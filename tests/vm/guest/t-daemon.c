// SPDX-License-Identifier: GPL-2.0
/*
 * t-daemon: ttyscoped and ttyscope end to end, on the real /dev/rpl.
 *
 * /usr/sbin/ttyscoped runs with its defaults (logs in /var/log/ttyscope on a
 * fresh tmpfs, socket /run/ttyscope/ttyscope.sock, group ttyscope) while
 * this test reads /dev/rpl itself. Scripted sessions, each a program on the
 * slave side (its own session, the pty as controlling tty) and a master
 * side that keeps every byte it wrote and read:
 *   login  canonical; a password read with ECHO off; UTF-8, colours; resize
 *   raw    as nobody, cfmakeraw: all 256 byte values both ways, invalid
 *          UTF-8, characters split across writes; resize
 *   shell  canonical; line editing (DEL), an OSC title, 1.3 MB of output,
 *          a lone CR, and a CR LF written (CR CR LF on the screen)
 *   victim operated through the socket (below), ended by HANGUP
 *   idle   no session; still open when the daemon stops
 * Socket (docs/PROTOCOL.md, spoken with tsc-proto): the directory is 0750
 * and the socket 0660, root:ttyscope; a uid outside the group cannot reach
 * it, and when it can (CAP_DAC_OVERRIDE) the daemon refuses it (REPLY 0,
 * EACCES); members by primary or supplementary group get HELLO with their
 * uid. LIST shows the live ttys with the fields of their last records.
 * BLOCK (as a member, uid 1000): typed bytes never reach the program and
 * are not echoed; INJECT reaches it; UNBLOCK restores typing; HANGUP kills
 * the session leader with SIGHUP. Each is audited with the operator's uid.
 * SIGTERM: the daemon exits 0 and removes the socket.
 * Device: the daemon maps its buffer of /dev/rpl (control page and ring,
 * and says so), consumes more records than the ring holds (so they wrap
 * around its end), and every check above holds on records consumed that way.
 * Logs: directories 0700, files 0600; exactly one file per session, named
 * %u/%Y%m%d.%H%M%S.%t (.1, .2 ... for equal names, in OPEN order); header
 * (tty, user, uid, host, start); the records are the ones this test read
 * from /dev/rpl, the ECHO-off line masked with '*'; OUT == the master's
 * bytes, IN == its keystrokes, IN_DROPPED and INJECT as done; the victim's
 * log ends HANGUP, CLOSE; the idle one, cut by SIGTERM, has its index.
 * Command line, on every log: `replay --text` == the documented text
 * conversion of the master's bytes, `replay` == the master's bytes (text
 * sessions); `export -f script` data == the master's bytes, one O line per
 * OUT record at its time, S lines for resizes; `export -f asciicast-v2`
 * decoded == the master's bytes as UTF-8 (U+FFFD for each maximal
 * ill-formed subsequence), events at OUT record times, resize events;
 * `import` of that cast gives the same output; `logs` lists each file once
 * and filters by user and text.
 */
#include "lib.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tsc-proto.h"
#include "ttyscope.h"

#define DAEMON "/usr/sbin/ttyscoped"
#define CLI "/usr/bin/ttyscope"
#define VARLOG "/var/log"
#define LOG_DIR "/var/log/ttyscope"
#define RUN "/run"
#define SOCK_DIR "/run/ttyscope"
#define SOCK_PATH "/run/ttyscope/ttyscope.sock"
#define DAEMON_ERR "/tmp/ttyscoped.err"
#define WORK "/tmp/t-daemon"

#define OPERATOR_UID 1000u /* member through a supplementary group */
#define STRANGER_UID 1001u /* not a member */
#define MEMBER_UID 1002u /* member through its primary group */
#define NOBODY 65534u

static struct rstream *rs;
static pid_t daemon_pid;
static gid_t group_gid;

/* ---- failure reports ------------------------------------------------- */

static void dump_file(const char *path, const char *title)
{
	char line[512];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	printf("[%s] --- %s (%s):\n", t_name, title, path);
	while (fgets(line, sizeof(line), f))
		printf("[%s]   | %s%s", t_name, line,
		       strchr(line, '\n') ? "" : "\n");
	fclose(f);
}

/* CHECK() that shows the daemon's messages when it fails. */
#define DCHECK(cond, ...)                                            \
	do {                                                         \
		if (!(cond)) {                                       \
			dump_file(DAEMON_ERR, "ttyscoped messages"); \
			t_check_failed(__FILE__, __LINE__, #cond,    \
				       __VA_ARGS__);                 \
		}                                                    \
	} while (0)

static void read_file(const char *path, struct buf *b)
{
	uint8_t tmp[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	b->len = 0;
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		buf_append(b, tmp, n);
	CHECK(n == 0, "read %s: %s", path, strerror(errno));
	close(fd);
}

static bool file_has(const char *path, const char *s)
{
	struct buf b = { 0 };
	bool r;

	read_file(path, &b);
	r = b.len && memmem(b.p, b.len, s, strlen(s));
	buf_free(&b);
	return r;
}

/* ---- sessions: the master side ----------------------------------------- */

enum in_kind { IN_PLAIN, IN_MASKED, IN_BLOCKED };

/*
 * struct sess - one tty session. The master side keeps every byte it read
 * (@rd) and what the log must hold as IN (@in_log, masked where ECHO was
 * off in canonical mode) and IN_DROPPED (@dropped).
 */
struct sess {
	const char *what; /* also the program's command name */
	struct pty p;
	pid_t child;
	int lines; /* victim: what the program read, from a pipe */
	uint32_t uid;
	const char *user;
	bool text; /* the output is text: replay and --text compare */
	bool live; /* still open when the daemon stops */
	struct buf rd, in_log, dropped, injected;
	size_t seen; /* @rd up to here was matched by m_expect() */
	size_t mark; /* rs index before its OPEN */
	long open_idx; /* rs index of its OPEN */
	uint64_t open_ns;
	char log[512]; /* its log file */
};

static void sess_init(struct sess *s, const char *what, uint32_t uid,
		      const char *user, bool text)
{
	memset(s, 0, sizeof(*s));
	s->what = what;
	s->uid = uid;
	s->user = user;
	s->text = text;
	s->lines = -1;
	s->child = -1;
	s->mark = rs_count(rs);
	pty_open(&s->p);
	s->open_idx = rs_wait_rec(rs, s->mark, s->p.major, s->p.minor,
				  TTYSCOPE_REC_OPEN, 5000);
	CHECK(s->open_idx >= 0, "%s: no OPEN record for %s", what, s->p.name);
	{
		struct trec r;

		rs_lock(rs);
		rs_get(rs, s->open_idx, &r);
		rs_unlock(rs);
		s->open_ns = r.ts_ns;
	}
	t_log("%s: %s", what, s->p.name);
}

/* Read what the master has within @ms; false at EOF/EIO. */
static bool m_read(struct sess *s, int ms)
{
	uint8_t tmp[65536];
	struct pollfd pfd = { .fd = s->p.master, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, ms) <= 0)
		return true;
	n = read(s->p.master, tmp, sizeof(tmp));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	if (n <= 0)
		return false;
	buf_append(&s->rd, tmp, n);
	return true;
}

/* Read the master until @want (len @n) appears after what was matched. */
static void m_expect_n(struct sess *s, const void *want, size_t n)
{
	uint64_t deadline = mono_ns() + 10000000000ull;

	for (;;) {
		uint8_t *at = s->rd.len > s->seen ?
				      memmem(s->rd.p + s->seen,
					     s->rd.len - s->seen, want, n) :
				      NULL;

		if (at) {
			s->seen = at - s->rd.p + n;
			return;
		}
		if (mono_ns() > deadline || !m_read(s, 100)) {
			size_t from = s->seen;

			if (s->rd.len > from + 400)
				from = s->rd.len - 400;
			FAIL("%s: the master did not read \"%s\" within 10 s; read since: \"%s\"",
			     s->what, printable(want, n),
			     printable(s->rd.p + from, s->rd.len - from));
		}
	}
}

static void m_expect(struct sess *s, const char *want)
{
	m_expect_n(s, want, strlen(want));
}

/* Type @n bytes into the master; @kind says how the log must show them. */
static void m_send_n(struct sess *s, const void *data, size_t n,
		     enum in_kind kind)
{
	write_all(s->p.master, data, n, s->what);
	if (kind == IN_BLOCKED) {
		buf_append(&s->dropped, data, n);
	} else if (kind == IN_MASKED) {
		for (size_t i = 0; i < n; i++)
			buf_append(&s->in_log, "*", 1);
	} else {
		buf_append(&s->in_log, data, n);
	}
}

static void m_send(struct sess *s, const char *data, enum in_kind kind)
{
	m_send_n(s, data, strlen(data), kind);
}

static void m_resize(struct sess *s, unsigned short rows, unsigned short cols)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };

	CHECK(ioctl(s->p.master, TIOCSWINSZ, &ws) == 0, "%s: TIOCSWINSZ: %s",
	      s->what, strerror(errno));
}

/* Read the master up to EOF/EIO, then close the pair; wait for CLOSE. */
static void m_end(struct sess *s)
{
	uint64_t deadline = mono_ns() + 10000000000ull;

	while (m_read(s, 100))
		CHECK(mono_ns() < deadline,
		      "%s: the master did not reach EOF/EIO within 10 s",
		      s->what);
	pty_close(&s->p);
	CHECK(rs_wait_rec(rs, s->open_idx, s->p.major, s->p.minor,
			  TTYSCOPE_REC_CLOSE, 10000) >= 0,
	      "%s: no CLOSE record for %s", s->what, s->p.name);
}

/* ---- sessions: the program on the slave side ---------------------------- */

static void c_die(const char *what, const char *msg)
{
	printf("[%s] program %s (pid %d): %s\n", t_name, what, (int)getpid(),
	       msg);
	fflush(stdout);
	_exit(2);
}

static void c_write(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			c_die("?", "write to the tty failed");
		p = (const uint8_t *)p + w;
		n -= w;
	}
}

static void c_puts(int fd, const char *s)
{
	c_write(fd, s, strlen(s));
}

/* One canonical read must return exactly @want. */
static void c_line(int fd, const char *want, const char *what)
{
	char line[4096], msg[4400];
	ssize_t n = read(fd, line, sizeof(line));

	if (n == (ssize_t)strlen(want) && !memcmp(line, want, n))
		return;
	snprintf(msg, sizeof(msg), "read \"%s\", expected \"%s\"",
		 n < 0 ? strerror(errno) : printable(line, n),
		 printable(want, strlen(want)));
	c_die(what, msg);
}

/* Read exactly @n bytes (raw mode) and compare. */
static void c_bytes(int fd, const uint8_t *want, size_t n, const char *what)
{
	uint8_t *got = malloc(n);
	size_t have = 0;

	if (!got)
		c_die(what, "out of memory");
	while (have < n) {
		ssize_t r = read(fd, got + have, n - have);

		if (r <= 0)
			c_die(what, "read from the tty failed");
		have += r;
	}
	if (memcmp(got, want, n))
		c_die(what, "read other bytes than were typed");
	free(got);
}

/* Wait for SIGWINCH (blocked since the fork) and print the new size. */
static void c_winch(int fd, const char *fmt)
{
	struct winsize ws;
	sigset_t set;
	char out[128];
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	if (sigwait(&set, &sig) || ioctl(fd, TIOCGWINSZ, &ws) < 0)
		c_die("?", "no SIGWINCH");
	snprintf(out, sizeof(out), fmt, ws.ws_row, ws.ws_col);
	c_puts(fd, out);
}

static const char welcome[] =
	"\nWelcome, alice! Gr\xc3\xbc\xc3\x9f"
	"e \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xe2\x82\xac "
	"\xf0\x9f\x99\x82\n\x1b[1;32mgreen\x1b[0m\tdone\n";

static int prog_login(int fd, int aux)
{
	(void)aux;
	c_puts(fd, "login: ");
	c_line(fd, "alice\n", "login");
	tty_set_echo(fd, false);
	c_puts(fd, "Password: ");
	c_line(fd, "hunter2\n", "login");
	tty_set_echo(fd, true);
	c_puts(fd, welcome);
	c_winch(fd, "window %ux%u\n$ ");
	c_line(fd, "exit\n", "login");
	c_puts(fd, "logout\n");
	return 0;
}

/* The raw session's keystrokes: every byte value, then UTF-8. */
static size_t raw_keys(uint8_t *p)
{
	static const char tail[] =
		"\xc3\x84\xc3\x96 \xe6\x97\xa5 \xf0\x9f\x99\x82";
	struct rng r = { 0x5eed };

	for (int i = 0; i < 256; i++)
		p[i] = i;
	for (int i = 255; i > 0; i--) {
		int j = rng_below(&r, i + 1);
		uint8_t t = p[i];

		p[i] = p[j];
		p[j] = t;
	}
	memcpy(p + 256, tail, sizeof(tail) - 1);
	return 256 + sizeof(tail) - 1;
}

/*
 * The raw program's output: every byte value, ill-formed UTF-8, and a
 * character cut by a write boundary (@cut: where the writes are split).
 */
static size_t raw_blob(uint8_t *p, size_t *cut)
{
	static const char bad[] = "\xc3(\xe2\x82\xc0\xaf\xed\xa0\x80"
				  "\xf4\x90\x80\x80\xff\xfe\x80"
				  "\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x99\x82";
	struct rng r = { 0xb10b };
	size_t n = 0;

	memcpy(p, "BIN:", 4);
	n = 4;
	for (int i = 0; i < 256; i++)
		p[n++] = i;
	memcpy(p + n, bad, sizeof(bad) - 1);
	n += sizeof(bad) - 1;
	cut[0] = n - 2; /* inside the emoji */
	rng_bytes(&r, p + n, 2048);
	n += 2048;
	memcpy(p + n, "\xe2\x82\xac", 3);
	cut[1] = n + 1; /* inside the euro sign */
	return n + 3;
}

static int prog_raw(int fd, int aux)
{
	uint8_t keys[512], blob[4096];
	size_t nk = raw_keys(keys), cut[2], nb = raw_blob(blob, cut);

	(void)aux;
	tty_setup(fd, TTY_RAW, false);
	c_puts(fd, "READY\r\n");
	c_bytes(fd, keys, nk, "raw");
	c_puts(fd, "ECHO:");
	c_write(fd, keys, nk);
	c_write(fd, blob, cut[0]);
	sleep_ms(30);
	c_write(fd, blob + cut[0], cut[1] - cut[0]);
	sleep_ms(30);
	c_write(fd, blob + cut[1], nb - cut[1]);
	c_puts(fd, "\r\nwaiting\r\n");
	c_winch(fd, "size %ux%u\r\n");
	c_bytes(fd, (const uint8_t *)"q", 1, "raw");
	c_puts(fd, "BYE\r\n");
	return 0;
}

static int prog_shell(int fd, int aux)
{
	char line[128];

	(void)aux;
	c_puts(fd, "$ ");
	c_line(fd, "hello w\xc3\xb6rld\n", "shell");
	c_puts(fd, "\x1b]0;shell title\x07You typed: hello w\xc3\xb6rld\n$ ");
	c_line(fd, "cat big\n", "shell");
	/* with the record headers, more than the daemon's 1 MiB ring */
	for (int i = 0; i < 20000; i++) {
		int n = snprintf(line, sizeof(line),
				 "%04d \xc3\x9cn\xc3\xaf"
				 "c\xc3\xb6"
				 "d\xc3\xa9 \xe2\x9c\x93 the quick brown fox "
				 "jumps over the lazy dog\n",
				 i);

		c_write(fd, line, n);
	}
	/* "\r\n" becomes "\r\r\n" through ONLCR */
	c_puts(fd, "progress 10%\rprogress 100%\r\n$ ");
	c_line(fd, "exit\n", "shell");
	return 0;
}

/* Echo every line it reads, and report it on @aux (a pipe). */
static int prog_victim(int fd, int aux)
{
	char line[512], out[600];

	for (;;) {
		ssize_t n;

		c_puts(fd, "> ");
		n = read(fd, line, sizeof(line));
		if (n <= 0)
			return 3;
		c_write(aux, line, n);
		snprintf(out, sizeof(out), "got %.*s\n", (int)n - 1, line);
		c_puts(fd, out);
	}
}

/*
 * Start @prog on the slave: a new session with the pty as controlling
 * tty, command name @s->what, running as @s->uid.
 */
static void spawn(struct sess *s, int (*prog)(int fd, int aux), int aux)
{
	sigset_t set;
	pid_t pid;

	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	pid = t_fork();
	if (pid == 0) {
		int fd;

		prctl(PR_SET_NAME, s->what);
		sigprocmask(SIG_BLOCK, &set, NULL);
		close(s->p.master);
		if (setsid() < 0)
			c_die(s->what, "setsid failed");
		fd = open(s->p.path, O_RDWR); /* the controlling tty */
		if (fd < 0)
			c_die(s->what, "cannot open the slave");
		close(s->p.slave);
		if (s->uid &&
		    (setgroups(0, NULL) || setgid(s->uid) || setuid(s->uid)))
			c_die(s->what, "cannot change uid");
		_exit(prog(fd, aux));
	}
	t_track_child(pid);
	s->child = pid;
	close(s->p.slave);
	s->p.slave = -1;
}

static void expect_exit(struct sess *s, int status)
{
	int st = wait_child(s->child, 10000, s->what);

	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == status,
	      "%s: program ended with status 0x%x, expected exit %d", s->what,
	      st, status);
}

/* ---- the daemon and its socket -------------------------------------- */

static bool has_rpl_open(pid_t pid)
{
	char dir[64], path[600], target[64];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		ssize_t n;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		found = n == (ssize_t)strlen(RPL_PATH) &&
			!memcmp(target, RPL_PATH, n);
	}
	closedir(d);
	return found;
}

/*
 * Number of mappings of /dev/rpl in @pid, and whether one of them is
 * writable (the control page).
 */
static unsigned int rpl_mappings(pid_t pid, bool *ret_writable)
{
	char path[64], line[512];
	unsigned int n = 0;
	FILE *f;

	*ret_writable = false;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	CHECK(f, "open %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char perms[8], file[256] = "";
		int got =
			sscanf(line, "%*s %7s %*s %*s %*s %255s", perms, file);

		if (got < 1 || strcmp(file, RPL_PATH))
			continue;
		n++;
		if (perms[1] == 'w')
			*ret_writable = true;
	}
	fclose(f);
	return n;
}

/*
 * The daemon consumes /dev/rpl through the mapped buffer: it says so, and
 * its address space holds the control page (writable) and the ring.
 */
static void check_daemon_mapped(void)
{
	uint64_t deadline = mono_ns() + 10000000000ull;
	bool writable;
	unsigned int n;

	/* it maps the device before it says it started */
	while (!file_has(DAEMON_ERR, "started; logs in")) {
		DCHECK(mono_ns() < deadline, "ttyscoped did not start in 10 s");
		sleep_ms(20);
	}
	n = rpl_mappings(daemon_pid, &writable);
	DCHECK(file_has(DAEMON_ERR, "reading '" RPL_PATH
				    "' through a mapped buffer of 1024 KiB"),
	       "ttyscoped did not report mapping %s", RPL_PATH);
	DCHECK(n == 2 && writable,
	       "ttyscoped has %u mappings of %s (writable: %d), expected 2", n,
	       RPL_PATH, writable);
	t_log("ok: ttyscoped reads %s through its mapped buffer", RPL_PATH);
}

static void daemon_start(void)
{
	uint64_t deadline = mono_ns() + 10000000000ull;
	struct stat st;

	daemon_pid = t_fork();
	if (daemon_pid == 0) {
		int fd = open(DAEMON_ERR, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int null = open("/dev/null", O_RDONLY);

		if (fd < 0 || null < 0 || dup2(null, 0) < 0 ||
		    dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		execl(DAEMON, "ttyscoped", "--foreground", (char *)NULL);
		_exit(127);
	}
	while (!(stat(SOCK_PATH, &st) == 0 && has_rpl_open(daemon_pid))) {
		int status;

		DCHECK(waitpid(daemon_pid, &status, WNOHANG) == 0,
		       "ttyscoped exited at start (status 0x%x)", status);
		DCHECK(mono_ns() < deadline,
		       "ttyscoped did not listen on %s with %s open within 10 s",
		       SOCK_PATH, RPL_PATH);
		sleep_ms(20);
	}
	t_log("ttyscoped running (pid %d)", (int)daemon_pid);
}

/* A protocol connection; @msg holds the last message read. */
struct conn {
	int fd;
	pid_t pid; /* the process that connected (SO_PEERCRED) */
	uint64_t id;
	uint8_t in[2 * TSC_REC_MAX_SIZE];
	size_t len;
	uint8_t msg[TSC_REC_MAX_SIZE];
	/* what the daemon's HOST and USER messages said */
	char host[TSC_HOST_NAME_MAX + 1];
	uint32_t named[64];
	char names[64][TSC_USER_NAME_MAX + 1];
	size_t n_named;
};

/*
 * Connect to the socket as @uid/@gid with supplementary @groups, keeping
 * CAP_DAC_OVERRIDE if @dac. The socket comes back over SCM_RIGHTS; the
 * peer credentials stay those of the connecting child. Returns 0 or
 * -errno of connect().
 */
static int connect_as(uid_t uid, gid_t gid, const gid_t *groups, int ngroups,
		      bool dac, struct conn *c)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr mh = { 0 };
	struct iovec iov;
	int sp[2], err = 0, st;
	pid_t pid;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0,
	      "socketpair: %s", strerror(errno));
	pid = t_fork();
	if (pid == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int s;

		close(sp[0]);
		if (setgroups(ngroups, groups) || setresgid(gid, gid, gid) ||
		    (dac && prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L)) ||
		    setresuid(uid, uid, uid))
			_exit(10);
		if (dac) {
			struct __user_cap_header_struct h = {
				.version = _LINUX_CAPABILITY_VERSION_3,
			};
			struct __user_cap_data_struct d[2] = { 0 };

			d[0].effective = d[0].permitted =
				1u << CAP_DAC_OVERRIDE |
				1u << CAP_DAC_READ_SEARCH;
			if (syscall(SYS_capset, &h, d))
				_exit(11);
		}
		strcpy(sa.sun_path, SOCK_PATH);
		s = socket(AF_UNIX, SOCK_STREAM, 0);
		if (s < 0)
			_exit(12);
		err = connect(s, (struct sockaddr *)&sa, sizeof(sa)) ? errno :
								       0;
		iov = (struct iovec){ &err, sizeof(err) };
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if (!err) {
			mh.msg_control = ctl.buf;
			mh.msg_controllen = sizeof(ctl.buf);
			CMSG_FIRSTHDR(&mh)->cmsg_level = SOL_SOCKET;
			CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
			CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), &s, sizeof(int));
		}
		_exit(sendmsg(sp[1], &mh, 0) < 0 ? 13 : 0);
	}
	close(sp[1]);
	iov = (struct iovec){ &err, sizeof(err) };
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	st = wait_child(pid, 5000, "connecting child");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "connecting as uid %u: child status 0x%x", (unsigned int)uid, st);
	CHECK(recvmsg(sp[0], &mh, MSG_CMSG_CLOEXEC) == sizeof(err),
	      "no answer from the connecting child");
	close(sp[0]);
	if (err)
		return -err;
	CHECK(CMSG_FIRSTHDR(&mh) && CMSG_FIRSTHDR(&mh)->cmsg_type == SCM_RIGHTS,
	      "no socket from the connecting child");
	memcpy(&c->fd, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(int));
	c->pid = pid;
	return 0;
}

/* Read the next message into @m (pointing into c->msg); false at EOF. */
/* A USER message: named once per connection, as the guest's passwd says. */
static void conn_named(struct conn *c, const struct tsc_proto_user *u)
{
	const char *want = u->uid == 0	   ? "root" :
			   u->uid == 65534 ? "nobody" :
					     "";

	for (size_t i = 0; i < c->n_named; i++)
		DCHECK(c->named[i] != u->uid, "uid %u named twice", u->uid);
	DCHECK(!strcmp(u->name, want), "uid %u named \"%s\", expected \"%s\"",
	       u->uid, u->name, want);
	CHECK(c->n_named < 64, "more than 64 users named");
	c->named[c->n_named] = u->uid;
	snprintf(c->names[c->n_named], sizeof(c->names[0]), "%s", u->name);
	c->n_named++;
}

/* Did the daemon name @uid on this connection (or is it unset)? */
static bool conn_knows(const struct conn *c, uint32_t uid)
{
	if (uid == TTYSCOPE_UID_UNSET)
		return true;
	for (size_t i = 0; i < c->n_named; i++)
		if (c->named[i] == uid)
			return true;
	return false;
}

/* The next message; USER and HOST are kept, not returned. */
static bool conn_read(struct conn *c, struct tsc_proto_msg *m)
{
	uint64_t deadline = mono_ns() + 10000000000ull;

	for (;;) {
		int n = tsc_proto_parse(c->in, c->len, m);
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		ssize_t r;

		if (n > 0) {
			memcpy(c->msg, c->in, n);
			memmove(c->in, c->in + n, c->len - n);
			c->len -= n;
			CHECK(tsc_proto_parse(c->msg, n, m) == n, "reparse");
			if (m->type == TSC_MSG_USER) {
				conn_named(c, &m->user);
				continue;
			}
			if (m->type == TSC_MSG_HOST) {
				memcpy(c->host, m->host.name, sizeof(c->host));
				continue;
			}
			return true;
		}
		DCHECK(n == -ENODATA, "malformed message from the daemon: %s",
		       strerror(-n));
		DCHECK(mono_ns() < deadline,
		       "no message from the daemon in 10 s");
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		r = recv(c->fd, c->in + c->len, sizeof(c->in) - c->len, 0);
		if (r == 0)
			return false;
		DCHECK(r > 0, "recv: %s", strerror(errno));
		c->len += r;
	}
}

static void conn_send(struct conn *c, const void *buf, size_t n)
{
	CHECK(send(c->fd, buf, n, MSG_NOSIGNAL) == (ssize_t)n, "send: %s",
	      strerror(errno));
}

/* The daemon's HELLO (with our uid), then ours. */
static void conn_hello(struct conn *c, uint32_t uid)
{
	struct tsc_proto_hello h = { .version = TSC_PROTO_VERSION };
	struct tsc_proto_msg m;
	uint8_t buf[TSC_REC_MAX_SIZE];
	int n;

	DCHECK(conn_read(c, &m), "connection closed before HELLO (uid %u)",
	       uid);
	DCHECK(m.type == TSC_MSG_HELLO &&
		       m.hello.version == TSC_PROTO_VERSION &&
		       m.hello.uid == uid &&
		       !strncmp(m.hello.name, "ttyscoped ", 10),
	       "first message: type %u version %u uid %u name \"%s\"; "
	       "expected HELLO version 1 uid %u from ttyscoped",
	       m.type, m.hello.version, m.hello.uid, m.hello.name, uid);
	snprintf(h.name, sizeof(h.name), "t-daemon");
	n = tsc_proto_encode_hello(&h, real_ns(), buf, sizeof(buf));
	CHECK(n > 0, "encode HELLO: %s", strerror(-n));
	conn_send(c, buf, n);
}

/* The daemon named its host right after its HELLO: the guest's name. */
static void conn_check_host(struct conn *c)
{
	char want[TSC_HOST_NAME_MAX + 1] = "";

	gethostname(want, sizeof(want) - 1);
	DCHECK(!strcmp(c->host, want), "HOST \"%s\", expected \"%s\"", c->host,
	       want);
}

static struct conn *conn_open(uid_t uid, gid_t gid, const gid_t *groups,
			      int ngroups)
{
	struct conn *c = malloc(sizeof(*c));
	int r;

	CHECK(c, "out of memory");
	r = connect_as(uid, gid, groups, ngroups, false, c);
	DCHECK(r == 0, "uid %u gid %u cannot connect to %s: %s",
	       (unsigned int)uid, (unsigned int)gid, SOCK_PATH, strerror(-r));
	conn_hello(c, uid);
	return c;
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	free(c);
}

/*
 * Send a request and collect its reply data (all REPLY records with the
 * request's id) into @data. Returns the reply's error (0 or an errno).
 */
static uint32_t request(struct conn *c, uint32_t verb, uint32_t major,
			uint32_t minor, const void *args, size_t len,
			struct buf *data)
{
	struct tsc_proto_request q = {
		.id = ++c->id,
		.verb = verb,
		.major = major,
		.minor = minor,
		.args = args,
		.len = len,
	};
	uint8_t buf[TSC_REC_MAX_SIZE];
	struct tsc_proto_msg m;
	int n = tsc_proto_encode_request(&q, real_ns(), buf, sizeof(buf));

	CHECK(n > 0, "encode REQUEST: %s", strerror(-n));
	conn_send(c, buf, n);
	if (data)
		data->len = 0;
	do {
		DCHECK(conn_read(c, &m),
		       "connection closed before the reply to %s",
		       tsc_proto_verb_name(verb));
		DCHECK(m.type == TSC_MSG_REPLY && m.reply.id == q.id &&
			       m.reply.verb == verb && m.reply.major == major &&
			       m.reply.minor == minor,
		       "%s: got type %u id %" PRIu64 " verb %u %u:%u, expected "
		       "its REPLY (id %" PRIu64 " %u:%u)",
		       tsc_proto_verb_name(verb), m.type, m.reply.id,
		       m.reply.verb, m.reply.major, m.reply.minor, q.id, major,
		       minor);
		if (data)
			buf_append(data, m.reply.data, m.reply.len);
	} while (m.reply.more);
	return m.reply.error;
}

static void request_ok(struct conn *c, uint32_t verb, const struct sess *s,
		       const void *args, size_t len, struct buf *data)
{
	uint32_t e = request(c, verb, s->p.major, s->p.minor, args, len, data);

	DCHECK(e == 0, "%s %s: %s", tsc_proto_verb_name(verb), s->p.name,
	       strerror(e));
	t_log("ok: %s %s", tsc_proto_verb_name(verb), s->p.name);
}

/* LIST; returns the number of entries, decoded into *@ret (malloc'd). */
static size_t list(struct conn *c, struct tsc_proto_tty **ret)
{
	struct buf data = { 0 };
	struct tsc_proto_tty *v;
	uint32_t e = request(c, TSC_VERB_LIST, 0, 0, NULL, 0, &data);
	size_t n = data.len / TSC_PROTO_TTY_SIZE;

	DCHECK(e == 0 && data.len % TSC_PROTO_TTY_SIZE == 0,
	       "LIST: error %u, %zu bytes of data", e, data.len);
	v = calloc(n + 1, sizeof(*v));
	CHECK(v, "out of memory");
	for (size_t i = 0; i < n; i++) {
		CHECK(tsc_proto_decode_tty(data.p + i * TSC_PROTO_TTY_SIZE,
					   TSC_PROTO_TTY_SIZE, &v[i]) == 0,
		      "LIST entry %zu does not decode", i);
		/* a USER message came before the entry for each uid */
		DCHECK(conn_knows(c, v[i].uid) && conn_knows(c, v[i].loginuid),
		       "LIST entry %s: uid %u or loginuid %u not named before",
		       v[i].name, v[i].uid, v[i].loginuid);
	}
	conn_check_host(c);
	buf_free(&data);
	*ret = v;
	return n;
}

static const struct tsc_proto_tty *list_find(const struct tsc_proto_tty *v,
					     size_t n, const struct pty *p)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].major == p->major && v[i].minor == p->minor)
			return &v[i];
	return NULL;
}

/* Wait until the daemon has seen every record of @s that we have. */
static const struct tsc_proto_tty *list_synced(struct conn *c,
					       const struct sess *s,
					       struct tsc_proto_tty **v,
					       size_t *n, struct tview *tv)
{
	uint64_t deadline = mono_ns() + 5000000000ull;

	for (;;) {
		const struct tsc_proto_tty *e;

		tv_build(rs, s->open_idx, s->p.major, s->p.minor, tv);
		*n = list(c, v);
		e = list_find(*v, *n, &s->p);
		if (e && e->records == tv->n)
			return e;
		DCHECK(mono_ns() < deadline,
		       "LIST: %s %s with %" PRIu64 " records, we read %zu",
		       s->p.name, e ? "listed" : "not listed",
		       e ? e->records : 0, tv->n);
		tv_free(tv);
		free(*v);
		sleep_ms(20);
	}
}

/* The LIST entry of @s agrees with its records (@tv). */
static void check_entry(const struct sess *s, const struct tsc_proto_tty *e,
			const struct tview *tv, uint32_t pass)
{
	struct tsc_session ss = { .uid = TTYSCOPE_UID_UNSET,
				  .loginuid = TTYSCOPE_UID_UNSET };
	struct tsc_winsize ws = { 0 };

	for (size_t i = 0; i < tv->n; i++) {
		struct tsc_rec r = { .payload = tv->r[i].p };

		r.hdr.type = tv->r[i].type;
		r.hdr.len = tv->r[i].len;
		if (r.hdr.type == TTYSCOPE_REC_SESSION)
			CHECK(tsc_rec_decode_session(&r, &ss) == 0,
			      "SESSION does not decode");
		if (r.hdr.type == TTYSCOPE_REC_WINSIZE)
			CHECK(tsc_rec_decode_winsize(&r, &ws) == 0,
			      "WINSIZE does not decode");
	}
	DCHECK(!strcmp(e->name, s->p.name) && e->kind == TTYSCOPE_KIND_PTY &&
		       e->pass == pass && e->sid == ss.sid &&
		       e->pgrp == ss.pgrp && e->uid == ss.uid &&
		       e->loginuid == ss.loginuid && e->rows == ws.rows &&
		       e->cols == ws.cols && e->open_ns == s->open_ns &&
		       e->last_ns == tv->r[tv->n - 1].ts_ns &&
		       !strcmp(e->comm, ss.comm) &&
		       !strcmp(e->fg_comm, ss.fg_comm),
	       "LIST entry of %s: name %s kind %u pass %u sid %u pgrp %u uid %u "
	       "loginuid %u %ux%u open %" PRIu64 " last %" PRIu64
	       " comm %s fg %s; the records say: pass %u sid %u pgrp %u "
	       "uid %u loginuid %u %ux%u open %" PRIu64 " last %" PRIu64
	       " comm %s fg %s",
	       s->p.name, e->name, e->kind, e->pass, e->sid, e->pgrp, e->uid,
	       e->loginuid, e->rows, e->cols, e->open_ns, e->last_ns, e->comm,
	       e->fg_comm, pass, ss.sid, ss.pgrp, ss.uid, ss.loginuid, ws.rows,
	       ws.cols, s->open_ns, tv->r[tv->n - 1].ts_ns, ss.comm,
	       ss.fg_comm);
}

/* ---- socket access ---------------------------------------------------- */

static void check_socket_access(void)
{
	gid_t member[1] = { group_gid };
	struct tsc_proto_msg m;
	struct stat st;
	struct conn c, *mc;
	struct buf data = { 0 };
	char want[96];
	int r;

	CHECK(stat(SOCK_DIR, &st) == 0 && S_ISDIR(st.st_mode) &&
		      (st.st_mode & 07777) == 0750 && st.st_uid == 0 &&
		      st.st_gid == group_gid,
	      "%s: mode %o owner %u:%u, expected directory 0750 0:%u", SOCK_DIR,
	      st.st_mode & 07777, st.st_uid, st.st_gid, group_gid);
	CHECK(stat(SOCK_PATH, &st) == 0 && S_ISSOCK(st.st_mode) &&
		      (st.st_mode & 07777) == 0660 && st.st_uid == 0 &&
		      st.st_gid == group_gid,
	      "%s: mode %o owner %u:%u, expected socket 0660 0:%u", SOCK_PATH,
	      st.st_mode & 07777, st.st_uid, st.st_gid, group_gid);
	t_log("ok: %s 0750 and its socket 0660, root:ttyscope", SOCK_DIR);

	r = connect_as(STRANGER_UID, STRANGER_UID, NULL, 0, false, &c);
	CHECK(r == -EACCES, "uid %u outside the group: connect gave %s",
	      STRANGER_UID, r ? errname(-r) : "success");
	t_log("ok: uid %u outside the group cannot reach the socket (EACCES)",
	      STRANGER_UID);

	/* past the file permissions, the daemon itself refuses */
	r = connect_as(STRANGER_UID, STRANGER_UID, NULL, 0, true, &c);
	CHECK(r == 0, "uid %u with CAP_DAC_OVERRIDE: connect: %s", STRANGER_UID,
	      strerror(-r));
	DCHECK(conn_read(&c, &m) && m.type == TSC_MSG_REPLY &&
		       m.reply.id == 0 && m.reply.verb == 0 &&
		       m.reply.error == EACCES,
	       "uid %u: first message type %u id %" PRIu64
	       " error %u, expected REPLY 0 EACCES",
	       STRANGER_UID, m.type, m.reply.id, m.reply.error);
	DCHECK(!conn_read(&c, &m), "uid %u: the connection stayed open",
	       STRANGER_UID);
	close(c.fd);
	snprintf(want, sizeof(want), "refused connection of uid=%u pid=%d",
		 STRANGER_UID, (int)c.pid);
	DCHECK(file_has(DAEMON_ERR, want), "no \"%s\" message", want);
	t_log("ok: the daemon refuses uid %u (REPLY 0 EACCES, closed, logged)",
	      STRANGER_UID);

	mc = conn_open(MEMBER_UID, group_gid, NULL, 0);
	DCHECK(request(mc, TSC_VERB_STATS, 0, 0, NULL, 0, &data) == 0 &&
		       data.len == TSC_PROTO_STATS_SIZE,
	       "STATS as uid %u failed", MEMBER_UID);
	conn_close(mc);
	buf_free(&data);
	mc = conn_open(OPERATOR_UID, OPERATOR_UID, member, 1);
	conn_close(mc);
	t_log("ok: members by primary (uid %u) and supplementary group (uid %u) are served",
	      MEMBER_UID, OPERATOR_UID);
}

/* ---- the sessions ----------------------------------------------------- */

static void run_login(struct sess *s)
{
	sess_init(s, "login", 0, "root", true);
	m_resize(s, 24, 80);
	spawn(s, prog_login, -1);
	m_expect(s, "login: ");
	m_send(s, "alice\n", IN_PLAIN);
	m_expect(s, "Password: ");
	m_send(s, "hunter2\n", IN_MASKED);
	m_expect(s, "done\r\n");
	m_resize(s, 40, 132);
	m_expect(s, "window 40x132\r\n$ ");
	m_send(s, "exit\n", IN_PLAIN);
	m_expect(s, "logout\r\n");
	expect_exit(s, 0);
	m_end(s);
	CHECK(!memmem(s->rd.p, s->rd.len, "hunter2", 7),
	      "login: the password was echoed");
}

static void run_raw(struct sess *s)
{
	uint8_t keys[512];
	size_t nk = raw_keys(keys);

	sess_init(s, "raw", NOBODY, "nobody", false);
	spawn(s, prog_raw, -1);
	m_expect(s, "READY\r\n");
	m_send_n(s, keys, nk, IN_PLAIN);
	m_expect(s, "\r\nwaiting\r\n");
	m_resize(s, 50, 200);
	m_expect(s, "size 50x200\r\n");
	m_send(s, "q", IN_PLAIN);
	m_expect(s, "BYE\r\n");
	expect_exit(s, 0);
	m_end(s);
}

static void run_shell(struct sess *s)
{
	sess_init(s, "shell", 0, "root", true);
	m_resize(s, 25, 90);
	spawn(s, prog_shell, -1);
	m_expect(s, "$ ");
	m_send(s, "helo\x7flo w\xc3\xb6rld\n", IN_PLAIN);
	m_expect(s, "You typed: hello w\xc3\xb6rld\r\n$ ");
	m_send(s, "cat big\n", IN_PLAIN);
	m_expect(s, "progress 100%\r\r\n$ ");
	m_send(s, "exit\n", IN_PLAIN);
	expect_exit(s, 0);
	m_end(s);
}

/* Our reader has the PASS record a request produced; its index. */
static long wait_pass(const struct sess *s, size_t from)
{
	long idx = rs_wait_rec(rs, from, s->p.major, s->p.minor,
			       TTYSCOPE_REC_PASS, 5000);

	CHECK(idx >= 0, "%s: no PASS record", s->what);
	return idx;
}

/* What the victim program read must be exactly @want. */
static void victim_read(struct sess *s, const char *want)
{
	struct buf b = { 0 };
	size_t n = strlen(want);

	CHECK(read_until(s->lines, &b, n, 5000),
	      "victim: the program read \"%s\", expected \"%s\"",
	      printable(b.p, b.len), printable(want, n));
	CHECK_BYTES("victim: bytes the program read", b.p, b.len, want, n);
	buf_free(&b);
}

static void run_victim(struct sess *s, const struct sess *idle,
		       struct sess *const *done, int ndone)
{
	gid_t member[1] = { group_gid };
	struct conn *root, *op;
	struct tsc_proto_tty *v;
	const struct tsc_proto_tty *e;
	struct ttyscope_tty_info *kl;
	struct tview tv;
	struct buf data = { 0 };
	char want[160];
	uint32_t nk, cnt;
	size_t n;
	long pass_idx;
	int pp[2], st;

	sess_init(s, "victim", 0, "root", true);
	m_resize(s, 30, 100);
	CHECK(pipe2(pp, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
	spawn(s, prog_victim, pp[1]);
	close(pp[1]);
	s->lines = pp[0];
	m_expect(s, "> ");
	m_send(s, "one\n", IN_PLAIN);
	victim_read(s, "one\n");
	m_expect(s, "got one\r\n> ");

	root = conn_open(0, 0, NULL, 0);
	op = conn_open(OPERATOR_UID, OPERATOR_UID, member, 1);

	/* LIST: the live ttys, as their records describe them */
	e = list_synced(root, s, &v, &n, &tv);
	check_entry(s, e, &tv, 1);
	tv_free(&tv);
	DCHECK(list_find(v, n, &idle->p), "LIST does not show %s (idle)",
	       idle->p.name);
	kl = tsc_list_all(rs->fd, &nk);
	for (size_t i = 0; i < n; i++) {
		bool known = false;

		for (uint32_t k = 0; k < nk; k++)
			known |= kl[k].major == v[i].major &&
				 kl[k].minor == v[i].minor;
		DCHECK(known, "LIST shows %s (%u:%u), which is not captured",
		       v[i].name, v[i].major, v[i].minor);
	}
	for (int i = 0; i < ndone; i++)
		DCHECK(!list_find(v, n, &done[i]->p) ||
			       done[i]->p.minor == s->p.minor ||
			       done[i]->p.minor == idle->p.minor,
		       "LIST still shows the closed %s", done[i]->p.name);
	free(kl);
	free(v);
	t_log("ok: LIST shows %s and %s with the fields of their records",
	      s->p.name, idle->p.name);

	/* BLOCK: typing never reaches the program, nor the screen */
	request_ok(op, TSC_VERB_BLOCK, s, NULL, 0, NULL);
	pass_idx = wait_pass(s, s->open_idx);
	e = list_synced(root, s, &v, &n, &tv);
	check_entry(s, e, &tv, 0);
	tv_free(&tv);
	free(v);
	m_send(s, "blocked\n", IN_BLOCKED);
	CHECK(fd_quiet(s->lines, 500),
	      "victim: typing reached the program while blocked");
	m_read(s, 100);
	CHECK(s->rd.len == s->seen, "victim: blocked typing was echoed: \"%s\"",
	      printable(s->rd.p + s->seen, s->rd.len - s->seen));
	CHECK(rs_wait_bytes(rs, s->open_idx, s->p.major, s->p.minor,
			    TTYSCOPE_REC_IN_DROPPED, 8, 5000),
	      "victim: no IN_DROPPED for the blocked typing");
	t_log("ok: BLOCK: \"blocked\\n\" not read by the program, not echoed");

	/* INJECT reaches the program while blocked */
	DCHECK(request(op, TSC_VERB_INJECT, s->p.major, s->p.minor,
		       "injected\n", 9, &data) == 0 &&
		       data.len == 4,
	       "INJECT failed or its reply has %zu bytes", data.len);
	memcpy(&cnt, data.p, 4);
	CHECK(le32toh(cnt) == 9, "INJECT accepted %u bytes, expected 9",
	      le32toh(cnt));
	buf_append(&s->injected, "injected\n", 9);
	victim_read(s, "injected\n");
	m_expect(s, "injected\r\ngot injected\r\n> ");
	t_log("ok: INJECT \"injected\\n\" -> 9, read by the program");

	/* requests that must fail */
	DCHECK(request(op, TSC_VERB_INJECT, s->p.major, s->p.minor, NULL, 0,
		       NULL) == EINVAL,
	       "INJECT of nothing did not fail with EINVAL");
	DCHECK(request(op, TSC_VERB_BLOCK, s->p.major, 1048575, NULL, 0,
		       NULL) == ENODEV,
	       "BLOCK of a tty that does not exist did not fail with ENODEV");
	DCHECK(request(op, 77, s->p.major, s->p.minor, NULL, 0, NULL) ==
		       EOPNOTSUPP,
	       "an unknown verb did not fail with EOPNOTSUPP");
	t_log("ok: INJECT of nothing EINVAL, BLOCK of no tty ENODEV, verb 77 EOPNOTSUPP");

	/* UNBLOCK restores typing */
	request_ok(op, TSC_VERB_UNBLOCK, s, NULL, 0, NULL);
	wait_pass(s, pass_idx + 1);
	e = list_synced(root, s, &v, &n, &tv);
	check_entry(s, e, &tv, 1);
	tv_free(&tv);
	free(v);
	m_send(s, "two\n", IN_PLAIN);
	victim_read(s, "two\n");
	m_expect(s, "got two\r\n> ");
	t_log("ok: UNBLOCK: \"two\\n\" read by the program");

	/* HANGUP: the session leader dies of SIGHUP */
	request_ok(root, TSC_VERB_HANGUP, s, NULL, 0, NULL);
	st = wait_child(s->child, 5000, "victim after HANGUP");
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGHUP,
	      "victim: status 0x%x after HANGUP, expected death by SIGHUP", st);
	m_end(s);
	close(s->lines);
	t_log("ok: HANGUP: the session leader got SIGHUP");
	{
		uint64_t deadline = mono_ns() + 5000000000ull;

		while (n = list(root, &v), list_find(v, n, &s->p)) {
			free(v);
			DCHECK(mono_ns() < deadline,
			       "LIST still shows %s after its HANGUP",
			       s->p.name);
			sleep_ms(20);
		}
		free(v);
	}

	snprintf(want, sizeof(want), "operator uid=%u pid=%d block %u:%u: ok",
		 OPERATOR_UID, (int)op->pid, s->p.major, s->p.minor);
	DCHECK(file_has(DAEMON_ERR, want), "no audit line \"%s\"", want);
	snprintf(want, sizeof(want),
		 "operator uid=%u pid=%d inject %u:%u len=9: ok", OPERATOR_UID,
		 (int)op->pid, s->p.major, s->p.minor);
	DCHECK(file_has(DAEMON_ERR, want), "no audit line \"%s\"", want);
	snprintf(want, sizeof(want), "operator uid=%u pid=%d unblock %u:%u: ok",
		 OPERATOR_UID, (int)op->pid, s->p.major, s->p.minor);
	DCHECK(file_has(DAEMON_ERR, want), "no audit line \"%s\"", want);
	snprintf(want, sizeof(want), "operator uid=0 pid=%d hangup %u:%u: ok",
		 (int)root->pid, s->p.major, s->p.minor);
	DCHECK(file_has(DAEMON_ERR, want), "no audit line \"%s\"", want);
	t_log("ok: block, inject, unblock, hangup audited with the operator's uid");
	conn_close(op);
	conn_close(root);
	buf_free(&data);
}

/* A pty without a session, left open while the daemon stops. */
static void idle_say(struct sess *s, const char *text, const char *echo)
{
	write_all(s->p.slave, text, strlen(text), "idle");
	m_expect(s, echo);
}

/* ---- the logs ----------------------------------------------------------- */

/* A log file as the library reads it. */
struct logf {
	char path[512];
	char *tty, *user, *host, *version;
	uint32_t major, minor, uid;
	uint64_t start_ns;
	struct tsc_rec_hdr *h;
	uint8_t **payload;
	size_t n;
	bool closed;
	int sess; /* index of its session, -1: none */
};

static void log_load(const char *path, struct logf *l)
{
	struct tsc_log_reader *rd;
	const struct tsc_log_meta *meta;
	struct tsc_log_stats st;
	struct tsc_rec rec;
	size_t cap = 0;
	int fd, r;

	memset(l, 0, sizeof(*l));
	l->sess = -1;
	snprintf(l->path, sizeof(l->path), "%s", path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	r = tsc_log_reader_new(fd, &rd);
	CHECK(r == 0, "%s is not a readable log: %s", path, strerror(-r));
	meta = tsc_log_reader_meta(rd);
	l->major = meta->major;
	l->minor = meta->minor;
	l->uid = meta->uid;
	l->start_ns = meta->start_ns;
	l->tty = strdup(meta->tty ? meta->tty : "");
	l->user = strdup(meta->user ? meta->user : "");
	l->host = strdup(meta->host ? meta->host : "");
	for (size_t i = 0; i < meta->n_fields; i++)
		if (!strcmp(meta->fields[i].key, "ttyscoped.version"))
			l->version = strdup(meta->fields[i].value);
	while ((r = tsc_log_reader_next(rd, &rec)) > 0) {
		if (l->n == cap) {
			cap = cap ? 2 * cap : 256;
			l->h = realloc(l->h, cap * sizeof(*l->h));
			l->payload =
				realloc(l->payload, cap * sizeof(uint8_t *));
			CHECK(l->h && l->payload, "out of memory");
		}
		l->h[l->n] = rec.hdr;
		l->payload[l->n] = malloc(rec.hdr.len + 1);
		CHECK(l->payload[l->n], "out of memory");
		memcpy(l->payload[l->n], rec.payload, rec.hdr.len);
		l->n++;
	}
	CHECK(r == 0, "%s: reading record %zu: %s", path, l->n, strerror(-r));
	CHECK(tsc_log_reader_stats(rd, &st) == 0, "%s: stats", path);
	l->closed = st.closed;
	tsc_log_reader_free(rd);
	close(fd);
}

static void log_free(struct logf *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->payload[i]);
	free(l->payload);
	free(l->h);
	free(l->tty);
	free(l->user);
	free(l->host);
	free(l->version);
}

static struct logf logs[32];
static int nlogs;

/* Every file below @dir: directories 0700, files 0600, all root's. */
static void walk(const char *dir)
{
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(dir);

	CHECK(d, "opendir %s: %s", dir, strerror(errno));
	CHECK(stat(dir, &st) == 0 && (st.st_mode & 07777) == 0700 &&
		      st.st_uid == 0,
	      "%s: mode %o owner %u, expected 0700 root", dir,
	      st.st_mode & 07777, st.st_uid);
	while ((de = readdir(d))) {
		char path[512];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		CHECK(lstat(path, &st) == 0, "lstat %s", path);
		if (S_ISDIR(st.st_mode)) {
			walk(path);
			continue;
		}
		CHECK(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600 &&
			      st.st_uid == 0,
		      "%s: mode %o owner %u, expected a file 0600 root", path,
		      st.st_mode & 07777, st.st_uid);
		CHECK(nlogs < (int)ARRAY_SIZE(logs), "too many log files");
		log_load(path, &logs[nlogs++]);
	}
	closedir(d);
}

static bool is_masked(const struct tsc_rec_hdr *h)
{
	return (h->type == TTYSCOPE_REC_IN ||
		h->type == TTYSCOPE_REC_IN_DROPPED) &&
	       (h->flags & TTYSCOPE_RF_NOECHO) &&
	       !(h->flags & TTYSCOPE_RF_NONCANON);
}

/* The log holds exactly the records we read, password input masked. */
static void check_log_records(const struct sess *s, const struct logf *l)
{
	struct tview tv;
	struct buf out = { 0 }, in = { 0 }, dropped = { 0 }, injected = { 0 };
	size_t masked = 0, n_pass = 0;
	const struct tsc_rec_hdr *last;

	tv_build(rs, s->open_idx, s->p.major, s->p.minor, &tv);
	/* the capture of this session: up to its CLOSE */
	for (size_t i = 0; i < tv.n; i++)
		if (tv.r[i].type == TTYSCOPE_REC_CLOSE) {
			tv.n = i + 1;
			break;
		}
	if (l->n != tv.n) {
		tv_print(&tv, 40);
		FAIL("%s: %s has %zu records, /dev/rpl gave %zu", s->what,
		     l->path, l->n, tv.n);
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct tsc_rec_hdr *h = &l->h[i];
		const struct trec *r = &tv.r[i];
		bool mask = is_masked(h);

		if (h->type != r->type || h->flags != r->flags ||
		    h->len != r->len || h->major != r->major ||
		    h->minor != r->minor || h->seq != r->seq ||
		    h->ts_ns != r->ts_ns) {
			tv_print(&tv, 40);
			FAIL("%s: %s record %zu: %s flags 0x%x len %u %u:%u seq %" PRIu64
			     " ts %" PRIu64
			     "; /dev/rpl gave %s flags 0x%x len %u "
			     "%u:%u seq %" PRIu64 " ts %" PRIu64,
			     s->what, l->path, i, tsc_rec_type_name(h->type),
			     h->flags, h->len, h->major, h->minor, h->seq,
			     h->ts_ns, rec_type_name(r->type), r->flags, r->len,
			     r->major, r->minor, r->seq, r->ts_ns);
		}
		for (uint32_t k = 0; k < h->len; k++)
			if (l->payload[i][k] != (mask ? '*' : r->p[k])) {
				tv_print(&tv, 40);
				FAIL("%s: %s record %zu (%s, seq %" PRIu64
				     "): payload byte %u is 0x%02x, expected 0x%02x%s",
				     s->what, l->path, i,
				     tsc_rec_type_name(h->type), h->seq, k,
				     l->payload[i][k], mask ? '*' : r->p[k],
				     mask ? " (masked password input)" : "");
			}
		masked += mask;
		switch (h->type) {
		case TTYSCOPE_REC_OUT:
			buf_append(&out, l->payload[i], h->len);
			break;
		case TTYSCOPE_REC_IN:
			buf_append(&in, l->payload[i], h->len);
			break;
		case TTYSCOPE_REC_IN_DROPPED:
			buf_append(&dropped, l->payload[i], h->len);
			break;
		case TTYSCOPE_REC_INJECT: {
			struct tsc_inject inj;
			struct tsc_rec rec = { .hdr = *h,
					       .payload = l->payload[i] };

			CHECK(tsc_rec_decode_inject(&rec, &inj) == 0 &&
				      inj.operator_uid == OPERATOR_UID,
			      "%s: INJECT record without operator uid %u",
			      s->what, OPERATOR_UID);
			buf_append(&injected, inj.data, inj.len);
			break;
		}
		case TTYSCOPE_REC_PASS: {
			struct tsc_pass ps;
			struct tsc_rec rec = { .hdr = *h,
					       .payload = l->payload[i] };

			CHECK(tsc_rec_decode_pass(&rec, &ps) == 0 &&
				      ps.pass == (n_pass == 0 ? 0 : 1) &&
				      ps.operator_uid == OPERATOR_UID,
			      "%s: PASS record %zu: pass %u operator %u, expected %u %u",
			      s->what, n_pass, ps.pass, ps.operator_uid,
			      n_pass == 0 ? 0 : 1, OPERATOR_UID);
			n_pass++;
			break;
		}
		default:
			break;
		}
	}
	CHECK_BYTES("log OUT vs bytes the master read", out.p, out.len, s->rd.p,
		    s->rd.len);
	CHECK_BYTES("log IN vs keystrokes (password masked)", in.p, in.len,
		    s->in_log.p, s->in_log.len);
	CHECK_BYTES("log IN_DROPPED vs blocked keystrokes", dropped.p,
		    dropped.len, s->dropped.p, s->dropped.len);
	CHECK_BYTES("log INJECT vs injected bytes", injected.p, injected.len,
		    s->injected.p, s->injected.len);
	CHECK(n_pass == (s->injected.len ? 2 : 0), "%s: %zu PASS records",
	      s->what, n_pass);
	last = &l->h[l->n - 1];
	if (s->live) {
		CHECK(last->type != TTYSCOPE_REC_CLOSE,
		      "%s: the log of a live tty ends with CLOSE", s->what);
	} else if (s->injected.len) {
		CHECK(l->n >= 2 && l->h[l->n - 2].type == TTYSCOPE_REC_HANGUP &&
			      last->type == TTYSCOPE_REC_CLOSE,
		      "%s: the log does not end with HANGUP, CLOSE", s->what);
	} else {
		CHECK(last->type == TTYSCOPE_REC_CLOSE,
		      "%s: the log does not end with CLOSE", s->what);
	}
	CHECK(l->h[0].type == TTYSCOPE_REC_OPEN && l->h[0].seq == 0,
	      "%s: the log does not start with OPEN", s->what);
	CHECK(l->closed, "%s: %s was not finished (no index)", s->what,
	      l->path);
	t_log("ok: %s: %s == /dev/rpl, %zu records (%zu masked), OUT %zu B, IN %zu B%s",
	      s->what, l->path, l->n, masked, out.len, in.len,
	      s->live ? ", cut by SIGTERM" : "");
	if (!strcmp(s->what, "login"))
		CHECK(masked == 1, "login: %zu masked records, expected 1",
		      masked);
	tv_free(&tv);
	buf_free(&out);
	buf_free(&in);
	buf_free(&dropped);
	buf_free(&injected);
}

static void check_logs(struct sess **ss, int nss,
		       const struct ttyscope_tty_info *pre, uint32_t npre)
{
	char host[256] = "";
	struct buf b = { 0 };

	gethostname(host, sizeof(host) - 1);
	walk(LOG_DIR);
	for (int i = 0; i < nlogs; i++) {
		struct logf *l = &logs[i];

		for (int k = 0; k < nss; k++)
			if (l->major == ss[k]->p.major &&
			    l->minor == ss[k]->p.minor &&
			    l->start_ns == ss[k]->open_ns) {
				CHECK(l->sess < 0, "%s belongs to two sessions",
				      l->path);
				l->sess = k;
			}
		if (l->sess >= 0)
			continue;
		/* ttys captured before this test may write logs too */
		for (uint32_t k = 0; k < npre && l->sess < 0; k++)
			if (pre[k].major == l->major &&
			    pre[k].minor == l->minor)
				l->sess = -2;
		CHECK(l->sess == -2, "%s (%u:%u %s) belongs to no session",
		      l->path, l->major, l->minor, l->tty);
	}
	for (int k = 0; k < nss; k++) {
		struct sess *s = ss[k];
		char base[256], want[300], stamp[32];
		time_t sec = s->open_ns / 1000000000u;
		const struct logf *l = NULL;
		struct tm tm;
		int dup = 0;

		for (int i = 0; i < nlogs; i++)
			if (logs[i].sess == k) {
				CHECK(!l, "%s: two logs, %s and %s", s->what,
				      l->path, logs[i].path);
				l = &logs[i];
			}
		CHECK(l, "%s: no log file for %s", s->what, s->p.name);
		localtime_r(&sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d.%H%M%S", &tm);
		snprintf(base, sizeof(base), "%s/%s/%s.pts-%u", LOG_DIR,
			 s->user, stamp, s->p.minor);
		/* equal names get .1, .2, ... in the order of their OPEN */
		for (int j = 0; j < nss; j++) {
			char other[256];
			time_t osec = ss[j]->open_ns / 1000000000u;

			localtime_r(&osec, &tm);
			strftime(stamp, sizeof(stamp), "%Y%m%d.%H%M%S", &tm);
			snprintf(other, sizeof(other), "%s/%s/%s.pts-%u",
				 LOG_DIR, ss[j]->user, stamp, ss[j]->p.minor);
			dup += ss[j]->open_ns < s->open_ns &&
			       !strcmp(other, base);
		}
		if (dup)
			snprintf(want, sizeof(want), "%s.%d", base, dup);
		else
			snprintf(want, sizeof(want), "%s", base);
		CHECK(!strcmp(l->path, want), "%s: log %s, expected %s",
		      s->what, l->path, want);
		CHECK(!strcmp(l->tty, s->p.name) && !strcmp(l->user, s->user) &&
			      l->uid == s->uid && !strcmp(l->host, host) &&
			      l->version && l->version[0],
		      "%s: header tty %s user %s uid %u host %s version %s; "
		      "expected %s %s %u %s",
		      s->what, l->tty, l->user, l->uid, l->host,
		      l->version ? l->version : "(none)", s->p.name, s->user,
		      s->uid, host);
		snprintf(s->log, sizeof(s->log), "%s", l->path);
		check_log_records(s, l);
		read_file(l->path, &b);
		CHECK(!memmem(b.p, b.len, "hunter2", 7),
		      "%s: the password is in %s", s->what, l->path);
	}
	buf_free(&b);
	t_log("ok: %d sessions, one log each, named by the template, 0700/0600",
	      nss);
}

/* ---- the command line ----------------------------------------------------- */

/* Run ttyscope with @args, its stdout into @out (a file). Exit status. */
static int cli(const char *out, const char *const *args)
{
	const char *argv[16] = { "ttyscope" };
	pid_t pid;
	int st, n = 1;

	for (; *args && n < 15; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	pid = t_fork();
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int null = open("/dev/null", O_RDONLY);

		if (fd < 0 || null < 0 || dup2(null, 0) < 0 || dup2(fd, 1) < 0)
			_exit(126);
		execv(CLI, (char *const *)argv);
		_exit(127);
	}
	st = wait_child(pid, 60000, "ttyscope");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#define CLI_OK(out, ...)                                                       \
	do {                                                                   \
		const char *const a_[] = { __VA_ARGS__, NULL };                \
		int st_ = cli((out), a_);                                      \
		CHECK(st_ == 0, "ttyscope %s ... exited with %d", a_[0], st_); \
	} while (0)

/*
 * The text of replay --text (ttyscope(1)): escape sequences removed (here:
 * CSI, OSC ended by BEL, two-byte ESC sequences), other C0 controls and
 * DEL removed; CR LF and a CR not followed by LF become LF, several CRs in
 * a row counting as one.
 */
static void text_of(const uint8_t *p, size_t n, struct buf *out)
{
	struct buf t = { 0 };

	for (size_t i = 0; i < n; i++) {
		if (p[i] == 0x1b && i + 1 < n && p[i + 1] == '[') {
			for (i += 2; i < n && !(p[i] >= 0x40 && p[i] <= 0x7e);
			     i++)
				;
		} else if (p[i] == 0x1b && i + 1 < n && p[i + 1] == ']') {
			for (i += 2; i < n && p[i] != 0x07; i++)
				;
		} else if (p[i] == 0x1b) {
			i++;
		} else if (p[i] >= 0x20 || p[i] == '\t' || p[i] == '\r' ||
			   p[i] == '\n') {
			if (p[i] != 0x7f)
				buf_append(&t, &p[i], 1);
		}
	}
	out->len = 0;
	for (size_t i = 0; i < t.len; i++) {
		if (t.p[i] != '\r') {
			buf_append(out, &t.p[i], 1);
			continue;
		}
		while (i + 1 < t.len && t.p[i + 1] == '\r')
			i++;
		if (i + 1 == t.len || t.p[i + 1] != '\n')
			buf_append(out, "\n", 1);
	}
	buf_free(&t);
}

/* UTF-8 with each maximal ill-formed subsequence replaced by U+FFFD. */
static void utf8_lossy(const uint8_t *s, size_t n, struct buf *out)
{
	out->len = 0;
	for (size_t i = 0; i < n;) {
		uint8_t c = s[i], lo = 0x80, hi = 0xbf;
		size_t need, k = 1;

		if (c < 0x80) {
			buf_append(out, &c, 1);
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			lo = c == 0xe0 ? 0xa0 : 0x80;
			hi = c == 0xed ? 0x9f : 0xbf;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			lo = c == 0xf0 ? 0x90 : 0x80;
			hi = c == 0xf4 ? 0x8f : 0xbf;
		} else {
			need = 0;
		}
		while (need && k <= need && i + k < n &&
		       s[i + k] >= (k == 1 ? lo : 0x80) &&
		       s[i + k] <= (k == 1 ? hi : 0xbf))
			k++;
		if (need && k == need + 1)
			buf_append(out, s + i, k);
		else
			buf_append(out, "\xef\xbf\xbd", 3);
		i += k;
	}
}

/* "S.UUUUUU" (script, asciicast) to microseconds. */
static bool parse_us(const char **pp, uint64_t *us)
{
	char *end;
	unsigned long long sec = strtoull(*pp, &end, 10);
	uint64_t frac = 0;
	int digits = 0;

	if (end == *pp)
		return false;
	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9'; end++, digits++)
			frac = frac * 10 + (*end - '0');
	if (digits > 6)
		return false;
	while (digits++ < 6)
		frac *= 10;
	*us = sec * 1000000u + frac;
	*pp = end;
	return true;
}

static void put_utf8(struct buf *b, uint32_t cp)
{
	uint8_t u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = 0xc0 | cp >> 6;
		u[1] = 0x80 | (cp & 0x3f);
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = 0xe0 | cp >> 12;
		u[1] = 0x80 | (cp >> 6 & 0x3f);
		u[2] = 0x80 | (cp & 0x3f);
		n = 3;
	} else {
		u[0] = 0xf0 | cp >> 18;
		u[1] = 0x80 | (cp >> 12 & 0x3f);
		u[2] = 0x80 | (cp >> 6 & 0x3f);
		u[3] = 0x80 | (cp & 0x3f);
		n = 4;
	}
	buf_append(b, u, n);
}

static bool hex4(const char *p, uint32_t *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			*v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			*v |= c - 'A' + 10;
		else
			return false;
	}
	return true;
}

/* A JSON string at *@pp (RFC 8259), decoded into @out. */
static bool json_string(const char **pp, struct buf *out)
{
	const char *p = *pp;

	if (*p++ != '"')
		return false;
	while (*p && *p != '"') {
		uint32_t cp, lo;
		char c;

		if (*p != '\\') {
			if ((uint8_t)*p < 0x20)
				return false;
			buf_append(out, p++, 1);
			continue;
		}
		switch (*++p) {
		case '"':
		case '\\':
		case '/':
			c = *p;
			break;
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'u':
			if (!hex4(p + 1, &cp))
				return false;
			p += 5;
			if (cp >= 0xd800 && cp < 0xdc00) {
				if (p[0] != '\\' || p[1] != 'u' ||
				    !hex4(p + 2, &lo) || lo < 0xdc00 ||
				    lo > 0xdfff)
					return false;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
				p += 6;
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				return false;
			}
			put_utf8(out, cp);
			continue;
		default:
			return false;
		}
		buf_append(out, &c, 1);
		p++;
	}
	if (*p != '"')
		return false;
	*pp = p + 1;
	return true;
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Skip blanks, the character @c and blanks after it. */
static bool eat(const char **pp, char c)
{
	const char *p = skip_ws(*pp);

	if (*p != c)
		return false;
	*pp = skip_ws(p + 1);
	return true;
}

/* An asciicast v2 event line: [TIME, "CODE", "DATA"]. */
static bool cast_event(const char *p, uint64_t *us, struct buf *code,
		       struct buf *data)
{
	return eat(&p, '[') && parse_us(&p, us) && eat(&p, ',') &&
	       json_string(&p, code) && eat(&p, ',') && json_string(&p, data) &&
	       eat(&p, ']') && !*p;
}

/* The value of "key": N in a JSON object line, or -1. */
static long json_uint(const char *line, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\"", key);
	p = strstr(line, k);
	if (!p)
		return -1;
	p = skip_ws(p + strlen(k));
	if (*p++ != ':')
		return -1;
	p = skip_ws(p);
	return *p >= '0' && *p <= '9' ? strtol(p, NULL, 10) : -1;
}

/*
 * What an export must show of a log: the OUT records and their times, the
 * window size at the first output and the resizes after it. Times as the
 * exporter computes them: microseconds since the first record, rounded,
 * never going back.
 */
struct expected {
	uint64_t *out_us; /* per OUT record with data */
	uint32_t *out_len;
	size_t n_out;
	uint64_t end_us;
	unsigned int cols, rows; /* 80x24 without a WINSIZE */
	struct {
		uint64_t us;
		unsigned int rows, cols;
	} rs[8];
	size_t n_rs;
};

static void expected_of(const struct logf *l, struct expected *x)
{
	uint64_t t0 = l->h[0].ts_ns, rel = 0;
	bool started = false;

	memset(x, 0, sizeof(*x));
	x->cols = 80;
	x->rows = 24;
	x->out_us = calloc(l->n, sizeof(*x->out_us));
	x->out_len = calloc(l->n, sizeof(*x->out_len));
	CHECK(x->out_us && x->out_len, "out of memory");
	for (size_t i = 0; i < l->n; i++) {
		const struct tsc_rec_hdr *h = &l->h[i];
		uint64_t r = h->ts_ns > t0 ? h->ts_ns - t0 : 0, us;

		rel = r > rel ? r : rel;
		us = rel / 1000u + (rel % 1000u >= 500u);
		if (h->type == TTYSCOPE_REC_OUT && h->len) {
			started = true;
			x->out_us[x->n_out] = us;
			x->out_len[x->n_out++] = h->len;
		} else if (h->type == TTYSCOPE_REC_WINSIZE) {
			struct tsc_winsize ws;
			struct tsc_rec rec = { .hdr = *h,
					       .payload = l->payload[i] };

			CHECK(tsc_rec_decode_winsize(&rec, &ws) == 0,
			      "WINSIZE does not decode");
			if (!ws.rows || !ws.cols)
				continue;
			if (!started) {
				x->cols = ws.cols;
				x->rows = ws.rows;
			} else if (x->n_rs < ARRAY_SIZE(x->rs)) {
				x->rs[x->n_rs].us = us;
				x->rs[x->n_rs].rows = ws.rows;
				x->rs[x->n_rs++].cols = ws.cols;
			}
		}
		x->end_us = us;
	}
}

/* Split @b into NUL-terminated lines (in place); returns the count. */
static size_t split_lines(struct buf *b, char ***ret)
{
	char **v = NULL;
	size_t n = 0, cap = 0;

	buf_append(b, "", 1);
	for (char *p = (char *)b->p; *p;) {
		char *nl = strchr(p, '\n');

		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			v = realloc(v, cap * sizeof(*v));
			CHECK(v, "out of memory");
		}
		v[n++] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	*ret = v;
	return n;
}

static void check_cast(const struct sess *s, const struct logf *l,
		       const struct expected *x)
{
	char path[600];
	struct buf b = { 0 }, got = { 0 }, want = { 0 };
	char **line;
	size_t n, j = 0, nr = 0;
	uint64_t prev = 0;

	snprintf(path, sizeof(path), "%s/%s.cast", WORK, s->what);
	CLI_OK(path, "export", "-f", "asciicast-v2", l->path);
	read_file(path, &b);
	n = split_lines(&b, &line);
	CHECK(n >= 1 && json_uint(line[0], "version") == 2 &&
		      json_uint(line[0], "width") == x->cols &&
		      json_uint(line[0], "height") == x->rows,
	      "%s: asciicast header \"%s\", expected version 2, %ux%u", s->what,
	      n ? line[0] : "", x->cols, x->rows);
	for (size_t i = 1; i < n; i++) {
		struct buf code = { 0 }, data = { 0 };
		uint64_t us;

		if (!*skip_ws(line[i]) && i + 1 == n)
			break;
		CHECK(cast_event(line[i], &us, &code, &data) && code.len == 1,
		      "%s: asciicast line %zu is not an event: %s", s->what,
		      i + 1, line[i]);
		CHECK(us >= prev, "%s: asciicast line %zu goes back in time",
		      s->what, i + 1);
		prev = us;
		if (code.p[0] == 'o') {
			/* at the time of an OUT record, or at the end */
			while (j < x->n_out && x->out_us[j] != us)
				j++;
			CHECK(j < x->n_out || us == x->end_us,
			      "%s: output event at %" PRIu64
			      " us matches no OUT record",
			      s->what, us);
			buf_append(&got, data.p, data.len);
		} else {
			char sz[32];

			CHECK(code.p[0] == 'r' && nr < x->n_rs,
			      "%s: unexpected asciicast event: %s", s->what,
			      line[i]);
			snprintf(sz, sizeof(sz), "%ux%u", x->rs[nr].cols,
				 x->rs[nr].rows);
			CHECK(us == x->rs[nr].us && data.len == strlen(sz) &&
				      !memcmp(data.p, sz, data.len),
			      "%s: resize event %s, expected [%" PRIu64
			      ", \"r\", \"%s\"]",
			      s->what, line[i], x->rs[nr].us, sz);
			nr++;
		}
		buf_free(&code);
		buf_free(&data);
	}
	CHECK(nr == x->n_rs, "%s: %zu resize events, expected %zu", s->what, nr,
	      x->n_rs);
	utf8_lossy(s->rd.p, s->rd.len, &want);
	CHECK_BYTES("asciicast output vs the master's bytes as UTF-8", got.p,
		    got.len, want.p, want.len);
	free(line);
	buf_free(&b);

	/* and back: import gives the same output */
	{
		char tsl[600];
		struct logf il;
		struct buf out = { 0 };

		snprintf(tsl, sizeof(tsl), "%s/%s.tsl", WORK, s->what);
		CLI_OK("/dev/null", "import", "-o", tsl, path);
		log_load(tsl, &il);
		for (size_t i = 0; i < il.n; i++)
			if (il.h[i].type == TTYSCOPE_REC_OUT)
				buf_append(&out, il.payload[i], il.h[i].len);
		CHECK_BYTES("import of the asciicast export: output", out.p,
			    out.len, want.p, want.len);
		log_free(&il);
		buf_free(&out);
	}
	buf_free(&got);
	buf_free(&want);
}

static void check_script(const struct sess *s, const struct logf *l,
			 const struct expected *x)
{
	static const char banner[] = "Script started on ";
	static const char done[] = "\nScript done on ";
	char ts[600], tm[600];
	struct buf b = { 0 }, data = { 0 };
	char **line;
	size_t n, no = 0, nr = 0, off = 0;
	uint64_t t = 0;
	uint8_t *nl, *end;

	snprintf(ts, sizeof(ts), "%s/%s.typescript", WORK, s->what);
	snprintf(tm, sizeof(tm), "%s/%s.timing", WORK, s->what);
	CLI_OK("/dev/null", "export", "-f", "script", "-o", ts, "-t", tm,
	       l->path);
	read_file(ts, &data);
	nl = memchr(data.p, '\n', data.len);
	CHECK(data.len > sizeof(banner) &&
		      !memcmp(data.p, banner, sizeof(banner) - 1) && nl,
	      "%s: %s does not start with \"%s\"", s->what, ts, banner);
	off = nl + 1 - data.p;
	read_file(tm, &b);
	n = split_lines(&b, &line);
	for (size_t i = 0; i < n; i++) {
		const char *p = line[i] + 2;
		uint64_t us;

		if (!line[i][0] && i + 1 == n)
			break;
		if (line[i][0] == 'H')
			continue;
		CHECK((line[i][0] == 'O' || line[i][0] == 'S') &&
			      line[i][1] == ' ' && parse_us(&p, &us) &&
			      *p == ' ',
		      "%s: timing line %zu: %s", s->what, i + 1, line[i]);
		t += us;
		if (line[i][0] == 'O') {
			unsigned long len = strtoul(p + 1, NULL, 10);

			CHECK(no < x->n_out && t == x->out_us[no] &&
				      len == x->out_len[no],
			      "%s: timing line %zu \"%s\" (at %" PRIu64
			      " us), expected OUT record %zu: %u bytes at %" PRIu64
			      " us",
			      s->what, i + 1, line[i], t, no,
			      no < x->n_out ? x->out_len[no] : 0,
			      no < x->n_out ? x->out_us[no] : 0);
			no++;
		} else {
			char want[64];

			snprintf(want, sizeof(want),
				 " SIGWINCH ROWS=%u COLS=%u",
				 nr < x->n_rs ? x->rs[nr].rows : 0,
				 nr < x->n_rs ? x->rs[nr].cols : 0);
			CHECK(nr < x->n_rs && t == x->rs[nr].us &&
				      !strcmp(p, want),
			      "%s: timing line %zu \"%s\" at %" PRIu64
			      " us, expected%s",
			      s->what, i + 1, line[i], t, want);
			nr++;
		}
	}
	CHECK(no == x->n_out && nr == x->n_rs,
	      "%s: %zu O and %zu S lines, expected %zu and %zu", s->what, no,
	      nr, x->n_out, x->n_rs);
	end = data.len >= off + sizeof(done) ?
		      memmem(data.p + off, data.len - off, done,
			     sizeof(done) - 1) :
		      NULL;
	/* the last "\nScript done on " is the trailer */
	while (end && (uint8_t *)memmem(end + 1, data.p + data.len - end - 1,
					done, sizeof(done) - 1))
		end = memmem(end + 1, data.p + data.len - end - 1, done,
			     sizeof(done) - 1);
	CHECK(end, "%s: %s has no \"Script done\" line", s->what, ts);
	CHECK_BYTES("script export data vs the master's bytes", data.p + off,
		    end - (data.p + off), s->rd.p, s->rd.len);
	free(line);
	buf_free(&b);
	buf_free(&data);
}

static void check_cli(struct sess **ss, int nss)
{
	struct buf b = { 0 }, want = { 0 };
	char out[600];
	char **line;
	size_t n;

	mkdir(WORK, 0700);
	for (int k = 0; k < nss; k++) {
		struct sess *s = ss[k];
		struct expected x;
		struct logf l;

		log_load(s->log, &l);
		expected_of(&l, &x);
		snprintf(out, sizeof(out), "%s/%s.replay", WORK, s->what);
		if (s->text) {
			CLI_OK(out, "replay", "--text", s->log);
			read_file(out, &b);
			text_of(s->rd.p, s->rd.len, &want);
			CHECK_BYTES(
				"replay --text vs the master's bytes as text",
				b.p, b.len, want.p, want.len);
			CLI_OK(out, "replay", "--max-delay", "0.001", s->log);
			read_file(out, &b);
			CHECK_BYTES("replay vs the master's bytes", b.p, b.len,
				    s->rd.p, s->rd.len);
		}
		check_script(s, &l, &x);
		check_cast(s, &l, &x);
		t_log("ok: %s:%s export script (%zu O, %zu S) and asciicast v2, import",
		      s->what, s->text ? " replay, replay --text," : "",
		      x.n_out, x.n_rs);
		free(x.out_us);
		free(x.out_len);
		log_free(&l);
	}

	/* logs: every file once; --user and --grep select */
	snprintf(out, sizeof(out), "%s/logs", WORK);
	CLI_OK(out, "logs", LOG_DIR);
	read_file(out, &b);
	n = split_lines(&b, &line);
	for (int k = 0; k < nss; k++) {
		int seen = 0;

		for (size_t i = 1; i < n; i++) {
			size_t a = strlen(line[i]), c = strlen(ss[k]->log);

			seen += a > c && !strcmp(line[i] + a - c, ss[k]->log) &&
				line[i][a - c - 1] == ' ';
		}
		CHECK(seen == 1, "ttyscope logs lists %s %d times", ss[k]->log,
		      seen);
	}
	free(line);
	CLI_OK(out, "logs", "--user", "nobody", LOG_DIR);
	read_file(out, &b);
	n = split_lines(&b, &line);
	CHECK(n >= 2 && strstr(line[1], "/nobody/") && (n == 2 || !line[2][0]),
	      "ttyscope logs --user nobody: \"%s\"", printable(b.p, b.len - 1));
	free(line);
	CLI_OK(out, "logs", "--grep", "Welcome, alice", LOG_DIR);
	read_file(out, &b);
	n = split_lines(&b, &line);
	CHECK(n >= 2 && strstr(line[1], ss[0]->log) && (n == 2 || !line[2][0]),
	      "ttyscope logs --grep: \"%s\", expected only %s",
	      printable(b.p, b.len - 1), ss[0]->log);
	free(line);
	t_log("ok: ttyscope logs lists each file once; --user, --grep select");
	buf_free(&b);
	buf_free(&want);
}

/* ---- main ------------------------------------------------------------------ */

static void mount_tmpfs(const char *dir)
{
	mkdir(dir, 0755);
	CHECK(mount("tmpfs", dir, "tmpfs", 0, "mode=0755") == 0,
	      "mount tmpfs on %s: %s", dir, strerror(errno));
}

int main(void)
{
	struct sess login, raw, shell, victim, idle;
	struct sess *all[] = { &login, &raw, &shell, &victim, &idle };
	struct ttyscope_tty_info *pre;
	struct group *gr;
	uint32_t npre;
	size_t stream_at_start, consumed;
	int st;

	t_init("t-daemon", 280);
	gr = getgrnam("ttyscope");
	CHECK(gr, "the guest has no group ttyscope");
	group_gid = gr->gr_gid;
	mkdir("/var", 0755);
	mount_tmpfs(VARLOG);
	mount_tmpfs(RUN);

	rs = rs_open("main", 16u << 20);
	rs_start(rs);
	pre = tsc_list_all(rs->fd, &npre);
	daemon_start();
	check_daemon_mapped();
	rs_lock(rs);
	stream_at_start = rs->raw_len;
	rs_unlock(rs);
	check_socket_access();

	run_login(&login);
	run_raw(&raw);
	run_shell(&shell);

	sess_init(&idle, "idle", 0, "root", true);
	idle.live = true;
	idle_say(&idle, "idle\n", "idle\r\n");
	run_victim(&victim, &idle, all, 3);

	/* the daemon has every record once it has the idle tty's last one */
	idle_say(&idle, "bye\n", "bye\r\n");
	{
		struct conn *c = conn_open(0, 0, NULL, 0);
		struct tsc_proto_tty *v;
		struct tview tv;
		size_t n;

		list_synced(c, &idle, &v, &n, &tv);
		tv_free(&tv);
		free(v);
		conn_close(c);
	}
	/* all of these were queued in the daemon's ring after it mapped it */
	rs_lock(rs);
	consumed = rs->raw_len - stream_at_start;
	rs_unlock(rs);
	DCHECK(consumed > TTYSCOPE_BUF_DEFAULT,
	       "the daemon consumed only %zu bytes of records, less than its ring",
	       consumed);
	t_log("ok: ttyscoped consumed %zu bytes of records through its %u KiB ring",
	      consumed, TTYSCOPE_BUF_DEFAULT >> 10);
	DCHECK(kill(daemon_pid, SIGTERM) == 0, "kill: %s", strerror(errno));
	st = wait_child(daemon_pid, 10000, "ttyscoped after SIGTERM");
	DCHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "ttyscoped ended with status 0x%x after SIGTERM", st);
	DCHECK(access(SOCK_PATH, F_OK) < 0 && errno == ENOENT,
	       "the socket is still there after SIGTERM");
	DCHECK(file_has(DAEMON_ERR, "exiting"), "no \"exiting\" message");
	t_log("ok: SIGTERM: ttyscoped exited 0 and removed its socket");

	CHECK(rs->lost_records == 0, "our reader lost %" PRIu64 " records",
	      rs->lost_records);
	check_logs(all, ARRAY_SIZE(all), pre, npre);
	pty_close(&idle.p);
	check_cli(all, ARRAY_SIZE(all));

	rs_stop(rs);
	rs_close(rs);
	free(pre);
	umount2(RUN, MNT_DETACH);
	umount2(VARLOG, MNT_DETACH);
	t_pass();
}
