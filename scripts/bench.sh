#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh - `make bench`: pagelab against the kernel's own paths, as ratios
# measured inside the guest: first-touch faults against anonymous memory,
# in order, random and sparse, and against a userfaultfd round trip
# (`pagelab bench fault`), a range walk against /proc/PID/pagemap
# (`pagelab bench walk`) and the binary scan against it (`pagelab bench
# scan`: dense, sparse, holes), and a snapshot's COW break against the kernel's
# fork COW of anonymous memory (`pagelab bench cow`), and page-out + page-in
# of a budgeted object against MADV_PAGEOUT to zram swap and the swap-in,
# and the backing file (the guest's 9p scratch share, on the host's disk)
# against the module's store (`pagelab bench replace`), and 2 MiB of
# anonymous memory by one huge fault against 512 small ones (`pagelab bench
# huge`, the kernel's paths only); each two ways:
#   icount: one boot under -icount shift=3 (one vCPU, fixed seed and clock):
#           the guest clock counts instructions, repeatable run to run;
#   wall:   BOOTS boots (default 3) under plain TCG, -smp 1; the ratio of
#           medians per boot, then the median of boots and their spread.
# icount lines also give each side's instructions per fault (or page).
# Then BOOTS boots with two vCPUs time 2N faults on one object by two
# threads against one (`pagelab bench smp`, wall clock), and two boots
# (icount, wall) alternate the fault benchmark with pagelab's
# tracepoints disabled and enabled (--tracepoints-only: just those).
# Speed is never a test: this prints numbers, it does not pass or fail them.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
boots=${BOOTS:-3}
reps=${REPS:-31}
pages=${PAGES:-512}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() { # LABEL VM_ARGS...
	local label=$1
	shift
	"$top/scripts/vm" run --quiet --out "$tmp/$label" "$@" \
		-- sh -c "pagelab bench fault --pages $pages --reps $reps &&
			  pagelab bench walk --reps $reps &&
			  pagelab bench scan --reps $reps &&
			  pagelab bench cow --pages $pages --reps $reps &&
			  pagelab bench replace --pages $pages --reps 11 &&
			  pagelab bench huge --reps $reps"
	sed 's/^/  /' "$tmp/$label" | grep -v PAGELAB-
}
ratio() { sed -n "s/^RATIO $2 //p" "$tmp/$1"; }
# ABS lines: the two medians a ratio divides, ns per unit; under icount
# (shift 3) one instruction is 8 ns.
insns() { # KIND
	awk -v k="$1" '$1 == "ABS" && $2 == k {
		printf("; %.0f vs %.0f instructions", $3 / 8, $4 / 8) }' "$tmp/icount"
}

if [ "${1:-}" != --tracepoints-only ]; then
echo "== icount (instructions x 8 ns, one vCPU)"
run icount --icount
echo "== TCG wall clock, $boots boots, -smp 1"
for b in $(seq 1 "$boots"); do
	echo " boot $b"
	run "wall$b" --smp 1
done

summary() { # KIND
	local vals
	vals=$(for b in $(seq 1 "$boots"); do ratio "wall$b" "$1"; done | sort -g)
	printf '%s' "$vals" | awk -v k="$1" -v ic="$(ratio icount "$1")" '
		{ v[NR] = $1 }
		END {
			med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf("%-15s icount %.3f; wall median of %d boots %.3f (min %.3f, max %.3f)",
			       k, ic, NR, med, v[1], v[NR])
		}'
	insns "$1"
	echo
}
echo
echo "== ratios (goals: write faults <= 1.0; read faults <= 1.2; walk vs pagemap, pages per"
echo "   second, >= 1.0; scan vs pagemap >= 1.0 dense, >= 3 sparse and holes;"
echo "   COW break vs fork COW <= 1.1 on an unmapped page, <= 1.5 on a mapped one)"
summary write
summary read
for k in write_random read_random write_sparse read_sparse write_vs_uffd read_vs_uffd; do
	summary "$k"
done
summary walk_vs_pagemap
for d in dense sparse holes; do
	summary "scan_vs_pagemap_$d"
	summary "scan_vs_pagemap_${d}_nopfn"
done
summary cow_unmapped
summary cow_mapped
summary cow_refault
summary refault_vs_shmem
summary pageout_pagein
summary pageout_pagein_clean
summary file_vs_module
summary file_vs_module_clean
# The kernel's own anonymous memory: 2 MiB by one huge fault over 512 small.
summary huge_vs_small
# pagelab huge objects (6.12 on; empty on older kernels): one module huge
# fault over 512 small ones of an ordinary object, and over the kernel THP fault.
summary obj_huge_vs_small
summary obj_huge_vs_thp
echo "(instructions: pagelab's side vs the kernel's, per fault or page, icount boot)"
echo "replay references/s (icount guest):" \
	"exact $(sed -n 's/^replay_exact_refs_per_s //p' "$tmp/icount")," \
	"default $(sed -n 's/^replay_default_refs_per_s //p' "$tmp/icount")"

# Faults on one object from two vCPUs against one thread: wall clock only
# (icount runs one vCPU), BOOTS boots with -smp 2.
echo
echo "== two threads on two vCPUs / one thread, same 2N write faults, $boots boots"
for b in $(seq 1 "$boots"); do
	"$top/scripts/vm" run --quiet --out "$tmp/smp$b" --smp 2 \
		-- pagelab bench smp --reps 11
	sed 's/^/  /' "$tmp/smp$b" | grep -v PAGELAB-
done
smp_summary() { # KIND
	for b in $(seq 1 "$boots"); do ratio "smp$b" "$1"; done | sort -g | awk -v k="$1" '
		{ v[NR] = $1 }
		END {
			med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf("%-15s wall median of %d boots %.3f (min %.3f, max %.3f)\n",
			       k, NR, med, v[1], v[NR])
		}'
}
smp_summary smp_pagelab
smp_summary smp_anon
fi

# Tracepoints: the fault benchmark with pagelab's events disabled, then
# enabled with a consumer (the ftrace ring buffer), alternating in one boot.
# Each run's pagelab/anon ratio cancels drift; the cost of the events is
# the ratio of those ratios (on / off), median of the pairs.
tp_run() { # LABEL VM_ARGS...
	local label=$1
	shift
	"$top/scripts/vm" run --quiet --out "$tmp/$label" "$@" -- sh -c "
		e=/sys/kernel/tracing/events/pagelab/enable
		for i in 1 2 3 4 5; do
			echo 0 >\$e; echo TP off; pagelab bench fault --pages $pages --reps 11
			echo 1 >\$e; echo TP on; pagelab bench fault --pages $pages --reps 11
		done
		echo 0 >\$e"
}
tp_ratio() { # LABEL KIND
	awk -v k="$2" '/^TP (on|off)$/ { st = $2 }
		$1 == "RATIO" && $2 == k { if (st == "off") off = $3; else print $3 / off }' \
		"$tmp/$1" | sort -g | awk -v k="$2" '{ r[NR] = $1 }
		END {
			med = (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
			printf("%-15s %.3f (median of %d on/off pairs, min %.3f, max %.3f)\n",
			       k, med, NR, r[1], r[NR])
		}'
}
echo
echo "== tracepoints enabled (ftrace consumer) / disabled, pagelab's fault cost"
tp_run tp-icount --icount
tp_run tp-wall --smp 1
echo " icount:"
tp_ratio tp-icount write
tp_ratio tp-icount read
echo " TCG wall clock:"
tp_ratio tp-wall write
tp_ratio tp-wall read
