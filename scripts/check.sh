#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh - everything `make check` runs, as tests with verdicts:
#
#   scripts/check.sh [KERNEL...]    (default: $PAGELAB_KERNEL, else 6.1;
#                                    make check: KERNELS="6.1 6.12 6.12-rt 6.1-rt")
#
#   1. lint (checkpatch --strict; W=1, sparse for each kernel), and a dkms
#      build for the headers of 6.1 and 6.12
#   for each kernel (6.1, 6.1-rt, 6.12, 6.12-rt: see scripts/setup.sh), the
#   names of its results led by the kernel unless it is 6.1:
#   2. one guest boot: KUnit suites (KTAP in the kernel log, parsed by the
#      kernel's kunit.py), the userspace tests (kselftest TAP), the fuzzer
#      (pagelab-fuzz, 60 s), module unload, and the kernel log scanned for
#      splats
#   3. a 5-level (bzImage) boot with pti=on for the walk tests, a
#      preempt=full boot for the race tests, and a --host-root boot for
#      the bpftrace scripts
#   An -rt kernel gets a smoke lane instead of 2-3 (one boot: KUnit, the
#   device, object, COW, replacement and race tests, 20 s of fuzzer);
#   PAGELAB_RT_FULL=1 gives it the full lanes.
#   Once, after the first kernel's lanes:
#   4. the debug-kernel lane (scripts/check-debug.sh: KASAN, lockdep,
#      DEBUG_VM, kmemleak, KUnit built in, fault injection; its kernel is
#      built from 6.12's source, PAGELAB_DEBUG_SERIES=6.1 for 6.1's)
#   5. the guest harness's self-tests, on the first kernel
#
# A time guard keeps the whole run within PAGELAB_CHECK_BUDGET seconds
# (default 5100: 85 minutes): a lane whose usual time would end past it is
# skipped, printed and counted as skipped, rather than started.
# Prints each result and ends with one line: "N passed, N failed".
set -uo pipefail
t_start=${PAGELAB_CHECK_T0:-$(date +%s)}	# make check sets it when make starts
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit
kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || kernels=("${PAGELAB_KERNEL:-6.1}")
# Every kernel set up (downloaded if need be) before any lane starts.
for k in "${kernels[@]}"; do
	PAGELAB_KERNEL=$k scripts/setup.sh >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
done
eval "$(PAGELAB_KERNEL=${kernels[0]} scripts/setup.sh)" || { echo "0 passed, 1 failed"; exit 1; }

. "$top/scripts/check-lib.sh"

echo "== lint"
scripts/lint.sh "${kernels[@]}" >"$results/lint" 2>&1
grep -v '^ok \|^not ok ' "$results/lint" || true
verdicts tap "$results/lint" ""
# lint rebuilt the modules from clean; the harness fixture goes with them.
for k in "${kernels[@]}"; do
	p=""
	[ "$k" = 6.1 ] || p="$k: "
	make -s KERNEL="$k" module fixture >/dev/null 2>&1 || record fail "${p}build: modules after lint"
done

