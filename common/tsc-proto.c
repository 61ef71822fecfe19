// SPDX-License-Identifier: GPL-2.0-only
/*
 * libttyscope protocol codec (docs/PROTOCOL.md): HELLO, REQUEST, REPLY and
 * SYNC messages, and the LIST and STATS payloads. No I/O; every length is
 * checked before it is used.
 */
#include <errno.h>
#include <string.h>

#include "tsc-private.h"
#include "tsc-proto.h"

static const char *const verb_names[] = {
	[TSC_VERB_LIST] = "list",
	[TSC_VERB_SUBSCRIBE] = "subscribe",
	[TSC_VERB_UNSUBSCRIBE] = "unsubscribe",
	[TSC_VERB_BLOCK] = "block",
	[TSC_VERB_UNBLOCK] = "unblock",
	[TSC_VERB_INJECT] = "inject",
	[TSC_VERB_HANGUP] = "hangup",
	[TSC_VERB_MESSAGE] = "message",
	[TSC_VERB_ATTACH] = "attach",
	[TSC_VERB_DETACH] = "detach",
	[TSC_VERB_STATS] = "stats",
};

/**
 * tsc_proto_verb_name() - the name of a request verb
 * @verb: enum tsc_proto_verb
 *
 * Return: "list", "subscribe", ...; NULL for an unknown verb.
 */
const char *tsc_proto_verb_name(unsigned int verb)
{
	if (verb == 0 || verb > TSC_VERB_LAST)
		return NULL;
	return verb_names[verb];
}

/**
 * tsc_proto_verb_from_name() - the verb of a name
 * @name: "list", "subscribe", ...
 *
 * Return: the verb; -EINVAL for an unknown name.
 */
int tsc_proto_verb_from_name(const char *name)
{
	for (unsigned int v = 1; v <= TSC_VERB_LAST; v++)
		if (strcmp(verb_names[v], name) == 0)
			return (int)v;
	return -EINVAL;
}

