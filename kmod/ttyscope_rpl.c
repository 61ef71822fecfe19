// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/rpl: the record stream.
 *
 * Every open file is a reader with its own ring of records. Producers (the
 * ldisc methods and the ioctls) append whole records to every reader under
 * one spinlock, so all readers see the same order and every tty's sequence
 * numbers ascend in every stream. A producer never waits: a record that
 * does not fit is counted as lost for that reader, and a LOSS record is
 * queued before the next record that fits (relayfs's no-overwrite mode,
 * with the loss made visible).
 *
 * A reader consumes its ring under its own mutex, outside the spinlock,
 * and hands out whole records only.
 *
 * Queued records are readable at once, but a sleeping reader is not woken
 * for each one: only when its ring is 1/TSC_WAKE_FRACTION full, otherwise
 * by a timer at the next tick. Waking a reader per record made the reader
 * run, and the producer pay for a wakeup, once per write() to a tty.
 *
 * A reader may instead map its ring (read-only) and a control page, and
 * consume records in place: the producer publishes its position in the
 * control page and takes the consumer's from there. That saves the copy
 * to userspace and the read() calls; the copy into each reader's ring
 * remains.
 */
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/timer.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "ttyscope.h"

#define TSC_HDR_SIZE sizeof(struct ttyscope_rec)
#define TSC_WAKE_FRACTION 8

/*
 * A single-consumer byte ring holding whole records. Unlike kfifo, a record
 * written in several pieces becomes visible at once (one release of @in),
 * and the consumer can walk the headers of queued records and consume only
 * what it copied out, so a failed copy loses nothing.
 *
 * @in is written by producers under ttyscope_emit_lock, @out by the
 * consumer under its read_mutex; each side reads the other's with acquire.
 *
 * @ctl is the control page userspace may map: producers mirror @in to
 * @ctl->head. Once @mapped (set under ttyscope_emit_lock, never cleared),
 * the consumer is userspace and its position is @ctl->tail, not @out.
 */
struct tsc_ring {
	u8 *data;
	u32 size; /* a power of two */
	u32 in;
	u32 out;
	struct ttyscope_mmap_ctl *ctl;
	bool mapped;
};

/*
 * The consumer's position. A mapped reader's comes from userspace and is
 * not trusted: one more than the ring size away from @in counts as a full
 * ring. Context: ttyscope_emit_lock held (@in is stable).
 */
static u32 tsc_ring_out(const struct tsc_ring *ring)
{
	u32 out;

	if (!ring->mapped)
		return smp_load_acquire(&ring->out);
	out = smp_load_acquire(&ring->ctl->tail);
	return ring->in - out > ring->size ? ring->in - ring->size : out;
}

/* Context: ttyscope_emit_lock held. */
static u32 tsc_ring_free(const struct tsc_ring *ring)
{
	return ring->size - (ring->in - tsc_ring_out(ring));
}

/* Bytes queued, as the consumer sees them; at most the ring size. */
static u32 tsc_ring_used(const struct tsc_ring *ring)
{
	u32 in = smp_load_acquire(&ring->in);
	u32 out = READ_ONCE(ring->mapped) ? READ_ONCE(ring->ctl->tail) :
					    ring->out;

	return min(in - out, ring->size);
}

/* Store @n bytes at position @pos (not yet published). */
static void tsc_ring_put(struct tsc_ring *ring, u32 pos, const void *src, u32 n)
{
	u32 off = pos & (ring->size - 1), l = min(n, ring->size - off);

	if (!n)
		return;
	memcpy(ring->data + off, src, l);
	memcpy(ring->data, src + l, n - l);
}

static void tsc_ring_get(const struct tsc_ring *ring, u32 pos, void *dst, u32 n)
{
	u32 off = pos & (ring->size - 1), l = min(n, ring->size - off);

	memcpy(dst, ring->data + off, l);
	memcpy(dst + l, ring->data, n - l);
}

static int tsc_ring_to_user(const struct tsc_ring *ring, u32 pos,
			    char __user *dst, u32 n)
{
	u32 off = pos & (ring->size - 1), l = min(n, ring->size - off);

	if (copy_to_user(dst, ring->data + off, l) ||
	    copy_to_user(dst + l, ring->data, n - l))
		return -EFAULT;
	return 0;
}

