/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ttyscope, the command line tool: what its subcommands share.
 *
 * A session is loaded whole into memory (libttyscope's struct
 * tsc_recording, freed with tsc_recording_free()) from a
 * ttyscope log, an asciicast file or a script recording, so that replay
 * can seek both ways and export/import are one loop over an array.
 */
#ifndef TTYSCOPE_CLI_H
#define TTYSCOPE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ttyscope.h"

#define PROGRAM_NAME "ttyscope"

/* Exit codes: 0 success, 1 failure, 2 usage error (like grep, diff). */
#define TSC_EXIT_FAILURE 1
#define TSC_EXIT_USAGE 2

/* Input formats of a session file. */
enum tsc_in_format {
	TSC_IN_AUTO = 0,
	TSC_IN_TTYSCOPE,
	TSC_IN_ASCIICAST,
	TSC_IN_SCRIPT,
};

int tsc_cli_parse_format(const char *arg, enum tsc_in_format *ret);
int tsc_cli_load(const char *path, enum tsc_in_format format,
		 const char *timing, struct tsc_recording *s);
int tsc_cli_parse_time(const char *arg, uint64_t *ret_ns);
int tsc_cli_parse_size(const char *arg, uint64_t *ret);
int tsc_cli_write_all(int fd, const void *buf, size_t len);
void tsc_cli_err(const char *what, const char *path, int err);
void tsc_cli_try_help(const char *cmd);

/* Plain-text conversion state (replay --text, logs --grep). */
struct text_strip {
	int state;
	bool cr;
};

size_t text_strip(struct text_strip *t, const uint8_t *in, size_t len,
		  uint8_t *out);

int tsc_cmd_replay(int argc, char **argv);
int tsc_cmd_export(int argc, char **argv);
int tsc_cmd_import(int argc, char **argv);
int tsc_cmd_logs(int argc, char **argv);

void tsc_cli_json_str(const char *s);

/*
 * The daemon the live commands talk to, from the global options
 * (ttyscope.c): its socket, or a command that carries the protocol.
 */
#define TSC_DEFAULT_SOCKET "/run/ttyscope/ttyscope.sock"

struct tsc_cli_daemon {
	const char *socket; /* --socket, else $TTYSCOPE_SOCKET, else default */
	bool socket_option; /* given with --socket (passed on to -H's host) */
	const char *remote; /* --remote: a shell command */
	const char *host; /* -H: "ssh -T HOST ttyscope stream" */
};

extern struct tsc_cli_daemon tsc_cli_daemon;

struct tsc_client;
struct tsc_proto_tty;

int tsc_cli_connect(struct tsc_client **ret_client);
void tsc_cli_lost(int err);
int tsc_cli_resolve_tty(struct tsc_client *c, const char *arg,
			struct tsc_proto_tty *ret_tty);
const char *tsc_cli_user_name(const struct tsc_client *c, uint32_t uid,
			      char *buf, size_t size);

/* Commands that talk to the daemon (ttyscope-live.c, ttyscope-watch.c). */
int tsc_cmd_list(int argc, char **argv);
int tsc_cmd_stats(int argc, char **argv);
int tsc_cmd_block(int argc, char **argv);
int tsc_cmd_unblock(int argc, char **argv);
int tsc_cmd_inject(int argc, char **argv);
int tsc_cmd_hangup(int argc, char **argv);
int tsc_cmd_message(int argc, char **argv);
int tsc_cmd_attach(int argc, char **argv);
int tsc_cmd_detach(int argc, char **argv);
int tsc_cmd_stream(int argc, char **argv);
int tsc_cmd_watch(int argc, char **argv);

#endif /* TTYSCOPE_CLI_H */
