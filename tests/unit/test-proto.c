// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the protocol codec (common/tsc-proto.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tsc-proto.h"
#include "tsc-test.h"

START_TEST(test_hello_roundtrip)
{
	struct tsc_proto_hello h = { .version = TSC_PROTO_VERSION, .uid = 7 };
	uint8_t buf[TSC_REC_MAX_SIZE];
	struct tsc_proto_msg m;
	int n;

	strcpy(h.name, "ttyscoped 0.1.0");
	n = tsc_proto_encode_hello(&h, 42, buf, sizeof(buf));
	ck_assert_int_eq(n, 40 + 16 + 15);
	ck_assert_int_eq(tsc_test_le16(buf + 6), TSC_MSG_HELLO);
	ck_assert_int_eq(tsc_proto_parse(buf, (size_t)n, &m), n);
	ck_assert_uint_eq(m.type, TSC_MSG_HELLO);
	ck_assert_uint_eq(m.hello.version, 1);
	ck_assert_uint_eq(m.hello.uid, 7);
	ck_assert_str_eq(m.hello.name, "ttyscoped 0.1.0");
	ck_assert_int_eq(tsc_proto_encode_hello(&h, 42, buf, 60), -ENOBUFS);
}
END_TEST

/* Parse a message of @type whose payload is @head, then @text. */
static int parse_msg(uint16_t type, const void *head, size_t head_len,
		     const char *text, size_t len)
{
	struct tsc_test_rec r = { .type = type,
				  .len = (uint32_t)(head_len + len) };
	uint8_t buf[TSC_REC_MAX_SIZE], payload[TSC_REC_MAX_SIZE];
	struct tsc_proto_msg m;

	memcpy(payload, head, head_len);
	memcpy(payload + head_len, text, len);
	return tsc_proto_parse(buf, tsc_test_put(buf, &r, payload), &m);
}

START_TEST(test_host_roundtrip)
{
	struct tsc_proto_host h = { .name = "lab" };
	uint8_t buf[TSC_REC_MAX_SIZE];
	struct tsc_proto_msg m;
	char long_name[80];
	int n;

	n = tsc_proto_encode_host(&h, 42, buf, sizeof(buf));
	ck_assert_int_eq(n, 40 + 3);
	ck_assert_int_eq(tsc_test_le16(buf + 6), TSC_MSG_HOST);
	ck_assert_int_eq(tsc_proto_parse(buf, (size_t)n, &m), n);
	ck_assert_uint_eq(m.type, TSC_MSG_HOST);
	ck_assert_str_eq(m.host.name, "lab");
	/* 1..64 bytes, no NUL */
	h.name[0] = '\0';
	ck_assert_int_eq(tsc_proto_encode_host(&h, 42, buf, sizeof(buf)),
			 -EINVAL);
	memset(h.name, 'h', TSC_HOST_NAME_MAX);
	ck_assert_int_eq(tsc_proto_encode_host(&h, 42, buf, sizeof(buf)),
			 40 + 64);
	memset(long_name, 'h', sizeof(long_name));
	ck_assert_int_eq(parse_msg(TSC_MSG_HOST, "", 0, long_name, 64),
			 40 + 64);
	ck_assert_int_eq(parse_msg(TSC_MSG_HOST, "", 0, long_name, 65),
			 -EBADMSG);
	ck_assert_int_eq(parse_msg(TSC_MSG_HOST, "", 0, "", 0), -EBADMSG);
	ck_assert_int_eq(parse_msg(TSC_MSG_HOST, "", 0, "l\0b", 3), -EBADMSG);
}
END_TEST

