// SPDX-License-Identifier: GPL-2.0-only
/*
 * ttyscope watch: show a live tty session in this terminal.
 *
 * Subscribes to one tty (docs/PROTOCOL.md): the catch-up draws its
 * current screen, then its output follows as it happens, through the
 * answer-back filter (tsc-abfilter.h) so the session cannot make this
 * terminal type. Keys go to ttyscope, never to the session: after the
 * prefix Ctrl-], b blocks the user's input, u lets it through, i types a
 * line into the session, h hangs it up (after y), q or d detaches, ?
 * lists the keys. Messages appear on a status line (the last row).
 *
 * One poll() loop over the connection, the keyboard and a signalfd
 * (SIGINT, SIGTERM, SIGHUP end the watch; SIGWINCH re-reads the size).
 * The terminal is restored on every way out.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

#include "tsc-abfilter.h"
#include "tsc-client.h"
#include "tsc-i18n.h"
#include "ttyscope-cli.h"

#define KEY_PREFIX 0x1d /* Ctrl-] */
#define LINE_MAX_BYTES (TSC_REQUEST_ARGS_MAX - 1) /* room for the CR */

/* Attributes off, cursor home, screen erased: where a catch-up starts. */
static const char CLEAR[] = "\033[0m\033[H\033[2J";

enum key_mode {
	KEYS_NORMAL, /* waiting for the prefix */
	KEYS_PREFIX, /* the prefix was pressed: a command key follows */
	KEYS_LINE, /* typing a line to inject */
	KEYS_CONFIRM, /* hang up? y/n */
};

/* A request waiting for its reply, for the status line. */
struct pending {
	uint64_t id;
	uint32_t verb;
};

struct watch {
	struct tsc_client *c;
	struct tsc_proto_tty tty;
	bool follow;

	/* the terminal */
	bool keys; /* stdin and stdout are a terminal, in raw mode */
	struct termios saved;
	bool tio_saved;
	int sig_fd;
	sigset_t old_mask;
	unsigned int rows, cols;

	/* the session */
	uint64_t sub_id;
	bool subscribed, synced;
	uint16_t s_rows, s_cols;
	struct tsc_abfilter filter;
	uint8_t out[TTYSCOPE_MAX_PAYLOAD + TSC_ABFILTER_MAX];

	/* keys */
	enum key_mode mode;
	char line[LINE_MAX_BYTES + 1];
	size_t line_len;
	bool hint_shown;
	struct pending pend[32];
	size_t npend;

	/* the end */
	bool quit;
	int status;
	char end_msg[512];
};

static int out_write(struct watch *w, const void *buf, size_t len)
{
	int r = tsc_cli_write_all(STDOUT_FILENO, buf, len);

	if (r < 0 && !w->quit) {
		w->quit = true;
		w->status = TSC_EXIT_FAILURE;
		snprintf(w->end_msg, sizeof(w->end_msg), "%s: %s: %s",
			 PROGRAM_NAME, _("write error"), strerror(-r));
	}
	return r;
}

/*
 * Show a message: on the terminal's last row (reverse video, cursor and
 * attributes saved and restored around it), or as a line on stderr when
 * standard output is not a terminal.
 */
/*
 * How many bytes of @s fit in @cols terminal columns, whole characters
 * only; *@ret_width: the columns they take. A byte that is not part of a
 * valid character counts as one column.
 */
static size_t fit(const char *s, int cols, int *ret_width)
{
	size_t i = 0, len = strlen(s);
	mbstate_t st = { 0 };
	int used = 0;

	while (i < len) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, s + i, len - i, &st);
		int cw = 1;

		if (n == (size_t)-1 || n == (size_t)-2) {
			memset(&st, 0, sizeof(st));
			n = 1;
		} else if (wcwidth(wc) >= 0) {
			cw = wcwidth(wc);
		}
		if (used + cw > cols)
			break;
		used += cw;
		i += n;
	}
	if (ret_width)
		*ret_width = used;
	return i;
}

