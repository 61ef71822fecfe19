// SPDX-License-Identifier: GPL-2.0
/*
 * students: a classroom of simulated students, each typing into a login
 * shell on its own pseudo-terminal at human speed, for as long as the demo
 * runs: shell commands (some with colour), an editor (vi), top, less, a
 * password prompt with echo off, typos corrected with backspace, pauses to
 * think. A student whose session was hung up logs in again after a while.
 *
 * Usage: students [-n N] [-t SECONDS] [-u UID] [-s SEED] [-v]
 *   -n N        number of students (1..32, default 6)
 *   -t SECONDS  stop after this long (default: run until killed)
 *   -u UID      run student i as uid UID + i - 1, gid 100 (default 1001;
 *               0 keeps the caller's uid)
 *   -s SEED     random seed (default 1)
 *   -v          copy what student 1's terminal shows to standard output
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "vport.h"

#define MAX_STUDENTS 32
#define MAX_STEPS 512

/* One step of a student's script: wait @delay_ms, then write @c (or not). */
struct step {
	unsigned int delay_ms;
	int c; /* -1: only wait */
};

struct student {
	int id;
	int master;
	pid_t pid;
	long long relogin_at; /* ms; 0 while logged in */
	struct step steps[MAX_STEPS];
	unsigned int n, pos;
	long long next_at;
	unsigned int rng;
};

static unsigned int uid_base = 1001;