START_TEST(test_user_roundtrip)
{
	struct tsc_proto_user u = { .uid = 1001 };
	uint8_t buf[TSC_REC_MAX_SIZE], raw[TSC_REC_MAX_SIZE];
	struct tsc_proto_msg m;
	int n;

	strcpy(u.name, "student1");
	n = tsc_proto_encode_user(&u, 42, buf, sizeof(buf));
	ck_assert_int_eq(n, 40 + 4 + 8);
	ck_assert_int_eq(tsc_test_le16(buf + 6), TSC_MSG_USER);
	ck_assert_int_eq(tsc_proto_parse(buf, (size_t)n, &m), n);
	ck_assert_uint_eq(m.type, TSC_MSG_USER);
	ck_assert_uint_eq(m.user.uid, 1001);
	ck_assert_str_eq(m.user.name, "student1");
	/* no name on the daemon's machine */
	u.name[0] = '\0';
	n = tsc_proto_encode_user(&u, 42, buf, sizeof(buf));
	ck_assert_int_eq(n, 40 + 4);
	ck_assert_int_eq(tsc_proto_parse(buf, (size_t)n, &m), n);
	ck_assert_str_eq(m.user.name, "");
	/* the longest name, and one byte more */
	memset(u.name, 'u', TSC_USER_NAME_MAX);
	n = tsc_proto_encode_user(&u, 42, buf, sizeof(buf));
	ck_assert_int_eq(n, 40 + 4 + 255);
	ck_assert_int_eq(tsc_proto_parse(buf, (size_t)n, &m), n);
	ck_assert_uint_eq(strlen(m.user.name), 255);
	memset(raw, 'u', sizeof(raw));
	ck_assert_int_eq(parse_msg(TSC_MSG_USER, "\xe9\x03\0\0", 4,
				   (const char *)raw, 256),
			 -EBADMSG);
	/* short, or a NUL in the name */
	ck_assert_int_eq(parse_msg(TSC_MSG_USER, "\xe9\x03\0", 3, "", 0),
			 -EBADMSG);
	ck_assert_int_eq(parse_msg(TSC_MSG_USER, "\xe9\x03\0\0", 4, "a\0b", 3),
			 -EBADMSG);
	ck_assert_int_eq(parse_msg(TSC_MSG_USER, "\xe9\x03\0\0", 4, "ab", 2),
			 40 + 6);
}
END_TEST

START_TEST(test_request_roundtrip)
{
	struct tsc_proto_request q = {
		.id = 99,
		.verb = TSC_VERB_INJECT,
		.major = 136,
		.minor = 3,
		.args = (const uint8_t *)"ls\r",
		.len = 3,
	};
	uint8_t buf[TSC_REC_MAX_SIZE];
	uint8_t big[TSC_REQUEST_ARGS_MAX + 1] = { 0 };
	struct tsc_proto_msg m;
	int n;

	n = tsc_proto_encode_request(&q, 0, buf, sizeof(buf));
	ck_assert_int_eq(n, 40 + 8 + 3);
	ck_assert_int_eq(tsc_proto_parse(buf, (size_t)n, &m), n);
	ck_assert_uint_eq(m.type, TSC_MSG_REQUEST);
	ck_assert_uint_eq(m.request.id, 99);
	ck_assert_uint_eq(m.request.verb, TSC_VERB_INJECT);
	ck_assert_uint_eq(m.request.major, 136);
	ck_assert_uint_eq(m.request.minor, 3);
	ck_assert_uint_eq(m.request.len, 3);
	ck_assert_mem_eq(m.request.args, "ls\r", 3);
	/* Partial input asks for more. */
	ck_assert_int_eq(tsc_proto_parse(buf, (size_t)n - 1, &m), -ENODATA);
	ck_assert_int_eq(tsc_proto_parse(buf, 39, &m), -ENODATA);
	/* Argument limit. */
	q.args = big;
	q.len = sizeof(big);
	ck_assert_int_eq(tsc_proto_encode_request(&q, 0, buf, sizeof(buf)),
			 -EINVAL);
	q.len = sizeof(big) - 1;
	ck_assert_int_eq(tsc_proto_encode_request(&q, 0, buf, sizeof(buf)),
			 (int)TSC_REC_MAX_SIZE);
}
END_TEST

