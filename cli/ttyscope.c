// SPDX-License-Identifier: GPL-2.0-only
/*
 * ttyscope: watch and control live ttys through ttyscoped; replay,
 * export, import and find captured tty sessions.
 *
 * Git-style subcommands; this file holds main(), the global options (where
 * the daemon is), the dispatch, and what the subcommands share: loading a
 * session (ttyscope log, asciicast or script recording) into memory,
 * parsing times, and error messages in the util-linux form
 * "ttyscope: <what> '<path>': <strerror>".
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tsc-i18n.h"
#include "tsc-text.h"
#include "ttyscope-cli.h"

struct tsc_cli_daemon tsc_cli_daemon;

/* Print "ttyscope: WHAT 'PATH': strerror(ERR)" (ERR > 0) on stderr. */
void tsc_cli_err(const char *what, const char *path, int err)
{
	if (path)
		fprintf(stderr, "%s: %s '%s': %s\n", PROGRAM_NAME, what, path,
			strerror(err));
	else
		fprintf(stderr, "%s: %s: %s\n", PROGRAM_NAME, what,
			strerror(err));
}

void tsc_cli_try_help(const char *cmd)
{
	if (cmd)
		fprintf(stderr, _("Try '%s %s --help' for more information.\n"),
			PROGRAM_NAME, cmd);
	else
		fprintf(stderr, _("Try '%s --help' for more information.\n"),
			PROGRAM_NAME);
}

/* Print @s as a JSON string on stdout; NULL prints null. */
void tsc_cli_json_str(const char *s)
{
	char *q = s ? tsc_text_json(s) : NULL;

	/* out of memory: an empty string keeps the output valid JSON */
	fputs(q ? q : s ? "\"\"" : "null", stdout);
	free(q);
}

/* write() all of @buf, retrying short writes and EINTR; 0 or -errno. */
int tsc_cli_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int tsc_cli_parse_format(const char *arg, enum tsc_in_format *ret)
{
	static const struct {
		const char *name;
		enum tsc_in_format format;
	} names[] = {
		{ "auto", TSC_IN_AUTO },
		{ "ttyscope", TSC_IN_TTYSCOPE },
		{ "asciicast", TSC_IN_ASCIICAST },
		{ "script", TSC_IN_SCRIPT },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(arg, names[i].name)) {
			*ret = names[i].format;
			return 0;
		}
	return -EINVAL;
}

/*
 * Parse a size in bytes: digits, optionally followed by K, M or G
 * (powers of 1024; "KiB", "MiB", "GiB" also accepted).
 */
int tsc_cli_parse_size(const char *arg, uint64_t *ret)
{
	static const char units[] = "KMG";
	unsigned long long v;
	const char *u;
	char *end;

	if (*arg < '0' || *arg > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno)
		return -ERANGE;
	if (*end) {
		u = strchr(units, end[0] & ~0x20);
		if (!u || !*u || (end[1] && strcmp(end + 1, "iB")))
			return -EINVAL;
		for (long n = u - units + 1; n > 0; n--) {
			if (v > UINT64_MAX / 1024)
				return -ERANGE;
			v *= 1024;
		}
	}
	*ret = v;
	return 0;
}

/*
 * Parse a position in a recording: seconds ("90", "1.5") or
 * [[HH:]MM:]SS[.frac] ("1:30", "0:01:30.25").
 */
int tsc_cli_parse_time(const char *arg, uint64_t *ret_ns)
{
	double total = 0;
	const char *p = arg;
	int fields = 0;

	if (!*arg)
		return -EINVAL;
	for (;;) {
		const char *dot;
		char *end;
		double v;

		if (*p < '0' || *p > '9')
			return -EINVAL;
		errno = 0;
		v = strtod(p, &end);
		if (errno || end == p || !isfinite(v) || v < 0)
			return -EINVAL;
		total = total * 60 + v;
		fields++;
		if (*end == '\0')
			break;
		dot = strchr(p, '.');
		if (*end != ':' || fields == 3 || (dot && dot < end))
			return -EINVAL;
		p = end + 1;
	}
	if (total > 1e9)
		return -ERANGE;
	*ret_ns = (uint64_t)llround(total * 1e9);
	return 0;
}

