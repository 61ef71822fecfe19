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
 *
 * A live tty (replay pts/3, or --live) is followed through ttyscoped
 * (docs/PROTOCOL.md): its catch-up is drawn at once, then its output is
 * shown as it comes. Every output record received is kept in memory, so
 * pause, step, speed and seeking work on what has come so far; while the
 * player is behind (paused, slowed down, seeked back), new output waits
 * and is then played with its recorded delays; 'L' or End goes back to
 * live. The session's CLOSE ends the replay.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "tsc-abfilter.h"
#include "tsc-client.h"
#include "tsc-i18n.h"
#include "ttyscope-cli.h"

#define SEEK_STEP_NS (10ull * 1000000000ull)
/* An event due within this is waited for with tsc_replay_sleep(). */
#define NEAR_NS 2000000ull

/*
 * Convert output bytes to text (libttyscope's tsc_text_strip()): escape
 * sequences removed, CR LF and a lone CR become LF, other C0 controls and
 * DEL removed. @out has room for @len.
 */
size_t text_strip(struct text_strip *t, const uint8_t *in, size_t len,
		  uint8_t *out)
{
	struct tsc_text_strip ts = { .state = t->state, .cr = t->cr };
	size_t n = tsc_text_strip(&ts, in, len, out);

	t->state = ts.state;
	t->cr = ts.cr;
	return n;
}

/* replay --buffer: a live session's output kept in memory at most */
#define LIVE_BUFFER_DEFAULT (64u << 20)

/*
 * The OUT records of a session, in order. A live session's grow as they
 * come (@owned: each record and its payload are one allocation), up to
 * @max bytes of memory (@mem): then the oldest records are dropped.
 */
struct playlist {
	const struct tsc_rec **v;
	size_t n, cap;
	uint64_t t0; /* time 0: the first record of the session */
	bool owned;
	size_t mem, max;
	size_t dropped; /* records dropped from the front so far */
};

/* What a live record costs in memory, its slot in the array included. */
static size_t rec_mem(const struct tsc_rec *rec)
{
	return sizeof(*rec) + rec->hdr.len + sizeof(rec);
}

/*
 * Drop the oldest records of a live session's playlist while it holds
 * more than @max bytes, down to 7/8 of it so that the array is not moved
 * for every record; the newest record stays. Returns how many went.
 */
static size_t playlist_trim(struct playlist *p, size_t pos, uint64_t *unseen)
{
	size_t k = 0;

	if (!p->max || p->mem <= p->max)
		return 0;
	while (k + 1 < p->n && p->mem > p->max - p->max / 8) {
		if (k >= pos)
			*unseen += p->v[k]->hdr.len;
		p->mem -= rec_mem(p->v[k]);
		free((void *)p->v[k++]);
	}
	memmove(p->v, p->v + k, (p->n - k) * sizeof(*p->v));
	p->n -= k;
	p->dropped += k;
	return k;
}

/*
 * Append a copy of @rec to a live session's playlist. Returns how many
 * of the oldest records were dropped to make room, or -ENOMEM; the
 * output bytes dropped from @pos on (not shown yet) are added to @unseen.
 */
