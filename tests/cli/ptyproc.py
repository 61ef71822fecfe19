# A program on a pseudo-terminal, for the interactive tests of the command
# line tool (interactive.py, test-watch.py): its output is collected, keys
# are sent to it, and its terminal settings are read back after it ends.
import fcntl
import os
import select
import struct
import subprocess
import termios
import time

failures = 0


def check(cond, what):
    """Print an ok/FAIL line; count the failures."""
    global failures
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures += 1


class PtyProcess:
    def __init__(self, argv, rows=None, cols=None):
        self.master, self.slave = os.openpty()
        if rows:
            self.resize(rows, cols)
        self.orig = termios.tcgetattr(self.slave)
        self.proc = subprocess.Popen(argv, stdin=self.slave,
                                     stdout=self.slave, stderr=self.slave,
                                     start_new_session=True)
        self.out = b""

    def resize(self, rows, cols):
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ,
                    struct.pack("HHHH", rows, cols, 0, 0))

    def read_for(self, secs):
        end = time.monotonic() + secs
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            r, _, _ = select.select([self.master], [], [], left)
            if r:
                try:
                    self.out += os.read(self.master, 4096)
                except OSError:
                    return

    def wait_for(self, data, secs=5):
        end = time.monotonic() + secs
        while data not in self.out and time.monotonic() < end:
            self.read_for(0.05)
        return data in self.out

    def send(self, keys):
        os.write(self.master, keys)

    def finish(self, secs=5):
        """Wait for the end (kill after secs); the status and settings."""
        try:
            rc = self.proc.wait(secs)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.read_for(0.1)
        attrs = termios.tcgetattr(self.slave)
        os.close(self.master)
        os.close(self.slave)
        return rc, attrs
