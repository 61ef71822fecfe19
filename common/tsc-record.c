// SPDX-License-Identifier: GPL-2.0-only
/*
 * Record codec: header validation by the rules of docs/FORMAT.md, payload
 * decoders and encoders. Everything is bounds-checked against the sizes the
 * format defines; nothing here allocates or does I/O.
 */
#include <errno.h>

#include "tsc-private.h"
#include "tsc-record.h"

_Static_assert(sizeof(struct ttyscope_rec) == TSC_REC_HDR_SIZE,
	       "record header size");
_Static_assert(sizeof(struct ttyscope_rec_open) == TSC_OPEN_SIZE, "open");
_Static_assert(sizeof(struct ttyscope_rec_winsize) == TSC_WINSIZE_SIZE,
	       "winsize");
_Static_assert(sizeof(struct ttyscope_rec_session) == TSC_SESSION_SIZE,
	       "session");
_Static_assert(sizeof(struct ttyscope_rec_inject) == TSC_INJECT_HEAD_SIZE,
	       "inject");
_Static_assert(sizeof(struct ttyscope_rec_pass) == TSC_PASS_SIZE, "pass");
_Static_assert(sizeof(struct ttyscope_rec_loss) == TSC_LOSS_SIZE, "loss");

/**
 * tsc_rec_hdr_unpack() - read a header from its wire form
 * @buf: at least %TSC_REC_HDR_SIZE bytes, any alignment
 * @hdr: the header in host order
 *
 * No validation; see tsc_rec_hdr_check().
 */
void tsc_rec_hdr_unpack(const void *buf, struct tsc_rec_hdr *hdr)
{
	const uint8_t *p = buf;

	hdr->magic = tsc_get_le32(p + 0);
	hdr->version = tsc_get_le16(p + 4);
	hdr->type = tsc_get_le16(p + 6);
	hdr->flags = tsc_get_le32(p + 8);
	hdr->len = tsc_get_le32(p + 12);
	hdr->major = tsc_get_le32(p + 16);
	hdr->minor = tsc_get_le32(p + 20);
	hdr->seq = tsc_get_le64(p + 24);
	hdr->ts_ns = tsc_get_le64(p + 32);
}

/**
 * tsc_rec_hdr_pack() - write a header in its wire form
 * @hdr: the header; all fields are written as given
 * @buf: %TSC_REC_HDR_SIZE bytes, any alignment
 */
void tsc_rec_hdr_pack(const struct tsc_rec_hdr *hdr, void *buf)
{
	uint8_t *p = buf;

	tsc_put_le32(p + 0, hdr->magic);
	tsc_put_le16(p + 4, hdr->version);
	tsc_put_le16(p + 6, hdr->type);
	tsc_put_le32(p + 8, hdr->flags);
	tsc_put_le32(p + 12, hdr->len);
	tsc_put_le32(p + 16, hdr->major);
	tsc_put_le32(p + 20, hdr->minor);
	tsc_put_le64(p + 24, hdr->seq);
	tsc_put_le64(p + 32, hdr->ts_ns);
}

/**
 * tsc_rec_hdr_check() - validate a header by the rules of docs/FORMAT.md
 * @hdr: the header
 *
 * Checked in this order: magic, version, type (0, unknown kernel types and
 * types above 127 are rejected; 64..127 are accepted and skippable), len
 * against %TTYSCOPE_MAX_PAYLOAD, and len against the payload size of
 * fixed-size types (OPEN 40, WINSIZE 8, SESSION 48, PASS 8, LOSS 16,
 * INJECT at least 8, CLOSE and HANGUP 0, LOG_INDEX a positive multiple of
 * 48, LOG_TRAILER 56, MARK at most %TSC_MARK_LABEL_MAX).
 *
 * Return: %TSC_FAULT_NONE or the first fault found.
 */
enum tsc_fault tsc_rec_hdr_check(const struct tsc_rec_hdr *hdr)
{
	uint32_t want;

	if (hdr->magic != TTYSCOPE_REC_MAGIC)
		return TSC_FAULT_MAGIC;
	if (hdr->version != TTYSCOPE_ABI_VERSION)
		return TSC_FAULT_VERSION;
	if (hdr->type == 0 || hdr->type > TSC_REC_USER_LAST ||
	    (hdr->type > TTYSCOPE_REC_LOSS && hdr->type < TSC_REC_USER_FIRST))
		return TSC_FAULT_TYPE;
	if (hdr->len > TTYSCOPE_MAX_PAYLOAD)
		return TSC_FAULT_LEN;

