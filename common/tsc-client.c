// SPDX-License-Identifier: GPL-2.0-only
/*
 * Client of ttyscoped's socket (docs/PROTOCOL.md): a unix socket, or the
 * pipes of a command that carries the protocol ("ssh HOST ttyscope
 * stream"). Messages are read with a tsc_reader and parsed with
 * tsc_proto_parse(); requests are numbered from 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tsc-client.h"
#include "tsc-private.h"
#include "tsc-reader.h"

/*
 * struct tsc_client - one connection. @rfd and @wfd are the same socket,
 * or the command's stdout and stdin pipes; @pid is the command (0: none).
 * Owned by the caller; not thread-safe.
 */
struct tsc_client {
	int rfd, wfd;
	pid_t pid;
	bool is_socket;
	struct tsc_reader *reader;
	uint64_t next_id;
	uint8_t out[TSC_REC_MAX_SIZE];
	/* the USER messages received: uid to name */
	struct client_user {
		uint32_t uid;
		char *name;
	} * users;
	size_t n_users, cap_users;
};

extern char **environ;

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int client_new(int rfd, int wfd, pid_t pid, bool is_socket,
		      struct tsc_client **ret_client)
{
	struct tsc_client *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	r = tsc_reader_new(rfd, NULL, &c->reader);
	if (r < 0) {
		free(c);
		return r;
	}
	c->rfd = rfd;
	c->wfd = wfd;
	c->pid = pid;
	c->is_socket = is_socket;
	c->next_id = 1;
	*ret_client = c;
	return 0;
}

/**
 * tsc_client_connect() - connect to the daemon's unix socket
 * @path: the socket, e.g. "/run/ttyscope/ttyscope.sock"
 * @ret_client: the client
 *
 * Return: 0; -ENAMETOOLONG; -errno of connect(): -ENOENT or -ECONNREFUSED
 * when no daemon listens there, -EACCES when the socket's mode refuses.
 */
int tsc_client_connect(const char *path, struct tsc_client **ret_client)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	r = client_new(fd, fd, 0, true, ret_client);
	if (r < 0)
		close(fd);
	return r;
}

/**
 * tsc_client_spawn() - run a command that carries the protocol
 * @argv: the command and its arguments (searched in PATH), NULL-terminated
 * @ret_client: the client
 *
 * The command's standard input and output become the connection; its
 * standard error is ours. It starts with default signal dispositions and
 * an empty signal mask.
 *
 * Return: 0; -errno of pipe2() or posix_spawnp() (-ENOENT: no such
 * command).
 */
