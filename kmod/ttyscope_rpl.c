// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/rpl: the record stream.
 *
 * Every open file is a reader with its own byte FIFO. Producers (the ldisc
 * methods and the ioctls) append whole records to every reader under one
 * spinlock, so all readers see the same order and every tty's sequence
 * numbers ascend in every stream. A producer never waits: a record that
 * does not fit is counted as lost for that reader, and a LOSS record is
 * queued before the next record that fits (relayfs's no-overwrite mode,
 * with the loss made visible).
 *
 * A reader consumes its FIFO under its own mutex, outside the spinlock,
 * and hands out whole records only.
 */
#include <linux/kfifo.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "ttyscope.h"

/**
 * struct ttyscope_reader - one open file of /dev/rpl
 * @node: entry in ttyscope_readers
 * @wait: readers and pollers wait here for records
 * @read_mutex: serialises consumers of @fifo (read, SET_BUFSIZE)
 *
 * Protected by ttyscope_emit_lock (the producer side):
 * @fifo: queued records (consumed under @read_mutex without the lock)
 * @buf: storage of @fifo
 * @records: records offered to this reader (queued + lost)
 * @bytes: payload bytes of those records
 * @records_lost: records lost because @fifo was full
 * @bytes_lost: payload bytes of those records
 * @pend_records: records lost since the last LOSS record was queued
 * @pend_bytes: payload bytes of those records
 * @loss_seq: sequence number of the next LOSS record
 */
struct ttyscope_reader {
	struct list_head node;
	wait_queue_head_t wait;
	struct mutex read_mutex;

	DECLARE_KFIFO_PTR(fifo, u8);
	void *buf;
	u64 records;
	u64 bytes;
	u64 records_lost;
	u64 bytes_lost;
	u64 pend_records;
	u64 pend_bytes;
	u64 loss_seq;
};

static LIST_HEAD(ttyscope_readers);
static DEFINE_SPINLOCK(ttyscope_emit_lock);

/* Global counters, under ttyscope_emit_lock. */
static u64 tsc_records_produced;
static u64 tsc_bytes_produced;
static u64 tsc_records_lost;
static u64 tsc_bytes_lost;
static u32 tsc_readers;

static void tsc_fill_hdr(struct ttyscope_rec *hdr, u16 type, u32 flags, u32 len,
			 dev_t dev, u64 seq)
{
	hdr->magic = cpu_to_le32(TTYSCOPE_REC_MAGIC);
	hdr->version = cpu_to_le16(TTYSCOPE_ABI_VERSION);
	hdr->type = cpu_to_le16(type);
	hdr->flags = cpu_to_le32(flags);
	hdr->len = cpu_to_le32(len);
	hdr->major = cpu_to_le32(MAJOR(dev));
	hdr->minor = cpu_to_le32(MINOR(dev));
	hdr->seq = cpu_to_le64(seq);
	hdr->ts_ns = cpu_to_le64(ktime_get_real_ns());
}

/*
 * Queue a LOSS record if one is owed and @extra more bytes fit after it.
 * Context: ttyscope_emit_lock held.
 */
static bool tsc_queue_loss(struct ttyscope_reader *r, size_t extra)
{
	struct ttyscope_rec_loss loss;
	struct ttyscope_rec hdr;

	if (!r->pend_records)
		return true;
	if (kfifo_avail(&r->fifo) < sizeof(hdr) + sizeof(loss) + extra)
		return false;
	tsc_fill_hdr(&hdr, TTYSCOPE_REC_LOSS, 0, sizeof(loss), 0,
		     r->loss_seq++);
	loss.records = cpu_to_le64(r->pend_records);
	loss.bytes = cpu_to_le64(r->pend_bytes);
	kfifo_in(&r->fifo, (u8 *)&hdr, sizeof(hdr));
	kfifo_in(&r->fifo, (u8 *)&loss, sizeof(loss));
	r->pend_records = 0;
	r->pend_bytes = 0;
	return true;
}

