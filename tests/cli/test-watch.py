#!/usr/bin/env python3
# ttyscope watch on a pseudo-terminal, against the daemon test-live.sh
# started: catch-up and live output, answer-back filtering, the status
# line, the keys behind Ctrl-] (block, unblock, type a line, hang up with
# confirmation, help, detach), --follow, SIGWINCH, SIGTERM, the end of the
# session and the daemon going away; the terminal settings restored on
# every way out.
#
# Environment: TTYSCOPE, SOCK, TDTOOL, DEV (the daemon's FIFO), CTL (its
# --fake-control file), DPID (its pid; the last case stops it). tty 136:5
# (pts/5, 30x100, user root) is live when this starts.
import os
import signal
import subprocess
import sys
import termios
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptyproc  # noqa: E402
from ptyproc import check  # noqa: E402

T, SOCK = os.environ["TTYSCOPE"], os.environ["SOCK"]
TDTOOL, DEV, CTL = os.environ["TDTOOL"], os.environ["DEV"], os.environ["CTL"]
DPID = int(os.environ["DPID"])


def feed(text):
    with open(DEV, "wb") as dev:
        subprocess.run([TDTOOL, "gen"], input=text.encode(), stdout=dev,
                       check=True)


def ctl():
    with open(CTL) as f:
        return f.read().splitlines()


def wait_ctl(line, secs=5):
    end = time.monotonic() + secs
    while line not in ctl() and time.monotonic() < end:
        time.sleep(0.05)
    return line in ctl()


def status_line(text, row=24):
    return b"\x1b7\x1b[%d;1H\x1b[0;7m %s \x1b[0m\x1b[K\x1b8" % (row, text)


def Watcher(args, rows=24, cols=80):
    return ptyproc.PtyProcess([T, "--socket", SOCK, "watch"] + args, rows,
                              cols)


# 1. catch-up, live output, the keys, the end of the session
w = Watcher(["pts/5"])
check(w.wait_for(b"catch-up screen\r\n"), "catch-up shows the current screen")
check(b"\x1b[0m\x1b[H\x1b[2Jcatch-up screen" in w.out,
      "the screen is cleared before the catch-up")
check(w.wait_for(status_line(b"watching pts/5; press Ctrl-] ? for the keys")),
      "status line on the last row after the catch-up")
check(w.wait_for(b"pts/5 is 100x30, this terminal 80x24"),
      "a session larger than the terminal is pointed out")
attrs = termios.tcgetattr(w.slave)
check(not attrs[3] & (termios.ECHO | termios.ICANON | termios.ISIG) and
      not attrs[1] & termios.OPOST, "raw mode while watching")
feed("out 136:5 live\\e[6n\\e]11;?\\x07text\\r\\n\n")
check(w.wait_for(b"livetext\r\n"), "live output follows")
check(b"\x1b[6n" not in w.out and b"\x1b]11;?" not in w.out,
      "answer-back queries filtered")
w.send(b"x")
check(w.wait_for(b"keys do not reach pts/5"), "a plain key gives a hint")
check(not any(l.startswith("inject") and "78" in l for l in ctl()),
      "a plain key is not typed into the session")
w.send(b"\x1db")
check(wait_ctl("set_pass 136:5 pass=0 operator=0"), "Ctrl-] b blocks")
check(w.wait_for(b"input of pts/5 blocked"), "status: blocked")
feed("pass 136:5 0 1000\n")
check(w.wait_for(b"input of pts/5 blocked (by uid 1000)"),
      "a PASS record is shown")
w.send(b"\x1du")
check(wait_ctl("set_pass 136:5 pass=1 operator=0"), "Ctrl-] u unblocks")
check(w.wait_for(b"input of pts/5 let through"), "status: let through")
w.send(b"\x1di")
check(w.wait_for(b"type into pts/5 (Enter sends, Esc cancels): "),
      "Ctrl-] i asks for a line")
w.send(b"echo hj\x7fi")
check(w.wait_for(b"Esc cancels): echo hi "), "the line is edited")
w.send(b"\r")
check(wait_ctl("inject 136:5 operator=0 len=8 data=6563686f2068690d"),
      "Enter types the line and a carriage return")