static ssize_t playlist_append(struct playlist *p, const struct tsc_rec *rec,
			       size_t pos, uint64_t *unseen)
{
	struct tsc_rec *copy;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		const struct tsc_rec **v = realloc(p->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	copy = malloc(sizeof(*copy) + rec->hdr.len);
	if (!copy)
		return -ENOMEM;
	copy->hdr = rec->hdr;
	memcpy(copy + 1, rec->payload, rec->hdr.len);
	copy->payload = (const uint8_t *)(copy + 1);
	copy->raw = NULL;
	p->v[p->n++] = copy;
	p->mem += rec_mem(copy);
	return (ssize_t)playlist_trim(p, pos, unseen);
}

/*
 * The earliest time that can be shown: the session's start, or the
 * oldest record kept.
 */
static uint64_t playlist_first(const struct playlist *p)
{
	return p->dropped && p->n ? p->v[0]->hdr.ts_ns : p->t0;
}

static void playlist_free(struct playlist *p)
{
	if (p->owned)
		for (size_t i = 0; i < p->n; i++)
			free((void *)p->v[i]);
	free(p->v);
}

static int playlist_build(const struct tsc_recording *s, struct playlist *p)
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

/*
 * Following a tty through ttyscoped: the connection, the subscription,
 * and how it ended.
 */
struct live {
	struct tsc_client *c;
	struct tsc_proto_tty tty;
	uint64_t sub_id;
	bool have_t0; /* a record of the session came */
	bool synced; /* the catch-up is complete */
	bool closed; /* the session's CLOSE came */
	bool failed; /* the daemon's side ended the replay: @end_msg */
	char end_msg[512];
};

struct player {
	struct playlist pl;
	struct tsc_replay *replay;
	struct tsc_abfilter filter;
	uint8_t *buf; /* TTYSCOPE_MAX_PAYLOAD + TSC_ABFILTER_MAX bytes */
	size_t pos; /* next record to show */
	uint64_t now_ts; /* recording time shown so far */
	bool quit;
	bool scheduled; /* the record at pos is the scheduler's pending one */
	int err;
	/* where to start: --jump (if @jump_set), --search */
	uint64_t jump;
	bool jump_set;
	const regex_t *re;
	const char *search;
	/* --text: records converted so far, printed from @start on */
	bool text;
	struct text_strip tx;
	size_t tx_done, start;
	bool tx_first;
	/* a live tty */
	bool live;
	struct live lv;
	uint64_t unseen; /* output bytes dropped before they were shown */
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

/*
 * Show, without delays, what comes before @ts (from @from on). Past the
 * last record received (a live session's edge), playback goes on from
 * that record's time.
 */
static void render_to(struct player *pl, size_t from, uint64_t ts)
{
	for (pl->pos = from; pl->pos < pl->pl.n && !pl->quit &&
			     pl->pl.v[pl->pos]->hdr.ts_ns < ts;
	     pl->pos++)
		show(pl, pl->pos);
	if (pl->pos == pl->pl.n) {
		uint64_t last = pl->pl.n ? pl->pl.v[pl->pl.n - 1]->hdr.ts_ns :
					   pl->pl.t0;

		if (ts > last)
			ts = last;
	}
	pl->now_ts = ts;
	tsc_replay_seek(pl->replay, ts);
	pl->scheduled = false;
}

/* Live: show what was received at once and follow the session again. */
static void go_live(struct player *pl)
{
	if (!pl->live)
		return;
	render_to(pl, pl->pos, UINT64_MAX);
	tsc_replay_resume(pl->replay);
}

static void seek(struct player *pl, bool forward)
{
	uint64_t first = playlist_first(&pl->pl), target;

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
		case 'L':
			go_live(pl);
			break;
		case 0x1b:
			/* arrows: ESC [ C/D or ESC O C/D; End: ESC [ F,
			 * ESC O F, ESC [ 4 ~, ESC [ 8 ~ */
			if (i + 2 < len &&
			    (k[i + 1] == '[' || k[i + 1] == 'O') &&
			    (k[i + 2] == 'C' || k[i + 2] == 'D')) {
				seek(pl, k[i + 2] == 'C');
				i += 2;
			} else if (i + 2 < len &&
				   (k[i + 1] == '[' || k[i + 1] == 'O') &&
				   k[i + 2] == 'F') {
				go_live(pl);
				i += 2;
			} else if (i + 3 < len && k[i + 1] == '[' &&
				   (k[i + 2] == '4' || k[i + 2] == '8') &&
				   k[i + 3] == '~') {
				go_live(pl);
				i += 3;
			}
			break;
		default:
			break;
		}
	}
}

/* The start: --search's match, else --jump; -1 if nothing matches. */
static int find_start(struct player *pl)
{
	pl->pos = 0;
	while (pl->pos < pl->pl.n &&
	       pl->pl.v[pl->pos]->hdr.ts_ns < pl->pl.t0 + pl->jump)
		pl->pos++;
	if (pl->re) {
		ssize_t i = playlist_search(&pl->pl, pl->re);

		if (i < 0)
			return -1;
		pl->pos = (size_t)i;
	}
	return 0;
}

/*
 * --text: print the text of the records not yet converted, from
 * pl->start on. The records before it are converted too, without
 * printing, so that an escape sequence or a character split across the
 * start is not printed in part.
 */
