/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libttyscope recordings: a whole session in memory, for players that
 * seek in both directions and search (ttyscope-gui's replay view).
 *
 * A recording is loaded from a ttyscope log, an asciicast file or a
 * util-linux script recording (through the importers of tsc-export.h), or
 * from a stream of records in memory (a live session's recent past). It
 * keeps every record in order, with copies of the payloads.
 *
 * Seeking backward on a terminal means drawing again from a state the
 * terminal can be put in: a reset terminal. tsc_recording_restart() finds
 * the nearest earlier record where the output itself resets the terminal
 * (RIS, "ESC c"), so that a player resets, applies the window size in
 * force there and feeds the output from that record on, instead of from
 * the very start. The same escape-sequence parser gives plain text for
 * searching (tsc_text_strip()).
 */
#ifndef TSC_RECORDING_H
#define TSC_RECORDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tsc-record.h"

/* Formats a recording is loaded from. */
enum tsc_recording_format {
	TSC_RECORDING_AUTO = 0,
	TSC_RECORDING_LOG,
	TSC_RECORDING_ASCIICAST,
	TSC_RECORDING_SCRIPT,
};

/**
 * struct tsc_recording - a session in memory (zero it before first use)
 * @recs: the records in order; each payload is owned by the recording,
 *	@raw is NULL
 * @n: number of records
 * @cap: allocated records
 * @have_meta: the log header's fields below are set (logs only)
 * @uid: uid of the user the log belongs to
 * @start_ns: when the capture started
 * @host: host name, or NULL
 * @tty: tty name ("pts/3"), or NULL
 * @user: user name, or NULL
 * @command: the header's "command" field, or NULL
 */
struct tsc_recording {
	struct tsc_rec *recs;
	size_t n;
	size_t cap;
	bool have_meta;
	uint32_t uid;
	uint64_t start_ns;
	char *host;
	char *tty;
	char *user;
	char *command;
};

/**
 * struct tsc_recording_error - where loading failed (-EBADMSG)
 * @format: the format the file was read as
 * @header: a log whose header is invalid (not a log, or a newer format)
 * @offset: byte offset of the malformed record or frame (logs)
 * @line: 1-based line of the malformed event (asciicast, script timing)
 */
struct tsc_recording_error {
	enum tsc_recording_format format;
	bool header;
	uint64_t offset;
	uint64_t line;
};

/* Plain-text conversion state; zero it to start. */
struct tsc_text_strip {
	int state;
	bool cr;
	uint64_t resets; /* terminal resets (RIS) seen so far */
};

enum tsc_recording_format tsc_recording_sniff(int fd);
int tsc_recording_load(struct tsc_recording *rec, int fd, int timing_fd,
		       enum tsc_recording_format format,
		       struct tsc_recording_error *ret_error);
int tsc_recording_load_stream(struct tsc_recording *rec, const void *buf,
			      size_t len);
int tsc_recording_push(struct tsc_recording *rec, const struct tsc_rec *r);
void tsc_recording_free(struct tsc_recording *rec);

uint64_t tsc_recording_first_ts(const struct tsc_recording *rec);
uint64_t tsc_recording_last_ts(const struct tsc_recording *rec);
size_t tsc_recording_find_time(const struct tsc_recording *rec, uint64_t ts_ns);
size_t tsc_recording_restart(const struct tsc_recording *rec, size_t index);
ssize_t tsc_recording_search(const struct tsc_recording *rec, size_t from,
			     const char *needle);

size_t tsc_text_strip(struct tsc_text_strip *t, const uint8_t *in, size_t len,
		      uint8_t *out);

#endif /* TSC_RECORDING_H */