check(w.wait_for(b"typed 8 bytes into pts/5"), "status: typed")
before = len(ctl())
w.send(b"\x1diabc\x1b[A")
check(w.wait_for(b"nothing typed into pts/5"), "Esc cancels the line")
w.send(b"\x1dh")
check(w.wait_for(b"hang up pts/5 (user root)? y/n"), "Ctrl-] h asks")
w.send(b"n")
check(w.wait_for(b"pts/5 not hung up"), "n does not hang up")
w.send(b"\x1d?")
check(w.wait_for(b"Ctrl-] then: b block, u unblock, i type a line, "
                 b"h hang up, q detach"), "Ctrl-] ? lists the keys")
check(len(ctl()) == before, "no request for Esc, n and ?")
w.send(b"\x1dhy")
check(wait_ctl("hangup 136:5"), "Ctrl-] h y hangs up")
check(w.wait_for(b"pts/5 hung up"), "status: hung up")
feed("hangup 136:5\nclose 136:5\n")
rc, attrs = w.finish()
check(b"pts/5 was hung up" in w.out, "a HANGUP record is shown")
check(rc == 0, "the end of the session ends the watch (%d)" % rc)
check(b"\x1b[?1049l" in w.out and
      w.out.endswith(b"\x1b[24;1H\r\nttyscope: the session on pts/5 ended\r\n"),
      "the terminal modes are reset and the end is told")
check(attrs == w.orig, "terminal settings restored at the end")

# 2. Ctrl-] q detaches
feed("open 136:5 pts/5\nwinsize 136:5 20 60\nout 136:5 second\\ssession\n")
w = Watcher(["136:5"])
check(w.wait_for(b"second session") and w.wait_for(b"watching pts/5"),
      "a device number names the tty")
w.send(b"\x1dq")
rc, attrs = w.finish()
check(rc == 0 and w.out.endswith(b"ttyscope: detached from pts/5\r\n"),
      "Ctrl-] q detaches (%d)" % rc)
check(attrs == w.orig, "terminal settings restored after q")

# 3. SIGTERM
w = Watcher(["/dev/pts/5"])
check(w.wait_for(b"watching pts/5"), "a /dev path names the tty")
w.proc.send_signal(signal.SIGTERM)
rc, attrs = w.finish()
check(rc == 128 + signal.SIGTERM, "SIGTERM exit status %d" % rc)
check(attrs == w.orig, "terminal settings restored after SIGTERM")

# 4. --follow, and SIGWINCH
w = Watcher(["--follow", "pts/5"], rows=40, cols=120)
check(w.wait_for(status_line(b"watching pts/5; press Ctrl-] ? for the keys",
                             40)), "the status line is on row 40")
w.resize(10, 50)
w.proc.send_signal(signal.SIGWINCH)
check(w.wait_for(status_line(b"pts/5 is 60x20, this terminal 50x10: "
                             b"the view ma", 10)),
      "SIGWINCH: the smaller terminal is pointed out, on the new last row, "
      "cut to its width")
w.resize(40, 120)
w.proc.send_signal(signal.SIGWINCH)
feed("close 136:5\nopen 136:5 pts/5\nout 136:5 third\\ssession\n")
check(w.wait_for(b"the session on pts/5 ended; waiting for the next one"),
      "--follow waits after the end")
check(w.wait_for(b"a new session on pts/5") and w.wait_for(b"third session"),
      "--follow shows the next session")
w.send(b"\x1dd")
rc, attrs = w.finish()
check(rc == 0 and attrs == w.orig, "Ctrl-] d detaches and restores")

# 5. the daemon goes away
w = Watcher(["pts/5"])
check(w.wait_for(b"watching pts/5"), "last watcher started")
os.kill(DPID, signal.SIGTERM)
rc, attrs = w.finish()
check(rc == 1 and w.out.endswith(
    b"ttyscope: ttyscoped closed the connection (the daemon stopped?)\r\n"),
    "the daemon's end is told (%d)" % rc)
check(attrs == w.orig, "terminal settings restored after the daemon left")

print("watch: %d failures" % ptyproc.failures)
sys.exit(1 if ptyproc.failures else 0)
