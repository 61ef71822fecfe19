// SPDX-License-Identifier: GPL-2.0-only
/*
 * Helpers shared by the libttyscope unit tests: building raw records
 * (including malformed ones), a deterministic random generator, a private
 * temporary directory removed at exit, and the Check runner.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsc-test.h"

static char tsc_tmpdir[256];

/*
 * Encode @r and @payload (r->len bytes; 'x' bytes if NULL) at @buf without
 * any validation. A length above TTYSCOPE_MAX_PAYLOAD gets no payload:
 * only the header is written. Returns the bytes written.
 */
size_t tsc_test_put(uint8_t *buf, const struct tsc_test_rec *r,
		    const void *payload)
{
	struct tsc_rec_hdr hdr = {
		.magic = r->magic ? r->magic : TTYSCOPE_REC_MAGIC,
		.version = r->version ? r->version : TTYSCOPE_ABI_VERSION,
		.type = r->type,
		.flags = r->flags,
		.len = r->len,
		.major = r->major,
		.minor = r->minor,
		.seq = r->seq,
		.ts_ns = r->ts_ns,
	};

	tsc_rec_hdr_pack(&hdr, buf);
	if (r->len > TTYSCOPE_MAX_PAYLOAD)
		return TSC_REC_HDR_SIZE;
	if (r->len && payload)
		memcpy(buf + TSC_REC_HDR_SIZE, payload, r->len);
	else if (r->len)
		memset(buf + TSC_REC_HDR_SIZE, 'x', r->len);
	return TSC_REC_HDR_SIZE + r->len;
}

/* A valid record of tty 136:0 with the given type, seq, time and payload. */
size_t tsc_test_put_simple(uint8_t *buf, uint16_t type, uint64_t seq,
			   uint64_t ts, const void *payload, uint32_t len)
{
	struct tsc_test_rec r = {
		.type = type,
		.len = len,
		.major = 136,
		.seq = seq,
		.ts_ns = ts,
	};

	return tsc_test_put(buf, &r, payload);
}

/* Little-endian fields of files the tests inspect. */
uint16_t tsc_test_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t tsc_test_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

uint64_t tsc_test_le64(const uint8_t *p)
{
	return tsc_test_le32(p) | (uint64_t)tsc_test_le32(p + 4) << 32;
}

/* xorshift64*: reproducible pseudo-random numbers. */
uint64_t tsc_test_rand(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x9e3779b97f4a7c15u;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1du;
}

static void tsc_test_cleanup(void)
{
	DIR *d;
	struct dirent *e;

	if (getenv("TSC_TEST_KEEP"))
		return;
	d = opendir(tsc_tmpdir);
	if (!d)
		return;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	rmdir(tsc_tmpdir);
}

/*
 * A temporary directory for this test process, removed at exit (kept if
 * TSC_TEST_KEEP is set, for debugging).
 */
const char *tsc_test_dir(void)
{
	if (!tsc_tmpdir[0]) {
		const char *base = getenv("TMPDIR");

		snprintf(tsc_tmpdir, sizeof(tsc_tmpdir), "%s/tsc-unit-XXXXXX",
			 base ? base : "/tmp");
		ck_assert_ptr_nonnull(mkdtemp(tsc_tmpdir));
		atexit(tsc_test_cleanup);
	}
	return tsc_tmpdir;
}

/* Path of @name in the temporary directory; free() it. */
char *tsc_test_path(const char *name)
{
	char *p;

	ck_assert_int_gt(asprintf(&p, "%s/%s", tsc_test_dir(), name), 0);
	return p;
}

/* open() @name in the temporary directory (mode 0600 if created). */
int tsc_test_open(const char *name, int flags)
{
	char *p = tsc_test_path(name);
	int fd = open(p, flags | O_CLOEXEC, 0600);

	ck_assert_msg(fd >= 0, "open %s: %m", p);
	free(p);
	return fd;
}

void tsc_test_write_file(const char *name, const void *data, size_t len)
{
	int fd = tsc_test_open(name, O_WRONLY | O_CREAT | O_TRUNC);

	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* The contents of @name; free() it. */
uint8_t *tsc_test_read_file(const char *name, size_t *ret_len)
{
	int fd = tsc_test_open(name, O_RDONLY);
	off_t size = lseek(fd, 0, SEEK_END);
	uint8_t *buf = malloc((size_t)size + 1);

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(pread(fd, buf, (size_t)size, 0), size);
	buf[size] = '\0';
	close(fd);
	*ret_len = (size_t)size;
	return buf;
}

/* Run all tests of @s (CK_FORK etc. from the environment); exit status. */
int tsc_test_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