static int text_flush(struct player *pl)
{
	uint8_t buf[TTYSCOPE_MAX_PAYLOAD + 1];
	int r = 0;

	for (; pl->tx_done < pl->pl.n && !r; pl->tx_done++) {
		const struct tsc_rec *rec = pl->pl.v[pl->tx_done];
		size_t n = text_strip(&pl->tx, rec->payload, rec->hdr.len, buf),
		       skip = 0;

		if (pl->tx_done < pl->start)
			continue;
		/* the rest of a UTF-8 character that started before */
		while (pl->tx_first && skip < n && (buf[skip] & 0xc0) == 0x80)
			skip++;
		pl->tx_first = pl->tx_first && skip == n;
		r = tsc_cli_write_all(STDOUT_FILENO, buf + skip, n - skip);
	}
	return r;
}

/* --text: from the start position (find_start()) on. */
static int text_begin(struct player *pl)
{
	pl->start = pl->pos;
	pl->tx_first = pl->start > 0;
	return text_flush(pl);
}

/* --text: the end of the output; a last lone CR is a line end. */
static int text_end(struct player *pl)
{
	return pl->tx.cr ? tsc_cli_write_all(STDOUT_FILENO, "\n", 1) : 0;
}

/* ---- a live tty ---------------------------------------------------------- */

/* The daemon's side ended the replay (exit status 1): say why at the end. */
static void live_fail(struct player *pl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void live_fail(struct player *pl, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (pl->quit)
		return;
	pl->quit = true;
	pl->lv.failed = true;
	n = snprintf(pl->lv.end_msg, sizeof(pl->lv.end_msg),
		     "%s: ", PROGRAM_NAME);
	va_start(ap, fmt);
	vsnprintf(pl->lv.end_msg + n, sizeof(pl->lv.end_msg) - (size_t)n, fmt,
		  ap);
	va_end(ap);
}

/* Is @s one or more characters, all from @set? */
static bool all_of(const char *s, const char *set)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!strchr(set, *s))
			return false;
	return true;
}

/*
 * Does @arg name a tty rather than a file? A character device, or what
 * is not a file and looks like a tty: a device number (136:3), a path
 * below /dev, pts/N, tty followed by letters and digits (tty1, ttyS0) or
 * console.
 */
static bool names_tty(const char *arg)
{
	static const char digits[] = "0123456789";
	static const char alnum[] = "0123456789abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	const char *colon = strchr(arg, ':');
	char major[16];
	struct stat st;

	if (stat(arg, &st) == 0)
		return S_ISCHR(st.st_mode);
	if (colon && colon - arg < (ptrdiff_t)sizeof(major)) {
		memcpy(major, arg, (size_t)(colon - arg));
		major[colon - arg] = '\0';
		if (all_of(major, digits) && all_of(colon + 1, digits))
			return true;
	}
	return !strncmp(arg, "/dev/", 5) ||
	       (!strncmp(arg, "pts/", 4) && all_of(arg + 4, digits)) ||
	       (!strncmp(arg, "tty", 3) &&
		(!arg[3] || all_of(arg + 3, alnum))) ||
	       !strcmp(arg, "console");
}

/* Connect, find the tty (as watch does) and subscribe to it. */
static int live_open(struct player *pl, const char *arg)
{
	struct tsc_proto_request sub = { .verb = TSC_VERB_SUBSCRIBE };
	struct live *lv = &pl->lv;
	int r;

	pl->live = true;
	pl->pl.owned = true;
	if (tsc_cli_connect(&lv->c) < 0)
		return -1;
	if (tsc_cli_resolve_tty(lv->c, arg, &lv->tty) < 0)
		return -1;
	sub.major = lv->tty.major;
	sub.minor = lv->tty.minor;
	r = tsc_client_set_nonblock(lv->c, true);
	if (r == 0)
		r = tsc_client_request(lv->c, &sub, &lv->sub_id);
	if (r < 0) {
		tsc_cli_lost(r);
		return -1;
	}
	return 0;
}

static void live_reply(struct player *pl, const struct tsc_proto_reply *rp)
{
	if (rp->id == 0)
		live_fail(pl, "%s: %s", _("ttyscoped ended the connection"),
			  strerror((int)rp->error));
	else if (rp->id == pl->lv.sub_id && rp->error == ENODEV)
		live_fail(pl, _("no live tty '%s'"), pl->lv.tty.name);
	else if (rp->id == pl->lv.sub_id && rp->error)
		live_fail(pl, "%s '%s': %s", _("cannot replay"),
			  pl->lv.tty.name, strerror((int)rp->error));
}