/* Copy at most @max bytes of a NUL-padded field and terminate it. */
static void get_str(char *dst, const uint8_t *src, size_t max)
{
	size_t n = strnlen((const char *)src, max);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void put_str(uint8_t *dst, const char *src, size_t max)
{
	size_t n = strnlen(src, max);

	memset(dst, 0, max);
	memcpy(dst, src, n);
}

/*
 * The text after the first @head bytes of @rec's payload into @dst (@max
 * + 1 bytes): 0; -EBADMSG if the payload is shorter than @head or the
 * text is longer than @max bytes or holds a NUL. @dst is left alone then.
 */
static int get_text(char *dst, const struct tsc_rec *rec, size_t head,
		    size_t max)
{
	size_t n;

	if (rec->hdr.len < head || rec->hdr.len - head > max)
		return -EBADMSG;
	n = rec->hdr.len - head;
	if (memchr(rec->payload + head, 0, n))
		return -EBADMSG;
	memcpy(dst, rec->payload + head, n);
	dst[n] = '\0';
	return 0;
}

/**
 * tsc_proto_decode_hello() - decode a HELLO record
 * @rec: the record
 * @ret_hello: the message
 *
 * Return: 0; -EINVAL if @rec is not a HELLO; -EBADMSG if its payload is
 * shorter than %TSC_HELLO_SIZE, its name longer than %TSC_HELLO_NAME_MAX
 * bytes or contains a NUL byte.
 */
int tsc_proto_decode_hello(const struct tsc_rec *rec,
			   struct tsc_proto_hello *ret_hello)
{
	const uint8_t *p = rec->payload;

	if (rec->hdr.type != TSC_MSG_HELLO)
		return -EINVAL;
	if (get_text(ret_hello->name, rec, TSC_HELLO_SIZE, TSC_HELLO_NAME_MAX))
		return -EBADMSG;
	ret_hello->version = tsc_get_le32(p);
	ret_hello->flags = tsc_get_le32(p + 4);
	ret_hello->uid = tsc_get_le32(p + 8);
	return 0;
}

/**
 * tsc_proto_decode_user() - decode a USER record
 * @rec: the record
 * @ret_user: the message
 *
 * Return: 0; -EINVAL if @rec is not a USER; -EBADMSG if its payload is
 * shorter than %TSC_USER_HEAD_SIZE, its name longer than
 * %TSC_USER_NAME_MAX bytes or contains a NUL byte.
 */
int tsc_proto_decode_user(const struct tsc_rec *rec,
			  struct tsc_proto_user *ret_user)
{
	if (rec->hdr.type != TSC_MSG_USER)
		return -EINVAL;
	if (get_text(ret_user->name, rec, TSC_USER_HEAD_SIZE,
		     TSC_USER_NAME_MAX))
		return -EBADMSG;
	ret_user->uid = tsc_get_le32(rec->payload);
	return 0;
}

/**
 * tsc_proto_decode_host() - decode a HOST record
 * @rec: the record
 * @ret_host: the message
 *
 * Return: 0; -EINVAL if @rec is not a HOST; -EBADMSG if its name is empty,
 * longer than %TSC_HOST_NAME_MAX bytes or contains a NUL byte.
 */
int tsc_proto_decode_host(const struct tsc_rec *rec,
			  struct tsc_proto_host *ret_host)
{
	if (rec->hdr.type != TSC_MSG_HOST)
		return -EINVAL;
	if (!rec->hdr.len ||
	    get_text(ret_host->name, rec, 0, TSC_HOST_NAME_MAX))
		return -EBADMSG;
	return 0;
}

/**
 * tsc_proto_decode_request() - decode a REQUEST record
 * @rec: the record
 * @ret_req: the request; @args points into @rec's payload
 *
 * Return: 0; -EINVAL if @rec is not a REQUEST; -EBADMSG if its payload is
 * shorter than its head. Unknown verbs are not an error here (the daemon
 * answers them with EOPNOTSUPP).
 */
int tsc_proto_decode_request(const struct tsc_rec *rec,
			     struct tsc_proto_request *ret_req)
{
	if (rec->hdr.type != TSC_MSG_REQUEST)
		return -EINVAL;
	if (rec->hdr.len < TSC_REQUEST_HEAD_SIZE)
		return -EBADMSG;
	ret_req->id = rec->hdr.seq;
	ret_req->verb = tsc_get_le32(rec->payload);
	ret_req->flags = tsc_get_le32(rec->payload + 4);
	ret_req->major = rec->hdr.major;
	ret_req->minor = rec->hdr.minor;
	ret_req->args = rec->payload + TSC_REQUEST_HEAD_SIZE;
	ret_req->len = rec->hdr.len - TSC_REQUEST_HEAD_SIZE;
	return 0;
}

/**
 * tsc_proto_decode_reply() - decode a REPLY record
 * @rec: the record
 * @ret_reply: the reply; @data points into @rec's payload
 *
 * Return: 0; -EINVAL if @rec is not a REPLY; -EBADMSG if its payload is
 * shorter than its head or it has unknown flags.
 */
int tsc_proto_decode_reply(const struct tsc_rec *rec,
			   struct tsc_proto_reply *ret_reply)
{
	if (rec->hdr.type != TSC_MSG_REPLY)
		return -EINVAL;
	if (rec->hdr.len < TSC_REPLY_HEAD_SIZE ||
	    (rec->hdr.flags & ~TSC_REPLY_MORE))
		return -EBADMSG;
	ret_reply->id = rec->hdr.seq;
	ret_reply->verb = tsc_get_le32(rec->payload);
	ret_reply->error = tsc_get_le32(rec->payload + 4);
	ret_reply->more = !!(rec->hdr.flags & TSC_REPLY_MORE);
	ret_reply->major = rec->hdr.major;
	ret_reply->minor = rec->hdr.minor;
	ret_reply->data = rec->payload + TSC_REPLY_HEAD_SIZE;
	ret_reply->len = rec->hdr.len - TSC_REPLY_HEAD_SIZE;
	return 0;
}

/**
 * tsc_proto_parse() - parse one message from the start of a buffer
 * @buf: the bytes (any bytes)
 * @size: number of bytes at @buf
 * @ret: the message; its pointers point into @buf
 *
 * Validates the record (tsc_rec_parse()) and decodes the protocol's own
 * messages. SYNC must have no payload.
 *
 * Return: the number of bytes the message takes; -ENODATA if @buf holds
 * only part of a record (read more); -EBADMSG if the bytes are not a valid
 * record or message (the stream cannot be trusted further).
 */
int tsc_proto_parse(const void *buf, size_t size, struct tsc_proto_msg *ret)
{
	struct tsc_proto_msg m;
	int r;

	memset(&m, 0, sizeof(m));
	r = tsc_rec_parse(buf, size, &m.rec);
	if (r < 0)
		return r;
	m.type = m.rec.hdr.type;
	switch (m.type) {
	case TSC_MSG_HELLO:
		r = tsc_proto_decode_hello(&m.rec, &m.hello);
		break;
	case TSC_MSG_REQUEST:
		r = tsc_proto_decode_request(&m.rec, &m.request);
		break;
	case TSC_MSG_REPLY:
		r = tsc_proto_decode_reply(&m.rec, &m.reply);
		break;
	case TSC_MSG_SYNC:
		r = m.rec.hdr.len == 0 ? 0 : -EBADMSG;
		break;
	case TSC_MSG_USER:
		r = tsc_proto_decode_user(&m.rec, &m.user);
		break;
	case TSC_MSG_HOST:
		r = tsc_proto_decode_host(&m.rec, &m.host);
		break;
	default:
		r = 0;
		break;
	}
	if (r < 0)
		return r;
	*ret = m;
	return (int)(TSC_REC_HDR_SIZE + m.rec.hdr.len);
}

static int encode(uint16_t type, uint32_t flags, uint32_t major, uint32_t minor,
		  uint64_t seq, uint64_t ts_ns, const void *head,
		  size_t head_len, const void *data, size_t len, void *buf,
		  size_t size)
{
	struct tsc_rec_hdr hdr = {
		.type = type,
		.flags = flags,
		.major = major,
		.minor = minor,
		.seq = seq,
		.ts_ns = ts_ns,
	};
	uint8_t *p = buf;

	if (len > TTYSCOPE_MAX_PAYLOAD - head_len || (len && !data))
		return -EINVAL;
	hdr.len = (uint32_t)(head_len + len);
	if (size < TSC_REC_HDR_SIZE + hdr.len)
		return -ENOBUFS;
	hdr.magic = TTYSCOPE_REC_MAGIC;
	hdr.version = TTYSCOPE_ABI_VERSION;
	tsc_rec_hdr_pack(&hdr, p);
	if (head_len)
		memcpy(p + TSC_REC_HDR_SIZE, head, head_len);
	if (len)
		memcpy(p + TSC_REC_HDR_SIZE + head_len, data, len);
	return (int)(TSC_REC_HDR_SIZE + hdr.len);
}

/**
 * tsc_proto_encode_hello() - build a HELLO record
 * @hello: the message (name may be empty; longer than
 *	%TSC_HELLO_NAME_MAX bytes is -EINVAL)
 * @ts_ns: time stamp for the header
 * @buf: where to write
 * @size: bytes available at @buf
 *
 * Return: the record's size; -EINVAL; -ENOBUFS if @size is too small.
 */
int tsc_proto_encode_hello(const struct tsc_proto_hello *hello, uint64_t ts_ns,
			   void *buf, size_t size)
{
	uint8_t head[TSC_HELLO_SIZE] = { 0 };
	size_t n = strnlen(hello->name, sizeof(hello->name));

	if (n > TSC_HELLO_NAME_MAX)
		return -EINVAL;
	tsc_put_le32(head, hello->version);
	tsc_put_le32(head + 4, hello->flags);
	tsc_put_le32(head + 8, hello->uid);
	return encode(TSC_MSG_HELLO, 0, 0, 0, 0, ts_ns, head, sizeof(head),
		      hello->name, n, buf, size);
}

/**
 * tsc_proto_encode_user() - build a USER record
 * @user: the message (an empty name: the uid has none)
 * @ts_ns: time stamp for the header
 * @buf: where to write
 * @size: bytes available at @buf
 *
 * Return: the record's size; -EINVAL for a name longer than
 * %TSC_USER_NAME_MAX bytes; -ENOBUFS if @size is too small.
 */
int tsc_proto_encode_user(const struct tsc_proto_user *user, uint64_t ts_ns,
			  void *buf, size_t size)
{
	uint8_t head[TSC_USER_HEAD_SIZE];
	size_t n = strnlen(user->name, sizeof(user->name));

	if (n > TSC_USER_NAME_MAX)
		return -EINVAL;
	tsc_put_le32(head, user->uid);
	return encode(TSC_MSG_USER, 0, 0, 0, 0, ts_ns, head, sizeof(head),
		      user->name, n, buf, size);
}

/**
 * tsc_proto_encode_host() - build a HOST record
 * @host: the message; a name of 1..%TSC_HOST_NAME_MAX bytes
 * @ts_ns: time stamp for the header
 * @buf: where to write
 * @size: bytes available at @buf
 *
 * Return: the record's size; -EINVAL for an empty or long name; -ENOBUFS
 * if @size is too small.
 */
int tsc_proto_encode_host(const struct tsc_proto_host *host, uint64_t ts_ns,
			  void *buf, size_t size)
{
	size_t n = strnlen(host->name, sizeof(host->name));

	if (!n || n > TSC_HOST_NAME_MAX)
		return -EINVAL;
	return encode(TSC_MSG_HOST, 0, 0, 0, 0, ts_ns, NULL, 0, host->name, n,
		      buf, size);
}

/**
 * tsc_proto_encode_request() - build a REQUEST record
 * @req: the request; at most %TSC_REQUEST_ARGS_MAX argument bytes
 * @ts_ns: time stamp for the header
 * @buf: where to write
 * @size: bytes available at @buf
 *
 * Return: the record's size; -EINVAL; -ENOBUFS if @size is too small.
 */
int tsc_proto_encode_request(const struct tsc_proto_request *req,
			     uint64_t ts_ns, void *buf, size_t size)
{
	uint8_t head[TSC_REQUEST_HEAD_SIZE];

	tsc_put_le32(head, req->verb);
	tsc_put_le32(head + 4, req->flags);
	return encode(TSC_MSG_REQUEST, 0, req->major, req->minor, req->id,
		      ts_ns, head, sizeof(head), req->args, req->len, buf,
		      size);
}

/**
 * tsc_proto_encode_reply() - build a REPLY record
 * @reply: the reply; at most %TSC_REPLY_DATA_MAX data bytes
 * @ts_ns: time stamp for the header
 * @buf: where to write
 * @size: bytes available at @buf
 *
 * Return: the record's size; -EINVAL; -ENOBUFS if @size is too small.
 */
int tsc_proto_encode_reply(const struct tsc_proto_reply *reply, uint64_t ts_ns,
			   void *buf, size_t size)
{
	uint8_t head[TSC_REPLY_HEAD_SIZE];

	tsc_put_le32(head, reply->verb);
	tsc_put_le32(head + 4, reply->error);
	return encode(TSC_MSG_REPLY, reply->more ? TSC_REPLY_MORE : 0,
		      reply->major, reply->minor, reply->id, ts_ns, head,
		      sizeof(head), reply->data, reply->len, buf, size);
}

/**
 * tsc_proto_encode_sync() - build a SYNC record
 * @major: device major of the tty whose catch-up is complete
 * @minor: device minor
 * @seq: seq of the last record of the tty sent so far
 * @ts_ns: time stamp for the header
 * @buf: where to write
 * @size: bytes available at @buf
 *
 * Return: %TSC_REC_HDR_SIZE; -ENOBUFS if @size is too small.
 */
int tsc_proto_encode_sync(uint32_t major, uint32_t minor, uint64_t seq,
			  uint64_t ts_ns, void *buf, size_t size)
{
	return encode(TSC_MSG_SYNC, 0, major, minor, seq, ts_ns, NULL, 0, NULL,
		      0, buf, size);
}

/**
 * tsc_proto_encode_tty() - write a LIST entry
 * @tty: the entry
 * @buf: %TSC_PROTO_TTY_SIZE bytes
 */
void tsc_proto_encode_tty(const struct tsc_proto_tty *tty, void *buf)
{
	uint8_t *p = buf;

	memset(p, 0, TSC_PROTO_TTY_SIZE);
	tsc_put_le32(p, tty->major);
	tsc_put_le32(p + 4, tty->minor);
	tsc_put_le32(p + 8, tty->kind);
	tsc_put_le32(p + 12, tty->pass);
	tsc_put_le32(p + 16, tty->sid);
	tsc_put_le32(p + 20, tty->pgrp);
	tsc_put_le32(p + 24, tty->uid);
	tsc_put_le32(p + 28, tty->loginuid);
	tsc_put_le16(p + 32, tty->rows);
	tsc_put_le16(p + 34, tty->cols);
	tsc_put_le64(p + 40, tty->open_ns);
	tsc_put_le64(p + 48, tty->last_ns);
	tsc_put_le64(p + 56, tty->records);
	put_str(p + 64, tty->name, TTYSCOPE_NAME_LEN);
	put_str(p + 96, tty->comm, TTYSCOPE_COMM_LEN);
	put_str(p + 112, tty->fg_comm, TTYSCOPE_COMM_LEN);
	tsc_put_le64(p + 128, tty->in_bytes);
	tsc_put_le64(p + 136, tty->out_bytes);
	tsc_put_le64(p + 144, tty->lost);
}

/**
 * tsc_proto_decode_tty() - read a LIST entry
 * @buf: the bytes
 * @size: bytes at @buf
 * @ret_tty: the entry
 *
 * Return: 0; -EBADMSG if @size is smaller than %TSC_PROTO_TTY_SIZE.
 */
int tsc_proto_decode_tty(const void *buf, size_t size,
			 struct tsc_proto_tty *ret_tty)
{
	const uint8_t *p = buf;
	struct tsc_proto_tty t;

	if (size < TSC_PROTO_TTY_SIZE)
		return -EBADMSG;
	t.major = tsc_get_le32(p);
	t.minor = tsc_get_le32(p + 4);
	t.kind = tsc_get_le32(p + 8);
	t.pass = tsc_get_le32(p + 12);
	t.sid = tsc_get_le32(p + 16);
	t.pgrp = tsc_get_le32(p + 20);
	t.uid = tsc_get_le32(p + 24);
	t.loginuid = tsc_get_le32(p + 28);
	t.rows = tsc_get_le16(p + 32);
	t.cols = tsc_get_le16(p + 34);
	t.open_ns = tsc_get_le64(p + 40);
	t.last_ns = tsc_get_le64(p + 48);
	t.records = tsc_get_le64(p + 56);
	get_str(t.name, p + 64, TTYSCOPE_NAME_LEN);
	get_str(t.comm, p + 96, TTYSCOPE_COMM_LEN);
	get_str(t.fg_comm, p + 112, TTYSCOPE_COMM_LEN);
	t.in_bytes = tsc_get_le64(p + 128);
	t.out_bytes = tsc_get_le64(p + 136);
	t.lost = tsc_get_le64(p + 144);
	*ret_tty = t;
	return 0;
}

/**
 * tsc_proto_encode_stats() - write STATS reply data
 * @stats: the counters
 * @buf: %TSC_PROTO_STATS_SIZE bytes
 */
void tsc_proto_encode_stats(const struct tsc_proto_stats *stats, void *buf)
{
	uint8_t *p = buf;

	tsc_put_le64(p, stats->records);
	tsc_put_le64(p + 8, stats->bytes);
	tsc_put_le64(p + 16, stats->device_lost);
	tsc_put_le64(p + 24, stats->log_lost);
	tsc_put_le64(p + 32, stats->client_lost);
	tsc_put_le32(p + 40, stats->ttys);
	tsc_put_le32(p + 44, stats->logs);
	tsc_put_le32(p + 48, stats->clients);
	tsc_put_le32(p + 52, stats->uptime_s);
	tsc_put_le64(p + 56, 0);
}

/**
 * tsc_proto_decode_stats() - read STATS reply data
 * @buf: the bytes
 * @size: bytes at @buf
 * @ret_stats: the counters
 *
 * Return: 0; -EBADMSG if @size is smaller than %TSC_PROTO_STATS_SIZE.
 */
int tsc_proto_decode_stats(const void *buf, size_t size,
			   struct tsc_proto_stats *ret_stats)
{
	const uint8_t *p = buf;

	if (size < TSC_PROTO_STATS_SIZE)
		return -EBADMSG;
	ret_stats->records = tsc_get_le64(p);
	ret_stats->bytes = tsc_get_le64(p + 8);
	ret_stats->device_lost = tsc_get_le64(p + 16);
	ret_stats->log_lost = tsc_get_le64(p + 24);
	ret_stats->client_lost = tsc_get_le64(p + 32);
	ret_stats->ttys = tsc_get_le32(p + 40);
	ret_stats->logs = tsc_get_le32(p + 44);
	ret_stats->clients = tsc_get_le32(p + 48);
	ret_stats->uptime_s = tsc_get_le32(p + 52);
	ret_stats->reserved = 0;
	return 0;
}
