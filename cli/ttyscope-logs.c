// SPDX-License-Identifier: GPL-2.0-only
/*
 * ttyscope logs: find the sessions in a log directory. Every regular file
 * below the directory whose header is a ttyscope log header is a session;
 * other files are skipped silently. The header and the reader's statistics
 * give user, tty, host and times; --grep reads the output records.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tsc-i18n.h"
#include "tsc-text.h"
#include "ttyscope-cli.h"

#define DEFAULT_LOG_DIR "/var/log/ttyscope"

struct session_info {
	char *path;
	char *user;
	char *tty;
	char *host;
	char *command;
	uint32_t uid;
	uint64_t start_ns;
	uint64_t end_ns;
	uint64_t records;
};

static struct {
	const char *user;
	const char *tty;
	uint64_t since;
	uint64_t until;
	bool have_since, have_until;
	regex_t re;
	bool grep;
	struct session_info *v;
	size_t n, cap;
	int err;
} q;

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Does the text of the log's OUT records match --grep? */
static int log_grep(struct tsc_log_reader *reader)
{
	struct text_strip t = { 0 };
	char *text = NULL;
	size_t len = 0, cap = 0;
	struct tsc_rec rec;
	int r;

	while ((r = tsc_log_reader_next(reader, &rec)) > 0) {
		if (rec.hdr.type != TTYSCOPE_REC_OUT)
			continue;
		if (len + rec.hdr.len + 1 > cap) {
			char *p;

			cap = (len + rec.hdr.len + 1) * 2;
			p = realloc(text, cap);
			if (!p) {
				free(text);
				return -ENOMEM;
			}
			text = p;
		}
		len += text_strip(&t, rec.payload, rec.hdr.len,
				  (uint8_t *)text + len);
	}
	if (r == 0)
		r = text &&
		    (text[len] = '\0', !regexec(&q.re, text, 0, NULL, 0));
	free(text);
	return r;
}

static bool user_matches(const struct tsc_log_meta *m)
{
	char uid[16];

	if (!q.user)
		return true;
	if (m->user && !strcmp(m->user, q.user))
		return true;
	snprintf(uid, sizeof(uid), "%" PRIu32, m->uid);
	return m->uid != TTYSCOPE_UID_UNSET && !strcmp(uid, q.user);
}

static bool tty_matches(const struct tsc_log_meta *m)
{
	const char *t = q.tty;

	if (!t)
		return true;
	if (!strncmp(t, "/dev/", 5))
		t += 5;
	return m->tty && !strcmp(m->tty, t);
}

/* Look at one file; add it to q.v if it is a matching session. */
static int visit(const char *path, const struct stat *st, int type,
		 struct FTW *ftw)
{
	struct tsc_log_reader *reader = NULL;
	const struct tsc_log_meta *m;
	struct tsc_log_stats stats;
	struct session_info *si;
	int fd, r;

	if (type != FTW_F)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (tsc_log_reader_new(fd, &reader) < 0)
		goto out;
	m = tsc_log_reader_meta(reader);
	if (!user_matches(m) || !tty_matches(m))
		goto out;
	if (tsc_log_reader_stats(reader, &stats) < 0) {
		fprintf(stderr, _("%s: corrupt log '%s'\n"), PROGRAM_NAME,
			path);
		goto out;
	}
	{
		uint64_t start = m->start_ns ? m->start_ns : stats.first_ts;
		uint64_t end = stats.max_ts > start ? stats.max_ts : start;

		if ((q.have_since && end < q.since) ||
		    (q.have_until && start > q.until))
			goto out;
		if (q.grep) {
			r = log_grep(reader);
			if (r < 0)
				fprintf(stderr, _("%s: corrupt log '%s'\n"),
					PROGRAM_NAME, path);
			if (r <= 0)
				goto out;
		}
		if (q.n == q.cap) {
			size_t cap = q.cap ? q.cap * 2 : 32;
			struct session_info *v = realloc(q.v, cap * sizeof(*v));

			if (!v) {
				q.err = -ENOMEM;
				goto out;
			}
			q.v = v;
			q.cap = cap;
		}
		si = &q.v[q.n++];
		memset(si, 0, sizeof(*si));
		si->path = strdup(path);
		si->user = dup_or_null(m->user);
		si->tty = dup_or_null(m->tty);
		si->host = dup_or_null(m->host);
		for (size_t i = 0; i < m->n_fields; i++)
			if (!strcmp(m->fields[i].key, "command"))
				si->command = dup_or_null(m->fields[i].value);
		si->uid = m->uid;
		si->start_ns = start;
		si->end_ns = end;
		si->records = stats.records;
	}
out:
	tsc_log_reader_free(reader);
	close(fd);
	return q.err ? 1 : 0;
}

