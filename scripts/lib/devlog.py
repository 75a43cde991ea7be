#!/usr/bin/python3
"""devlog.py: a minimal syslog sink for machines without a syslog daemon
(containers often have no /dev/log, so sendmail, libmilter programs and the
bounce verifier would log nowhere).

Usage: devlog.py SOCKET TAPDIR

Binds SOCKET (a unix datagram socket, normally /dev/log) and appends every
message received, as one line without its <priority> prefix, to every log
file named by a "tap" in TAPDIR. A tap is a small file whose second line is
the path of a log file; each harness instance that uses this listener adds
its own tap, so parallel instances share one /dev/log and still each get a
log file in their private tree. Taps are re-read as they come and go; a
name starting with a dot is a tap still being written, and is not one yet.

It does not rotate, filter or forward anything, and it is not a syslog
replacement outside tests. On SIGTERM or SIGINT it removes SOCKET (only if
SOCKET is still the one it bound) and exits.
"""
import os
import re
import signal
import socket
import sys

PRI = re.compile(rb"^<\d{1,3}>")


def read_tap(path):
    """The log file a tap points at, or None while it is incomplete."""
    try:
        with open(path, "rb") as f:
            lines = f.read().splitlines()
        return lines[1].decode() if len(lines) > 1 and lines[1] else None
    except OSError:
        return None


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: devlog.py SOCKET TAPDIR\n")
        return 2
    path, tapdir = sys.argv[1], sys.argv[2]
    # Own session: other instances may still log through us after the one
    # that started us is gone (or its process group is killed by a test
    # runner's timeout); the last instance stops us by PID.
    try:
        os.setsid()
    except OSError:
        pass  # already a session/group leader
    # A socket file nobody listens on (a crashed earlier listener) would make
    # bind() fail; the caller only starts us after probing that it is dead.
    if os.path.exists(path):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    os.chmod(path, 0o666)  # programs running as the test users log too
    ino = os.stat(path).st_ino

    def stop(*_):
        try:
            if os.stat(path).st_ino == ino:
                os.unlink(path)
        except OSError:
            pass
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    taps = {}  # tap file name -> log file path
    while True:
        data = sock.recv(65536)
        line = PRI.sub(b"", data.rstrip(b"\0\r\n")) + b"\n"
        try:
            names = {n for n in os.listdir(tapdir) if not n.startswith(".")}
        except OSError:
            names = set()
        for gone in set(taps) - names:
            del taps[gone]
        for name in names - set(taps):
            target = read_tap(os.path.join(tapdir, name))
            if target:
                taps[name] = target
        for target in taps.values():
            try:
                with open(target, "ab") as out:
                    out.write(line)
            except OSError:
                pass  # its instance is being removed; the tap goes next


if __name__ == "__main__":
    sys.exit(main())
