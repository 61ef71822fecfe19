// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: ttyscoped's handling of one client (cli/ttyscoped.c).
 *
 * The daemon's source is compiled into this target as it is (its main()
 * renamed), so the code under test is exactly the daemon's: a client
 * connects to its socket and is accepted by accept_client(), the input
 * arrives through the socket in pieces and is handled by client_read(),
 * replies go out through client_flush(). The daemon knows two ttys (fed
 * as device records at start) and uses the fake control backend writing
 * to /dev/null; its logs and tty nodes live in a scratch directory, the
 * working directory while an input runs.
 *
 * Input: a flags byte, then the client's bytes. Flags: bit 0: skip the
 * HELLO exchange; bit 1: the client never reads (its queue fills up);
 * bit 2: a record of a tty arrives from the device after the input;
 * bits 3..7: the size of each piece sent.
 *
 * Invariants: every byte the daemon sends parses as a protocol message;
 * each read makes progress; the client is freed with nothing left over.
 * ATTACH requests that name an absolute path or ".." are not run (the
 * daemon would open that path): such inputs are rejected.
 */
#include <ftw.h>
#include <sys/ioctl.h>

#define main ttyscoped_main
int ttyscoped_main(int argc, char **argv);
#include "ttyscoped.c"
#undef main

#include "fuzz.h"

static char scratch[PATH_MAX];
static int scratch_fd, home_fd; /* the daemon runs in scratch */
static uint64_t seq_dev;
static unsigned long runs;

/* Feed the daemon one record from its "device". */
static void device_record(uint16_t type, uint32_t major, uint32_t minor,
			  const void *payload, uint32_t len)
{
	struct tsc_rec_hdr h = {
		.type = type,
		.len = len,
		.major = major,
		.minor = minor,
		.seq = seq_dev,
		.ts_ns = 1700000000000000000ull + seq_dev * 1000000u,
	};
	uint8_t raw[TSC_REC_MAX_SIZE];
	struct tsc_rec rec;
	int n = tsc_rec_encode(&h, payload, raw, sizeof(raw));

	FUZZ_ASSERT(n > 0 && tsc_rec_parse(raw, (size_t)n, &rec) == 0);
	seq_dev++;
	handle_record(&rec);
}

static void add_tty(uint32_t major, uint32_t minor, const char *name)
{
	struct tsc_open o = { .kind = TTYSCOPE_KIND_PTY };
	struct tsc_session s = { .sid = 100, .pgrp = 100, .uid = 0 };
	struct tsc_winsize ws = { .rows = 24, .cols = 80 };
	uint8_t p[TSC_SESSION_SIZE];
	char node[PATH_MAX];

	snprintf(o.name, sizeof(o.name), "%s", name);
	tsc_rec_encode_open(&o, p);
	device_record(TTYSCOPE_REC_OPEN, major, minor, p, TSC_OPEN_SIZE);
	snprintf(s.comm, sizeof(s.comm), "bash");
	snprintf(s.fg_comm, sizeof(s.fg_comm), "vi");
	tsc_rec_encode_session(&s, p);
	device_record(TTYSCOPE_REC_SESSION, major, minor, p, TSC_SESSION_SIZE);
	tsc_rec_encode_winsize(&ws, p);
	device_record(TTYSCOPE_REC_WINSIZE, major, minor, p, TSC_WINSIZE_SIZE);
	device_record(TTYSCOPE_REC_OUT, major, minor, "$ ls\r\n", 6);
	/* MESSAGE writes to the tty's node: /dev/null here */
	snprintf(node, sizeof(node), "%s/%s", scratch, name);
	FUZZ_ASSERT(symlink("/dev/null", node) == 0);
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	return remove(path) < 0 ? -1 : 0;
}

