// SPDX-License-Identifier: GPL-2.0-only
/*
 * ttyscope replay: play a session's output on this terminal, in real time
 * (scaled by --speed, capped by --max-delay), or dump it as plain text.
 *
 * Interactive keys when stdin is a terminal: space pause/resume, '.'
 * step, '+'/'-' speed, '<'/'>' and the arrow keys seek 10 s backward or
 * forward, 'q' quit. Seeking re-renders: the output before the target
 * time is written without delays (after a terminal reset, "ESC c", when
 * going backward), so the screen is what it was at that time. Sequences
 * that make the terminal answer back are filtered (tsc-abfilter.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "tsc-abfilter.h"
#include "tsc-i18n.h"
#include "ttyscope-cli.h"

#define SEEK_STEP_NS (10ull * 1000000000ull)

enum { T_GROUND, T_ESC, T_ESC_INTER, T_CSI, T_STR, T_STR_ESC };

/*
 * Convert output bytes to text: escape sequences removed, CR LF and a lone
 * CR become LF, other C0 controls and DEL removed. @out has room for @len.
 */
size_t text_strip(struct text_strip *t, const uint8_t *in, size_t len,
		  uint8_t *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = in[i];

		switch (t->state) {
		case T_GROUND:
			if (c == 0x1b) {
				t->state = T_ESC;
			} else if (c == '\r') {
				t->cr = true;
			} else if (c == '\n') {
				out[n++] = '\n';
				t->cr = false;
			} else if ((c >= 0x20 && c != 0x7f) || c == '\t') {
				if (t->cr)
					out[n++] = '\n';
				t->cr = false;
				out[n++] = c;
			}
			break;
		case T_ESC:
			if (c == '[')
				t->state = T_CSI;
			else if (c == ']' || c == 'P' || c == 'X' || c == '^' ||
				 c == '_')
				t->state = T_STR;
			else if (c >= 0x20 && c <= 0x2f)
				t->state = T_ESC_INTER;
			else
				t->state = T_GROUND;
			break;
		case T_ESC_INTER:
			if (c < 0x20 || c > 0x2f)
				t->state = T_GROUND;
			break;
		case T_CSI:
			if (c >= 0x40 && c <= 0x7e)
				t->state = T_GROUND;
			break;
		case T_STR:
			if (c == 0x07 || c == 0x18 || c == 0x1a)
				t->state = T_GROUND;
			else if (c == 0x1b)
				t->state = T_STR_ESC;
			break;
		default:
			t->state = c == 0x1b ? T_STR_ESC : T_GROUND;
			break;
		}
	}
	return n;
}

/* The OUT records of a session, in order. */
struct playlist {
	const struct tsc_rec **v;
	size_t n;
	uint64_t t0; /* time 0: the first record of the session */
};

static int playlist_build(const struct tsc_session_recs *s, struct playlist *p)
{
	p->v = calloc(s->n ? s->n : 1, sizeof(*p->v));
	if (!p->v)
		return -ENOMEM;
	p->n = 0;
	p->t0 = s->n ? s->recs[0].hdr.ts_ns : 0;
	for (size_t i = 0; i < s->n; i++) {
		if (s->recs[i].hdr.ts_ns < p->t0)
			p->t0 = s->recs[i].hdr.ts_ns;
		if (s->recs[i].hdr.type == TTYSCOPE_REC_OUT)
			p->v[p->n++] = &s->recs[i];
	}
	return 0;
}

/*
 * Index of the first OUT record whose text matches @re (matches may span
 * records; the record holding the match's first byte counts), or -1.
 */
static ssize_t playlist_search(const struct playlist *p, const regex_t *re)
{
	struct text_strip t = { 0 };
	size_t total = 0, len = 0, *ends;
	uint8_t *text;
	regmatch_t m;
	ssize_t found = -1;

	for (size_t i = 0; i < p->n; i++)
		total += p->v[i]->hdr.len;
	text = malloc(total + 1);
	ends = calloc(p->n ? p->n : 1, sizeof(*ends));
	if (!text || !ends)
		goto out;
	for (size_t i = 0; i < p->n; i++) {
		len += text_strip(&t, p->v[i]->payload, p->v[i]->hdr.len,
				  text + len);
		ends[i] = len;
	}
	text[len] = '\0';
	if (regexec(re, (char *)text, 1, &m, 0) == 0)
		for (size_t i = 0; i < p->n; i++)
			if ((size_t)m.rm_so < ends[i]) {
				found = (ssize_t)i;
				break;
			}
out:
	free(text);
	free(ends);
	return found;
}