/*
 * tsc_cli_load() - read a whole session into memory
 * @path: the file
 * @format: its format; %TSC_IN_AUTO guesses from the first bytes
 * @timing: script's timing file (required for the script format)
 * @s: the session, zeroed by the caller
 *
 * Loads with libttyscope's tsc_recording_load(); prints an error message
 * on failure.
 *
 * Return: 0 or a negative errno.
 */
int tsc_cli_load(const char *path, enum tsc_in_format format,
		 const char *timing, struct tsc_recording *s)
{
	struct tsc_recording rec = { 0 };
	struct tsc_recording_error err = { 0 };
	enum tsc_recording_format f;
	int fd, tfd = -1, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		tsc_cli_err(_("cannot open"), path, -r);
		return r;
	}
	switch (format) {
	case TSC_IN_TTYSCOPE:
		f = TSC_RECORDING_LOG;
		break;
	case TSC_IN_ASCIICAST:
		f = TSC_RECORDING_ASCIICAST;
		break;
	case TSC_IN_SCRIPT:
		f = TSC_RECORDING_SCRIPT;
		break;
	default:
		f = timing ? TSC_RECORDING_SCRIPT : tsc_recording_sniff(fd);
		break;
	}
	if (f == TSC_RECORDING_SCRIPT && !timing) {
		fprintf(stderr,
			_("%s: '%s' is not a ttyscope log or an "
			  "asciicast file; for a script recording, "
			  "give --timing\n"),
			PROGRAM_NAME, path);
		close(fd);
		return -EINVAL;
	}
	if (f == TSC_RECORDING_SCRIPT) {
		tfd = open(timing, O_RDONLY | O_CLOEXEC);
		if (tfd < 0) {
			r = -errno;
			tsc_cli_err(_("cannot open"), timing, -r);
			close(fd);
			return r;
		}
	}
	r = tsc_recording_load(&rec, fd, tfd, f, &err);
	if (tfd >= 0)
		close(tfd);
	close(fd);
	if (r == -EBADMSG && f == TSC_RECORDING_LOG && !err.header)
		fprintf(stderr, _("%s: corrupt log '%s' at byte %" PRIu64 "\n"),
			PROGRAM_NAME, path, err.offset);
	else if (r < 0 && f == TSC_RECORDING_LOG)
		tsc_cli_err(_("cannot read log"), path, -r);
	else if (r == -EBADMSG && f == TSC_RECORDING_ASCIICAST)
		fprintf(stderr,
			_("%s: malformed asciicast '%s' at line %" PRIu64 "\n"),
			PROGRAM_NAME, path, err.line);
	else if (r == -EBADMSG)
		fprintf(stderr,
			_("%s: malformed timing file '%s' at line "
			  "%" PRIu64 "\n"),
			PROGRAM_NAME, timing, err.line);
	else if (r < 0)
		tsc_cli_err(_("cannot import"), path, -r);
	if (r < 0)
		return r;
	*s = rec;
	return 0;
}

