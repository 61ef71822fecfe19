// SPDX-License-Identifier: GPL-2.0-only
/*
 * The overview grid under load: the real ttyscope-gui (the gui static
 * library, its application and window) watches a real ttyscoped whose
 * device is a FIFO. A generator thread writes the records of N ttys
 * (default 64) to the FIFO, each tty RATE bytes/s of terminal output
 * (default 20 KiB/s) for LOAD_S seconds (default 30): shells (prompts,
 * typing echoed a byte at a time, compiler output, ls, UTF-8 text), top
 * redrawing its screen, vim scrolling and redrawing, tail -f of a
 * coloured log with a progress bar. The content is generated from a
 * fixed seed; records carry CLOCK_REALTIME stamps as the kernel's do.
 *
 * Figures, over the load: CPU of the GUI's main thread, of the whole
 * process (the generator thread's own time taken out) and of each of its
 * threads, of ttyscoped and of the X server; the feed latency of every
 * OUT record (its stamp to the moment the main thread has fed it to the
 * tile's terminal, seen from the session's "output" signal after the
 * tile's handler): mean, median, p99, worst; the batches applied per
 * second; RSS with the tiles, at the end of the load and at its peak.
 * Then, with every tile idle for IDLE_S seconds (default 60): the same
 * CPU figures and the main thread's context switches (its wake-ups).
 * Target: idle process CPU < 1 %.
 *
 * Checks (a wrong result fails the benchmark, a slow one does not):
 * N tiles, every byte of every tty reaches its session, no record lost.
 *
 * Environment: TTYSCOPED (the daemon to run; set by meson),
 * GUI_TILES_N, GUI_TILES_RATE (bytes/s per tty), GUI_TILES_LOAD_S,
 * GUI_TILES_IDLE_S; GUI_TILES_SHOT=FILE takes a screenshot at the end of
 * the load. Run under xvfb-run; the window fills the screen.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "bench.h"
#include "tsc-application.h"
#include "tsc-record.h"

#define TTY_MAJOR 136
#define TICK_NS (10 * 1000000ull)
/* credit saved while typing: the output burst after a pause */
#define CREDIT_MAX 65536
#define PAUSE_CREDIT 4096
#define UNIT_MAX 4096 /* one OUT record, as large as the kernel makes */
#define DRAIN_S 20

/* ---- generated terminal output ---------------------------------------- */

enum kind { SHELL, TOP, VIM, LOG, N_KINDS };

struct unit {
	char buf[UNIT_MAX];
	size_t len;
	unsigned int wait; /* ticks before the next unit (typing) */
};

/* Records of a tty not yet fed: end offsets and stamps (a ring). */
struct pending {
	uint64_t *end, *ts;
	size_t cap, head, n;
};

struct tty {
	unsigned int index;
	enum kind kind;
	uint64_t rnd;
	unsigned int step, line, typed;
	const char *cmd;
	int credit;
	unsigned int wait;
	uint64_t seq;
	uint64_t written; /* OUT payload bytes written (generator) */
	uint64_t fed; /* OUT payload bytes fed (main thread) */
	struct pending q; /* protected by lock */
};

static struct tty *ttys;
static unsigned int n_ttys = 64, rate = 20480;
static unsigned int load_s = 30, idle_s = 60;
static GMutex lock;
static int fifo_fd = -1;
static volatile gboolean gen_stop;
static struct rusage gen_ru0, gen_ru1;
static uint64_t gen_records, gen_bytes;
static GArray *lat_us; /* guint32, main thread */
static gboolean measuring;
static guint64 n_changed; /* batches applied to sessions, main thread */

static unsigned int pick(struct tty *t, unsigned int n)
{
	return (unsigned int)(bench_rand(&t->rnd) % n);
}

static void put(struct unit *u, const char *s)
{
	size_t n = strlen(s);

	if (u->len + n > UNIT_MAX)
		n = UNIT_MAX - u->len;
	memcpy(u->buf + u->len, s, n);
	u->len += n;
}