/**
 * struct ttyscope_reader - one open file of /dev/rpl
 * @node: entry in ttyscope_readers
 * @wait: readers and pollers wait here for records
 * @wake_timer: wakes @wait for records that did not fill the ring enough
 * @read_mutex: serialises consumers of @ring (read, SET_BUFSIZE)
 * @ring: queued records
 *
 * Protected by ttyscope_emit_lock (the producer side):
 * @records: records offered to this reader (queued + lost)
 * @bytes: payload bytes of those records
 * @records_lost: records lost because @ring was full
 * @bytes_lost: payload bytes of those records
 * @pend_records: records lost since the last LOSS record was queued
 * @pend_bytes: payload bytes of those records
 * @loss_seq: sequence number of the next LOSS record
 */
struct ttyscope_reader {
	struct list_head node;
	wait_queue_head_t wait;
	struct timer_list wake_timer;
	struct mutex read_mutex;
	struct tsc_ring ring;

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
 * Store an owed LOSS record at *@pos if it and @extra more bytes fit.
 * Returns false if they do not. Context: ttyscope_emit_lock held.
 */
static bool tsc_put_loss(struct ttyscope_reader *r, u32 *pos, u32 extra)
{
	struct ttyscope_rec_loss loss;
	struct ttyscope_rec hdr;

	if (!r->pend_records)
		return true;
	if (tsc_ring_free(&r->ring) < TSC_HDR_SIZE + sizeof(loss) + extra)
		return false;
	tsc_fill_hdr(&hdr, TTYSCOPE_REC_LOSS, 0, sizeof(loss), 0,
		     r->loss_seq++);
	loss.records = cpu_to_le64(r->pend_records);
	loss.bytes = cpu_to_le64(r->pend_bytes);
	tsc_ring_put(&r->ring, *pos, &hdr, sizeof(hdr));
	tsc_ring_put(&r->ring, *pos + sizeof(hdr), &loss, sizeof(loss));
	*pos += sizeof(hdr) + sizeof(loss);
	r->pend_records = 0;
	r->pend_bytes = 0;
	return true;
}

/*
 * Make everything stored up to @pos visible to the reader, and wake it if
 * it sleeps: now if its ring is filling up, else at the next tick.
 * Context: ttyscope_emit_lock held.
 */
static void tsc_publish(struct ttyscope_reader *r, u32 pos)
{
	if (pos == r->ring.in)
		return;
	smp_store_release(&r->ring.ctl->head, pos);
	smp_store_release(&r->ring.in, pos);
	if (!wq_has_sleeper(&r->wait))
		return;
	if (pos - tsc_ring_out(&r->ring) >= r->ring.size / TSC_WAKE_FRACTION)
		wake_up_interruptible(&r->wait);
	else if (!timer_pending(&r->wake_timer))
		mod_timer(&r->wake_timer, jiffies + 1);
}

static void tsc_wake_timer(struct timer_list *t)
{
	struct ttyscope_reader *r = from_timer(r, t, wake_timer);

	wake_up_interruptible(&r->wait);
}

/* Context: ttyscope_emit_lock held. */
static void tsc_queue(struct ttyscope_reader *r, struct ttyscope_state *st,
		      const struct ttyscope_rec *hdr, const void *head,
		      u32 head_len, const void *data, u32 len)
{
	u32 plen = head_len + len, pos = r->ring.in;

	r->records++;
	r->bytes += plen;
	if (tsc_put_loss(r, &pos, TSC_HDR_SIZE + plen) &&
	    tsc_ring_free(&r->ring) >= pos - r->ring.in + TSC_HDR_SIZE + plen) {
		tsc_ring_put(&r->ring, pos, hdr, TSC_HDR_SIZE);
		tsc_ring_put(&r->ring, pos + TSC_HDR_SIZE, head, head_len);
		tsc_ring_put(&r->ring, pos + TSC_HDR_SIZE + head_len, data,
			     len);
		tsc_publish(r, pos + TSC_HDR_SIZE + plen);
		return;
	}
	r->records_lost++;
	r->bytes_lost += plen;
	r->pend_records++;
	r->pend_bytes += plen;
	tsc_records_lost++;
	tsc_bytes_lost += plen;
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
 * CLOSE is a tty's last record: a method that was still running when the
 * tty was detached produces nothing after it.
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
		if (st->closed) {
			spin_unlock_irqrestore(&ttyscope_emit_lock, irqflags);
			return;
		}
		st->closed = type == TTYSCOPE_REC_CLOSE;
		/* Without readers, the header (and its clock read) is unused. */
		if (!list_empty(&ttyscope_readers))
			tsc_fill_hdr(&hdr, type, flags, head_len + n, st->dev,
				     st->seq);
		st->seq++;
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
	u32 pos;

	spin_lock_irqsave(&ttyscope_emit_lock, irqflags);
	pos = r->ring.in;
	if (tsc_put_loss(r, &pos, 0))
		tsc_publish(r, pos);
	spin_unlock_irqrestore(&ttyscope_emit_lock, irqflags);
}

/* A ring that can be mapped to userspace; zeroed, so it leaks nothing. */
static int tsc_alloc_ring(u32 size, u8 **ret_data, u32 *ret_size)
{
	u8 *data;

	if (size < TTYSCOPE_BUF_MIN || size > TTYSCOPE_BUF_MAX)
		return -EINVAL;
	size = roundup_pow_of_two(size);
	data = vmalloc_user(size);
	if (!data)
		return -ENOMEM;
	*ret_data = data;
	*ret_size = size;
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
	r->ring.ctl = vmalloc_user(PAGE_SIZE);
	if (!r->ring.ctl) {
		kfree(r);
		return -ENOMEM;
	}
	ret = tsc_alloc_ring(TTYSCOPE_BUF_DEFAULT, &r->ring.data,
			     &r->ring.size);
	if (ret) {
		vfree(r->ring.ctl);
		kfree(r);
		return ret;
	}
	r->ring.ctl->size = r->ring.size;
	init_waitqueue_head(&r->wait);
	timer_setup(&r->wake_timer, tsc_wake_timer, 0);
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
	/* No producer can arm it any more. */
	timer_shutdown_sync(&r->wake_timer);
	vfree(r->ring.data);
	vfree(r->ring.ctl);
	kfree(r);
	return 0;
}

/*
 * Copy as many whole records as fit in @count bytes to @ubuf, and consume
 * them. Returns the bytes copied, -EINVAL if the first record does not fit,
 * or -EFAULT, in which case nothing is consumed.
 *
 * Never copies more than the ring holds, even if the reader was mapped
 * meanwhile and producers went by the control page's tail instead.
 * Context: r->read_mutex held; records are queued.
 */
static ssize_t tsc_copy_records(struct ttyscope_reader *r, char __user *ubuf,
				size_t count)
{
	struct tsc_ring *ring = &r->ring;
	u32 used = min(smp_load_acquire(&ring->in) - ring->out, ring->size);
	u32 done = 0, rec;
	struct ttyscope_rec hdr;

	while (used - done >= TSC_HDR_SIZE) {
		tsc_ring_get(ring, ring->out + done, &hdr, sizeof(hdr));
		rec = TSC_HDR_SIZE + le32_to_cpu(hdr.len);
		if (rec > count - done || rec > used - done)
			break;
		done += rec;
	}
	if (!done)
		return -EINVAL;
	if (tsc_ring_to_user(ring, ring->out, ubuf, done))
		return -EFAULT;
	smp_store_release(&ring->out, ring->out + done);
	return done;
}

static ssize_t tsc_rpl_read(struct file *file, char __user *ubuf, size_t count,
			    loff_t *ppos)
{
	struct ttyscope_reader *r = file->private_data;
	ssize_t ret;

	for (;;) {
		if (mutex_lock_interruptible(&r->read_mutex))
			return -ERESTARTSYS;
		if (READ_ONCE(r->ring.mapped)) {
			mutex_unlock(&r->read_mutex);
			return -EBUSY;
		}
		if (tsc_ring_used(&r->ring))
			break;
		mutex_unlock(&r->read_mutex);
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event_interruptible(r->wait,
					     tsc_ring_used(&r->ring) ||
						     READ_ONCE(r->ring.mapped)))
			return -ERESTARTSYS;
	}
	ret = tsc_copy_records(r, ubuf, count);
	if (ret > 0)
		tsc_flush_loss(r);
	mutex_unlock(&r->read_mutex);
	return ret;
}

