"""daemons.py - the processes of scripts/bench: programs run to the end
(a failure ends the run), and the daemons it measures, started in the
background and remembered by PID, read from /proc (CPU time, RSS, their
children), and stopped by PID with one deadline, never by name.

A daemon that forks into the background (bounceseal-milter) is not our
child: it is remembered by the PID its pid file names. The others are our
children, and are reaped here as they end, so none lingers as a zombie.
Nothing here knows which daemons a run starts or what the figures mean.
"""
import os
import signal
import subprocess
import sys
import time

def log(msg):
    """A line of progress on standard error."""
    sys.stderr.write("[bench %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


class Failed(Exception):
    """A benchmark could not run or misbehaved: the run ends with status 1."""


def run(argv, fail, **kw):
    """Runs ARGV to the end (standard input /dev/null unless given);
    Failed(FAIL) if it does not exit 0."""
    p = subprocess.run(argv, stdin=kw.pop("stdin", subprocess.DEVNULL), check=False, **kw)
    if p.returncode != 0:
        raise Failed(fail)
    return p


# libmilter's listener notices a stop only at its next 5-second poll, so
# the deadline is above that.
STOP_SECONDS = 12


def stat_fields(pid, *fields):
    """Fields of /proc/PID/stat, numbered as in proc(5) (3 state, 14
    utime, ...; 3 and above), as text; None if the process is gone. The
    command name (field 2) may hold spaces and parentheses, so the fields
    are counted from its last ")"."""
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8", errors="replace") as f:
            st = f.read()
    except OSError:
        return None
    rest = st[st.rindex(")") + 2:].split()
    return [rest[f - 3] for f in fields]


def alive(pid):
    """PID exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    state = stat_fields(pid, 3)
    return state is not None and state[0] != "Z"


def children(pid):
    """The PIDs of PID's children (bounceseal-milter's signer process)."""
    found = []
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return found
    for task in tasks:
        try:
            with open("/proc/%d/task/%s/children" % (pid, task), encoding="ascii") as f:
                found += [int(p) for p in f.read().split()]
        except OSError:
            pass
    return found


def cpu_ticks(pid):
    """User + system time of a process and its children (a filter's whole
    work: bounceseal-milter signs in its signer process), in clock ticks."""
    total = 0
    for p in [pid] + children(pid):
        times = stat_fields(p, 14, 15)
        if times:
            total += int(times[0]) + int(times[1])
    return total


def status_kb(pid, field):
    """VmRSS or VmHWM of a process, in kB (0 if the process is gone)."""
    try:
        with open("/proc/%d/status" % pid, encoding="ascii", errors="replace") as f:
            for line in f:
                name, _, value = line.partition(":")
                if name == field:
                    return int(value.split()[0])
    except OSError:
        pass
    return 0


class Daemons:
    """The daemons of a run, remembered by PID until stop_all()."""

    def __init__(self, log):
        self.log = log
        self.pids = []
        self.popen = {}  # PID -> Popen, for the ones that are our children

    def spawn(self, argv, out):
        """Starts ARGV in the background, standard output and error (or
        just error when OUT is a pair (None, file)) to OUT; remembers it."""
        stdout, stderr = out if isinstance(out, tuple) else (out, out)
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr)
        self.popen[p.pid] = p
        self.remember(p.pid)
        return p.pid

    def remember(self, pid):
        self.pids.append(pid)

    def reap(self, pid):
        p = self.popen.get(pid)
        if p is not None and p.poll() is not None:
            del self.popen[pid]

    def gone(self, pid):
        self.reap(pid)
        return not alive(pid)

    def stop(self, pids):
        """SIGTERM to all, then wait for each to exit, all within one
        deadline; whatever is left then gets SIGKILL."""
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
        deadline = time.monotonic() + STOP_SECONDS
        while time.monotonic() < deadline and not all(self.gone(p) for p in pids):
            time.sleep(0.05)
        left = [p for p in pids if not self.gone(p)]
        if left:
            self.log("still running after SIGTERM, killing: %s" % " ".join(map(str, left)))
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        for pid in pids:
            p = self.popen.pop(pid, None)
            if p is not None:
                p.wait()

    def stop_all(self):
        """Every remembered daemon."""
        pids, self.pids = self.pids, []
        self.stop(pids)