static void putf(struct unit *u, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void putf(struct unit *u, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;

	va_start(ap, fmt);
	g_vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	put(u, tmp);
}

static const char *const users[] = { "alice", "bob",	"carol", "dmitrij",
				     "zoë",   "jürgen", "李雷",	 "root" };
static const char *const files[] = {
	"main.c",     "parser.c",  "lexer.c",	  "util.h",
	"Makefile",   "README.md", "Grüße.txt",	  "notes-日本語.md",
	"résumé.pdf", "data.csv",  "test_all.py", "build.sh",
};
static const char *const words[] = {
	"the",	   "terminal", "session", "output", "kernel", "Grüße",
	"naïve",   "café",     "日本語",  "你好",   "über",   "déjà vu",
	"process", "buffer",   "→",	  "✓ done", "signal", "été",
};

static void prompt(struct tty *t, struct unit *u)
{
	putf(u, "\033[1;32m%s@lab%02u\033[0m:\033[1;34m~/src\033[0m$ ",
	     users[t->index % G_N_ELEMENTS(users)], t->index);
}

static void sentence(struct tty *t, struct unit *u, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		putf(u, "%s%s", i ? " " : "",
		     words[pick(t, G_N_ELEMENTS(words))]);
}

/* A shell: prompt, a command typed a byte at a time, its output. */
static void gen_shell(struct tty *t, struct unit *u)
{
	static const char *const cmds[] = { "make -j2", "ls -l --color",
					    "cat notes.txt", "git log" };

	if (t->step == 0) {
		prompt(t, u);
		t->cmd = cmds[pick(t, G_N_ELEMENTS(cmds))];
		t->typed = 0;
		t->step = 1;
		u->wait = 20;
		return;
	}
	if (t->step == 1) {
		/* typed: one echoed byte per record, 30 ms apart */
		put(u, (char[]){ t->cmd[t->typed++], 0 });
		u->wait = 3;
		if (!t->cmd[t->typed]) {
			t->step = 2;
			t->line = 0;
		}
		return;
	}
	if (t->step == 2) {
		put(u, "\r\n");
		t->step = 3;
		return;
	}
	/* output: a few lines per record, as line-buffered programs write */
	for (unsigned int i = 0, n = 1 + pick(t, 6); i < n; i++, t->line++) {
		const char *f = files[pick(t, G_N_ELEMENTS(files))];

		switch (t->cmd[0]) {
		case 'm':
			if (pick(t, 4))
				putf(u, "cc -O2 -Wall -c -o %s.o %s\r\n", f, f);
			else
				putf(u,
				     "\033[01m\033[K%s:%u:%u:\033[m\033[K "
				     "\033[01;35m\033[Kwarning: \033[m\033[K"
				     "unused variable ‘\033[01m\033[Kn%u\033[m\033[K’ "
				     "[\033[01;35m\033[K-Wunused-variable\033[m\033[K]\r\n"
				     "  %4u |   int n%u;\r\n      |       "
				     "\033[01;35m\033[K^~\033[m\033[K\r\n",
				     f, 10 + pick(t, 900), 5 + pick(t, 20),
				     t->line, 10 + pick(t, 900), t->line);
			break;
		case 'l':
			putf(u,
			     "-rw-r--r-- 1 %s users %7u Dec  3 1%u:%02u "
			     "\033[0%sm%s\033[0m\r\n",
			     users[pick(t, G_N_ELEMENTS(users))],
			     pick(t, 1000000), pick(t, 10), pick(t, 60),
			     pick(t, 3) ? "0" : "1;32", f);
			break;
		case 'c':
			sentence(t, u, 6 + pick(t, 8));
			put(u, "\r\n");
			break;
		default:
			putf(u,
			     "\033[33mcommit %08x%08x\033[m\r\nAuthor: %s "
			     "<%s@example.org>\r\n\r\n    ",
			     (unsigned int)bench_rand(&t->rnd),
			     (unsigned int)bench_rand(&t->rnd),
			     users[pick(t, G_N_ELEMENTS(users))], "dev");
			sentence(t, u, 4 + pick(t, 6));
			put(u, "\r\n\r\n");
			break;
		}
	}
	if (t->line >= 20 + pick(t, 40))
		t->step = 0;
}

/* top: the whole screen, redrawn in place. */
static void gen_top(struct tty *t, struct unit *u)
{
	static const char *const cmds[] = {
		"python3", "cc1",      "Xorg",	  "systemd",	"sshd",
		"bash",	   "postgres", "firefox", "kworker/0:1"
	};

	putf(u,
	     "\033[H\033[?25ltop - 1%u:%02u:%02u up 3 days,  2 users,  "
	     "load average: %u.%02u, 0.31, 0.20\033[K\r\n",
	     t->index % 10, pick(t, 60), pick(t, 60), pick(t, 4), pick(t, 100));
	putf(u,
	     "Tasks: \033[1m%u\033[m total,   \033[1m%u\033[m running\033[K\r\n"
	     "%%Cpu(s): \033[1m%2u.%u\033[m us,  \033[1m%u.%u\033[m sy\033[K\r\n"
	     "MiB Mem : \033[1m  7841.2\033[m total, \033[1m%5u.%u\033[m free"
	     "\033[K\r\n\033[K\r\n",
	     90 + pick(t, 20), 1 + pick(t, 3), pick(t, 99), pick(t, 10),
	     pick(t, 9), pick(t, 10), 1000 + pick(t, 4000), pick(t, 10));
	/* every line fits in 80 columns, as top makes it */
	put(u, "\033[7m  PID USER     PR NI    VIRT    RES %CPU %MEM     TIME+ "
	       "COMMAND                \033[m\r\n");
	for (unsigned int i = 0; i < 17; i++)
		putf(u,
		     "%s%5u %-8s 20  0 %7u %6u %2u.%u %2u.%u %3u:%02u.%02u "
		     "%-15s\033[m\033[K\r\n",
		     i < 2 ? "\033[1m" : "", 100 + pick(t, 30000),
		     users[pick(t, G_N_ELEMENTS(users))], pick(t, 9000000),
		     pick(t, 900000), pick(t, 99), pick(t, 10), pick(t, 20),
		     pick(t, 10), pick(t, 100), pick(t, 60), pick(t, 100),
		     cmds[pick(t, G_N_ELEMENTS(cmds))]);
	put(u, "\033[J");
}

/* vim: a page redrawn line by line, then lines scrolled in. */
static void code_line(struct tty *t, struct unit *u)
{
	switch (pick(t, 5)) {
	case 0:
		putf(u, "\033[35m#include\033[m \033[31m<%s>\033[m",
		     files[pick(t, 4)]);
		break;
	case 1:
		putf(u,
		     "\033[32mstatic int\033[m f%u(\033[32mconst char\033[m *s)",
		     pick(t, 100));
		break;
	case 2:
		putf(u,
		     "        \033[33mif\033[m (n > %u) \033[33mreturn\033[m "
		     "-\033[35mEINVAL\033[m;",
		     pick(t, 4096));
		break;
	case 3:
		put(u, "        \033[34m/* ");
		sentence(t, u, 5);
		put(u, " */\033[m");
		break;
	default:
		putf(u, "        printf(\033[31m\"%s %%d\\n\"\033[m, n);",
		     words[pick(t, G_N_ELEMENTS(words))]);
		break;
	}
}

static void gen_vim(struct tty *t, struct unit *u)
{
	if (t->step % 20 == 0) {
		put(u, "\033[?25l\033[H");
		for (unsigned int r = 1; r <= 23; r++) {
			putf(u, "\033[%u;1H", r);
			if (pick(t, 6))
				code_line(t, u);
			put(u, "\033[K");
		}
	} else if (t->step % 20 < 15) {
		/* one line scrolled in */
		put(u, "\033[1;23r\033[23;1H\n");
		code_line(t, u);
		put(u, "\033[K\033[r");
	} else {
		/* typing in insert mode */
		putf(u, "\033[%u;%uH%c", 1 + pick(t, 23), 1 + pick(t, 60),
		     'a' + pick(t, 26));
		u->wait = 5;
	}
	putf(u,
	     "\033[24;1H\033[1m-- INSERT --\033[m\033[24;63H%u,%u\033[24;76H%u%%",
	     100 + t->step, 1 + pick(t, 80), pick(t, 100));
	t->step++;
}

/* tail -f of a coloured log, and now and then a progress bar. */
static void gen_log(struct tty *t, struct unit *u)
{
	static const char *const levels[] = { "\033[32mINFO\033[m",
					      "\033[33mWARN\033[m",
					      "\033[31mERROR\033[m",
					      "\033[36mDEBUG\033[m" };

	if (t->step % 40 >= 30) {
		unsigned int pct = (t->step % 40 - 30) * 11;

		put(u, "\rdownload  [");
		for (unsigned int i = 0; i < 40; i++)
			put(u, i * 100 < pct * 40 ? "█" : "·");
		putf(u, "] %3u%%  %u.%u MB/s", MIN(pct, 100), pick(t, 50),
		     pick(t, 10));
		if (t->step % 40 == 39)
			put(u, "\r\n");
		u->wait = 8;
	} else {
		for (unsigned int i = 0, n = 1 + pick(t, 3); i < n; i++) {
			putf(u, "2026-12-03T1%u:%02u:%02u.%03uZ %s [%s] ",
			     t->index % 10, pick(t, 60), pick(t, 60),
			     pick(t, 1000), levels[pick(t, 4)],
			     users[pick(t, G_N_ELEMENTS(users))]);
			sentence(t, u, 3 + pick(t, 10));
			put(u, "\r\n");
		}
	}
	t->step++;
}

static void gen_unit(struct tty *t, struct unit *u)
{
	u->len = 0;
	u->wait = 0;
	switch (t->kind) {
	case SHELL:
		gen_shell(t, u);
		break;
	case TOP:
		gen_top(t, u);
		break;
	case VIM:
		gen_vim(t, u);
		break;
	default:
		gen_log(t, u);
		break;
	}
}

/* ---- records to the daemon's device ------------------------------------ */

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void write_all(const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fifo_fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		CHECK(w > 0);
		p += w;
		n -= (size_t)w;
	}
}

