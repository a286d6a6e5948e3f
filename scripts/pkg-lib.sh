# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# pkg-lib.sh - sourced by setup.sh and debug-kernel.sh: Debian packages.

# The packages of "$@" that dpkg does not list as installed, one per line.
pkgs_missing() {
	local p st
	for p in "$@"; do
		st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
		[ "$st" = installed ] || echo "$p"
	done
}

# Install "$@" (apt-get update first) if any is missing.  WHO names the
# caller in messages; returns non-zero with a message on failure.
pkgs_ensure() { # WHO PKG...
	local who=$1 missing
	shift
	missing=$(pkgs_missing "$@" | tr '\n' ' ')
	[ -n "$missing" ] || return 0
	echo "$who: installing $missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 || { echo "$who: apt-get update failed" >&2; return 1; }
	apt-get install -y -qq --no-install-recommends "$@" >&2 ||
		{ echo "$who: apt-get install failed" >&2; return 1; }
}
