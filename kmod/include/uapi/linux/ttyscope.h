/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ttyscope: tty capture and control, the record stream of /dev/rpl and its
 * control ioctls.
 *
 * This header is the one contract between ttyscope.ko and userspace. The
 * same records travel through /dev/rpl, the daemon's socket and log files.
 * docs/FORMAT.md specifies every byte; docs/IOCTL.md every ioctl and errno.
 *
 * All multi-byte fields of records are little-endian. The ioctl structures
 * are in host byte order, have the same layout on 32-bit and 64-bit
 * userspace, and their sizes are multiples of 8.
 */
#ifndef _UAPI_LINUX_TTYSCOPE_H
#define _UAPI_LINUX_TTYSCOPE_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* ABI version: bumped on any incompatible change to records or ioctls. */
#define TTYSCOPE_ABI_VERSION 1

/* The first four bytes of every record: "TSCR" in memory order. */
#define TTYSCOPE_REC_MAGIC 0x52435354u

/* Largest payload of a single record; longer data is split. */
#define TTYSCOPE_MAX_PAYLOAD 4096u

/* Largest INJECT request, in bytes. */
#define TTYSCOPE_INJECT_MAX 4096u

/* Per-reader buffer sizes (bytes; rounded up to a power of two). */
#define TTYSCOPE_BUF_MIN (8u << 10)
#define TTYSCOPE_BUF_DEFAULT (1u << 20)
#define TTYSCOPE_BUF_MAX (256u << 20)

/**
 * struct ttyscope_rec - header of every record (40 bytes)
 * @magic: %TTYSCOPE_REC_MAGIC
 * @version: %TTYSCOPE_ABI_VERSION of the producer
 * @type: one of enum ttyscope_rec_type
 * @flags: TTYSCOPE_RF_* bits; undefined bits are zero
 * @len: number of payload bytes following this header
 * @major: device major of the tty (for a pty pair: the slave, 136..143)
 * @minor: device minor of the tty
 * @seq: per-tty sequence number, counting from 0 at OPEN; every record of
 *	a tty takes the next number, so a gap shows records this reader lost
 * @ts_ns: CLOCK_REALTIME in nanoseconds when the record was produced
 *
 * The payload follows immediately; there is no padding between records.
 */
struct ttyscope_rec {
	__le32 magic;
	__le16 version;
	__le16 type;
	__le32 flags;
	__le32 len;
	__le32 major;
	__le32 minor;
	__le64 seq;
	__le64 ts_ns;
};

/**
 * enum ttyscope_rec_type - record types
 *
 * Types 1..63 are produced by the kernel, 64..127 by userspace (log files,
 * daemon); numbers are never reused.
 *
 * @TTYSCOPE_REC_OPEN: capture of a tty starts; payload struct ttyscope_rec_open.
 *	%TTYSCOPE_RF_ATTACHED: the tty existed before and was attached.
 * @TTYSCOPE_REC_CLOSE: capture ends (tty closed or hung up); no payload.
 *	%TTYSCOPE_RF_ATTACHED: the tty was detached and stays open.
 * @TTYSCOPE_REC_HANGUP: the tty was hung up; no payload. CLOSE follows.
 * @TTYSCOPE_REC_IN: input the line discipline received (keystrokes);
 *	payload: the bytes. %TTYSCOPE_RF_NOECHO if ECHO was off,
 *	%TTYSCOPE_RF_NONCANON if ICANON was off.
 * @TTYSCOPE_REC_OUT: output (for a pty: exactly what the master read);
 *	payload: the bytes.
 * @TTYSCOPE_REC_WINSIZE: window size changed; payload struct ttyscope_rec_winsize.
 * @TTYSCOPE_REC_SESSION: session, foreground process group or their
 *	owners changed; payload struct ttyscope_rec_session.
 * @TTYSCOPE_REC_IN_DROPPED: input discarded because pass is 0; payload:
 *	the bytes. Flags as for IN.
 * @TTYSCOPE_REC_INJECT: input typed in by an operator; payload struct
 *	ttyscope_rec_inject followed by the bytes the tty accepted.
 * @TTYSCOPE_REC_PASS: the pass flag changed; payload struct ttyscope_rec_pass.
 * @TTYSCOPE_REC_LOSS: records this reader lost since its previous LOSS
 *	record; payload struct ttyscope_rec_loss; major = minor = 0.
 */
enum ttyscope_rec_type {
	TTYSCOPE_REC_OPEN = 1,
	TTYSCOPE_REC_CLOSE = 2,
	TTYSCOPE_REC_HANGUP = 3,
	TTYSCOPE_REC_IN = 4,
	TTYSCOPE_REC_OUT = 5,
	TTYSCOPE_REC_WINSIZE = 6,
	TTYSCOPE_REC_SESSION = 7,
	TTYSCOPE_REC_IN_DROPPED = 8,
	TTYSCOPE_REC_INJECT = 9,
	TTYSCOPE_REC_PASS = 10,
	TTYSCOPE_REC_LOSS = 11,
	TTYSCOPE_REC_KERNEL_LAST = 63,
};

