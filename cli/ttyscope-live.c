// SPDX-License-Identifier: GPL-2.0-only
/*
 * ttyscope commands that talk to ttyscoped (docs/PROTOCOL.md): list,
 * stats, block, unblock, inject, hangup, message, attach, detach, and
 * stream, which carries the socket over standard input and output.
 *
 * The daemon is reached through its unix socket (--socket,
 * $TTYSCOPE_SOCKET, or /run/ttyscope/ttyscope.sock) or through a command
 * that runs "ttyscope stream" elsewhere (--remote CMD, -H HOST for ssh).
 * A tty is named as pts/3, /dev/pts/3 or 136:3; names are looked up in
 * the daemon's LIST.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "tsc-client.h"
#include "tsc-i18n.h"
#include "tsc-text.h"
#include "ttyscope-cli.h"

/* Most bytes inject and message read from standard input. */
#define INJECT_MAX (1u << 20)

/* ---- the connection ----------------------------------------------------- */

/* Quote @s for a POSIX shell into @buf: 'it'\''s'. */
static void shell_quote(const char *s, char *buf, size_t size)
{
	size_t n = 0;

	if (size < 3)
		return;
	buf[n++] = '\'';
	for (; *s && n + 6 < size; s++) {
		if (*s == '\'') {
			memcpy(buf + n, "'\\''", 4);
			n += 4;
		} else {
			buf[n++] = *s;
		}
	}
	buf[n++] = '\'';
	buf[n] = '\0';
}

/*
 * The command of --remote or -H into @argv (9 entries); @quoted holds the
 * socket quoted for the remote shell.
 */
static void remote_argv(const char **argv, char *quoted, size_t size)
{
	int n = 0;

	if (tsc_cli_daemon.remote) {
		argv[n++] = "/bin/sh";
		argv[n++] = "-c";
		argv[n++] = tsc_cli_daemon.remote;
	} else {
		argv[n++] = "ssh";
		argv[n++] = "-T";
		argv[n++] = "--";
		argv[n++] = tsc_cli_daemon.host;
		argv[n++] = "ttyscope";
		if (tsc_cli_daemon.socket_option) {
			shell_quote(tsc_cli_daemon.socket, quoted, size);
			argv[n++] = "--socket";
			argv[n++] = quoted;
		}
		argv[n++] = "stream";
	}
	argv[n] = NULL;
}

/* What the messages call the daemon: its socket or the remote command. */
static const char *daemon_where(char *buf, size_t size)
{
	const char *argv[9];
	char quoted[4200];
	size_t len = 0;

	if (tsc_cli_daemon.remote)
		return tsc_cli_daemon.remote;
	if (!tsc_cli_daemon.host)
		return tsc_cli_daemon.socket;
	remote_argv(argv, quoted, sizeof(quoted));
	buf[0] = '\0';
	for (int i = 0; argv[i] && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					i ? " " : "", argv[i]);
	return buf;
}

static void hint_group(void)
{
	fprintf(stderr,
		_("%s: only root and members of the group 'ttyscope' may use ttyscoped\n"),
		PROGRAM_NAME);
}

/* Start the command of --remote or -H. */
static int spawn_remote(struct tsc_client **ret_client)
{
	const char *argv[9];
	char quoted[4200];
	int r;

	remote_argv(argv, quoted, sizeof(quoted));
	r = tsc_client_spawn(argv, ret_client);
	if (r < 0)
		tsc_cli_err(_("cannot run"), argv[0], -r);
	return r;
}

