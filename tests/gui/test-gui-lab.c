// SPDX-License-Identifier: GPL-2.0-only
/*
 * ttyscope-gui against the daemon of a lab guest (tests/vm/lab-gui boots
 * it): the real application, connected through the guest's virtio port
 * with `ttyscope --socket SOCK stream`, watching a student that the
 * guest's typist (tests/vm/demo/typist.c) types for, as the test asks
 * over a second port that also carries back what the student's terminal
 * shows. Checks, on the guest side and in the GUI:
 *   - the session is listed with its user and host as the guest names
 *     them, and its command; its terminal shows what the student typed
 *     and what the shell answered;
 *   - Block: what the student types next never reaches the shell (no echo,
 *     no output in the guest; the daemon's records are IN_DROPPED);
 *   - Take Over: a command typed in the GUI's view runs in the shell.
 *
 * Environment: TSC_LAB_DIR (holds ttyscope.sock and typist.sock, the host
 * ends of the ports), TTYSCOPE (the command line tool), TSC_SHOT_DIR.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "gui-test.h"
#include "tsc-log.h"

/* the guest runs under TCG: generous */
#define TIMEOUT_S 90

struct fixture {
	TscApplication *app;
	TscWindow *win;
	char *record_dir;
	int typist; /* the typist's port */
	GString *guest; /* everything the student's terminal showed */
};

/* ---- the guest's typist ------------------------------------------------------ */

static int typist_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	g_assert_cmpint(fd, >=, 0);
	g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		g_error("connect %s: %s", path, g_strerror(errno));
	g_assert_cmpint(fcntl(fd, F_SETFL, O_NONBLOCK), ==, 0);
	return fd;
}

/* Collect what the student's terminal showed since the last call. */
static void guest_poll(struct fixture *fx)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(fx->typist, buf, sizeof(buf))) > 0)
		g_string_append_len(fx->guest, buf, n);
	if (n == 0)
		g_error("the typist's port closed");
}

static gboolean guest_has(struct fixture *fx, const char *text)
{
	guest_poll(fx);
	return strstr(fx->guest->str, text) != NULL;
}

/* The student types @text (typist escapes: \r for Return). */
static void student_types(struct fixture *fx, const char *text)
{
	g_autofree char *req = g_strdup_printf("type %s\n", text);

	g_assert_cmpint(write(fx->typist, req, strlen(req)), ==, strlen(req));
}

/* ---- widgets --------------------------------------------------------------------- */

static TscSession *find_user(struct fixture *fx, const char *user)
{
	g_autoptr(GList) list = tsc_window_get_sessions(fx->win);

	for (GList *l = list; l; l = l->next)
		if (!g_strcmp0(tsc_session_get_user(l->data), user) &&
		    tsc_session_get_state(l->data) != TSC_SESSION_CLOSED)
			return l->data;
	return NULL;
}

static gboolean term_has(TscTerminal *t, const char *text)
{
	g_autofree char *have = tsc_terminal_dup_text(t);

	return strstr(have, text) != NULL;
}

/* ---- the records the GUI wrote (--record) --------------------------------------- */

static gboolean path_has(const char *path, const char *part)
{
	return strstr(path, part) != NULL;
}

