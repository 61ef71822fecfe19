// SPDX-License-Identifier: GPL-2.0
/*
 * ttyscope line discipline: the kernel's n_tty with capture, the pass flag,
 * and the per-tty user_state.
 *
 * ttyscope_wrap is a copy of n_tty's operations (n_tty_inherit_ops(), as
 * drivers/pps/clients/pps-ldisc.c does) whose open, close, receive, write
 * and hangup methods chain to n_tty's own. It is installed two ways:
 *
 * - autopush: registered in the N_TTY slot, so every tty created afterwards
 *   runs it from its first byte;
 * - push (ATTACH): swapped into the ldisc of a tty that already exists,
 *   keeping n_tty's disc_data, so unread input survives and blocked readers
 *   and writers notice nothing. Pop (DETACH) swaps the kernel's ops back.
 *
 * For a pty pair the state belongs to the slave. The slave's receive path
 * sees the keystrokes (IN: what was written to the master), the master's
 * receive path sees the screen (OUT: what the master reads, including
 * n_tty's echo and output processing). Other ttys record what they
 * receive as IN and what is written to them as OUT.
 *
 * Every method runs inside an ttyscope_srcu read-side section, so that a
 * popped tty's ops and a removed state stay valid until every caller that
 * may still use them has returned (see ttyscope_owe_put()).
 */
#include <linux/audit.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/tty_driver.h>
#include <linux/tty_flip.h>

#include "ttyscope.h"

struct tty_ldisc_ops ttyscope_n_tty;
struct tty_ldisc_ops ttyscope_wrap;
struct tty_ldisc_ops *ttyscope_orig;

#define TTYSCOPE_HASH_BITS 8
static DEFINE_HASHTABLE(ttyscope_states, TTYSCOPE_HASH_BITS);

/* Protects ttyscope_states (writers), ttyscope_ttys and state->unhashed. */
DEFINE_SPINLOCK(ttyscope_states_lock);
unsigned int ttyscope_ttys;

/* How often leader names and uids are re-read while nothing else changes. */
#define TTYSCOPE_SAMPLE_INTERVAL (HZ / 4)

static bool tsc_is_pty_master(struct tty_struct *tty)
{
	return tty->driver->type == TTY_DRIVER_TYPE_PTY &&
	       tty->driver->subtype == PTY_TYPE_MASTER;
}

/* The tty whose state records the traffic of @tty. */
static struct tty_struct *tsc_capture_tty(struct tty_struct *tty)
{
	return tsc_is_pty_master(tty) ? tty->link : tty;
}

static struct hlist_head *tsc_bucket(struct tty_struct *tty)
{
	return &ttyscope_states[hash_ptr(tty, TTYSCOPE_HASH_BITS)];
}

/* Context: inside an ttyscope_srcu read-side section. */
static struct ttyscope_state *tsc_lookup(struct tty_struct *tty)
{
	struct ttyscope_state *st;

	hlist_for_each_entry_srcu(
		st, tsc_bucket(tty), node,
		srcu_read_lock_held(&ttyscope_srcu)) if (st->tty ==
							 tty) return st;
	return NULL;
}

/* Describe the termios input arrives under (read without termios_rwsem). */
static u32 tsc_input_flags(struct tty_struct *tty)
{
	return (data_race(L_ECHO(tty)) ? 0 : TTYSCOPE_RF_NOECHO) |
	       (data_race(L_ICANON(tty)) ? 0 : TTYSCOPE_RF_NONCANON);
}

static u32 tsc_kind(struct tty_struct *tty)
{
	switch (tty->driver->type) {
	case TTY_DRIVER_TYPE_PTY:
		return TTYSCOPE_KIND_PTY;
	case TTY_DRIVER_TYPE_CONSOLE:
		return TTYSCOPE_KIND_VT;
	case TTY_DRIVER_TYPE_SERIAL:
		return TTYSCOPE_KIND_SERIAL;
	default:
		return TTYSCOPE_KIND_OTHER;
	}
}

