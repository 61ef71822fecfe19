// SPDX-License-Identifier: GPL-2.0
/*
 * vport-relay: carry a command's standard input and output over a
 * virtio-serial port, once per connection of the host side.
 *
 * Usage: vport-relay NAME COMMAND [ARG...]
 *
 * Waits until the host opens the port named NAME (tests/vm/lab --port
 * NAME:SOCKET: a client connects to SOCKET), then runs COMMAND with its
 * standard input and output on a socket pair and copies bytes both ways
 * between it and the port. When the host closes its side, COMMAND's
 * connection is closed (it sees end of file), COMMAND is ended and the
 * relay waits for the next connection, so every client of SOCKET talks
 * to a fresh COMMAND from its first byte: with "ttyscope stream" each one
 * gets its own session with the daemon.
 *
 * A virtio port reports POLLHUP while the host side is closed; reads then
 * return 0 and writes would block. When COMMAND ends first, the rest of
 * what the host sends is discarded until it closes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vport.h"

static int host_connected(int port)
{
	struct pollfd p = { port, POLLIN, 0 };

	return poll(&p, 1, 0) >= 0 && !(p.revents & POLLHUP);
}

/* Write all of @buf to the non-blocking @port; -1 when the host left. */
static int port_write(int port, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(port, buf, len);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		struct pollfd p = { port, POLLOUT, 0 };

		if (poll(&p, 1, 1000) < 0 && errno != EINTR)
			return -1;
		if (p.revents & POLLHUP)
			return -1;
	}
	return 0;
}

static int full_write(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One connection of the host: run @argv and copy until either side ends. */
static void serve(int port, char **argv)
{
	static char buf[65536];
	int sv[2], cmd_open = 1;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("vport-relay: socketpair");
		exit(1);
	}
	pid = fork();
	if (pid < 0) {
		perror("vport-relay: fork");
		exit(1);
	}
	if (!pid) {
		dup2(sv[1], 0);
		dup2(sv[1], 1);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		fprintf(stderr, "vport-relay: %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	for (;;) {
		struct pollfd p[2] = { { port, POLLIN, 0 },
				       { sv[0], cmd_open ? POLLIN : 0, 0 } };
		ssize_t n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents & POLLIN) {
			n = read(port, buf, sizeof(buf));
			if (n > 0 && cmd_open && full_write(sv[0], buf, n) < 0)
				cmd_open = 0;
		}
		if (p[0].revents & (POLLHUP | POLLERR))
			break; /* the host closed its side */
		if (p[1].revents) {
			n = read(sv[0], buf, sizeof(buf));
			if (n <= 0)
				cmd_open = 0; /* wait for the host to close */
			else if (port_write(port, buf, (size_t)n) < 0)
				break;
		}
	}
	close(sv[0]);
	/* the command saw end of file; give it a moment, then end it */
	for (int i = 0; i < 50 && !waitpid(pid, NULL, WNOHANG); i++)
		msleep(20);
	if (!waitpid(pid, NULL, WNOHANG)) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
}

int main(int argc, char **argv)
{
	int port;

	if (argc < 3) {
		fputs("Usage: vport-relay NAME COMMAND [ARG...]\n", stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	port = vport_open(argv[1]);
	if (port < 0) {
		fprintf(stderr, "vport-relay: virtio port %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	for (;;) {
		while (!host_connected(port))
			msleep(100);
		serve(port, argv + 2);
	}
}