/* Context: ttyscope_emit_lock held. */
static void tsc_queue(struct ttyscope_reader *r, struct ttyscope_state *st,
		      const struct ttyscope_rec *hdr, const void *head,
		      size_t head_len, const void *data, size_t len)
{
	size_t plen = head_len + len;

	r->records++;
	r->bytes += plen;
	if (tsc_queue_loss(r, sizeof(*hdr) + plen) &&
	    kfifo_avail(&r->fifo) >= sizeof(*hdr) + plen) {
		kfifo_in(&r->fifo, (const u8 *)hdr, sizeof(*hdr));
		if (head_len)
			kfifo_in(&r->fifo, (const u8 *)head, head_len);
		if (len)
			kfifo_in(&r->fifo, (const u8 *)data, len);
		if (wq_has_sleeper(&r->wait))
			wake_up_interruptible(&r->wait);
		return;
	}
	r->records_lost++;
	r->bytes_lost += plen;
	r->pend_records++;
	r->pend_bytes += plen;
	tsc_records_lost++;
	tsc_bytes_lost += plen;
	if (st)
		st->lost_records++;
}

static void tsc_count(struct ttyscope_state *st, u16 type, size_t len)
{
	switch (type) {
	case TTYSCOPE_REC_IN:
		st->bytes_in += len;
		break;
	case TTYSCOPE_REC_OUT:
		st->bytes_out += len;
		break;
	case TTYSCOPE_REC_IN_DROPPED:
		st->bytes_dropped += len;
		break;
	case TTYSCOPE_REC_INJECT:
		st->bytes_injected += len;
		break;
	}
}

/**
 * ttyscope_emit() - produce records for every reader
 * @st: the tty the records belong to
 * @type: record type
 * @flags: record flags
 * @head: fixed part of the payload, repeated in every record (may be NULL)
 * @head_len: its size
 * @data: variable part of the payload (may be NULL)
 * @len: its size; split over several records if longer than fits in one
 *
 * Context: any context except hard interrupt; never sleeps or waits.
 */
void ttyscope_emit(struct ttyscope_state *st, u16 type, u32 flags,
		   const void *head, size_t head_len, const void *data,
		   size_t len)
{
	const size_t max = TTYSCOPE_MAX_PAYLOAD - head_len;
	struct ttyscope_reader *r;
	struct ttyscope_rec hdr;
	unsigned long irqflags;
	size_t n;

	do {
		n = min(len, max);
		spin_lock_irqsave(&ttyscope_emit_lock, irqflags);
		tsc_fill_hdr(&hdr, type, flags, head_len + n, st->dev,
			     st->seq++);
		tsc_count(st, type, n);
		tsc_records_produced++;
		tsc_bytes_produced += head_len + n;
		list_for_each_entry(r, &ttyscope_readers, node)
			tsc_queue(r, st, &hdr, head, head_len, data, n);
		spin_unlock_irqrestore(&ttyscope_emit_lock, irqflags);
		data += n;
		len -= n;
	} while (len);
}

/*
 * Queue an owed LOSS record once the reader has made room, so that the
 * loss is reported even if no further record is produced.
 */
static void tsc_flush_loss(struct ttyscope_reader *r)
{
	unsigned long irqflags;

	spin_lock_irqsave(&ttyscope_emit_lock, irqflags);
	tsc_queue_loss(r, 0);
	spin_unlock_irqrestore(&ttyscope_emit_lock, irqflags);
}

static int tsc_alloc_fifo(u32 size, void **ret_buf)
{
	void *buf;

	if (size < TTYSCOPE_BUF_MIN || size > TTYSCOPE_BUF_MAX)
		return -EINVAL;
	buf = vmalloc(roundup_pow_of_two(size));
	if (!buf)
		return -ENOMEM;
	*ret_buf = buf;
	return 0;
}

