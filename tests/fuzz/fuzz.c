// SPDX-License-Identifier: GPL-2.0-only
/*
 * Helpers shared by the libFuzzer targets: inputs as file descriptors.
 */
#include <string.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <unistd.h>

#include "fuzz.h"

/* A file holding @data, at offset 0; aborts if that fails. */
int fuzz_memfd(const void *data, size_t size)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	const uint8_t *p = data;

	FUZZ_ASSERT(fd >= 0);
	while (size > 0) {
		ssize_t n = write(fd, p, size);

		FUZZ_ASSERT(n > 0);
		p += n;
		size -= (size_t)n;
	}
	FUZZ_ASSERT(lseek(fd, 0, SEEK_SET) == 0);
	return fd;
}

/* /dev/null, opened once, for output nobody reads. */
int fuzz_devnull(void)
{
	static int fd = -1;

	if (fd < 0)
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	FUZZ_ASSERT(fd >= 0);
	return fd;
}

/*
 * Cut the next part off @data: the bytes up to FUZZ_SEPARATOR (or all of
 * them). Returns the part and its length in *@ret_len.
 */
const uint8_t *fuzz_split(const uint8_t **data, size_t *size, size_t *ret_len)
{
	const uint8_t *part = *data;
	const uint8_t *sep =
		memmem(*data, *size, FUZZ_SEPARATOR, FUZZ_SEPARATOR_LEN);

	if (!sep) {
		*ret_len = *size;
		*data += *size;
		*size = 0;
		return part;
	}
	*ret_len = (size_t)(sep - part);
	*size -= *ret_len + FUZZ_SEPARATOR_LEN;
	*data = sep + FUZZ_SEPARATOR_LEN;
	return part;
}
