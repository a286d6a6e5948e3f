#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh - everything `make check` runs, as tests with verdicts:
#   1. lint (checkpatch --strict, W=1, sparse)
#   2. one guest boot: KUnit suites (KTAP in the kernel log, parsed by the
#      kernel's kunit.py), the userspace tests (kselftest TAP), module unload,
#      and the kernel log scanned for splats
#   3. a 5-level (bzImage) boot with pti=on for the walk tests, and a
#      --host-root boot for the bpftrace scripts
#   4. the guest harness's self-tests
# Prints each result and ends with one line: "N passed, N failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
eval "$(scripts/setup.sh)" || { echo "0 passed, 1 failed"; exit 1; }

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
pass=0 fail=0 skip=0
record() { # ok|fail NAME
	if [ "$1" = ok ]; then
		pass=$((pass + 1)); echo "PASS: $2"
	else
		fail=$((fail + 1)); echo "FAIL: $2"
	fi
}
# Count TAP "ok"/"not ok" lines of FILE (top level only) into the totals.
count_tap() { # FILE PREFIX
	local line name prefix=$2
	while IFS= read -r line; do
		case "$line" in
		"# binary: "*) prefix="$2$(basename "${line#\# binary: }"): " ;;
		"# exit: "*) prefix=$2 ;;
		esac
		name=$(echo "$line" | sed -E 's/^(not )?ok ([0-9]+ )?(- )?//')
		case "$line" in
		"not ok "*) record fail "$prefix$name" ;;
		"ok "*" # SKIP"*) skip=$((skip + 1)); echo "SKIP: $prefix$name" ;;
		"ok "*) record ok "$prefix$name" ;;
		esac
	done <"$1"
}

# Two verdicts from one scripts/vm exit status: 3 hang or early death,
# 4 a kernel splat, else the boot ran to the end with a clean log.
guest_verdict() { # LABEL STATUS
	if [ "$2" = 3 ]; then
		record fail "$1: boot and run to the end (hang or early death)"
		return
	fi
	record ok "$1: boot and run to the end"
	if [ "$2" = 4 ]; then
		record fail "$1: kernel log free of splats"
	else
		record ok "$1: kernel log free of splats"
	fi
}

echo "== lint"
scripts/lint.sh >"$results/lint" 2>&1
cat "$results/lint" | grep -v '^ok \|^not ok ' || true
count_tap "$results/lint" ""
# lint rebuilt the modules from clean; the harness fixture goes with them.
make -s module fixture >/dev/null 2>&1 || record fail "build: modules after lint"

echo "== guest: KUnit and userspace tests"
scripts/vm run --quiet --timeout 900 --log "$results/kernel.log" --out "$results/out" \
	-- pagelab-guest-tests 2>"$results/vm.err"
vrc=$?
grep -v '^ok \|^not ok ' "$results/out" | grep -v '^PAGELAB-' || true
cat "$results/vm.err"
guest_verdict guest "$vrc"

# Userspace: TAP lines; a binary that exits non-zero without a "not ok"
# line (a crash) is a failure of its own.
count_tap "$results/out" ""
awk '/^# binary: /{b=$3; n=0} /^not ok /{n++} /^# exit: /{if ($4 != 0 && n == 0) print $3}' \
	"$results/out" | while read -r b; do echo "crash $b"; done >"$results/crashed"
while read -r _ b; do record fail "userspace: $b exited non-zero with no failed test"; done <"$results/crashed"

# KUnit: the kernel's own KTAP parser.
python3 "$SRC/tools/testing/kunit/kunit.py" parse "$results/kernel.log" >"$results/kunit" 2>&1
sed -n 's/^\[[0-9:]*\] //p' "$results/kunit" | grep -E '\[(PASSED|FAILED|SKIPPED|CRASHED)\]' |
	grep -v '=====' | while read -r st name; do
	echo "$st $name"
done >"$results/kunit.cases"
while read -r st name; do
	case $st in
	"[PASSED]") record ok "kunit: $name" ;;
	"[SKIPPED]") skip=$((skip + 1)); echo "SKIP: kunit: $name" ;;
	*) record fail "kunit: $name" ;;
	esac
done <"$results/kunit.cases"
grep -q 'Testing complete. Ran [1-9]' "$results/kunit" ||
	record fail "kunit: no KTAP results in the guest's kernel log"
grep -qE 'errors: [1-9]|failed: [1-9]' "$results/kunit" &&
	{ tail -n 3 "$results/kunit"; record fail "kunit: kunit.py reports errors"; }

# The page-table walk again on 5-level paging (the bzImage under -cpu max
# enables LA57; the PVH-booted vmlinux never does) with page-table
# isolation on: the walk tests and the PTI tests.
echo "== guest: 5-level paging, pti=on: walk tests"
scripts/vm run --quiet --bzimage --append pti=on --timeout 900 --log "$results/kernel5.log" \
	--out "$results/out5" -- sh -c 'if grep -q " la57" /proc/cpuinfo; then
		echo "ok - guest runs 5-level paging (la57)"; else
		echo "not ok - guest runs 5-level paging (la57)"; fi
		pagelab-guest-tests --no-kunit /usr/bin/walk_test /usr/bin/pti_test' \
	2>"$results/vm5.err"
vrc=$?
grep -v '^ok \|^not ok ' "$results/out5" | grep -v '^PAGELAB-' || true
cat "$results/vm5.err"
guest_verdict "guest 5-level" "$vrc"
count_tap "$results/out5" "5-level+pti: "

# bpftrace needs the host's root (LLVM and all): a --host-root boot.
echo "== guest (host root): bpftrace scripts against the module's counters"
scripts/vm run --quiet --host-root --timeout 900 --log "$results/kernel-trace.log" \
	--out "$results/out-trace" -- scripts/trace-tests.sh 2>"$results/vm-trace.err"
vrc=$?
grep -v '^ok \|^not ok ' "$results/out-trace" | grep -v '^PAGELAB-' || true
cat "$results/vm-trace.err"
guest_verdict "guest trace" "$vrc"
count_tap "$results/out-trace" ""

echo "== harness self-tests"
scripts/harness-selftest.sh >"$results/harness" 2>&1
grep -v '^ok \|^not ok ' "$results/harness" || true
count_tap "$results/harness" ""

echo
echo "$pass passed, $fail failed${skip:+, $skip skipped}" | sed 's/, 0 skipped$//'
[ "$fail" = 0 ]
