#!/usr/bin/env python3
# ttyscope replay of a live tty on a pseudo-terminal, against the daemon
# test-replay-live.sh started: the catch-up, live output as it comes,
# pause holding the output back, step, L and End going back to live,
# seeking backward over what was received, --buffer dropping the
# oldest output, the session's CLOSE ending
# the replay (after paused output is played), SIGTERM and the daemon
# going away; the terminal settings restored on every way out.
#
# Environment: TTYSCOPE, SOCK, TDTOOL, DEV (the daemon's FIFO), DPID (its
# pid; the last case stops it), TDTIME, TDSTATE (for tdtool). Records fed
# with TDTIME + N seconds are stamped N seconds later, so the session has
# real gaps: 15 to 20 s between outputs, played in 0.5 s with --max-delay.
import os
import re
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptyproc  # noqa: E402
from ptyproc import check  # noqa: E402

T, SOCK = os.environ["TTYSCOPE"], os.environ["SOCK"]
TDTOOL, DEV = os.environ["TDTOOL"], os.environ["DEV"]
DPID = int(os.environ["DPID"])
BASE = int(os.environ["TDTIME"])


def feed(text, at=0):
    env = dict(os.environ, TDTIME=str(BASE + at))
    with open(DEV, "wb") as dev:
        subprocess.run([TDTOOL, "gen"], input=text.encode(), stdout=dev,
                       env=env, check=True)


def Player(args):
    return ptyproc.PtyProcess([T, "--socket", SOCK, "replay"] + args, 24, 80)


def wait_after(p, mark, data, secs=2):
    """Wait until @data is in the output after @mark."""
    end = time.monotonic() + secs
    while data not in p.out[mark:] and time.monotonic() < end:
        p.read_for(0.05)
    return data in p.out[mark:]


def n(data):
    """@data as the terminal shows it: replay leaves output processing
    on, so each LF becomes CR LF."""
    return data.replace(b"\n", b"\r\n")


# 1. follow, pause, step, back to live, seek backward, the end
feed("open 136:5 pts/5\nout 136:5 first\\r\\n\n", 1000)
p = Player(["--max-delay", "0.5", "pts/5"])
check(p.wait_for(n(b"first\r\n")), "the catch-up is shown")
feed("out 136:5 second\\r\\n\n", 1020)
check(p.wait_for(n(b"second\r\n"), 2), "live output is shown as it comes")

p.send(b" ")
time.sleep(0.3)
feed("out 136:5 third\\r\\n\n", 1040)
p.read_for(1.0)
check(b"third" not in p.out, "paused: live output is held back")
p.send(b".")
check(p.wait_for(n(b"third\r\n"), 2),
      "step shows the next output while paused")
feed("out 136:5 fourth\\r\\n\n", 1060)
p.read_for(0.8)
check(b"fourth" not in p.out, "still paused after the step")
p.send(b"L")
check(p.wait_for(n(b"fourth\r\n"), 2), "L goes back to live")
feed("out 136:5 fifth\\r\\n\n", 1075)
check(p.wait_for(n(b"fifth\r\n"), 2), "after L, live output is shown again")

mark = len(p.out)
p.send(b"<")
check(wait_after(p, mark, b"\x1bc" +
                 n(b"first\r\nsecond\r\nthird\r\nfourth\r\n")),
      "seek backward resets the terminal and re-renders what was received "
      "before the target")
p.read_for(0.1)
check(b"fifth" not in p.out[mark:],
      "the output after the target is not shown at once")
check(wait_after(p, mark, n(b"fourth\r\nfifth\r\n")),
      "then it is played again (after --max-delay)")

mark = len(p.out)
p.send(b"<<")
check(wait_after(p, mark, b"\x1bc" + n(b"first\r\nsecond\r\nthird\r\n")) and
      p.out.count(b"\x1bc", mark) == 2,
      "seeking back twice goes 20 s back")
after = p.out[p.out.rindex(b"\x1bc"):]
check(b"fourth" not in after, "and plays the rest with its delays")
p.send(b" ")
feed("out 136:5 sixth\\r\\n\n", 1100)
p.read_for(0.8)
check(b"sixth" not in p.out[mark:], "paused while behind: nothing new shown")
p.send(b"\x1b[F")
check(wait_after(p, mark, n(b"fifth\r\nsixth\r\n")),
      "End shows everything received at once")