static struct ttyscope_state *tsc_state_alloc(struct tty_struct *tty,
					      bool attached)
{
	struct ttyscope_state *st;

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return NULL;
	st->tty = tty;
	st->dev = tty_devnum(tty);
	st->kind = tsc_kind(tty);
	st->attached = attached;
	st->pass = 1;
	st->loginuid = TTYSCOPE_UID_UNSET;
	st->next_sample = jiffies;
	spin_lock_init(&st->meta_lock);
	if (st->kind == TTYSCOPE_KIND_PTY)
		snprintf(st->name, sizeof(st->name), "pts/%d", tty->index);
	else
		strscpy(st->name, tty->name, sizeof(st->name));
	return st;
}

static void tsc_state_free_rcu(struct rcu_head *rcu)
{
	kfree(container_of(rcu, struct ttyscope_state, rcu));
}

/*
 * Hash @st and record OPEN. Fails with -ESHUTDOWN after RELEASE and with
 * -EEXIST if @st->tty already has a state.
 */
static int tsc_state_insert(struct ttyscope_state *st)
{
	struct ttyscope_rec_open open = {};
	struct ttyscope_state *old;

	spin_lock(&ttyscope_states_lock);
	if (ttyscope_released()) {
		spin_unlock(&ttyscope_states_lock);
		return -ESHUTDOWN;
	}
	hlist_for_each_entry(old, tsc_bucket(st->tty), node) {
		if (old->tty == st->tty) {
			spin_unlock(&ttyscope_states_lock);
			return -EEXIST;
		}
	}
	st->open_ns = ktime_get_real_ns();
	hlist_add_head_rcu(&st->node, tsc_bucket(st->tty));
	ttyscope_ttys++;
	spin_unlock(&ttyscope_states_lock);

	open.kind = cpu_to_le32(st->kind);
	memcpy(open.name, st->name, sizeof(open.name));
	ttyscope_emit(st, TTYSCOPE_REC_OPEN,
		      st->attached ? TTYSCOPE_RF_ATTACHED : 0, &open,
		      sizeof(open), NULL, 0);
	return 0;
}

/*
 * Unhash @st, record CLOSE and free it after a grace period. Returns false
 * if somebody else removed it first.
 * Context: inside an ttyscope_srcu read-side section.
 */
static bool tsc_state_remove(struct ttyscope_state *st, u32 flags)
{
	spin_lock(&ttyscope_states_lock);
	if (hlist_unhashed(&st->node)) {
		spin_unlock(&ttyscope_states_lock);
		return false;
	}
	hlist_del_init_rcu(&st->node);
	ttyscope_ttys--;
	spin_unlock(&ttyscope_states_lock);

	ttyscope_emit(st, TTYSCOPE_REC_CLOSE, flags, NULL, 0, NULL, 0);
	call_srcu(&ttyscope_srcu, &st->rcu, tsc_state_free_rcu);
	return true;
}

/*
 * Install our ops in @ld if it runs the kernel's n_tty. The tty core puts
 * the owner of whatever ops an ldisc has when it is closed, so every ldisc
 * given our ops holds a reference on this module.
 * Context: the caller holds a reference on @ld (or is its open method).
 */
static void tsc_push(struct tty_ldisc *ld)
{
	if (ld->ops != ttyscope_orig)
		return;
	__module_get(THIS_MODULE);
	WRITE_ONCE(ld->ops, &ttyscope_wrap);
}

/*
 * Give @ld back to the kernel's n_tty. The module reference it held is
 * dropped once no caller can still be running our methods.
 */
static void tsc_pop(struct tty_ldisc *ld)
{
	if (ld->ops != &ttyscope_wrap)
		return;
	WRITE_ONCE(ld->ops, ttyscope_orig);
	ttyscope_owe_put();
}

/* Push or pop the master end of a pty pair whose slave is @tty. */
static void tsc_peer(struct tty_struct *tty, void (*fn)(struct tty_ldisc *ld))
{
	struct tty_ldisc *ld;

	if (!tty->link || !tsc_is_pty_master(tty->link))
		return;
	ld = tty_ldisc_ref(tty->link);
	if (!ld)
		return;
	fn(ld);
	tty_ldisc_deref(ld);
}

