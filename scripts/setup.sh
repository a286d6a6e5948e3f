#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# setup.sh - install and prepare everything pagelab needs; idempotent.
#
# Installs Debian packages (only when dpkg-query says one is missing), finds the
# kernel version from what is installed, and fills a cache folder outside the
# repo with: the extracted vmlinux, files taken from linux-source-6.1
# (checkpatch, kselftest harness, .clang-format, lib/kunit, kunit.py), and an
# out-of-tree kunit.ko for Debian's kernel (which has no CONFIG_KUNIT).
# Prints KEY=VALUE lines other scripts source (see scripts/env.sh).
set -euo pipefail

die() { echo "pagelab setup: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (it installs Debian packages); try: sudo $0"

PKGS=(qemu-system-x86 linux-image-amd64 linux-headers-amd64 busybox-static cpio
      kmod bpftrace linux-perf sparse linux-source-6.1 gcc make libc6-dev
      python3 xz-utils gzip graphviz gnuplot-nox dkms)

. "$(dirname "$0")/pkg-lib.sh"
pkgs_ensure "pagelab setup" "${PKGS[@]}" || exit 1

# The kernel: the ABI the linux-image-amd64 metapackage points at now.
abi_of() {
	dpkg-query -W -f='${Depends}' "$1" 2>/dev/null |
		grep -o "$2-[0-9][^ ,]*-amd64" | head -n1 | sed "s/^$2-//"
}
KVER=$(abi_of linux-image-amd64 linux-image)
HVER=$(abi_of linux-headers-amd64 linux-headers)
[ -n "$KVER" ] || die "cannot tell the kernel version from linux-image-amd64"
[ "$KVER" = "$HVER" ] ||
	die "kernel image $KVER and headers $HVER differ: run apt-get install linux-image-amd64 linux-headers-amd64 to match them"
[ -f "/boot/vmlinuz-$KVER" ] || die "/boot/vmlinuz-$KVER missing: reinstall linux-image-$KVER-amd64"
KDIR=${KDIR:-/lib/modules/$KVER/build}
[ -f "$KDIR/Makefile" ] || die "no kernel headers at $KDIR: install linux-headers-$KVER"
command -v qemu-system-x86_64 >/dev/null ||
	die "qemu-system-x86_64 not found: apt-get install qemu-system-x86"

CACHE=${PAGELAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pagelab}/$KVER
mkdir -p "$CACHE"

# Files from linux-source-6.1: extracted once, keyed by the tarball's version.
SRCTAR=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null) ||
	die "linux-source-6.1 tarball missing: apt-get install linux-source-6.1"
SRCVER=$(dpkg-query -W -f='${Version}' linux-source-6.1)
SRC=$CACHE/src
if [ "$(cat "$SRC/.version" 2>/dev/null)" != "$SRCVER" ]; then
	rm -rf "$SRC" && mkdir -p "$SRC"
	tar -xf "$SRCTAR" -C "$SRC" --strip-components=1 \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/extract-vmlinux \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch \
		linux-source-6.1/.clang-format \
		linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.1/tools/testing/selftests/kselftest.h \
		linux-source-6.1/lib/kunit \
		linux-source-6.1/tools/testing/kunit ||
		die "extracting from $SRCTAR failed"
	echo "$SRCVER" >"$SRC/.version"
fi

# An uncompressed kernel boots directly via PVH, skipping xz decompression.
if [ ! -s "$CACHE/vmlinux" ]; then
	"$SRC/scripts/extract-vmlinux" "/boot/vmlinuz-$KVER" >"$CACHE/vmlinux.tmp" ||
		die "extract-vmlinux failed on /boot/vmlinuz-$KVER"
	mv "$CACHE/vmlinux.tmp" "$CACHE/vmlinux"
fi

# kunit.ko for a kernel without CONFIG_KUNIT: lib/kunit built out of tree.
# task_struct::kunit_test and module::kunit_suites exist only with
# CONFIG_KUNIT, so the lines that touch them are dropped; test modules call
# __kunit_test_suites_init() themselves.
KUNIT=$CACHE/kunit
stamp="$SRCVER $KVER"
if [ "$(cat "$KUNIT/.stamp" 2>/dev/null)" != "$stamp" ] || [ ! -f "$KUNIT/kunit.ko" ]; then
	rm -rf "$KUNIT" && mkdir -p "$KUNIT"
	cp "$SRC"/lib/kunit/{test.c,resource.c,string-stream.c,string-stream.h,assert.c,try-catch.c,try-catch-impl.h,executor.c,debugfs.h} "$KUNIT/"
	sed -i -e '/current->kunit_test = /d' \
		-e 's/^#ifdef CONFIG_MODULES$/#if 0 \/* pagelab: module::kunit_suites needs CONFIG_KUNIT *\//' \
		"$KUNIT/test.c"
	grep -q 'kunit_test\b' "$KUNIT/test.c" &&
		sed -i -e 's/if (!current->kunit_test)/if (1)/' "$KUNIT/test.c"
	cat >"$KUNIT/Kbuild" <<'KB'
obj-m := kunit.o
kunit-y := test.o resource.o string-stream.o assert.o try-catch.o executor.o
KB
	make -s -C "$KDIR" M="$KUNIT" modules >"$KUNIT/build.log" 2>&1 ||
		die "building kunit.ko failed: see $KUNIT/build.log"
	echo "$stamp" >"$KUNIT/.stamp"
fi

cat <<ENV
KVER=$KVER
KDIR=$KDIR
CACHE=$CACHE
SRC=$SRC
KUNIT=$KUNIT
VMLINUX=$CACHE/vmlinux
BZIMAGE=/boot/vmlinuz-$KVER
ENV