static void pending_push(struct pending *q, uint64_t end, uint64_t ts)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 256;
		uint64_t *e = g_new(uint64_t, cap), *s = g_new(uint64_t, cap);

		for (size_t i = 0; i < q->n; i++) {
			e[i] = q->end[(q->head + i) % q->cap];
			s[i] = q->ts[(q->head + i) % q->cap];
		}
		g_free(q->end);
		g_free(q->ts);
		q->end = e;
		q->ts = s;
		q->cap = cap;
		q->head = 0;
	}
	q->end[(q->head + q->n) % q->cap] = end;
	q->ts[(q->head + q->n) % q->cap] = ts;
	q->n++;
}

/* Append one record of @t to @out. */
static void add_record(GByteArray *out, struct tty *t, unsigned int type,
		       const void *payload, size_t len, uint64_t ts)
{
	uint8_t buf[TSC_REC_MAX_SIZE];
	struct tsc_rec_hdr h = {
		.type = (uint16_t)type,
		.len = (uint32_t)len,
		.major = TTY_MAJOR,
		.minor = t->index,
		.seq = t->seq++,
		.ts_ns = ts,
	};
	int n = tsc_rec_encode(&h, payload, buf, sizeof(buf));

	CHECK(n > 0);
	g_byte_array_append(out, buf, (guint)n);
	if (type != TTYSCOPE_REC_OUT)
		return;
	t->written += len;
	g_mutex_lock(&lock);
	pending_push(&t->q, t->written, ts);
	g_mutex_unlock(&lock);
	gen_records++;
	gen_bytes += len;
}

