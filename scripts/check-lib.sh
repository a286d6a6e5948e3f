# SPDX-License-Identifier: GPL-2.0
#
# check-lib.sh - sourced by check.sh and check-debug.sh: verdict bookkeeping
# and the parsers for TAP (userspace tests), KTAP (KUnit, through the
# kernel's kunit.py) and scripts/vm's exit status.  Needs $SRC, and $KSRC
# for the kunit.py of the kernel that ran (setup.sh).

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

# KUnit: the kernel's own KTAP parser over a guest's kernel log.
kunit_results() { # KERNEL_LOG [PREFIX]
	local p=${2:-}
	# From pagelab's marker on: a kernel with KUnit built in prints an
	# empty KTAP block of its own at boot, which would end the parse.
	if grep -q 'pagelab-kunit-start' "$1"; then
		sed -n '/pagelab-kunit-start/,$p' "$1" >"$results/ktap.log"
	else
		cp "$1" "$results/ktap.log"
	fi
	python3 "${KSRC:-$SRC}/tools/testing/kunit/kunit.py" parse "$results/ktap.log" >"$results/kunit" 2>&1
	sed -n 's/^\[[0-9:]*\] //p' "$results/kunit" | grep -E '\[(PASSED|FAILED|SKIPPED|CRASHED)\]' |
		grep -v '=====' | while read -r st name; do
		echo "$st $name"
	done >"$results/kunit.cases"
	while read -r st name; do
		case $st in
		"[PASSED]") record ok "${p}kunit: $name" ;;
		"[SKIPPED]") skip=$((skip + 1)); echo "SKIP: ${p}kunit: $name" ;;
		*) record fail "${p}kunit: $name" ;;
		esac
	done <"$results/kunit.cases"
	grep -q 'Testing complete. Ran [1-9]' "$results/kunit" ||
		record fail "${p}kunit: no KTAP results in the guest's kernel log"
	grep -qE 'errors: [1-9]|failed: [1-9]' "$results/kunit" &&
		{ tail -n 3 "$results/kunit"; record fail "${p}kunit: kunit.py reports errors"; }
	return 0
}

# Userspace: TAP lines; a binary that exits non-zero without a "not ok"
# line (a crash) is a failure of its own.
tap_results() { # OUT_FILE PREFIX
	local b
	count_tap "$1" "$2"
	awk '/^# binary: /{b=$3; n=0} /^not ok /{n++} /^# exit: /{if ($4 != 0 && n == 0) print $3}' \
		"$1" | while read -r b; do echo "$b"; done >"$results/crashed"
	while read -r b; do
		record fail "$2userspace: $b exited non-zero with no failed test"
	done <"$results/crashed"
}

# The last line: "N passed, N failed[, N skipped]".  Run as part of another
# check (PAGELAB_CHECK_TALLY=FILE), the counts go to FILE for it instead.
summary() {
	if [ -n "${PAGELAB_CHECK_TALLY:-}" ]; then
		echo "$pass $fail $skip" >"$PAGELAB_CHECK_TALLY"
	else
		echo
		echo "$pass passed, $fail failed${skip:+, $skip skipped}" | sed 's/, 0 skipped$//'
	fi
	[ "$fail" = 0 ]
}