static void status(struct watch *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void status(struct watch *w, const char *fmt, ...)
{
	char text[1024], seq[1200];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	w->hint_shown = false;
	if (!w->keys) {
		fprintf(stderr, "%s: %s\n", PROGRAM_NAME, text);
		return;
	}
	/* one row: no control characters, no wrapping (which would scroll) */
	for (char *p = text; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	text[fit(text, (int)w->cols - 2, NULL)] = '\0';
	n = snprintf(seq, sizeof(seq),
		     "\0337\033[%u;1H\033[0;7m %s \033[0m\033[K\0338",
		     w->rows ? w->rows : 24, text);
	out_write(w, seq,
		  (size_t)n < sizeof(seq) ? (size_t)n : sizeof(seq) - 1);
}

/* Stop with @status; @fmt is printed after the terminal is restored. */
static void finish(struct watch *w, int st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void finish(struct watch *w, int st, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->quit)
		return;
	w->quit = true;
	w->status = st;
	n = snprintf(w->end_msg, sizeof(w->end_msg), "%s: ", PROGRAM_NAME);
	va_start(ap, fmt);
	vsnprintf(w->end_msg + n, sizeof(w->end_msg) - (size_t)n, fmt, ap);
	va_end(ap);
}

static void read_size(struct watch *w)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row) {
		w->rows = ws.ws_row;
		w->cols = ws.ws_col;
	}
}

/* Warn when the session's window is larger than this terminal. */
static void check_size(struct watch *w)
{
	if (!w->keys || !w->s_rows || !w->s_cols)
		return;
	if (w->s_rows > w->rows || w->s_cols > w->cols)
		status(w,
		       _("%s is %ux%u, this terminal %ux%u: the view may be garbled"),
		       w->tty.name, w->s_cols, w->s_rows, w->cols, w->rows);
}

/* Raw mode: no echo, no line editing, no signals from keys, no output
 * processing (the session's bytes are written as they are). */
static int terminal_setup(struct watch *w)
{
	struct termios tio;

	if (tcgetattr(STDIN_FILENO, &w->saved) < 0)
		return -errno;
	tio = w->saved;
	cfmakeraw(&tio);
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &tio) < 0)
		return -errno;
	w->tio_saved = true;
	read_size(w);
	return 0;
}

/*
 * Undo what the session may have changed (attributes, hidden cursor,
 * alternate screen, scroll region, mouse and keypad modes, bracketed
 * paste), then the terminal settings.
 */
static void terminal_restore(struct watch *w)
{
	static const char reset[] =
		"\033[0m\033[?25h\033[?1049l\033[r\033[?1l\033>\033[?7h"
		"\033[?1000l\033[?1002l\033[?1003l\033[?1006l\033[?2004l";
	char pos[32];
	int n;

	if (!w->tio_saved)
		return;
	tsc_cli_write_all(STDOUT_FILENO, reset, sizeof(reset) - 1);
	/* below the last row: the status line stays visible */
	n = snprintf(pos, sizeof(pos), "\033[%u;1H\r\n", w->rows);
	tsc_cli_write_all(STDOUT_FILENO, pos, (size_t)n);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &w->saved);
	w->tio_saved = false;
}

static int signals_setup(struct watch *w)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGWINCH);
	if (sigprocmask(SIG_BLOCK, &mask, &w->old_mask) < 0)
		return -errno;
	w->sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (w->sig_fd < 0) {
		int err = -errno;

		sigprocmask(SIG_SETMASK, &w->old_mask, NULL);
		return err;
	}
	return 0;
}

static void on_signal(struct watch *w)
{
	struct signalfd_siginfo si;

	while (read(w->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGWINCH) {
			read_size(w);
			check_size(w);
			continue;
		}
		if (!w->quit) {
			w->quit = true;
			w->status = 128 + (int)si.ssi_signo;
		}
	}
}

/* ---- requests ------------------------------------------------------------ */

static void send_request(struct watch *w, uint32_t verb, const void *args,
			 size_t len)
{
	struct tsc_proto_request q = {
		.verb = verb,
		.major = w->tty.major,
		.minor = w->tty.minor,
		.args = args,
		.len = len,
	};
	uint64_t id;
	int r = tsc_client_request(w->c, &q, &id);

	if (r < 0) {
		finish(w, TSC_EXIT_FAILURE, "%s: %s",
		       _("lost the connection to ttyscoped"), strerror(-r));
		return;
	}
	if (w->npend < sizeof(w->pend) / sizeof(w->pend[0]))
		w->pend[w->npend++] = (struct pending){ id, verb };
}

static const char *verb_failure(uint32_t verb)
{
	switch (verb) {
	case TSC_VERB_BLOCK:
		return _("cannot block");
	case TSC_VERB_UNBLOCK:
		return _("cannot unblock");
	case TSC_VERB_INJECT:
		return _("cannot type into");
	case TSC_VERB_HANGUP:
		return _("cannot hang up");
	default:
		return _("cannot watch");
	}
}

