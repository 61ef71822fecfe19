#!/usr/bin/env bash
# ttyscope replay of a live tty, against a daemon that reads a FIFO fed by
# `tdtool gen` (as test-live.sh): the catch-up and then the output as it
# comes, to a pipe and as text; how a tty is named (pts/5, 136:5, --live);
# the errors; and, on a pseudo-terminal (test-replay-live.py), the keys:
# pause, step, back to live, seek backward, and the session's end.
#
# Usage: test-replay-live.sh TTYSCOPE TTYSCOPED TDTOOL
#   UPDATE=1 rewrites tests/cli/expected/replay-live-*.out (golden.sh).
set -uo pipefail

name=replay-live
. "$(dirname "$0")/daemon-env.sh"
start_daemon

# Wait until FILE contains TEXT.
wait_file() {
	for _ in $(seq 200); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	die "'$2' did not appear in $1: $(cat "$1")"
}

# Start "replay ARGS" in the background, stdin /dev/null, to $work/NAME.*
start() {
	local name=$1
	shift
	"${TS[@]}" replay "$@" </dev/null >"$work/$name.out" 2>"$work/$name.err" &
	RPID=$!
}

# Wait for the background replay NAME; its output, errors and status are
# the case CASE.
finish() {
	local name=$1 rc
	wait "$RPID"
	rc=$?
	echo "--- replay exit $rc" >>"$work/$name.err"
	run "$2" cat "$work/$name.out" "$work/$name.err"
}

feed <<-'EOF2'
	open 136:5 pts/5
	winsize 136:5 24 80
	session 136:5 200 0 bash
	out 136:5 $\secho\sone\r\none\r\n
	open 136:6 console6
	out 136:6 \e[1mbold\e[0m\sline\r\n
	open 136:8 pts/8
	out 136:8 eight\r\n
EOF2

# ---- to a pipe: the catch-up at once, then live output (answer-back
# queries filtered), to the session's CLOSE
start pipe pts/5
wait_file "$work/pipe.out" one
feed <<-'EOF2'
	in 136:5 0 x
	out 136:5 live\e[6n\soutput\r\n
	close 136:5
EOF2
finish pipe replay-live-pipe

# ---- --text on a live tty: dumps until the session closes; --live names
# a tty that is not named like one; --search applies to the catch-up
run replay-live-not-tty-name "${TS[@]}" replay --text console6
start text --live --text --search 'line' console6
wait_file "$work/text.out" line
feed <<-'EOF2'
	out 136:6 two\rthree\r\n\e]0;title\x07four\r\n
	close 136:6
EOF2
finish text replay-live-text

# ---- a device number; the catch-up, then the session's end
feed <<-'EOF2'
	open 136:7 pts/7
	out 136:7 seven\r\n
EOF2
start devnum --speed 4 136:7
wait_file "$work/devnum.out" seven
feed <<-'EOF2'
	close 136:7
EOF2
finish devnum replay-live-devnum

# ---- errors
run replay-live-no-tty "${TS[@]}" replay pts/9
run replay-live-not-live "${TS[@]}" replay 136:99
run replay-live-no-match "${TS[@]}" replay --text --search xyzzy pts/8
run replay-live-format "${TS[@]}" replay -F script pts/5
run replay-live-no-daemon "$T" --socket "$work/nosock" replay pts/5
# a file that does not exist and is not named like a tty stays a file
run replay-live-missing-file "${TS[@]}" replay --text "$work/nosuch.tsl"
run replay-live-tty-file-name sh -c "cd '$work' && '$T' replay --text tty1.tsl"

# ---- the keys, on a pseudo-terminal; the last case stops the daemon
pty_case "replay of a live tty on a pseudo-terminal" test-replay-live.py

echo "replay-live: $total cases, $fail failed"
[ "$fail" -eq 0 ]
