/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pagelab - the one place for kernel-version and kernel-config shims.
 */
#ifndef _PAGELAB_COMPAT_H
#define _PAGELAB_COMPAT_H

#include <linux/pgtable.h>
#include <asm/cpufeature.h>

/*
 * With page-table isolation, user mode runs on a second PGD whose user
 * half is the one the MMU uses for user addresses (the kernel's copy of
 * those entries carries NX).  NULL when PTI is off or not built.
 */
#ifdef CONFIG_PAGE_TABLE_ISOLATION
static inline pgd_t *pagelab_pti_user_pgd(pgd_t *pgdp)
{
	return static_cpu_has(X86_FEATURE_PTI) ? kernel_to_user_pgdp(pgdp) : NULL;
}
#else
static inline pgd_t *pagelab_pti_user_pgd(pgd_t *pgdp)
{
	return NULL;
}
#endif

#endif /* _PAGELAB_COMPAT_H */