/*
 * Record SESSION and WINSIZE when the tty's session, foreground process
 * group, their leaders or the window size changed since the last call.
 * The slave's ldisc opens before any session exists, so this is sampled
 * when data flows. Context: process (a receive or write path, or an ioctl).
 */
static bool tsc_winsize_changed(struct ttyscope_state *st)
{
	const struct winsize *ws = &st->tty->winsize;

	return data_race(ws->ws_row != st->ws.ws_row ||
			 ws->ws_col != st->ws.ws_col ||
			 ws->ws_xpixel != st->ws.ws_xpixel ||
			 ws->ws_ypixel != st->ws.ws_ypixel);
}

/*
 * Nothing to report in the common case: the same session and process group
 * (by address; a recycled address is caught by the periodic re-read), the
 * same window size, and no re-read due. Checked without locks; the slow
 * path decides under them.
 */
static bool tsc_sample_due(struct ttyscope_state *st)
{
	struct tty_struct *tty = st->tty;

	return data_race(tty->ctrl.session != st->session_hint ||
			 tty->ctrl.pgrp != st->pgrp_hint) ||
	       time_after(jiffies, READ_ONCE(st->next_sample)) ||
	       tsc_winsize_changed(st);
}

static void tsc_sample(struct ttyscope_state *st)
{
	struct tty_struct *tty = st->tty;
	struct ttyscope_rec_session ses = {};
	struct ttyscope_rec_winsize rws;
	struct task_struct *task;
	struct pid *sid, *pgrp;
	struct winsize ws;
	char comm[TASK_COMM_LEN] = "";
	char fg_comm[TASK_COMM_LEN] = "";
	u32 uid = 0, loginuid = TTYSCOPE_UID_UNSET;
	unsigned long flags;
	bool changed;

	if (!tsc_sample_due(st))
		return;
	spin_lock_irqsave(&tty->ctrl.lock, flags);
	sid = get_pid(tty->ctrl.session);
	pgrp = get_pid(tty->ctrl.pgrp);
	spin_unlock_irqrestore(&tty->ctrl.lock, flags);

	spin_lock(&st->meta_lock);
	WRITE_ONCE(st->session_hint, sid);
	WRITE_ONCE(st->pgrp_hint, pgrp);
	changed = pid_nr(sid) != st->sid || pid_nr(pgrp) != st->pgrp ||
		  time_after(jiffies, st->next_sample);
	if (changed) {
		spin_unlock(&st->meta_lock);
		rcu_read_lock();
		task = pid_task(sid, PIDTYPE_PID);
		if (task) {
			uid = from_kuid_munged(&init_user_ns, task_uid(task));
			loginuid = from_kuid(&init_user_ns,
					     audit_get_loginuid(task));
			get_task_comm(comm, task);
		}
		task = pid_task(pgrp, PIDTYPE_PID);
		if (!task)
			task = pid_task(pgrp, PIDTYPE_PGID);
		if (task)
			get_task_comm(fg_comm, task);
		rcu_read_unlock();
		spin_lock(&st->meta_lock);

		WRITE_ONCE(st->next_sample, jiffies + TTYSCOPE_SAMPLE_INTERVAL);
		changed = pid_nr(sid) != st->sid || pid_nr(pgrp) != st->pgrp ||
			  uid != st->uid || loginuid != st->loginuid ||
			  strncmp(comm, st->comm, TASK_COMM_LEN) ||
			  strncmp(fg_comm, st->fg_comm, TASK_COMM_LEN);
	}
	if (changed) {
		st->sid = pid_nr(sid);
		st->pgrp = pid_nr(pgrp);
		st->uid = uid;
		st->loginuid = loginuid;
		memcpy(st->comm, comm, TASK_COMM_LEN);
		memcpy(st->fg_comm, fg_comm, TASK_COMM_LEN);
		ses.sid = cpu_to_le32(st->sid);
		ses.pgrp = cpu_to_le32(st->pgrp);
		ses.uid = cpu_to_le32(uid);
		ses.loginuid = cpu_to_le32(loginuid);
		memcpy(ses.comm, comm, sizeof(ses.comm));
		memcpy(ses.fg_comm, fg_comm, sizeof(ses.fg_comm));
		ttyscope_emit(st, TTYSCOPE_REC_SESSION, 0, &ses, sizeof(ses),
			      NULL, 0);
	}
	/*
	 * Read under meta_lock, so that a sampler delayed since its check
	 * cannot report an older size after a newer one. winsize_mutex
	 * cannot be taken here; a torn read is corrected by the next sample.
	 */
	ws.ws_row = data_race(tty->winsize.ws_row);
	ws.ws_col = data_race(tty->winsize.ws_col);
	ws.ws_xpixel = data_race(tty->winsize.ws_xpixel);
	ws.ws_ypixel = data_race(tty->winsize.ws_ypixel);
	if (memcmp(&ws, &st->ws, sizeof(ws))) {
		st->ws = ws;
		rws.rows = cpu_to_le16(ws.ws_row);
		rws.cols = cpu_to_le16(ws.ws_col);
		rws.xpixel = cpu_to_le16(ws.ws_xpixel);
		rws.ypixel = cpu_to_le16(ws.ws_ypixel);
		ttyscope_emit(st, TTYSCOPE_REC_WINSIZE, 0, &rws, sizeof(rws),
			      NULL, 0);
	}
	spin_unlock(&st->meta_lock);
	put_pid(sid);
	put_pid(pgrp);
}

