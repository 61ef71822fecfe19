// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the daemon client (common/tsc-client.c), against scripted
 * fake daemons: a forked process on a unix socket, and commands run with
 * tsc_client_spawn().
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tsc-client.h"
#include "tsc-test.h"

static void put(int fd, const uint8_t *buf, int n)
{
	if (n < 0 || write(fd, buf, (size_t)n) != n)
		_exit(90);
}

static void send_hello(int fd, uint32_t version, uint32_t uid)
{
	struct tsc_proto_hello h = { .version = version, .uid = uid };
	uint8_t buf[TSC_REC_MAX_SIZE];

	strcpy(h.name, "fake");
	put(fd, buf, tsc_proto_encode_hello(&h, 1, buf, sizeof(buf)));
}

static void send_reply(int fd, uint64_t id, uint32_t verb, uint32_t error,
		       bool more, const void *data, size_t len)
{
	struct tsc_proto_reply r = {
		.id = id,
		.verb = verb,
		.error = error,
		.more = more,
		.data = data,
		.len = len,
	};
	uint8_t buf[TSC_REC_MAX_SIZE];

	put(fd, buf, tsc_proto_encode_reply(&r, 1, buf, sizeof(buf)));
}

static void send_user(int fd, uint32_t uid, const char *name)
{
	struct tsc_proto_user u = { .uid = uid };
	uint8_t buf[TSC_REC_MAX_SIZE];

	strcpy(u.name, name);
	put(fd, buf, tsc_proto_encode_user(&u, 1, buf, sizeof(buf)));
}

/* The next message from the client; exits the fake daemon on errors. */
static void get(struct tsc_reader *rd, struct tsc_proto_msg *m)
{
	struct tsc_rec rec;

	if (tsc_reader_next(rd, &rec) != 1 ||
	    tsc_proto_parse(rec.raw, TSC_REC_HDR_SIZE + rec.hdr.len, m) < 0)
		_exit(91);
}

/* A daemon that greets, answers LIST in two parts, STATS with ENODEV. */
static void daemon_ok(int fd)
{
	uint8_t tty[TSC_PROTO_TTY_SIZE], out[TSC_REC_MAX_SIZE];
	struct tsc_reader *rd;
	struct tsc_proto_msg m;

	memset(tty, 'a', sizeof(tty));
	if (tsc_reader_new(fd, NULL, &rd) < 0)
		_exit(92);
	send_hello(fd, TSC_PROTO_VERSION, 42);
	get(rd, &m);
	if (m.type != TSC_MSG_HELLO || m.hello.version != TSC_PROTO_VERSION ||
	    strcmp(m.hello.name, "test 1"))
		_exit(93);
	get(rd, &m);
	if (m.type != TSC_MSG_REQUEST || m.request.verb != TSC_VERB_LIST ||
	    m.request.id != 1)
		_exit(94);
	send_user(fd, 1001, "student1");
	send_user(fd, 1002, "");
	send_user(fd, 1003, "old");
	send_user(fd, 1003, "new");
	send_reply(fd, 1, TSC_VERB_LIST, 0, true, tty, sizeof(tty));
	/* a subscription's record in between is skipped */
	put(fd, out,
	    (int)tsc_test_put_simple(out, TTYSCOPE_REC_OUT, 0, 1, "x", 1));
	send_reply(fd, 1, TSC_VERB_LIST, 0, false, "bcd", 3);
	get(rd, &m);
	if (m.type != TSC_MSG_REQUEST || m.request.verb != TSC_VERB_STATS ||
	    m.request.id != 2)
		_exit(95);
	send_reply(fd, 2, TSC_VERB_STATS, ENODEV, false, NULL, 0);
	get(rd, &m);
	if (m.request.verb != TSC_VERB_INJECT || m.request.major != 136 ||
	    m.request.minor != 3 || m.request.len != 3 ||
	    memcmp(m.request.args, "ls\r", 3))
		_exit(96);
	send_reply(fd, 3, TSC_VERB_INJECT, 0, false, "\x03\0\0\0", 4);
	tsc_reader_free(rd);
}

static void daemon_refuse(int fd)
{
	send_reply(fd, 0, 0, EACCES, false, NULL, 0);
}

static void daemon_version2(int fd)
{
	send_hello(fd, 2, 0);
}

