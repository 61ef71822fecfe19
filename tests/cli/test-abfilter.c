// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the answer-back filter (cli/tsc-abfilter.c): each case is
 * fed whole, byte by byte, and split at every position, and must give the
 * same output.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tsc-abfilter.h"

static const struct {
	const char *name;
	const char *in;
	const char *out;
} cases[] = {
	{ "plain text", "hello\r\nworld", "hello\r\nworld" },
	{ "colors kept", "\033[1;34mdir\033[0m", "\033[1;34mdir\033[0m" },
	{ "cursor moves kept", "\033[10;5H\033[2J\033[K",
	  "\033[10;5H\033[2J\033[K" },
	{ "DSR cursor position", "a\033[6nb", "ab" },
	{ "DSR status", "\033[5n", "" },
	{ "DECXCPR", "\033[?6n", "" },
	{ "XTMODKEYS reset kept", "\033[>4n", "\033[>4n" },
	{ "DA1", "x\033[cy", "xy" },
	{ "DA1 with 0", "\033[0c", "" },
	{ "DA2", "\033[>c\033[>0c", "" },
	{ "DA3", "\033[=c", "" },
	{ "DECREQTPARM", "\033[x", "" },
	{ "DECSACE kept", "\033[2*x", "\033[2*x" },
	{ "DECRQM", "\033[?2004$p\033[4$p", "" },
	{ "XTVERSION", "\033[>q", "" },
	{ "DECSCUSR kept", "\033[2 q", "\033[2 q" },
	{ "kitty keyboard query", "\033[?u", "" },
	{ "window report 11", "\033[11t", "" },
	{ "window report 14", "\033[14;2t", "" },
	{ "window report 18", "\033[18t", "" },
	{ "window report 21", "\033[21t", "" },
	{ "window resize kept", "\033[8;24;80t", "\033[8;24;80t" },
	{ "title push kept", "\033[22;0t", "\033[22;0t" },
	{ "DECID", "a\033Zb", "ab" },
	{ "ENQ", "a\005b", "ab" },
	{ "OSC title kept BEL", "\033]0;title\007", "\033]0;title\007" },
	{ "OSC title kept ST", "\033]2;t\033\\", "\033]2;t\033\\" },
	{ "OSC 11 query BEL", "\033]11;?\007x", "x" },
	{ "OSC 10 query ST", "\033]10;?\033\\x", "x" },
	{ "OSC 4 query", "\033]4;1;?\007", "" },
	{ "OSC 4 set kept", "\033]4;1;rgb:00/00/00\007",
	  "\033]4;1;rgb:00/00/00\007" },
	{ "OSC 52 query", "\033]52;c;?\007", "" },
	{ "OSC with ? in text kept", "\033]0;what?\007", "\033]0;what?\007" },
	{ "DECRQSS", "\033P$qm\033\\z", "z" },
	{ "XTGETTCAP", "\033P+q544e\033\\", "" },
	{ "DCS sixel kept", "\033Pq#0\033\\", "\033Pq#0\033\\" },
	{ "charset kept", "\033(B\033)0", "\033(B\033)0" },
	{ "keypad kept", "\033=\033>", "\033=\033>" },
	{ "ESC ESC", "\033\033[6n", "\033" },
	{ "CSI cut by control", "\033[1\n", "\033[1\n" },
	{ "OSC cancelled", "\033]11;?\030x", "\033]11;?\030x" },
	{ "OSC cut by CSI", "\033]11;?\033[6n", "\033]11;?" },
	{ "utf-8 kept", "h\303\251llo \342\234\223",
	  "h\303\251llo \342\234\223" },
};

static size_t run(const char *in, size_t len, size_t split, char *out)
{
	struct tsc_abfilter *f = malloc(sizeof(*f));
	size_t n;

	ck_assert_ptr_nonnull(f);
	tsc_abfilter_init(f);
	n = tsc_abfilter_feed(f, (const uint8_t *)in, split, (uint8_t *)out);
	n += tsc_abfilter_feed(f, (const uint8_t *)in + split, len - split,
			       (uint8_t *)out + n);
	n += tsc_abfilter_flush(f, (uint8_t *)out + n);
	free(f);
	return n;
}

START_TEST(test_cases)
{
	const char *in = cases[_i].in, *want = cases[_i].out;
	size_t len = strlen(in);
	char out[256 + TSC_ABFILTER_MAX];

	for (size_t split = 0; split <= len; split++) {
		size_t n = run(in, len, split, out);

		out[n] = '\0';
		ck_assert_msg(n == strlen(want) && !memcmp(out, want, n),
			      "%s (split %zu): got \"%s\"", cases[_i].name,
			      split, out);
	}
}
END_TEST

START_TEST(test_bytewise)
{
	const char *in = cases[_i].in, *want = cases[_i].out;
	struct tsc_abfilter *f = malloc(sizeof(*f));
	char out[256 + TSC_ABFILTER_MAX];
	size_t n = 0;

	ck_assert_ptr_nonnull(f);
	tsc_abfilter_init(f);
	for (const char *p = in; *p; p++)
		n += tsc_abfilter_feed(f, (const uint8_t *)p, 1,
				       (uint8_t *)out + n);
	n += tsc_abfilter_flush(f, (uint8_t *)out + n);
	free(f);
	ck_assert_uint_eq(n, strlen(want));
	ck_assert(!memcmp(out, want, n));
}
END_TEST

/* An OSC string longer than the filter holds passes through unchanged. */
START_TEST(test_overlong)
{
	size_t len = TSC_ABFILTER_MAX * 2 + 10, n = 0;
	char *in = malloc(len), *out = malloc(len + TSC_ABFILTER_MAX);
	struct tsc_abfilter *f = malloc(sizeof(*f));

	ck_assert(in && out && f);
	memset(in, 'a', len);
	memcpy(in, "\033]0;", 4);
	in[len - 1] = '\007';
	tsc_abfilter_init(f);
	for (size_t i = 0; i < len; i += 100)
		n += tsc_abfilter_feed(f, (uint8_t *)in + i,
				       len - i < 100 ? len - i : 100,
				       (uint8_t *)out + n);
	n += tsc_abfilter_flush(f, (uint8_t *)out + n);
	ck_assert_uint_eq(n, len);
	ck_assert(!memcmp(in, out, len));
	/* and the filter works again afterwards */
	n = tsc_abfilter_feed(f, (const uint8_t *)"\033[6nok", 6,
			      (uint8_t *)out);
	ck_assert_uint_eq(n, 2);
	ck_assert(!memcmp(out, "ok", 2));
	free(in);
	free(out);
	free(f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("abfilter");
	TCase *tc = tcase_create("abfilter");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_cases, 0,
			    sizeof(cases) / sizeof(cases[0]));
	tcase_add_loop_test(tc, test_bytewise, 0,
			    sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_overlong);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