/*
 * The ldisc methods. Each chains to n_tty's and records what n_tty
 * consumed, never what it was offered.
 */

static int tsc_open(struct tty_struct *tty)
{
	struct ttyscope_state *st;
	int idx, ret;

	idx = srcu_read_lock(&ttyscope_srcu);
	ret = ttyscope_n_tty.open(tty);
	if (ret || tsc_is_pty_master(tty))
		goto out;

	st = tsc_state_alloc(tty, false);
	if (st && !tsc_state_insert(st))
		goto out;
	/* Released (or out of memory): this tty runs on plain n_tty. */
	if (!st)
		pr_warn_ratelimited(
			"ttyscope: %s not captured: out of memory\n",
			tty->name);
	kfree(st);
	tsc_pop(tty->ldisc);
	tsc_peer(tty, tsc_pop);
out:
	srcu_read_unlock(&ttyscope_srcu, idx);
	return ret;
}

static void tsc_close(struct tty_struct *tty)
{
	struct ttyscope_state *st;
	int idx;

	idx = srcu_read_lock(&ttyscope_srcu);
	if (!tsc_is_pty_master(tty)) {
		st = tsc_lookup(tty);
		if (st)
			tsc_state_remove(st, 0);
	}
	ttyscope_n_tty.close(tty);
	srcu_read_unlock(&ttyscope_srcu, idx);
}

/* Record input, or drop it while pass is 0. Returns the count consumed. */
static size_t tsc_input(struct ttyscope_state *st, struct tty_struct *tty,
			const u8 *cp, const tsc_flag_t *fp, size_t count,
			bool can_stall)
{
	u32 flags = tsc_input_flags(tty);
	size_t n;

	tsc_sample(st);
	if (!READ_ONCE(st->pass)) {
		ttyscope_emit(st, TTYSCOPE_REC_IN_DROPPED, flags, NULL, 0, cp,
			      count);
		return count;
	}
	if (can_stall) {
		n = ttyscope_n_tty.receive_buf2(tty, cp, fp, count);
	} else {
		ttyscope_n_tty.receive_buf(tty, cp, fp, count);
		n = count;
	}
	if (n)
		ttyscope_emit(st, TTYSCOPE_REC_IN, flags, NULL, 0, cp, n);
	return n;
}

static size_t tsc_output(struct ttyscope_state *st, struct tty_struct *tty,
			 const u8 *cp, const tsc_flag_t *fp, size_t count,
			 bool can_stall)
{
	size_t n;

	tsc_sample(st);
	if (can_stall) {
		n = ttyscope_n_tty.receive_buf2(tty, cp, fp, count);
	} else {
		ttyscope_n_tty.receive_buf(tty, cp, fp, count);
		n = count;
	}
	if (n)
		ttyscope_emit(st, TTYSCOPE_REC_OUT, 0, NULL, 0, cp, n);
	return n;
}

