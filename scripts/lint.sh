#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# lint.sh - the kernel's own checks on pagelab, each a test with a verdict:
# checkpatch.pl --strict (from linux-source-6.1), make W=1 and sparse must
# report nothing on module/, kunit/ and scripts/fixture/.
#
#   scripts/lint.sh [KERNEL...]    (default: $PAGELAB_KERNEL, else 6.1)
#
# checkpatch runs once; W=1 and sparse once per kernel (6.1, 6.1-rt, 6.12,
# 6.12-rt: see scripts/setup.sh), the names of their results led by the
# kernel unless it is 6.1.
# Prints "ok - NAME" / "not ok - NAME" lines (findings below a failure).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit
kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || kernels=("${PAGELAB_KERNEL:-6.1}")
eval "$(PAGELAB_KERNEL=${kernels[0]} scripts/setup.sh)" || exit 2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
rc=0

verdict() { # NAME FILE: pass if FILE is empty
	if [ -s "$2" ]; then
		echo "not ok - $1"
		sed 's/^/#   /' "$2" | head -n 60
		rc=1
	else
		echo "ok - $1"
	fi
}

# module/compat.h is the one file where kernel-version tests belong, so
# there alone checkpatch accepts LINUX_VERSION_CODE (and its comparison).
mapfile -t ksrc < <(find module kunit scripts/fixture -name '*.[ch]' ! -name '*.mod.c' \
	! -path module/compat.h | sort)
cp_ignore=FILE_PATH_CHANGES,SPDX_LICENSE_TAG
perl "$SRC/scripts/checkpatch.pl" --strict --no-tree --quiet --show-types \
	--ignore "$cp_ignore" -f "${ksrc[@]}" >"$out/cp" 2>&1
perl "$SRC/scripts/checkpatch.pl" --strict --no-tree --quiet --show-types \
	--ignore "$cp_ignore,LINUX_VERSION_CODE,CONSTANT_COMPARISON" -f module/compat.h \
	>>"$out/cp" 2>&1
ksrc+=(module/compat.h)
verdict "lint: checkpatch --strict (${#ksrc[@]} files)" "$out/cp"

# Userspace functions, tests too, stay under about 100 lines, or say why beside them
# (a comment just above holding "Over 100 lines on purpose").
for f in userspace/*.c userspace/lib/*.c userspace/fuzz/*.c userspace/tests/*.c; do
	awk -v F="$f" '
		/^[a-zA-Z].*\(/ && !/;$/ { name = $0; start = NR; why = (NR - last_why <= 8) }
		/Over 100 lines on purpose/ { last_why = NR }
		/^}/ && start {
			if (NR - start + 1 > 100 && !why)
				printf "%s:%d: %d lines: %s\n", F, start, NR - start + 1, name
			start = 0
		}' "$f"
done >"$out/long"
verdict "lint: userspace functions of 100 lines or less, or a reason beside them" "$out/long"

# Every shell script of the tree, sourced files followed.
mapfile -t shsrc < <(grep -rlE '^#!.*(ba)?sh|^# shellcheck shell=' scripts .ci | sort)
shellcheck -x -f gcc "${shsrc[@]}" >"$out/sc" 2>&1
verdict "lint: shellcheck (${#shsrc[@]} scripts)" "$out/sc"

for k in "${kernels[@]}"; do
	eval "$(PAGELAB_KERNEL=$k scripts/setup.sh)" || { echo "not ok - $k: lint: setup"; rc=1; continue; }
	p=""
	[ "$k" = 6.1 ] || p="$k: "
	# Another kernel than 6.1 builds in the copy of the sources (MODDIR).
	[ "$MODDIR" = "$top" ] || make -s KERNEL="$k" tree >/dev/null 2>&1 ||
		{ echo "not ok - ${p}lint: copy the sources to $MODDIR"; rc=1; continue; }
	KBUILD=(-C "$KDIR" M="$MODDIR" KBUILD_EXTRA_SYMBOLS="$KUNIT/Module.symvers")
	# Rebuild everything so every file is compiled under the checks.
	make -s "${KBUILD[@]}" clean >/dev/null 2>&1
	make -s "${KBUILD[@]}" W=1 modules 2>&1 | grep -v 'Skipping BTF generation' >"$out/w1"
	verdict "${p}lint: make W=1" "$out/w1"

	make -s "${KBUILD[@]}" C=2 CHECK=sparse modules 2>&1 |
		grep -v 'Skipping BTF generation' >"$out/sparse"
	verdict "${p}lint: sparse" "$out/sparse"
done
exit $rc
