/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers of the lab's guest programs that talk to the host through a
 * virtio-serial port (vport-relay, typist): finding the port by name.
 */
#ifndef TSC_DEMO_VPORT_H
#define TSC_DEMO_VPORT_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Open /dev/vportNpM of the port named @name (read-write, non-blocking),
 * waiting up to 30 s for it to appear. Returns the fd, or -1 with errno.
 */
static inline int vport_open(const char *name)
{
	char path[300], have[128];

	for (int tries = 0; tries < 300; tries++) {
		DIR *d = opendir("/sys/class/virtio-ports");
		struct dirent *e;

		while (d && (e = readdir(d))) {
			FILE *f;
			int found = 0;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path),
				 "/sys/class/virtio-ports/%s/name", e->d_name);
			f = fopen(path, "r");
			if (!f)
				continue;
			if (fgets(have, sizeof(have), f)) {
				have[strcspn(have, "\n")] = 0;
				found = !strcmp(have, name);
			}
			fclose(f);
			if (found) {
				snprintf(path, sizeof(path), "/dev/%s",
					 e->d_name);
				closedir(d);
				return open(path,
					    O_RDWR | O_NONBLOCK | O_CLOEXEC);
			}
		}
		if (d)
			closedir(d);
		msleep(100);
	}
	errno = ENOENT;
	return -1;
}

#endif /* TSC_DEMO_VPORT_H */
