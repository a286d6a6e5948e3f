#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms-check.sh KVER KDIR - prove that Debian's dkms builds pagelab.ko from
# this tree for kernel KVER, whose headers are in KDIR, as `dkms install`
# would on a user's test VM; nothing is installed: dkms's trees are a
# scratch directory, removed after.  Prints one TAP line.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kver=${1:?usage: dkms-check.sh KVER KDIR}
kdir=${2:?usage: dkms-check.sh KVER KDIR}
name="dkms build for $kver"

command -v dkms >/dev/null || { echo "not ok - $name: dkms is not installed"; exit 1; }
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
rel=$(sed -n 's/^#define PAGELAB_RELEASE[[:space:]]*"\(.*\)"$/\1/p' "$top/module/pagelab.h")
if [ "$ver" != "$rel" ]; then
	echo "not ok - $name: dkms.conf says $ver, module/pagelab.h $rel"
	exit 1
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src/pagelab-$ver" "$tmp/tree"
(cd "$top" && git ls-files -z | xargs -0 cp --parents -t "$tmp/src/pagelab-$ver") || exit 1
args=(--sourcetree "$tmp/src" --dkmstree "$tmp/tree" -m pagelab -v "$ver")
if dkms add "${args[@]}" >"$tmp/log" 2>&1 &&
	dkms build "${args[@]}" -k "$kver" --kernelsourcedir "$kdir" >>"$tmp/log" 2>&1 &&
	ls "$tmp/tree/pagelab/$ver/$kver/"*/module/pagelab.ko* >/dev/null 2>&1; then
	echo "ok - $name"
else
	sed 's/^/#   /' "$tmp/log" | tail -20
	sed 's/^/#   /' "$tmp/tree/pagelab/$ver/build/make.log" 2>/dev/null | tail -20
	echo "not ok - $name"
	exit 1
fi
