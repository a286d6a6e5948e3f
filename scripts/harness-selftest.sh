#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# harness-selftest.sh - prove that scripts/vm catches what it claims to: each
# case boots a guest that misbehaves in one known way and checks the verdict.
# Prints "ok - NAME" / "not ok - NAME" per case.  The guests boot
# $PAGELAB_KERNEL (scripts/vm's default: 6.1).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
vm="$here/vm"
eval "$("$here/setup.sh")" || { echo "not ok - harness: setup"; exit 1; }
fixture=/lib/pagelab/pagelab_fixture.ko
rc_all=0

expect() { # NAME WANT_STATUS WANT_STDERR_ERE VM_ARGS...
	local name=$1 want=$2 msg=$3 err got
	shift 3
	err=$(mktemp)
	"$vm" run --quiet "$@" 2>"$err"
	got=$?
	if [ "$got" = "$want" ] && { [ -z "$msg" ] || grep -qE "$msg" "$err"; }; then
		echo "ok - harness: $name"
	else
		echo "not ok - harness: $name (exit $got, wanted $want)"
		sed 's/^/#   /' "$err" | head -n 8
		rc_all=1
	fi
	rm -f "$err"
}

[ -f "$MODDIR/scripts/fixture/pagelab_fixture.ko" ] ||
	{ echo "not ok - harness: fixture module not built (make KERNEL=$KERNEL fixture)"; exit 1; }

expect "a clean guest passes" 0 "" -- true
expect "the command's exit status is returned" 42 "" -- sh -c 'exit 42'
expect "a WARN in the guest fails the run" 4 "undeclared kernel report" \
	-- insmod "$fixture" warn=1
expect "a declared WARN passes" 0 "" \
	--expect-splat 'pagelab_fixture: deliberate warning' -- insmod "$fixture" warn=1
expect "a report declared from inside the guest passes" 0 "" \
	-- sh -c "echo 'pagelab-expect-splat: pagelab_fixture: deliberate warning' >/dev/kmsg && insmod $fixture warn=1"
expect "a declared report that never comes fails" 4 "did not occur" \
	--expect-splat 'pagelab_fixture: deliberate warning' -- insmod "$fixture"
expect "a declared report does not excuse another" 4 "undeclared kernel report" \
	--expect-splat 'pagelab_fixture: deliberate warning' \
	-- sh -c "insmod $fixture warn=1 && echo l >/proc/sysrq-trigger && sleep 1"
expect "a hung guest is ended and fails" 3 "hang" --timeout 25 -- sleep 600
expect "a guest that dies early fails" 3 "died before" -- sh -c 'echo c >/proc/sysrq-trigger'
exit $rc_all