static int tsc_rpl_open(struct inode *inode, struct file *file)
{
	struct ttyscope_reader *r;
	unsigned long irqflags;
	int ret;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	ret = tsc_alloc_fifo(TTYSCOPE_BUF_DEFAULT, &r->buf);
	if (ret) {
		kfree(r);
		return ret;
	}
	kfifo_init(&r->fifo, r->buf, TTYSCOPE_BUF_DEFAULT);
	init_waitqueue_head(&r->wait);
	mutex_init(&r->read_mutex);
	file->private_data = r;

	spin_lock_irqsave(&ttyscope_emit_lock, irqflags);
	list_add_tail(&r->node, &ttyscope_readers);
	tsc_readers++;
	spin_unlock_irqrestore(&ttyscope_emit_lock, irqflags);
	return stream_open(inode, file);
}

static int tsc_rpl_release(struct inode *inode, struct file *file)
{
	struct ttyscope_reader *r = file->private_data;
	unsigned long irqflags;

	spin_lock_irqsave(&ttyscope_emit_lock, irqflags);
	list_del(&r->node);
	tsc_readers--;
	spin_unlock_irqrestore(&ttyscope_emit_lock, irqflags);
	vfree(r->buf);
	kfree(r);
	return 0;
}

/* Drop the rest of a record that could be copied only in part. */
static void tsc_skip(struct ttyscope_reader *r, unsigned int n)
{
	while (n--)
		kfifo_skip(&r->fifo);
}

/*
 * Copy whole records to @ubuf. Returns the bytes copied, -EINVAL if the
 * first record does not fit, -EFAULT if it could not be copied.
 * Context: r->read_mutex held; records are queued.
 */
static ssize_t tsc_copy_records(struct ttyscope_reader *r, char __user *ubuf,
				size_t count)
{
	struct ttyscope_rec hdr;
	unsigned long irqflags;
	unsigned int rec, copied;
	size_t done = 0;
	int ret;

	while (kfifo_out_peek(&r->fifo, (u8 *)&hdr, sizeof(hdr)) ==
	       sizeof(hdr)) {
		rec = sizeof(hdr) + le32_to_cpu(hdr.len);
		if (rec > count - done)
			break;
		ret = kfifo_to_user(&r->fifo, ubuf + done, rec, &copied);
		if (ret) {
			/* Keep the stream aligned: the record is lost. */
			tsc_skip(r, rec - copied);
			spin_lock_irqsave(&ttyscope_emit_lock, irqflags);
			r->records_lost++;
			r->pend_records++;
			r->bytes_lost += rec - sizeof(hdr);
			r->pend_bytes += rec - sizeof(hdr);
			spin_unlock_irqrestore(&ttyscope_emit_lock, irqflags);
			return done ? done : -EFAULT;
		}
		done += rec;
	}
	return done ? done : -EINVAL;
}

static ssize_t tsc_rpl_read(struct file *file, char __user *ubuf, size_t count,
			    loff_t *ppos)
{
	struct ttyscope_reader *r = file->private_data;
	ssize_t ret;

	for (;;) {
		if (mutex_lock_interruptible(&r->read_mutex))
			return -ERESTARTSYS;
		if (!kfifo_is_empty(&r->fifo))
			break;
		mutex_unlock(&r->read_mutex);
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event_interruptible(r->wait,
					     !kfifo_is_empty(&r->fifo)))
			return -ERESTARTSYS;
	}
	ret = tsc_copy_records(r, ubuf, count);
	tsc_flush_loss(r);
	mutex_unlock(&r->read_mutex);
	return ret;
}

static __poll_t tsc_rpl_poll(struct file *file, poll_table *wait)
{
	struct ttyscope_reader *r = file->private_data;

	poll_wait(file, &r->wait, wait);
	return kfifo_is_empty(&r->fifo) ? 0 : EPOLLIN | EPOLLRDNORM;
}

