#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check-debug.sh - the debug-kernel lane (`make check-debug`, on 6.12's
# source; `make check-debug KERNEL=6.1` or PAGELAB_DEBUG_SERIES=6.1 for 6.1's):
#   1. the debug kernel (scripts/debug-kernel.sh: built once, then reused),
#      its config checked for every option scripts/debug.config asks for
#   2. pagelab.ko and pagelab_kunit.ko built against that tree (W=1)
#   3. one guest boot: KUnit, every userspace test (stress sizes scaled by
#      PAGELAB_STRESS_SCALE, default 25 here), fault injection, the fuzzer
#      (pagelab-fuzz, PAGELAB_FUZZ_DEBUG_SECONDS, default 180), kmemleak,
#      module unload; any KASAN, lockdep, DEBUG_VM, page-table-check or
#      other kernel report fails it
# Ends with one line: "N passed, N failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit
# Its series' files (kunit.py) from setup.
series=${PAGELAB_DEBUG_SERIES:-6.12}
case "$series" in
6.1 | 6.12) ;;
*) echo "check-debug: no debug kernel for '$series': choose 6.12 or 6.1" >&2
   echo "0 passed, 1 failed"; exit 1 ;;
esac
export PAGELAB_DEBUG_SERIES=$series
eval "$(PAGELAB_KERNEL=$series scripts/setup.sh)" || { echo "0 passed, 1 failed"; exit 1; }
. "$top/scripts/check-lib.sh"

scale=${PAGELAB_STRESS_SCALE:-25}
# Longer than the main boot's minute: KASAN and lockdep see every path it takes.
fuzz_s=${PAGELAB_FUZZ_DEBUG_SECONDS:-180}

echo "== debug kernel"
t0=$(date +%s)
if ! dk=$(scripts/debug-kernel.sh --series "$series"); then
	record fail "debug kernel: build (see the message above)"
	summary
	exit 1
fi
eval "$dk"
record ok "debug kernel: $DKVER ready in $(( $(date +%s) - t0 )) s (cold build took $(cat "$DKDIR/.build-seconds") s)"

missing=$(cat scripts/debug.config "scripts/debug-$series.config" |
	grep -E '^CONFIG_[A-Z0-9_]+=' | while read -r want; do
	grep -qxF "$want" "$DKDIR/.config" || echo "$want"
done)
if [ -z "$missing" ]; then
	record ok "debug kernel: .config has every option of scripts/debug.config and debug-$series.config"
else
	record fail "debug kernel: .config lacks: ${missing//$'\n'/ }"
fi

echo "== modules for the debug kernel"
rm -rf "$DMODDIR" && mkdir -p "$DMODDIR"
cp -r Kbuild module kunit "$DMODDIR/"
find "$DMODDIR" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod*' \) -delete
if make -s -C "$DKDIR" M="$DMODDIR" W=1 modules >"$results/build" 2>&1 &&
	! grep -q 'warning:' "$results/build"; then
	record ok "build: pagelab.ko and pagelab_kunit.ko for $DKVER, W=1 clean"
else
	sed 's/^/#   /' "$results/build" | head -30
	record fail "build: pagelab.ko and pagelab_kunit.ko for $DKVER, W=1 clean"
	summary
	exit 1
fi

echo "== guest (debug kernel): KUnit, userspace tests, fault injection, fuzzer, kmemleak"
t0=$(date +%s)
scripts/vm run --debug-kernel --kernel "$series" --quiet --timeout 3600 --log "$results/kernel.log" \
	--out "$results/out" -- env PAGELAB_STRESS_SCALE="$scale" PAGELAB_FUZZ_SECONDS="$fuzz_s" \
	${PAGELAB_FUZZ_SEED:+PAGELAB_FUZZ_SEED="$PAGELAB_FUZZ_SEED"} \
	pagelab-guest-tests 2>"$results/vm.err"
vrc=$?
grep -v '^ok \|^not ok ' "$results/out" | grep -v '^PAGELAB-' || true
cat "$results/vm.err"
echo "# debug guest: $(( $(date +%s) - t0 )) s, stress scale $scale%, fuzzer $fuzz_s s"
guest_verdict "debug guest" "$vrc"
for what in 'KASAN: [a-z]' 'kasan' 'lockdep' 'kmemleak: Kernel memory leak detector initialized'; do
	grep -m1 -i "$what" "$results/kernel.log" | sed 's/^/# kernel: /'
done
verdicts tap "$results/out" "debug: "
verdicts kunit "$results/kernel.log" "debug: "
summary
