# The setup the CLI tests against a live ttyscoped share (test-live.sh,
# test-replay-live.sh), sourced after the script sets name (the scratch
# directory is /tmp/ttyscope-NAME.XXXXXX) with the script's arguments
# TTYSCOPE TTYSCOPED TDTOOL.
#
# Sets ttyscope, ttyscoped, tdtool, here, expected, work (removed on exit,
# with the daemon killed), BASE (TDTIME: records are stamped 2.5 hours
# ago), S (the daemon's socket), T (ttyscope), TS (T --socket S), and
# golden.sh's run, total, fail and scrub; creates the daemon's device, a
# FIFO ($work/dev), and $work/logs. Defines die, start_daemon, feed and
# pty_case.

ttyscope=$(realpath "$1")
ttyscoped=$(realpath "$2")
tdtool=$(realpath "$3")
here=$(cd "$(dirname "$0")" && pwd)
expected=$here/expected
work=$(mktemp -d "/tmp/ttyscope-$name.XXXXXX")
DPID=
cleanup() {
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -9 "$DPID" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT
export LC_ALL=C TZ=UTC TDSTATE=$work/state
unset TTYSCOPE_SOCKET
BASE=$(($(date +%s) - 9000))
export TDTIME=$BASE

. "$here/golden.sh"

# the daemon runs as root; other uids must reach the socket
chmod 0755 "$work"
mkfifo "$work/dev"
mkdir -p "$work/logs"
S=$work/sock
T=$ttyscope
TS=("$T" --socket "$S")

die() {
	echo "FAIL: $*"
	echo "--- daemon stderr:"
	cat "$work/err"
	exit 1
}

# start_daemon [OPTION...]: ttyscoped on $work/dev and $S, in the
# background (DPID), with more options; wait for its socket.
start_daemon() {
	"$ttyscoped" --foreground --device "$work/dev" --socket "$S" \
		--log-dir "$work/logs" "$@" 2>>"$work/err" &
	DPID=$!
	for _ in $(seq 600); do
		[ -S "$S" ] && return 0
		sleep 0.05
	done
	die "the daemon did not create its socket"
}

# feed: tdtool gen lines on stdin, to the daemon's device.
feed() { "$tdtool" gen >"$work/dev"; }

# pty_case WHAT SCRIPT [VAR=VALUE...]: a case that python3 runs, SCRIPT
# (in this directory, on a pseudo-terminal of its own) with TTYSCOPE, SOCK,
# TDTOOL, DEV, DPID and the VARs in its environment. It ends by stopping
# the daemon, which is reaped here.
pty_case() {
	local what=$1 script=$2
	shift 2
	total=$((total + 1))
	if ! env TTYSCOPE="$T" SOCK="$S" TDTOOL="$tdtool" DEV="$work/dev" \
		DPID="$DPID" "$@" python3 "$here/$script"; then
		echo "FAIL: $what"
		fail=$((fail + 1))
	fi
	wait "$DPID" 2>/dev/null
	DPID=
}
