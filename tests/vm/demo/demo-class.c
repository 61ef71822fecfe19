// SPDX-License-Identifier: GPL-2.0
/*
 * demo-class: a classroom of simulated students typing into shells on
 * pseudo-terminals, and a teacher acting on them through /dev/rpl.
 *
 * Each student is a login-like shell on its own pty; keystrokes are typed
 * one at a time at human speed. The teacher blocks one student's typing
 * (pass flag 0), types into that session, unblocks it, and finally hangs
 * another student up. At the end the captured ttys are listed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <linux/ttyscope.h>

struct student {
	const char *name;
	int master;
	pid_t pid;
	unsigned int major, minor;
};

static int rpl = -1;

static void die(const char *what)
{
	fprintf(stderr, "demo-class: %s: %s\n", what, strerror(errno));
	exit(1);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read and discard what the shells print for @ms, so they never block. */
static void drain(struct student *s, int n, long ms)
{
	long end = now_ms() + ms, left;
	struct pollfd pfd[8];
	char buf[4096];
	int i;

	while ((left = end - now_ms()) > 0) {
		for (i = 0; i < n; i++) {
			pfd[i].fd = s[i].master;
			pfd[i].events = POLLIN;
		}
		if (poll(pfd, n, left) <= 0)
			continue;
		for (i = 0; i < n; i++)
			if (pfd[i].revents & (POLLIN | POLLHUP) &&
			    read(s[i].master, buf, sizeof(buf)) <= 0)
				s[i].master = -1;
	}
}

static void start(struct student *s, int cols, int rows)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };
	struct stat st;
	char prompt[64];
	int slave;

	s->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s->master < 0 || grantpt(s->master) || unlockpt(s->master))
		die("posix_openpt");
	slave = open(ptsname(s->master), O_RDWR | O_NOCTTY);
	if (slave < 0 || fstat(slave, &st))
		die("open pty slave");
	s->major = major(st.st_rdev);
	s->minor = minor(st.st_rdev);
	ioctl(slave, TIOCSWINSZ, &ws);
	s->pid = fork();
	if (s->pid < 0)
		die("fork");
	if (!s->pid) {
		setsid();
		ioctl(slave, TIOCSCTTY, 0);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		close(slave);
		snprintf(prompt, sizeof(prompt), "PS1=%s$ ", s->name);
		putenv(prompt);
		putenv("TERM=xterm");
		execl("/bin/sh", "-sh", (char *)NULL);
		_exit(127);
	}
	close(slave);
}

/* Type @text into the student's terminal at human speed. */
static void type(struct student *all, int n, struct student *s,
		 const char *text)
{
	for (; *text; text++) {
		if (s->master >= 0 && write(s->master, text, 1) != 1)
			die("write");
		drain(all, n, 40 + rand() % 120);
	}
	drain(all, n, 300);
}

static void teacher(unsigned long req, void *arg, const char *what)
{
	if (ioctl(rpl, req, arg) < 0)
		fprintf(stderr, "demo-class: %s: %s\n", what, strerror(errno));
	else
		printf("\n>>> teacher: %s\n\n", what);
}

static void set_pass(struct student *s, unsigned int pass)
{
	struct ttyscope_pass p = { .major = s->major,
				   .minor = s->minor,
				   .pass = pass,
				   .operator_uid = 1000 };

	teacher(TTYSCOPE_IOC_SET_PASS, &p,
		pass ? "unblock student1" : "block student1");
}

static void list(void)
{
	struct ttyscope_tty_info info[16];
	struct ttyscope_list l = { .capacity = 16,
				   .entries = (unsigned long)info };
	unsigned int i;

	if (ioctl(rpl, TTYSCOPE_IOC_LIST, &l) < 0)
		die("LIST");
	printf("\n%-8s %-6s %-6s %-10s %-10s %8s %8s %8s\n", "TTY", "PASS",
	       "SID", "LEADER", "RUNNING", "IN", "OUT", "DROPPED");
	for (i = 0; i < l.count && i < 16; i++)
		printf("%-8s %-6s %-6u %-10.16s %-10.16s %8llu %8llu %8llu\n",
		       info[i].name, info[i].pass ? "yes" : "BLOCK",
		       info[i].sid, info[i].comm, info[i].fg_comm,
		       (unsigned long long)info[i].bytes_in,
		       (unsigned long long)info[i].bytes_out,
		       (unsigned long long)info[i].bytes_dropped);
}

int main(void)
{
	struct student s[3] = { { .name = "student1" },
				{ .name = "student2" },
				{ .name = "student3" } };
	const char *msg = "echo 'The teacher is watching.'\n";
	struct ttyscope_inject in = { .len = strlen(msg),
				      .operator_uid = 1000,
				      .data = (unsigned long)msg };
	struct ttyscope_tty hup;
	int i, status;

	setvbuf(stdout, NULL, _IOLBF, 0);
	srand(42);
	rpl = open("/dev/rpl", O_RDONLY | O_CLOEXEC);
	if (rpl < 0)
		die("open /dev/rpl");
	for (i = 0; i < 3; i++)
		start(&s[i], 80 + 20 * i, 24);
	drain(s, 3, 500);

	type(s, 3, &s[0], "ls /\n");
	type(s, 3, &s[1], "echo 'hello, world' | tr a-z A-Z\n");
	type(s, 3, &s[2], "cat /proc/version\n");
	type(s, 3, &s[1], "stty -echo; read -p 'Password: ' pw; stty echo\n");
	type(s, 3, &s[1], "hunter2\n");
	type(s, 3, &s[0], "uname -a\n");

	set_pass(&s[0], 0);
	type(s, 3, &s[0], "rm -rf /tmp/*\n");
	in.major = s[0].major;
	in.minor = s[0].minor;
	teacher(TTYSCOPE_IOC_INJECT, &in, "type into student1's shell");
	drain(s, 3, 500);
	list();
	set_pass(&s[0], 1);
	type(s, 3, &s[0], "whoami\n");

	type(s, 3, &s[2], "vi /tmp/notes\n");
	type(s, 3, &s[2], "iNotes from the lab\033:wq\n");
	type(s, 3, &s[2], "cat /tmp/notes\n");

	hup = (struct ttyscope_tty){ .major = s[2].major, .minor = s[2].minor };
	teacher(TTYSCOPE_IOC_HANGUP, &hup, "hang up student3");
	waitpid(s[2].pid, &status, 0);
	printf(">>> student3's shell %s %d\n",
	       WIFSIGNALED(status) ? "was killed by signal" : "exited with",
	       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	list();

	for (i = 0; i < 2; i++)
		type(s, 3, &s[i], "exit\n");
	for (i = 0; i < 2; i++)
		waitpid(s[i].pid, &status, 0);
	return 0;
}