/**
 * ttyscope_set_bufsize() - resize a reader's buffer, keeping its records
 * @file: the reader
 * @size: new size in bytes
 *
 * Return: 0, -EINVAL if out of range, -EBUSY if the queued records do not
 * fit, -ENOMEM, -ERESTARTSYS.
 */
int ttyscope_set_bufsize(struct file *file, u32 size)
{
	struct ttyscope_reader *r = file->private_data;
	void *buf, *tmp = NULL, *old;
	unsigned long irqflags;
	unsigned int used;
	int ret;

	ret = tsc_alloc_fifo(size, &buf);
	if (ret)
		return ret;
	size = roundup_pow_of_two(size);
	if (mutex_lock_interruptible(&r->read_mutex)) {
		vfree(buf);
		return -ERESTARTSYS;
	}
	/* Producers only add: the queue holds at most the old size. */
	tmp = vmalloc(kfifo_size(&r->fifo));
	if (!tmp) {
		ret = -ENOMEM;
		goto out;
	}
	spin_lock_irqsave(&ttyscope_emit_lock, irqflags);
	used = kfifo_len(&r->fifo);
	if (used > size) {
		spin_unlock_irqrestore(&ttyscope_emit_lock, irqflags);
		ret = -EBUSY;
		goto out;
	}
	used = kfifo_out(&r->fifo, (u8 *)tmp, used);
	old = r->buf;
	r->buf = buf;
	kfifo_init(&r->fifo, buf, size);
	kfifo_in(&r->fifo, (u8 *)tmp, used);
	spin_unlock_irqrestore(&ttyscope_emit_lock, irqflags);
	buf = old;
out:
	mutex_unlock(&r->read_mutex);
	vfree(tmp);
	vfree(buf);
	return ret;
}

/**
 * ttyscope_get_stats() - global counters and those of one reader
 * @file: the reader
 * @stats: filled in
 */
void ttyscope_get_stats(struct file *file, struct ttyscope_stats *stats)
{
	struct ttyscope_reader *r = file->private_data;
	unsigned long irqflags;

	memset(stats, 0, sizeof(*stats));
	spin_lock_irqsave(&ttyscope_emit_lock, irqflags);
	stats->records_produced = tsc_records_produced;
	stats->bytes_produced = tsc_bytes_produced;
	stats->records_lost = tsc_records_lost;
	stats->bytes_lost = tsc_bytes_lost;
	stats->readers = tsc_readers;
	stats->rd_records = r->records;
	stats->rd_bytes = r->bytes;
	stats->rd_records_lost = r->records_lost;
	stats->rd_bytes_lost = r->bytes_lost;
	stats->rd_buf_size = kfifo_size(&r->fifo);
	stats->rd_buf_used = kfifo_len(&r->fifo);
	spin_unlock_irqrestore(&ttyscope_emit_lock, irqflags);
	spin_lock(&ttyscope_states_lock);
	stats->ttys_captured = ttyscope_ttys;
	spin_unlock(&ttyscope_states_lock);
}

/**
 * ttyscope_read_counters() - a state's counters, consistently
 * @st: the state
 * @info: its byte and record counters are filled in
 */
void ttyscope_read_counters(struct ttyscope_state *st,
			    struct ttyscope_tty_info *info)
{
	unsigned long irqflags;

	spin_lock_irqsave(&ttyscope_emit_lock, irqflags);
	info->bytes_in = st->bytes_in;
	info->bytes_out = st->bytes_out;
	info->bytes_dropped = st->bytes_dropped;
	info->bytes_injected = st->bytes_injected;
	info->records = st->seq;
	info->lost_records = st->lost_records;
	spin_unlock_irqrestore(&ttyscope_emit_lock, irqflags);
}

const struct file_operations ttyscope_rpl_fops = {
	.owner = THIS_MODULE,
	.open = tsc_rpl_open,
	.release = tsc_rpl_release,
	.read = tsc_rpl_read,
	.poll = tsc_rpl_poll,
	.unlocked_ioctl = ttyscope_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};