/* The remote command ended before the daemon greeted us: say how. */
static void report_remote_end(struct tsc_client *c, const char *where)
{
	int status;

	if (tsc_client_wait(c, &status) < 0)
		return;
	if (WIFEXITED(status))
		fprintf(stderr, _("%s: '%s' ended with exit status %d\n"),
			PROGRAM_NAME, where, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		fprintf(stderr, _("%s: '%s' was killed by signal %d\n"),
			PROGRAM_NAME, where, WTERMSIG(status));
}

/**
 * tsc_cli_connect() - connect to the daemon and exchange HELLO
 * @ret_client: the client
 *
 * Prints what went wrong, with a hint when the daemon is absent or
 * refuses us.
 *
 * Return: 0 or a negative errno.
 */
int tsc_cli_connect(struct tsc_client **ret_client)
{
	struct tsc_proto_hello hello;
	struct tsc_client *c;
	char buf[8400], name[64];
	const char *where = daemon_where(buf, sizeof(buf));
	bool remote = tsc_cli_daemon.remote || tsc_cli_daemon.host;
	int r;

	/* the daemon (or the remote command) may go away at any time */
	signal(SIGPIPE, SIG_IGN);
	if (remote) {
		r = spawn_remote(&c);
		if (r < 0)
			return r;
	} else {
		r = tsc_client_connect(tsc_cli_daemon.socket, &c);
		if (r < 0) {
			tsc_cli_err(_("cannot connect to ttyscoped"), where,
				    -r);
			if (r == -EACCES || r == -EPERM)
				hint_group();
			else if (r == -ENOENT || r == -ECONNREFUSED)
				fprintf(stderr,
					_("%s: is ttyscoped running? Its socket is chosen with --socket or TTYSCOPE_SOCKET.\n"),
					PROGRAM_NAME);
			return r;
		}
	}
	snprintf(name, sizeof(name), "ttyscope %s", TTYSCOPE_VERSION);
	r = tsc_client_hello(c, name, &hello);
	if (r == 0) {
		*ret_client = c;
		return 0;
	}
	if (r == -ECONNRESET && remote) {
		report_remote_end(c, where);
	} else if (r == -ECONNRESET) {
		fprintf(stderr,
			_("%s: ttyscoped '%s' closed the connection at once\n"),
			PROGRAM_NAME, where);
	} else if (r == -EACCES || r == -EPERM) {
		tsc_cli_err(_("ttyscoped refused the connection"), where, -r);
		hint_group();
	} else {
		tsc_cli_err(_("cannot talk to ttyscoped"), where, -r);
	}
	tsc_client_free(c);
	return r;
}

/* The connection failed in the middle of a command. */
void tsc_cli_lost(int err)
{
	tsc_cli_err(_("lost the connection to ttyscoped"), NULL,
		    err == -EBADMSG ? EPROTO : (err < 0 ? -err : err));
}

/* Did a call fail because the connection did (not the request)? */
static bool connection_error(int r)
{
	return r == -ECONNRESET || r == -EPIPE || r == -EBADMSG ||
	       r == -EPROTO || r == -EIO;
}

/* ---- ttys ---------------------------------------------------------------- */

static int cmp_tty(const void *a, const void *b)
{
	const struct tsc_proto_tty *x = a, *y = b;

	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	if (x->minor != y->minor)
		return x->minor < y->minor ? -1 : 1;
	return 0;
}

/* LIST, decoded and sorted by device number; prints errors. */
static int fetch_list(struct tsc_client *c, struct tsc_proto_tty **ret_v,
		      size_t *ret_n)
{
	struct tsc_proto_request q = { .verb = TSC_VERB_LIST };
	struct tsc_proto_tty *v;
	uint8_t *data;
	size_t len, n;
	int r;

	r = tsc_client_call(c, &q, &data, &len);
	if (r < 0) {
		if (connection_error(r))
			tsc_cli_lost(r);
		else
			tsc_cli_err(_("cannot list the ttys"), NULL, -r);
		return r;
	}
	n = len / TSC_PROTO_TTY_SIZE;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v) {
		free(data);
		tsc_cli_err(_("cannot list the ttys"), NULL, ENOMEM);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		tsc_proto_decode_tty(data + i * TSC_PROTO_TTY_SIZE,
				     TSC_PROTO_TTY_SIZE, &v[i]);
	free(data);
	qsort(v, n, sizeof(*v), cmp_tty);
	*ret_v = v;
	*ret_n = n;
	return 0;
}

/* "136:3" as numbers; false for anything else. */
static bool parse_devnum(const char *s, uint32_t *major, uint32_t *minor)
{
	unsigned int ma, mi;
	int end = 0;

	if (*s < '0' || *s > '9' || sscanf(s, "%u:%u%n", &ma, &mi, &end) != 2 ||
	    s[end] || !strchr(s, ':')[1] || strchr(s, ':')[1] < '0' ||
	    strchr(s, ':')[1] > '9')
		return false;
	*major = ma;
	*minor = mi;
	return true;
}

/**
 * tsc_cli_resolve_tty() - find the tty a user named
 * @c: the connection
 * @arg: "pts/3", "/dev/pts/3" or "136:3"
 * @ret_tty: the daemon's LIST entry; for a device number that is not in
 *	the list, only the number, with @arg as its name
 *
 * Prints what went wrong.
 *
 * Return: 0; -ENODEV for a name that no live tty has; another -errno.
 */
int tsc_cli_resolve_tty(struct tsc_client *c, const char *arg,
			struct tsc_proto_tty *ret_tty)
{
	struct tsc_proto_tty *v, t = { 0 };
	uint32_t major, minor;
	bool num = parse_devnum(arg, &major, &minor);
	const char *name = arg;
	size_t n;
	int r;

	if (!strncmp(name, "/dev/", 5))
		name += 5;
	r = fetch_list(c, &v, &n);
	if (r < 0)
		return r;
	r = -ENODEV;
	for (size_t i = 0; i < n && r < 0; i++)
		if (num ? v[i].major == major && v[i].minor == minor :
			  !strcmp(v[i].name, name)) {
			*ret_tty = v[i];
			r = 0;
		}
	free(v);
	if (r == 0)
		return 0;
	if (num) {
		t.major = major;
		t.minor = minor;
		t.uid = TTYSCOPE_UID_UNSET;
		snprintf(t.name, sizeof(t.name), "%s", arg);
		*ret_tty = t;
		return 0;
	}
	fprintf(stderr,
		_("%s: no live tty '%s' (see '%s list'; a tty may also be given as MAJOR:MINOR)\n"),
		PROGRAM_NAME, arg, PROGRAM_NAME);
	return r;
}

/*
 * The name of @uid on the daemon's machine, as the daemon gave it (made
 * printable), or its number; "-" when unknown.
 */
const char *tsc_cli_user_name(const struct tsc_client *c, uint32_t uid,
			      char *buf, size_t size)
{
	const char *name;

	if (uid == TTYSCOPE_UID_UNSET)
		return "-";
	name = tsc_client_user_name(c, uid);
	if (name && name[0])
		tsc_text_printable(name, buf, size);
	else
		snprintf(buf, size, "%" PRIu32, uid);
	return buf;
}

/* ---- help ---------------------------------------------------------------- */

static void usage_tty_note(FILE *out)
{
	fputs(_("\n<tty> is a name (pts/3, /dev/pts/3) or a device number (136:3).\n"),
	      out);
}

/* --help of the commands in this file. */
static void __attribute__((noreturn)) usage(const char *cmd)
{
	FILE *out = stdout;
	bool tty = true;

	fputs(_("\nUsage:\n"), out);
	if (!strcmp(cmd, "list")) {
		fprintf(out, _(" %s list [options]\n"), PROGRAM_NAME);
		fputs(_("\nList the live ttys that ttyscoped sees.\n"), out);
		fputs(_("\nOptions:\n"), out);
		fputs(_(" -J, --json       print a JSON array\n"), out);
		fputs(_(" -h, --help       display this help\n"), out);
		fputs(_("\nColumns: TTY; USER, the session leader's; COMMAND, in the\nforeground; IDLE, since the last record; STATE, live or blocked;\nIN and OUT, bytes typed and shown; LOSS, records the daemon missed.\n"),
		      out);
		fputs(_("\nFor more details see ttyscope(1).\n"), out);
		exit(EXIT_SUCCESS);
	} else if (!strcmp(cmd, "stats")) {
		fprintf(out, _(" %s stats [options]\n"), PROGRAM_NAME);
		fputs(_("\nShow the counters of ttyscoped.\n"), out);
		fputs(_("\nOptions:\n"), out);
		fputs(_(" -J, --json       print a JSON object\n"), out);
		tty = false;
	} else if (!strcmp(cmd, "block")) {
		fprintf(out, _(" %s block [options] <tty>\n"), PROGRAM_NAME);
		fputs(_("\nBlock the input of a tty: what its user types is discarded.\n"),
		      out);
		fputs(_("\nOptions:\n"), out);
	} else if (!strcmp(cmd, "unblock")) {
		fprintf(out, _(" %s unblock [options] <tty>\n"), PROGRAM_NAME);
		fputs(_("\nLet the input of a blocked tty through again.\n"),
		      out);
		fputs(_("\nOptions:\n"), out);
	} else if (!strcmp(cmd, "hangup")) {
		fprintf(out, _(" %s hangup [options] <tty>\n"), PROGRAM_NAME);
		fputs(_("\nHang up a tty: its session gets SIGHUP. Asks for confirmation.\n"),
		      out);
		fputs(_("\nOptions:\n"), out);
		fputs(_(" -y, --yes        do not ask (required without a terminal)\n"),
		      out);
	} else if (!strcmp(cmd, "detach")) {
		fprintf(out, _(" %s detach [options] <tty>\n"), PROGRAM_NAME);
		fputs(_("\nStop capturing a tty; it stays open.\n"), out);
		fputs(_("\nOptions:\n"), out);
	} else if (!strcmp(cmd, "attach")) {
		fprintf(out, _(" %s attach [options] <device>\n"),
			PROGRAM_NAME);
		fputs(_("\nCapture a tty that was open before ttyscope.ko was loaded.\n"),
		      out);
		fputs(_("<device> is a path on the daemon's host (/dev/ttyS0) or a\nname below /dev (ttyS0, pts/3).\n"),
		      out);
		fputs(_("\nOptions:\n"), out);
		tty = false;
	} else if (!strcmp(cmd, "inject")) {
		fprintf(out, _(" %s inject [options] <tty> <text>|-\n"),
			PROGRAM_NAME);
		fputs(_("\nType text into a tty, as if its user typed it; - reads the\ntext from standard input.\n"),
		      out);
		fputs(_("\nOptions:\n"), out);
		fputs(_(" -n, --newline    press Enter after the text (a carriage return)\n"),
		      out);
		fputs(_(" -e, --escapes    interpret \\r \\n \\t \\e \\a \\b \\\\ \\xHH in the text\n"),
		      out);
	} else if (!strcmp(cmd, "message")) {
		fprintf(out, _(" %s message [options] <tty> <text>...|-\n"),
			PROGRAM_NAME);
		fputs(_("\nShow a message on the screen of a tty's user, in a banner; it\nis not input to any program. - reads it from standard input.\n"),
		      out);
		fputs(_("\nOptions:\n"), out);
	} else {
		fprintf(out, _(" %s stream\n"), PROGRAM_NAME);
		fputs(_("\nCopy ttyscoped's socket to standard output and standard input\nto it, so that 'ssh host ttyscope stream' carries the protocol\n(see the global options --remote and -H).\n"),
		      out);
		fputs(_("\nOptions:\n"), out);
		tty = false;
	}
	fputs(_(" -h, --help       display this help\n"), out);
	if (tty)
		usage_tty_note(out);
	fputs(_("\nFor more details see ttyscope(1).\n"), out);
	exit(EXIT_SUCCESS);
}

/*
 * Parse the options of a command that has at most the flags in @flags
 * ('J' json, 'y' yes, 'n' newline, 'e' escapes); sets @set[flag]. Returns
 * -1 to go on, else the exit status.
 */
static int parse_opts(int argc, char **argv, const char *cmd, const char *flags,
		      bool set[128])
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "yes", no_argument, NULL, 'y' },
		{ "newline", no_argument, NULL, 'n' },
		{ "escapes", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char shortopts[16];
	struct option lo[6];
	size_t k = 0;
	int c;

	/* only the options this command has */
	for (size_t i = 0; longopts[i].name; i++)
		if (longopts[i].val == 'h' || strchr(flags, longopts[i].val))
			lo[k++] = longopts[i];
	lo[k] = longopts[5];
	snprintf(shortopts, sizeof(shortopts), "+%sh", flags);
	while ((c = getopt_long(argc, argv, shortopts, lo, NULL)) != -1) {
		if (c == 'h')
			usage(cmd);
		if (c == '?' || c == ':' || !strchr(flags, c)) {
			tsc_cli_try_help(cmd);
			return TSC_EXIT_USAGE;
		}
		set[c] = true;
	}
	return -1;
}