int tsc_client_spawn(const char *const *argv, struct tsc_client **ret_client)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int to_child[2], from_child[2], r;
	sigset_t none, deflt;
	pid_t pid;

	if (pipe2(to_child, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(from_child, O_CLOEXEC) < 0) {
		r = -errno;
		goto err_to;
	}
	sigemptyset(&none);
	sigfillset(&deflt);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, to_child[0], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, from_child[1], STDOUT_FILENO);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &deflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
						POSIX_SPAWN_SETSIGDEF);
	r = -posix_spawnp(&pid, argv[0], &fa, &attr, (char *const *)argv,
			  environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(to_child[0]);
	close(from_child[1]);
	if (r < 0) {
		close(from_child[0]);
		close(to_child[1]);
		return r;
	}
	r = client_new(from_child[0], to_child[1], pid, false, ret_client);
	if (r < 0) {
		close(from_child[0]);
		close(to_child[1]);
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	return r;
err_to:
	close(to_child[0]);
	close(to_child[1]);
	return r;
}

static void close_fds(struct tsc_client *c)
{
	if (c->rfd >= 0)
		close(c->rfd);
	if (c->wfd >= 0 && c->wfd != c->rfd)
		close(c->wfd);
	c->rfd = c->wfd = -1;
}

/**
 * tsc_client_wait() - end the connection and wait for its command
 * @c: a client made by tsc_client_spawn()
 * @ret_status: the command's wait status (WIFEXITED() etc.)
 *
 * Closes the connection, so a command that copies it ends, and waits.
 *
 * Return: 0; -ECHILD for a socket client or if already waited for.
 */
int tsc_client_wait(struct tsc_client *c, int *ret_status)
{
	int status;

	if (!c->pid)
		return -ECHILD;
	close_fds(c);
	while (waitpid(c->pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	c->pid = 0;
	*ret_status = status;
	return 0;
}

/**
 * tsc_client_free() - close a connection
 * @c: the client, or NULL
 *
 * A command that has not ended 2 s after its pipes were closed gets
 * SIGTERM, and is waited for.
 */
void tsc_client_free(struct tsc_client *c)
{
	if (!c)
		return;
	close_fds(c);
	if (c->pid) {
		struct timespec ms10 = { 0, 10000000 };
		int i;

		for (i = 0; i < 200 && waitpid(c->pid, NULL, WNOHANG) == 0; i++)
			nanosleep(&ms10, NULL);
		if (i == 200) {
			kill(c->pid, SIGTERM);
			waitpid(c->pid, NULL, 0);
		}
	}
	tsc_reader_free(c->reader);
	for (size_t i = 0; i < c->n_users; i++)
		free(c->users[i].name);
	free(c->users);
	free(c);
}

/**
 * tsc_client_fd() - the descriptor to poll for incoming messages
 * @c: the client
 *
 * Return: the fd (the socket, or the command's stdout pipe).
 */
int tsc_client_fd(const struct tsc_client *c)
{
	return c->rfd;
}

/**
 * tsc_client_set_nonblock() - make reading (and writing) non-blocking
 * @c: the client
 * @nonblock: true: tsc_client_next() returns -EAGAIN instead of waiting
 *
 * Requests are still written whole: a full connection is waited for.
 *
 * Return: 0 or -errno of fcntl().
 */
int tsc_client_set_nonblock(struct tsc_client *c, bool nonblock)
{
	int fds[2] = { c->rfd, c->wfd };

	for (int i = 0; i < (c->rfd == c->wfd ? 1 : 2); i++) {
		int fl = fcntl(fds[i], F_GETFL);

		if (fl < 0 ||
		    fcntl(fds[i], F_SETFL,
			  nonblock ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) < 0)
			return -errno;
	}
	return 0;
}

/* Write a whole message, waiting while a non-blocking fd is full. */
static int send_all(struct tsc_client *c, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = c->is_socket ? send(c->wfd, p, len, MSG_NOSIGNAL) :
					   write(c->wfd, p, len);

		if (n < 0) {
			struct pollfd pfd = { .fd = c->wfd, .events = POLLOUT };

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
				return -errno;
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Keep the name a USER message gave; a later one for the uid replaces it. */
static int remember_user(struct tsc_client *c, const struct tsc_proto_user *u)
{
	struct client_user *e = NULL;
	char *name = strdup(u->name);

	if (!name)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_users && !e; i++)
		if (c->users[i].uid == u->uid)
			e = &c->users[i];
	if (!e) {
		if (c->n_users == c->cap_users) {
			size_t cap = c->cap_users ? 2 * c->cap_users : 8;
			struct client_user *a =
				realloc(c->users, cap * sizeof(*a));

			if (!a) {
				free(name);
				return -ENOMEM;
			}
			c->users = a;
			c->cap_users = cap;
		}
		e = &c->users[c->n_users++];
		e->uid = u->uid;
		e->name = NULL;
	}
	free(e->name);
	e->name = name;
	return 0;
}

/**
 * tsc_client_next() - read the next message
 * @c: the client
 * @ret_msg: the message; its pointers stay valid until the next call
 *
 * Return: 1 and a message; 0 when the daemon closed the connection;
 * -EAGAIN (non-blocking, nothing complete yet); -EBADMSG for bytes that
 * are not a valid message (the connection cannot be used further);
 * -ENOMEM when the name of a USER message cannot be kept; another -errno
 * of read().
 */
int tsc_client_next(struct tsc_client *c, struct tsc_proto_msg *ret_msg)
{
	struct tsc_rec rec;
	int r;

	r = tsc_reader_next(c->reader, &rec);
	if (r == -ENODATA)
		return 0; /* ended inside a record: the daemon went away */
	if (r <= 0)
		return r;
	if (tsc_proto_parse(rec.raw, TSC_REC_HDR_SIZE + rec.hdr.len, ret_msg) <
	    0)
		return -EBADMSG;
	if (ret_msg->type == TSC_MSG_USER) {
		r = remember_user(c, &ret_msg->user);
		if (r < 0)
			return r;
	}
	return 1;
}

/**
 * tsc_client_user_name() - what a uid is called on the daemon's machine
 * @c: the client
 * @uid: a uid of a LIST entry or SESSION record the daemon sent
 *
 * The daemon names every uid in a USER message before the first entry or
 * record that carries it; tsc_client_next() keeps them.
 *
 * Return: the name, valid until the next tsc_client_next() or
 * tsc_client_call(); "" if the uid has no name there; NULL if the daemon
 * has not named it (yet).
 */
const char *tsc_client_user_name(const struct tsc_client *c, uint32_t uid)
{
	for (size_t i = 0; i < c->n_users; i++)
		if (c->users[i].uid == uid)
			return c->users[i].name;
	return NULL;
}

/* tsc_client_next(), waiting on a non-blocking fd. */
static int next_wait(struct tsc_client *c, struct tsc_proto_msg *ret_msg)
{
	for (;;) {
		struct pollfd pfd = { .fd = c->rfd, .events = POLLIN };
		int r = tsc_client_next(c, ret_msg);

		if (r != -EAGAIN)
			return r;
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return -errno;
	}
}

/**
 * tsc_client_hello() - exchange HELLO messages
 * @c: a new client
 * @name: our software name and version, at most %TSC_HELLO_NAME_MAX bytes
 * @ret_hello: the daemon's HELLO (its uid field: how it sees us)
 *
 * Sends our HELLO, then reads the daemon's first message.
 *
 * Return: 0; -EACCES (or another errno the daemon sent) when the daemon
 * refused the connection; -ECONNRESET when the connection ended before
 * the daemon's HELLO; -EPROTO when the first message is not a HELLO;
 * -EPROTONOSUPPORT for another protocol version; -EINVAL for a long name.
 */
int tsc_client_hello(struct tsc_client *c, const char *name,
		     struct tsc_proto_hello *ret_hello)
{
	struct tsc_proto_hello h = { .version = TSC_PROTO_VERSION };
	struct tsc_proto_msg m;
	int n, r;

	if (strlen(name) > TSC_HELLO_NAME_MAX)
		return -EINVAL;
	memcpy(h.name, name, strlen(name) + 1);
	n = tsc_proto_encode_hello(&h, realtime_ns(), c->out, sizeof(c->out));
	if (n < 0)
		return n;
	/* a daemon that refuses us may have closed already: read why */
	r = send_all(c, c->out, (size_t)n);
	if (r < 0 && r != -EPIPE && r != -ECONNRESET)
		return r;
	r = next_wait(c, &m);
	if (r == 0)
		return -ECONNRESET;
	if (r < 0)
		return r == -EBADMSG ? -EPROTO : r;
	if (m.type == TSC_MSG_REPLY)
		return m.reply.error ? -(int)m.reply.error : -EPROTO;
	if (m.type != TSC_MSG_HELLO)
		return -EPROTO;
	if (m.hello.version != TSC_PROTO_VERSION)
		return -EPROTONOSUPPORT;
	*ret_hello = m.hello;
	return 0;
}

/**
 * tsc_client_request() - send a request
 * @c: the client, after tsc_client_hello()
 * @req: the request; its @id is ignored
 * @ret_id: the id given to it (may be NULL)
 *
 * Return: 0; -EINVAL for too many argument bytes; -errno of write().
 */
int tsc_client_request(struct tsc_client *c,
		       const struct tsc_proto_request *req, uint64_t *ret_id)
{
	struct tsc_proto_request q = *req;
	int n, r;

	q.id = c->next_id;
	n = tsc_proto_encode_request(&q, realtime_ns(), c->out, sizeof(c->out));
	if (n < 0)
		return n;
	r = send_all(c, c->out, (size_t)n);
	if (r < 0)
		return r;
	c->next_id++;
	if (ret_id)
		*ret_id = q.id;
	return 0;
}

/**
 * tsc_client_call() - send a request and wait for its reply
 * @c: the client, after tsc_client_hello(), not subscribed
 * @req: the request; its @id is ignored
 * @ret_data: the data of all its REPLY records (LIST sends several),
 *	malloc'd; the caller frees it
 * @ret_len: the number of bytes at *@ret_data
 *
 * Messages other than the reply (records of a subscription) are skipped.
 *
 * Return: 0; -errno the daemon answered (-ENODEV, -EOPNOTSUPP, ...);
 * -ECONNRESET if the connection ended first; -EBADMSG; -ENOMEM; -errno of
 * read() or write().
 */
int tsc_client_call(struct tsc_client *c, const struct tsc_proto_request *req,
		    uint8_t **ret_data, size_t *ret_len)
{
	struct tsc_proto_msg m;
	uint8_t *data = NULL;
	size_t len = 0;
	uint64_t id;
	int r;

	r = tsc_client_request(c, req, &id);
	if (r < 0)
		return r;
	for (;;) {
		uint8_t *d;

		r = next_wait(c, &m);
		if (r == 0)
			r = -ECONNRESET;
		if (r < 0)
			break;
		if (m.type != TSC_MSG_REPLY ||
		    (m.reply.id != id && m.reply.id != 0))
			continue;
		if (m.reply.error || m.reply.id == 0) {
			r = m.reply.error ? -(int)m.reply.error : -EPROTO;
			break;
		}
		d = realloc(data, len + m.reply.len + 1);
		if (!d) {
			r = -ENOMEM;
			break;
		}
		data = d;
		if (m.reply.len)
			memcpy(data + len, m.reply.data, m.reply.len);
		len += m.reply.len;
		if (!m.reply.more) {
			*ret_data = data;
			*ret_len = len;
			return 0;
		}
	}
	free(data);
	return r;
}