/* OPEN, WINSIZE 24x80 and SESSION of every tty. */
static void open_ttys(void)
{
	g_autoptr(GByteArray) out = g_byte_array_new();
	uint64_t ts = real_ns();

	for (unsigned int i = 0; i < n_ttys; i++) {
		static const char *const comm[] = { "bash", "top", "vim",
						    "tail" };
		struct tty *t = &ttys[i];
		struct tsc_open o = { .kind = 1 };
		struct tsc_winsize w = { .rows = 24, .cols = 80 };
		struct tsc_session s = {
			.sid = 1000 + i,
			.pgrp = 1000 + i,
			.uid = 0,
			.loginuid = 0xffffffffu,
		};
		uint8_t p[64];

		g_snprintf(o.name, sizeof(o.name), "pts/%u", i);
		tsc_rec_encode_open(&o, p);
		add_record(out, t, TTYSCOPE_REC_OPEN, p, TSC_OPEN_SIZE, ts);
		tsc_rec_encode_winsize(&w, p);
		add_record(out, t, TTYSCOPE_REC_WINSIZE, p, TSC_WINSIZE_SIZE,
			   ts);
		g_strlcpy(s.comm, "bash", sizeof(s.comm));
		g_strlcpy(s.fg_comm, comm[t->kind], sizeof(s.fg_comm));
		tsc_rec_encode_session(&s, p);
		add_record(out, t, TTYSCOPE_REC_SESSION, p, TSC_SESSION_SIZE,
			   ts);
	}
	write_all(out->data, out->len);
}

/*
 * Generator thread: every 10 ms each tty earns RATE/100 bytes of credit
 * and spends it on whole records (so a top redraw comes every ~100 ms);
 * typing pauses only while the tty is not behind its rate. All records
 * of a tick go to the FIFO in one write.
 */
static gpointer generator(gpointer data)
{
	g_autoptr(GByteArray) out = g_byte_array_new();
	struct unit *u = g_new(struct unit, 1);
	uint64_t end = mono_ns() + (uint64_t)load_s * 1000000000u;
	struct timespec next;

	getrusage(RUSAGE_THREAD, &gen_ru0);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!gen_stop && mono_ns() < end) {
		uint64_t ts = real_ns();

		g_byte_array_set_size(out, 0);
		for (unsigned int i = 0; i < n_ttys; i++) {
			struct tty *t = &ttys[i];

			t->credit =
				MIN(t->credit + (int)(rate / 100), CREDIT_MAX);
			if (t->wait) {
				t->wait--;
				continue;
			}
			while (t->credit > 0 && !t->wait) {
				gen_unit(t, u);
				add_record(out, t, TTYSCOPE_REC_OUT, u->buf,
					   u->len, ts);
				t->credit -= (int)u->len;
				/* pauses, unless they would cost the rate */
				t->wait = t->credit < PAUSE_CREDIT ? u->wait :
								     0;
			}
		}
		write_all(out->data, out->len);
		next.tv_nsec += (long)TICK_NS;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	getrusage(RUSAGE_THREAD, &gen_ru1);
	g_free(u);
	return NULL;
}

/* ---- the daemon --------------------------------------------------------- */