/* The catch-up is complete: start where the options say. */
static void live_sync(struct player *pl)
{
	int r;

	pl->lv.synced = true;
	if (find_start(pl) < 0) {
		live_fail(pl, _("no output matches '%s'"), pl->search);
		return;
	}
	if (pl->text) {
		r = text_begin(pl);
		if (r < 0 && !pl->err) {
			pl->err = r;
			pl->quit = true;
		}
		return;
	}
	/* without --jump or --search: the current screen, then live */
	if (!pl->jump_set && !pl->re)
		pl->pos = pl->pl.n;
	render_to(pl, 0,
		  pl->pos < pl->pl.n ? pl->pl.v[pl->pos]->hdr.ts_ns :
				       UINT64_MAX);
}

/* A new OUT record of the session after the catch-up. */
static void live_out(struct player *pl)
{
	const struct tsc_rec *rec = pl->pl.v[pl->pl.n - 1];
	int r;

	if (pl->text) {
		r = text_flush(pl);
		if (r < 0 && !pl->err) {
			pl->err = r;
			pl->quit = true;
		}
		return;
	}
	/* at the live edge and playing: show it as it comes */
	if (pl->pos == pl->pl.n - 1 && !pl->scheduled &&
	    !tsc_replay_paused(pl->replay)) {
		show(pl, pl->pos++);
		tsc_replay_seek(pl->replay, rec->hdr.ts_ns);
	}
}

/*
 * The @k oldest records were dropped (--buffer): the positions move down.
 * A player still behind them skips to the oldest record kept.
 */
static void live_dropped(struct player *pl, size_t k)
{
	if (pl->text) {
		/* once synced, --text prints each record as it comes */
		pl->tx_done = pl->tx_done > k ? pl->tx_done - k : 0;
		pl->start = pl->start > k ? pl->start - k : 0;
		return;
	}
	if (pl->pos >= k) {
		pl->pos -= k;
		return;
	}
	pl->pos = 0;
	pl->scheduled = false;
	if (pl->lv.synced) {
		pl->now_ts = pl->pl.v[0]->hdr.ts_ns;
		tsc_replay_seek(pl->replay, pl->now_ts);
	}
}

static void live_record(struct player *pl, const struct tsc_rec *rec)
{
	const struct tsc_rec_hdr *h = &rec->hdr;
	struct live *lv = &pl->lv;
	struct tsc_open o;
	ssize_t k;

	if (lv->closed || h->major != lv->tty.major ||
	    h->minor != lv->tty.minor)
		return;
	if (!lv->have_t0) {
		/* the catch-up starts with the session's OPEN */
		lv->have_t0 = true;
		pl->pl.t0 = h->ts_ns;
	}
	switch (h->type) {
	case TTYSCOPE_REC_OPEN:
		if (tsc_rec_decode_open(rec, &o) == 0)
			snprintf(lv->tty.name, sizeof(lv->tty.name), "%s",
				 o.name);
		break;
	case TTYSCOPE_REC_OUT:
		/* the catch-up is all "seen": the start is chosen in it */
		k = playlist_append(&pl->pl, rec,
				    lv->synced && !pl->text ? pl->pos :
							      SIZE_MAX,
				    &pl->unseen);
		if (k < 0) {
			live_fail(pl, "%s '%s': %s", _("cannot replay"),
				  lv->tty.name, strerror(ENOMEM));
			return;
		}
		if (k > 0)
			live_dropped(pl, (size_t)k);
		if (lv->synced)
			live_out(pl);
		break;
	case TTYSCOPE_REC_CLOSE:
		lv->closed = true;
		break;
	case TSC_MSG_SYNC:
		if (!lv->synced)
			live_sync(pl);
		break;
	default:
		break;
	}
}

/* Everything the daemon has sent so far. */
static void live_read(struct player *pl)
{
	struct tsc_proto_msg m;
	int r = 0;

	while (!pl->quit && (r = tsc_client_next(pl->lv.c, &m)) == 1) {
		if (m.type == TSC_MSG_REPLY)
			live_reply(pl, &m.reply);
		else
			live_record(pl, &m.rec);
	}
	if (pl->quit || r == -EAGAIN || r == -EINTR)
		return;
	if (r == 0)
		live_fail(
			pl, "%s",
			_("ttyscoped closed the connection (the daemon stopped?)"));
	else
		live_fail(pl, "%s: %s", _("lost the connection to ttyscoped"),
			  strerror(r == -EBADMSG ? EPROTO : -r));
}