START_TEST(test_reply_roundtrip)
{
	struct tsc_proto_reply r = {
		.id = 5,
		.verb = TSC_VERB_LIST,
		.error = EACCES,
		.more = 1,
		.data = (const uint8_t *)"xy",
		.len = 2,
	};
	uint8_t buf[TSC_REC_MAX_SIZE];
	struct tsc_proto_msg m;
	int n;

	n = tsc_proto_encode_reply(&r, 0, buf, sizeof(buf));
	ck_assert_int_eq(n, 50);
	ck_assert_uint_eq(tsc_test_le32(buf + 8), TSC_REPLY_MORE);
	ck_assert_int_eq(tsc_proto_parse(buf, (size_t)n, &m), n);
	ck_assert_uint_eq(m.reply.id, 5);
	ck_assert_uint_eq(m.reply.verb, TSC_VERB_LIST);
	ck_assert_uint_eq(m.reply.error, EACCES);
	ck_assert_int_eq(m.reply.more, 1);
	ck_assert_uint_eq(m.reply.len, 2);
}
END_TEST

/* Malformed protocol messages: each row names the exact error. */
static const struct {
	const char *what;
	uint16_t type;
	uint32_t flags;
	uint32_t len;
	uint8_t fill;
	int err;
} bad_cases[] = {
	{ "HELLO short", TSC_MSG_HELLO, 0, 15, 'a', -EBADMSG },
	{ "HELLO name too long", TSC_MSG_HELLO, 0, 16 + 65, 'a', -EBADMSG },
	{ "HELLO NUL in name", TSC_MSG_HELLO, 0, 20, 0, -EBADMSG },
	{ "HELLO longest name", TSC_MSG_HELLO, 0, 16 + 64, 'a', 16 + 64 },
	{ "REQUEST short", TSC_MSG_REQUEST, 0, 7, 0, -EBADMSG },
	{ "REQUEST head only", TSC_MSG_REQUEST, 0, 8, 0, 8 },
	{ "REPLY short", TSC_MSG_REPLY, 0, 4, 0, -EBADMSG },
	{ "REPLY unknown flag", TSC_MSG_REPLY, 2, 8, 0, -EBADMSG },
	{ "SYNC payload", TSC_MSG_SYNC, 0, 1, 0, -EBADMSG },
	{ "SYNC", TSC_MSG_SYNC, 0, 0, 0, 0 },
	{ "unknown userspace type", 120, 0, 3, 0, 3 },
	{ "type 128", 128, 0, 0, 0, -EBADMSG },
	{ "len 4097", TSC_MSG_REQUEST, 0, 4097, 0, -EBADMSG },
};

START_TEST(test_bad)
{
	static uint8_t buf[TSC_REC_MAX_SIZE + 64];
	struct tsc_test_rec r = {
		.type = bad_cases[_i].type,
		.flags = bad_cases[_i].flags,
		.len = bad_cases[_i].len,
	};
	uint8_t payload[TSC_REC_MAX_SIZE];
	struct tsc_proto_msg m;
	size_t size;
	int want = bad_cases[_i].err;

	memset(payload, bad_cases[_i].fill, sizeof(payload));
	if (bad_cases[_i].fill == 0 && bad_cases[_i].type == TSC_MSG_HELLO)
		payload[0] = 1;
	size = tsc_test_put(buf, &r, r.len <= 4096 ? payload : NULL);
	if (r.len > 4096)
		size = sizeof(buf);
	ck_assert_msg(tsc_proto_parse(buf, size, &m) ==
			      (want < 0 ? want : 40 + want),
		      "%s", bad_cases[_i].what);
}
END_TEST