static void on_reply(struct watch *w, const struct tsc_proto_reply *rp)
{
	uint32_t verb = 0;

	if (rp->id == 0) {
		finish(w, TSC_EXIT_FAILURE, "%s: %s",
		       _("ttyscoped ended the connection"),
		       strerror((int)rp->error));
		return;
	}
	if (rp->id == w->sub_id) {
		if (rp->error == ENODEV) {
			finish(w, TSC_EXIT_FAILURE, _("no live tty '%s'"),
			       w->tty.name);
		} else if (rp->error) {
			finish(w, TSC_EXIT_FAILURE, "%s '%s': %s",
			       _("cannot watch"), w->tty.name,
			       strerror((int)rp->error));
		} else {
			w->subscribed = true;
			/* the catch-up draws the screen from scratch */
			if (w->keys)
				out_write(w, CLEAR, sizeof(CLEAR) - 1);
		}
		return;
	}
	for (size_t i = 0; i < w->npend; i++)
		if (w->pend[i].id == rp->id) {
			verb = w->pend[i].verb;
			w->pend[i] = w->pend[--w->npend];
			break;
		}
	if (rp->error) {
		status(w, "%s '%s': %s", verb_failure(verb), w->tty.name,
		       strerror((int)rp->error));
		return;
	}
	switch (verb) {
	case TSC_VERB_BLOCK:
		status(w, _("input of %s blocked"), w->tty.name);
		break;
	case TSC_VERB_UNBLOCK:
		status(w, _("input of %s let through"), w->tty.name);
		break;
	case TSC_VERB_INJECT:
		status(w, _("typed %u bytes into %s"),
		       rp->len >= 4 ? rp->data[0] | rp->data[1] << 8 |
					      rp->data[2] << 16 |
					      (unsigned int)rp->data[3] << 24 :
				      0,
		       w->tty.name);
		break;
	case TSC_VERB_HANGUP:
		status(w, _("%s hung up"), w->tty.name);
		break;
	default:
		break;
	}
}

static void help_keys(struct watch *w)
{
	status(w,
	       _("Ctrl-] then: b block, u unblock, i type a line, h hang up, q detach"));
}

/* A record of the watched tty (or a LOSS for everyone). */
static void on_record(struct watch *w, const struct tsc_rec *rec)
{
	const struct tsc_rec_hdr *h = &rec->hdr;
	struct tsc_winsize ws;
	struct tsc_pass pass;
	struct tsc_loss loss;
	struct tsc_open o;
	size_t n;

	if (h->type == TTYSCOPE_REC_LOSS) {
		if (tsc_rec_decode_loss(rec, &loss) == 0)
			status(w, _("%" PRIu64 " records were lost"),
			       loss.records);
		return;
	}
	if (h->major != w->tty.major || h->minor != w->tty.minor)
		return;
	switch (h->type) {
	case TTYSCOPE_REC_OUT:
		n = tsc_abfilter_feed(&w->filter, rec->payload, h->len, w->out);
		out_write(w, w->out, n);
		break;
	case TTYSCOPE_REC_OPEN:
		if (tsc_rec_decode_open(rec, &o) == 0)
			snprintf(w->tty.name, sizeof(w->tty.name), "%s",
				 o.name);
		if (w->synced) {
			/* --follow: the next session on this device */
			tsc_abfilter_init(&w->filter);
			if (w->keys)
				out_write(w, CLEAR, sizeof(CLEAR) - 1);
			status(w, _("a new session on %s"), w->tty.name);
		}
		break;
	case TTYSCOPE_REC_WINSIZE:
		if (tsc_rec_decode_winsize(rec, &ws) == 0) {
			w->s_rows = ws.rows;
			w->s_cols = ws.cols;
			if (w->synced)
				check_size(w);
		}
		break;
	case TTYSCOPE_REC_PASS:
		if (tsc_rec_decode_pass(rec, &pass) == 0 && w->synced)
			status(w,
			       pass.pass ?
				       _("input of %s let through (by uid %u)") :
				       _("input of %s blocked (by uid %u)"),
			       w->tty.name, pass.operator_uid);
		break;
	case TTYSCOPE_REC_HANGUP:
		status(w, _("%s was hung up"), w->tty.name);
		break;
	case TTYSCOPE_REC_CLOSE:
		if (w->follow)
			status(w,
			       _("the session on %s ended; waiting for the next one"),
			       w->tty.name);
		else
			finish(w, EXIT_SUCCESS, _("the session on %s ended"),
			       w->tty.name);
		break;
	case TSC_MSG_SYNC:
		w->synced = true;
		if (w->keys) {
			status(w, _("watching %s; press Ctrl-] ? for the keys"),
			       w->tty.name);
			check_size(w);
		}
		break;
	default:
		break;
	}
}

