/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Answer-back filter: removes from a replayed output stream the control
 * sequences that make a terminal send something back (as if typed), so
 * replaying a log never types into the replaying shell. Removed: ENQ,
 * DECID (ESC Z), every DSR (CSI ... n), DA1/DA2/DA3 (CSI c, CSI > c,
 * CSI = c), DECREQTPARM (CSI x), DECRQM (CSI ... $ p), XTVERSION
 * (CSI > q), kitty keyboard query (CSI ? u), window reports (CSI 11..21 t),
 * DECRQSS (DCS $ q) and XTGETTCAP (DCS + q), and OSC queries (any
 * parameter that is "?": OSC 4/10/11/12/52 ... ; ?).
 *
 * The filter is a byte-stream state machine, so a sequence split across
 * records is still recognized; everything else passes unchanged, in order.
 */
#ifndef TSC_ABFILTER_H
#define TSC_ABFILTER_H

#include <stddef.h>
#include <stdint.h>

/* Longest sequence held back; a longer one is passed through as is. */
#define TSC_ABFILTER_MAX 4096u

struct tsc_abfilter {
	int state;
	size_t len;
	uint8_t buf[TSC_ABFILTER_MAX];
};

void tsc_abfilter_init(struct tsc_abfilter *f);
size_t tsc_abfilter_feed(struct tsc_abfilter *f, const uint8_t *in, size_t len,
			 uint8_t *out);
size_t tsc_abfilter_flush(struct tsc_abfilter *f, uint8_t *out);

#endif /* TSC_ABFILTER_H */
