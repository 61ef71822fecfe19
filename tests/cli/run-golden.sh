#!/usr/bin/env bash
# Golden-output tests of the ttyscope command line tool.
#
# Usage: run-golden.sh TTYSCOPE GEN-LOGS
#   UPDATE=1 rewrites tests/cli/expected/ from the current output instead
#   of comparing (review the diff before committing it).
#
# Each case runs one command line; its stdout, stderr and exit status go to
# one file, with the scratch directory replaced by @WORK@, and that file
# must equal expected/CASE.out (golden.sh). Inputs come from gen-logs
# (deterministic).
set -uo pipefail

ttyscope=$(realpath "$1")
gen=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
expected=$here/expected
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LC_ALL=C TZ=UTC

mkdir -p "$work/logs/sub" "$work/out"
"$gen" "$work/logs" || exit 1
# logs scans subdirectories too
mv "$work/logs/s2.tsl" "$work/logs/sub/s2.tsl"
cd "$work"

# run NAME CMD... and same NAME FILE1 FILE2
. "$here/golden.sh"

T=$ttyscope
L=$work/logs

# --help of every command, and usage errors
run help "$T" --help
run help-replay "$T" replay --help
run help-export "$T" export --help
run help-import "$T" import --help
run help-logs "$T" logs --help
for c in list watch block unblock inject hangup message attach detach \
	stats stream; do
	run "help-$c" "$T" "$c" --help
done
run host-and-remote "$T" -H h --remote 'true' list
run no-socket-arg "$T" --socket
run no-command "$T"
run unknown-command "$T" frobnicate
run unknown-option "$T" replay --frob "$L/s1.tsl"
run replay-no-file "$T" replay
run export-no-format "$T" export "$L/s1.tsl"
run bad-speed "$T" replay -s 0 "$L/s1.tsl"
run bad-jump "$T" replay -j 1:xx "$L/s1.tsl"
run bad-buffer "$T" replay --buffer 2X pts/3
run buffer-file "$T" replay --buffer 1M "$L/s1.tsl"

# missing, corrupt and foreign files
run missing "$T" replay --text "$L/nonexistent.tsl"
run corrupt "$T" replay --text "$L/corrupt.tsl"
run not-a-log "$T" replay --text "$L/notalog.txt"
run missing-timing "$T" replay --text --timing "$L/nonexistent" "$L/notalog.txt"

# replay --text: escape sequences stripped, no delays
run replay-text "$T" replay --text "$L/s1.tsl"
run replay-text-zstd "$T" replay --text "$L/sub/s2.tsl"
run replay-text-jump "$T" replay --text --jump 0:10 "$L/s1.tsl"
run replay-text-search "$T" replay --text --search 'progress [0-9]+%' "$L/s1.tsl"
run replay-text-search-utf8 "$T" replay --text --search 'wörld' "$L/s1.tsl"
run replay-text-nomatch "$T" replay --text --search 'xyzzy' "$L/s1.tsl"

# replay to a pipe (no keys): the exact bytes, answer-back queries removed
run replay-raw sh -c "'$T' replay --speed 1000 '$L/s1.tsl' </dev/null | od -An -c"

# export
run export-v2 "$T" export -f asciicast-v2 "$L/s1.tsl"
run export-v3-input "$T" export -f asciicast-v3 --input "$L/s1.tsl"
run export-script sh -c "'$T' export -f script -o ts -t timing '$L/s1.tsl' && cat timing && od -An -c ts"
run export-script-no-timing "$T" export -f script -o ts "$L/s1.tsl"

