// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of untrusted text made safe to show (common/tsc-text.c).
 */
#include <stdlib.h>
#include <string.h>

#include "tsc-test.h"
#include "tsc-text.h"

static const struct {
	const char *in, *want;
} printable_cases[] = {
	{ "bash", "bash" },
	{ "Grüße, 你好", "Grüße, 你好" },
	/* C0, DEL and C1 controls: one '?' each */
	{ "\x1b]2;x\a\x1b[2J", "?]2;x??[2J" },
	{ "a\x7f"
	  "b\xc2\x85"
	  "c\xc2\xa0",
	  "a?b?c\xc2\xa0" },
	/* not UTF-8: one '?' per maximal ill-formed part */
	{ "\xff", "?" },
	{ "a\xe4\xbd", "a?" },
	{ "\xc0\xaf", "??" },
	{ "\xed\xa0\x80", "???" },
	{ "", "" },
};

START_TEST(test_printable)
{
	char buf[64], inplace[64];

	ck_assert_str_eq(tsc_text_printable(printable_cases[_i].in, buf,
					    sizeof(buf)),
			 printable_cases[_i].want);
	strcpy(inplace, printable_cases[_i].in);
	ck_assert_str_eq(tsc_text_printable(inplace, inplace, sizeof(inplace)),
			 printable_cases[_i].want);
}
END_TEST

START_TEST(test_printable_cut)
{
	char buf[8];

	/* cut at a character boundary, always terminated */
	ck_assert_str_eq(tsc_text_printable("你好", buf, 4), "你");
	ck_assert_str_eq(tsc_text_printable("你好", buf, 6), "你");
	ck_assert_str_eq(tsc_text_printable("abc", buf, 1), "");
	ck_assert_str_eq(tsc_text_printable("\x1b\x1b\x1b", buf, 3), "??");
}
END_TEST

START_TEST(test_json)
{
	char *q = tsc_text_json("a\"b\\\n\x7f\xff你");

	ck_assert_str_eq(q, "\"a\\\"b\\\\\\n\\u007f\xef\xbf\xbd你\"");
	free(q);
	q = tsc_text_json("");
	ck_assert_str_eq(q, "\"\"");
	free(q);
}
END_TEST

static Suite *text_suite(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("text");

	tcase_add_loop_test(tc, test_printable, 0,
			    (int)ARRAY_SIZE(printable_cases));
	tcase_add_test(tc, test_printable_cut);
	tcase_add_test(tc, test_json);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tsc_test_main(text_suite());
}