/* Terminal state, restored at exit and on fatal signals. */
static struct termios saved_tio;
static bool tio_saved;
static volatile sig_atomic_t got_signal;

static void restore_tty(void)
{
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
	tio_saved = false;
}

static void on_signal(int sig)
{
	got_signal = sig;
}

static int raw_tty(void)
{
	struct termios tio;

	if (tcgetattr(STDIN_FILENO, &saved_tio) < 0)
		return -errno;
	tio = saved_tio;
	tio.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG | IEXTEN);
	tio.c_iflag &= ~(tcflag_t)(IXON | ICRNL);
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &tio) < 0)
		return -errno;
	tio_saved = true;
	atexit(restore_tty);
	return 0;
}

struct player {
	struct playlist pl;
	struct tsc_replay *replay;
	struct tsc_abfilter filter;
	uint8_t *buf; /* TTYSCOPE_MAX_PAYLOAD + TSC_ABFILTER_MAX bytes */
	size_t pos; /* next record to show */
	uint64_t now_ts; /* recording time shown so far */
	bool quit;
	bool reseek; /* a seek dropped the pending event */
	int err;
};

static void show(struct player *pl, size_t i)
{
	const struct tsc_rec *rec = pl->pl.v[i];
	size_t n;
	int r;

	n = tsc_abfilter_feed(&pl->filter, rec->payload, rec->hdr.len, pl->buf);
	r = tsc_cli_write_all(STDOUT_FILENO, pl->buf, n);
	if (r < 0 && !pl->err) {
		pl->err = r;
		pl->quit = true;
	}
	pl->now_ts = rec->hdr.ts_ns;
}

/* Show, without delays, what comes before @ts (from @from on). */
static void render_to(struct player *pl, size_t from, uint64_t ts)
{
	for (pl->pos = from; pl->pos < pl->pl.n && !pl->quit &&
			     pl->pl.v[pl->pos]->hdr.ts_ns < ts;
	     pl->pos++)
		show(pl, pl->pos);
	pl->now_ts = ts;
	tsc_replay_seek(pl->replay, ts);
	pl->reseek = true;
}

static void seek(struct player *pl, bool forward)
{
	uint64_t first = pl->pl.t0, target;

	if (forward) {
		target = pl->now_ts > UINT64_MAX - SEEK_STEP_NS ?
				 UINT64_MAX :
				 pl->now_ts + SEEK_STEP_NS;
		render_to(pl, pl->pos, target);
		return;
	}
	target = pl->now_ts > first + SEEK_STEP_NS ? pl->now_ts - SEEK_STEP_NS :
						     first;
	if (tsc_cli_write_all(STDOUT_FILENO, "\033c", 2) < 0)
		pl->quit = true;
	tsc_abfilter_init(&pl->filter);
	render_to(pl, 0, target);
}

static void handle_keys(struct player *pl, const uint8_t *k, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		double speed = tsc_replay_speed(pl->replay);

		switch (k[i]) {
		case 'q':
		case 0x03: /* ^C */
		case 0x04: /* ^D */
			pl->quit = true;
			return;
		case ' ':
			if (tsc_replay_paused(pl->replay))
				tsc_replay_resume(pl->replay);
			else
				tsc_replay_pause(pl->replay);
			break;
		case '.':
			tsc_replay_step(pl->replay);
			break;
		case '+':
			if (speed < 64)
				tsc_replay_set_speed(pl->replay, speed * 2);
			break;
		case '-':
			if (speed > 1.0 / 64)
				tsc_replay_set_speed(pl->replay, speed / 2);
			break;
		case '>':
		case '<':
			seek(pl, k[i] == '>');
			break;
		case 0x1b: /* arrows: ESC [ C/D or ESC O C/D */
			if (i + 2 < len &&
			    (k[i + 1] == '[' || k[i + 1] == 'O') &&
			    (k[i + 2] == 'C' || k[i + 2] == 'D')) {
				seek(pl, k[i + 2] == 'C');
				i += 2;
			}
			break;
		default:
			break;
		}
	}
}

