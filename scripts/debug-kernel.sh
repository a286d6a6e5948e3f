#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh - build (once) the pagelab debug kernel: Debian's
# linux-source-6.12 (or -6.1), x86_64 tinyconfig + scripts/debug.config +
# scripts/debug-SERIES.config (KUnit, KASAN, lockdep, DEBUG_VM, page-table
# check, kmemleak, fault injection).
#
#   scripts/debug-kernel.sh [--series 6.12|6.1] [--check-only]
#
# The series defaults to $PAGELAB_DEBUG_SERIES, else 6.12 (where the
# per-VMA-lock faults and the RCU-freed page tables live).
# The tree is built with O= in a cache folder keyed by the config fragments,
# the source package version and the compiler, and reused when present.  On
# success it prints KEY=VALUE lines (DKVER, DKDIR, DVMLINUX, DBZIMAGE, and
# DMODDIR, where check-debug.sh builds pagelab for it) for other scripts to
# eval.  --check-only prints them only when the kernel is
# already built, and fails otherwise (no build).
set -euo pipefail

die() { echo "pagelab debug-kernel: $*" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
series=${PAGELAB_DEBUG_SERIES:-6.12}
check_only=0
while [ $# -gt 0 ]; do
	case "$1" in
	--check-only) check_only=1 ;;
	--series) series=${2?--series needs 6.12 or 6.1}; shift ;;
	*) die "unknown argument '$1' (usage: debug-kernel.sh [--series 6.12|6.1] [--check-only])" ;;
	esac
	shift
done
case "$series" in
6.1 | 6.12) ;;
*) die "no debug kernel for '$series': choose 6.12 or 6.1" ;;
esac
frags=("$here/debug.config" "$here/debug-$series.config")

[ "$(id -u)" = 0 ] || die "must run as root (it installs Debian packages)"

PKGS=("linux-source-$series" gcc make flex bison bc libelf-dev libssl-dev xz-utils python3)
# shellcheck source=scripts/pkg-lib.sh
. "$here/pkg-lib.sh"
if [ $check_only = 1 ]; then
	missing=$(pkgs_missing "${PKGS[@]}" | tr '\n' ' ')
	[ -z "$missing" ] || die "not built (missing packages: $missing)"
fi
pkgs_ensure "pagelab debug-kernel" "${PKGS[@]}" || exit 1

SRCTAR=/usr/src/linux-source-$series.tar.xz
[ -f "$SRCTAR" ] || die "$SRCTAR missing: apt-get install linux-source-$series"
SRCVER=$(dpkg-query -W -f='${Version}' "linux-source-$series")
key=$( { cat "${frags[@]}"; echo "$SRCVER"; gcc --version | head -n1; } | sha256sum | cut -c1-12)
ROOT=${PAGELAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pagelab}/debug
SRC=$ROOT/linux-source-$SRCVER
OUT=$ROOT/build-$key

report() {
	local kver
	kver=$(cat "$OUT/include/config/kernel.release")
	cat <<ENV
DKVER=$kver
DKDIR=$OUT
DVMLINUX=$OUT/vmlinux
DBZIMAGE=$OUT/arch/x86/boot/bzImage
DMODDIR=$OUT-pagelab
ENV
}

if [ -f "$OUT/.pagelab-built" ]; then
	report
	exit 0
fi
[ $check_only = 0 ] ||
	die "not built yet: run scripts/debug-kernel.sh --series $series (10-15 minutes on 2 cores)"

mkdir -p "$ROOT"
exec 9>"$ROOT/.lock"
flock 9

if [ "$(cat "$SRC/.pagelab-version" 2>/dev/null)" != "$SRCVER" ]; then
	echo "pagelab debug-kernel: extracting $SRCTAR" >&2
	rm -rf "$SRC" "$ROOT/linux-source-$series"
	tar -xf "$SRCTAR" -C "$ROOT" || die "extracting $SRCTAR failed"
	mv "$ROOT/linux-source-$series" "$SRC"
	echo "$SRCVER" >"$SRC/.pagelab-version"
fi

rm -rf "$OUT" && mkdir -p "$OUT"
log=$OUT/build.log
echo "pagelab debug-kernel: configuring in $OUT" >&2
{
	make -C "$SRC" O="$OUT" ARCH=x86_64 tinyconfig &&
	KCONFIG_CONFIG="$OUT/.config" "$SRC/scripts/kconfig/merge_config.sh" \
		-m -O "$OUT" "$OUT/.config" "${frags[@]}" &&
	make -C "$SRC" O="$OUT" ARCH=x86_64 olddefconfig
} >"$log" 2>&1 || die "configuring failed: see $log"

# Every option the fragment asks for must be in the result, as asked.
lost=()
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qxF "$line" "$OUT/.config" || lost+=("$line") ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }; opt=${opt%% *}
		! grep -q "^$opt=" "$OUT/.config" || lost+=("$line") ;;
	esac
done < <(cat "${frags[@]}")
[ ${#lost[@]} -eq 0 ] ||
	die "these options fell out of the config (a missing dependency?): ${lost[*]}"

echo "pagelab debug-kernel: building bzImage and modules (log: $log)" >&2
start=$(date +%s)
make -C "$SRC" O="$OUT" ARCH=x86_64 -j"$(nproc)" bzImage modules >>"$log" 2>&1 ||
	die "kernel build failed: see the end of $log"
echo "pagelab debug-kernel: built in $(( $(date +%s) - start )) s" >&2
echo "$(( $(date +%s) - start ))" >"$OUT/.build-seconds"
touch "$OUT/.pagelab-built"
report