static void die_with_parent(gpointer data)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static GPid daemon_start(const char *dir, char **sock)
{
	g_autofree char *fifo = g_build_filename(dir, "dev", NULL);
	g_autofree char *logs = g_build_filename(dir, "logs", NULL);
	g_autofree char *ctl = g_build_filename(dir, "ctl", NULL);
	const char *ttyscoped = g_getenv("TTYSCOPED");
	g_autoptr(GError) error = NULL;
	GPid pid;

	if (!ttyscoped) {
		fprintf(stderr, "gui-tiles: TTYSCOPED must name ttyscoped\n");
		exit(2);
	}
	*sock = g_build_filename(dir, "sock", NULL);
	CHECK(mkfifo(fifo, 0600) == 0);
	const char *argv[] = { ttyscoped,   "--foreground", "--device",
			       fifo,	    "--socket",	    *sock,
			       "--log-dir", logs,	    "--fake-control",
			       ctl,	    "--dev-root",   dir,
			       NULL };

	if (!g_spawn_async(NULL, (char **)argv, NULL,
			   G_SPAWN_DO_NOT_REAP_CHILD |
				   G_SPAWN_STDOUT_TO_DEV_NULL |
				   G_SPAWN_STDERR_TO_DEV_NULL,
			   die_with_parent, NULL, &pid, &error)) {
		fprintf(stderr, "gui-tiles: %s\n", error->message);
		exit(2);
	}
	fifo_fd = open(fifo, O_WRONLY | O_CLOEXEC);
	CHECK(fifo_fd >= 0);
	for (int i = 0; i < 500 && !g_file_test(*sock, G_FILE_TEST_EXISTS); i++)
		g_usleep(10000);
	CHECK(g_file_test(*sock, G_FILE_TEST_EXISTS));
	return pid;
}

/* ---- CPU and memory ------------------------------------------------------ */

/* utime + stime of /proc/PID[/task/TID]/stat in clock ticks; comm. */
static uint64_t stat_ticks(const char *path, char *comm, size_t size,
			   long *ppid)
{
	g_autofree char *s = NULL;
	char *open, *close;
	unsigned long long ut = 0, st = 0;
	long pp = 0;

	if (!g_file_get_contents(path, &s, NULL, NULL))
		return 0;
	open = strchr(s, '(');
	close = strrchr(s, ')');
	if (!open || !close)
		return 0;
	if (comm)
		g_strlcpy(comm, open + 1, MIN(size, (size_t)(close - open)));
	/* after "(comm) ": state ppid ... utime is field 14, stime 15 */
	if (sscanf(close + 2,
		   "%*c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &pp,
		   &ut, &st) != 3)
		return 0;
	if (ppid)
		*ppid = pp;
	return ut + st;
}

struct thread_cpu {
	char comm[32];
	uint64_t t0, t1;
};

/* Every thread of this process: tid -> struct thread_cpu. */
static void threads_snapshot(GHashTable *tab, gboolean end)
{
	g_autoptr(GDir) d = g_dir_open("/proc/self/task", 0, NULL);
	const char *name;

	CHECK(d != NULL);
	while ((name = g_dir_read_name(d))) {
		g_autofree char *path =
			g_strdup_printf("/proc/self/task/%s/stat", name);
		gpointer key = GINT_TO_POINTER(atoi(name));
		struct thread_cpu *c = g_hash_table_lookup(tab, key);
		char comm[32] = "";
		uint64_t t = stat_ticks(path, comm, sizeof(comm), NULL);

		if (!c) {
			c = g_new0(struct thread_cpu, 1);
			g_strlcpy(c->comm, comm, sizeof(c->comm));
			c->t0 = end ? 0 : t;
			g_hash_table_insert(tab, key, c);
		}
		if (end)
			c->t1 = t;
	}
}

/* The X server: xvfb-run's other child. */
static pid_t find_xserver(void)
{
	g_autoptr(GDir) d = g_dir_open("/proc", 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *path = NULL;
		char comm[32] = "";
		long ppid = 0;

		if (!g_ascii_isdigit(name[0]))
			continue;
		path = g_strdup_printf("/proc/%s/stat", name);
		stat_ticks(path, comm, sizeof(comm), &ppid);
		if (ppid == getppid() && g_str_has_prefix(comm, "Xvfb"))
			return atoi(name);
	}
	return 0;
}

static uint64_t pid_ticks(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid);

	return pid > 0 ? stat_ticks(path, NULL, 0, NULL) : 0;
}