static void cleanup(void)
{
	nftw(scratch, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Start the daemon's state as main() would, in a scratch directory. */
static void setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(scratch, sizeof(scratch), "%s/tsc-fuzz-daemon-XXXXXX",
		 tmp ? tmp : "/tmp");
	FUZZ_ASSERT(mkdtemp(scratch) != NULL);
	atexit(cleanup);
	scratch_fd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	home_fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	FUZZ_ASSERT(scratch_fd >= 0 && home_fd >= 0);
	FUZZ_ASSERT(fchdir(scratch_fd) == 0);
	FUZZ_ASSERT(mkdir("pts", 0700) == 0);
	setlogmask(LOG_MASK(LOG_EMERG)); /* audit lines go nowhere */
	signal(SIGPIPE, SIG_IGN);

	d.socket_path = "sock";
	d.log_dir = "logs";
	d.name_tmpl = DEFAULT_NAME;
	d.group = "ttyscope";
	d.gid = getgid();
	d.dev_root = scratch;
	d.fake_control = "/dev/null";
	d.catchup_max = 4096;
	d.queue_max = 16384;
	d.dev_fd = -1;
	d.sig_fd = d.timer_fd = -1;
	snprintf(d.host, sizeof(d.host), "fuzz");
	tsc_control_init_fake(&d.ctl, d.fake_control);
	d.listen_fd = listen_socket();
	FUZZ_ASSERT(d.listen_fd >= 0);
	d.start_mono = now_ns(CLOCK_MONOTONIC);
	add_tty(136, 0, "pts/0");
	add_tty(4, 1, "tty1");
}

/* Whether an input would make the daemon open a path outside scratch. */
static bool unsafe(const uint8_t *data, size_t size)
{
	struct tsc_proto_msg m;
	int n;

	for (size_t off = 0;
	     (n = tsc_proto_parse(data + off, size - off, &m)) > 0;
	     off += (size_t)n) {
		const struct tsc_proto_request *q = &m.request;

		if (m.type == TSC_MSG_REQUEST && q->verb == TSC_VERB_ATTACH &&
		    q->len > 0 &&
		    (q->args[0] == '/' || memmem(q->args, q->len, "..", 2)))
			return true;
	}
	return false;
}

/* What the client received so far; each message must parse. */
struct peer {
	int fd;
	uint8_t buf[2 * TSC_REC_MAX_SIZE];
	size_t len;
};

static void peer_read(struct peer *p)
{
	for (;;) {
		ssize_t n = recv(p->fd, p->buf + p->len,
				 sizeof(p->buf) - p->len, MSG_DONTWAIT);
		size_t off = 0;
		struct tsc_proto_msg m;
		int k;

		if (n <= 0)
			return;
		p->len += (size_t)n;
		while ((k = tsc_proto_parse(p->buf + off, p->len - off, &m)) >
		       0)
			off += (size_t)k;
		FUZZ_ASSERT(k == -ENODATA);
		memmove(p->buf, p->buf + off, p->len - off);
		p->len -= off;
	}
}

/* Let the daemon read everything the socket holds, as its loop would. */
static void daemon_read(struct client *c)
{
	int avail;

	while (!c->closing && ioctl(c->fd, FIONREAD, &avail) == 0 &&
	       avail > 0) {
		size_t before = c->in_len;

		client_read(c);
		/* a full buffer always holds a whole record: never stuck */
		FUZZ_ASSERT(c->closing || c->in_len < sizeof(c->in) ||
			    c->in_len != before);
		client_flush(c);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct peer *p;
	struct client *c;
	unsigned int flags;
	size_t chunk;

	if (size < 1 || unsafe(data + 1, size - 1))
		return -1;
	if (!scratch[0])
		setup();
	else
		FUZZ_ASSERT(fchdir(scratch_fd) == 0);
	flags = data[0];
	chunk = 1 + (flags >> 3) * 300;
	data++;
	size--;

	p = calloc(1, sizeof(*p));
	FUZZ_ASSERT(p);
	p->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	FUZZ_ASSERT(p->fd >= 0);
	strcpy(sa.sun_path, d.socket_path);
	FUZZ_ASSERT(connect(p->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	accept_client();
	c = d.clients;
	FUZZ_ASSERT(c && !c->next && !c->closing);
	if (flags & 1)
		c->hello = true;

	while (size > 0 && !c->closing) {
		ssize_t n = send(p->fd, data, size < chunk ? size : chunk,
				 MSG_NOSIGNAL);

		FUZZ_ASSERT(n > 0);
		data += n;
		size -= (size_t)n;
		daemon_read(c);
		if (!(flags & 2))
			peer_read(p);
	}
	if (flags & 4)
		device_record(TTYSCOPE_REC_OUT, 136, 0, "x\r\n", 3);
	client_flush(c);
	if (!(flags & 2))
		peer_read(p);
	client_free(c);
	FUZZ_ASSERT(d.clients == NULL && d.stats.clients == 0);
	close(p->fd);
	free(p);

	/* now and then: fresh logs, so that they do not grow without end */
	if (++runs % 4096 == 0) {
		char logs[PATH_MAX];

		snprintf(logs, sizeof(logs), "%s/logs", scratch);
		nftw(logs, remove_one, 16, FTW_DEPTH | FTW_PHYS);
		reopen_logs();
	}
	FUZZ_ASSERT(fchdir(home_fd) == 0);
	return 0;
}