/* Everything the daemon has sent so far. */
static void on_daemon(struct watch *w)
{
	struct tsc_proto_msg m;
	int r;

	while (!w->quit && (r = tsc_client_next(w->c, &m)) == 1) {
		if (m.type == TSC_MSG_REPLY)
			on_reply(w, &m.reply);
		else
			on_record(w, &m.rec);
	}
	if (w->quit || r == -EAGAIN || r == -EINTR)
		return;
	if (r == 0)
		finish(w, TSC_EXIT_FAILURE,
		       _("ttyscoped closed the connection (the daemon stopped?)"));
	else
		finish(w, TSC_EXIT_FAILURE, "%s: %s",
		       _("lost the connection to ttyscoped"),
		       strerror(r == -EBADMSG ? EPROTO : -r));
}

/* ---- keys ---------------------------------------------------------------- */

/* The prompt of Ctrl-] i and the end of the line typed so far. */
static void show_line(struct watch *w)
{
	char prompt[256];
	size_t start = 0;
	int pw, lw;

	snprintf(prompt, sizeof(prompt),
		 _("type into %s (Enter sends, Esc cancels): "), w->tty.name);
	fit(prompt, INT32_MAX, &pw);
	w->line[w->line_len] = '\0';
	/* the end of a long line, from a character boundary; room for the
	 * cursor after it */
	for (;;) {
		fit(w->line + start, INT32_MAX, &lw);
		if (start == w->line_len || pw + lw + 3 <= (int)w->cols)
			break;
		while (++start < w->line_len &&
		       ((uint8_t)w->line[start] & 0xc0) == 0x80)
			;
	}
	status(w, "%s%s", prompt, w->line + start);
}

/* One key while typing a line; returns false to drop the rest. */
static bool line_key(struct watch *w, uint8_t k)
{
	switch (k) {
	case '\r':
	case '\n':
		w->line[w->line_len++] = '\r';
		send_request(w, TSC_VERB_INJECT, w->line, w->line_len);
		w->line_len = 0;
		w->mode = KEYS_NORMAL;
		return false;
	case 0x1b: /* Esc: also the start of a function key */
	case 0x03: /* ^C */
	case 0x07: /* ^G */
		w->line_len = 0;
		w->mode = KEYS_NORMAL;
		status(w, _("nothing typed into %s"), w->tty.name);
		return false;
	case 0x7f:
	case 0x08:
		while (w->line_len &&
		       ((uint8_t)w->line[--w->line_len] & 0xc0) == 0x80)
			;
		break;
	case 0x15: /* ^U */
		w->line_len = 0;
		break;
	default:
		if ((k >= 0x20 || k == '\t') && w->line_len < LINE_MAX_BYTES)
			w->line[w->line_len++] = (char)k;
		break;
	}
	return true;
}

static void prefix_key(struct watch *w, uint8_t k)
{
	char user[64];

	w->mode = KEYS_NORMAL;
	switch (k) {
	case 'b':
		send_request(w, TSC_VERB_BLOCK, NULL, 0);
		break;
	case 'u':
		send_request(w, TSC_VERB_UNBLOCK, NULL, 0);
		break;
	case 'i':
		w->mode = KEYS_LINE;
		w->line_len = 0;
		show_line(w);
		break;
	case 'h':
		w->mode = KEYS_CONFIRM;
		status(w, _("hang up %s (user %s)? y/n"), w->tty.name,
		       tsc_cli_user_name(w->c, w->tty.uid, user, sizeof(user)));
		break;
	case 'q':
	case 'd':
		finish(w, EXIT_SUCCESS, _("detached from %s"), w->tty.name);
		break;
	case KEY_PREFIX:
		break;
	default:
		help_keys(w);
		break;
	}
}

static void on_keys(struct watch *w)
{
	uint8_t k[256];
	ssize_t n = read(STDIN_FILENO, k, sizeof(k));

	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			finish(w, EXIT_SUCCESS, _("detached from %s"),
			       w->tty.name);
		return;
	}
	for (ssize_t i = 0; i < n && !w->quit; i++) {
		switch (w->mode) {
		case KEYS_NORMAL:
			if (k[i] == KEY_PREFIX) {
				w->mode = KEYS_PREFIX;
			} else if (!w->hint_shown) {
				status(w,
				       _("keys do not reach %s; press Ctrl-] ? for the keys"),
				       w->tty.name);
				w->hint_shown = true;
			}
			break;
		case KEYS_PREFIX:
			prefix_key(w, k[i]);
			break;
		case KEYS_CONFIRM:
			w->mode = KEYS_NORMAL;
			if (k[i] == 'y' || k[i] == 'Y')
				send_request(w, TSC_VERB_HANGUP, NULL, 0);
			else
				status(w, _("%s not hung up"), w->tty.name);
			break;
		case KEYS_LINE:
			if (!line_key(w, k[i]))
				i = n; /* the rest of an escape sequence */
			else
				show_line(w);
			break;
		}
	}
}