static void die(const char *what)
{
	fprintf(stderr, "students: %s: %s\n", what, strerror(errno));
	exit(1);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static unsigned int rnd(struct student *s, unsigned int n)
{
	s->rng = s->rng * 1103515245u + 12345u;
	return (s->rng >> 16) % n;
}

static void add(struct student *s, unsigned int delay_ms, int c)
{
	if (s->n < MAX_STEPS)
		s->steps[s->n++] = (struct step){ delay_ms, c };
}

static void think(struct student *s, unsigned int min_ms, unsigned int max_ms)
{
	add(s, min_ms + rnd(s, max_ms - min_ms + 1), -1);
}

/*
 * Type @text at human speed: 60..220 ms a key, quicker inside words,
 * now and then a wrong key fixed with backspace. "\r" ends a line.
 */
static void type(struct student *s, const char *text)
{
	for (; *text; text++) {
		unsigned int d = 60 + rnd(s, 160);

		if (*text >= 'a' && *text <= 'z' && rnd(s, 40) == 0) {
			add(s, d, 'a' + (int)rnd(s, 26));
			add(s, 250 + rnd(s, 300), 0x7f);
		}
		add(s, *text == '\r' ? d + 150 : d, (unsigned char)*text);
	}
}

static void command(struct student *s, const char *line)
{
	think(s, 800, 4000);
	type(s, line);
	add(s, 0, '\r');
}

static const char *const commands[] = {
	"ls -l",
	"ls --color=always /",
	"uname -a",
	"echo $((6 * 7))",
	"date",
	"df -h",
	"ps",
	"free",
	"for i in 1 2 3; do echo \"line $i\"; done",
	"grep -c sh /etc/passwd",
	"seq 1 40",
	"cat /proc/loadavg",
	"printf '\\033[1;32mgreen\\033[0m and \\033[31mred\\033[0m\\n'",
	"echo 'Grüße, 世界'",
	"id",
	"pwd",
};

/* The next activity of a student, as a script of steps. */
static void plan(struct student *s)
{
	char line[128];

	s->n = 0;
	s->pos = 0;
	switch (rnd(s, 10)) {
	case 0: /* write notes in vi */
		snprintf(line, sizeof(line), "vi notes%d.txt", s->id);
		command(s, line);
		think(s, 600, 1500);
		type(s, "oExercise 3: pointers and arrays.\r");
		type(s, "Remember: a[i] is *(a + i).");
		add(s, 400, 0x1b);
		think(s, 500, 1500);
		type(s, ":wq\r");
		break;
	case 1: /* watch top for a while */
		command(s, "top -d 1");
		think(s, 4000, 8000);
		add(s, 0, 'q');
		break;
	case 2: /* page through a file with less */
		command(s, "less /proc/cpuinfo");
		for (int i = 0; i < 3; i++) {
			think(s, 1000, 2500);
			add(s, 0, ' ');
		}
		think(s, 500, 1500);
		add(s, 0, 'q');
		break;
	case 3: /* a password prompt: the shell turns echo off */
		command(s, "printf 'Password for exam server: '; stty -echo; "
			   "read pw; stty echo; echo; echo 'Access granted.'");
		think(s, 800, 2000);
		snprintf(line, sizeof(line), "s3cret-%d\r", s->id);
		type(s, line);
		break;
	default:
		command(s, commands[rnd(s, sizeof(commands) /
						   sizeof(commands[0]))]);
		break;
	}
	s->next_at = now_ms() + s->steps[0].delay_ms;
}

static void login(struct student *s)
{
	static const unsigned short sizes[][2] = {
		{ 80, 24 }, { 100, 30 }, { 120, 36 }, { 90, 28 }
	};
	const char *what;

	s->pid = student_login(s->id, uid_base ? uid_base + s->id - 1 : 0,
			       sizes[s->id % 4][0], sizes[s->id % 4][1],
			       "\\033[1;34mstudent%d@lab\\033[0m:\\w$ ",
			       &s->master, &what);
	if (s->pid < 0)
		die(what);
	s->relogin_at = 0;
	plan(s);
}

static void logout(struct student *s)
{
	close(s->master);
	s->master = -1;
	kill(-s->pid, SIGHUP);
	for (int i = 0; i < 20 && !waitpid(s->pid, NULL, WNOHANG); i++)
		usleep(10000);
	if (!waitpid(s->pid, NULL, WNOHANG)) {
		kill(-s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	s->relogin_at = now_ms() + 5000 + rnd(s, 5000);
}

static void usage(FILE *out, int status)
{
	fputs("Usage: students [-n N] [-t SECONDS] [-u UID] [-s SEED] [-v]\n",
	      out);
	exit(status);
}

int main(int argc, char **argv)
{
	struct student st[MAX_STUDENTS] = { 0 };
	struct pollfd pfd[MAX_STUDENTS];
	long long end = 0, now, wake;
	unsigned int seed = 1;
	int n = 6, opt, i, verbose = 0;
	ssize_t len;
	char buf[8192];

	while ((opt = getopt(argc, argv, "n:t:u:s:vh")) != -1) {
		switch (opt) {
		case 'n':
			n = atoi(optarg);
			if (n < 1 || n > MAX_STUDENTS)
				usage(stderr, 2);
			break;
		case 't':
			end = now_ms() + 1000LL * atoi(optarg);
			break;
		case 'u':
			uid_base = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 's':
			seed = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		default:
			usage(stderr, 2);
		}
	}
	if (optind != argc)
		usage(stderr, 2);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < n; i++) {
		st[i].id = i + 1;
		st[i].rng = seed * 7919u + (unsigned int)i * 104729u;
		login(&st[i]);
	}
	printf("students: %d students typing\n", n);
	fflush(stdout);
	for (;;) {
		now = now_ms();
		if (end && now >= end)
			break;
		wake = end ? end : now + 60000;
		for (i = 0; i < n; i++) {
			struct student *s = &st[i];

			if (s->master < 0) {
				if (now >= s->relogin_at)
					login(s);
				else if (s->relogin_at < wake)
					wake = s->relogin_at;
				continue;
			}
			while (s->master >= 0 && now >= s->next_at) {
				int c = s->steps[s->pos].c;
				unsigned char ch = (unsigned char)c;

				if (c >= 0 && write(s->master, &ch, 1) < 0 &&
				    errno != EAGAIN)
					logout(s);
				if (++s->pos == s->n)
					plan(s);
				else
					s->next_at += s->steps[s->pos].delay_ms;
			}
			if (s->master >= 0 && s->next_at < wake)
				wake = s->next_at;
		}
		for (i = 0; i < n; i++) {
			pfd[i].fd = st[i].master;
			pfd[i].events = POLLIN;
		}
		if (poll(pfd, n, wake > now ? (int)(wake - now) : 0) < 0 &&
		    errno != EINTR)
			die("poll");
		for (i = 0; i < n; i++) {
			if (st[i].master < 0 || !pfd[i].revents)
				continue;
			/* EIO: the shell is gone (exit or hangup) */
			len = read(st[i].master, buf, sizeof(buf));
			if (len <= 0)
				logout(&st[i]);
			else if (verbose && i == 0 &&
				 write(STDOUT_FILENO, buf, (size_t)len) < 0)
				verbose = 0;
		}
	}
	for (i = 0; i < n; i++)
		if (st[i].master >= 0)
			logout(&st[i]);
	return 0;
}
