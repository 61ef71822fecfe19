// SPDX-License-Identifier: GPL-2.0-only
/*
 * ttyscope export: a session to asciicast v2/v3 or util-linux script's
 * advanced timing format; ttyscope import: asciicast or script recordings
 * (or another ttyscope log) to a ttyscope log.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsc-i18n.h"
#include "ttyscope-cli.h"

static void __attribute__((noreturn)) export_usage(void)
{
	FILE *out = stdout;

	fputs(_("\nUsage:\n"), out);
	fprintf(out, _(" %s export [options] -f <format> <file>\n"),
		PROGRAM_NAME);
	fputs(_("\nConvert a session to another recording format.\n"), out);
	fputs(_("\nOptions:\n"), out);
	fputs(_(" -f, --format <format>      asciicast-v2, asciicast-v3 or script\n"),
	      out);
	fputs(_(" -o, --output <file>        write here (asciicast: default stdout)\n"),
	      out);
	fputs(_(" -t, --timing <file>        script: the timing file to write\n"),
	      out);
	fputs(_(" -i, --input                also export the input (keystrokes)\n"),
	      out);
	fputs(_(" -F, --from <format>        input format: auto, ttyscope, asciicast, script\n"),
	      out);
	fputs(_("     --from-timing <file>   input format script: its timing file\n"),
	      out);
	fputs(_(" -h, --help                 display this help\n"), out);
	fputs(_("\nFor more details see ttyscope(1).\n"), out);
	exit(EXIT_SUCCESS);
}

/* Open an output file for writing (0644 minus umask); prints errors. */
static int open_out(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0)
		tsc_cli_err(_("cannot open"), path, errno);
	return fd;
}

int tsc_cmd_export(int argc, char **argv)
{
	enum { OPT_FROM_TIMING = 0x100 };
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "timing", required_argument, NULL, 't' },
		{ "input", no_argument, NULL, 'i' },
		{ "from", required_argument, NULL, 'F' },
		{ "from-timing", required_argument, NULL, OPT_FROM_TIMING },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tsc_recording s = { 0 };
	struct tsc_export_options opts = { 0 };
	struct tsc_exporter *ex = NULL;
	enum tsc_export_format format = 0;
	enum tsc_in_format from = TSC_IN_AUTO;
	const char *output = NULL, *timing = NULL, *from_timing = NULL;
	char ttypath[TTYSCOPE_NAME_LEN + 8];
	int c, r, fd = -1, out_fd = -1, ret = TSC_EXIT_FAILURE;

	while ((c = getopt_long(argc, argv, "f:o:t:iF:h", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "asciicast-v2")) {
				format = TSC_EXPORT_ASCIICAST_V2;
			} else if (!strcmp(optarg, "asciicast-v3")) {
				format = TSC_EXPORT_ASCIICAST_V3;
			} else if (!strcmp(optarg, "script")) {
				format = TSC_EXPORT_SCRIPT;
			} else {
				fprintf(stderr, _("%s: unknown format '%s'\n"),
					PROGRAM_NAME, optarg);
				return TSC_EXIT_USAGE;
			}
			break;
		case 'o':
			output = optarg;
			break;
		case 't':
			timing = optarg;
			break;
		case 'i':
			opts.flags |= TSC_EXPORT_INPUT;
			break;
		case 'F':
			if (tsc_cli_parse_format(optarg, &from) < 0) {
				fprintf(stderr, _("%s: unknown format '%s'\n"),
					PROGRAM_NAME, optarg);
				return TSC_EXIT_USAGE;
			}
			break;
		case OPT_FROM_TIMING:
			from_timing = optarg;
			break;
		case 'h':
			export_usage();
		default:
			tsc_cli_try_help("export");
			return TSC_EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || !format) {
		if (!format)
			fprintf(stderr, _("%s: no output format given (-f)\n"),
				PROGRAM_NAME);
		else
			fprintf(stderr,
				_("%s: export needs exactly one file\n"),
				PROGRAM_NAME);
		tsc_cli_try_help("export");
		return TSC_EXIT_USAGE;
	}
	if (format == TSC_EXPORT_SCRIPT && (!output || !timing)) {
		fprintf(stderr,
			_("%s: the script format needs --output and --timing\n"),
			PROGRAM_NAME);
		return TSC_EXIT_USAGE;
	}
	if (format != TSC_EXPORT_SCRIPT && timing) {
		fprintf(stderr, _("%s: --timing is for the script format\n"),
			PROGRAM_NAME);
		return TSC_EXIT_USAGE;
	}
	if (tsc_cli_load(argv[optind], from, from_timing, &s) < 0)
		return TSC_EXIT_FAILURE;

	opts.command = s.command;
	if (s.tty) {
		snprintf(ttypath, sizeof(ttypath), "/dev/%s", s.tty);
		opts.tty = ttypath;
	}
	if (format == TSC_EXPORT_SCRIPT) {
		fd = open_out(timing, 0644);
		if (fd < 0)
			goto out;
		out_fd = open_out(output, 0644);
		if (out_fd < 0)
			goto out;
	} else if (output) {
		fd = open_out(output, 0644);
		if (fd < 0)
			goto out;
	}
	r = tsc_exporter_new(
		format, &opts, fd >= 0 ? fd : STDOUT_FILENO, out_fd,
		(opts.flags & TSC_EXPORT_INPUT) && out_fd >= 0 ? out_fd : -1,
		&ex);
	for (size_t i = 0; r >= 0 && i < s.n; i++)
		r = tsc_exporter_add(ex, &s.recs[i]);
	if (r >= 0)
		r = tsc_exporter_finish(ex);
	if (r < 0) {
		tsc_cli_err(_("cannot export to"),
			    output ? output : _("standard output"), -r);
		goto out;
	}
	ret = EXIT_SUCCESS;
