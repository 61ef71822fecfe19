/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libttyscope interchange: export a session's records to asciicast v2, v3
 * or util-linux script's advanced timing format, and import those formats
 * (and script's classic timing) as records that play through the same
 * replay scheduler.
 *
 * Export maps OUT to output events, IN and INJECT to input events (only
 * with TSC_EXPORT_INPUT), WINSIZE to resize events; other records are
 * skipped. Import produces OPEN, WINSIZE, OUT, IN and CLOSE records.
 *
 * asciicast strings must be valid UTF-8: the exporter keeps well-formed
 * UTF-8 (also when a character is split across records) and replaces each
 * maximal ill-formed subsequence by U+FFFD, so export and import are
 * lossless for output that is valid UTF-8. The script format carries raw
 * bytes and is lossless for all of them. Times are kept to the
 * microsecond.
 */
#ifndef TSC_EXPORT_H
#define TSC_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "tsc-record.h"

enum tsc_export_format {
	TSC_EXPORT_ASCIICAST_V2 = 1,
	TSC_EXPORT_ASCIICAST_V3,
	TSC_EXPORT_SCRIPT,
};

/*
 * Export flags.
 * TSC_EXPORT_INPUT: export IN and INJECT records as input events.
 * TSC_EXPORT_EXIT_STATUS: @exit_status is known: asciicast v3 gets an "x"
 *	event, script an EXIT_CODE header line.
 */
#define TSC_EXPORT_INPUT (1u << 0)
#define TSC_EXPORT_EXIT_STATUS (1u << 1)

/**
 * struct tsc_export_options - what to export (a zeroed struct is the default)
 * @flags: TSC_EXPORT_* flags
 * @cols: initial width if no WINSIZE precedes the first event; 0: 80
 * @rows: initial height likewise; 0: 24
 * @start_ns: time 0 of the recording; 0: ts_ns of the first record
 * @title: asciicast title, or NULL
 * @command: the recorded command, or NULL
 * @term: terminal type (TERM), or NULL
 * @tty: tty path for script's TTY header ("/dev/pts/3"), or NULL
 * @exit_status: see %TSC_EXPORT_EXIT_STATUS
 */
struct tsc_export_options {
	unsigned int flags;
	uint16_t cols;
	uint16_t rows;
	uint64_t start_ns;
	const char *title;
	const char *command;
	const char *term;
	const char *tty;
	int exit_status;
};

struct tsc_exporter;

int tsc_exporter_new(enum tsc_export_format format,
		     const struct tsc_export_options *opts, int fd, int out_fd,
		     int in_fd, struct tsc_exporter **ret_exporter);
int tsc_exporter_add(struct tsc_exporter *exporter, const struct tsc_rec *rec);
int tsc_exporter_finish(struct tsc_exporter *exporter);
void tsc_exporter_free(struct tsc_exporter *exporter);

/* Receives each imported record; a negative return stops the import. */
typedef int (*tsc_rec_sink_fn)(void *userdata, const struct tsc_rec *rec);

/**
 * struct tsc_import_options - how to import (a zeroed struct is the default)
 * @major: device major for the records
 * @minor: device minor for the records
 * @tty: name for the OPEN record ("pts/3"); NULL: the recording's, if any
 * @start_ns: CLOCK_REALTIME of the start if the recording gives none
 */
struct tsc_import_options {
	uint32_t major;
	uint32_t minor;
	const char *tty;
	uint64_t start_ns;
};

/**
 * struct tsc_import_info - what an import did
 * @records: records passed to the sink
 * @line: line of the timing or asciicast file being processed; on an
 *	-EBADMSG error, the offending line (1-based)
 */
struct tsc_import_info {
	uint64_t records;
	uint64_t line;
};

int tsc_import_asciicast(int fd, const struct tsc_import_options *opts,
			 tsc_rec_sink_fn sink, void *userdata,
			 struct tsc_import_info *info);
int tsc_import_script(int timing_fd, int out_fd, int in_fd,
		      const struct tsc_import_options *opts,
		      tsc_rec_sink_fn sink, void *userdata,
		      struct tsc_import_info *info);

#endif /* TSC_EXPORT_H */