static size_t tsc_receive(struct tty_struct *tty, const u8 *cp,
			  const tsc_flag_t *fp, size_t count, bool can_stall)
{
	struct ttyscope_state *st;
	size_t n;
	int idx;

	idx = srcu_read_lock(&ttyscope_srcu);
	st = tsc_lookup(tsc_capture_tty(tty));
	if (!st) {
		if (can_stall) {
			n = ttyscope_n_tty.receive_buf2(tty, cp, fp, count);
		} else {
			ttyscope_n_tty.receive_buf(tty, cp, fp, count);
			n = count;
		}
	} else if (tsc_is_pty_master(tty)) {
		n = tsc_output(st, tty, cp, fp, count, can_stall);
	} else {
		n = tsc_input(st, tty, cp, fp, count, can_stall);
	}
	srcu_read_unlock(&ttyscope_srcu, idx);
	return n;
}

static tsc_rb2_ret_t tsc_receive_buf2(struct tty_struct *tty, const u8 *cp,
				      const tsc_flag_t *fp, tsc_count_t count)
{
	return tsc_receive(tty, cp, fp, count, true);
}

/* Used by TIOCSTI and drivers that cannot take partial consumption. */
static void tsc_receive_buf(struct tty_struct *tty, const u8 *cp,
			    const tsc_flag_t *fp, tsc_count_t count)
{
	tsc_receive(tty, cp, fp, count, false);
}

/* n_tty's early flow control; nothing of a blocked user may act. */
static void tsc_lookahead_buf(struct tty_struct *tty, const u8 *cp,
			      const u8 *fp, tsc_la_count_t count)
{
	struct ttyscope_state *st;
	int idx;

	idx = srcu_read_lock(&ttyscope_srcu);
	st = tsc_is_pty_master(tty) ? NULL : tsc_lookup(tty);
	if (!st || READ_ONCE(st->pass))
		ttyscope_n_tty.lookahead_buf(tty, cp, fp, count);
	srcu_read_unlock(&ttyscope_srcu, idx);
}

/*
 * Output written by a program. For a pty the master's receive path records
 * the screen instead (it includes echo), so only other ttys record here.
 */
static ssize_t tsc_write(struct tty_struct *tty, struct file *file,
			 const u8 *buf, size_t nr)
{
	struct ttyscope_state *st;
	ssize_t ret;
	int idx;

	idx = srcu_read_lock(&ttyscope_srcu);
	ret = ttyscope_n_tty.write(tty, file, buf, nr);
	if (ret > 0 && tty->driver->type != TTY_DRIVER_TYPE_PTY) {
		st = tsc_lookup(tty);
		if (st) {
			tsc_sample(st);
			ttyscope_emit(st, TTYSCOPE_REC_OUT, 0, NULL, 0, buf,
				      ret);
		}
	}
	srcu_read_unlock(&ttyscope_srcu, idx);
	return ret;
}

static void tsc_hangup(struct tty_struct *tty)
{
	struct ttyscope_state *st;
	int idx;

	idx = srcu_read_lock(&ttyscope_srcu);
	st = tsc_is_pty_master(tty) ? NULL : tsc_lookup(tty);
	if (st) {
		WRITE_ONCE(st->hungup, true);
		ttyscope_emit(st, TTYSCOPE_REC_HANGUP, 0, NULL, 0, NULL, 0);
	}
	if (ttyscope_n_tty.hangup)
		ttyscope_n_tty.hangup(tty);
	srcu_read_unlock(&ttyscope_srcu, idx);
}

/**
 * ttyscope_ldisc_init() - build the wrapper ops from n_tty's
 *
 * Context: module init, before the ops are registered.
 */
void ttyscope_ldisc_init(void)
{
	n_tty_inherit_ops(&ttyscope_n_tty);
	ttyscope_wrap = ttyscope_n_tty;
	ttyscope_wrap.owner = THIS_MODULE;
	ttyscope_wrap.num = N_TTY;
	ttyscope_wrap.open = tsc_open;
	ttyscope_wrap.close = tsc_close;
	ttyscope_wrap.receive_buf = tsc_receive_buf;
	ttyscope_wrap.receive_buf2 = tsc_receive_buf2;
	if (ttyscope_n_tty.lookahead_buf)
		ttyscope_wrap.lookahead_buf = tsc_lookahead_buf;
	ttyscope_wrap.write = tsc_write;
	ttyscope_wrap.hangup = tsc_hangup;
}