	switch (hdr->type) {
	case TTYSCOPE_REC_OPEN:
		want = TSC_OPEN_SIZE;
		break;
	case TTYSCOPE_REC_CLOSE:
	case TTYSCOPE_REC_HANGUP:
		want = 0;
		break;
	case TTYSCOPE_REC_WINSIZE:
		want = TSC_WINSIZE_SIZE;
		break;
	case TTYSCOPE_REC_SESSION:
		want = TSC_SESSION_SIZE;
		break;
	case TTYSCOPE_REC_PASS:
		want = TSC_PASS_SIZE;
		break;
	case TTYSCOPE_REC_LOSS:
		want = TSC_LOSS_SIZE;
		break;
	case TTYSCOPE_REC_INJECT:
		return hdr->len >= TSC_INJECT_HEAD_SIZE ? TSC_FAULT_NONE :
							  TSC_FAULT_SIZE;
	case TSC_REC_LOG_INDEX:
		return hdr->len > 0 && hdr->len % TSC_LOG_INDEX_ENTRY_SIZE ==
					       0 ?
			       TSC_FAULT_NONE :
			       TSC_FAULT_SIZE;
	case TSC_REC_LOG_TRAILER:
		want = TSC_LOG_TRAILER_SIZE;
		break;
	case TSC_REC_MARK:
		return hdr->len <= TSC_MARK_LABEL_MAX ? TSC_FAULT_NONE :
							TSC_FAULT_SIZE;
	default:
		/* IN, OUT, IN_DROPPED and unknown userspace types: any size */
		return TSC_FAULT_NONE;
	}
	return hdr->len == want ? TSC_FAULT_NONE : TSC_FAULT_SIZE;
}

/**
 * tsc_rec_parse() - parse and validate one whole record in memory
 * @buf: the bytes
 * @size: number of bytes at @buf (more than one record is fine)
 * @ret_rec: the record; its pointers point into @buf
 *
 * Return: 0; -ENODATA if @size is shorter than the header or than the
 * record it announces; -EBADMSG if the header is invalid
 * (tsc_rec_hdr_check() tells why).
 */
int tsc_rec_parse(const void *buf, size_t size, struct tsc_rec *ret_rec)
{
	struct tsc_rec_hdr hdr;

	if (size < TSC_REC_HDR_SIZE)
		return -ENODATA;
	tsc_rec_hdr_unpack(buf, &hdr);
	if (tsc_rec_hdr_check(&hdr) != TSC_FAULT_NONE)
		return -EBADMSG;
	if (size - TSC_REC_HDR_SIZE < hdr.len)
		return -ENODATA;
	ret_rec->hdr = hdr;
	ret_rec->raw = buf;
	ret_rec->payload = (const uint8_t *)buf + TSC_REC_HDR_SIZE;
	return 0;
}

/**
 * tsc_rec_encode() - build a record in its wire form
 * @hdr: the header; magic and version are ignored (the encoder writes
 *	%TTYSCOPE_REC_MAGIC and %TTYSCOPE_ABI_VERSION), @hdr->len is the
 *	number of bytes at @payload
 * @payload: the payload (may be NULL if @hdr->len is 0)
 * @buf: where to write
 * @size: bytes available at @buf
 *
 * Return: the size of the record (%TSC_REC_HDR_SIZE + @hdr->len); -EINVAL
 * if the header would not pass tsc_rec_hdr_check(); -ENOBUFS if @size is
 * too small.
 */
int tsc_rec_encode(const struct tsc_rec_hdr *hdr, const void *payload,
		   void *buf, size_t size)
{
	struct tsc_rec_hdr h = *hdr;
	uint8_t *p = buf;

	h.magic = TTYSCOPE_REC_MAGIC;
	h.version = TTYSCOPE_ABI_VERSION;
	if (tsc_rec_hdr_check(&h) != TSC_FAULT_NONE || (h.len > 0 && !payload))
		return -EINVAL;
	if (size < TSC_REC_HDR_SIZE + h.len)
		return -ENOBUFS;
	tsc_rec_hdr_pack(&h, p);
	if (h.len > 0)
		memcpy(p + TSC_REC_HDR_SIZE, payload, h.len);
	return (int)(TSC_REC_HDR_SIZE + h.len);
}

/**
 * tsc_rec_type_name() - the name of a record type, as in docs/FORMAT.md
 * @type: a record type
 *
 * Return: "OPEN", "OUT", ..., "LOG_INDEX", "LOG_TRAILER", "MARK"; NULL if
 * unknown.
 */
