# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# check-lib.sh - sourced by check.sh and check-debug.sh: verdict bookkeeping,
# the verdicts of TAP and KTAP (scripts/results.py, through the kernel's
# kunit.py) and of scripts/vm's exit status.  Needs $SRC, and $KSRC for the
# kunit.py of the kernel that ran (setup.sh); run from the tree's top.

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

# Verdicts from scripts/results.py, which has the kernel's kunit.py parse
# the TAP (userspace tests, the scripts' own "ok - NAME" lines) or the KTAP
# (KUnit, in a guest's kernel log): its PASS/FAIL/SKIP lines are printed
# and its tally added to ours.
verdicts() { # tap|kunit FILE PREFIX
	local line p f s
	if ! KUNIT_PY="${KSRC:-$SRC}/tools/testing/kunit/kunit.py" \
		python3 "${top:-.}/scripts/results.py" "$1" "$2" "$3" >"$results/verdicts"; then
		record fail "${3}results.py $1 $(basename "$2"): it failed"
		return 0
	fi
	while IFS= read -r line; do
		case "$line" in
		"TALLY "*)
			read -r _ p f s <<<"$line"
			pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
			;;
		*) echo "$line" ;;
		esac
	done <"$results/verdicts"
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
