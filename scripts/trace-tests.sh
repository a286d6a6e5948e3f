#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# trace-tests.sh - runs in a --host-root guest (scripts/check.sh starts it):
# each bpftrace script of scripts/bpftrace/ around a known workload, its
# counts compared with the module's own counters for that run.  TAP-like
# "ok - NAME" / "not ok - NAME" lines.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
pl=$top/userspace/build/pagelab
bt=$top/scripts/bpftrace
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

check() { # NAME WANT GOT
	if [ "$2" = "$3" ] && [ -n "$2" ]; then
		echo "ok - trace: $1 ($3)"
	else
		echo "not ok - trace: $1: want '$2', got '$3'"
		fails=$((fails + 1))
	fi
}
map() { # FILE MAPKEY -> value of "@MAPKEY: N"
	sed -n "s/^@$2: \([0-9]*\)$/\1/p" "$1" | tail -n1
}
map0() { # the same, 0 for a key the script never counted (its run checked apart)
	local v
	v=$(map "$@")
	echo "${v:-0}"
}
json() { # KEY: the last "KEY": N in the demand output
	grep -o "\"$1\": [0-9]*" "$tmp/demand.json" | tail -n1 | sed 's/.*: //'
}

# The tracepoints' format files carry the fields the scripts read.
fmt=/sys/kernel/tracing/events/pagelab/pagelab_fault/format
for f in obj index address write outcome latency_ns outcome_name; do
	if grep -q "field:.* $f\(\[[0-9]*\]\)\?;" "$fmt" 2>/dev/null; then
		echo "ok - trace: pagelab_fault format has $f"
	else
		echo "not ok - trace: pagelab_fault format has $f"
		fails=$((fails + 1))
	fi
done
for ev in pagelab_fault_around pagelab_walk pagelab_cow pagelab_clone pagelab_merge pagelab_replace \
	  pagelab_huge_split pagelab_buddy pagelab_slab; do
	if [ -f "/sys/kernel/tracing/events/pagelab/$ev/format" ]; then
		echo "ok - trace: event $ev exists"
	else
		echo "not ok - trace: event $ev exists"
		fails=$((fails + 1))
	fi
done

# faults.bt around `pagelab demand`: 64 pages read (zero page), every 4th
# written (mkwrite, then the refault maps the frame: existing).  Where the
# kernel refuses the zero page in writable shared mappings (6.10 on) the
# reads go through a read-only attach and the writes allocate at once: no
# mkwrite, no refault (map0: the script counted none).
bpftrace "$bt/faults.bt" -c "$pl demand --pages 64 --json" >"$tmp/faults" 2>&1
grep -o '{"object".*' "$tmp/faults" >"$tmp/demand.json"
check "faults.bt zero = module zero_maps" "$(json zero_maps)" "$(map "$tmp/faults" 'total\[pagelab, zero\]')"
check "faults.bt mkwrite = module mkwrite" "$(json mkwrite)" "$(map0 "$tmp/faults" 'total\[pagelab, mkwrite\]')"
check "faults.bt existing = refaults after mkwrite" "$(json mkwrite)" "$(map0 "$tmp/faults" 'total\[pagelab, existing\]')"