/*
 * A mapped reader makes room without a call into the module, so an owed
 * LOSS record is queued when it polls.
 */
static __poll_t tsc_rpl_poll(struct file *file, poll_table *wait)
{
	struct ttyscope_reader *r = file->private_data;

	poll_wait(file, &r->wait, wait);
	if (READ_ONCE(r->ring.mapped) && data_race(r->pend_records))
		tsc_flush_loss(r);
	return tsc_ring_used(&r->ring) ? EPOLLIN | EPOLLRDNORM : 0;
}

/*
 * mmap: the control page at %TTYSCOPE_MMAP_CTL, the ring (read-only) at
 * %TTYSCOPE_MMAP_DATA, each whole and shared. The first mapping makes the
 * control page's tail the consumer position, from where read() had got to.
 * The ring cannot be replaced after that (SET_BUFSIZE fails), so it stays
 * valid for as long as the file is open, which outlasts every mapping.
 */
static int tsc_rpl_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct ttyscope_reader *r = file->private_data;
	struct tsc_ring *ring = &r->ring;
	unsigned long len = vma->vm_end - vma->vm_start;
	unsigned long irqflags;
	bool data, locked = false;
	void *area;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_pgoff == TTYSCOPE_MMAP_CTL >> PAGE_SHIFT)
		data = false;
	else if (vma->vm_pgoff == TTYSCOPE_MMAP_DATA >> PAGE_SHIFT)
		data = true;
	else
		return -EINVAL;
	if (data && (vma->vm_flags & VM_WRITE))
		return -EACCES;
	if (!data && len != PAGE_SIZE)
		return -EINVAL;

	/*
	 * The first mapping takes over from read(): not in the middle of
	 * one, or its records would be consumed twice. read() may fault
	 * with read_mutex held, and mmap_lock is held here, so only try.
	 */
	if (!READ_ONCE(ring->mapped)) {
		if (!mutex_trylock(&r->read_mutex))
			return -EBUSY;
		locked = true;
	}
	/* the size is stable: read_mutex is held, or mapped already */
	if (data && len != PAGE_ALIGN(ring->size)) {
		if (locked)
			mutex_unlock(&r->read_mutex);
		return -EINVAL;
	}
	spin_lock_irqsave(&ttyscope_emit_lock, irqflags);
	if (!ring->mapped) {
		WRITE_ONCE(ring->ctl->tail, ring->out);
		WRITE_ONCE(ring->mapped, true);
	}
	area = data ? (void *)ring->data : ring->ctl;
	spin_unlock_irqrestore(&ttyscope_emit_lock, irqflags);
	if (locked)
		mutex_unlock(&r->read_mutex);
	/* A read() sleeping for records returns EBUSY now. */
	wake_up_interruptible(&r->wait);

	if (data)
		vm_flags_clear(vma, VM_MAYWRITE);
	return remap_vmalloc_range(vma, area, 0);
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
	struct tsc_ring *ring = &r->ring;
	unsigned long irqflags;
	u8 *data, *old;
	u32 used;
	int ret;

	ret = tsc_alloc_ring(size, &data, &size);
	if (ret)
		return ret;
	if (mutex_lock_interruptible(&r->read_mutex)) {
		vfree(data);
		return -ERESTARTSYS;
	}
	spin_lock_irqsave(&ttyscope_emit_lock, irqflags);
	used = ring->in - ring->out;
	if (ring->mapped || used > size) {
		spin_unlock_irqrestore(&ttyscope_emit_lock, irqflags);
		mutex_unlock(&r->read_mutex);
		vfree(data);
		return -EBUSY;
	}
	tsc_ring_get(ring, ring->out, data, used);
	old = ring->data;
	ring->data = data;
	ring->size = size;
	ring->out = 0;
	ring->in = used;
	ring->ctl->head = used;
	ring->ctl->size = size;
	spin_unlock_irqrestore(&ttyscope_emit_lock, irqflags);
	mutex_unlock(&r->read_mutex);
	vfree(old);
	return 0;
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
	stats->rd_buf_size = r->ring.size;
	stats->rd_buf_used = r->ring.in - tsc_ring_out(&r->ring);
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
	.mmap = tsc_rpl_mmap,
	.unlocked_ioctl = ttyscope_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};