static long status_kb(const char *field)
{
	g_autofree char *s = NULL;
	const char *p;

	if (!g_file_get_contents("/proc/self/status", &s, NULL, NULL))
		return -1;
	p = strstr(s, field);
	return p ? strtol(p + strlen(field) + 1, NULL, 10) : -1;
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static double ru_s(const struct rusage *r)
{
	return tv_s(r->ru_utime) + tv_s(r->ru_stime);
}

struct sample {
	uint64_t mono;
	struct rusage self, main;
	uint64_t daemon, xserver;
	GHashTable *threads;
};

static GPid daemon_pid;
static pid_t xserver_pid;

static void sample_take(struct sample *s, gboolean end)
{
	if (!s->threads)
		s->threads = g_hash_table_new_full(NULL, NULL, NULL, g_free);
	threads_snapshot(s->threads, end);
	getrusage(RUSAGE_SELF, &s->self);
	getrusage(RUSAGE_THREAD, &s->main);
	s->daemon = pid_ticks(daemon_pid);
	s->xserver = pid_ticks(xserver_pid);
	s->mono = mono_ns();
}

/* Print CPU figures between @a and @b; @gen: generator time to take out. */
static double report_cpu(const char *phase, struct sample *a, struct sample *b,
			 double gen)
{
	double wall = (double)(b->mono - a->mono) / 1e9;
	double hz = (double)sysconf(_SC_CLK_TCK);
	double main_cpu = ru_s(&b->main) - ru_s(&a->main);
	double proc = ru_s(&b->self) - ru_s(&a->self) - gen;
	long wakeups = (b->main.ru_nvcsw - a->main.ru_nvcsw) +
		       (b->main.ru_nivcsw - a->main.ru_nivcsw);
	g_autoptr(GHashTable) by_comm =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	GHashTableIter it;
	gpointer k, v;

	printf("%s: %.1f s\n", phase, wall);
	printf("  main thread CPU   %6.2f %%  (%.2f s; %.1f context switches/s)\n",
	       100 * main_cpu / wall, main_cpu, (double)wakeups / wall);
	printf("  process CPU       %6.2f %%  (all threads but the generator; "
	       "100 %% = one core)\n",
	       100 * proc / wall);
	g_hash_table_iter_init(&it, b->threads);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct thread_cpu *c = v;
		struct thread_cpu *c0 = g_hash_table_lookup(a->threads, k);
		double *sum;

		if (GPOINTER_TO_INT(k) == getpid() ||
		    !g_strcmp0(c->comm, "gui-tiles-gen"))
			continue;
		sum = g_hash_table_lookup(by_comm, c->comm);
		if (!sum) {
			sum = g_new0(double, 1);
			g_hash_table_insert(by_comm, g_strdup(c->comm), sum);
		}
		*sum += (double)(c->t1 - (c0 ? c0->t0 : 0)) / hz;
	}
	g_hash_table_iter_init(&it, by_comm);
	while (g_hash_table_iter_next(&it, &k, &v))
		if (*(double *)v > 0)
			printf("    threads %-15s %6.2f %%\n", (char *)k,
			       100 * *(double *)v / wall);
	printf("  ttyscoped CPU     %6.2f %%\n",
	       100 * (double)(b->daemon - a->daemon) / hz / wall);
	if (xserver_pid)
		printf("  X server CPU      %6.2f %%\n",
		       100 * (double)(b->xserver - a->xserver) / hz / wall);
	return 100 * proc / wall;
}

/* ---- the GUI ------------------------------------------------------------- */

struct bench {
	TscApplication *app;
	TscWindow *win;
	TscSource *source;
	char *tmp, *sock;
	int status;
};

static gboolean quit_loop(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_REMOVE;
}

/* Run the main loop for @ms without waking it up ourselves. */
static void run_for(guint ms)
{
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);

	g_timeout_add(ms, quit_loop, loop);
	g_main_loop_run(loop);
}

static gboolean wake(gpointer data)
{
	return G_SOURCE_CONTINUE;
}

#define WAIT_FOR(cond, secs, what)                                           \
	do {                                                                 \
		uint64_t end_ = mono_ns() + (uint64_t)(secs)*1000000000u;    \
		guint tick_ = g_timeout_add(20, wake, NULL);                 \
		while (!(cond) && mono_ns() < end_)                          \
			g_main_context_iteration(NULL, TRUE);                \
		g_source_remove(tick_);                                      \
		if (!(cond)) {                                               \
			fprintf(stderr, "gui-tiles: timed out: %s\n", what); \
			exit(1);                                             \
		}                                                            \
	} while (0)

/* Main thread, after the tile's terminal was fed: the records' latency. */
static void on_output(TscSession *s, GBytes *bytes, gpointer data)
{
	struct tty *t = data;
	uint64_t now = real_ns();

	t->fed += g_bytes_get_size(bytes);
	g_mutex_lock(&lock);
	while (t->q.n && t->q.end[t->q.head] <= t->fed) {
		uint64_t ts = t->q.ts[t->q.head];
		guint32 us = (guint32)(now > ts ? (now - ts) / 1000 : 0);

		if (measuring)
			g_array_append_val(lat_us, us);
		t->q.head = (t->q.head + 1) % t->q.cap;
		t->q.n--;
	}
	g_mutex_unlock(&lock);
}

static void on_changed(TscSession *s, gpointer data)
{
	if (measuring)
		n_changed++;
}

static void on_session_added(TscSource *source, TscSession *s, gpointer data)
{
	guint32 minor = tsc_session_get_minor(s);

	CHECK(tsc_session_get_major(s) == TTY_MAJOR && minor < n_ttys);
	g_signal_connect_after(s, "output", G_CALLBACK(on_output),
			       &ttys[minor]);
	g_signal_connect(s, "changed", G_CALLBACK(on_changed), NULL);
}

static guint count_tiles(struct bench *b)
{
	g_autoptr(GList) list = tsc_window_get_sessions(b->win);
	guint n = 0;

	for (GList *l = list; l; l = l->next)
		n += tsc_window_get_tile(b->win, l->data) != NULL;
	return n;
}

