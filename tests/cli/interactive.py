#!/usr/bin/env python3
# Interactive replay on a pseudo-terminal: pause, step, speed, seek forward
# and backward (terminal reset and re-render), quit, answer-back filtering,
# and the terminal settings restored after 'q' and after SIGINT.
#
# Usage: interactive.py TTYSCOPE GEN-LOGS
import os
import signal
import subprocess
import sys
import tempfile
import termios
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptyproc  # noqa: E402
from ptyproc import check  # noqa: E402

ttyscope, gen = sys.argv[1], sys.argv[2]


def Player(args):
    return ptyproc.PtyProcess([ttyscope, "replay"] + args)


with tempfile.TemporaryDirectory() as d:
    subprocess.run([gen, d], check=True)
    log = os.path.join(d, "s1.tsl")

    # pause, step, resume, seek forward, seek backward, quit
    p = Player([log])
    check(p.wait_for(b"$ ", 2), "first output at 0.1 s")
    lflag = termios.tcgetattr(p.slave)[3]
    check(not lflag & termios.ECHO and not lflag & termios.ICANON,
          "raw mode while playing")
    p.send(b" ")
    p.read_for(2.0)
    check(b"$ l" not in p.out, "paused: the output of 1.5 s not shown")
    p.send(b".")
    check(p.wait_for(b"$ l", 1), "step shows the next output")
    p.send(b" ")
    mark = len(p.out)
    p.send(b">")
    check(p.wait_for(b"progress 100%", 1),
          "seek forward shows the output before the target at once")
    check(b"exit" not in p.out, "seek forward stops before the target")
    check(b"\x1b[6n" not in p.out and b"\x1b[c" not in p.out and
          b"\x1b]11;?" not in p.out, "answer-back queries filtered")
    mark = len(p.out)
    p.send(b"\x1b[D")
    check(p.wait_for(b"\x1bc", 1), "seek backward resets the terminal")
    p.read_for(0.3)
    after = p.out[p.out.index(b"\x1bc", mark):]
    check(b"\x1b]0;alice@host1: ~\x07$ " in after and b"progress" not in after,
          "seek backward re-renders up to the target only")
    p.send(b"q")
    rc, attrs = p.finish()
    check(rc == 0, "q quits with status 0 (got %d)" % rc)
    check(attrs == p.orig, "terminal settings restored after q")

    # speed: "+" four times plays 14.5 s in about a second
    p = Player([log])
    check(p.wait_for(b"$ ", 2), "second player started")
    start = time.monotonic()
    p.send(b"++++")
    rc, attrs = p.finish(6)
    took = time.monotonic() - start
    check(rc == 0 and b"exit" in p.out, "played to the end at 16x")
    check(took < 3, "16x took %.1f s" % took)
    check(attrs == p.orig, "terminal settings restored at the end")

    # a key that is not a seek keeps the pending output's due time: from
    # 3.3 s, the output of 14 s is not shown at once after '-' or ' ' ' '
    p = Player(["--jump", "3.3", log])
    check(p.wait_for(b"progress 100%", 2), "jump renders up to 3.3 s")
    p.send(b"-")
    p.read_for(0.5)
    p.send(b"  ")
    p.read_for(0.5)
    check(b"exit" not in p.out, "speed and pause keys keep the schedule")
    p.send(b"q")
    rc, attrs = p.finish()
    check(rc == 0, "q after --jump")

    # SIGINT restores the terminal
    p = Player([log])
    check(p.wait_for(b"$ ", 2), "third player started")
    p.proc.send_signal(signal.SIGINT)
    rc, attrs = p.finish()
    check(rc == 128 + signal.SIGINT, "SIGINT exit status %d" % rc)
    check(attrs == p.orig, "terminal settings restored after SIGINT")

print("interactive: %d failures" % ptyproc.failures)
sys.exit(1 if ptyproc.failures else 0)
