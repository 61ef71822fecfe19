/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers of the lab's guest demo programs: finding a virtio-serial port
 * by name (vport-relay, typist), and logging a student in on a new
 * pseudo-terminal (students, typist).
 */
#ifndef TSC_DEMO_VPORT_H
#define TSC_DEMO_VPORT_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
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

/*
 * Log student @n in: a login shell (/bin/sh) in /home/student@n on a new
 * pseudo-terminal of @cols x @rows, as @uid (gid 100, the tty group 5)
 * or, if @uid is 0, as the caller; @ps1 is the prompt ("%d" is @n).
 * Returns the shell's pid and its master in *@master, or -1 with errno
 * and what failed in *@what.
 */
static inline pid_t student_login(int n, unsigned int uid, unsigned short cols,
				  unsigned short rows, const char *ps1,
				  int *master, const char **what)
{
	struct winsize ws = { .ws_col = cols, .ws_row = rows };
	char home[64], env_home[80], env_user[64], env_ps1[128], prompt[96];
	int slave;
	pid_t pid;

	*what = "posix_openpt";
	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0 || grantpt(*master) || unlockpt(*master))
		return -1;
	*what = "open the pty slave";
	slave = open(ptsname(*master), O_RDWR | O_NOCTTY);
	if (slave < 0)
		return -1;
	ioctl(slave, TIOCSWINSZ, &ws);
	snprintf(home, sizeof(home), "/home/student%d", n);
	mkdir("/home", 0755);
	mkdir(home, 0755);
	*what = "chown";
	if (uid && (chown(home, uid, 100) < 0 || fchown(slave, uid, 5) < 0))
		return -1;
	*what = "fork";
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		setsid();
		ioctl(slave, TIOCSCTTY, 0);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		if (slave > 2)
			close(slave);
		if (uid && (setgid(100) < 0 || setuid(uid) < 0))
			_exit(126);
		if (chdir(home) < 0)
			_exit(126);
		snprintf(env_home, sizeof(env_home), "HOME=%s", home);
		snprintf(env_user, sizeof(env_user), "USER=student%d", n);
		snprintf(prompt, sizeof(prompt), ps1, n);
		snprintf(env_ps1, sizeof(env_ps1), "PS1=%s", prompt);
		char *envp[] = { env_home,
				 env_user,
				 env_ps1,
				 "TERM=xterm-256color",
				 "PATH=/bin:/sbin:/usr/bin:/usr/sbin",
				 NULL };
		execle("/bin/sh", "-sh", (char *)NULL, envp);
		_exit(127);
	}
	close(slave);
	return pid;
}

#endif /* TSC_DEMO_VPORT_H */