static void daemon_silent(int fd)
{
	(void)fd;
}

static void daemon_record_first(int fd)
{
	uint8_t out[TSC_REC_MAX_SIZE];

	put(fd, out,
	    (int)tsc_test_put_simple(out, TTYSCOPE_REC_OUT, 0, 1, "x", 1));
}

static void daemon_garbage(int fd)
{
	uint8_t junk[64];

	memset(junk, 'g', sizeof(junk));
	put(fd, junk, sizeof(junk));
}

/* Listen on a socket in the test directory; a child serves one client. */
static pid_t serve(const char *path, void (*fn)(int fd))
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	pid_t pid;

	ck_assert_int_ge(lfd, 0);
	strcpy(sa.sun_path, path);
	unlink(path);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(lfd, 1), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			_exit(97);
		fn(fd);
		/* let the client read everything before the connection ends */
		shutdown(fd, SHUT_WR);
		while (read(fd, &lfd, sizeof(lfd)) > 0)
			;
		_exit(0);
	}
	close(lfd);
	return pid;
}

static int child_status(pid_t pid)
{
	int status;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

START_TEST(test_connect_errors)
{
	struct tsc_client *c = NULL;
	char path[200], *nosock = tsc_test_path("nosock");

	ck_assert_int_eq(tsc_client_connect(nosock, &c), -ENOENT);
	free(nosock);
	memset(path, 'p', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	ck_assert_int_eq(tsc_client_connect(path, &c), -ENAMETOOLONG);
	ck_assert_ptr_null(c);
	tsc_client_free(NULL);
}
END_TEST

START_TEST(test_calls)
{
	char *path = tsc_test_path("sock");
	pid_t pid = serve(path, daemon_ok);
	struct tsc_proto_request list = { .verb = TSC_VERB_LIST };
	struct tsc_proto_request stats = { .verb = TSC_VERB_STATS };
	struct tsc_proto_request inj = {
		.verb = TSC_VERB_INJECT,
		.major = 136,
		.minor = 3,
		.args = (const uint8_t *)"ls\r",
		.len = 3,
	};
	struct tsc_proto_hello h;
	struct tsc_proto_msg m;
	struct tsc_client *c;
	uint8_t *data = NULL;
	size_t len = 0;
	uint64_t id;

	ck_assert_int_eq(tsc_client_connect(path, &c), 0);
	ck_assert_int_ge(tsc_client_fd(c), 0);
	ck_assert_int_eq(tsc_client_hello(c, "test 1", &h), 0);
	ck_assert_uint_eq(h.uid, 42);
	ck_assert_str_eq(h.name, "fake");
	ck_assert_int_eq(tsc_client_call(c, &list, &data, &len), 0);
	ck_assert_uint_eq(len, TSC_PROTO_TTY_SIZE + 3);
	ck_assert_int_eq(data[0], 'a');
	ck_assert_mem_eq(data + TSC_PROTO_TTY_SIZE, "bcd", 3);
	free(data);
	/* the USER messages before the reply were kept */
	ck_assert_str_eq(tsc_client_user_name(c, 1001), "student1");
	ck_assert_str_eq(tsc_client_user_name(c, 1002), "");
	ck_assert_str_eq(tsc_client_user_name(c, 1003), "new");
	ck_assert_ptr_null(tsc_client_user_name(c, 1004));
	ck_assert_int_eq(tsc_client_call(c, &stats, &data, &len), -ENODEV);
	/* the asynchronous way: request, then read the reply */
	ck_assert_int_eq(tsc_client_set_nonblock(c, true), 0);
	ck_assert_int_eq(tsc_client_request(c, &inj, &id), 0);
	ck_assert_uint_eq(id, 3);
	for (;;) {
		int r = tsc_client_next(c, &m);

		if (r != -EAGAIN) {
			ck_assert_int_eq(r, 1);
			break;
		}
		usleep(1000);
	}
	ck_assert_uint_eq(m.type, TSC_MSG_REPLY);
	ck_assert_uint_eq(m.reply.id, 3);
	ck_assert_uint_eq(m.reply.len, 4);
	ck_assert_int_eq(tsc_client_set_nonblock(c, false), 0);
	ck_assert_int_eq(tsc_client_next(c, &m), 0);
	ck_assert_int_eq(tsc_client_wait(c, &(int){ 0 }), -ECHILD);
	tsc_client_free(c);
	ck_assert_int_eq(child_status(pid), 0);
	free(path);
}
END_TEST

static const struct {
	const char *what;
	void (*fn)(int fd);
	int want;
} hello_cases[] = {
	{ "refused", daemon_refuse, -EACCES },
	{ "protocol version 2", daemon_version2, -EPROTONOSUPPORT },
	{ "closed at once", daemon_silent, -ECONNRESET },
	{ "a record before HELLO", daemon_record_first, -EPROTO },
	{ "garbage", daemon_garbage, -EPROTO },
};

START_TEST(test_hello_errors)
{
	char *path = tsc_test_path("sock");
	pid_t pid = serve(path, hello_cases[_i].fn);
	struct tsc_proto_hello h;
	struct tsc_client *c;

	ck_assert_int_eq(tsc_client_connect(path, &c), 0);
	ck_assert_msg(tsc_client_hello(c, "test", &h) == hello_cases[_i].want,
		      "%s", hello_cases[_i].what);
	tsc_client_free(c);
	child_status(pid);
	free(path);
}
END_TEST

/* A command as the daemon: it prints a HELLO, then saves what we send. */
START_TEST(test_spawn)
{
	uint8_t buf[TSC_REC_MAX_SIZE];
	struct tsc_proto_hello h = { .version = TSC_PROTO_VERSION, .uid = 7 };
	struct tsc_proto_request q = { .verb = TSC_VERB_BLOCK, .major = 4 };
	char *in = tsc_test_path("daemon.in"), *out = tsc_test_path("got");
	const char *argv[] = { "sh", "-c", "cat \"$0\"; exec cat >\"$1\"",
			       in,   out,  NULL };
	struct tsc_proto_msg m;
	struct tsc_client *c;
	uint8_t *got;
	size_t len;
	int n, status;

	n = tsc_proto_encode_hello(&h, 1, buf, sizeof(buf));
	tsc_test_write_file("daemon.in", buf, (size_t)n);
	ck_assert_int_eq(tsc_client_spawn(argv, &c), 0);
	ck_assert_int_eq(tsc_client_hello(c, "t", &h), 0);
	ck_assert_uint_eq(h.uid, 7);
	ck_assert_int_eq(tsc_client_request(c, &q, NULL), 0);
	ck_assert_int_eq(tsc_client_next(c, &m), 0);
	ck_assert_int_eq(tsc_client_wait(c, &status), 0);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	got = tsc_test_read_file("got", &len);
	n = tsc_proto_parse(got, len, &m);
	ck_assert_int_eq(n, 40 + 16 + 1);
	ck_assert_uint_eq(m.type, TSC_MSG_HELLO);
	ck_assert_int_eq(tsc_proto_parse(got + n, len - (size_t)n, &m),
			 (int)len - n);
	ck_assert_uint_eq(m.request.verb, TSC_VERB_BLOCK);
	ck_assert_uint_eq(m.request.major, 4);
	free(got);
	tsc_client_free(c);
	free(in);
	free(out);
}
END_TEST

START_TEST(test_spawn_errors)
{
	const char *missing[] = { "/nonexistent/command", NULL };
	const char *fails[] = { "sh", "-c", "exit 3", NULL };
	struct tsc_proto_hello h;
	struct tsc_client *c;
	int status;

	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(tsc_client_spawn(missing, &c), -ENOENT);
	ck_assert_int_eq(tsc_client_spawn(fails, &c), 0);
	ck_assert_int_eq(tsc_client_hello(c, "t", &h), -ECONNRESET);
	ck_assert_int_eq(tsc_client_wait(c, &status), 0);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 3);
	ck_assert_int_eq(tsc_client_wait(c, &status), -ECHILD);
	tsc_client_free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("client");
	TCase *tc = tcase_create("client");

	tcase_add_test(tc, test_connect_errors);
	tcase_add_test(tc, test_calls);
	tcase_add_loop_test(tc, test_hello_errors, 0,
			    (int)ARRAY_SIZE(hello_cases));
	tcase_add_test(tc, test_spawn);
	tcase_add_test(tc, test_spawn_errors);
	suite_add_tcase(s, tc);
	return tsc_test_main(s);
}
