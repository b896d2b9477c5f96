#!/bin/bash
# The flake hunt: the whole suite, plain and sanitizer builds at the same
# time (each loads the other), round after round.  A test that waits on a
# count or a clock instead of its condition shows up here, not in one run.
#
#   tools/stress.sh [ROUNDS] [PLAIN_BUILD] [SANITIZER_BUILD]
#
# Defaults: 20 rounds, build and build-sanitize (the two folders that
# `tools/bootstrap.sh test` sets up).  Each round
# writes LOGDIR/plain-N.log and san-N.log and a line to LOGDIR/summary
# (LOGDIR: $LW_STRESS_LOGS, or a new folder it names at the start).
# Stops at the first round with a failure and exits 1; exits 0 after
# ROUNDS clean rounds.  About 9-10 minutes a round on 2 cores.
set -u
rounds=${1:-20}
plain=${2:-build}
san=${3:-build-sanitize}
for b in "$plain" "$san"; do
	if [ ! -d "$b" ]; then
		echo "stress: no build folder '$b' (meson setup it first)" >&2
		exit 2
	fi
	ninja -C "$b" >/dev/null || { echo "stress: '$b' does not build" >&2; exit 2; }
done
logs=${LW_STRESS_LOGS:-$(mktemp -d "${TMPDIR:-/tmp}/lw-stress-XXXXXX")}
mkdir -p "$logs"
echo "stress: $rounds rounds of $plain and $san at $(git rev-parse --short HEAD 2>/dev/null), logs in $logs"
for i in $(seq 1 "$rounds"); do
	t0=$(date +%s)
	meson test -C "$plain" --num-processes 2 --print-errorlogs >"$logs/plain-$i.log" 2>&1 &
	p1=$!
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
		meson test -C "$san" --num-processes 2 --print-errorlogs >"$logs/san-$i.log" 2>&1 &
	p2=$!
	wait $p1; s1=$?
	wait $p2; s2=$?
	line="round $i: plain $s1, sanitizer $s2, $(($(date +%s) - t0)) s;"
	line+=" $(grep -h '^Ok:\|^Fail:\|^Timeout:' "$logs/plain-$i.log" "$logs/san-$i.log" | tr -s ' \n' ' ')"
	echo "$line" | tee -a "$logs/summary"
	if [ $s1 -ne 0 ] || [ $s2 -ne 0 ]; then
		echo "stress: round $i failed; see $logs/plain-$i.log and $logs/san-$i.log" >&2
		exit 1
	fi
done
echo "stress: $rounds clean rounds"