static int cmp_session(const void *a, const void *b)
{
	const struct session_info *x = a, *y = b;

	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* Parse @EPOCH, YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] (local time). */
static int parse_date(const char *arg, uint64_t *ret_ns)
{
	static const char *const formats[] = {
		"%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
		"%Y-%m-%dT%H:%M",    "%Y-%m-%d",
	};
	struct tm tm;
	time_t t;

	if (arg[0] == '@') {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(arg + 1, &end, 10);
		if (errno || end == arg + 1 || *end || v > 9000000000ull)
			return -EINVAL;
		*ret_ns = v * 1000000000ull;
		return 0;
	}
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		const char *end;

		memset(&tm, 0, sizeof(tm));
		end = strptime(arg, formats[i], &tm);
		if (!end || *end)
			continue;
		tm.tm_isdst = -1;
		t = mktime(&tm);
		if (t < 0)
			return -EINVAL;
		*ret_ns = (uint64_t)t * 1000000000ull;
		return 0;
	}
	return -EINVAL;
}

static void format_time(uint64_t ns, char *buf, size_t size, bool iso)
{
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tm;

	if (iso) {
		gmtime_r(&t, &tm);
		strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
	} else {
		localtime_r(&t, &tm);
		strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
	}
}

static void print_sessions(bool json)
{
	char start[32], user[256], tty[64], host[256], path[4096];

	if (json)
		fputs("[", stdout);
	else if (q.n)
		printf("%-19s %9s %-12s %-8s %-12s %s\n", _("START"),
		       _("DURATION"), _("USER"), _("TTY"), _("HOST"),
		       _("FILE"));
	for (size_t i = 0; i < q.n; i++) {
		const struct session_info *si = &q.v[i];
		uint64_t d = (si->end_ns - si->start_ns) / 1000000000ull;
		char dur[32];

		if (json) {
			format_time(si->start_ns, start, sizeof(start), true);
			printf("%s\n  {\"file\": ", i ? "," : "");
			tsc_cli_json_str(si->path);
			printf(", \"start\": \"%s\", \"start_ns\": %" PRIu64
			       ", \"end_ns\": %" PRIu64 ", \"user\": ",
			       start, si->start_ns, si->end_ns);
			tsc_cli_json_str(si->user);
			if (si->uid != TTYSCOPE_UID_UNSET)
				printf(", \"uid\": %" PRIu32, si->uid);
			else
				fputs(", \"uid\": null", stdout);
			fputs(", \"tty\": ", stdout);
			tsc_cli_json_str(si->tty);
			fputs(", \"host\": ", stdout);
			tsc_cli_json_str(si->host);
			fputs(", \"command\": ", stdout);
			tsc_cli_json_str(si->command);
			printf(", \"records\": %" PRIu64 "}", si->records);
			continue;
		}
		format_time(si->start_ns, start, sizeof(start), false);
		snprintf(dur, sizeof(dur),
			 "%" PRIu64 ":%02" PRIu64 ":%02" PRIu64, d / 3600,
			 d / 60 % 60, d % 60);
		/* the fields are the log's: printable text only */
		printf("%-19s %9s %-12s %-8s %-12s %s\n", start, dur,
		       tsc_text_printable(si->user ? si->user : "-", user,
					  sizeof(user)),
		       tsc_text_printable(si->tty ? si->tty : "-", tty,
					  sizeof(tty)),
		       tsc_text_printable(si->host ? si->host : "-", host,
					  sizeof(host)),
		       tsc_text_printable(si->path, path, sizeof(path)));
	}
	if (json)
		fputs(q.n ? "\n]\n" : "]\n", stdout);
}