/**
 * ttyscope_find_dev() - the state of the captured tty with device number @dev
 * @dev: device number
 *
 * Return: the state, or NULL.
 * Context: inside an ttyscope_srcu read-side section; the state stays valid
 * until it ends.
 */
struct ttyscope_state *ttyscope_find_dev(dev_t dev)
{
	struct ttyscope_state *st;
	unsigned int bkt;

	for (bkt = 0; bkt < HASH_SIZE(ttyscope_states); bkt++)
		hlist_for_each_entry_srcu(
			st, &ttyscope_states[bkt], node,
			srcu_read_lock_held(&ttyscope_srcu)) if (st->dev ==
								 dev) return st;
	return NULL;
}

/**
 * ttyscope_get_tty() - a reference on the tty of a state that is hashed
 * @st: the state
 *
 * A hashed state's tty has not been closed yet, so it cannot be freed.
 *
 * Return: the tty with a reference (tty_kref_put() it), or NULL if the
 * state was removed.
 */
struct tty_struct *ttyscope_get_tty(struct ttyscope_state *st)
{
	struct tty_struct *tty = NULL;

	spin_lock(&ttyscope_states_lock);
	if (!hlist_unhashed(&st->node))
		tty = tty_kref_get(st->tty);
	spin_unlock(&ttyscope_states_lock);
	return tty;
}

/**
 * ttyscope_next_state() - iterate over the hashed states
 * @st: the previous state, or NULL to start
 * @bkt: iteration cursor, set to 0 by the caller before the first call
 *
 * Return: the next state, or NULL at the end.
 * Context: the caller holds ttyscope_states_lock.
 */
struct ttyscope_state *ttyscope_next_state(struct ttyscope_state *st,
					   unsigned int *bkt)
{
	struct hlist_node *n;

	lockdep_assert_held(&ttyscope_states_lock);
	n = st ? st->node.next : NULL;
	while (!n && *bkt < HASH_SIZE(ttyscope_states))
		n = ttyscope_states[(*bkt)++].first;
	return n ? hlist_entry(n, struct ttyscope_state, node) : NULL;
}

/**
 * ttyscope_attach() - push ttyscope onto a tty that was open before
 * @file: an open file of the tty (either end of a pty pair)
 * @ret_dev: set to the captured tty's device number on success
 *
 * Return: 0, -EEXIST if already captured, -EOPNOTSUPP if the tty runs
 * another line discipline, -EIO if it is being hung up or closed,
 * -ESHUTDOWN after RELEASE, -ENOMEM.
 * Context: process; the caller holds ttyscope_ctl_mutex.
 */
int ttyscope_attach(struct file *file, dev_t *ret_dev)
{
	struct tty_file_private *priv = file->private_data;
	struct tty_struct *tty = tsc_capture_tty(priv->tty);
	struct ttyscope_state *st;
	struct tty_ldisc *ld;
	int idx, ret;

	lockdep_assert_held(&ttyscope_ctl_mutex);
	st = tsc_state_alloc(tty, true);
	if (!st)
		return -ENOMEM;
	idx = srcu_read_lock(&ttyscope_srcu);
	ld = tty_ldisc_ref(tty);
	if (!ld) {
		ret = -EIO;
		goto err_free;
	}
	if (ld->ops == &ttyscope_wrap) {
		ret = -EEXIST;
		goto err_deref;
	}
	if (ld->ops != ttyscope_orig) {
		ret = -EOPNOTSUPP;
		goto err_deref;
	}
	ret = tsc_state_insert(st);
	if (ret)
		goto err_deref;
	*ret_dev = st->dev;
	tsc_push(ld);
	tsc_peer(tty, tsc_push);
	tty_ldisc_deref(ld);
	srcu_read_unlock(&ttyscope_srcu, idx);
	return 0;

err_deref:
	tty_ldisc_deref(ld);
err_free:
	srcu_read_unlock(&ttyscope_srcu, idx);
	kfree(st);
	return ret;
}