/*
 * Record flags. NOECHO and NONCANON describe the tty when input arrived: a
 * password prompt has ECHO off in canonical mode (NOECHO without NONCANON);
 * line editors and full-screen programs turn both off and draw themselves.
 */
#define TTYSCOPE_RF_NOECHO (1u << 0) /* IN, IN_DROPPED, INJECT: ECHO off */
#define TTYSCOPE_RF_ATTACHED (1u << 1) /* OPEN, CLOSE: see above */
#define TTYSCOPE_RF_NONCANON (1u << 2) /* IN, IN_DROPPED, INJECT: ICANON off */

/* Kinds of tty, in struct ttyscope_rec_open and struct ttyscope_tty_info. */
enum ttyscope_tty_kind {
	TTYSCOPE_KIND_OTHER = 0,
	TTYSCOPE_KIND_PTY =
		1, /* pseudo-terminal pair; records name the slave */
	TTYSCOPE_KIND_VT = 2, /* virtual console */
	TTYSCOPE_KIND_SERIAL = 3, /* serial port */
};

#define TTYSCOPE_NAME_LEN 32
#define TTYSCOPE_COMM_LEN 16

/* Login uid of a task that never logged in (audit's AUDIT_UID_UNSET). */
#define TTYSCOPE_UID_UNSET 0xffffffffu

/**
 * struct ttyscope_rec_open - payload of OPEN (40 bytes)
 * @kind: enum ttyscope_tty_kind
 * @reserved: zero
 * @name: device path below /dev ("pts/3", "ttyS0"), NUL-padded
 */
struct ttyscope_rec_open {
	__le32 kind;
	__le32 reserved;
	char name[TTYSCOPE_NAME_LEN];
};

/** struct ttyscope_rec_winsize - payload of WINSIZE (8 bytes) */
struct ttyscope_rec_winsize {
	__le16 rows;
	__le16 cols;
	__le16 xpixel;
	__le16 ypixel;
};

/**
 * struct ttyscope_rec_session - payload of SESSION (48 bytes)
 * @sid: session id (global pid namespace), 0 if the tty has no session
 * @pgrp: foreground process group id, 0 if none
 * @uid: real uid of the session leader
 * @loginuid: audit login uid of the session leader, or %TTYSCOPE_UID_UNSET
 * @comm: command name of the session leader, NUL-padded
 * @fg_comm: command name of the foreground process group leader
 */
struct ttyscope_rec_session {
	__le32 sid;
	__le32 pgrp;
	__le32 uid;
	__le32 loginuid;
	char comm[TTYSCOPE_COMM_LEN];
	char fg_comm[TTYSCOPE_COMM_LEN];
};

/**
 * struct ttyscope_rec_inject - payload head of INJECT (8 bytes)
 * @operator_uid: the uid the caller of %TTYSCOPE_IOC_INJECT named
 * @reserved: zero
 */
struct ttyscope_rec_inject {
	__le32 operator_uid;
	__le32 reserved;
};

/** struct ttyscope_rec_pass - payload of PASS (8 bytes) */
struct ttyscope_rec_pass {
	__le32 pass;
	__le32 operator_uid;
};

/** struct ttyscope_rec_loss - payload of LOSS (16 bytes) */
struct ttyscope_rec_loss {
	__le64 records;
	__le64 bytes; /* payload bytes of the lost records */
};

/*
 * Control ioctls on /dev/rpl. All require CAP_SYS_ADMIN (else EPERM).
 * Every struct has reserved fields and flags that must be zero (EINVAL).
 * A tty is named by its device number; no captured tty: ENODEV.
 */
#define TTYSCOPE_IOC_MAGIC 0xD7

/**
 * struct ttyscope_version - %TTYSCOPE_IOC_VERSION (32 bytes, out)
 * @abi_version: %TTYSCOPE_ABI_VERSION
 * @max_payload: %TTYSCOPE_MAX_PAYLOAD
 * @inject_max: %TTYSCOPE_INJECT_MAX
 * @released: 1 after %TTYSCOPE_IOC_RELEASE
 * @module_version: module version string, NUL-terminated
 */
struct ttyscope_version {
	__u32 abi_version;
	__u32 max_payload;
	__u32 inject_max;
	__u32 released;
	char module_version[16];
};

/* Flags of struct ttyscope_tty_info. */
#define TTYSCOPE_TF_ATTACHED (1u << 0) /* attached after it was opened */
#define TTYSCOPE_TF_HUNGUP (1u << 1) /* a hangup is in progress */