static void __attribute__((noreturn)) usage(void)
{
	FILE *out = stdout;

	fputs(_("\nUsage:\n"), out);
	fprintf(out, _(" %s [options] <command> [<arguments>]\n"),
		PROGRAM_NAME);
	fputs(_("\nWatch and control the ttys of a machine through ttyscoped;\nreplay, export, import and find captured tty sessions.\n"),
	      out);
	fputs(_("\nCommands on live ttys (through ttyscoped):\n"), out);
	fputs(_(" list             list the live ttys\n"), out);
	fputs(_(" watch <tty>      show a live session in this terminal\n"),
	      out);
	fputs(_(" block <tty>      discard what the user of a tty types\n"),
	      out);
	fputs(_(" unblock <tty>    let the user's input through again\n"), out);
	fputs(_(" inject <tty> <text>   type text into a tty\n"), out);
	fputs(_(" hangup <tty>     hang a tty up\n"), out);
	fputs(_(" message <tty> <text>  show a message on the user's screen\n"),
	      out);
	fputs(_(" attach <device>  capture a tty that was open before\n"), out);
	fputs(_(" detach <tty>     stop capturing a tty\n"), out);
	fputs(_(" stats            show the daemon's counters\n"), out);
	fputs(_(" stream           carry the daemon's socket on stdin/stdout\n"),
	      out);
	fputs(_("\nCommands on recordings:\n"), out);
	fputs(_(" replay <file>|<tty>  play a session, or follow a live one\n"),
	      out);
	fputs(_(" export <file>    convert a session to asciicast or script\n"),
	      out);
	fputs(_(" import <file>    convert asciicast or script to a ttyscope log\n"),
	      out);
	fputs(_(" logs [<dir>]     list the sessions in a log directory\n"),
	      out);
	fputs(_("\nOptions:\n"), out);
	fputs(_(" -s, --socket <path>    the daemon's socket (default: $TTYSCOPE_SOCKET,\n"
		"                        else /run/ttyscope/ttyscope.sock)\n"),
	      out);
	fputs(_(" -H, --host <host>      use the daemon of <host>, through\n"
		"                        'ssh -T <host> ttyscope stream'\n"),
	      out);
	fputs(_("     --remote <command> use the daemon at the other end of a shell\n"
		"                        command that runs 'ttyscope stream'\n"),
	      out);
	fputs(_(" -h, --help             display this help\n"), out);
	fputs(_(" -V, --version          display version\n"), out);
	fprintf(out,
		_("\nRun '%s <command> --help' for a command's options.\n"),
		PROGRAM_NAME);
	fputs(_("For more details see ttyscope(1).\n"), out);
	exit(EXIT_SUCCESS);
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ .name = "replay", .fn = tsc_cmd_replay },
	{ .name = "export", .fn = tsc_cmd_export },
	{ .name = "import", .fn = tsc_cmd_import },
	{ .name = "logs", .fn = tsc_cmd_logs },
	{ .name = "list", .fn = tsc_cmd_list },
	{ .name = "watch", .fn = tsc_cmd_watch },
	{ .name = "block", .fn = tsc_cmd_block },
	{ .name = "unblock", .fn = tsc_cmd_unblock },
	{ .name = "inject", .fn = tsc_cmd_inject },
	{ .name = "hangup", .fn = tsc_cmd_hangup },
	{ .name = "message", .fn = tsc_cmd_message },
	{ .name = "attach", .fn = tsc_cmd_attach },
	{ .name = "detach", .fn = tsc_cmd_detach },
	{ .name = "stats", .fn = tsc_cmd_stats },
	{ .name = "stream", .fn = tsc_cmd_stream },
};

int main(int argc, char **argv)
{
	enum { OPT_REMOTE = 0x100 };
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "host", required_argument, NULL, 'H' },
		{ "remote", required_argument, NULL, OPT_REMOTE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
	textdomain(GETTEXT_PACKAGE);

	tsc_cli_daemon.socket = getenv("TTYSCOPE_SOCKET");
	if (!tsc_cli_daemon.socket || !*tsc_cli_daemon.socket)
		tsc_cli_daemon.socket = TSC_DEFAULT_SOCKET;
	/* Options before the command only; "+" stops at the first word. */
	while ((c = getopt_long(argc, argv, "+s:H:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			tsc_cli_daemon.socket = optarg;
			tsc_cli_daemon.socket_option = true;
			break;
		case 'H':
			tsc_cli_daemon.host = optarg;
			break;
		case OPT_REMOTE:
			tsc_cli_daemon.remote = optarg;
			break;
		case 'h':
			usage();
		case 'V':
			printf(_("%s from %s %s\n"), PROGRAM_NAME, "ttyscope",
			       TTYSCOPE_VERSION);
			return EXIT_SUCCESS;
		default:
			tsc_cli_try_help(NULL);
			return TSC_EXIT_USAGE;
		}
	}
	if (tsc_cli_daemon.host && tsc_cli_daemon.remote) {
		fprintf(stderr,
			_("%s: --host and --remote exclude each other\n"),
			PROGRAM_NAME);
		tsc_cli_try_help(NULL);
		return TSC_EXIT_USAGE;
	}
	if (optind >= argc) {
		fprintf(stderr, _("%s: no command given\n"), PROGRAM_NAME);
		tsc_cli_try_help(NULL);
		return TSC_EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[optind], commands[i].name)) {
			static char name[64];

			/* getopt's messages say "ttyscope replay: ..." */
			snprintf(name, sizeof(name), "%s %s", PROGRAM_NAME,
				 commands[i].name);
			argv += optind;
			argc -= optind;
			argv[0] = name;
			optind = 0; /* glibc: reinitialize getopt */
			return commands[i].fn(argc, argv);
		}
	fprintf(stderr, _("%s: unknown command '%s'\n"), PROGRAM_NAME,
		argv[optind]);
	tsc_cli_try_help(NULL);
	return TSC_EXIT_USAGE;
}