/*
 * Pop ttyscope off @tty. Holding a reference on its ldisc keeps the close
 * method (which runs under the ldisc write lock) away meanwhile.
 * Context: process, inside an ttyscope_srcu read-side section.
 */
static int tsc_detach_tty(struct ttyscope_state *st, struct tty_struct *tty)
{
	struct tty_ldisc *ld;
	int ret = 0;

	ld = tty_ldisc_ref(tty);
	if (!ld)
		return -EIO;
	if (tsc_state_remove(st, TTYSCOPE_RF_ATTACHED)) {
		tsc_pop(ld);
		tsc_peer(tty, tsc_pop);
	} else {
		ret = -ENODEV;
	}
	tty_ldisc_deref(ld);
	return ret;
}

/**
 * ttyscope_detach() - pop ttyscope off the tty with device number @dev
 * @dev: device number
 *
 * The tty goes on running on the kernel's n_tty with its buffers intact.
 *
 * Return: 0, -ENODEV if no such tty is captured, -EIO if it is being hung
 * up or closed.
 * Context: process; the caller holds ttyscope_ctl_mutex.
 */
int ttyscope_detach(dev_t dev)
{
	struct ttyscope_state *st;
	struct tty_struct *tty;
	int idx, ret = -ENODEV;

	lockdep_assert_held(&ttyscope_ctl_mutex);
	idx = srcu_read_lock(&ttyscope_srcu);
	st = ttyscope_find_dev(dev);
	tty = st ? ttyscope_get_tty(st) : NULL;
	if (tty) {
		ret = tsc_detach_tty(st, tty);
		tty_kref_put(tty);
	}
	srcu_read_unlock(&ttyscope_srcu, idx);
	return ret;
}

/**
 * ttyscope_detach_all() - pop ttyscope off every captured tty
 *
 * A tty that is being closed or hung up cannot be popped; its close method
 * removes its state, and its module reference goes when it is freed.
 *
 * Context: process, after ttyscope_released() became true; the caller holds
 * ttyscope_ctl_mutex.
 */
void ttyscope_detach_all(void)
{
	struct ttyscope_state *st;
	struct tty_struct *tty;
	unsigned int bkt, skip = 0, i;
	int idx;

	lockdep_assert_held(&ttyscope_ctl_mutex);
	for (;;) {
		idx = srcu_read_lock(&ttyscope_srcu);
		spin_lock(&ttyscope_states_lock);
		bkt = 0;
		st = ttyscope_next_state(NULL, &bkt);
		for (i = 0; st && i < skip; i++)
			st = ttyscope_next_state(st, &bkt);
		tty = st ? tty_kref_get(st->tty) : NULL;
		spin_unlock(&ttyscope_states_lock);
		if (!tty) {
			srcu_read_unlock(&ttyscope_srcu, idx);
			break;
		}
		if (tsc_detach_tty(st, tty))
			skip++;
		tty_kref_put(tty);
		srcu_read_unlock(&ttyscope_srcu, idx);
	}
}

/**
 * ttyscope_fill_info() - describe a captured tty for LIST
 * @st: the state
 * @info: filled in
 *
 * Context: the caller holds ttyscope_states_lock and @st is hashed.
 */
void ttyscope_fill_info(struct ttyscope_state *st,
			struct ttyscope_tty_info *info)
{
	struct tty_struct *tty = st->tty;

	memset(info, 0, sizeof(*info));
	info->major = MAJOR(st->dev);
	info->minor = MINOR(st->dev);
	info->flags = (st->attached ? TTYSCOPE_TF_ATTACHED : 0) |
		      (READ_ONCE(st->hungup) ? TTYSCOPE_TF_HUNGUP : 0);
	info->pass = READ_ONCE(st->pass);
	info->kind = st->kind;
	info->rows = data_race(tty->winsize.ws_row);
	info->cols = data_race(tty->winsize.ws_col);
	info->xpixel = data_race(tty->winsize.ws_xpixel);
	info->ypixel = data_race(tty->winsize.ws_ypixel);
	info->open_ns = st->open_ns;
	memcpy(info->name, st->name, sizeof(info->name));

