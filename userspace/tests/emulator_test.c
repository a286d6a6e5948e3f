// SPDX-License-Identifier: GPL-2.0
/*
 * emulator_test - the guest CPU itself, where pagelab's tests have found
 * it wrong.  QEMU 7.2's TCG (Debian 12's) computes cmpxchg16b's flags from
 * the cc_op of the start of the translation block: the instruction's
 * helper reads env->cc_op, which the translator has not brought up to
 * date, so EFLAGS can come out as the low bits of an earlier operand.
 * SLUB's lockless fast path (this_cpu_cmpxchg128 / _double) runs that
 * instruction on every allocation; twice a guest died with
 * "PANIC: double fault" right after it, EFLAGS = RAX | 0x202 (TF and VM
 * set among them).  scripts/vm therefore hides CX16 from the guest
 * (-cpu max,-erms,-cx16), and the kernels take SLUB's locked path.
 *
 * The test runs the sequence that shows the fault where the CPU offers
 * the instruction, and says SKIP where it does not.  It fails if the
 * instruction is offered and its flags are wrong: then guests boot on an
 * emulator that can corrupt the kernel at random.
 */
#include <cpuid.h>
#include <stdint.h>

#include "kselftest_harness.h"

#define X86_CF	0x001UL
#define X86_ZF	0x040UL
#define X86_OF	0x800UL

static bool cpu_has_cx16(void)
{
	unsigned int a, b, c, d;

	return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_CMPXCHG16B);
}

/*
 * popf ends a translation block with cc_op = EFLAGS; add then leaves its
 * source operand (0x801: OF and CF as EFLAGS bits) in cc_src with the
 * block's cc_op not yet stored; cmpxchg16b of equal values must set ZF
 * and keep add's other flags (all clear for 0 + 0x801).
 */
static unsigned long cx16_flags_after_add(void)
{
	static unsigned __int128 target __attribute__((aligned(16)));
	unsigned long flags, lo = 0, hi = 0, src = 0x801, acc = 0;

	/* Below the red zone first: the compiler may keep locals there. */
	__asm__ __volatile__("lea -128(%%rsp), %%rsp\n\t"
		     "pushq $0x202\n\t"
		     "popfq\n\t"
		     "add %[src], %[acc]\n\t"
		     "cmpxchg16b %[t]\n\t"
		     "pushfq\n\t"
		     "popq %[flags]\n\t"
		     "lea 128(%%rsp), %%rsp\n\t"
		     : [flags] "=&r" (flags), [acc] "+D" (acc), "+a" (lo), "+d" (hi),
		       [t] "+m" (target)
		     : [src] "S" (src), "b" (0UL), "c" (0UL)
		     : "cc", "memory");
	return flags;
}

TEST(cmpxchg16b_keeps_the_flags)
{
	unsigned long flags;

	if (!cpu_has_cx16())
		SKIP(return, "the CPU does not offer cmpxchg16b (scripts/vm hides CX16: QEMU 7.2's "
		     "TCG computes its flags from a stale cc_op)");
	for (int i = 0; i < 100; i++) {
		flags = cx16_flags_after_add();
		ASSERT_EQ(X86_ZF, flags & (X86_CF | X86_ZF | X86_OF))
			TH_LOG("run %d: EFLAGS 0x%lx after add 0x801 and an equal cmpxchg16b: "
			       "want ZF alone; an emulator that shows OF/CF took add's operand as "
			       "EFLAGS (boot with -cpu ...,-cx16)", i, flags);
	}
}

TEST_HARNESS_MAIN
