// SPDX-License-Identifier: GPL-2.0
/*
 * typist: one scripted student for the lab's end-to-end tests. Logs in a
 * shell (/bin/sh, uid UID, gid 100, in /home/studentN) on a new
 * pseudo-terminal, types into it what the host asks for over a
 * virtio-serial port, and sends back everything the terminal shows.
 *
 * Usage: typist [-u UID] [-d MS] PORT
 *   PORT    name of the virtio port (tests/vm/lab --port PORT:SOCKET)
 *   -u UID  the student's uid (default 1001; the student is named
 *           student<UID - 1000>)
 *   -d MS   delay between two keys (default 40)
 *
 * From the host, one request per line; the text is typed key by key,
 * with the escapes \r \n \t \e \\ and \xHH:
 *   type TEXT
 *   exit         hang the shell up and exit with status 0
 * To the host: the raw output of the terminal (what the shell and its
 * programs wrote, including the echo of what reached them). Output made
 * while no host is connected is dropped. "typist: ready" goes to standard
 * output once the shell runs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

static void die(const char *what)
{
	fprintf(stderr, "typist: %s: %s\n", what, strerror(errno));
	exit(1);
}

static pid_t login(int uid, int *master)
{
	const char *what;
	pid_t pid = student_login(uid > 1000 ? uid - 1000 : 1,
				  (unsigned int)uid, 80, 24,
				  "student%d@lab:\\w$ ", master, &what);

	if (pid < 0)
		die(what);
	return pid;
}

static int unhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode the escapes of @s in place; returns the length. */
static size_t unescape(char *s)
{
	char *start = s, *out = s;

	for (; *s; s++) {
		if (*s != '\\' || !s[1]) {
			*out++ = *s;
			continue;
		}
		switch (*++s) {
		case 'r':
			*out++ = '\r';
			break;
		case 'n':
			*out++ = '\n';
			break;
		case 't':
			*out++ = '\t';
			break;
		case 'e':
			*out++ = 0x1b;
			break;
		case 'x':
			if (unhex(s[1]) >= 0 && unhex(s[2]) >= 0) {
				*out++ = (char)(unhex(s[1]) * 16 + unhex(s[2]));
				s += 2;
				break;
			}
			/* fall through */
		default:
			*out++ = *s;
		}
	}
	return (size_t)(out - start);
}

int main(int argc, char **argv)
{
	static char line[4096], buf[8192];
	size_t have = 0;
	int uid = 1001, delay = 40, opt, master, port;
	pid_t shell;

	while ((opt = getopt(argc, argv, "u:d:h")) != -1) {
		switch (opt) {
		case 'u':
			uid = atoi(optarg);
			break;
		case 'd':
			delay = atoi(optarg);
			break;
		default:
			fputs("Usage: typist [-u UID] [-d MS] PORT\n", stderr);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (optind + 1 != argc) {
		fputs("Usage: typist [-u UID] [-d MS] PORT\n", stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	port = vport_open(argv[optind]);
	if (port < 0)
		die(argv[optind]);
	shell = login(uid, &master);
	printf("typist: ready, student%d on %s\n", uid > 1000 ? uid - 1000 : 1,
	       ptsname(master));
	fflush(stdout);
	for (;;) {
		struct pollfd p[2] = { { master, POLLIN, 0 },
				       { port, POLLIN, 0 } };
		ssize_t n;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			die("poll");
		if (p[0].revents) {
			n = read(master, buf, sizeof(buf));
			if (n <= 0)
				break; /* the shell is gone */
			/* to the host if it listens; never block the shell */
			if (write(port, buf, (size_t)n) < 0 && errno != EAGAIN)
				die("write to the port");
		}
		if (p[1].revents & POLLIN) {
			n = read(port, line + have, sizeof(line) - 1 - have);
			if (n > 0)
				have += (size_t)n;
			char *nl;

			while ((nl = memchr(line, '\n', have))) {
				size_t len = (size_t)(nl - line) + 1, k;

				*nl = 0;
				if (!strncmp(line, "type ", 5)) {
					k = unescape(line + 5);
					for (size_t i = 0; i < k; i++) {
						if (write(master, line + 5 + i,
							  1) < 0)
							die("type");
						msleep(delay);
					}
				} else if (!strcmp(line, "exit")) {
					kill(-shell, SIGHUP);
					close(master);
					waitpid(shell, NULL, 0);
					return 0;
				}
				memmove(line, line + len, have - len);
				have -= len;
			}
			if (have == sizeof(line) - 1)
				have = 0;
		} else if (p[1].revents & POLLHUP) {
			msleep(50); /* no host: nothing to read */
		}
	}
	waitpid(shell, NULL, 0);
	return 0;
}
