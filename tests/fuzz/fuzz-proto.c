// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the protocol codec (common/tsc-proto.c) on a byte
 * stream as a client or the daemon would receive it.
 *
 * Each message is parsed with tsc_proto_parse() until the bytes run out
 * or are rejected; LIST and STATS reply data are decoded too. Invariants:
 * a parsed message lies within the bytes; HELLO, REQUEST, REPLY, SYNC,
 * USER and HOST encode back to exactly the bytes they came from (HELLO,
 * USER and HOST: apart from the header fields they do not carry, and
 * HELLO's reserved field), and LIST entries and STATS blocks decode and encode to
 * a fixed point.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "tsc-proto.h"

static uint8_t buf[TSC_REC_MAX_SIZE];

/* Re-encode a parsed message and compare with its bytes. */
static void round_trip(const struct tsc_proto_msg *m, size_t n)
{
	const struct tsc_rec_hdr *h = &m->rec.hdr;
	int r = -1;

	switch (m->type) {
	case TSC_MSG_HELLO:
		r = tsc_proto_encode_hello(&m->hello, h->ts_ns, buf,
					   sizeof(buf));
		FUZZ_ASSERT(r == (int)n);
		/* the header fields other than ts_ns are not carried */
		FUZZ_ASSERT(!memcmp(buf + 40, m->rec.raw + 40, 12) &&
			    !memcmp(buf + 56, m->rec.raw + 56, n - 56));
		return;
	case TSC_MSG_USER:
		r = tsc_proto_encode_user(&m->user, h->ts_ns, buf, sizeof(buf));
		FUZZ_ASSERT(r == (int)n);
		FUZZ_ASSERT(!memcmp(buf + 40, m->rec.raw + 40, n - 40));
		return;
	case TSC_MSG_HOST:
		r = tsc_proto_encode_host(&m->host, h->ts_ns, buf, sizeof(buf));
		FUZZ_ASSERT(r == (int)n);
		FUZZ_ASSERT(!memcmp(buf + 40, m->rec.raw + 40, n - 40));
		return;
	case TSC_MSG_REQUEST:
		r = tsc_proto_encode_request(&m->request, h->ts_ns, buf,
					     sizeof(buf));
		break;
	case TSC_MSG_REPLY:
		r = tsc_proto_encode_reply(&m->reply, h->ts_ns, buf,
					   sizeof(buf));
		break;
	case TSC_MSG_SYNC:
		r = tsc_proto_encode_sync(h->major, h->minor, h->seq, h->ts_ns,
					  buf, sizeof(buf));
		break;
	default:
		return;
	}
	FUZZ_ASSERT(r == (int)n);
	/* REQUEST and SYNC carry no flags */
	if (m->type != TSC_MSG_REPLY)
		memcpy(buf + 8, m->rec.raw + 8, 4);
	FUZZ_ASSERT(!memcmp(buf, m->rec.raw, n));
}

/* Decode LIST entries and STATS, and encode them again. */
static void reply_data(const struct tsc_proto_reply *q)
{
	uint8_t again[TSC_PROTO_TTY_SIZE], again2[TSC_PROTO_TTY_SIZE];
	uint8_t sbuf[TSC_PROTO_STATS_SIZE];
	struct tsc_proto_tty t, t2;
	struct tsc_proto_stats s, s2;
	size_t off;

	if (q->verb == TSC_VERB_LIST) {
		for (off = 0; off + TSC_PROTO_TTY_SIZE <= q->len;
		     off += TSC_PROTO_TTY_SIZE) {
			FUZZ_ASSERT(tsc_proto_decode_tty(q->data + off,
							 q->len - off,
							 &t) == 0);
			FUZZ_ASSERT(strlen(t.name) <= TTYSCOPE_NAME_LEN &&
				    strlen(t.comm) <= TTYSCOPE_COMM_LEN);
			/* decoding and encoding reach a fixed point */
			tsc_proto_encode_tty(&t, again);
			FUZZ_ASSERT(tsc_proto_decode_tty(again, sizeof(again),
							 &t2) == 0);
			tsc_proto_encode_tty(&t2, again2);
			FUZZ_ASSERT(!memcmp(again, again2, sizeof(again)));
		}
		FUZZ_ASSERT(tsc_proto_decode_tty(q->data + off, q->len - off,
						 &t) == -EBADMSG);
	} else if (q->verb == TSC_VERB_STATS &&
		   tsc_proto_decode_stats(q->data, q->len, &s) == 0) {
		tsc_proto_encode_stats(&s, sbuf);
		FUZZ_ASSERT(tsc_proto_decode_stats(sbuf, sizeof(sbuf), &s2) ==
			    0);
		s.reserved = s2.reserved = 0;
		FUZZ_ASSERT(!memcmp(&s, &s2, sizeof(s)));
	}
	FUZZ_ASSERT(q->verb == 0 || tsc_proto_verb_name(q->verb) == NULL ||
		    tsc_proto_verb_from_name(tsc_proto_verb_name(q->verb)) ==
			    (int)q->verb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	while (off < size) {
		struct tsc_proto_msg m;
		int n = tsc_proto_parse(data + off, size - off, &m);

		if (n < 0) {
			FUZZ_ASSERT(n == -ENODATA || n == -EBADMSG);
			break;
		}
		FUZZ_ASSERT(n >= (int)TSC_REC_HDR_SIZE &&
			    (size_t)n <= size - off);
		FUZZ_ASSERT(m.rec.raw == data + off);
		round_trip(&m, (size_t)n);
		if (m.type == TSC_MSG_REPLY)
			reply_data(&m.reply);
		off += (size_t)n;
	}
	return 0;
}
