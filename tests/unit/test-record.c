// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the record codec (common/tsc-record.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tsc-test.h"

/* Header validation: every rule of docs/FORMAT.md, one row each. */
static const struct {
	const char *what;
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t len;
	enum tsc_fault fault;
} check_cases[] = {
	{ "OPEN 40", 0, 0, TTYSCOPE_REC_OPEN, 40, TSC_FAULT_NONE },
	{ "OPEN 39", 0, 0, TTYSCOPE_REC_OPEN, 39, TSC_FAULT_SIZE },
	{ "OPEN 41", 0, 0, TTYSCOPE_REC_OPEN, 41, TSC_FAULT_SIZE },
	{ "CLOSE 0", 0, 0, TTYSCOPE_REC_CLOSE, 0, TSC_FAULT_NONE },
	{ "CLOSE 1", 0, 0, TTYSCOPE_REC_CLOSE, 1, TSC_FAULT_SIZE },
	{ "HANGUP 0", 0, 0, TTYSCOPE_REC_HANGUP, 0, TSC_FAULT_NONE },
	{ "HANGUP 8", 0, 0, TTYSCOPE_REC_HANGUP, 8, TSC_FAULT_SIZE },
	{ "IN 0", 0, 0, TTYSCOPE_REC_IN, 0, TSC_FAULT_NONE },
	{ "IN 4096", 0, 0, TTYSCOPE_REC_IN, 4096, TSC_FAULT_NONE },
	{ "IN 4097", 0, 0, TTYSCOPE_REC_IN, 4097, TSC_FAULT_LEN },
	{ "OUT 1", 0, 0, TTYSCOPE_REC_OUT, 1, TSC_FAULT_NONE },
	{ "OUT 4096", 0, 0, TTYSCOPE_REC_OUT, 4096, TSC_FAULT_NONE },
	{ "OUT 0xffffffff", 0, 0, TTYSCOPE_REC_OUT, 0xffffffffu,
	  TSC_FAULT_LEN },
	{ "WINSIZE 8", 0, 0, TTYSCOPE_REC_WINSIZE, 8, TSC_FAULT_NONE },
	{ "WINSIZE 7", 0, 0, TTYSCOPE_REC_WINSIZE, 7, TSC_FAULT_SIZE },
	{ "WINSIZE 9", 0, 0, TTYSCOPE_REC_WINSIZE, 9, TSC_FAULT_SIZE },
	{ "SESSION 48", 0, 0, TTYSCOPE_REC_SESSION, 48, TSC_FAULT_NONE },
	{ "SESSION 40", 0, 0, TTYSCOPE_REC_SESSION, 40, TSC_FAULT_SIZE },
	{ "IN_DROPPED 3", 0, 0, TTYSCOPE_REC_IN_DROPPED, 3, TSC_FAULT_NONE },
	{ "INJECT 8", 0, 0, TTYSCOPE_REC_INJECT, 8, TSC_FAULT_NONE },
	{ "INJECT 7", 0, 0, TTYSCOPE_REC_INJECT, 7, TSC_FAULT_SIZE },
	{ "INJECT 0", 0, 0, TTYSCOPE_REC_INJECT, 0, TSC_FAULT_SIZE },
	{ "INJECT 4096", 0, 0, TTYSCOPE_REC_INJECT, 4096, TSC_FAULT_NONE },
	{ "PASS 8", 0, 0, TTYSCOPE_REC_PASS, 8, TSC_FAULT_NONE },
	{ "PASS 16", 0, 0, TTYSCOPE_REC_PASS, 16, TSC_FAULT_SIZE },
	{ "LOSS 16", 0, 0, TTYSCOPE_REC_LOSS, 16, TSC_FAULT_NONE },
	{ "LOSS 8", 0, 0, TTYSCOPE_REC_LOSS, 8, TSC_FAULT_SIZE },
	{ "type 0", 0, 0, 0, 0, TSC_FAULT_TYPE },
	{ "type 12", 0, 0, 12, 0, TSC_FAULT_TYPE },
	{ "type 63", 0, 0, 63, 0, TSC_FAULT_TYPE },
	{ "LOG_INDEX 48", 0, 0, TSC_REC_LOG_INDEX, 48, TSC_FAULT_NONE },
	{ "LOG_INDEX 4080", 0, 0, TSC_REC_LOG_INDEX, 4080, TSC_FAULT_NONE },
	{ "LOG_INDEX 0", 0, 0, TSC_REC_LOG_INDEX, 0, TSC_FAULT_SIZE },
	{ "LOG_INDEX 50", 0, 0, TSC_REC_LOG_INDEX, 50, TSC_FAULT_SIZE },
	{ "LOG_TRAILER 56", 0, 0, TSC_REC_LOG_TRAILER, 56, TSC_FAULT_NONE },
	{ "LOG_TRAILER 48", 0, 0, TSC_REC_LOG_TRAILER, 48, TSC_FAULT_SIZE },
	{ "type 67 (skippable)", 0, 0, 67, 17, TSC_FAULT_NONE },
	{ "MARK 0", 0, 0, TSC_REC_MARK, 0, TSC_FAULT_NONE },
	{ "MARK 256", 0, 0, TSC_REC_MARK, 256, TSC_FAULT_NONE },
	{ "MARK 257", 0, 0, TSC_REC_MARK, 257, TSC_FAULT_SIZE },
	{ "type 127 (skippable)", 0, 0, 127, 0, TSC_FAULT_NONE },
	{ "type 127 4097", 0, 0, 127, 4097, TSC_FAULT_LEN },
	{ "type 128", 0, 0, 128, 0, TSC_FAULT_TYPE },
	{ "type 0xffff", 0, 0, 0xffff, 0, TSC_FAULT_TYPE },
	{ "magic", 0x52435355u, 0, TTYSCOPE_REC_OUT, 1, TSC_FAULT_MAGIC },
	{ "magic byte-swapped", 0x54534352u, 0, TTYSCOPE_REC_OUT, 1,
	  TSC_FAULT_MAGIC },
	{ "version 2", 0, 2, TTYSCOPE_REC_OUT, 1, TSC_FAULT_VERSION },
	{ "version 0xffff", 0, 0xffff, TTYSCOPE_REC_OUT, 1, TSC_FAULT_VERSION },
	{ "magic before version", 1, 2, 0, 5000, TSC_FAULT_MAGIC },
	{ "version before type", 0, 3, 0, 5000, TSC_FAULT_VERSION },
	{ "type before len", 0, 0, 12, 5000, TSC_FAULT_TYPE },
	{ "userspace type, len", 0, 0, 69, 5000, TSC_FAULT_LEN },
	{ "len before size", 0, 0, TTYSCOPE_REC_OPEN, 5000, TSC_FAULT_LEN },
};