# What a user's test VM does with dkms.conf: dkms builds pagelab.ko (in a
# scratch tree: nothing is installed here), for Debian 12's two kernels
# whatever KERNELS says (6.12's headers come from setup's cache).
echo "== dkms"
for k in 6.1 6.12; do
	if env=$(PAGELAB_KERNEL=$k scripts/setup.sh); then
		(eval "$env" && scripts/dkms-check.sh "$KVER" "$KDIR") >"$results/dkms" 2>&1
	else
		echo "not ok - dkms build for $k: setup failed" >"$results/dkms"
	fi
	grep -v '^ok \|^not ok ' "$results/dkms" || true
	verdicts tap "$results/dkms" ""
	# make install, staged (INSTALL_MOD_PATH): the module in updates/, known to depmod.
	stage=$(mktemp -d)
	if make -s KERNEL="$k" install INSTALL_MOD_PATH="$stage" >"$results/install" 2>&1 &&
		grep -q '^updates/pagelab\.ko[.a-z]*:' "$stage"/lib/modules/*/modules.dep; then
		record ok "make install KERNEL=$k: pagelab.ko in updates/, in modules.dep"
	else
		sed 's/^/#   /' "$results/install" | tail -10
		record fail "make install KERNEL=$k: pagelab.ko in updates/, in modules.dep"
	fi
	rm -rf "$stage"
	make -s KERNEL="$k" module >/dev/null 2>&1 || record fail "build: modules for $k after make install"
done

# The fuzzer runs for fuzz_s seconds after the tests of the main boot, and
# half that on the preempt=full boot (PAGELAB_FUZZ_SECONDS; 0 leaves it out;
# PAGELAB_FUZZ_SEED fixes its seed, else random and printed).
fuzz_s=${PAGELAB_FUZZ_SECONDS:-60}

# The time guard: true if a lane of about SECONDS may start and still end
# within the budget; else it prints why and counts the lane as skipped.
budget=${PAGELAB_CHECK_BUDGET:-5100}
lane_fits() { # NAME SECONDS
	local used=$(( $(date +%s) - t_start ))
	if [ $((used + $2)) -le "$budget" ]; then
		echo "# time: $used s used; $1 (about $2 s) starts"
		return 0
	fi
	echo "SKIP: $1: it would end past the ${budget}-s budget ($used s used, about $2 s needed)"
	skip=$((skip + 1))
	return 1
}

# The smoke lane of an -rt kernel: one boot, the core tests.
smoke_lane() { # KERNEL
	local k=$1 p="$1: " vrc
	export PAGELAB_KERNEL=$k
	echo "== guest ($k): smoke: KUnit, device, object, COW, replacement, race tests, fuzzer"
	scripts/vm run --quiet --timeout 900 --log "$results/kernel.log" \
		--out "$results/out" -- \
		${PAGELAB_FUZZ_SEED:+env PAGELAB_FUZZ_SEED="$PAGELAB_FUZZ_SEED"} \
		pagelab-guest-tests --fuzz 20 /usr/bin/device_test /usr/bin/objects_test \
		/usr/bin/cow_test /usr/bin/replace_test /usr/bin/race_test 2>"$results/vm.err"
	vrc=$?
	grep -v '^ok \|^not ok ' "$results/out" | grep -v '^PAGELAB-' || true
	cat "$results/vm.err"
	guest_verdict "${p}guest smoke" "$vrc"
	verdicts tap "$results/out" "$p"
	verdicts kunit "$results/kernel.log" "$p"
}

# The guest lanes of one kernel: p leads the names of their results (empty
# for 6.1), and scripts/vm boots that kernel (it reads PAGELAB_KERNEL).
guest_lanes() { # KERNEL
	local k=$1 p="" on="" vrc
	eval "$(PAGELAB_KERNEL=$k scripts/setup.sh)"
	export PAGELAB_KERNEL=$k
	[ "$k" = 6.1 ] || { p="$k: "; on=" ($k)"; }

	echo "== guest$on: KUnit, userspace tests and the fuzzer"
	scripts/vm run --quiet --timeout $((900 + fuzz_s)) --log "$results/kernel.log" \
		--out "$results/out" -- env PAGELAB_FUZZ_SECONDS="$fuzz_s" \
		${PAGELAB_FUZZ_SEED:+PAGELAB_FUZZ_SEED="$PAGELAB_FUZZ_SEED"} \
		pagelab-guest-tests 2>"$results/vm.err"
	vrc=$?
	grep -v '^ok \|^not ok ' "$results/out" | grep -v '^PAGELAB-' || true
	cat "$results/vm.err"
	guest_verdict "${p}guest" "$vrc"

	verdicts tap "$results/out" "$p"
	verdicts kunit "$results/kernel.log" "$p"

	# The page-table walk again on 5-level paging (the bzImage under -cpu max
	# enables LA57; the PVH-booted vmlinux never does) with page-table
	# isolation on: the walk tests and the PTI tests.
	echo "== guest$on: 5-level paging, pti=on: walk tests"
	scripts/vm run --quiet --bzimage --append pti=on --timeout 900 --log "$results/kernel5.log" \
		--out "$results/out5" -- sh -c 'if grep -q " la57" /proc/cpuinfo; then
			echo "ok - guest runs 5-level paging (la57)"; else
			echo "not ok - guest runs 5-level paging (la57)"; fi
			pagelab-guest-tests --no-kunit /usr/bin/walk_test /usr/bin/pti_test' \
		2>"$results/vm5.err"
	vrc=$?
	grep -v '^ok \|^not ok ' "$results/out5" | grep -v '^PAGELAB-' || true
	cat "$results/vm5.err"
	guest_verdict "${p}guest 5-level" "$vrc"
	verdicts tap "$results/out5" "${p}5-level+pti: "

	# The race tests again on a fully preemptible kernel (Debian's is
	# PREEMPT_DYNAMIC): a task can then lose its CPU anywhere in the fault
	# path, which widens the windows race_test aims at -- and the fuzzer's.
	echo "== guest$on: preempt=full: race tests and the fuzzer"
	scripts/vm run --quiet --append preempt=full --timeout $((900 + fuzz_s / 2)) \
		--log "$results/kernel-race.log" --out "$results/out-race" -- \
		${PAGELAB_FUZZ_SEED:+env PAGELAB_FUZZ_SEED="$PAGELAB_FUZZ_SEED"} \
		pagelab-guest-tests --no-kunit --fuzz $((fuzz_s / 2)) /usr/bin/race_test \
		2>"$results/vm-race.err"
	vrc=$?
	grep -v '^ok \|^not ok ' "$results/out-race" | grep -v '^PAGELAB-' || true
	cat "$results/vm-race.err"
	guest_verdict "${p}guest preempt=full" "$vrc"
	verdicts tap "$results/out-race" "${p}preempt=full: "

	# bpftrace needs the host's root (LLVM and all): a --host-root boot.
	echo "== guest (${p:+$k, }host root): bpftrace scripts against the module's counters"
	scripts/vm run --quiet --host-root --timeout 900 --log "$results/kernel-trace.log" \
		--out "$results/out-trace" -- scripts/trace-tests.sh 2>"$results/vm-trace.err"
	vrc=$?
	grep -v '^ok \|^not ok ' "$results/out-trace" | grep -v '^PAGELAB-' || true
	cat "$results/vm-trace.err"
	guest_verdict "${p}guest trace" "$vrc"
	verdicts tap "$results/out-trace" "$p"
}
# The debug-kernel lane: its kernel built once (about 15 minutes cold on
# 2 cores, measured in its result line), then about 15 minutes a run.
# PAGELAB_SKIP_DEBUG=1 leaves it out.
debug_lane() {
	local need=1000
	if [ "${PAGELAB_SKIP_DEBUG:-0}" = 1 ]; then
		echo "== debug kernel lane: skipped (PAGELAB_SKIP_DEBUG=1)"
		skip=$((skip + 1))
		return
	fi
	scripts/debug-kernel.sh --check-only >/dev/null 2>&1 || need=$((need + 1000))
	lane_fits "debug kernel lane" "$need" || return
	echo "== debug kernel lane (scripts/check-debug.sh)"
	PAGELAB_CHECK_TALLY="$results/debug.tally" scripts/check-debug.sh
	if read -r dp df ds <"$results/debug.tally" 2>/dev/null; then
		pass=$((pass + dp)) fail=$((fail + df)) skip=$((skip + ds))
	else
		record fail "debug kernel lane: ran to the end"
	fi
}

# Usual times, warm (seconds): full lanes of a kernel, an -rt smoke lane.
for i in "${!kernels[@]}"; do
	k=${kernels[$i]}
	case "$k" in
	*-rt)
		if [ "${PAGELAB_RT_FULL:-0}" = 1 ]; then
			lane_fits "guest lanes ($k)" 900 && guest_lanes "$k"
		else
			lane_fits "guest smoke lane ($k)" 360 && smoke_lane "$k"
		fi ;;
	*)
		lane_fits "guest lanes ($k)" 900 && guest_lanes "$k" ;;
	esac
	[ "$i" != 0 ] || debug_lane
done
export PAGELAB_KERNEL=${kernels[0]}

echo "== harness self-tests"
scripts/harness-selftest.sh >"$results/harness" 2>&1
grep -v '^ok \|^not ok ' "$results/harness" || true
verdicts tap "$results/harness" ""
KUNIT_PY="${KSRC:-$SRC}/tools/testing/kunit/kunit.py" python3 scripts/results_test.py \
	>"$results/results-test" 2>&1 ||
	grep -q '^not ok' "$results/results-test" ||
	echo "not ok - harness: results_test.py failed with no verdict" >>"$results/results-test"
verdicts tap "$results/results-test" ""

summary
