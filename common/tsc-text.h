/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libttyscope text from untrusted sources for people and for JSON: command
 * names are whatever a process says, user and host names come from the
 * watched machine, log fields from any file.
 */
#ifndef TSC_TEXT_H
#define TSC_TEXT_H

#include <stddef.h>

char *tsc_text_printable(const char *s, char *buf, size_t size);
char *tsc_text_json(const char *s);

#endif /* TSC_TEXT_H */