/* Tiles the grid's scrolled window shows, at least in part. */
static guint visible_tiles(struct bench *b)
{
	g_autoptr(GList) list = tsc_window_get_sessions(b->win);
	GtkWidget *grid = NULL;
	GtkAdjustment *h, *v;
	GtkWidget *sw;
	guint n = 0;

	for (GList *l = list; l && !grid; l = l->next)
		if (tsc_window_get_tile(b->win, l->data))
			grid = gtk_widget_get_parent(GTK_WIDGET(
				tsc_window_get_tile(b->win, l->data)));
	sw = gtk_widget_get_ancestor(grid, GTK_TYPE_SCROLLED_WINDOW);
	h = gtk_scrolled_window_get_hadjustment(GTK_SCROLLED_WINDOW(sw));
	v = gtk_scrolled_window_get_vadjustment(GTK_SCROLLED_WINDOW(sw));
	for (GList *l = list; l; l = l->next) {
		GtkWidget *tile =
			GTK_WIDGET(tsc_window_get_tile(b->win, l->data));
		GtkAllocation a;

		if (!tile || !gtk_widget_get_child_visible(tile))
			continue;
		gtk_widget_get_allocation(tile, &a);
		if (a.x < gtk_adjustment_get_value(h) +
				    gtk_adjustment_get_page_size(h) &&
		    a.x + a.width > gtk_adjustment_get_value(h) &&
		    a.y < gtk_adjustment_get_value(v) +
				    gtk_adjustment_get_page_size(v) &&
		    a.y + a.height > gtk_adjustment_get_value(v))
			n++;
	}
	return n;
}

static gboolean all_fed(void)
{
	gboolean done = TRUE;

	g_mutex_lock(&lock);
	for (unsigned int i = 0; i < n_ttys && done; i++)
		done = ttys[i].q.n == 0;
	g_mutex_unlock(&lock);
	return done;
}

static int cmp_u32(const void *a, const void *b)
{
	guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;

	return x < y ? -1 : x > y;
}

static void bench_body(struct bench *b)
{
	struct sample l0 = { 0 }, l1 = { 0 }, i0 = { 0 }, i1 = { 0 };
	GdkRectangle screen;
	GThread *gen;
	guint64 lost = 0;
	double gen_cpu, idle_cpu;
	long rss_tiles, rss_fed, hwm;
	guint visible;

	gdk_monitor_get_geometry(
		gdk_display_get_monitor(gdk_display_get_default(), 0), &screen);
	b->source = g_ptr_array_index(tsc_application_get_sources(b->app), 0);
	g_signal_connect(b->source, "session-added",
			 G_CALLBACK(on_session_added), NULL);
	gtk_window_move(GTK_WINDOW(b->win), 0, 0);
	gtk_window_resize(GTK_WINDOW(b->win), screen.width, screen.height - 56);
	WAIT_FOR(tsc_source_get_state(b->source) == TSC_SOURCE_CONNECTED, 20,
		 "the connection to ttyscoped");
	open_ttys();
	WAIT_FOR(count_tiles(b) == n_ttys, 60, "the tiles");
	run_for(1000);
	visible = visible_tiles(b);
	rss_tiles = status_kb("VmRSS:");
	printf("gui-tiles: %u ttys of 24x80, %u B/s each (%.2f MB/s), "
	       "%u of %u tiles visible on a %dx%d screen\n",
	       n_ttys, rate, (double)n_ttys * rate / 1e6, visible, n_ttys,
	       screen.width, screen.height);
	fflush(stdout);

	/* load */
	measuring = TRUE;
	sample_take(&l0, FALSE);
	gen = g_thread_new("gui-tiles-gen", generator, NULL);
	run_for(load_s * 1000);
	sample_take(&l1, TRUE);
	gen_stop = TRUE;
	g_thread_join(gen);
	WAIT_FOR(all_fed(), DRAIN_S, "every record fed after the load");
	rss_fed = status_kb("VmRSS:");
	hwm = status_kb("VmHWM:");
	if (g_getenv("GUI_TILES_SHOT")) {
		const char *argv[] = { "import", "-window", "root",
				       g_getenv("GUI_TILES_SHOT"), NULL };

		g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH,
			     NULL, NULL, NULL, NULL, NULL, NULL);
	}
	gen_cpu = ru_s(&gen_ru1) - ru_s(&gen_ru0);

	g_autoptr(GList) list = tsc_window_get_sessions(b->win);
	for (GList *l = list; l; l = l->next) {
		struct tty *t = &ttys[tsc_session_get_minor(l->data)];

		lost += tsc_session_get_lost(l->data);
		CHECK(t->fed == t->written);
	}
	lost += tsc_source_get_lost(b->source);
	CHECK(count_tiles(b) == n_ttys);

	printf("\nload: %" G_GUINT64_FORMAT " OUT records, %.1f MB "
	       "(%.0f records/s, %.2f MB/s), records lost: %" G_GUINT64_FORMAT
	       "\n",
	       gen_records, (double)gen_bytes / 1e6,
	       (double)gen_records / load_s, (double)gen_bytes / 1e6 / load_s,
	       lost);
	report_cpu("load", &l0, &l1, gen_cpu);
	printf("  batches           %.0f/s applied to sessions (\"changed\")\n",
	       (double)n_changed / ((double)(l1.mono - l0.mono) / 1e9));
	printf("  (generator thread %.2f %%, not counted)\n",
	       100 * gen_cpu / ((double)(l1.mono - l0.mono) / 1e9));
	if (lat_us->len) {
		double sum = 0;

		qsort(lat_us->data, lat_us->len, sizeof(guint32), cmp_u32);
		for (guint i = 0; i < lat_us->len; i++)
			sum += g_array_index(lat_us, guint32, i);
		printf("  feed latency      mean %.1f ms, p50 %.1f ms, "
		       "p99 %.1f ms, worst %.1f ms (%u records)\n",
		       sum / lat_us->len / 1000,
		       g_array_index(lat_us, guint32, lat_us->len / 2) / 1000.0,
		       g_array_index(lat_us, guint32,
				     (guint)((lat_us->len - 1) * 0.99)) /
			       1000.0,
		       g_array_index(lat_us, guint32, lat_us->len - 1) / 1000.0,
		       lat_us->len);
	}
	printf("  memory            RSS %.1f MB with the tiles, %.1f MB at the "
	       "end of the load, peak %.1f MB\n",
	       rss_tiles / 1024.0, rss_fed / 1024.0, hwm / 1024.0);
	fflush(stdout);

	/* idle: the activity highlights go out, then nothing should run */
	measuring = FALSE;
	run_for(3000);
	sample_take(&i0, FALSE);
	run_for(idle_s * 1000);
	sample_take(&i1, TRUE);
	printf("\n");
	idle_cpu = report_cpu("idle", &i0, &i1, 0);
	printf("  memory            RSS %.1f MB\n",
	       status_kb("VmRSS:") / 1024.0);
	printf("  target: idle process CPU < 1 %%: %s\n",
	       idle_cpu < 1 ? "met" : "NOT met");
	CHECK(count_tiles(b) == n_ttys);
	g_hash_table_unref(l0.threads);
	g_hash_table_unref(l1.threads);
	g_hash_table_unref(i0.threads);
	g_hash_table_unref(i1.threads);
}