START_TEST(test_hdr_check)
{
	struct tsc_rec_hdr hdr = {
		.magic = check_cases[_i].magic ? check_cases[_i].magic :
						 TTYSCOPE_REC_MAGIC,
		.version = check_cases[_i].version ? check_cases[_i].version :
						     TTYSCOPE_ABI_VERSION,
		.type = check_cases[_i].type,
		.len = check_cases[_i].len,
	};

	ck_assert_msg(tsc_rec_hdr_check(&hdr) == check_cases[_i].fault,
		      "%s: fault %d, expected %d", check_cases[_i].what,
		      tsc_rec_hdr_check(&hdr), check_cases[_i].fault);
}
END_TEST

/* The wire layout, byte by byte (docs/FORMAT.md "Header"). */
START_TEST(test_hdr_layout)
{
	static const uint8_t want[TSC_REC_HDR_SIZE] = {
		0x54, 0x53, 0x43, 0x52, /* magic "TSCR" */
		0x01, 0x00, /* version */
		0x05, 0x00, /* type OUT */
		0x05, 0x00, 0x00, 0x00, /* flags */
		0x03, 0x00, 0x00, 0x00, /* len */
		0x88, 0x00, 0x00, 0x00, /* major 136 */
		0x07, 0x00, 0x10, 0x00, /* minor 0x100007 */
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* seq */
		0x00, 0xe4, 0x0b, 0x54, 0x02, 0x00, 0x00, 0x00, /* 10 s */
	};
	struct tsc_rec_hdr hdr = {
		.type = TTYSCOPE_REC_OUT,
		.flags = 5,
		.len = 3,
		.major = 136,
		.minor = 0x100007,
		.seq = 0x0102030405060708u,
		.ts_ns = 10000000000u,
	}, back;
	uint8_t buf[64];

	ck_assert_int_eq(tsc_rec_encode(&hdr, "abc", buf, sizeof(buf)), 43);
	ck_assert_mem_eq(buf, want, sizeof(want));
	ck_assert_mem_eq(buf + 40, "abc", 3);
	tsc_rec_hdr_unpack(buf, &back);
	hdr.magic = TTYSCOPE_REC_MAGIC;
	hdr.version = TTYSCOPE_ABI_VERSION;
	ck_assert_mem_eq(&back, &hdr, sizeof(hdr));
}
END_TEST