const char *tsc_rec_type_name(unsigned int type)
{
	static const char *const names[] = {
		[TTYSCOPE_REC_OPEN] = "OPEN",
		[TTYSCOPE_REC_CLOSE] = "CLOSE",
		[TTYSCOPE_REC_HANGUP] = "HANGUP",
		[TTYSCOPE_REC_IN] = "IN",
		[TTYSCOPE_REC_OUT] = "OUT",
		[TTYSCOPE_REC_WINSIZE] = "WINSIZE",
		[TTYSCOPE_REC_SESSION] = "SESSION",
		[TTYSCOPE_REC_IN_DROPPED] = "IN_DROPPED",
		[TTYSCOPE_REC_INJECT] = "INJECT",
		[TTYSCOPE_REC_PASS] = "PASS",
		[TTYSCOPE_REC_LOSS] = "LOSS",
		[TSC_REC_LOG_INDEX] = "LOG_INDEX",
		[TSC_REC_LOG_TRAILER] = "LOG_TRAILER",
		[TSC_REC_MARK] = "MARK",
	};

	if (type >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[type];
}

/* Common checks of the payload decoders: the type, and the exact size. */
static int tsc_rec_expect(const struct tsc_rec *rec, unsigned int type,
			  uint32_t size)
{
	if (rec->hdr.type != type)
		return -EINVAL;
	if (rec->hdr.len != size)
		return -EBADMSG;
	return 0;
}

/* Copy a NUL-padded name of @size bytes into @dst (@size + 1 bytes). */
static void tsc_copy_name(char *dst, const uint8_t *src, size_t size)
{
	memcpy(dst, src, size);
	dst[size] = '\0';
}

/**
 * tsc_rec_decode_open() - decode an OPEN payload
 * @rec: the record
 * @ret_open: the payload; the reserved field is not checked
 *
 * The payload decoders all return 0, -EINVAL if @rec has another type, or
 * -EBADMSG if its payload size is wrong for the type.
 */
int tsc_rec_decode_open(const struct tsc_rec *rec, struct tsc_open *ret_open)
{
	int r = tsc_rec_expect(rec, TTYSCOPE_REC_OPEN, TSC_OPEN_SIZE);

	if (r)
		return r;
	ret_open->kind = tsc_get_le32(rec->payload);
	tsc_copy_name(ret_open->name, rec->payload + 8, TTYSCOPE_NAME_LEN);
	return 0;
}

/* Decode a WINSIZE payload; see tsc_rec_decode_open(). */
int tsc_rec_decode_winsize(const struct tsc_rec *rec,
			   struct tsc_winsize *ret_ws)
{
	int r = tsc_rec_expect(rec, TTYSCOPE_REC_WINSIZE, TSC_WINSIZE_SIZE);

	if (r)
		return r;
	ret_ws->rows = tsc_get_le16(rec->payload + 0);
	ret_ws->cols = tsc_get_le16(rec->payload + 2);
	ret_ws->xpixel = tsc_get_le16(rec->payload + 4);
	ret_ws->ypixel = tsc_get_le16(rec->payload + 6);
	return 0;
}

/* Decode a SESSION payload; see tsc_rec_decode_open(). */
int tsc_rec_decode_session(const struct tsc_rec *rec,
			   struct tsc_session *ret_session)
{
	int r = tsc_rec_expect(rec, TTYSCOPE_REC_SESSION, TSC_SESSION_SIZE);

	if (r)
		return r;
	ret_session->sid = tsc_get_le32(rec->payload + 0);
	ret_session->pgrp = tsc_get_le32(rec->payload + 4);
	ret_session->uid = tsc_get_le32(rec->payload + 8);
	ret_session->loginuid = tsc_get_le32(rec->payload + 12);
	tsc_copy_name(ret_session->comm, rec->payload + 16, TTYSCOPE_COMM_LEN);
	tsc_copy_name(ret_session->fg_comm, rec->payload + 32,
		      TTYSCOPE_COMM_LEN);
	return 0;
}

/*
 * Decode an INJECT payload; see tsc_rec_decode_open(). The data view
 * points into the record's payload.
 */
int tsc_rec_decode_inject(const struct tsc_rec *rec,
			  struct tsc_inject *ret_inject)
{
	if (rec->hdr.type != TTYSCOPE_REC_INJECT)
		return -EINVAL;
	if (rec->hdr.len < TSC_INJECT_HEAD_SIZE)
		return -EBADMSG;
	ret_inject->operator_uid = tsc_get_le32(rec->payload);
	ret_inject->data = rec->payload + TSC_INJECT_HEAD_SIZE;
	ret_inject->len = rec->hdr.len - TSC_INJECT_HEAD_SIZE;
	return 0;
}

/* Decode a PASS payload; see tsc_rec_decode_open(). */
int tsc_rec_decode_pass(const struct tsc_rec *rec, struct tsc_pass *ret_pass)
{
	int r = tsc_rec_expect(rec, TTYSCOPE_REC_PASS, TSC_PASS_SIZE);

	if (r)
		return r;
	ret_pass->pass = tsc_get_le32(rec->payload + 0);
	ret_pass->operator_uid = tsc_get_le32(rec->payload + 4);
	return 0;
}

/* Decode a LOSS payload; see tsc_rec_decode_open(). */
int tsc_rec_decode_loss(const struct tsc_rec *rec, struct tsc_loss *ret_loss)
{
	int r = tsc_rec_expect(rec, TTYSCOPE_REC_LOSS, TSC_LOSS_SIZE);

	if (r)
		return r;
	ret_loss->records = tsc_get_le64(rec->payload + 0);
	ret_loss->bytes = tsc_get_le64(rec->payload + 8);
	return 0;
}

/**
 * tsc_rec_decode_mark() - decode a MARK payload
 * @rec: the record
 * @ret_mark: the label, NUL-terminated
 *
 * Return: 0; -EINVAL if @rec is not a MARK; -EBADMSG if the label is
 * longer than %TSC_MARK_LABEL_MAX bytes or contains a NUL byte.
 */
int tsc_rec_decode_mark(const struct tsc_rec *rec, struct tsc_mark *ret_mark)
{
	if (rec->hdr.type != TSC_REC_MARK)
		return -EINVAL;
	if (rec->hdr.len > TSC_MARK_LABEL_MAX ||
	    (rec->hdr.len && memchr(rec->payload, 0, rec->hdr.len)))
		return -EBADMSG;
	if (rec->hdr.len)
		memcpy(ret_mark->label, rec->payload, rec->hdr.len);
	ret_mark->label[rec->hdr.len] = '\0';
	return 0;
}

/* Store @src NUL-padded (or truncated) in a field of @size bytes. */
static void tsc_put_name(uint8_t *dst, const char *src, size_t size)
{
	memcpy(dst, src, strnlen(src, size));
}

/*
 * Payload encoders: each writes the fixed-size payload of its type
 * (TSC_*_SIZE bytes) at @buf, reserved fields zero and names NUL-padded
 * (truncated to the field if longer).
 */
void tsc_rec_encode_open(const struct tsc_open *open, void *buf)
{
	uint8_t *p = buf;

	memset(p, 0, TSC_OPEN_SIZE);
	tsc_put_le32(p, open->kind);
	tsc_put_name(p + 8, open->name, TTYSCOPE_NAME_LEN);
}

void tsc_rec_encode_winsize(const struct tsc_winsize *ws, void *buf)
{
	uint8_t *p = buf;

	tsc_put_le16(p + 0, ws->rows);
	tsc_put_le16(p + 2, ws->cols);
	tsc_put_le16(p + 4, ws->xpixel);
	tsc_put_le16(p + 6, ws->ypixel);
}

void tsc_rec_encode_session(const struct tsc_session *session, void *buf)
{
	uint8_t *p = buf;

	memset(p, 0, TSC_SESSION_SIZE);
	tsc_put_le32(p + 0, session->sid);
	tsc_put_le32(p + 4, session->pgrp);
	tsc_put_le32(p + 8, session->uid);
	tsc_put_le32(p + 12, session->loginuid);
	tsc_put_name(p + 16, session->comm, TTYSCOPE_COMM_LEN);
	tsc_put_name(p + 32, session->fg_comm, TTYSCOPE_COMM_LEN);
}

void tsc_rec_encode_inject_head(uint32_t operator_uid, void *buf)
{
	uint8_t *p = buf;

	tsc_put_le32(p + 0, operator_uid);
	tsc_put_le32(p + 4, 0);
}

void tsc_rec_encode_pass(const struct tsc_pass *pass, void *buf)
{
	uint8_t *p = buf;

	tsc_put_le32(p + 0, pass->pass);
	tsc_put_le32(p + 4, pass->operator_uid);
}

void tsc_rec_encode_loss(const struct tsc_loss *loss, void *buf)
{
	uint8_t *p = buf;

	tsc_put_le64(p + 0, loss->records);
	tsc_put_le64(p + 8, loss->bytes);
}