# latency.bt: one histogram sample per event.
bpftrace "$bt/latency.bt" -c "$pl demand --pages 64 --json" >"$tmp/latency" 2>&1
grep -o '{"object".*' "$tmp/latency" >"$tmp/demand.json"
check "latency.bt zero events = module zero_maps" "$(json zero_maps)" "$(map "$tmp/latency" 'events\[zero\]')"
# Bucket lines: "[lo, hi)  N |@@@ |" or "[v]  N |@@ |".
hist_total=$(awk '/^@usecs\[zero\]:/ { h = 1; next }
	h && /^\[/ { n += ($1 ~ /\]$/) ? $2 : $3 }
	h && /^$/ { h = 0 }
	END { print n + 0 }' "$tmp/latency")
check "latency.bt zero histogram total = events" "$(json zero_maps)" "$hist_total"

# vs-kernel.bt: every pagelab fault is also a user page fault.
bpftrace "$bt/vs-kernel.bt" -c "$pl demand --pages 64 --json" >"$tmp/vs" 2>&1
grep -o '{"object".*' "$tmp/vs" >"$tmp/demand.json"
ours=$(map "$tmp/vs" 'pagelab\[pagelab\]')
kernel=$(map "$tmp/vs" 'kernel\[pagelab\]')
# Each zero-page map, each mkwrite and each allocation is a fault of its
# own (on 6.1 an allocation follows each mkwrite, whose refault maps it).
check "vs-kernel.bt pagelab faults = zero_maps + mkwrite + allocs" \
	"$(($(json zero_maps) + $(json mkwrite) + $(json allocs)))" "$ours"
if [ -n "$kernel" ] && [ -n "$ours" ] && [ "$kernel" -ge "$ours" ]; then
	echo "ok - trace: vs-kernel.bt kernel user faults ($kernel) >= pagelab's ($ours)"
else
	echo "not ok - trace: vs-kernel.bt kernel user faults ($kernel) >= pagelab's ($ours)"
	fails=$((fails + 1))
fi

# walks.bt around `pagelab segments`: its walks, all answered.
bpftrace "$bt/walks.bt" -c "$pl segments" >"$tmp/walks" 2>&1
nwalk=$(grep -c '^pagelab pid=.* ret=0$' "$tmp/walks")
if [ "$nwalk" -ge 5 ] && [ -n "$(map "$tmp/walks" 'walks\[pagelab, 0\]')" ]; then
	echo "ok - trace: walks.bt saw segments' walks ($nwalk)"
else
	echo "not ok - trace: walks.bt saw segments' walks ($nwalk)"
	sed 's/^/#   /' "$tmp/walks" | head -20
	fails=$((fails + 1))
fi
# cow.bt around `pagelab cow`: the snapshot part breaks one page in the
# clone; the module's counters for the clone are in the output.
bpftrace "$bt/cow.bt" -c "$pl cow" >"$tmp/cow" 2>&1
clone=$(sed -n 's/.*clone *\([0-9]*\): cow_breaks \([0-9]*\),.*/\1 \2/p' "$tmp/cow" | tail -n1)
check "cow.bt copies in the clone = module cow_breaks" "${clone#* }" \
	"$(map "$tmp/cow" "copies\[${clone% *}\]")"
check "cow.bt break lines = module cow_breaks" "${clone#* }" \
	"$(grep -c "cow   obj=${clone% *} .*copied=1" "$tmp/cow")"
check "cow.bt saw the clone" 1 "$(grep -c "clone obj=.* -> obj=${clone% *} " "$tmp/cow")"

# cow.bt around `pagelab merge`: merged and zero-dropped pages as reported.
bpftrace "$bt/cow.bt" -c "$pl merge" >"$tmp/merge" 2>&1
mline=$(grep -A1 'PAGELAB_IOC_MERGE of both' "$tmp/merge" | tr '\n' ' ')
want_merged=$(echo "$mline" | sed -n 's/.*merged \([0-9]*\),.*/\1/p')
want_zero=$(echo "$mline" | sed -n 's/.*zero \([0-9]*\),.*/\1/p')
check "cow.bt merge lines = merged" "$want_merged" "$(grep -c ' merge obj=.* -> obj=' "$tmp/merge")"
check "cow.bt zero-page lines = zero" "$want_zero" "$(grep -c ' merge obj=.* -> zero page' "$tmp/merge")"

# evictions.bt around `pagelab replay`: its evictions, write-backs and
# page-ins equal the module's counters for the whole run (replay's total_*,
# which include its final check of every page).
# (bpftrace -c splits its command at spaces: the string goes in a file)
echo '7 0w 1 2 0 3 0w 4 2 3 0 3 2 1 2w 0 1 7 0 1' >"$tmp/refs"
bpftrace "$bt/evictions.bt" -c "$pl replay --policy lru --frames 3 --json --trace $tmp/refs" \
	>"$tmp/evict" 2>&1
rj() { grep -o "\"$1\": [0-9]*" "$tmp/evict" | head -n1 | sed 's/.*: //'; }
total() { sed -n "s/^@$1\[[0-9]*\]: \([0-9]*\)$/\1/p" "$tmp/evict" | awk '{ n += $1 } END { print n + 0 }'; }
check "evictions.bt evictions = module evictions" "$(rj total_evictions)" "$(total evictions)"
check "evictions.bt write-backs = module writebacks" "$(rj total_writebacks)" \
	"$(total writebacks)"
check "evictions.bt page-ins = module page_ins" "$(rj total_page_ins)" "$(total page_ins)"
check "evictions.bt eviction lines = module evictions" "$(rj total_evictions)" \
	"$(grep -c ' evict page=' "$tmp/evict")"

[ $fails = 0 ] || { for f in faults latency vs cow merge evict; do sed "s/^/# $f: /" "$tmp/$f" | head -40; done; }
exit 0