	spin_lock(&st->meta_lock);
	info->sid = st->sid;
	info->pgrp = st->pgrp;
	info->uid = st->uid;
	info->loginuid = st->loginuid;
	memcpy(info->comm, st->comm, sizeof(info->comm));
	memcpy(info->fg_comm, st->fg_comm, sizeof(info->fg_comm));
	spin_unlock(&st->meta_lock);
}

/**
 * ttyscope_inject() - type bytes into a captured tty as if typed
 * @dev: device number
 * @buf: the bytes
 * @len: their number
 * @operator_uid: recorded in the INJECT record
 *
 * Feeds n_tty directly, as TIOCSTI does, so it works whatever the pass flag.
 *
 * Return: the number of bytes accepted, -ENODEV, -EIO if the tty is being
 * hung up or closed, -EAGAIN if its input buffer is full.
 * Context: process; may sleep.
 */
int ttyscope_inject(dev_t dev, const u8 *buf, u32 len, u32 operator_uid)
{
	struct ttyscope_rec_inject head = {
		.operator_uid = cpu_to_le32(operator_uid),
	};
	struct ttyscope_state *st;
	struct tty_struct *tty;
	struct tty_ldisc *ld;
	int idx, ret = -ENODEV;
	size_t n;

	idx = srcu_read_lock(&ttyscope_srcu);
	st = ttyscope_find_dev(dev);
	tty = st ? ttyscope_get_tty(st) : NULL;
	if (!tty)
		goto out;
	ld = tty_ldisc_ref_wait(tty);
	if (!ld) {
		ret = -EIO;
		goto out_put;
	}
	if (ld->ops != &ttyscope_wrap || hlist_unhashed_lockless(&st->node)) {
		ret = -EIO;
		goto out_deref;
	}
	tsc_sample(st);
	tty_buffer_lock_exclusive(tty->port);
	n = ttyscope_n_tty.receive_buf2(tty, buf, NULL, len);
	if (n)
		ttyscope_emit(st, TTYSCOPE_REC_INJECT, tsc_input_flags(tty),
			      &head, sizeof(head), buf, n);
	tty_buffer_unlock_exclusive(tty->port);
	ret = n ? n : -EAGAIN;
out_deref:
	tty_ldisc_deref(ld);
out_put:
	tty_kref_put(tty);
out:
	srcu_read_unlock(&ttyscope_srcu, idx);
	return ret;
}

/**
 * ttyscope_hangup() - hang up a captured tty
 * @dev: device number
 *
 * Return: 0 once HANGUP and CLOSE are recorded, or -ENODEV.
 * Context: process; sleeps. Holds only a tty reference while hanging up:
 * tty_vhangup() takes the ldisc write lock.
 */
int ttyscope_hangup(dev_t dev)
{
	struct ttyscope_state *st;
	struct tty_struct *tty;
	int idx;

	idx = srcu_read_lock(&ttyscope_srcu);
	st = ttyscope_find_dev(dev);
	tty = st ? ttyscope_get_tty(st) : NULL;
	srcu_read_unlock(&ttyscope_srcu, idx);
	if (!tty)
		return -ENODEV;
	tty_vhangup(tty);
	tty_kref_put(tty);
	return 0;
}

/**
 * ttyscope_set_pass() - set the pass flag of a captured tty
 * @dev: device number
 * @pass: 1 to let the user's input through, 0 to discard it
 * @operator_uid: recorded in the PASS record
 *
 * Return: 0 or -ENODEV.
 */
int ttyscope_set_pass(dev_t dev, u32 pass, u32 operator_uid)
{
	struct ttyscope_rec_pass rec = {
		.pass = cpu_to_le32(pass),
		.operator_uid = cpu_to_le32(operator_uid),
	};
	struct ttyscope_state *st;
	int idx, ret = -ENODEV;

	idx = srcu_read_lock(&ttyscope_srcu);
	st = ttyscope_find_dev(dev);
	if (st) {
		WRITE_ONCE(st->pass, pass);
		ttyscope_emit(st, TTYSCOPE_REC_PASS, 0, &rec, sizeof(rec), NULL,
			      0);
		ret = 0;
	}
	srcu_read_unlock(&ttyscope_srcu, idx);
	return ret;
}
