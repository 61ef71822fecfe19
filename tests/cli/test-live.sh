#!/usr/bin/env bash
# The ttyscope commands that talk to ttyscoped: list, stats, block,
# unblock, inject, hangup, message, attach, detach, watch, stream and the
# global options --socket, --remote and -H, against a daemon that reads a
# FIFO fed by `tdtool gen` and records control requests (--fake-control).
#
# Usage: test-live.sh TTYSCOPE TTYSCOPED TDTOOL
#   UPDATE=1 rewrites tests/cli/expected/live-*.out (see golden.sh).
#
# Output cases compare with expected/live-NAME.out; records are stamped
# 2.5 hours ago (TDTIME), shown as @BASE@ in nanosecond times, so IDLE
# reads "2h". The interactive watch runs on a pseudo-terminal
# (test-watch.py); the last case stops the daemon under a watcher.
set -uo pipefail

name=live
. "$(dirname "$0")/daemon-env.sh"
scrub+=(-e "s/$BASE/@BASE@/g")

mkdir -p "$work/devroot/pts"
: >"$work/devroot/pts/5"
: >"$work/ctl"

# Wait until the daemon has read N records in all.
wait_records() {
	for _ in $(seq 600); do
		"${TS[@]}" stats --json 2>/dev/null | grep -q "\"records\": $1," &&
			return 0
		sleep 0.05
	done
	die "the daemon did not read $1 records"
}

start_daemon --fake-control "$work/ctl" --dev-root "$work/devroot"
# pts/5: a shell running vim; pts/7: blocked by uid 1000; pts/12: 3 of
# its records were lost before the daemon read them
feed <<-'EOF'
	open 136:5 pts/5
	winsize 136:5 30 100
	session 136:5 200 0 bash vim
	out 136:5 $\sls\r\n
	in 136:5 0 ls\r
	out 136:5 hello\r\n
	open 136:7 pts/7
	session 136:7 300 65534 sh
	pass 136:7 0 1000
	in 136:7 0 typed-but-dropped
	open 136:12 pts/12
	skip 136:12 3
	out 136:12 zz
EOF
wait_records 12

# ---- list and stats
run live-list "${TS[@]}" list
run live-list-json "${TS[@]}" list --json
# via $TTYSCOPE_SOCKET, and --socket wins over it
run live-list-env env TTYSCOPE_SOCKET="$S" "$T" list
run live-list-env-option env TTYSCOPE_SOCKET=/nonexistent "${TS[@]}" list
# uptime changes: checked for its form, then left out
"${TS[@]}" stats >"$work/stats" 2>&1
grep -qx 'uptime: *0:00:[0-5][0-9]' "$work/stats" || die "uptime: $(cat "$work/stats")"
scrub+=(-e 's/^uptime: .*/uptime: @UPTIME@/' -e 's/"uptime_s": [0-9]*/"uptime_s": @UPTIME@/')
run live-stats "${TS[@]}" stats
run live-stats-json "${TS[@]}" stats -J

