#!/usr/bin/env bash
# ttyscoped against a fake device: a FIFO fed with records by `tdtool gen`,
# control requests recorded by --fake-control. One subtest per run:
#   test-daemon.sh logs|mask|protocol|auth|slow|signals|compress|absent|enospc|startup
# Needs $TTYSCOPED and $TDTOOL (set by meson). Exit 77: skipped.
set -euo pipefail

: "${TTYSCOPED:?}" "${TDTOOL:?}"
T=$(mktemp -d /tmp/ttyscoped-test.XXXXXX)
DPID=
cleanup() {
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -9 "$DPID" 2>/dev/null || true
	fi
	mountpoint -q "$T/logs" 2>/dev/null && umount "$T/logs"
	rm -rf "$T"
}
trap cleanup EXIT
mkfifo "$T/dev"
mkdir -p "$T/devroot/pts" "$T/logs"
export TDSTATE=$T/state
# The log names use local time; make them predictable.
export TZ=UTC
T0=$(date -u -d @1700000000 +%Y%m%d.%H%M%S)

fail() {
	echo "FAIL: $*"
	echo "--- daemon stderr:"
	cat "$T/err" || true
	exit 1
}

start_daemon() {
	${WRAP:-} "$TTYSCOPED" --foreground --device "$T/dev" --socket "$T/sock" \
		--log-dir "$T/logs" --fake-control "$T/ctl" \
		--dev-root "$T/devroot" "$@" 2>>"$T/err" &
	DPID=$!
	for _ in $(seq 600); do
		[ -S "$T/sock" ] && return 0
		sleep 0.05
	done
	fail "daemon did not create its socket"
}

stop_daemon() {
	kill -TERM "$DPID"
	wait "$DPID" || fail "daemon exited with $?"
	DPID=
}

feed() { "$TDTOOL" gen >"$T/dev"; }

client() { "$TDTOOL" client "$T/sock" "$@"; }

# Wait until the daemon has read N records from the device in total.
wait_records() {
	for _ in $(seq 600); do
		if client stats | grep -q "^stats records=$1 "; then
			return 0
		fi
		sleep 0.05
	done
	client stats || true
	fail "daemon did not read $1 records"
}

# Compare a command's output with the expected text on stdin.
expect() {
	local what=$1
	shift
	if ! diff -u <(cat) <("$@"); then
		fail "$what"
	fi
}

perm() { stat -c %a "$1"; }

# Wait until the daemon has audited a subscription to every tty.
wait_subscribed() {
	for _ in $(seq 600); do
		grep -q "subscribe 0:0 all: ok" "$T/err" && return 0
		sleep 0.05
	done
	fail "no subscription"
}

t_logs() {
	start_daemon
	chown 65534 "$T/devroot/pts" && : >"$T/devroot/pts/4" &&
		chown 65534 "$T/devroot/pts/4"
	feed <<-'EOF'
		open 136:3 pts/3
		winsize 136:3 24 80
		session 136:3 100 0 bash
		out 136:3 $\s
		in 136:3 0 ls\r
		out 136:3 ls\r\n
		open 136:4 pts/4
		out 136:4 hi
		close 136:3
		close 136:4
	EOF
	wait_records 10
	stop_daemon
	local log=$T/logs/root/$T0.pts-3
	[ -f "$log" ] || fail "no log $log: $(find "$T/logs")"
	[ "$(perm "$log")" = 600 ] || fail "log mode $(perm "$log")"
	[ "$(perm "$T/logs/root")" = 700 ] || fail "dir mode"
	expect "log of pts/3" "$TDTOOL" dump "$log" <<-'EOF'
		log 136:3 uid=0 user=root tty=pts/3
		OPEN 136:3 seq=0 pts/3
		WINSIZE 136:3 seq=1 24x80
		SESSION 136:3 seq=2 sid=100 uid=0 bash
		OUT 136:3 seq=3 $ 
		IN 136:3 seq=4 ls\r
		OUT 136:3 seq=5 ls\r\n
		CLOSE 136:3 seq=6
		closed=1
	EOF
	# no session: the owner of the tty node names the log
	expect "log of pts/4" "$TDTOOL" dump "$T/logs/nobody/$T0.pts-4" <<-'EOF'
		log 136:4 uid=65534 user=nobody tty=pts/4
		OPEN 136:4 seq=0 pts/4
		OUT 136:4 seq=1 hi
		CLOSE 136:4 seq=2
		closed=1
	EOF
}

