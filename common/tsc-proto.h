/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libttyscope protocol codec: the messages of ttyscoped's socket
 * (docs/PROTOCOL.md).
 *
 * Every message is a record in the format of docs/FORMAT.md. The kernel's
 * records are forwarded as they are; the protocol's own messages use the
 * userspace types 96..127 reserved here. This module encodes and decodes
 * those messages; it does no I/O. Every length is checked before use, so
 * any bytes may be given to tsc_proto_parse().
 */
#ifndef TSC_PROTO_H
#define TSC_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "tsc-record.h"

/* Protocol version; a peer speaking another version is refused. */
#define TSC_PROTO_VERSION 1u

/*
 * Message types: userspace record types 96..127 belong to the protocol.
 * Numbers are never reused; retired ones stay listed, marked as such.
 */
#define TSC_PROTO_TYPE_FIRST 96u
#define TSC_PROTO_TYPE_LAST 127u
#define TSC_MSG_HELLO 96u /* both ways, first message */
#define TSC_MSG_REQUEST 97u /* client to daemon */
#define TSC_MSG_REPLY 98u /* daemon to client */
#define TSC_MSG_SYNC 99u /* daemon: catch-up of one tty is complete */
#define TSC_MSG_USER 100u /* daemon: the name of a uid on its machine */
#define TSC_MSG_HOST 101u /* daemon: the host name of its machine */

/* Flags of REPLY records (the header's flags field). */
#define TSC_REPLY_MORE (1u << 0) /* another REPLY with the same id follows */

/* Request verbs (REQUEST payload). 0 is invalid; numbers never reused. */
enum tsc_proto_verb {
	TSC_VERB_LIST = 1,
	TSC_VERB_SUBSCRIBE = 2,
	TSC_VERB_UNSUBSCRIBE = 3,
	TSC_VERB_BLOCK = 4,
	TSC_VERB_UNBLOCK = 5,
	TSC_VERB_INJECT = 6,
	TSC_VERB_HANGUP = 7,
	TSC_VERB_MESSAGE = 8,
	TSC_VERB_ATTACH = 9,
	TSC_VERB_DETACH = 10,
	TSC_VERB_STATS = 11,
	TSC_VERB_LAST = TSC_VERB_STATS,
};

/* Flags of SUBSCRIBE. TSC_SUB_ALL: every tty; major/minor are ignored. */
#define TSC_SUB_ALL (1u << 0)

/* Fixed payload sizes. */
#define TSC_HELLO_SIZE 16u /* + software name, 0..64 bytes */
#define TSC_HELLO_NAME_MAX 64u
#define TSC_HOST_NAME_MAX 64u
#define TSC_USER_HEAD_SIZE 4u /* + user name, 0..255 bytes */
#define TSC_USER_NAME_MAX 255u
#define TSC_REQUEST_HEAD_SIZE 8u
#define TSC_REPLY_HEAD_SIZE 8u
#define TSC_PROTO_TTY_SIZE 160u
#define TSC_PROTO_STATS_SIZE 64u
/* Most argument (data) bytes in one REQUEST (REPLY). */
#define TSC_REQUEST_ARGS_MAX (TTYSCOPE_MAX_PAYLOAD - TSC_REQUEST_HEAD_SIZE)
#define TSC_REPLY_DATA_MAX (TTYSCOPE_MAX_PAYLOAD - TSC_REPLY_HEAD_SIZE)
/* LIST entries per REPLY record. */
#define TSC_PROTO_TTYS_PER_REPLY (TSC_REPLY_DATA_MAX / TSC_PROTO_TTY_SIZE)

/**
 * struct tsc_proto_hello - HELLO
 * @version: protocol version of the sender
 * @flags: zero
 * @uid: daemon: the client's uid as the daemon sees it; client: zero
 * @name: software name and version, NUL-terminated ("ttyscoped 0.1.0")
 */
struct tsc_proto_hello {
	uint32_t version;
	uint32_t flags;
	uint32_t uid;
	char name[TSC_HELLO_NAME_MAX + 1];
};

/**
 * struct tsc_proto_host - HOST: the host name of the daemon's machine
 * @name: 1..%TSC_HOST_NAME_MAX bytes, NUL-terminated
 */
struct tsc_proto_host {
	char name[TSC_HOST_NAME_MAX + 1];
};

/**
 * struct tsc_proto_user - USER: what a uid is called on the daemon's machine
 * @uid: the uid
 * @name: its user name, NUL-terminated; empty if it has none there
 */
struct tsc_proto_user {
	uint32_t uid;
	char name[TSC_USER_NAME_MAX + 1];
};

/**
 * struct tsc_proto_request - REQUEST
 * @id: request id chosen by the client (the header's seq)
 * @verb: enum tsc_proto_verb
 * @flags: verb flags (%TSC_SUB_ALL), otherwise zero
 * @major: device major of the tty the request is about
 * @minor: device minor
 * @args: @len argument bytes, pointing into the record
 * @len: number of argument bytes
 */
struct tsc_proto_request {
	uint64_t id;
	uint32_t verb;
	uint32_t flags;
	uint32_t major;
	uint32_t minor;
	const uint8_t *args;
	size_t len;
};

/**
 * struct tsc_proto_reply - REPLY
 * @id: id of the request answered
 * @verb: verb of that request
 * @error: 0 on success, else a positive errno value
 * @more: another REPLY for the same request follows (%TSC_REPLY_MORE)
 * @major: device major from the request
 * @minor: device minor from the request
 * @data: @len bytes of result data, pointing into the record
 * @len: number of data bytes
 */
