#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# setup.sh - install and prepare everything pagelab needs; idempotent.
#
#   [PAGELAB_KERNEL=6.1|6.1-rt|6.12|6.12-rt] scripts/setup.sh    (default 6.1;
#   `make KERNEL=...` passes its choice on)
#
# Installs Debian packages (only when dpkg-query says one is missing), finds the
# kernel version, and fills a cache folder outside the repo with: the extracted
# vmlinux, files taken from linux-source-6.1 (checkpatch, kselftest harness,
# .clang-format, lib/kunit, kunit.py), and an out-of-tree kunit.ko for
# Debian's kernel (which has no CONFIG_KUNIT).
#
# 6.1 is the installed kernel (linux-image-amd64).  The others are never
# installed (a headers package depends on its image: installing it would add
# a second host kernel): the version Debian's metapackage points at now is
# downloaded, and its image, headers and kbuild packages are unpacked into
# the cache, under root/.  6.12's kunit.ko is built from linux-source-6.12's
# lib/kunit, which differs from 6.1's.
#
# Prints KEY=VALUE lines other scripts eval: KVER (uname -r of the guest),
# KDIR (kbuild tree), CACHE, SRC (linux-source-6.1 files), KUNIT (kunit.ko's
# build folder), VMLINUX, BZIMAGE, and KERNEL (the choice), KSRC (lib/kunit
# and tools/testing/kunit of that kernel's own source), MODROOT (the folder
# holding lib/modules/KVER), MODDIR (where pagelab is built for it: this tree
# for 6.1, a copy in the cache for the others, as kbuild writes objects
# beside the sources).
set -euo pipefail
# depmod and friends, for a user whose PATH has no sbin.
export PATH="$PATH:/usr/sbin:/sbin"

die() { echo "pagelab setup: $*" >&2; exit 1; }

KERNEL=${PAGELAB_KERNEL:-6.1}
case "$KERNEL" in
6.1) meta="" ;;
6.1-rt) meta=rt-amd64 ;;
6.12) meta=6.12-amd64 ;;
6.12-rt) meta=6.12-rt-amd64 ;;
*) die "unknown kernel '$KERNEL': choose 6.1, 6.1-rt, 6.12 or 6.12-rt" ;;
esac

# PAGELAB_SETUP_INSTALL=0 (make's build-only goals): install nothing and
# refresh no apt lists; say what is missing and how to get it instead.
INSTALL=${PAGELAB_SETUP_INSTALL:-1}
if [ "$INSTALL" = 1 ]; then
	[ "$(id -u)" = 0 ] || die "must run as root (it installs Debian packages); try: sudo $0"
fi

# apt's lists refreshed, or (build-only) the reason to run make setup.
apt_update() { # WHY
	[ "$INSTALL" = 1 ] || die "$1: run 'make setup KERNEL=$KERNEL' (as root) first"
	echo "pagelab setup: $1: apt-get update" >&2
	apt-get update -qq >&2 || die "apt-get update failed"
}

# What a build needs (make), then what the guests, lint and the labs need.
BUILD_PKGS=(linux-image-amd64 linux-headers-amd64 kmod linux-source-6.1 gcc make libc6-dev
	    python3 xz-utils)
# The other kernels' headers ship a BTF vmlinux, so kbuild runs pahole on
# every module; 6.12's bzImage is zstd-compressed.
[ -z "$meta" ] || BUILD_PKGS+=(pahole zstd)
PKGS=("${BUILD_PKGS[@]}" qemu-system-x86 busybox-static cpio bpftrace linux-perf sparse
      gzip graphviz gnuplot-nox dkms shellcheck)

# shellcheck source=scripts/pkg-lib.sh
. "$(dirname "$0")/pkg-lib.sh"
if [ "$INSTALL" = 1 ]; then
	pkgs_ensure "pagelab setup" "${PKGS[@]}" || exit 1
else
	missing=$(pkgs_missing "${BUILD_PKGS[@]}" | tr '\n' ' ')
	[ -z "$missing" ] || die "missing Debian packages: $missing- run 'make setup KERNEL=$KERNEL' (as root) first"