static void on_activate(GApplication *app, struct bench *b)
{
	b->win = tsc_application_get_window(b->app);
	bench_body(b);
	g_application_quit(app);
}

static unsigned int env_uint(const char *name, unsigned int def,
			     unsigned int min)
{
	const char *s = g_getenv(name);
	char *end;
	unsigned long v;

	if (!s)
		return def;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v < min || v > 1000000) {
		fprintf(stderr, "gui-tiles: bad %s '%s'\n", name, s);
		exit(2);
	}
	return (unsigned int)v;
}

static void rm_rf(const char *path)
{
	const char *argv[] = { "rm", "-rf", path, NULL };

	g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
		     NULL, NULL, NULL, NULL);
}

int main(int argc, char **argv)
{
	struct bench b = { 0 };
	int status;

	n_ttys = env_uint("GUI_TILES_N", 64, 1);
	rate = env_uint("GUI_TILES_RATE", 20480, 100);
	load_s = env_uint("GUI_TILES_LOAD_S", 30, 1);
	idle_s = env_uint("GUI_TILES_IDLE_S", 60, 1);
	CHECK(n_ttys <= 1000);
	g_setenv("GSETTINGS_BACKEND", "memory", TRUE);
	g_setenv("NO_AT_BRIDGE", "1", TRUE);
	gtk_init(&argc, &argv);
	signal(SIGPIPE, SIG_IGN);
	ttys = g_new0(struct tty, n_ttys);
	for (unsigned int i = 0; i < n_ttys; i++) {
		ttys[i].index = i;
		ttys[i].kind = (enum kind)(i % N_KINDS);
		ttys[i].rnd = 0x9e3779b97f4a7c15ull * (i + 1);
		/* not all in step: a top redraws at its own time */
		ttys[i].credit = -(int)(bench_rand(&ttys[i].rnd) % 4096);
	}
	lat_us = g_array_new(FALSE, FALSE, sizeof(guint32));
	xserver_pid = find_xserver();

	b.tmp = g_dir_make_tmp("tsc-gui-tiles-XXXXXX", NULL);
	CHECK(b.tmp != NULL);
	daemon_pid = daemon_start(b.tmp, &b.sock);

	b.app = tsc_application_new();
	g_signal_connect_after(b.app, "activate", G_CALLBACK(on_activate), &b);
	const char *args[] = { "ttyscope-gui", "--socket", b.sock, NULL };

	status = g_application_run(G_APPLICATION(b.app), 3, (char **)args);
	CHECK(status == 0);
	g_clear_object(&b.app);

	kill(daemon_pid, SIGTERM);
	waitpid(daemon_pid, NULL, 0);
	close(fifo_fd);
	rm_rf(b.tmp);
	g_free(b.tmp);
	g_free(b.sock);
	return 0;
}