/* Check the number of arguments left after the options. */
static int want_args(int argc, const char *cmd, int min, int max,
		     const char *what)
{
	int n = argc - optind;

	if (n >= min && (max < 0 || n <= max))
		return -1;
	if (n < min)
		fprintf(stderr, _("%s: %s needs %s\n"), PROGRAM_NAME, cmd,
			what);
	else
		fprintf(stderr, _("%s: %s takes only %s\n"), PROGRAM_NAME, cmd,
			what);
	tsc_cli_try_help(cmd);
	return TSC_EXIT_USAGE;
}

/*
 * The start of each command: its options (@flags, see parse_opts()),
 * @min to @max arguments (@what names them; @max -1: no limit), and the
 * connection if @ret_client. Returns -1 to go on, else the exit status.
 */
static int begin(int argc, char **argv, const char *cmd, const char *flags,
		 bool set[128], int min, int max, const char *what,
		 struct tsc_client **ret_client)
{
	int r = parse_opts(argc, argv, cmd, flags, set);

	if (r < 0)
		r = want_args(argc, cmd, min, max, what);
	if (r < 0 && ret_client && tsc_cli_connect(ret_client) < 0)
		r = TSC_EXIT_FAILURE;
	return r;
}

/* ---- list ---------------------------------------------------------------- */