START_TEST(test_tty_stats)
{
	struct tsc_proto_tty t = {
		.major = 136,
		.minor = 9,
		.kind = 1,
		.pass = 1,
		.uid = 1000,
		.loginuid = 0xffffffffu,
		.rows = 24,
		.cols = 80,
		.open_ns = 1,
		.last_ns = 2,
		.records = 3,
		.in_bytes = 0x100000004ull,
		.out_bytes = 5,
		.lost = 6,
	}, u;
	struct tsc_proto_stats s = { .records = 10, .clients = 2 }, v;
	uint8_t buf[TSC_PROTO_TTY_SIZE];

	strcpy(t.name, "pts/9");
	strcpy(t.comm, "0123456789abcdef");
	tsc_proto_encode_tty(&t, buf);
	ck_assert_int_eq(tsc_proto_decode_tty(buf, sizeof(buf), &u), 0);
	ck_assert_mem_eq(&t, &u, offsetof(struct tsc_proto_tty, name));
	ck_assert_str_eq(u.name, "pts/9");
	ck_assert_str_eq(u.comm, "0123456789abcdef");
	ck_assert_str_eq(u.fg_comm, "");
	ck_assert_uint_eq(u.in_bytes, 0x100000004ull);
	ck_assert_uint_eq(u.out_bytes, 5);
	ck_assert_uint_eq(u.lost, 6);
	ck_assert_uint_eq(tsc_test_le64(buf + 128), 0x100000004ull);
	ck_assert_uint_eq(tsc_test_le64(buf + 144), 6);
	ck_assert_uint_eq(tsc_test_le64(buf + 152), 0);
	ck_assert_int_eq(TSC_PROTO_TTYS_PER_REPLY, 25);
	ck_assert_int_eq(tsc_proto_decode_tty(buf, TSC_PROTO_TTY_SIZE - 1, &u),
			 -EBADMSG);
	tsc_proto_encode_stats(&s, buf);
	ck_assert_int_eq(tsc_proto_decode_stats(buf, 64, &v), 0);
	ck_assert_uint_eq(v.records, 10);
	ck_assert_uint_eq(v.clients, 2);
	ck_assert_int_eq(tsc_proto_decode_stats(buf, 63, &v), -EBADMSG);
}
END_TEST

START_TEST(test_verbs)
{
	for (unsigned int v = 1; v <= TSC_VERB_LAST; v++)
		ck_assert_int_eq(
			tsc_proto_verb_from_name(tsc_proto_verb_name(v)),
			(int)v);
	ck_assert_ptr_null(tsc_proto_verb_name(0));
	ck_assert_ptr_null(tsc_proto_verb_name(TSC_VERB_LAST + 1));
	ck_assert_int_eq(tsc_proto_verb_from_name("reboot"), -EINVAL);
}
END_TEST

/* Random and mutated bytes: parse never reads out of bounds. */
START_TEST(test_fuzz)
{
	struct tsc_proto_request q = { .id = 1, .verb = 1, .len = 0 };
	uint64_t state = 1;
	uint8_t seed[128];
	struct tsc_proto_msg m;
	int n = tsc_proto_encode_request(&q, 0, seed, sizeof(seed));

	ck_assert_int_gt(n, 0);
	for (int i = 0; i < 200000; i++) {
		size_t size = tsc_test_rand(&state) % (size_t)(n + 8);
		uint8_t *buf = malloc(size ? size : 1);
		int r;

		memcpy(buf, seed, size < (size_t)n ? size : (size_t)n);
		for (size_t j = (size_t)n; j < size; j++)
			buf[j] = (uint8_t)tsc_test_rand(&state);
		if (size)
			buf[tsc_test_rand(&state) % size] =
				(uint8_t)tsc_test_rand(&state);
		r = tsc_proto_parse(buf, size, &m);
		ck_assert(r == -ENODATA || r == -EBADMSG ||
			  (r >= 40 && (size_t)r <= size));
		free(buf);
	}
}
END_TEST

static Suite *proto_suite(void)
{
	Suite *s = suite_create("proto");
	TCase *tc = tcase_create("proto");

	tcase_add_test(tc, test_hello_roundtrip);
	tcase_add_test(tc, test_host_roundtrip);
	tcase_add_test(tc, test_user_roundtrip);
	tcase_add_test(tc, test_request_roundtrip);
	tcase_add_test(tc, test_reply_roundtrip);
	tcase_add_loop_test(tc, test_bad, 0, (int)ARRAY_SIZE(bad_cases));
	tcase_add_test(tc, test_tty_stats);
	tcase_add_test(tc, test_verbs);
	tcase_add_test(tc, test_fuzz);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tsc_test_main(proto_suite());
}