/* The payloads of the records of @type in the log, one after the other. */
static char *log_payloads(const char *dir, unsigned int type)
{
	/* the log of student7's session, below the guest's host name */
	g_autofree char *path = gt_find_file(dir, path_has, "/lab/student7/");
	struct tsc_log_reader *lr;
	struct tsc_rec rec;
	GString *s = g_string_new(NULL);
	int fd, r;

	g_assert_nonnull(path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(tsc_log_reader_new(fd, &lr), ==, 0);
	while ((r = tsc_log_reader_next(lr, &rec)) == 1) {
		if (rec.hdr.type != type)
			continue;
		if (type == TTYSCOPE_REC_INJECT) {
			struct tsc_inject inj;

			g_assert_cmpint(tsc_rec_decode_inject(&rec, &inj), ==,
					0);
			g_string_append_len(s, (const char *)inj.data, inj.len);
		} else {
			g_string_append_len(s, (const char *)rec.payload,
					    rec.hdr.len);
		}
	}
	g_assert_cmpint(r, ==, 0);
	tsc_log_reader_free(lr);
	close(fd);
	return g_string_free(s, FALSE);
}

/* ---- the test ----------------------------------------------------------------------- */

static void lab_body(gpointer data)
{
	struct fixture *fx = data;
	static const char before[] = "echo lab-$((6*7))-ok";
	static const char blocked[] = "echo blocked-$((1+1))-x";
	static const char after[] = "echo after-$((2+3))";
	static const char operator[] = "echo tk$((40+2))";
	TscSession *s;
	TscSessionView *view;
	TscTerminal *term;
	GtkWidget *vw;
	guint64 bytes;

	/*
	 * The student's session is listed with its user and command. The
	 * user and the host are named by the guest's daemon: this machine
	 * has no student7, and the source is a command line.
	 */
	WAIT_FOR((s = find_user(fx, "student7")) != NULL, "student7's session");
	WAIT_FOR(!g_strcmp0(tsc_session_get_command(s), "sh"),
		 "its command sh");
	g_assert_cmpstr(tsc_session_get_host(s), ==, "lab");
	g_assert_cmpint(tsc_session_get_state(s), ==, TSC_SESSION_LIVE);
	view = tsc_window_open_session(fx->win, s);
	vw = GTK_WIDGET(view);
	term = tsc_session_view_get_terminal(view);
	WAIT_FOR(term_has(term, "student7@lab:~$"), "the prompt in the view");

	/* what the student types shows, and the shell runs it */
	student_types(fx, "echo lab-$((6*7))-ok\\r");
	WAIT_FOR(guest_has(fx, "\r\nlab-42-ok\r\n"), "the shell's answer");
	WAIT_FOR(term_has(term, before) && term_has(term, "\nlab-42-ok\n"),
		 "the typed command and its output in the view");

	/* Block: the student's typing is discarded before the shell */
	gt_click(vw, "block-button");
	WAIT_FOR(tsc_session_get_state(s) == TSC_SESSION_BLOCKED,
		 "the kernel's PASS 0");
	bytes = tsc_session_get_bytes(s);
	student_types(fx, "echo blocked-$((1+1))-x\\r");
	/* every key arrives as a dropped input record */
	WAIT_FOR(tsc_session_get_bytes(s) >= bytes + strlen(blocked) + 1,
		 "the dropped input");
	gt_settle(1500);
	g_assert_cmpuint(tsc_session_get_bytes(s), ==,
			 bytes + strlen(blocked) + 1);
	guest_poll(fx);
	g_assert_null(strstr(fx->guest->str, "blocked-"));
	g_assert_false(term_has(term, "blocked-"));
	gt_shot("gui-lab-blocked.png");

	gt_click(vw, "block-button");
	WAIT_FOR(tsc_session_get_state(s) == TSC_SESSION_LIVE,
		 "the kernel's PASS 1");
	student_types(fx, "echo after-$((2+3))\\r");
	WAIT_FOR(guest_has(fx, "\r\nafter-5\r\n"), "the shell's answer");
	/* the line the shell got is the new one, nothing of the blocked one */
	g_assert_nonnull(strstr(fx->guest->str, after));
	g_assert_null(strstr(fx->guest->str, "blocked-"));

	/* Take Over: the operator's keys run a command in the shell */
	gt_click(vw, "take-over-button");
	g_assert_true(tsc_session_view_get_take_over(view));
	gtk_widget_grab_focus(GTK_WIDGET(term));
	for (const char *c = operator; *c; c++) {
		gt_key(GTK_WIDGET(term), gdk_unicode_to_keyval((guchar)*c));
		gt_settle(30);
	}
	gt_key(GTK_WIDGET(term), GDK_KEY_Return);
	gt_settle(30);
	WAIT_FOR(guest_has(fx, "\r\ntk42\r\n"),
		 "the injected command's output");
	WAIT_FOR(term_has(term, operator) && term_has(term, "\ntk42\n"),
		 "the injected command in the view");
	gt_click(vw, "take-over-button");
	g_assert_false(tsc_session_view_get_take_over(view));
	gt_shot("gui-lab.png");

	/* the daemon's records, as the GUI wrote them down */
	g_autofree char *in = log_payloads(fx->record_dir, TTYSCOPE_REC_IN);
	g_autofree char *dropped =
		log_payloads(fx->record_dir, TTYSCOPE_REC_IN_DROPPED);
	g_autofree char *injected =
		log_payloads(fx->record_dir, TTYSCOPE_REC_INJECT);
	g_autofree char *want_in = g_strdup_printf("%s\r%s\r", before, after);
	g_autofree char *want_dropped = g_strdup_printf("%s\r", blocked);
	g_autofree char *want_injected = g_strdup_printf("%s\r", operator);

	g_assert_cmpstr(in, ==, want_in);
	g_assert_cmpstr(dropped, ==, want_dropped);
	g_assert_cmpstr(injected, ==, want_injected);

	/* done: the guest powers off (tests/vm/lab-gui) */
	g_assert_cmpint(write(fx->typist, "exit\n", 5), ==, 5);
}

static void test_lab(void)
{
	struct fixture fx = { 0 };
	const char *dir = g_getenv("TSC_LAB_DIR");
	const char *ttyscope = g_getenv("TTYSCOPE");
	g_autofree char *tmp = g_dir_make_tmp("ttyscope-gui-lab-XXXXXX", NULL);
	g_autofree char *typist = NULL, *sock = NULL, *cmd = NULL;

	if (!dir || !ttyscope)
		g_error("TSC_LAB_DIR and TTYSCOPE must be set (tests/vm/lab-gui)");
	typist = g_build_filename(dir, "typist.sock", NULL);
	sock = g_build_filename(dir, "ttyscope.sock", NULL);
	fx.record_dir = g_build_filename(tmp, "record", NULL);
	fx.guest = g_string_new(NULL);
	fx.typist = typist_connect(typist);
	cmd = g_strdup_printf("%s --socket %s stream", ttyscope, sock);
	gt_run_app(&fx.app, &fx.win, lab_body, &fx,
		   (const char *const[]){ "--command", cmd, "--record",
					  fx.record_dir, NULL });
	close(fx.typist);
	g_string_free(fx.guest, TRUE);
	gt_rm_rf(tmp);
	g_free(fx.record_dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	gtk_init(&argc, &argv);
	g_test_add_func("/gui/lab", test_lab);
	return g_test_run();
}