fi

top=$(cd "$(dirname "$0")/.." && pwd -P)
CACHEROOT=${PAGELAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pagelab}

# The kernel: the ABI the linux-image-amd64 metapackage points at now.
abi_of() {
	dpkg-query -W -f='${Depends}' "$1" 2>/dev/null |
		grep -o "$2-[0-9][^ ,]*-amd64" | head -n1 | sed "s/^$2-//"
}

# Another kernel: the ABI and version that linux-headers-$meta (not
# installed) points at in apt's lists now.  The security archive moves both
# every few weeks, so they are never written down here.
depends_of() { # PKG[=VERSION]
	apt-cache show --no-all-versions "$1" 2>/dev/null | sed -n 's/^Depends: //p' | head -n1
}
resolve_abi() {
	local dep
	dep=$(depends_of "linux-headers-$meta")
	KVER=$(echo "$dep" | grep -o 'linux-headers-[0-9][^ ,]*-amd64' | head -n1 | sed 's/^linux-headers-//')
	PKGVER=$(echo "$dep" | sed -n 's/.*(= \([^)]*\)).*/\1/p')
	[ -n "$KVER" ] && [ -n "$PKGVER" ]
}

# Download the image, headers, common headers and kbuild packages of
# $KVER/$PKGVER and unpack them into $CACHE/root (none is installed).
unpack_kernel() {
	local dep common kbuild debs rc=0
	dep=$(depends_of "linux-headers-$KVER=$PKGVER")
	common=$(echo "$dep" | grep -o 'linux-headers-[^ ,]*-common[^ ,]*' | head -n1)
	kbuild=$(echo "$dep" | grep -o 'linux-kbuild-[^ ,]*' | head -n1)
	[ -n "$common" ] && [ -n "$kbuild" ] || return 1
	debs=$(mktemp -d "${TMPDIR:-/tmp}/pagelab-debs.XXXXXX")
	echo "pagelab setup: downloading and unpacking Linux $KVER ($PKGVER)" >&2
	# The sandbox user _apt cannot write into a root-only folder: without
	# this, apt warns that it downloads as root anyway.
	(cd "$debs" && apt-get download -q -o APT::Sandbox::User=root \
		"linux-image-$KVER=$PKGVER" "linux-headers-$KVER=$PKGVER" \
		"$common=$PKGVER" "$kbuild=$PKGVER") >&2 || rc=1
	if [ $rc = 0 ]; then
		rm -rf "$ROOT" && mkdir -p "$ROOT"
		for d in "$debs"/*.deb; do
			dpkg -x "$d" "$ROOT" || { rc=1; break; }
		done
	fi
	rm -rf "$debs"
	return $rc
}

if [ -z "$meta" ]; then
	KVER=$(abi_of linux-image-amd64 linux-image)
	HVER=$(abi_of linux-headers-amd64 linux-headers)
	[ -n "$KVER" ] || die "cannot tell the kernel version from linux-image-amd64"
	[ "$KVER" = "$HVER" ] ||
		die "kernel image $KVER and headers $HVER differ: run apt-get install linux-image-amd64 linux-headers-amd64 to match them"
	[ -f "/boot/vmlinuz-$KVER" ] || die "/boot/vmlinuz-$KVER missing: reinstall linux-image-$KVER-amd64"
	KDIR=${KDIR:-/lib/modules/$KVER/build}
	[ -f "$KDIR/Makefile" ] || die "no kernel headers at $KDIR: install linux-headers-$KVER"
	BZIMAGE=/boot/vmlinuz-$KVER
	MODROOT=/
	MODDIR=$top
else
	# One setup at a time fills the cache for the other kernels.
	mkdir -p "$CACHEROOT"
	exec 9>"$CACHEROOT/.lock"
	flock 9
	if ! resolve_abi; then
		apt_update "linux-headers-$meta unknown to apt"
		resolve_abi || die "cannot resolve linux-headers-$meta to a kernel version (is bookworm-security in apt's sources?)"
	fi
	ROOT=$CACHEROOT/$KVER/root
	if [ "$(cat "$ROOT/.pagelab-version" 2>/dev/null)" != "$PKGVER" ]; then
		if ! unpack_kernel; then
			# apt's lists may be older than the archive, which then no
			# longer has the version they name: refresh and try again.
			apt_update "download failed (apt's lists may be stale)"
			resolve_abi || die "cannot resolve linux-headers-$meta to a kernel version"
			ROOT=$CACHEROOT/$KVER/root
			unpack_kernel || die "downloading or unpacking Linux $KVER ($PKGVER) failed"
		fi
		# The headers include their common half by absolute path
		# (/usr/src/...): point it into the cache.
		sed -i "s#^include /usr/src/#include $ROOT/usr/src/#" \
			"$ROOT/usr/src/linux-headers-$KVER/Makefile"
		# The image ships no modules.dep: scripts/vm's modprobe needs one.
		depmod -b "$ROOT" "$KVER" || die "depmod -b $ROOT $KVER failed"
		# A new package version under the same ABI name: what was made
		# from the old one goes too.
		rm -rf "$CACHEROOT/$KVER/vmlinux" "$CACHEROOT/$KVER/kunit"
		echo "$PKGVER" >"$ROOT/.pagelab-version"
	fi
	KDIR=${KDIR:-$ROOT/usr/src/linux-headers-$KVER}
	[ -f "$KDIR/Makefile" ] || die "no kernel headers at $KDIR: remove $ROOT and run again"
	BZIMAGE=$ROOT/boot/vmlinuz-$KVER
	[ -f "$BZIMAGE" ] || die "$BZIMAGE missing: remove $ROOT and run again"
	MODROOT=$ROOT
	MODDIR=$CACHEROOT/$KVER/build
fi
command -v qemu-system-x86_64 >/dev/null ||
	die "qemu-system-x86_64 not found: apt-get install qemu-system-x86"

CACHE=$CACHEROOT/$KVER
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

# lib/kunit and kunit.py of the kernel's own series: 6.1's come with SRC;
# 6.12's from linux-source-6.12 at the kernel's version (only those two
# folders are kept; 6.12 and 6.12-rt share them).
KSRC=$SRC
KSRCVER=$SRCVER
case "$KERNEL" in
6.12*)
	series=linux-source-6.12
	KSRC=$CACHEROOT/src-6.12
	KSRCVER=$PKGVER
	if [ "$(cat "$KSRC/.version" 2>/dev/null)" != "$KSRCVER" ]; then
		echo "pagelab setup: downloading $series ($KSRCVER) for lib/kunit" >&2
		rm -rf "$KSRC" && mkdir -p "$KSRC"
		dl=$(mktemp -d "${TMPDIR:-/tmp}/pagelab-src.XXXXXX")
		if ! { (cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$series=$KSRCVER") >&2 &&
			dpkg-deb --fsys-tarfile "$dl"/"$series"_*.deb |
			tar -xO "./usr/src/$series.tar.xz" |
			tar -xJ -C "$KSRC" --strip-components=1 \
				"$series/lib/kunit" "$series/tools/testing/kunit"; }; then
			rm -rf "$dl"
			die "downloading or extracting $series $KSRCVER failed"
		fi
		rm -rf "$dl"
		echo "$KSRCVER" >"$KSRC/.version"
	fi
	;;
esac

# An uncompressed kernel boots directly via PVH, skipping xz decompression.
if [ ! -s "$CACHE/vmlinux" ]; then
	"$SRC/scripts/extract-vmlinux" "$BZIMAGE" >"$CACHE/vmlinux.tmp" ||
		die "extract-vmlinux failed on $BZIMAGE"
	mv "$CACHE/vmlinux.tmp" "$CACHE/vmlinux"
fi

# kunit.ko for a kernel without CONFIG_KUNIT: lib/kunit built out of tree.
# task_struct::kunit_test and module::kunit_suites exist only with
# CONFIG_KUNIT, so the lines that touch them are dropped; test modules call
# __kunit_test_suites_init() themselves.
kunit_recipe_6_1() { # DIR
	cp "$KSRC"/lib/kunit/{test.c,resource.c,string-stream.c,string-stream.h,assert.c,try-catch.c,try-catch-impl.h,executor.c,debugfs.h} "$1/"
	sed -i -e '/current->kunit_test = /d' \
		-e 's/^#ifdef CONFIG_MODULES$/#if 0 \/* pagelab: module::kunit_suites needs CONFIG_KUNIT *\//' \
		"$1/test.c"
	grep -q 'kunit_test\b' "$1/test.c" &&
		sed -i -e 's/if (!current->kunit_test)/if (1)/' "$1/test.c"
	cat >"$1/Kbuild" <<'KB'
obj-m := kunit.o
kunit-y := test.o resource.o string-stream.o assert.o try-catch.o executor.o
KB
}
# 6.12's lib/kunit also needs, beyond 6.1's edits: no kunit_running static
# key and no kunit_hooks table (both live in hooks.c, built into vmlinux
# only with CONFIG_KUNIT), and no is_kernel_rodata() (__start_rodata is not
# exported: every name is then taken as allocated, which is safe).
# user_alloc.c needs mm_alloc and arch_pick_mmap_layout, which are not
# exported either: it is left out.  Never define CONFIG_KUNIT here:
# task_struct would gain a field the real kernel does not have.
kunit_recipe_6_12() { # DIR
	cp "$KSRC"/lib/kunit/{test.c,resource.c,static_stub.c,string-stream.c,string-stream.h,assert.c,try-catch.c,try-catch-impl.h,executor.c,attributes.c,device.c,device-impl.h,platform.c,debugfs.h,hooks-impl.h} "$1/"
	sed -i -e '/current->kunit_test = /d' \
		-e '/static_branch_\(inc\|dec\)(&kunit_running);/d' \
		-e '/memset(&kunit_hooks, 0, sizeof(kunit_hooks));/d' \
		-e 's/^#ifdef CONFIG_MODULES$/#if 0 \/* pagelab: module::kunit_suites needs CONFIG_KUNIT *\//' \
		-e 's/current->kunit_test/((struct kunit *)NULL)/g' \
		-e 's/if (!is_kernel_rodata((unsigned long)x))/if (1)/' \
		-e 's/if (is_kernel_rodata((unsigned long)str))/if (0)/' \
		"$1/test.c"
	sed -i -e '/kunit_hooks\./d' "$1/hooks-impl.h"
	# A later 6.12 source these edits no longer fit fails here, by name.
	local left
	left=$(grep -nE 'kunit_test\b|kunit_running|kunit_hooks|is_kernel_rodata' \
		"$1/test.c" "$1/hooks-impl.h" | head -n3 | tr '\n' ' ') || true
	[ -z "$left" ] || die "lib/kunit changed: the 6.12 kunit.ko recipe does not fit: $left"
	cat >"$1/Kbuild" <<'KB'
obj-m := kunit.o
kunit-y := test.o resource.o static_stub.o string-stream.o assert.o try-catch.o \
	executor.o attributes.o device.o platform.o
KB
}
KUNIT=$CACHE/kunit
stamp="$KSRCVER $KVER"
if [ "$(cat "$KUNIT/.stamp" 2>/dev/null)" != "$stamp" ] || [ ! -f "$KUNIT/kunit.ko" ]; then
	rm -rf "$KUNIT" && mkdir -p "$KUNIT"
	case "$KERNEL" in
	6.12*) kunit_recipe_6_12 "$KUNIT" ;;
	*) kunit_recipe_6_1 "$KUNIT" ;;
	esac
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
BZIMAGE=$BZIMAGE
KERNEL=$KERNEL
KSRC=$KSRC
MODROOT=$MODROOT
MODDIR=$MODDIR
ENV