/* Play from pl->pos to the end, reading keys from stdin if @keys. */
static void play(struct player *pl, bool keys)
{
	bool scheduled = false;

	pl->reseek = false;
	while (!pl->quit && !got_signal && pl->pos < pl->pl.n) {
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		uint64_t t;
		int timeout;

		if (!scheduled) {
			tsc_replay_schedule(pl->replay,
					    pl->pl.v[pl->pos]->hdr.ts_ns);
			scheduled = true;
		}
		t = tsc_replay_timeout(pl->replay);
		if (t == 0) {
			show(pl, pl->pos++);
			tsc_replay_fire(pl->replay);
			scheduled = false;
			continue;
		}
		if (t == TSC_REPLAY_NEVER)
			timeout = -1;
		else if (t > 3600000000000ull)
			timeout = 3600000;
		else
			timeout = (int)((t + 999999) / 1000000);
		if (poll(&pfd, keys ? 1 : 0, timeout) > 0 &&
		    (pfd.revents & (POLLIN | POLLHUP))) {
			uint8_t k[64];
			ssize_t n = read(STDIN_FILENO, k, sizeof(k));

			if (n <= 0) {
				keys = false;
				continue;
			}
			handle_keys(pl, k, (size_t)n);
		}
		/* a seek dropped the pending event; others keep it */
		if (pl->reseek) {
			scheduled = false;
			pl->reseek = false;
		}
	}
}

static void __attribute__((noreturn)) usage(void)
{
	FILE *out = stdout;

	fputs(_("\nUsage:\n"), out);
	fprintf(out, _(" %s replay [options] <file>\n"), PROGRAM_NAME);
	fputs(_("\nPlay a recorded session on this terminal.\n"), out);
	fputs(_("\nOptions:\n"), out);
	fputs(_(" -s, --speed <factor>      play faster (2) or slower (0.5)\n"),
	      out);
	fputs(_(" -m, --max-delay <secs>    wait at most this long between outputs\n"),
	      out);
	fputs(_(" -j, --jump <time>         start at this time ([[hh:]mm:]ss[.frac])\n"),
	      out);
	fputs(_("     --search <regex>      start at the first output matching regex\n"),
	      out);
	fputs(_(" -t, --text                print the output as plain text, no delays\n"),
	      out);
	fputs(_(" -F, --format <format>     auto, ttyscope, asciicast or script\n"),
	      out);
	fputs(_(" -T, --timing <file>       script timing file (format script)\n"),
	      out);
	fputs(_(" -h, --help                display this help\n"), out);
	fputs(_("\nKeys: space pause/resume, . step, + - speed,\n"), out);
	fputs(_("      < > or arrows seek 10 s back/forward, q quit.\n"), out);
	fputs(_("\nFor more details see ttyscope(1).\n"), out);
	exit(EXIT_SUCCESS);
}

/*
 * Print the text of the records from @from on. The records before it are
 * converted too, without printing, so that an escape sequence or a
 * character split across the start is not printed in part.
 */
static int replay_text(const struct playlist *pl, size_t from)
{
	struct text_strip t = { 0 };
	uint8_t buf[TTYSCOPE_MAX_PAYLOAD + 1];
	bool first = from > 0;
	int r = 0;

	for (size_t i = 0; i < pl->n && !r; i++) {
		size_t n = text_strip(&t, pl->v[i]->payload, pl->v[i]->hdr.len,
				      buf),
		       skip = 0;

		if (i < from)
			continue;
		/* the rest of a UTF-8 character that started before */
		while (first && skip < n && (buf[skip] & 0xc0) == 0x80)
			skip++;
		first = first && skip == n;
		r = tsc_cli_write_all(STDOUT_FILENO, buf + skip, n - skip);
	}
	if (!r && t.cr)
		r = tsc_cli_write_all(STDOUT_FILENO, "\n", 1);
	return r;
}