/* Has playback reached the end (of the file, or of the closed session)? */
static bool played_out(const struct player *pl)
{
	if (!pl->live)
		return pl->pos >= pl->pl.n;
	return pl->lv.closed && (pl->text || pl->pos >= pl->pl.n);
}

/*
 * Play from pl->pos to the end, reading keys from stdin if @keys and a
 * live session's records as they come. The last NEAR_NS before an event
 * are left to tsc_replay_sleep(), which is precise to microseconds;
 * poll() only counts milliseconds.
 */
static void play(struct player *pl, bool keys)
{
	while (!pl->quit && !got_signal && !played_out(pl)) {
		struct pollfd pfd[2] = {
			{ keys ? STDIN_FILENO : -1, POLLIN, 0 },
			{ pl->live ? tsc_client_fd(pl->lv.c) : -1, POLLIN, 0 },
		};
		uint64_t t = TSC_REPLAY_NEVER;
		int timeout = -1;

		if (!pl->text && pl->pos < pl->pl.n &&
		    (!pl->live || pl->lv.synced)) {
			if (!pl->scheduled) {
				tsc_replay_schedule(
					pl->replay,
					pl->pl.v[pl->pos]->hdr.ts_ns);
				pl->scheduled = true;
			}
			t = tsc_replay_timeout(pl->replay);
		}
		if (t <= NEAR_NS) {
			if (tsc_replay_sleep(pl->replay) < 0)
				continue; /* a signal */
			show(pl, pl->pos++);
			tsc_replay_fire(pl->replay);
			pl->scheduled = false;
			continue;
		}
		if (t == TSC_REPLAY_NEVER)
			timeout = -1;
		else if (t > 3600000000000ull)
			timeout = 3600000;
		else
			timeout = (int)((t - NEAR_NS / 2) / 1000000);
		if (poll(pfd, 2, timeout) <= 0)
			continue;
		if (pfd[0].revents & (POLLIN | POLLHUP)) {
			uint8_t k[64];
			ssize_t n = read(STDIN_FILENO, k, sizeof(k));

			if (n <= 0)
				keys = false;
			else
				handle_keys(pl, k, (size_t)n);
		}
		if (pfd[1].revents && !pl->quit)
			live_read(pl);
	}
}