t_mask() {
	start_daemon
	feed <<-'EOF'
		open 136:3 pts/3
		session 136:3 100 0 bash
		in 136:3 1 secret\r
		in 136:3 5 abc
		in 136:3 0 ok
		close 136:3
	EOF
	wait_records 6
	stop_daemon
	expect "masked log" "$TDTOOL" dump "$T/logs/root/$T0.pts-3" <<-'EOF'
		log 136:3 uid=0 user=root tty=pts/3
		OPEN 136:3 seq=0 pts/3
		SESSION 136:3 seq=1 sid=100 uid=0 bash
		IN 136:3 seq=2 flags=1 *******
		IN 136:3 seq=3 flags=5 abc
		IN 136:3 seq=4 ok
		CLOSE 136:3 seq=5
		closed=1
	EOF
	rm -rf "$T/logs"/* "$T/state"
	start_daemon --log-passwords
	feed <<-'EOF'
		open 136:3 pts/3
		session 136:3 100 0 bash
		in 136:3 1 secret\r
		close 136:3
	EOF
	wait_records 4
	stop_daemon
	"$TDTOOL" dump "$T/logs/root/$T0.pts-3" | grep -qx 'IN 136:3 seq=2 flags=1 secret\\r' ||
		fail "--log-passwords"
}

t_protocol() {
	start_daemon
	: >"$T/devroot/pts/5"
	feed <<-'EOF'
		open 136:5 pts/5
		winsize 136:5 30 100
		session 136:5 200 0 sh
		out 136:5 one
		in 136:5 0 x
		out 136:5 two
		open 136:8 pts/8
		session 136:8 300 65534 bash
	EOF
	wait_records 8
	# the daemon names its host after its HELLO, and each uid once, before
	# the entry that carries it
	expect "list" client host list list <<-EOF
		hello version=1 uid=0
		host=$(uname -n)
		USER uid=65534 name=nobody
		USER uid=0 name=root
		reply list error=0
		tty 136:8 pts/8 pass=1 uid=65534 bash 0x0 records=2
		tty 136:5 pts/5 pass=1 uid=0 sh 30x100 records=6
		reply list error=0
		tty 136:8 pts/8 pass=1 uid=65534 bash 0x0 records=2
		tty 136:5 pts/5 pass=1 uid=0 sh 30x100 records=6
	EOF
	# catch-up: OPEN, WINSIZE, SESSION, OUT (no IN), then SYNC
	expect "subscribe catch-up" client sub 136:5 7 <<-'EOF'
		hello version=1 uid=0
		reply subscribe error=0
		OPEN 136:5 seq=0 pts/5
		WINSIZE 136:5 seq=1 30x100
		USER uid=0 name=root
		SESSION 136:5 seq=2 sid=200 uid=0 sh
		OUT 136:5 seq=3 one
		OUT 136:5 seq=5 two
		SYNC 136:5 seq=5
	EOF
	# live records after the catch-up
	client sub all 15 >"$T/live" &
	local cpid=$!
	wait_subscribed
	feed <<-'EOF'
		out 136:5 three
		in 136:5 1 pw
		session 136:5 201 4242 sh
	EOF
	wait "$cpid" || fail "live subscriber: $(cat "$T/live")"
	# a uid without a name there: USER with an empty name
	expect "live records" tail -n 4 "$T/live" <<-'EOF'
		OUT 136:5 seq=6 three
		IN 136:5 seq=7 flags=1 **
		USER uid=4242 name=
		SESSION 136:5 seq=8 sid=201 uid=4242 sh
	EOF
	expect "control requests" client block 136:5 unblock 136:5 \
		inject 136:5 'ls\r' hangup 136:5 detach 136:5 \
		message 136:5 'hello\e[2J\nbye' message 136:9 x \
		attach "$T/devroot/pts/5" <<-'EOF'
		hello version=1 uid=0
		reply block error=0
		reply unblock error=0
		reply inject error=0 accepted=3
		reply hangup error=0
		reply detach error=0
		reply message error=0
		reply message error=19 (No such device)
		reply attach error=0 tty=0:0
	EOF
	expect "fake control file" cat "$T/ctl" <<-EOF
		set_pass 136:5 pass=0 operator=0
		set_pass 136:5 pass=1 operator=0
		inject 136:5 operator=0 len=3 data=6c730d
		hangup 136:5
		detach 136:5
		attach $T/devroot/pts/5
	EOF
	printf '\r\n\a*** Message from the ttyscope operator (uid 0) ***\r\nhello[2J\r\nbye\r\n*** End of message ***\r\n' >"$T/msg.expected"
	cmp "$T/devroot/pts/5" "$T/msg.expected" || fail "message banner"
	for a in "block 136:5: ok" "unblock 136:5: ok" "inject 136:5 len=3: ok" \
		"hangup 136:5: ok" "detach 136:5: ok" "message 136:5 len=13: ok" \
		"message 136:9 len=1: No such device"; do
		grep -q "operator uid=0 pid=[0-9]* $a" "$T/err" ||
			fail "audit line '$a'"
	done
	# protocol errors: bad version, garbage, unknown verb
	expect "bad hello" client badhello list <<-'EOF'
		hello version=1 uid=0
		reply ? error=93 (Protocol not supported)
	EOF
	# garbage: EBADMSG, then the daemon closes the connection
	expect "garbage" client garbage <<-'END'
		hello version=1 uid=0
		reply ? error=74 (Bad message)
		EOF
	END
	"$TDTOOL" fuzz "$T/sock" 300
	# the daemon survived all that
	client list | grep -q "^tty 136:5 " || fail "daemon gone"
	stop_daemon
}

t_auth() {
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: needs root to run clients as other users"
		exit 77
	fi
	chmod 0755 "$T"
	start_daemon --group nogroup
	chmod 0666 "$T/sock" # let the SO_PEERCRED check do the refusing
	expect "non-member refused" setpriv --reuid=65533 --regid=65533 \
		--clear-groups "$TDTOOL" client "$T/sock" list <<-'EOF'
		refused error=13 (Permission denied)
	EOF
	grep -q "refused connection of uid=65533" "$T/err" || fail "no audit of refusal"
	expect "member allowed" setpriv --reuid=65533 --regid=65533 \
		--groups=65534 "$TDTOOL" client "$T/sock" block 1:2 <<-'EOF'
		hello version=1 uid=65533
		reply block error=0
	EOF
	grep -qx "set_pass 1:2 pass=0 operator=65533" "$T/ctl" || fail "operator uid"
	[ "$(stat -c %a "$T/sock")" = 666 ] && chmod 0660 "$T/sock"
	stop_daemon
}

t_slow() {
	start_daemon --queue-size 65536
	client stall 4 >"$T/stall" &
	local spid=$!
	wait_subscribed
	feed <<<"open 136:6 pts/6"
	printf 'outn 136:6 3000 1000\nclose 136:6\n' | feed
	wait_records 3002
	client stats | grep -q "client_lost=yes" || fail "no client loss counted"
	wait "$spid" || true
	grep -q "^LOSS 0:0 seq=0 records=[1-9]" "$T/stall" || fail "no LOSS: $(cat "$T/stall")"
	stop_daemon
	[ "$("$TDTOOL" dump "$T/logs/unknown/$T0.pts-6" | grep -c '^OUT')" = 3000 ] ||
		fail "log lost records"
}

t_signals() {
	start_daemon
	feed <<-'EOF'
		open 136:7 pts/7
		winsize 136:7 24 80
		session 136:7 300 0 bash
		out 136:7 a
	EOF
	wait_records 4
	kill -HUP "$DPID"
	for _ in $(seq 600); do
		grep -q "logs reopened" "$T/err" && break
		sleep 0.05
	done
	feed <<-'EOF'
		out 136:7 b
		close 136:7
	EOF
	wait_records 6
	expect "first log" "$TDTOOL" dump "$T/logs/root/$T0.pts-7" <<-'EOF'
		log 136:7 uid=0 user=root tty=pts/7
		OPEN 136:7 seq=0 pts/7
		WINSIZE 136:7 seq=1 24x80
		SESSION 136:7 seq=2 sid=300 uid=0 bash
		OUT 136:7 seq=3 a
		closed=1
	EOF
	expect "reopened log" "$TDTOOL" dump "$T/logs/root/$T0.pts-7.1" <<-'EOF'
		log 136:7 uid=0 user=root tty=pts/7
		OPEN 136:7 seq=0 pts/7
		WINSIZE 136:7 seq=1 24x80
		SESSION 136:7 seq=2 sid=300 uid=0 bash
		OUT 136:7 seq=4 b
		CLOSE 136:7 seq=5
		closed=1
	EOF
	# SIGTERM: live logs are finished, the socket is removed
	feed <<-'EOF'
		open 136:8 pts/8
		session 136:8 400 0 bash
		out 136:8 c
	EOF
	wait_records 9
	stop_daemon
	[ ! -e "$T/sock" ] || fail "socket left behind"
	"$TDTOOL" dump "$T/logs/root/$T0.pts-8" | grep -qx "closed=1" || fail "SIGTERM: log not finished"
	# kill -9: the log is readable up to the last record
	start_daemon
	feed <<-'EOF'
		open 136:9 pts/9
		session 136:9 500 0 bash
		out 136:9 d
	EOF
	wait_records 3
	kill -9 "$DPID"
	wait "$DPID" 2>/dev/null || true
	DPID=
	expect "log after kill -9" "$TDTOOL" dump "$T/logs/root/$T0.pts-9" <<-'EOF'
		log 136:9 uid=0 user=root tty=pts/9
		OPEN 136:9 seq=0 pts/9
		SESSION 136:9 seq=1 sid=500 uid=0 bash
		OUT 136:9 seq=2 d
		closed=0
	EOF
}

t_compress() {
	start_daemon --compress
	feed <<-'EOF'
		open 136:11 pts/11
		session 136:11 700 0 bash
		out 136:11 zipped
	EOF
	wait_records 3
	sleep 1.5 # the daemon flushes compressed frames every second
	"$TDTOOL" dump "$T/logs/root/$T0.pts-11" | grep -qx "OUT 136:11 seq=2 zipped" ||
		fail "compressed log not flushed while live"
	printf 'outn 136:11 100 3000\nclose 136:11\n' | feed
	wait_records 104
	stop_daemon
	[ "$("$TDTOOL" dump "$T/logs/root/$T0.pts-11" | grep -c '^OUT')" = 101 ] ||
		fail "compressed log content"
	[ "$(stat -c %s "$T/logs/root/$T0.pts-11")" -lt 100000 ] || fail "not compressed"
}

# The device is absent at start: reported once, then picked up.
t_absent() {
	"$TTYSCOPED" --foreground --device "$T/later" --socket "$T/sock" \
		--log-dir "$T/logs" 2>>"$T/err" &
	DPID=$!
	sleep 2.5
	[ "$(grep -c "cannot open '$T/later'.*module loaded" "$T/err")" = 1 ] ||
		fail "absent device not reported once"
	mkfifo "$T/later"
	printf 'open 136:12 pts/12\nclose 136:12\n' | "$TDTOOL" gen >"$T/later"
	wait_records 2
	stop_daemon
	[ -f "$T/logs/unknown/$T0.pts-12" ] || fail "no log from the late device"
	# a regular file as the device: read to its end, then idle; a tty
	# whose OPEN is not in the stream is logged from its first record
	printf 'out 136:13 mid\nclose 136:13\n' | "$TDTOOL" gen >"$T/file"
	"$TTYSCOPED" --foreground --device "$T/file" --socket "$T/sock" \
		--log-dir "$T/logs" 2>>"$T/err" &
	DPID=$!
	wait_records 2
	stop_daemon
	expect "log without OPEN" "$TDTOOL" dump "$T/logs/unknown/$T0.pts-13" <<-'EOF'
		log 136:13 uid=4294967295 user=unknown tty=pts/13
		OUT 136:13 seq=0 mid
		CLOSE 136:13 seq=1
		closed=1
	EOF
}

t_enospc() {
	if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=64k,mode=0700 tmpfs "$T/logs" 2>/dev/null; then
		echo "SKIP: needs root to mount a tmpfs"
		exit 77
	fi
	start_daemon
	feed <<-'EOF'
		open 136:10 pts/10
		session 136:10 600 0 bash
		out 136:10 before
	EOF
	wait_records 3
	dd if=/dev/zero of="$T/logs/filler" bs=4k 2>/dev/null || true
	# a page of tmpfs is taken whole: records that need a new one fail;
	# the second one's LOSS (of the first) still fits, so two LOSS records
	printf 'outn 136:10 2 4000\n' | feed
	wait_records 5
	rm -f "$T/logs/filler"
	printf 'out 136:10 after\nclose 136:10\n' | feed
	wait_records 7
	stop_daemon
	[ "$(grep -c 'cannot write log' "$T/err")" = 1 ] || fail "disk full not reported once"
	grep -q "writing logs works again" "$T/err" || fail "no recovery message"
	expect "log after ENOSPC" "$TDTOOL" dump "$T/logs/root/$T0.pts-10" <<-'EOF'
		log 136:10 uid=0 user=root tty=pts/10
		OPEN 136:10 seq=0 pts/10
		SESSION 136:10 seq=1 sid=600 uid=0 bash
		OUT 136:10 seq=2 before
		LOSS 0:0 seq=0 records=1 bytes=4000
		LOSS 0:0 seq=0 records=1 bytes=4000
		OUT 136:10 seq=5 after
		CLOSE 136:10 seq=6
		closed=1
	EOF
}

# A client that connects the moment the socket appears is accepted: the
# socket is listening before it has its name.
t_startup() {
	local rpid
	# The daemon runs as SCHED_IDLE while the client spins, so it is
	# often preempted in the middle of starting.
	for i in $(seq 100); do
		"$TDTOOL" race "$T/sock" 2>"$T/race" &
		rpid=$!
		WRAP="chrt --idle 0" start_daemon
		wait "$rpid" || fail "start $i: $(cat "$T/race")"
		stop_daemon
		[ ! -e "$T/sock" ] || fail "socket left behind"
	done
	[ -z "$(find "$T" -maxdepth 1 -name 'sock?*')" ] ||
		fail "temporary socket left behind"
}

case "${1:-}" in
logs | mask | protocol | auth | slow | signals | compress | absent | enospc | startup)
	"t_$1"
	;;
*)
	echo "usage: $0 logs|mask|protocol|auth|slow|signals|compress|absent|enospc|startup" >&2
	exit 2
	;;
esac
echo "PASS: $1"