# import, and the round trips through each format
"$T" export -f asciicast-v2 -o s1.cast "$L/s1.tsl"
"$T" export -f asciicast-v3 --input -o s1v3.cast "$L/s1.tsl"
"$T" export -f script -o s1.ts -t s1.timing "$L/s1.tsl"
run import-cast "$T" import -o cast.tsl s1.cast
run import-cast-text "$T" replay --text cast.tsl
run import-script "$T" import -o script.tsl --timing s1.timing s1.ts
run import-script-text "$T" replay --text script.tsl
run import-zstd "$T" import --zstd -o v3.tsl s1v3.cast
# Every event survives; the header's "command" does not (importers keep
# only size, start time and tty), so the first lines are left out.
"$T" export -f asciicast-v2 -o rt.cast cast.tsl
same cast-round-trip <(tail -n +2 s1.cast) <(tail -n +2 rt.cast)
"$T" export -f asciicast-v2 -o rt2.cast script.tsl
same script-round-trip <(tail -n +2 s1.cast) <(tail -n +2 rt2.cast)
"$T" export -f asciicast-v3 --input -o rt3.cast v3.tsl
same v3-round-trip <(tail -n +2 s1v3.cast) <(tail -n +2 rt3.cast)
run replay-cast "$T" replay --text s1.cast
run replay-script "$T" replay --text --timing s1.timing s1.ts
printf '{"version": 2, "width": 80, "height": 24}\n[1.0, "o", "a"]\n[oops\n' >bad.cast
run import-bad-cast "$T" import -o bad.tsl bad.cast

# logs
run logs "$T" logs "$L"
run logs-json "$T" logs --json "$L"
run logs-user "$T" logs --user bob "$L"
run logs-uid "$T" logs --user 1000 "$L"
run logs-tty "$T" logs --tty /dev/pts/3 "$L"
run logs-since "$T" logs --since 2026-01-03 "$L"
run logs-until "$T" logs --until '2026-01-02 12:00' "$L"
run logs-grep "$T" logs --grep 'found the needle' "$L"
run logs-missing "$T" logs "$L/nonexistent"
run logs-until-none "$T" logs --until '2026-01-02 03:04' "$L"
run logs-bad-date "$T" logs --since yesterday "$L"
# a log's name (like its fields) is shown as printable text only
mkdir hostile
cp "$L/s1.tsl" "hostile/$(printf 'x\033[2Jy\377.tsl')"
total=$((total + 1))
"$T" logs hostile >hostile.out 2>&1
if ! grep -q ' hostile/x?\[2Jy?\.tsl$' hostile.out ||
	LC_ALL=C grep -q $'[\x1b\xff]' hostile.out; then
	echo "FAIL: logs-hostile-name: $(cat -v hostile.out)"
	fail=$((fail + 1))
fi

# The real util-linux scriptreplay plays our script export to the very
# bytes of the session's output, plus the newline that starts script's
# "Script done" footer (which scriptreplay prints too).
if command -v scriptreplay >/dev/null; then
	{ cat "$L/s1.out"; printf '\n'; } >s1.out.nl
	scriptreplay -T s1.timing -O s1.ts -m 0.001 >sr.out 2>sr.err ||
		{ echo "FAIL: scriptreplay"; cat sr.err; fail=$((fail + 1)); }
	same scriptreplay sr.out s1.out.nl
	scriptreplay -T s1.timing -B s1.ts -m 0.001 >sr2.out 2>sr.err ||
		{ echo "FAIL: scriptreplay -B"; cat sr.err; fail=$((fail + 1)); }
	same scriptreplay-log-io sr2.out s1.out.nl
else
	echo "SKIP: scriptreplay not installed"
fi

# asciinema cat (asciinema 2.x, Debian's) prints a v2 cast's output bytes.
# It opens /dev/tty for its keys, so it runs under script(1) on a pty,
# with its stdout going straight to a file.
if command -v asciinema >/dev/null && command -v script >/dev/null; then
	LC_ALL=C.UTF-8 script -qec 'asciinema cat s1.cast >ac.out 2>ac.err' \
		/dev/null >/dev/null 2>&1 </dev/null ||
		{ echo "FAIL: asciinema cat"; cat ac.err; fail=$((fail + 1)); }
	same asciinema-cat ac.out "$L/s1.out"
else
	echo "SKIP: asciinema not installed"
fi

echo "cli: $total cases, $fail failed"
[ "$fail" -eq 0 ]