/**
 * struct ttyscope_tty_info - one captured tty, as returned by LIST (168 bytes)
 * @major: device major
 * @minor: device minor
 * @flags: TTYSCOPE_TF_*
 * @pass: 1 if the user's input reaches the tty, 0 if it is discarded
 * @kind: enum ttyscope_tty_kind
 * @sid: session id, 0 if none
 * @pgrp: foreground process group, 0 if none
 * @uid: real uid of the session leader
 * @loginuid: audit login uid of the session leader, or %TTYSCOPE_UID_UNSET
 * @rows: window rows
 * @cols: window columns
 * @xpixel: window width in pixels
 * @ypixel: window height in pixels
 * @reserved: zero
 * @bytes_in: input bytes captured (IN)
 * @bytes_out: output bytes captured (OUT)
 * @bytes_dropped: input bytes discarded (IN_DROPPED)
 * @bytes_injected: bytes injected (INJECT)
 * @records: records produced for this tty (the next @seq)
 * @lost_records: records of this tty lost, summed over readers
 * @open_ns: CLOCK_REALTIME of the OPEN record
 * @name: device path below /dev
 * @comm: command name of the session leader
 * @fg_comm: command name of the foreground process group leader
 */
struct ttyscope_tty_info {
	__u32 major;
	__u32 minor;
	__u32 flags;
	__u32 pass;
	__u32 kind;
	__u32 sid;
	__u32 pgrp;
	__u32 uid;
	__u32 loginuid;
	__u16 rows;
	__u16 cols;
	__u16 xpixel;
	__u16 ypixel;
	__u32 reserved;
	__u64 bytes_in;
	__u64 bytes_out;
	__u64 bytes_dropped;
	__u64 bytes_injected;
	__u64 records;
	__u64 lost_records;
	__u64 open_ns;
	char name[TTYSCOPE_NAME_LEN];
	char comm[TTYSCOPE_COMM_LEN];
	char fg_comm[TTYSCOPE_COMM_LEN];
};

/**
 * struct ttyscope_list - %TTYSCOPE_IOC_LIST (24 bytes, in/out)
 * @capacity: in: number of entries @entries can hold (may be 0)
 * @count: out: number of captured ttys; entries filled: min(@capacity, @count)
 * @flags: zero
 * @reserved: zero
 * @entries: user pointer to an array of struct ttyscope_tty_info
 */
struct ttyscope_list {
	__u32 capacity;
	__u32 count;
	__u32 flags;
	__u32 reserved;
	__aligned_u64 entries;
};

/**
 * struct ttyscope_tty - a tty, for HANGUP and DETACH (16 bytes, in)
 * @major: device major
 * @minor: device minor
 * @flags: zero
 * @reserved: zero
 */
struct ttyscope_tty {
	__u32 major;
	__u32 minor;
	__u32 flags;
	__u32 reserved;
};

/**
 * struct ttyscope_pass - %TTYSCOPE_IOC_SET_PASS (24 bytes, in)
 * @major: device major
 * @minor: device minor
 * @pass: 1: the user's input reaches the tty; 0: it is discarded
 * @operator_uid: uid recorded in the PASS record
 * @flags: zero
 * @reserved: zero
 */
struct ttyscope_pass {
	__u32 major;
	__u32 minor;
	__u32 pass;
	__u32 operator_uid;
	__u32 flags;
	__u32 reserved;
};

/**
 * struct ttyscope_inject - %TTYSCOPE_IOC_INJECT (32 bytes, in)
 * @major: device major
 * @minor: device minor
 * @len: bytes at @data, 1..%TTYSCOPE_INJECT_MAX
 * @operator_uid: uid recorded in the INJECT record
 * @flags: zero
 * @reserved: zero
 * @data: user pointer to the bytes to type in
 *
 * Returns the number of bytes the tty accepted (like write(2); fewer than
 * @len when its input buffer is full). Works whatever the pass flag.
 */
struct ttyscope_inject {
	__u32 major;
	__u32 minor;
	__u32 len;
	__u32 operator_uid;
	__u32 flags;
	__u32 reserved;
	__aligned_u64 data;
};

/**
 * struct ttyscope_attach - %TTYSCOPE_IOC_ATTACH (16 bytes, in/out)
 * @fd: in: an open file descriptor of the tty (either end of a pty)
 * @flags: in: zero
 * @major: out: device major of the captured tty
 * @minor: out: device minor of the captured tty
 */
struct ttyscope_attach {
	__s32 fd;
	__u32 flags;
	__u32 major;
	__u32 minor;
};