static int str_width(const char *s)
{
	wchar_t w[128];
	size_t n = mbstowcs(w, s, sizeof(w) / sizeof(w[0]));
	int width;

	if (n == (size_t)-1)
		return (int)strlen(s);
	width = wcswidth(w, n);
	return width < 0 ? (int)n : width;
}

/* "512", "1.5K", "23M" (binary units, as ls -h). */
static void human_bytes(uint64_t v, char *buf, size_t size)
{
	static const char units[] = "KMGTPE";
	double d = (double)v;
	int u = -1;

	if (v < 1024) {
		snprintf(buf, size, "%" PRIu64, v);
		return;
	}
	while (d >= 1024 && u < 5) {
		d /= 1024;
		u++;
	}
	if (d < 9.95)
		snprintf(buf, size, "%.1f%c", d, units[u]);
	else
		snprintf(buf, size, "%.0f%c", d, units[u]);
}

/* Idle time, largest unit only: "42s", "5m", "2h", "3d". */
static void human_idle(uint64_t last_ns, uint64_t now_ns, char *buf,
		       size_t size)
{
	uint64_t s = now_ns > last_ns ? (now_ns - last_ns) / 1000000000u : 0;

	if (s < 60)
		snprintf(buf, size, "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(buf, size, "%" PRIu64 "m", s / 60);
	else if (s < 86400)
		snprintf(buf, size, "%" PRIu64 "h", s / 3600);
	else
		snprintf(buf, size, "%" PRIu64 "d", s / 86400);
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const char *tty_command(const struct tsc_proto_tty *t)
{
	if (t->fg_comm[0])
		return t->fg_comm;
	return t->comm[0] ? t->comm : "-";
}

static const char *kind_name(uint32_t kind)
{
	static const char *const names[] = { "other", "pty", "console",
					     "serial" };

	return kind < 4 ? names[kind] : "other";
}

enum {
	COL_TTY,
	COL_USER,
	COL_CMD,
	COL_IDLE,
	COL_STATE,
	COL_IN,
	COL_OUT,
	COL_LOSS,
	NCOLS
};

static void print_row(char cells[NCOLS][64], const int *width)
{
	/* numbers and the idle time are right-aligned */
	static const bool right[NCOLS] = {
		[COL_IDLE] = true, [COL_IN] = true, [COL_OUT] = true, [COL_LOSS] = true
	};

	for (int i = 0; i < NCOLS; i++) {
		int pad = width[i] - str_width(cells[i]);

		if (right[i])
			printf("%*s%s", pad, "", cells[i]);
		else if (i == NCOLS - 1)
			fputs(cells[i], stdout);
		else
			printf("%s%*s", cells[i], pad, "");
		fputs(i == NCOLS - 1 ? "\n" : "  ", stdout);
	}
}

static void list_table(const struct tsc_client *c,
		       const struct tsc_proto_tty *v, size_t n)
{
	const char *head[NCOLS] = { _("TTY"),  _("USER"),  _("COMMAND"),
				    _("IDLE"), _("STATE"), _("IN"),
				    _("OUT"),  _("LOSS") };
	char(*cells)[NCOLS][64] = calloc(n + 1, sizeof(*cells));
	int width[NCOLS] = { 0 };
	uint64_t now = realtime_ns();
	char user[64];

	if (!cells) {
		tsc_cli_err(_("cannot list the ttys"), NULL, ENOMEM);
		return;
	}
	for (int i = 0; i < NCOLS; i++)
		snprintf(cells[0][i], 64, "%s", head[i]);
	for (size_t k = 0; k < n; k++) {
		const struct tsc_proto_tty *t = &v[k];
		char(*row)[64] = cells[k + 1];

		tsc_text_printable(t->name, row[COL_TTY], 64);
		snprintf(row[COL_USER], 64, "%s",
			 tsc_cli_user_name(c, t->uid, user, sizeof(user)));
		tsc_text_printable(tty_command(t), row[COL_CMD], 64);
		human_idle(t->last_ns, now, row[COL_IDLE], 64);
		snprintf(row[COL_STATE], 64, "%s",
			 t->pass ? _("live") : _("blocked"));
		human_bytes(t->in_bytes, row[COL_IN], 64);
		human_bytes(t->out_bytes, row[COL_OUT], 64);
		snprintf(row[COL_LOSS], 64, "%" PRIu64, t->lost);
	}
	for (size_t k = 0; k <= n; k++)
		for (int i = 0; i < NCOLS; i++)
			if (str_width(cells[k][i]) > width[i])
				width[i] = str_width(cells[k][i]);
	for (size_t k = 0; k <= n; k++)
		print_row(cells[k], width);
	free(cells);
}

static void list_json(const struct tsc_client *c, const struct tsc_proto_tty *v,
		      size_t n)
{
	char user[64];

	fputs("[", stdout);
	for (size_t k = 0; k < n; k++) {
		const struct tsc_proto_tty *t = &v[k];

		printf("%s\n  {\"tty\": ", k ? "," : "");
		tsc_cli_json_str(t->name);
		printf(", \"major\": %" PRIu32 ", \"minor\": %" PRIu32
		       ", \"kind\": \"%s\", \"state\": \"%s\", \"pass\": %" PRIu32
		       ", \"user\": ",
		       t->major, t->minor, kind_name(t->kind),
		       t->pass ? "live" : "blocked", t->pass);
		tsc_cli_json_str(t->uid == TTYSCOPE_UID_UNSET ?
					 NULL :
					 tsc_cli_user_name(c, t->uid, user,
							   sizeof(user)));
		if (t->uid == TTYSCOPE_UID_UNSET)
			fputs(", \"uid\": null", stdout);
		else
			printf(", \"uid\": %" PRIu32, t->uid);
		if (t->loginuid == TTYSCOPE_UID_UNSET)
			fputs(", \"loginuid\": null", stdout);
		else
			printf(", \"loginuid\": %" PRIu32, t->loginuid);
		printf(", \"sid\": %" PRIu32 ", \"pgrp\": %" PRIu32
		       ", \"comm\": ",
		       t->sid, t->pgrp);
		tsc_cli_json_str(t->comm);
		fputs(", \"fg_comm\": ", stdout);
		tsc_cli_json_str(t->fg_comm);
		printf(", \"rows\": %u, \"cols\": %u, \"open_ns\": %" PRIu64
		       ", \"last_ns\": %" PRIu64 ", \"records\": %" PRIu64
		       ", \"in_bytes\": %" PRIu64 ", \"out_bytes\": %" PRIu64
		       ", \"lost\": %" PRIu64 "}",
		       t->rows, t->cols, t->open_ns, t->last_ns, t->records,
		       t->in_bytes, t->out_bytes, t->lost);
	}
	fputs(n ? "\n]\n" : "]\n", stdout);
}

int tsc_cmd_list(int argc, char **argv)
{
	bool set[128] = { false };
	struct tsc_proto_tty *v;
	struct tsc_client *c;
	size_t n;
	int r;

	r = begin(argc, argv, "list", "J", set, 0, 0, _("options"), &c);
	if (r >= 0)
		return r;
	r = fetch_list(c, &v, &n);
	if (r < 0) {
		tsc_client_free(c);
		return TSC_EXIT_FAILURE;
	}
	if (set['J'])
		list_json(c, v, n);
	else
		list_table(c, v, n);
	tsc_client_free(c);
	free(v);
	return fflush(stdout) == 0 ? EXIT_SUCCESS : TSC_EXIT_FAILURE;
}

/* ---- stats --------------------------------------------------------------- */

int tsc_cmd_stats(int argc, char **argv)
{
	struct tsc_proto_request q = { .verb = TSC_VERB_STATS };
	bool set[128] = { false };
	struct tsc_proto_stats s;
	struct tsc_client *c;
	uint8_t *data;
	size_t len;
	int r;

	r = begin(argc, argv, "stats", "J", set, 0, 0, _("options"), &c);
	if (r >= 0)
		return r;
	r = tsc_client_call(c, &q, &data, &len);
	tsc_client_free(c);
	if (r < 0) {
		tsc_cli_lost(r);
		return TSC_EXIT_FAILURE;
	}
	r = tsc_proto_decode_stats(data, len, &s);
	free(data);
	if (r < 0) {
		tsc_cli_lost(r);
		return TSC_EXIT_FAILURE;
	}
	if (set['J']) {
		printf("{\"records\": %" PRIu64 ", \"bytes\": %" PRIu64
		       ", \"device_lost\": %" PRIu64 ", \"log_lost\": %" PRIu64
		       ", \"client_lost\": %" PRIu64
		       ", \"ttys\": %u, \"logs\": %u, \"clients\": %u"
		       ", \"uptime_s\": %u}\n",
		       s.records, s.bytes, s.device_lost, s.log_lost,
		       s.client_lost, s.ttys, s.logs, s.clients, s.uptime_s);
	} else {
		const char *label[] = {
			_("records read:"),
			_("payload bytes:"),
			_("lost by the device:"),
			_("not logged:"),
			_("dropped for clients:"),
			_("live ttys:"),
			_("open logs:"),
			_("clients:"),
			_("uptime:"),
		};
		uint64_t val[] = { s.records,  s.bytes,	      s.device_lost,
				   s.log_lost, s.client_lost, s.ttys,
				   s.logs,     s.clients };
		int w = 0;

		for (size_t i = 0; i < sizeof(label) / sizeof(label[0]); i++)
			if (str_width(label[i]) > w)
				w = str_width(label[i]);
		for (size_t i = 0; i < sizeof(val) / sizeof(val[0]); i++)
			printf("%s%*s %" PRIu64 "\n", label[i],
			       w - str_width(label[i]), "", val[i]);
		printf("%s%*s %u:%02u:%02u\n", label[8],
		       w - str_width(label[8]), "", s.uptime_s / 3600,
		       s.uptime_s / 60 % 60, s.uptime_s % 60);
	}
	return fflush(stdout) == 0 ? EXIT_SUCCESS : TSC_EXIT_FAILURE;
}

/* ---- control ------------------------------------------------------------- */

/*
 * Send one request about @t and wait for its reply; print "ttyscope:
 * @what 'NAME': error" on failure. Returns 0 or -errno.
 */
static int control(struct tsc_client *c, const struct tsc_proto_tty *t,
		   uint32_t verb, const void *args, size_t len,
		   const char *what, uint8_t **ret_data, size_t *ret_len)
{
	struct tsc_proto_request q = {
		.verb = verb,
		.major = t ? t->major : 0,
		.minor = t ? t->minor : 0,
		.args = args,
		.len = len,
	};
	uint8_t *data;
	size_t n;
	int r;

	r = tsc_client_call(c, &q, &data, &n);
	if (r < 0) {
		if (connection_error(r))
			tsc_cli_lost(r);
		else
			tsc_cli_err(what, t ? t->name : (const char *)args, -r);
		return r;
	}
	if (ret_data) {
		*ret_data = data;
		*ret_len = n;
	} else {
		free(data);
	}
	return 0;
}

/* Connect and find the tty of argv[optind]. */
static int open_tty(char **argv, struct tsc_client **ret_c,
		    struct tsc_proto_tty *ret_tty)
{
	if (tsc_cli_connect(ret_c) < 0)
		return -1;
	if (tsc_cli_resolve_tty(*ret_c, argv[optind], ret_tty) < 0) {
		tsc_client_free(*ret_c);
		return -1;
	}
	return 0;
}

/* block, unblock, detach: a verb without arguments about one tty. */
static int simple_verb(int argc, char **argv, const char *cmd, uint32_t verb,
		       const char *what)
{
	bool set[128] = { false };
	struct tsc_proto_tty t;
	struct tsc_client *c;
	int r;

	r = begin(argc, argv, cmd, "", set, 1, 1, _("one tty"), NULL);
	if (r >= 0)
		return r;
	if (open_tty(argv, &c, &t) < 0)
		return TSC_EXIT_FAILURE;
	r = control(c, &t, verb, NULL, 0, what, NULL, NULL);
	tsc_client_free(c);
	return r < 0 ? TSC_EXIT_FAILURE : EXIT_SUCCESS;
}

int tsc_cmd_block(int argc, char **argv)
{
	return simple_verb(argc, argv, "block", TSC_VERB_BLOCK,
			   _("cannot block"));
}

int tsc_cmd_unblock(int argc, char **argv)
{
	return simple_verb(argc, argv, "unblock", TSC_VERB_UNBLOCK,
			   _("cannot unblock"));
}

int tsc_cmd_detach(int argc, char **argv)
{
	return simple_verb(argc, argv, "detach", TSC_VERB_DETACH,
			   _("cannot detach"));
}

/* Ask "question [y/N]" on the terminal; true for a yes. */
static bool confirm(const char *question)
{
	char line[64];

	fprintf(stderr, "%s %s ", question, _("[y/N]"));
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\n")] = '\0';
	return rpmatch(line) == 1;
}

int tsc_cmd_hangup(int argc, char **argv)
{
	bool set[128] = { false };
	struct tsc_proto_tty t;
	struct tsc_client *c;
	char question[256], user[64], name[64], comm[64];
	int r;

	r = begin(argc, argv, "hangup", "y", set, 1, 1, _("one tty"), NULL);
	if (r >= 0)
		return r;
	if (!set['y'] && !isatty(STDIN_FILENO)) {
		fprintf(stderr,
			_("%s: not hanging up '%s' without confirmation: standard input is not a terminal; use --yes\n"),
			PROGRAM_NAME, argv[optind]);
		return TSC_EXIT_FAILURE;
	}
	if (open_tty(argv, &c, &t) < 0)
		return TSC_EXIT_FAILURE;
	if (!set['y']) {
		snprintf(question, sizeof(question),
			 _("Hang up %s (user %s, %s)?"),
			 tsc_text_printable(t.name, name, sizeof(name)),
			 tsc_cli_user_name(c, t.uid, user, sizeof(user)),
			 tsc_text_printable(tty_command(&t), comm,
					    sizeof(comm)));
		if (!confirm(question)) {
			tsc_client_free(c);
			fprintf(stderr, _("%s: not hung up\n"), PROGRAM_NAME);
			return TSC_EXIT_FAILURE;
		}
	}
	r = control(c, &t, TSC_VERB_HANGUP, NULL, 0, _("cannot hang up"), NULL,
		    NULL);
	tsc_client_free(c);
	return r < 0 ? TSC_EXIT_FAILURE : EXIT_SUCCESS;
}

int tsc_cmd_attach(int argc, char **argv)
{
	bool set[128] = { false };
	struct tsc_client *c;
	char path[4096];
	uint8_t *data;
	size_t len;
	int r;

	r = begin(argc, argv, "attach", "", set, 1, 1, _("one device"), NULL);
	if (r >= 0)
		return r;
	/* the daemon opens the path on its host: relative means /dev */
	if (argv[optind][0] == '/')
		snprintf(path, sizeof(path), "%s", argv[optind]);
	else
		snprintf(path, sizeof(path), "/dev/%s", argv[optind]);
	if (strlen(path) > TSC_REQUEST_ARGS_MAX) {
		tsc_cli_err(_("cannot attach"), argv[optind], ENAMETOOLONG);
		return TSC_EXIT_FAILURE;
	}
	if (tsc_cli_connect(&c) < 0)
		return TSC_EXIT_FAILURE;
	r = control(c, NULL, TSC_VERB_ATTACH, path, strlen(path),
		    _("cannot attach"), &data, &len);
	tsc_client_free(c);
	if (r < 0)
		return TSC_EXIT_FAILURE;
	if (len >= 8)
		printf(_("%s: captured as %u:%u\n"), path,
		       data[0] | data[1] << 8 | data[2] << 16 |
			       (unsigned int)data[3] << 24,
		       data[4] | data[5] << 8 | data[6] << 16 |
			       (unsigned int)data[7] << 24);
	free(data);
	return EXIT_SUCCESS;
}

/* Read all of standard input (at most @max bytes). */
static int read_stdin(uint8_t **ret, size_t *ret_len, size_t max)
{
	size_t len = 0, cap = 4096;
	uint8_t *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			uint8_t *b;

			if (cap > max) {
				free(buf);
				return -EFBIG;
			}
			b = realloc(buf, cap * 2);
			if (!b) {
				free(buf);
				return -ENOMEM;
			}
			buf = b;
			cap *= 2;
		}
		n = read(STDIN_FILENO, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			free(buf);
			return err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		free(buf);
		return -EFBIG;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* Decode \r \n \t \e \a \b \\ \xHH in place; returns the new length. */
static size_t unescape(uint8_t *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		static const char from[] = "rnteab\\",
				  to[] = "\r\n\t\033\a\b\\";
		const char *e;

		if (s[i] != '\\' || i + 1 == len) {
			s[o++] = s[i];
			continue;
		}
		e = memchr(from, s[i + 1], sizeof(from) - 1);
		if (e) {
			s[o++] = (uint8_t)to[e - from];
			i++;
		} else if (s[i + 1] == 'x' && i + 3 < len &&
			   isxdigit(s[i + 2]) && isxdigit(s[i + 3])) {
			char h[3] = { (char)s[i + 2], (char)s[i + 3], 0 };

			s[o++] = (uint8_t)strtoul(h, NULL, 16);
			i += 3;
		} else {
			s[o++] = s[i];
		}
	}
	return o;
}

/*
 * The text of inject or message: argv[@first] (or all arguments from
 * there, joined by spaces, if @join), or standard input for "-".
 */
static int get_text(int argc, char **argv, int first, bool join, uint8_t **ret,
		    size_t *ret_len)
{
	size_t len = 0;
	uint8_t *buf;
	int r;

	if (argc - first == 1 && !strcmp(argv[first], "-")) {
		r = read_stdin(ret, ret_len, INJECT_MAX);
		if (r < 0)
			tsc_cli_err(_("cannot read standard input"), NULL, -r);
		return r;
	}
	for (int i = first; i < argc; i++)
		len += strlen(argv[i]) + 1;
	buf = malloc(len + 1);
	if (!buf) {
		tsc_cli_err(_("cannot read the text"), NULL, ENOMEM);
		return -ENOMEM;
	}
	len = 0;
	for (int i = first; i < argc && (join || i == first); i++) {
		if (i > first)
			buf[len++] = ' ';
		memcpy(buf + len, argv[i], strlen(argv[i]));
		len += strlen(argv[i]);
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

/*
 * Apply inject's -e and -n to the text, which must not end up empty.
 * Returns -1 to go on, else the exit status.
 */
static int edit_inject(const bool *set, uint8_t **text, size_t *len)
{
	if (set['e'])
		*len = unescape(*text, *len);
	if (set['n']) {
		uint8_t *b = realloc(*text, *len + 1);

		if (!b)
			return TSC_EXIT_FAILURE;
		*text = b;
		(*text)[(*len)++] = '\r';
	}
	if (!*len) {
		fprintf(stderr, _("%s: nothing to type\n"), PROGRAM_NAME);
		return TSC_EXIT_USAGE;
	}
	return -1;
}

/* A message fits in one request. Returns -1 to go on, else the status. */
static int check_message(size_t len)
{
	if (len && len <= TSC_REQUEST_ARGS_MAX)
		return -1;
	fprintf(stderr,
		len ? _("%s: the message is too long (at most %u bytes)\n") :
		      _("%s: the message is empty\n"),
		PROGRAM_NAME, (unsigned int)TSC_REQUEST_ARGS_MAX);
	return TSC_EXIT_USAGE;
}

/* Type @text into @t, in as many requests as needed. 0 or -errno. */
static int inject_all(struct tsc_client *c, const struct tsc_proto_tty *t,
		      const uint8_t *text, size_t len)
{
	for (size_t off = 0; off < len;) {
		size_t n = len - off < TSC_REQUEST_ARGS_MAX ?
				   len - off :
				   TSC_REQUEST_ARGS_MAX;
		uint32_t accepted = 0;
		uint8_t *data;
		size_t dlen;
		int r;

		r = control(c, t, TSC_VERB_INJECT, text + off, n,
			    _("cannot type into"), &data, &dlen);
		if (r < 0)
			return r;
		if (dlen >= 4)
			accepted = data[0] | data[1] << 8 | data[2] << 16 |
				   (uint32_t)data[3] << 24;
		free(data);
		off += accepted;
		if (accepted < n) {
			fprintf(stderr,
				_("%s: '%s' took only %zu of %zu bytes (its input buffer is full)\n"),
				PROGRAM_NAME, t->name, off, len);
			return -EAGAIN;
		}
	}
	return 0;
}

/* inject and message: a tty, then a text from the arguments or stdin. */
static int text_verb(int argc, char **argv, uint32_t verb)
{
	bool inject = verb == TSC_VERB_INJECT;
	const char *cmd = inject ? "inject" : "message";
	bool set[128] = { false };
	struct tsc_proto_tty t;
	struct tsc_client *c;
	uint8_t *text = NULL;
	size_t len = 0;
	int r;

	r = begin(argc, argv, cmd, inject ? "ne" : "", set, 2, inject ? 2 : -1,
		  _("a tty and a text"), NULL);
	if (r >= 0)
		return r;
	/* inject types one argument as it is; a message joins them */
	if (get_text(argc, argv, optind + 1, !inject, &text, &len) < 0)
		return TSC_EXIT_FAILURE;
	r = inject ? edit_inject(set, &text, &len) : check_message(len);
	if (r < 0 && open_tty(argv, &c, &t) < 0)
		r = TSC_EXIT_FAILURE;
	if (r >= 0) {
		free(text);
		return r;
	}
	if (inject)
		r = inject_all(c, &t, text, len);
	else
		r = control(c, &t, TSC_VERB_MESSAGE, text, len,
			    _("cannot send a message to"), NULL, NULL);
	tsc_client_free(c);
	free(text);
	return r < 0 ? TSC_EXIT_FAILURE : EXIT_SUCCESS;
}

int tsc_cmd_inject(int argc, char **argv)
{
	return text_verb(argc, argv, TSC_VERB_INJECT);
}

int tsc_cmd_message(int argc, char **argv)
{
	return text_verb(argc, argv, TSC_VERB_MESSAGE);
}

/* ---- stream -------------------------------------------------------------- */

/* One direction of the copy: bytes read from @in, not yet written. */
struct pump {
	int in, out;
	uint8_t buf[65536];
	size_t off, len;
	bool eof;
};

/*
 * Copy what @p can now: read when empty, write what is pending. A write
 * takes at most PIPE_BUF bytes after POLLOUT, so it never blocks on a
 * pipe and the other direction keeps flowing. A reset connection counts
 * as its end. Returns 0, -EPIPE when the writing side has gone, or
 * another -errno.
 */
static int pump_run(struct pump *p, short rev_in, short rev_out)
{
	if (p->len == 0 && !p->eof && (rev_in & (POLLIN | POLLHUP | POLLERR))) {
		ssize_t n = read(p->in, p->buf, sizeof(p->buf));

		if (n < 0 && errno == ECONNRESET)
			n = 0;
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
		if (n == 0)
			p->eof = true;
		if (n > 0) {
			p->off = 0;
			p->len = (size_t)n;
		}
	}
	if (p->len && (rev_out & (POLLOUT | POLLERR | POLLHUP))) {
		size_t chunk = p->len < 4096 ? p->len : 4096;
		ssize_t n = write(p->out, p->buf + p->off, chunk);

		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return -EPIPE;
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
		if (n > 0) {
			p->off += (size_t)n;
			p->len -= (size_t)n;
		}
	}
	return 0;
}

int tsc_cmd_stream(int argc, char **argv)
{
	static struct pump up, down; /* stdin to daemon, daemon to stdout */
	bool set[128] = { false };
	struct tsc_client *c;
	bool shut = false;
	int r, fd;

	r = begin(argc, argv, "stream", "", set, 0, 0, _("options"), NULL);
	if (r >= 0)
		return r;
	if (tsc_cli_daemon.remote || tsc_cli_daemon.host) {
		fprintf(stderr,
			_("%s: stream copies the local socket; --remote and -H do not apply\n"),
			PROGRAM_NAME);
		return TSC_EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);
	r = tsc_client_connect(tsc_cli_daemon.socket, &c);
	if (r < 0) {
		tsc_cli_err(_("cannot connect to ttyscoped"),
			    tsc_cli_daemon.socket, -r);
		if (r == -EACCES || r == -EPERM)
			hint_group();
		return TSC_EXIT_FAILURE;
	}
	fd = tsc_client_fd(c);
	up = (struct pump){ .in = STDIN_FILENO, .out = fd };
	down = (struct pump){ .in = fd, .out = STDOUT_FILENO };
	/* the copy ends when the daemon closes the connection */
	while (!(down.eof && down.len == 0)) {
		struct pollfd pfd[3] = {
			{ STDIN_FILENO, up.len || up.eof ? 0 : POLLIN, 0 },
			{ fd,
			  (short)((down.len ? 0 : POLLIN) |
				  (up.len ? POLLOUT : 0)),
			  0 },
			{ STDOUT_FILENO, down.len ? POLLOUT : 0, 0 },
		};

		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (pfd[2].revents & POLLERR)
			break; /* our reader went away */
		r = pump_run(&up, pfd[0].revents, pfd[1].revents);
		if (r == -EPIPE) {
			/* the daemon closed: send it nothing more */
			up.eof = true;
			up.len = 0;
			r = 0;
		}
		if (r == 0)
			r = pump_run(&down, pfd[1].revents, pfd[2].revents);
		if (r == -EPIPE) {
			r = 0; /* our reader went away */
			break;
		}
		if (r < 0)
			break;
		if (up.eof && !up.len && !shut) {
			/* no more requests: the daemon answers and closes */
			shutdown(fd, SHUT_WR);
			shut = true;
		}
	}
	tsc_client_free(c);
	if (r < 0) {
		tsc_cli_err(_("stream"), NULL, -r);
		return TSC_EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}
