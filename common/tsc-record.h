/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libttyscope record codec: the records of docs/FORMAT.md in host byte order.
 *
 * A record on the wire is a 40-byte little-endian header followed by up to
 * TTYSCOPE_MAX_PAYLOAD payload bytes. This module unpacks and validates
 * headers, decodes every payload into a host-order struct, and encodes
 * records. It does no I/O; see tsc-reader.h for streams and tsc-log.h for
 * log files.
 */
#ifndef TSC_RECORD_H
#define TSC_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <linux/ttyscope.h>

/* Size of a record header, and of the largest record. */
#define TSC_REC_HDR_SIZE 40u
#define TSC_REC_MAX_SIZE (TSC_REC_HDR_SIZE + TTYSCOPE_MAX_PAYLOAD)

/*
 * Userspace record types (64..127, docs/FORMAT.md "Log files"). Numbers are
 * never reused.
 */
#define TSC_REC_USER_FIRST 64u
#define TSC_REC_USER_LAST 127u
#define TSC_REC_LOG_INDEX 64u /* log file index entries */
#define TSC_REC_LOG_TRAILER 65u /* locates the index of a closed log */
#define TSC_REC_MARK 66u /* a marker an operator set, with a label */

/* Longest MARK label in bytes (the whole payload). */
#define TSC_MARK_LABEL_MAX 256u

/* Payload sizes of the fixed-size types. */
#define TSC_OPEN_SIZE 40u
#define TSC_WINSIZE_SIZE 8u
#define TSC_SESSION_SIZE 48u
#define TSC_INJECT_HEAD_SIZE 8u
#define TSC_PASS_SIZE 8u
#define TSC_LOSS_SIZE 16u
#define TSC_LOG_INDEX_ENTRY_SIZE 48u
#define TSC_LOG_TRAILER_SIZE 56u

/**
 * enum tsc_fault - why bytes are not a valid record, stream or log
 * @TSC_FAULT_NONE: no fault
 * @TSC_FAULT_MAGIC: the record magic is not %TTYSCOPE_REC_MAGIC
 * @TSC_FAULT_VERSION: the record version is not %TTYSCOPE_ABI_VERSION
 * @TSC_FAULT_TYPE: type 0, a kernel type (1..63) this library does not
 *	know, or a type above 127
 * @TSC_FAULT_LEN: the payload length exceeds %TTYSCOPE_MAX_PAYLOAD
 * @TSC_FAULT_SIZE: the payload length is wrong for the record type
 * @TSC_FAULT_TRUNCATED: the stream ended inside a record
 * @TSC_FAULT_LOG_HEADER: the log file header is invalid
 * @TSC_FAULT_FRAME: a compressed frame is invalid (header, zstd data, or
 *	records not filling it exactly)
 * @TSC_FAULT_PLACEMENT: a record where the log format does not allow it
 *	(a data record outside the frames of a compressed log)
 */
enum tsc_fault {
	TSC_FAULT_NONE = 0,
	TSC_FAULT_MAGIC,
	TSC_FAULT_VERSION,
	TSC_FAULT_TYPE,
	TSC_FAULT_LEN,
	TSC_FAULT_SIZE,
	TSC_FAULT_TRUNCATED,
	TSC_FAULT_LOG_HEADER,
	TSC_FAULT_FRAME,
	TSC_FAULT_PLACEMENT,
};

/**
 * struct tsc_error - where and why a stream or file is malformed
 * @fault: what is wrong
 * @offset: byte offset of the faulty record (or log header, or frame) in
 *	the stream or file
 * @inner: for faults inside a compressed frame, the offset of the faulty
 *	record in the frame's decompressed data; otherwise 0
 */
struct tsc_error {
	enum tsc_fault fault;
	uint64_t offset;
	uint64_t inner;
};

/**
 * struct tsc_rec_hdr - a record header in host byte order
 *
 * Fields as in struct ttyscope_rec.
 */