/**
 * struct ttyscope_stats - %TTYSCOPE_IOC_STATS (96 bytes, out)
 *
 * Global counters, since the module was loaded:
 * @records_produced: records produced for all ttys and readers
 * @bytes_produced: payload bytes of those records
 * @records_lost: records lost, summed over readers
 * @bytes_lost: payload bytes of those records
 * @ttys_captured: ttys captured now
 * @readers: /dev/rpl files open now
 *
 * Counters of the calling reader (this open file), since it was opened:
 * @rd_records: records offered to this reader (queued + lost)
 * @rd_bytes: payload bytes of those records
 * @rd_records_lost: records lost because this reader's buffer was full
 * @rd_bytes_lost: payload bytes of those records
 * @rd_buf_size: size of this reader's buffer in bytes
 * @rd_buf_used: bytes queued and not yet read
 */
struct ttyscope_stats {
	__u64 records_produced;
	__u64 bytes_produced;
	__u64 records_lost;
	__u64 bytes_lost;
	__u32 ttys_captured;
	__u32 readers;
	__u64 rd_records;
	__u64 rd_bytes;
	__u64 rd_records_lost;
	__u64 rd_bytes_lost;
	__u32 rd_buf_size;
	__u32 rd_buf_used;
	__u64 reserved[2];
};

/**
 * struct ttyscope_bufsize - %TTYSCOPE_IOC_SET_BUFSIZE (8 bytes, in)
 * @size: %TTYSCOPE_BUF_MIN..%TTYSCOPE_BUF_MAX bytes, rounded up to a
 *	power of two; queued records are kept (EBUSY if they do not fit)
 * @flags: zero
 */
struct ttyscope_bufsize {
	__u32 size;
	__u32 flags;
};

/*
 * mmap of /dev/rpl: a reader may map its buffer instead of read()ing it
 * (docs/IOCTL.md, "Mapping the buffer"). Two regions, each mapped whole
 * with MAP_SHARED:
 *   %TTYSCOPE_MMAP_CTL   one page, struct ttyscope_mmap_ctl; PROT_READ |
 *                        PROT_WRITE (the reader writes @tail, so the file
 *                        must be open O_RDWR)
 *   %TTYSCOPE_MMAP_DATA  the buffer, @size bytes rounded up to whole pages;
 *                        PROT_READ only
 * Once a reader was mapped, read() fails with EBUSY and SET_BUFSIZE too.
 */
#define TTYSCOPE_MMAP_CTL 0x0u
#define TTYSCOPE_MMAP_DATA 0x10000000u

/**
 * struct ttyscope_mmap_ctl - start of the control page (128 bytes)
 * @head: end of the queued records: bytes ever queued, modulo 2^32.
 *	Written by the kernel; load it with acquire semantics.
 * @size: size of the buffer in bytes, a power of two
 * @reserved: zero
 * @tail: end of the consumed records, modulo 2^32. Written by the reader
 *	with release semantics once it is done with the bytes before it;
 *	the kernel reuses them from then on.
 * @reserved2: zero
 *
 * The queued records are the bytes from @tail up to @head, at buffer
 * offsets (position & (@size - 1)); a record may wrap around the end.
 * The kernel never reads @head back, and a @tail it cannot make sense of
 * (@head - @tail > @size) makes it treat the buffer as full.
 */
struct ttyscope_mmap_ctl {
	__u32 head;
	__u32 size;
	__u32 reserved[14];
	__u32 tail;
	__u32 reserved2[15];
};

#define TTYSCOPE_IOC_VERSION \
	_IOR(TTYSCOPE_IOC_MAGIC, 0x00, struct ttyscope_version)
#define TTYSCOPE_IOC_LIST _IOWR(TTYSCOPE_IOC_MAGIC, 0x01, struct ttyscope_list)
#define TTYSCOPE_IOC_SET_PASS \
	_IOW(TTYSCOPE_IOC_MAGIC, 0x02, struct ttyscope_pass)
#define TTYSCOPE_IOC_INJECT \
	_IOW(TTYSCOPE_IOC_MAGIC, 0x03, struct ttyscope_inject)
#define TTYSCOPE_IOC_HANGUP _IOW(TTYSCOPE_IOC_MAGIC, 0x04, struct ttyscope_tty)
#define TTYSCOPE_IOC_STATS _IOR(TTYSCOPE_IOC_MAGIC, 0x05, struct ttyscope_stats)
#define TTYSCOPE_IOC_ATTACH \
	_IOWR(TTYSCOPE_IOC_MAGIC, 0x06, struct ttyscope_attach)
#define TTYSCOPE_IOC_DETACH _IOW(TTYSCOPE_IOC_MAGIC, 0x07, struct ttyscope_tty)
#define TTYSCOPE_IOC_RELEASE _IO(TTYSCOPE_IOC_MAGIC, 0x08)
#define TTYSCOPE_IOC_SET_BUFSIZE \
	_IOW(TTYSCOPE_IOC_MAGIC, 0x09, struct ttyscope_bufsize)

#endif /* _UAPI_LINUX_TTYSCOPE_H */