static void __attribute__((noreturn)) usage(void)
{
	fputs(_("\nUsage:\n"), stdout);
	fprintf(stdout, _(" %s logs [options] [<directory>]\n"), PROGRAM_NAME);
	fprintf(stdout,
		_("\nList the sessions logged below a directory (default %s).\n"),
		DEFAULT_LOG_DIR);
	fputs(_("\nOptions:\n"), stdout);
	fputs(_(" -u, --user <user>      sessions of this user (name or uid)\n"),
	      stdout);
	fputs(_(" -t, --tty <tty>        sessions on this tty (pts/3)\n"),
	      stdout);
	fputs(_(" -S, --since <date>     sessions that ended at or after date\n"),
	      stdout);
	fputs(_(" -U, --until <date>     sessions that started at or before date\n"),
	      stdout);
	fputs(_(" -g, --grep <regex>     sessions whose output matches regex\n"),
	      stdout);
	fputs(_(" -J, --json             print a JSON array\n"), stdout);
	fputs(_(" -h, --help             display this help\n"), stdout);
	fputs(_("\nDates: YYYY-MM-DD[ HH:MM[:SS]] (local time) or @seconds.\n"),
	      stdout);
	fputs(_("\nFor more details see ttyscope(1).\n"), stdout);
	exit(EXIT_SUCCESS);
}

int tsc_cmd_logs(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "tty", required_argument, NULL, 't' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "grep", required_argument, NULL, 'g' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = DEFAULT_LOG_DIR;
	bool json = false;
	struct stat st;
	int c, ret = TSC_EXIT_FAILURE;

	while ((c = getopt_long(argc, argv, "u:t:S:U:g:Jh", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'u':
			q.user = optarg;
			break;
		case 't':
			q.tty = optarg;
			break;
		case 'S':
		case 'U':
			if (parse_date(optarg, c == 'S' ? &q.since : &q.until) <
			    0) {
				fprintf(stderr, _("%s: invalid date '%s'\n"),
					PROGRAM_NAME, optarg);
				return TSC_EXIT_USAGE;
			}
			if (c == 'S')
				q.have_since = true;
			else
				q.have_until = true;
			break;
		case 'g':
			if (q.grep)
				regfree(&q.re);
			if (regcomp(&q.re, optarg,
				    REG_EXTENDED | REG_NEWLINE | REG_NOSUB)) {
				fprintf(stderr,
					_("%s: invalid regular expression '%s'\n"),
					PROGRAM_NAME, optarg);
				return TSC_EXIT_USAGE;
			}
			q.grep = true;
			break;
		case 'J':
			json = true;
			break;
		case 'h':
			usage();
		default:
			tsc_cli_try_help("logs");
			return TSC_EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, _("%s: logs takes at most one directory\n"),
			PROGRAM_NAME);
		tsc_cli_try_help("logs");
		return TSC_EXIT_USAGE;
	}
	if (optind < argc)
		dir = argv[optind];
	if (stat(dir, &st) < 0) {
		tsc_cli_err(_("cannot open"), dir, errno);
		goto out;
	}
	if (nftw(dir, visit, 16, FTW_PHYS) < 0) {
		tsc_cli_err(_("cannot read"), dir, errno);
		goto out;
	}
	if (q.err) {
		tsc_cli_err(_("cannot read"), dir, -q.err);
		goto out;
	}
	if (q.n)
		qsort(q.v, q.n, sizeof(*q.v), cmp_session);
	print_sessions(json);
	ret = EXIT_SUCCESS;
out:
	for (size_t i = 0; i < q.n; i++) {
		free(q.v[i].path);
		free(q.v[i].user);
		free(q.v[i].tty);
		free(q.v[i].host);
		free(q.v[i].command);
	}
	free(q.v);
	if (q.grep)
		regfree(&q.re);
	return ret;
}
