/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pagelab tracepoints: events/pagelab/ in tracefs.  Every field is an
 * integer or a fixed-size char array, so bpftrace reads them without BTF
 * (Debian's headers have no vmlinux for module BTF).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM pagelab

#if !defined(_PAGELAB_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _PAGELAB_TRACE_H

#include <linux/sched.h>
#include <linux/tracepoint.h>

#include "pagelab.h"

TRACE_EVENT(pagelab_fault,
	    TP_PROTO(u64 obj, unsigned long index, unsigned long address, bool write,
		     int outcome, u64 latency_ns),
	    TP_ARGS(obj, index, address, write, outcome, latency_ns),
	    TP_STRUCT__entry(__field(u64, obj)
			     __field(unsigned long, index)
			     __field(unsigned long, address)
			     __field(int, write)
			     __field(int, outcome)
			     __field(u64, latency_ns)
			     __array(char, outcome_name, PAGELAB_OUTCOME_LEN)),
	    TP_fast_assign(__entry->obj = obj;
			   __entry->index = index;
			   __entry->address = address;
			   __entry->write = write;
			   __entry->outcome = outcome;
			   __entry->latency_ns = latency_ns;
			   strscpy(__entry->outcome_name, pagelab_fault_outcome_name(outcome),
				   PAGELAB_OUTCOME_LEN);),
	    TP_printk("obj=%llu index=%lu addr=0x%lx %s outcome=%s latency_ns=%llu",
		      __entry->obj, __entry->index, __entry->address,
		      __entry->write ? "write" : "read", __entry->outcome_name,
		      __entry->latency_ns)
);

TRACE_EVENT(pagelab_fault_around,
	    TP_PROTO(u64 obj, unsigned long index, unsigned int neighbours, bool hit),
	    TP_ARGS(obj, index, neighbours, hit),
	    TP_STRUCT__entry(__field(u64, obj)
			     __field(unsigned long, index)
			     __field(unsigned int, neighbours)
			     __field(int, hit)),
	    TP_fast_assign(__entry->obj = obj;
			   __entry->index = index;
			   __entry->neighbours = neighbours;
			   __entry->hit = hit;),
	    TP_printk("obj=%llu index=%lu neighbours=%u hit=%d", __entry->obj, __entry->index,
		      __entry->neighbours, __entry->hit)
);

TRACE_EVENT(pagelab_walk,
	    TP_PROTO(int pid, unsigned long start, unsigned long end, bool kernel, int ret),
	    TP_ARGS(pid, start, end, kernel, ret),
	    TP_STRUCT__entry(__field(int, pid)
			     __field(unsigned long, start)
			     __field(unsigned long, end)
			     __field(int, kernel)
			     __field(int, ret)),
	    TP_fast_assign(__entry->pid = pid;
			   __entry->start = start;
			   __entry->end = end;
			   __entry->kernel = kernel;
			   __entry->ret = ret;),
	    TP_printk("pid=%d start=0x%lx end=0x%lx kernel=%d ret=%d", __entry->pid,
		      __entry->start, __entry->end, __entry->kernel, __entry->ret)
);

/* A write to a shared frame: @copied 1 if this object got its own copy. */
TRACE_EVENT(pagelab_cow,
	    TP_PROTO(u64 obj, unsigned long index, unsigned long address, bool mkwrite,
		     bool copied),
	    TP_ARGS(obj, index, address, mkwrite, copied),
	    TP_STRUCT__entry(__field(u64, obj)
			     __field(unsigned long, index)
			     __field(unsigned long, address)
			     __field(int, mkwrite)
			     __field(int, copied)
			     __array(char, comm, TASK_COMM_LEN)
			     __field(int, pid)),
	    TP_fast_assign(__entry->obj = obj;
			   __entry->index = index;
			   __entry->address = address;
			   __entry->mkwrite = mkwrite;
			   __entry->copied = copied;
			   memcpy(__entry->comm, current->comm, TASK_COMM_LEN);
			   __entry->pid = current->pid;),
	    TP_printk("obj=%llu index=%lu addr=0x%lx via=%s copied=%d comm=%s pid=%d",
		      __entry->obj, __entry->index, __entry->address,
		      __entry->mkwrite ? "mkwrite" : "fault", __entry->copied,
		      __entry->comm, __entry->pid)
);

TRACE_EVENT(pagelab_clone,
	    TP_PROTO(u64 src, u64 dst, u64 shared, u64 copied),
	    TP_ARGS(src, dst, shared, copied),
	    TP_STRUCT__entry(__field(u64, src)
			     __field(u64, dst)
			     __field(u64, shared)
			     __field(u64, copied)),
	    TP_fast_assign(__entry->src = src;
			   __entry->dst = dst;
			   __entry->shared = shared;
			   __entry->copied = copied;),
	    TP_printk("src=%llu dst=%llu shared=%llu copied=%llu", __entry->src, __entry->dst,
		      __entry->shared, __entry->copied)
);

/* A page given another page's frame (@zero: dropped as all-zero instead). */
TRACE_EVENT(pagelab_merge,
	    TP_PROTO(u64 obj, unsigned long index, u64 into_obj, unsigned long into_index,
		     bool zero),
	    TP_ARGS(obj, index, into_obj, into_index, zero),
	    TP_STRUCT__entry(__field(u64, obj)
			     __field(unsigned long, index)
			     __field(u64, into_obj)
			     __field(unsigned long, into_index)
			     __field(int, zero)),
	    TP_fast_assign(__entry->obj = obj;
			   __entry->index = index;
			   __entry->into_obj = into_obj;
			   __entry->into_index = into_index;
			   __entry->zero = zero;),
	    TP_printk("obj=%llu index=%lu into_obj=%llu into_index=%lu zero=%d", __entry->obj,
		      __entry->index, __entry->into_obj, __entry->into_index, __entry->zero)
);

/* A block taken from or given back to the buddy allocator (buddy.c). */
TRACE_EVENT(pagelab_slab,
	    TP_PROTO(bool alloc, u32 size, unsigned long slab_pfn, u32 offset),
	    TP_ARGS(alloc, size, slab_pfn, offset),
	    TP_STRUCT__entry(__field(int, alloc)
			     __field(u32, size)
			     __field(unsigned long, slab_pfn)
			     __field(u32, offset)),
	    TP_fast_assign(__entry->alloc = alloc;
			   __entry->size = size;
			   __entry->slab_pfn = slab_pfn;
			   __entry->offset = offset;),
	    TP_printk("%s size=%u slab_pfn=0x%lx offset=%u", __entry->alloc ? "alloc" : "free",
		      __entry->size, __entry->slab_pfn, __entry->offset)
);

TRACE_EVENT(pagelab_buddy,
	    TP_PROTO(bool alloc, unsigned int order, unsigned long pfn),
	    TP_ARGS(alloc, order, pfn),
	    TP_STRUCT__entry(__field(int, alloc)
			     __field(unsigned int, order)
			     __field(unsigned long, pfn)),
	    TP_fast_assign(__entry->alloc = alloc;
			   __entry->order = order;
			   __entry->pfn = pfn;),
	    TP_printk("%s order=%u pfn=0x%lx", __entry->alloc ? "alloc" : "free", __entry->order,
		      __entry->pfn)
);

/* A huge object's 2 MiB chunk split to 4 KiB pages for good (huge.c). */
TRACE_EVENT(pagelab_huge_split,
	    TP_PROTO(u64 obj, unsigned long index),
	    TP_ARGS(obj, index),
	    TP_STRUCT__entry(__field(u64, obj)
			     __field(unsigned long, index)
			     __array(char, comm, TASK_COMM_LEN)
			     __field(int, pid)),
	    TP_fast_assign(__entry->obj = obj;
			   __entry->index = index;
			   memcpy(__entry->comm, current->comm, TASK_COMM_LEN);
			   __entry->pid = current->pid;),
	    TP_printk("obj=%llu index=%lu comm=%s pid=%d", __entry->obj, __entry->index,
		      __entry->comm, __entry->pid)
);

/* A budgeted object's decision: hit, miss, pagein or zero, and the victim. */
TRACE_EVENT(pagelab_replace,
	    TP_PROTO(u64 obj, unsigned long index, const char *result, int slot, long victim,
		     int wb, unsigned int policy),
	    TP_ARGS(obj, index, result, slot, victim, wb, policy),
	    TP_STRUCT__entry(__field(u64, obj)
			     __field(unsigned long, index)
			     __array(char, result, 8)
			     __field(int, slot)
			     __field(long, victim)
			     __field(int, wb)
			     __field(unsigned int, policy)
			     __array(char, comm, TASK_COMM_LEN)
			     __field(int, pid)),
	    TP_fast_assign(__entry->obj = obj;
			   __entry->index = index;
			   strscpy(__entry->result, result, sizeof(__entry->result));
			   __entry->slot = slot;
			   __entry->victim = victim;
			   __entry->wb = wb;
			   __entry->policy = policy;
			   memcpy(__entry->comm, current->comm, TASK_COMM_LEN);
			   __entry->pid = current->pid;),
	    TP_printk("obj=%llu index=%lu %s slot=%d victim=%ld wb=%d policy=%u comm=%s pid=%d",
		      __entry->obj, __entry->index, __entry->result, __entry->slot,
		      __entry->victim, __entry->wb, __entry->policy, __entry->comm, __entry->pid)
);

#endif /* _PAGELAB_TRACE_H */

/* Out-of-tree: the header is found through the module folder. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
