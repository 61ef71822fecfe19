/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libttyscope: the userspace library shared by ttyscoped, ttyscope and
 * ttyscope-gui.
 *
 *   tsc-record.h  record codec (header validation, payload decode/encode)
 *   tsc-reader.h  stream reader over any fd (/dev/rpl, sockets, files)
 *   tsc-log.h     log files (writer, reader, zstd frames, index, seek)
 *   tsc-replay.h  replay scheduler (speed, max delay, pause, step, seek,
 *                 delay-overhead correction)
 *   tsc-export.h  asciicast v2/v3 and util-linux script export and import
 *   tsc-client.h  client of ttyscoped's socket (tsc-proto.h: its messages)
 *   tsc-recording.h  a session in memory: load any format, find times and
 *                 text, restart points for backward seeks
 *   tsc-text.h    untrusted names as printable text or JSON
 *
 * Conventions: functions return 0 (or a count) on success and a negative
 * errno on failure; ret_ out-parameters are set only on success; objects
 * are opaque and freed by *_free(), which accepts NULL; the library never
 * prints. Times are uint64_t nanoseconds.
 */
#ifndef TTYSCOPE_LIB_H
#define TTYSCOPE_LIB_H

#include "tsc-client.h"
#include "tsc-export.h"
#include "tsc-log.h"
#include "tsc-reader.h"
#include "tsc-record.h"
#include "tsc-recording.h"
#include "tsc-replay.h"
#include "tsc-ring.h"
#include "tsc-text.h"

#endif /* TTYSCOPE_LIB_H */
