/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * pagelab - the event counters of one object, one line each:
 *
 *	PAGELAB_OBJ_COUNTER(field, column, group)
 *
 * @field is a __u64 of struct pagelab_obj_stat (its kernel-doc there);
 * @column is the header of its column in pagelab stat; @group is the table
 * it is shown in there: FAULT (every object), REPLACE (objects with a
 * budget) or COW (objects that share frames, or did).
 *
 * This is the one list of them.  Each use defines PAGELAB_OBJ_COUNTER as
 * it needs and includes this file (no include guard: it is included more
 * than once): the module counts (struct pagelab_obj_counters), copies out
 * and prints the debugfs objects line from it; the tools parse that line,
 * print JSON and draw their columns from it.  A new counter is its field
 * in struct pagelab_obj_stat, its line here, the place that counts it,
 * and its test.
 */
PAGELAB_OBJ_COUNTER(faults_read, RFAULTS, FAULT)
PAGELAB_OBJ_COUNTER(faults_write, WFAULTS, FAULT)
PAGELAB_OBJ_COUNTER(zero_maps, ZEROMAPS, FAULT)
PAGELAB_OBJ_COUNTER(allocs, ALLOCS, FAULT)
PAGELAB_OBJ_COUNTER(existing, EXISTING, FAULT)
PAGELAB_OBJ_COUNTER(fault_around, AROUND, FAULT)
PAGELAB_OBJ_COUNTER(mkwrite, MKWRITE, FAULT)
PAGELAB_OBJ_COUNTER(sigbus, SIGBUS, FAULT)
PAGELAB_OBJ_COUNTER(vma_lock_faults, VMALOCK, FAULT)
PAGELAB_OBJ_COUNTER(huge_maps, HUGEMAPS, FAULT)
PAGELAB_OBJ_COUNTER(huge_splits, HSPLITS, FAULT)
PAGELAB_OBJ_COUNTER(cow_breaks, COWBRKS, COW)
PAGELAB_OBJ_COUNTER(cow_bytes, COWBYTES, COW)
PAGELAB_OBJ_COUNTER(private_cow, PRIVCOW, COW)
PAGELAB_OBJ_COUNTER(clone_shared, CLSHARED, COW)
PAGELAB_OBJ_COUNTER(clone_copied, CLCOPIED, COW)
PAGELAB_OBJ_COUNTER(merged, MERGED, COW)
PAGELAB_OBJ_COUNTER(merged_zero, MRGZERO, COW)
PAGELAB_OBJ_COUNTER(misses, MISSES, REPLACE)
PAGELAB_OBJ_COUNTER(page_ins, PAGEINS, REPLACE)
PAGELAB_OBJ_COUNTER(evictions, EVICTS, REPLACE)
PAGELAB_OBJ_COUNTER(writebacks, WRITTEN, REPLACE)
PAGELAB_OBJ_COUNTER(clean_drops, CLEAN, REPLACE)
PAGELAB_OBJ_COUNTER(inexact, INEXACT, REPLACE)
PAGELAB_OBJ_COUNTER(major, MAJOR, REPLACE)
PAGELAB_OBJ_COUNTER(io_waits, IOWAITS, REPLACE)
PAGELAB_OBJ_COUNTER(io_errors, IOERRS, REPLACE)