int tsc_cmd_replay(int argc, char **argv)
{
	enum { OPT_SEARCH = 0x100 };
	static const struct option longopts[] = {
		{ "speed", required_argument, NULL, 's' },
		{ "max-delay", required_argument, NULL, 'm' },
		{ "jump", required_argument, NULL, 'j' },
		{ "search", required_argument, NULL, OPT_SEARCH },
		{ "text", no_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'F' },
		{ "timing", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tsc_session_recs s = { 0 };
	struct player pl = { 0 };
	enum tsc_in_format format = TSC_IN_AUTO;
	const char *timing = NULL, *search = NULL;
	double speed = 1;
	uint64_t max_delay = 0, jump = 0;
	bool text = false, interactive;
	regex_t re;
	int c, r, ret = TSC_EXIT_FAILURE;

	while ((c = getopt_long(argc, argv, "s:m:j:tF:T:h", longopts, NULL)) !=
	       -1) {
		char *end;

		switch (c) {
		case 's':
			errno = 0;
			speed = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(speed > 0) ||
			    !isfinite(speed)) {
				fprintf(stderr, _("%s: invalid speed '%s'\n"),
					PROGRAM_NAME, optarg);
				return TSC_EXIT_USAGE;
			}
			break;
		case 'm':
			if (tsc_cli_parse_time(optarg, &max_delay) < 0) {
				fprintf(stderr,
					_("%s: invalid maximum delay '%s'\n"),
					PROGRAM_NAME, optarg);
				return TSC_EXIT_USAGE;
			}
			break;
		case 'j':
			if (tsc_cli_parse_time(optarg, &jump) < 0) {
				fprintf(stderr, _("%s: invalid time '%s'\n"),
					PROGRAM_NAME, optarg);
				return TSC_EXIT_USAGE;
			}
			break;
		case OPT_SEARCH:
			search = optarg;
			break;
		case 't':
			text = true;
			break;
		case 'F':
			if (tsc_cli_parse_format(optarg, &format) < 0) {
				fprintf(stderr, _("%s: unknown format '%s'\n"),
					PROGRAM_NAME, optarg);
				return TSC_EXIT_USAGE;
			}
			break;
		case 'T':
			timing = optarg;
			break;
		case 'h':
			usage();
		default:
			tsc_cli_try_help("replay");
			return TSC_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, _("%s: replay needs exactly one file\n"),
			PROGRAM_NAME);
		tsc_cli_try_help("replay");
		return TSC_EXIT_USAGE;
	}
	if (search) {
		r = regcomp(&re, search, REG_EXTENDED | REG_NEWLINE);
		if (r) {
			fprintf(stderr,
				_("%s: invalid regular expression '%s'\n"),
				PROGRAM_NAME, search);
			return TSC_EXIT_USAGE;
		}
	}
	if (tsc_cli_load(argv[optind], format, timing, &s) < 0)
		goto out_re;
	if (playlist_build(&s, &pl.pl) < 0) {
		tsc_cli_err(_("cannot replay"), argv[optind], ENOMEM);
		goto out;
	}
	/* the start: --search's match, else --jump */
	pl.pos = 0;
	while (pl.pos < pl.pl.n && pl.pl.v[pl.pos]->hdr.ts_ns < pl.pl.t0 + jump)
		pl.pos++;
	if (search) {
		ssize_t i = playlist_search(&pl.pl, &re);

		if (i < 0) {
			fprintf(stderr, _("%s: no output matches '%s'\n"),
				PROGRAM_NAME, search);
			goto out;
		}
		pl.pos = (size_t)i;
	}

	if (text) {
		r = replay_text(&pl.pl, pl.pos);
		if (r < 0) {
			tsc_cli_err(_("write error"), NULL, -r);
			goto out;
		}
		ret = EXIT_SUCCESS;
		goto out;
	}

	r = tsc_replay_new(NULL, &pl.replay);
	if (!r)
		r = tsc_replay_set_speed(pl.replay, speed);
	pl.buf = malloc(TTYSCOPE_MAX_PAYLOAD + TSC_ABFILTER_MAX);
	if (r < 0 || !pl.buf) {
		tsc_cli_err(_("cannot replay"), argv[optind],
			    r < 0 ? -r : ENOMEM);
		goto out;
	}
	tsc_replay_set_max_delay(pl.replay, max_delay);
	tsc_abfilter_init(&pl.filter);

	interactive = isatty(STDIN_FILENO) && raw_tty() == 0;
	{
		struct sigaction sa = { .sa_handler = on_signal };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
	}
	/* show what precedes the start at once, then play */
	render_to(&pl, 0,
		  pl.pos < pl.pl.n ? pl.pl.v[pl.pos]->hdr.ts_ns : UINT64_MAX);
	play(&pl, interactive);
	{
		size_t n = tsc_abfilter_flush(&pl.filter, pl.buf);

		if (!pl.err)
			pl.err = tsc_cli_write_all(STDOUT_FILENO, pl.buf, n);
	}
	restore_tty();
	if (pl.err) {
		tsc_cli_err(_("write error"), NULL, -pl.err);
		goto out;
	}
	ret = got_signal ? 128 + got_signal : EXIT_SUCCESS;
out:
	tsc_replay_free(pl.replay);
	free(pl.buf);
	free(pl.pl.v);
	tsc_cli_session_free(&s);
out_re:
	if (search)
		regfree(&re);
	return ret;
}
