#!/usr/bin/env bash
# Run one libFuzzer target for a while (meson test --suite fuzz in a
# build configured with -Dfuzz=true; bench/fuzz for long runs).
#
# Usage: run-fuzz.sh FUZZER GEN-SEEDS NAME WORKDIR REGRESS-DIR [DICT]
#
# First every input that crashed before is run again: the committed
# reproducers in REGRESS-DIR and the crash files left in WORKDIR by earlier
# runs (those that pass now move to WORKDIR/fixed/). Then the target
# fuzzes for $FUZZ_TIME seconds (default 20) from the seeds gen-seeds
# writes and the corpus kept in WORKDIR/corpus. A crash, leak, timeout or
# out-of-memory fails the run and leaves the input in WORKDIR. The last
# line is a summary: executions per second and coverage.
set -euo pipefail

fuzzer=$1 gen_seeds=$2 name=$3 work=$4 regress=$5 dict=${6:-}
time=${FUZZ_TIME:-20}
opts=(-timeout=10 -rss_limit_mb=2048 -error_exitcode=1 -timeout_exitcode=1)
[ -n "$dict" ] && opts+=("-dict=$dict")
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

mkdir -p "$work/corpus" "$work/fixed"
rm -rf "$work/seeds" "$work/tmp"
mkdir -p "$work/tmp"
export TMPDIR=$work/tmp
"$gen_seeds" "$name" "$work/seeds"

# inputs that crashed before must pass now
shopt -s nullglob
old=("$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*)
known=("$regress"/*)
for f in "${known[@]}" "${old[@]}"; do
	if ! "$fuzzer" "${opts[@]}" "$f" >"$work/regress.log" 2>&1; then
		cat "$work/regress.log"
		echo "$name: FAIL: $f still crashes"
		exit 1
	fi
done
for f in "${old[@]}"; do
	mv "$f" "$work/fixed/"
done

log=$work/fuzz.log
status=0
"$fuzzer" "${opts[@]}" -max_total_time="$time" -print_final_stats=1 \
	-artifact_prefix="$work/" "$work/corpus" "$work/seeds" >"$log" 2>&1 ||
	status=$?

done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' <<<"$done_line" || true)
if [ "$status" -ne 0 ]; then
	grep -vE '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse|INITED|RELOAD)' "$log" | tail -n 60
	artifacts=("$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*)
	echo "$name: FAIL (exit $status); input: ${artifacts[*]:-none}"
	exit 1
fi
echo "$name: ${time} s, ${execs:-?} runs, ${rate:-?} execs/s, ${cov:-no coverage line}, no crash"