struct tsc_proto_reply {
	uint64_t id;
	uint32_t verb;
	uint32_t error;
	int more;
	uint32_t major;
	uint32_t minor;
	const uint8_t *data;
	size_t len;
};

/**
 * struct tsc_proto_tty - one live tty, a LIST entry (160 bytes on the wire)
 *
 * @major, @minor: device number; @kind: TTYSCOPE_KIND_*; @pass: the pass
 * flag; @sid, @pgrp, @uid, @loginuid, @comm, @fg_comm: from the last
 * SESSION record (zero/empty if none yet); @rows, @cols: from the last
 * WINSIZE; @open_ns: time of the OPEN record; @last_ns: time of the last
 * record; @records: records of the session seen by the daemon; @name: tty
 * name below /dev; @in_bytes: payload bytes of its IN and IN_DROPPED
 * records (what the user typed); @out_bytes: of its OUT records; @lost:
 * records of the session the daemon did not receive (gaps in seq).
 */
struct tsc_proto_tty {
	uint32_t major;
	uint32_t minor;
	uint32_t kind;
	uint32_t pass;
	uint32_t sid;
	uint32_t pgrp;
	uint32_t uid;
	uint32_t loginuid;
	uint16_t rows;
	uint16_t cols;
	uint64_t open_ns;
	uint64_t last_ns;
	uint64_t records;
	char name[TTYSCOPE_NAME_LEN + 1];
	char comm[TTYSCOPE_COMM_LEN + 1];
	char fg_comm[TTYSCOPE_COMM_LEN + 1];
	uint64_t in_bytes;
	uint64_t out_bytes;
	uint64_t lost;
};

/**
 * struct tsc_proto_stats - STATS reply data (64 bytes on the wire)
 */
struct tsc_proto_stats {
	uint64_t records; /* records read from the device */
	uint64_t bytes; /* their payload bytes */
	uint64_t device_lost; /* records the device reported lost (LOSS) */
	uint64_t log_lost; /* records not logged (write errors) */
	uint64_t client_lost; /* records dropped for slow clients */
	uint32_t ttys; /* live ttys */
	uint32_t logs; /* open log files */
	uint32_t clients; /* connected clients */
	uint32_t uptime_s; /* seconds since the daemon started */
	uint64_t reserved;
};

/**
 * struct tsc_proto_msg - a parsed message
 * @rec: the record (pointers into the parsed buffer)
 * @type: @rec.hdr.type
 * @hello: valid if @type is %TSC_MSG_HELLO
 * @request: valid if @type is %TSC_MSG_REQUEST
 * @reply: valid if @type is %TSC_MSG_REPLY
 * @user: valid if @type is %TSC_MSG_USER
 * @host: valid if @type is %TSC_MSG_HOST
 *
 * Other types (kernel records, SYNC, unknown userspace types) are only
 * validated as records.
 */
struct tsc_proto_msg {
	struct tsc_rec rec;
	unsigned int type;
	union {
		struct tsc_proto_hello hello;
		struct tsc_proto_request request;
		struct tsc_proto_reply reply;
		struct tsc_proto_user user;
		struct tsc_proto_host host;
	};
};

int tsc_proto_parse(const void *buf, size_t size, struct tsc_proto_msg *ret);

int tsc_proto_decode_hello(const struct tsc_rec *rec,
			   struct tsc_proto_hello *ret_hello);
int tsc_proto_decode_request(const struct tsc_rec *rec,
			     struct tsc_proto_request *ret_req);
int tsc_proto_decode_reply(const struct tsc_rec *rec,
			   struct tsc_proto_reply *ret_reply);
int tsc_proto_decode_user(const struct tsc_rec *rec,
			  struct tsc_proto_user *ret_user);
int tsc_proto_decode_host(const struct tsc_rec *rec,
			  struct tsc_proto_host *ret_host);
int tsc_proto_decode_tty(const void *buf, size_t size,
			 struct tsc_proto_tty *ret_tty);
int tsc_proto_decode_stats(const void *buf, size_t size,
			   struct tsc_proto_stats *ret_stats);

int tsc_proto_encode_hello(const struct tsc_proto_hello *hello, uint64_t ts_ns,
			   void *buf, size_t size);
int tsc_proto_encode_request(const struct tsc_proto_request *req,
			     uint64_t ts_ns, void *buf, size_t size);
int tsc_proto_encode_reply(const struct tsc_proto_reply *reply, uint64_t ts_ns,
			   void *buf, size_t size);
int tsc_proto_encode_sync(uint32_t major, uint32_t minor, uint64_t seq,
			  uint64_t ts_ns, void *buf, size_t size);
int tsc_proto_encode_user(const struct tsc_proto_user *user, uint64_t ts_ns,
			  void *buf, size_t size);
int tsc_proto_encode_host(const struct tsc_proto_host *host, uint64_t ts_ns,
			  void *buf, size_t size);
void tsc_proto_encode_tty(const struct tsc_proto_tty *tty, void *buf);
void tsc_proto_encode_stats(const struct tsc_proto_stats *stats, void *buf);

const char *tsc_proto_verb_name(unsigned int verb);
int tsc_proto_verb_from_name(const char *name);

#endif /* TSC_PROTO_H */