out:
	tsc_exporter_free(ex);
	if (fd >= 0 && close(fd) < 0 && ret == EXIT_SUCCESS) {
		tsc_cli_err(_("write error"), timing ? timing : output, errno);
		ret = TSC_EXIT_FAILURE;
	}
	if (out_fd >= 0 && close(out_fd) < 0 && ret == EXIT_SUCCESS) {
		tsc_cli_err(_("write error"), output, errno);
		ret = TSC_EXIT_FAILURE;
	}
	tsc_recording_free(&s);
	return ret;
}

static void __attribute__((noreturn)) import_usage(void)
{
	FILE *out = stdout;

	fputs(_("\nUsage:\n"), out);
	fprintf(out, _(" %s import [options] -o <log> <file>\n"), PROGRAM_NAME);
	fputs(_("\nConvert an asciicast or script recording to a ttyscope log.\n"),
	      out);
	fputs(_("\nOptions:\n"), out);
	fputs(_(" -o, --output <log>       the ttyscope log to write\n"), out);
	fputs(_(" -F, --format <format>    auto, ttyscope, asciicast or script\n"),
	      out);
	fputs(_(" -t, --timing <file>      format script: the timing file\n"),
	      out);
	fputs(_(" -z, --zstd               compress the log\n"), out);
	fputs(_(" -h, --help               display this help\n"), out);
	fputs(_("\nFor more details see ttyscope(1).\n"), out);
	exit(EXIT_SUCCESS);
}

int tsc_cmd_import(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'F' },
		{ "timing", required_argument, NULL, 't' },
		{ "zstd", no_argument, NULL, 'z' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tsc_recording s = { 0 };
	struct tsc_log_writer_options wopts = { 0 };
	struct tsc_log_meta meta = { .uid = TTYSCOPE_UID_UNSET };
	struct tsc_log_writer *w = NULL;
	struct tsc_open open_rec;
	enum tsc_in_format from = TSC_IN_AUTO;
	const char *output = NULL, *timing = NULL;
	int c, r, fd, ret = TSC_EXIT_FAILURE;

	while ((c = getopt_long(argc, argv, "o:F:t:zh", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'F':
			if (tsc_cli_parse_format(optarg, &from) < 0) {
				fprintf(stderr, _("%s: unknown format '%s'\n"),
					PROGRAM_NAME, optarg);
				return TSC_EXIT_USAGE;
			}
			break;
		case 't':
			timing = optarg;
			break;
		case 'z':
			wopts.flags |= TSC_LOG_ZSTD;
			break;
		case 'h':
			import_usage();
		default:
			tsc_cli_try_help("import");
			return TSC_EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || !output) {
		if (!output)
			fprintf(stderr, _("%s: no output log given (-o)\n"),
				PROGRAM_NAME);
		else
			fprintf(stderr,
				_("%s: import needs exactly one file\n"),
				PROGRAM_NAME);
		tsc_cli_try_help("import");
		return TSC_EXIT_USAGE;
	}
	if (tsc_cli_load(argv[optind], from, timing, &s) < 0)
		return TSC_EXIT_FAILURE;

	/* the header: what the recording says about itself */
	meta.start_ns = s.n ? s.recs[0].hdr.ts_ns : 0;
	if (s.have_meta) {
		meta.uid = s.uid;
		meta.start_ns = s.start_ns;
		meta.host = s.host;
		meta.user = s.user;
		meta.tty = s.tty;
	}
	for (size_t i = 0; i < s.n && !meta.tty; i++)
		if (s.recs[i].hdr.type == TTYSCOPE_REC_OPEN &&
		    tsc_rec_decode_open(&s.recs[i], &open_rec) == 0 &&
		    open_rec.name[0])
			meta.tty = open_rec.name;
	if (s.n) {
		meta.major = s.recs[0].hdr.major;
		meta.minor = s.recs[0].hdr.minor;
	}

	fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		tsc_cli_err(_("cannot open"), output, errno);
		goto out;
	}
	r = tsc_log_writer_new(fd, &meta, &wopts, &w);
	for (size_t i = 0; r >= 0 && i < s.n; i++)
		r = tsc_log_writer_append(w, &s.recs[i].hdr, s.recs[i].payload);
	if (r >= 0)
		r = tsc_log_writer_finish(w);
	if (r >= 0 && close(fd) < 0)
		r = -errno;
	else if (r < 0)
		close(fd);
	if (r < 0) {
		tsc_cli_err(_("cannot write log"), output, -r);
		goto out;
	}
	ret = EXIT_SUCCESS;
out:
	tsc_log_writer_free(w);
	tsc_recording_free(&s);
	return ret;
}