struct tsc_rec_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t flags;
	uint32_t len;
	uint32_t major;
	uint32_t minor;
	uint64_t seq;
	uint64_t ts_ns;
};

/**
 * struct tsc_rec - a record: its header and a view of its bytes
 * @hdr: the header in host byte order
 * @payload: @hdr.len payload bytes
 * @raw: the encoded record, %TSC_REC_HDR_SIZE + @hdr.len bytes
 *
 * The pointers belong to whoever produced the record (a reader's buffer);
 * they stay valid as that producer documents.
 */
struct tsc_rec {
	struct tsc_rec_hdr hdr;
	const uint8_t *payload;
	const uint8_t *raw;
};

/* Payload of OPEN; @name is NUL-terminated. */
struct tsc_open {
	uint32_t kind;
	char name[TTYSCOPE_NAME_LEN + 1];
};

/* Payload of WINSIZE. */
struct tsc_winsize {
	uint16_t rows;
	uint16_t cols;
	uint16_t xpixel;
	uint16_t ypixel;
};

/* Payload of SESSION; the names are NUL-terminated. */
struct tsc_session {
	uint32_t sid;
	uint32_t pgrp;
	uint32_t uid;
	uint32_t loginuid;
	char comm[TTYSCOPE_COMM_LEN + 1];
	char fg_comm[TTYSCOPE_COMM_LEN + 1];
};

/* Payload of INJECT: the head, and a view of the injected bytes. */
struct tsc_inject {
	uint32_t operator_uid;
	const uint8_t *data;
	size_t len;
};

/* Payload of PASS. */
struct tsc_pass {
	uint32_t pass;
	uint32_t operator_uid;
};

/* Payload of MARK: the label, NUL-terminated (no NUL inside). */
struct tsc_mark {
	char label[TSC_MARK_LABEL_MAX + 1];
};

/* Payload of LOSS. */
struct tsc_loss {
	uint64_t records;
	uint64_t bytes;
};

void tsc_rec_hdr_unpack(const void *buf, struct tsc_rec_hdr *hdr);
void tsc_rec_hdr_pack(const struct tsc_rec_hdr *hdr, void *buf);
enum tsc_fault tsc_rec_hdr_check(const struct tsc_rec_hdr *hdr);
int tsc_rec_parse(const void *buf, size_t size, struct tsc_rec *ret_rec);
int tsc_rec_encode(const struct tsc_rec_hdr *hdr, const void *payload,
		   void *buf, size_t size);
const char *tsc_rec_type_name(unsigned int type);

int tsc_rec_decode_open(const struct tsc_rec *rec, struct tsc_open *ret_open);
int tsc_rec_decode_winsize(const struct tsc_rec *rec,
			   struct tsc_winsize *ret_ws);
int tsc_rec_decode_session(const struct tsc_rec *rec,
			   struct tsc_session *ret_session);
int tsc_rec_decode_inject(const struct tsc_rec *rec,
			  struct tsc_inject *ret_inject);
int tsc_rec_decode_pass(const struct tsc_rec *rec, struct tsc_pass *ret_pass);
int tsc_rec_decode_loss(const struct tsc_rec *rec, struct tsc_loss *ret_loss);
int tsc_rec_decode_mark(const struct tsc_rec *rec, struct tsc_mark *ret_mark);

void tsc_rec_encode_open(const struct tsc_open *open, void *buf);
void tsc_rec_encode_winsize(const struct tsc_winsize *ws, void *buf);
void tsc_rec_encode_session(const struct tsc_session *session, void *buf);
void tsc_rec_encode_inject_head(uint32_t operator_uid, void *buf);
void tsc_rec_encode_pass(const struct tsc_pass *pass, void *buf);
void tsc_rec_encode_loss(const struct tsc_loss *loss, void *buf);

#endif /* TSC_RECORD_H */