START_TEST(test_parse)
{
	uint8_t buf[TSC_REC_MAX_SIZE + 8];
	struct tsc_rec rec = { 0 };
	size_t n;

	n = tsc_test_put_simple(buf, TTYSCOPE_REC_OUT, 7, 99, "hello", 5);
	for (size_t cut = 0; cut < n; cut++)
		ck_assert_int_eq(tsc_rec_parse(buf, cut, &rec), -ENODATA);
	ck_assert_ptr_null(rec.raw);
	ck_assert_int_eq(tsc_rec_parse(buf, n + 3, &rec), 0);
	ck_assert_ptr_eq(rec.raw, buf);
	ck_assert_ptr_eq(rec.payload, buf + 40);
	ck_assert_uint_eq(rec.hdr.seq, 7);
	ck_assert_uint_eq(rec.hdr.ts_ns, 99);
	ck_assert_uint_eq(rec.hdr.len, 5);

	buf[6] = 12; /* unknown kernel type */
	ck_assert_int_eq(tsc_rec_parse(buf, n, &rec), -EBADMSG);
	/* invalid wins over short: the header alone decides */
	ck_assert_int_eq(tsc_rec_parse(buf, 40, &rec), -EBADMSG);
}
END_TEST

START_TEST(test_encode_errors)
{
	struct tsc_rec_hdr hdr = { .type = TTYSCOPE_REC_OPEN, .len = 39 };
	uint8_t buf[TSC_REC_MAX_SIZE], payload[4096] = { 0 };

	ck_assert_int_eq(tsc_rec_encode(&hdr, payload, buf, sizeof(buf)),
			 -EINVAL);
	hdr.type = TTYSCOPE_REC_OUT;
	hdr.len = 4097;
	ck_assert_int_eq(tsc_rec_encode(&hdr, payload, buf, sizeof(buf)),
			 -EINVAL);
	hdr.len = 10;
	ck_assert_int_eq(tsc_rec_encode(&hdr, NULL, buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(tsc_rec_encode(&hdr, payload, buf, 49), -ENOBUFS);
	ck_assert_int_eq(tsc_rec_encode(&hdr, payload, buf, 50), 50);
	hdr.len = 4096;
	ck_assert_int_eq(tsc_rec_encode(&hdr, payload, buf, sizeof(buf)),
			 (int)TSC_REC_MAX_SIZE);
	/* magic and version of the caller are replaced */
	hdr.magic = 1;
	hdr.version = 7;
	hdr.type = TTYSCOPE_REC_CLOSE;
	hdr.len = 0;
	ck_assert_int_eq(tsc_rec_encode(&hdr, NULL, buf, sizeof(buf)), 40);
	ck_assert_mem_eq(buf, "TSCR\x01\x00", 6);
}
END_TEST

/* Build a record of @type with a payload of @len bytes for the decoders. */
static struct tsc_rec make_rec(uint8_t *buf, uint16_t type, const void *p,
			       uint32_t len)
{
	struct tsc_test_rec r = { .type = type, .len = len };
	struct tsc_rec rec;

	tsc_test_put(buf, &r, p);
	tsc_rec_hdr_unpack(buf, &rec.hdr);
	rec.raw = buf;
	rec.payload = buf + 40;
	return rec;
}

START_TEST(test_payloads)
{
	uint8_t buf[TSC_REC_MAX_SIZE], p[64];
	struct tsc_open open = { .kind = TTYSCOPE_KIND_PTY }, o;
	struct tsc_winsize ws = { .rows = 24,
				  .cols = 80,
				  .xpixel = 640,
				  .ypixel = 480 },
			   w;
	struct tsc_session ses = { .sid = 812,
				   .pgrp = 845,
				   .uid = 1000,
				   .loginuid = TTYSCOPE_UID_UNSET },
			   s;
	struct tsc_pass pass = { .pass = 1, .operator_uid = 42 }, pa;
	struct tsc_loss loss = { .records = 3, .bytes = 0x100000000u }, l;
	struct tsc_inject inj;
	struct tsc_rec rec;

	/* a name filling the field has no NUL on the wire */
	memset(open.name, 'n', TTYSCOPE_NAME_LEN);
	tsc_rec_encode_open(&open, p);
	ck_assert_mem_eq(p, "\x01\0\0\0\0\0\0\0nnnn", 12);
	rec = make_rec(buf, TTYSCOPE_REC_OPEN, p, TSC_OPEN_SIZE);
	ck_assert_int_eq(tsc_rec_decode_open(&rec, &o), 0);
	ck_assert_uint_eq(o.kind, 1);
	ck_assert_uint_eq(strlen(o.name), TTYSCOPE_NAME_LEN);

	strcpy(open.name, "pts/3");
	tsc_rec_encode_open(&open, p);
	rec = make_rec(buf, TTYSCOPE_REC_OPEN, p, TSC_OPEN_SIZE);
	ck_assert_int_eq(tsc_rec_decode_open(&rec, &o), 0);
	ck_assert_str_eq(o.name, "pts/3");
	ck_assert_int_eq(tsc_rec_decode_winsize(&rec, &w), -EINVAL);
	rec.hdr.len = 39;
	ck_assert_int_eq(tsc_rec_decode_open(&rec, &o), -EBADMSG);

	tsc_rec_encode_winsize(&ws, p);
	ck_assert_mem_eq(p, "\x18\0\x50\0\x80\x02\xe0\x01", 8);
	rec = make_rec(buf, TTYSCOPE_REC_WINSIZE, p, TSC_WINSIZE_SIZE);
	ck_assert_int_eq(tsc_rec_decode_winsize(&rec, &w), 0);
	ck_assert_mem_eq(&w, &ws, sizeof(ws));

	strcpy(ses.comm, "bash");
	strcpy(ses.fg_comm, "sixteen-chars-ab"); /* fills the field */
	tsc_rec_encode_session(&ses, p);
	rec = make_rec(buf, TTYSCOPE_REC_SESSION, p, TSC_SESSION_SIZE);
	ck_assert_int_eq(tsc_rec_decode_session(&rec, &s), 0);
	ck_assert_uint_eq(s.sid, 812);
	ck_assert_uint_eq(s.pgrp, 845);
	ck_assert_uint_eq(s.uid, 1000);
	ck_assert_uint_eq(s.loginuid, TTYSCOPE_UID_UNSET);
	ck_assert_str_eq(s.comm, "bash");
	ck_assert_str_eq(s.fg_comm, "sixteen-chars-ab");

	tsc_rec_encode_inject_head(1000, p);
	memcpy(p + 8, "ls\r", 3);
	rec = make_rec(buf, TTYSCOPE_REC_INJECT, p, 11);
	ck_assert_int_eq(tsc_rec_decode_inject(&rec, &inj), 0);
	ck_assert_uint_eq(inj.operator_uid, 1000);
	ck_assert_uint_eq(inj.len, 3);
	ck_assert_mem_eq(inj.data, "ls\r", 3);
	rec.hdr.len = 7;
	ck_assert_int_eq(tsc_rec_decode_inject(&rec, &inj), -EBADMSG);

	tsc_rec_encode_pass(&pass, p);
	rec = make_rec(buf, TTYSCOPE_REC_PASS, p, TSC_PASS_SIZE);
	ck_assert_int_eq(tsc_rec_decode_pass(&rec, &pa), 0);
	ck_assert_mem_eq(&pa, &pass, sizeof(pass));
	ck_assert_int_eq(tsc_rec_decode_loss(&rec, &l), -EINVAL);

	tsc_rec_encode_loss(&loss, p);
	rec = make_rec(buf, TTYSCOPE_REC_LOSS, p, TSC_LOSS_SIZE);
	ck_assert_int_eq(tsc_rec_decode_loss(&rec, &l), 0);
	ck_assert_uint_eq(l.records, 3);
	ck_assert_uint_eq(l.bytes, 0x100000000u);
	rec.hdr.len = 15;
	ck_assert_int_eq(tsc_rec_decode_loss(&rec, &l), -EBADMSG);
}
END_TEST

START_TEST(test_type_names)
{
	ck_assert_str_eq(tsc_rec_type_name(TTYSCOPE_REC_OPEN), "OPEN");
	ck_assert_str_eq(tsc_rec_type_name(TTYSCOPE_REC_LOSS), "LOSS");
	ck_assert_str_eq(tsc_rec_type_name(TSC_REC_LOG_TRAILER), "LOG_TRAILER");
	ck_assert_ptr_null(tsc_rec_type_name(0));
	ck_assert_ptr_null(tsc_rec_type_name(12));
	ck_assert_str_eq(tsc_rec_type_name(TSC_REC_MARK), "MARK");
	ck_assert_ptr_null(tsc_rec_type_name(67));
	ck_assert_ptr_null(tsc_rec_type_name(100000));
}
END_TEST

/* MARK: a bounded label without NUL, through encode, parse and decode. */
START_TEST(test_mark)
{
	uint8_t buf[TSC_REC_MAX_SIZE], big[TSC_MARK_LABEL_MAX + 1];
	struct tsc_rec_hdr h = { .type = TSC_REC_MARK,
				 .major = 136,
				 .minor = 4,
				 .seq = 9,
				 .ts_ns = 77 };
	struct tsc_mark m;
	struct tsc_rec r;

	h.len = 11;
	ck_assert_int_eq(tsc_rec_encode(&h, "bad login 1", buf, sizeof(buf)),
			 TSC_REC_HDR_SIZE + 11);
	ck_assert_uint_eq(tsc_test_le16(buf + 6), 66);
	ck_assert_int_eq(tsc_rec_parse(buf, sizeof(buf), &r), 0);
	ck_assert_int_eq(tsc_rec_decode_mark(&r, &m), 0);
	ck_assert_str_eq(m.label, "bad login 1");

	/* empty label */
	h.len = 0;
	ck_assert_int_eq(tsc_rec_encode(&h, NULL, buf, sizeof(buf)),
			 TSC_REC_HDR_SIZE);
	ck_assert_int_eq(tsc_rec_parse(buf, sizeof(buf), &r), 0);
	ck_assert_int_eq(tsc_rec_decode_mark(&r, &m), 0);
	ck_assert_str_eq(m.label, "");

	/* the longest label, and one byte more */
	memset(big, 'x', sizeof(big));
	h.len = TSC_MARK_LABEL_MAX;
	ck_assert_int_eq(tsc_rec_encode(&h, big, buf, sizeof(buf)),
			 TSC_REC_HDR_SIZE + TSC_MARK_LABEL_MAX);
	ck_assert_int_eq(tsc_rec_parse(buf, sizeof(buf), &r), 0);
	ck_assert_int_eq(tsc_rec_decode_mark(&r, &m), 0);
	ck_assert_uint_eq(strlen(m.label), TSC_MARK_LABEL_MAX);
	h.len = TSC_MARK_LABEL_MAX + 1;
	ck_assert_int_eq(tsc_rec_encode(&h, big, buf, sizeof(buf)), -EINVAL);

	/* a NUL inside is malformed; another type is not a MARK */
	h.len = 3;
	ck_assert_int_eq(tsc_rec_encode(&h, "a\0b", buf, sizeof(buf)),
			 TSC_REC_HDR_SIZE + 3);
	ck_assert_int_eq(tsc_rec_parse(buf, sizeof(buf), &r), 0);
	ck_assert_int_eq(tsc_rec_decode_mark(&r, &m), -EBADMSG);
	h.type = TTYSCOPE_REC_OUT;
	ck_assert_int_eq(tsc_rec_encode(&h, "abc", buf, sizeof(buf)),
			 TSC_REC_HDR_SIZE + 3);
	ck_assert_int_eq(tsc_rec_parse(buf, sizeof(buf), &r), 0);
	ck_assert_int_eq(tsc_rec_decode_mark(&r, &m), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("record");
	TCase *tc = tcase_create("codec");

	tcase_add_loop_test(tc, test_hdr_check, 0, ARRAY_SIZE(check_cases));
	tcase_add_test(tc, test_hdr_layout);
	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_encode_errors);
	tcase_add_test(tc, test_payloads);
	tcase_add_test(tc, test_type_names);
	tcase_add_test(tc, test_mark);
	suite_add_tcase(s, tc);
	return tsc_test_main(s);
}
