/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ttyscope internals shared by the module's source files.
 */
#ifndef TTYSCOPE_H
#define TTYSCOPE_H

#include <linux/fs.h>
#include <linux/srcu.h>
#include <linux/tty.h>
#include <linux/tty_ldisc.h>
#include <uapi/linux/ttyscope.h>

#define TTYSCOPE_VERSION "0.1.0"

/**
 * struct ttyscope_state - the user_state of one captured tty
 * @node: entry in the state hash, keyed by @tty
 * @rcu: for freeing after an SRCU grace period
 * @tty: the captured tty (for a pty pair: the slave). Valid while the state
 *	is hashed: the state is unhashed before the tty's line discipline is
 *	closed, which happens before the tty can be freed.
 * @dev: device number of @tty
 * @kind: enum ttyscope_tty_kind
 * @attached: captured by ATTACH rather than from its first open
 * @name: device path below /dev
 * @open_ns: CLOCK_REALTIME of the OPEN record
 * @pass: 1: input reaches the tty; 0: it is discarded. Written with
 *	WRITE_ONCE() by SET_PASS, read locklessly by the receive path.
 * @hungup: set by the hangup callback
 *
 * Protected by ttyscope_emit_lock (the record stream's lock):
 * @seq: sequence number of the next record of this tty
 * @bytes_in: IN payload bytes
 * @bytes_out: OUT payload bytes
 * @bytes_dropped: IN_DROPPED payload bytes
 * @bytes_injected: INJECT data bytes
 * @lost_records: records of this tty lost, summed over readers
 * @closed: CLOSE was produced; no further record of this tty is produced
 *
 * Protected by @meta_lock (the last values reported in SESSION and WINSIZE):
 * @meta_lock: see above
 * @sid: session id
 * @pgrp: foreground process group id
 * @uid: real uid of the session leader
 * @loginuid: audit login uid of the session leader
 * @comm: command name of the session leader
 * @fg_comm: command name of the foreground process group leader
 * @ws: window size
 * @next_sample: jiffies after which leader names and uids are re-read
 *	even if the session and process group did not change
 * @session_hint: tty->ctrl.session when last sampled; compared, never
 *	dereferenced, to skip sampling when nothing changed
 * @pgrp_hint: likewise for tty->ctrl.pgrp
 */
struct ttyscope_state {
	struct hlist_node node;
	struct rcu_head rcu;
	struct tty_struct *tty;
	dev_t dev;
	u32 kind;
	bool attached;
	char name[TTYSCOPE_NAME_LEN];
	u64 open_ns;
	int pass;
	bool hungup;

	u64 seq;
	u64 bytes_in;
	u64 bytes_out;
	u64 bytes_dropped;
	u64 bytes_injected;
	u64 lost_records;
	bool closed;

	spinlock_t meta_lock;
	u32 sid;
	u32 pgrp;
	u32 uid;
	u32 loginuid;
	char comm[TASK_COMM_LEN];
	char fg_comm[TASK_COMM_LEN];
	struct winsize ws;
	unsigned long next_sample;
	const void *session_hint;
	const void *pgrp_hint;
};

/* ttyscope_main.c */
extern struct srcu_struct ttyscope_srcu;
extern struct mutex ttyscope_ctl_mutex;
extern long (*ttyscope_tty_ioctl)(struct file *file, unsigned int cmd,
				  unsigned long arg);
bool ttyscope_released(void);
int ttyscope_release(void);
void ttyscope_owe_put(void);

/* ttyscope_ldisc.c */
extern struct tty_ldisc_ops ttyscope_n_tty;
extern struct tty_ldisc_ops ttyscope_wrap;
extern struct tty_ldisc_ops *ttyscope_orig;
extern spinlock_t ttyscope_states_lock;
extern unsigned int ttyscope_ttys;
void ttyscope_ldisc_init(void);
struct ttyscope_state *ttyscope_find_dev(dev_t dev);
struct tty_struct *ttyscope_get_tty(struct ttyscope_state *st);
int ttyscope_attach(struct file *file, dev_t *ret_dev);
int ttyscope_detach(dev_t dev);
void ttyscope_detach_all(void);
void ttyscope_fill_info(struct ttyscope_state *st,
			struct ttyscope_tty_info *info);
struct ttyscope_state *ttyscope_next_state(struct ttyscope_state *st,
					   unsigned int *bkt);
int ttyscope_inject(dev_t dev, const u8 *buf, u32 len, u32 operator_uid);
int ttyscope_hangup(dev_t dev);
int ttyscope_set_pass(dev_t dev, u32 pass, u32 operator_uid);

/* ttyscope_rpl.c */
extern const struct file_operations ttyscope_rpl_fops;
void ttyscope_emit(struct ttyscope_state *st, u16 type, u32 flags,
		   const void *head, size_t head_len, const void *data,
		   size_t len);
void ttyscope_get_stats(struct file *file, struct ttyscope_stats *stats);
int ttyscope_set_bufsize(struct file *file, u32 size);
void ttyscope_read_counters(struct ttyscope_state *st,
			    struct ttyscope_tty_info *info);

/* ttyscope_ioctl.c */
long ttyscope_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

#endif /* TTYSCOPE_H */