# a command name is whatever its process says: list prints no control
# character and no byte that is not UTF-8 (they could drive the terminal)
feed <<-'EOF'
	open 136:14 pts/14
	session 136:14 500 0 \e]2;x\x07\e[2J\xff
EOF
wait_records 14
"${TS[@]}" list >"$work/hostile" 2>&1
grep -q '^pts/14 .* ?]2;x??\[2J? ' "$work/hostile" ||
	die "list: the hostile command name: $(cat -v "$work/hostile")"
! LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$work/hostile" ||
	die "list printed control characters: $(cat -v "$work/hostile")"
iconv -f UTF-8 -t UTF-8 "$work/hostile" >/dev/null 2>&1 ||
	die "list printed bytes that are not UTF-8: $(cat -v "$work/hostile")"
"${TS[@]}" list --json >"$work/hostile.json"
python3 - "$work/hostile.json" <<-'PY' || die "list --json: the hostile command name"
	import json, sys
	t = [e for e in json.load(open(sys.argv[1])) if e["tty"] == "pts/14"][0]
	assert t["comm"] == "\x1b]2;x\x07\x1b[2J\ufffd", t["comm"]
PY
printf 'close 136:14\n' | feed
wait_records 15

# ---- control requests: the fake control file shows each one
printf 'cat file' >"$work/stdin-text"
run live-block "${TS[@]}" block pts/5
run live-unblock "${TS[@]}" unblock /dev/pts/5
run live-inject-newline "${TS[@]}" inject --newline pts/5 ls
run live-inject-stdin sh -c "'$T' --socket '$S' inject 136:5 - <'$work/stdin-text'"
run live-inject-escapes "${TS[@]}" inject -e pts/5 'a\x03\e\\\q'
run live-hangup-yes "${TS[@]}" hangup -y pts/5
run live-hangup-no-tty "${TS[@]}" hangup pts/5 </dev/null
run live-detach "${TS[@]}" detach 136:5
run live-attach "${TS[@]}" attach "$work/devroot/pts/5"
run live-attach-name "${TS[@]}" attach nosuchtty
# a device number the daemon has not seen is passed on as it is
run live-block-number "${TS[@]}" block 4:64
run live-control-file cat "$work/ctl"
# MESSAGE writes a banner to the tty node (below --dev-root)
run live-message "${TS[@]}" message pts/5 'hello,' $'world\e[2J'
run live-message-node od -An -c "$work/devroot/pts/5"
run live-message-no-node "${TS[@]}" message pts/12 hi

# ---- errors
run live-unknown-tty "${TS[@]}" block pts/9
run live-unknown-tty-watch "${TS[@]}" watch /dev/pts/9
run live-no-tty "${TS[@]}" block
run live-two-ttys "${TS[@]}" unblock pts/5 pts/7
run live-bad-option "${TS[@]}" hangup --force pts/5
run live-inject-nothing "${TS[@]}" inject pts/5 ''
run live-message-empty "${TS[@]}" message pts/5 ''
run live-message-long "${TS[@]}" message pts/5 "$(head -c 4089 /dev/zero | tr '\0' x)"
run live-list-args "${TS[@]}" list pts/5
run live-no-daemon "$T" --socket "$work/nosock" list
if [ ! -e /run/ttyscope/ttyscope.sock ]; then
	run live-no-daemon-default "$T" stats
else
	echo "SKIP: live-no-daemon-default: a daemon runs on this machine"
fi
run live-stream-remote "$T" --remote true stream

# permission: a uid that is neither root nor in the daemon's group
if [ "$(id -u)" = 0 ]; then
	as_other() { setpriv --reuid=65533 --regid=65533 --clear-groups "$@"; }
	sock_mode=0660 # root:root: the socket's mode refuses uid 65533
else
	as_other() { "$@"; }
	sock_mode=0000
fi
chmod "$sock_mode" "$S"
run live-permission-socket as_other "${TS[@]}" list
chmod 0666 "$S" # now the daemon's SO_PEERCRED check refuses
run live-permission-daemon as_other "${TS[@]}" list
chmod 0660 "$S"

# ---- stream, --remote, -H
run live-remote-list "$T" --remote "'$T' --socket '$S' stream" list
run live-remote-block "$T" --remote "'$T' --socket '$S' stream" block pts/7
run live-remote-no-daemon "$T" --remote "'$T' --socket '$work/nosock' stream" list
run live-remote-fails "$T" --remote 'exit 4' list
# -H runs ssh: a stand-in prints its arguments and runs the command here
mkdir "$work/bin"
cat >"$work/bin/ssh" <<-EOF
	#!/bin/sh
	echo "ssh \$*" >&2
	[ "\$1" = -T ] && [ "\$2" = -- ] || exit 255
	shift 3
	PATH=$(dirname "$T"):\$PATH
	exec sh -c "\$*"
EOF
chmod +x "$work/bin/ssh"
run live-host env PATH="$work/bin:$PATH" "$T" -H somehost --socket "$S" list
run live-host-quoted env PATH="$work/bin:$PATH" "$T" -H somehost --socket "$work/it's" list
# stream itself: the daemon's HELLO comes out first ("TSCR", type 96)
run live-stream-hello sh -c "'$T' --socket '$S' stream </dev/null | head -c 8 | od -An -tx1"

# ---- watch with standard output not a terminal: catch-up, then live
"${TS[@]}" watch pts/5 </dev/null >"$work/watch.out" 2>"$work/watch.err" &
wpid=$!
for _ in $(seq 200); do
	grep -q hello "$work/watch.out" 2>/dev/null && break
	sleep 0.05
done
feed <<-'EOF'
	in 136:5 0 x
	out 136:5 live\e[6noutput\r\n
	close 136:5
EOF
wait "$wpid"
echo "watch: exit $?" >>"$work/watch.err"
run live-watch-pipe cat "$work/watch.out" "$work/watch.err"

# ---- watch on a pseudo-terminal; the last case stops the daemon
feed <<-'EOF'
	open 136:5 pts/5
	winsize 136:5 30 100
	session 136:5 400 0 bash
	out 136:5 catch-up\sscreen\r\n
EOF
wait_records 22
pty_case "watch on a pseudo-terminal" test-watch.py CTL="$work/ctl"

echo "live: $total cases, $fail failed"
[ "$fail" -eq 0 ]