feed("out 136:5 seventh\\r\\n\n", 1120)
check(p.wait_for(n(b"seventh\r\n"), 2), "and follows the session again")

p.send(b" ")
time.sleep(0.3)
feed("out 136:5 last\\swords\\r\\n\nclose 136:5\n", 1140)
p.read_for(0.8)
check(b"last words" not in p.out and p.proc.poll() is None,
      "paused at the CLOSE: the replay waits for the output to be played")
p.send(b" ")
rc, attrs = p.finish()
check(n(b"last words\r\n") in p.out, "resumed: the last output is played")
check(rc == 0, "the session's CLOSE ends the replay with status 0 (%d)" % rc)
check(p.out.endswith(b"ttyscope: the session on pts/5 ended\r\n"),
      "the end is told")
check(attrs == p.orig, "terminal settings restored at the end")

# 2. q quits while the session goes on; a device number names the tty
feed("open 136:5 pts/5\nout 136:5 again\\r\\n\n", 1200)
p = Player(["136:5"])
check(p.wait_for(n(b"again\r\n")), "136:5 names the tty")
p.send(b"q")
rc, attrs = p.finish()
check(rc == 0 and b"ended" not in p.out, "q quits with status 0 (%d)" % rc)
check(attrs == p.orig, "terminal settings restored after q")

# 3. SIGTERM
p = Player(["/dev/pts/5"])
check(p.wait_for(n(b"again\r\n")), "a /dev path names the tty")
p.proc.send_signal(signal.SIGTERM)
rc, attrs = p.finish()
check(rc == 128 + signal.SIGTERM, "SIGTERM exit status %d" % rc)
check(attrs == p.orig, "terminal settings restored after SIGTERM")

# 4. --buffer bounds what is kept: seeking back reaches only the newest
# output, and output dropped before it was shown is skipped and counted
PAD = "." * 290


def rec(i):
    return "r%02d%s\\r\\n" % (i, PAD)


LEN = len("r00" + PAD) + 2
feed("open 136:10 pts/10\n" + "".join(
    "out 136:10 %s\n" % rec(i) for i in range(1, 4)), 2000)
p = Player(["--buffer", "2K", "--max-delay", "0.3", "136:10"])
check(p.wait_for(b"r03"), "--buffer: the catch-up is shown")
for i in range(4, 13):
    feed("out 136:10 %s\n" % rec(i), 2000 + i)
check(p.wait_for(b"r12" + PAD.encode(), 3), "--buffer: live output is shown")
mark = len(p.out)
p.send(b"<")
check(wait_after(p, mark, b"\x1bc") and
      wait_after(p, mark, b"r12" + PAD.encode(), 4),
      "--buffer: seeking back replays what is kept")
check(not any(b"r%02d" % i in p.out[mark:] for i in range(1, 7)),
      "--buffer: the oldest output is gone")
p.send(b" ")
time.sleep(0.3)
mark = len(p.out)
for i in range(13, 31):
    feed("out 136:10 %s\n" % rec(i), 2000 + i)
p.read_for(0.5)
check(b"r13" not in p.out[mark:], "--buffer: paused, nothing new shown")
p.send(b" ")
check(wait_after(p, mark, b"r30" + PAD.encode(), 4),
      "--buffer: resumed, the newest output is played")
check(b"r13" not in p.out[mark:], "--buffer: what did not fit is skipped")
feed("close 136:10\n", 2031)
rc, attrs = p.finish()
m = re.search(rb"ttyscope: (\d+) bytes of output did not fit in the buffer "
              rb"and were not shown \(see --buffer\)\r\n", p.out)
check(rc == 0 and m and int(m.group(1)) % LEN == 0 and
      int(m.group(1)) >= LEN,
      "--buffer: the skipped output is told (status %d)" % rc)
check(attrs == p.orig, "terminal settings restored after --buffer")

# 5. the daemon goes away
p = Player(["pts/5"])
check(p.wait_for(n(b"again\r\n")), "last player started")
os.kill(DPID, signal.SIGTERM)
rc, attrs = p.finish()
check(rc == 1 and p.out.endswith(
    b"ttyscope: ttyscoped closed the connection (the daemon stopped?)\r\n"),
    "the daemon's end ends the replay with status 1 (%d)" % rc)
check(attrs == p.orig, "terminal settings restored after the daemon left")

print("replay-live: %d failures" % ptyproc.failures)
sys.exit(1 if ptyproc.failures else 0)