static void __attribute__((noreturn)) usage(void)
{
	FILE *out = stdout;

	fputs(_("\nUsage:\n"), out);
	fprintf(out, _(" %s replay [options] <file>|<tty>\n"), PROGRAM_NAME);
	fputs(_("\nPlay a recorded session on this terminal, or follow a live one.\n"),
	      out);
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
	fputs(_(" -l, --live                follow a live tty through ttyscoped\n"),
	      out);
	fputs(_(" -b, --buffer <size>       live: memory for output kept to seek back\n                             (default 64M)\n"),
	      out);
	fputs(_(" -h, --help                display this help\n"), out);
	fputs(_("\nKeys: space pause/resume, . step, + - speed,\n"), out);
	fputs(_("      < > or arrows seek 10 s back/forward, q quit;\n"), out);
	fputs(_("      live: L or End back to live.\n"), out);
	fputs(_("\n<tty> is a name (pts/3, /dev/pts/3) or a device number (136:3);\nan argument that is not a file but looks like one names a live tty.\n"),
	      out);
	fputs(_("\nFor more details see ttyscope(1).\n"), out);
	exit(EXIT_SUCCESS);
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
		{ "live", no_argument, NULL, 'l' },
		{ "buffer", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tsc_recording s = { 0 };
	struct player pl = { 0 };
	enum tsc_in_format format = TSC_IN_AUTO;
	const char *timing = NULL, *search = NULL;
	double speed = 1;
	uint64_t max_delay = 0, jump = 0, buffer = LIVE_BUFFER_DEFAULT;
	bool text = false, live = false, buffer_set = false, interactive;
	regex_t re;
	int c, r, ret = TSC_EXIT_FAILURE;

	while ((c = getopt_long(argc, argv, "s:m:j:tF:T:lb:h", longopts,
				NULL)) != -1) {
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
			pl.jump_set = true;
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
		case 'l':
			live = true;
			break;
		case 'b':
			if (tsc_cli_parse_size(optarg, &buffer) < 0 ||
			    buffer == 0 || buffer > SIZE_MAX) {
				fprintf(stderr, _("%s: invalid size '%s'\n"),
					PROGRAM_NAME, optarg);
				return TSC_EXIT_USAGE;
			}
			buffer_set = true;
			break;
		case 'h':
			usage();
		default:
			tsc_cli_try_help("replay");
			return TSC_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, _("%s: replay needs exactly one file or tty\n"),
			PROGRAM_NAME);
		tsc_cli_try_help("replay");
		return TSC_EXIT_USAGE;
	}
	live = live || names_tty(argv[optind]);
	if (live && (format != TSC_IN_AUTO || timing)) {
		fprintf(stderr,
			_("%s: --format and --timing apply to files, not to a live tty\n"),
			PROGRAM_NAME);
		tsc_cli_try_help("replay");
		return TSC_EXIT_USAGE;
	}
	if (!live && buffer_set) {
		fprintf(stderr,
			_("%s: --buffer applies to a live tty, not to a file\n"),
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
	pl.jump = jump;
	pl.re = search ? &re : NULL;
	pl.search = search;
	pl.text = text;
	pl.pl.max = (size_t)buffer;
	if (live) {
		if (live_open(&pl, argv[optind]) < 0)
			goto out;
	} else {
		if (tsc_cli_load(argv[optind], format, timing, &s) < 0)
			goto out_re;
		if (playlist_build(&s, &pl.pl) < 0) {
			tsc_cli_err(_("cannot replay"), argv[optind], ENOMEM);
			goto out;
		}
		if (find_start(&pl) < 0) {
			fprintf(stderr, _("%s: no output matches '%s'\n"),
				PROGRAM_NAME, search);
			goto out;
		}
	}

	if (text && !live) {
		r = text_begin(&pl);
		if (!r)
			r = text_end(&pl);
		if (r < 0) {
			tsc_cli_err(_("write error"), NULL, -r);
			goto out;
		}
		ret = EXIT_SUCCESS;
		goto out;
	}

	if (!text) {
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
		/*
		 * Timer slack (50 us by default) makes every sleep wake up
		 * late; a player wants its wake-ups on time. Best effort.
		 */
		(void)prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
	}

	interactive = !text && isatty(STDIN_FILENO) && raw_tty() == 0;
	{
		struct sigaction sa = { .sa_handler = on_signal };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
	}
	/* show what precedes the start at once, then play (a live
	 * session's start is known after its catch-up) */
	if (!live)
		render_to(&pl, 0,
			  pl.pos < pl.pl.n ? pl.pl.v[pl.pos]->hdr.ts_ns :
					     UINT64_MAX);
	play(&pl, interactive);
	if (!text) {
		size_t n = tsc_abfilter_flush(&pl.filter, pl.buf);

		if (!pl.err)
			pl.err = tsc_cli_write_all(STDOUT_FILENO, pl.buf, n);
	} else if (!pl.err && played_out(&pl)) {
		pl.err = text_end(&pl);
	}
	restore_tty();
	if (pl.err) {
		tsc_cli_err(_("write error"), NULL, -pl.err);
		goto out;
	}
	if (pl.lv.failed) {
		fprintf(stderr, "%s\n", pl.lv.end_msg);
		goto out;
	}
	ret = got_signal ? 128 + got_signal : EXIT_SUCCESS;
	if (pl.unseen)
		fprintf(stderr,
			_("%s: %" PRIu64
			  " bytes of output did not fit in the buffer and were not shown (see --buffer)\n"),
			PROGRAM_NAME, pl.unseen);
	if (live && !got_signal && played_out(&pl))
		fprintf(stderr, _("%s: the session on %s ended\n"),
			PROGRAM_NAME, pl.lv.tty.name);
out:
	tsc_client_free(pl.lv.c);
	tsc_replay_free(pl.replay);
	free(pl.buf);
	playlist_free(&pl.pl);
	tsc_recording_free(&s);
out_re:
	if (search)
		regfree(&re);
	return ret;
}
