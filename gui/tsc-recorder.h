/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * TscRecorder: the logs ttyscope-gui writes of what it watches
 * (--record DIR), in the log format of docs/FORMAT.md, one file per tty
 * session: DIR/HOST/USER/YYYYmmdd.HHMMSS.TTY (local time of the OPEN).
 *
 * A source's reader thread records; the main thread adds the operator's
 * markers (MARK records); a lock keeps them apart.
 * A session seen again after a reconnection continues its log: records
 * already written (by sequence number) are skipped.
 */
#ifndef TSC_RECORDER_H
#define TSC_RECORDER_H

#include <glib.h>

#include "tsc-record.h"

G_BEGIN_DECLS

typedef struct _TscRecorder TscRecorder;

/* Key of a tty in tables: major in the upper 32 bits. */
#define TSC_TTY_KEY(major, minor) (((guint64)(major) << 32) | (minor))

TscRecorder *tsc_recorder_new(const char *dir, const char *host);
void tsc_recorder_set_host(TscRecorder *rec, const char *host);
void tsc_recorder_set_user(TscRecorder *rec, guint32 uid, const char *name);
int tsc_recorder_record(TscRecorder *rec, const struct tsc_rec *r);
int tsc_recorder_mark(TscRecorder *rec, const struct tsc_rec *r);
void tsc_recorder_retain(TscRecorder *rec, GHashTable *live);
void tsc_recorder_free(TscRecorder *rec);

G_END_DECLS

#endif /* TSC_RECORDER_H */