/* ---- the command --------------------------------------------------------- */

static void __attribute__((noreturn)) usage(void)
{
	FILE *out = stdout;

	fputs(_("\nUsage:\n"), out);
	fprintf(out, _(" %s watch [options] <tty>\n"), PROGRAM_NAME);
	fputs(_("\nShow a live tty session in this terminal: first its current\nscreen, then its output as it happens.\n"),
	      out);
	fputs(_("\nOptions:\n"), out);
	fputs(_(" -f, --follow     after the session ends, wait for the next one\n"),
	      out);
	fputs(_(" -h, --help       display this help\n"), out);
	fputs(_("\n<tty> is a name (pts/3, /dev/pts/3) or a device number (136:3).\n"),
	      out);
	fputs(_("\nKeys are not sent to the session. Press Ctrl-] and then:\n"),
	      out);
	fputs(_("  b       block the user's input\n"), out);
	fputs(_("  u       let the user's input through again\n"), out);
	fputs(_("  i       type a line into the session (Enter sends it)\n"),
	      out);
	fputs(_("  h       hang the session up (confirm with y)\n"), out);
	fputs(_("  q or d  stop watching\n"), out);
	fputs(_("  ?       show these keys\n"), out);
	fputs(_("\nFor more details see ttyscope(1).\n"), out);
	exit(EXIT_SUCCESS);
}

static void watch_loop(struct watch *w)
{
	while (!w->quit) {
		struct pollfd pfd[3] = {
			{ tsc_client_fd(w->c), POLLIN, 0 },
			{ w->sig_fd, POLLIN, 0 },
			{ STDIN_FILENO, POLLIN, 0 },
		};

		if (poll(pfd, w->keys ? 3 : 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			finish(w, TSC_EXIT_FAILURE, "poll: %s",
			       strerror(errno));
			break;
		}
		if (pfd[1].revents)
			on_signal(w);
		if (pfd[0].revents && !w->quit)
			on_daemon(w);
		if (w->keys && pfd[2].revents && !w->quit)
			on_keys(w);
	}
}

int tsc_cmd_watch(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct watch w;
	struct tsc_proto_request sub = { .verb = TSC_VERB_SUBSCRIBE };
	int c, r;

	while ((c = getopt_long(argc, argv, "+fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			w.follow = true;
			break;
		case 'h':
			usage();
		default:
			tsc_cli_try_help("watch");
			return TSC_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, _("%s: watch needs one tty\n"), PROGRAM_NAME);
		tsc_cli_try_help("watch");
		return TSC_EXIT_USAGE;
	}
	if (tsc_cli_connect(&w.c) < 0)
		return TSC_EXIT_FAILURE;
	if (tsc_cli_resolve_tty(w.c, argv[optind], &w.tty) < 0) {
		tsc_client_free(w.c);
		return TSC_EXIT_FAILURE;
	}
	w.sig_fd = -1;
	w.rows = 24;
	w.cols = 80;
	tsc_abfilter_init(&w.filter);
	r = signals_setup(&w);
	if (r < 0) {
		tsc_cli_err(_("cannot watch"), w.tty.name, -r);
		tsc_client_free(w.c);
		return TSC_EXIT_FAILURE;
	}
	w.keys = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) &&
		 terminal_setup(&w) == 0;
	sub.major = w.tty.major;
	sub.minor = w.tty.minor;
	r = tsc_client_set_nonblock(w.c, true);
	if (r == 0)
		r = tsc_client_request(w.c, &sub, &w.sub_id);
	if (r < 0)
		finish(&w, TSC_EXIT_FAILURE, "%s: %s",
		       _("lost the connection to ttyscoped"), strerror(-r));
	watch_loop(&w);

	/* every way out passes here */
	{
		size_t n = tsc_abfilter_flush(&w.filter, w.out);

		if (n && w.status != TSC_EXIT_FAILURE)
			tsc_cli_write_all(STDOUT_FILENO, w.out, n);
	}
	terminal_restore(&w);
	close(w.sig_fd);
	sigprocmask(SIG_SETMASK, &w.old_mask, NULL);
	tsc_client_free(w.c);
	if (w.end_msg[0])
		fprintf(stderr, "%s\n", w.end_msg);
	return w.status;
}
