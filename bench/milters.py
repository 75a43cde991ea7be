"""milters.py - the milter part of scripts/bench: the filters it compares
(bounceseal-milter in its default mode and in SealMode append-only, the
null milter passing and replacing, OpenDKIM with RSA-2048 and Ed25519, and
a baseline build of bounceseal-milter when one is given), started with
configurations of their own in the run's directory, checked by a smoke run
before and after, calibrated, and driven by mtdrive round after round.

MilterRuns is a part of the driver's Bench (scripts/bench), which provides
the programs, the run's directory, its Results and its Daemons; the
figures go to the results as "milter/FILTER/SIZE/cCONC/{rate,p50,p99,cpu_us}"
and the ratios as "milter/ratio/...". Nothing here writes the report.
"""
import os
import re
import shutil
import subprocess

import daemons
from daemons import Failed, log, run


def last_number(text, key):
    """The number after the last "KEY": in mtdrive's JSON, as written."""
    found = re.findall(r'"%s":([0-9.]*)' % re.escape(key), text)
    return found[-1] if found else ""


class MilterRuns:
    """The milter part of a run (a base of the driver's Bench)."""

    def milter_conf(self, name, line=""):
        """A configuration of its own for each bounceseal-milter instance."""
        runas = "UserID = nobody" if os.getuid() == 0 else ""  # as root, whom to become
        w = self.work
        with open(self.path(name + ".conf"), "w") as f:
            f.write("[milter]\nSocket = unix:%s/%s.sock\nDomain = bench.test\nSelector = bench1\n"
                    "KeyFile = %s/keys/bench1.private\nPidFile = %s/%s.pid\n%s\n%s\n"
                    % (w, name, w, w, name, runas, line))

    # NO_SYSLOG: a prefix that runs a command where nothing listens on
    # /dev/log: as root, in a mount namespace of its own with /dev/null over
    # /dev/log (unshare and sh exec, so the PID is the command's). The report
    # assumes a machine without a syslog daemon, where a filter's log line
    # costs a failed connect; a listener that another program started here (a
    # test harness's) would otherwise charge the filters that log, bounceseal
    # and OpenDKIM, with its own CPU.
    def no_syslog(self, argv):
        if os.getuid() != 0:
            return argv
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                'mount --bind /dev/null /dev/log 2> /dev/null; exec "$@"', "no-syslog"] + argv

    def wait_socket(self, name):
        sock, pid = self.path(name + ".sock"), self.fpid[name]
        if subprocess.run([self.tool, "wait-socket", sock, "15", str(pid)], check=False).returncode != 0:
            raise Failed("no socket %s from process %d" % (sock, pid))

    def start_bounceseal(self, name, program=None, line=""):
        """The milter (PROGRAM, default the one built here, with LINE added
        to its configuration) daemonizes once its socket listens."""
        self.milter_conf(name, line)
        err = os.path.join(self.logs, name + ".err")
        with open(err, "wb") as out:
            p = subprocess.run(self.no_syslog([program or self.milter, "-c", self.path(name + ".conf")]),
                               stdin=subprocess.DEVNULL, stderr=out, check=False)
        if p.returncode != 0:
            with open(err, encoding="utf-8", errors="replace") as f:
                raise Failed("bounceseal-milter did not start: " + f.read().rstrip("\n"))
        with open(self.path(name + ".pid")) as f:
            self.fpid[name] = int(f.read().strip())
        self.daemons.remember(self.fpid[name])

    def start_null(self, name, mode):
        with self.log_file(name + ".err") as err:
            self.fpid[name] = self.daemons.spawn(
                self.no_syslog([self.null_milter, "-m", mode, "-p", "unix:" + self.path(name + ".sock")]),
                (None, err))
        self.wait_socket(name)

    def start_opendkim(self, name, keyfile, algorithm):
        # RequireSafeKeys would refuse a key below a world-writable /tmp.
        with open(self.path(name + ".conf"), "w") as f:
            f.write("Syslog yes\nBackground no\nMode s\nCanonicalization relaxed/simple\nDomain bench.test\n"
                    "Selector %s\nKeyFile %s\nSignatureAlgorithm %s\nInternalHosts 127.0.0.1\n"
                    "RequireSafeKeys no\nSocket local:%s\nUMask 007\n"
                    % (name, keyfile, algorithm, self.path(name + ".sock")))
        with self.log_file(name + ".err") as out:
            self.fpid[name] = self.daemons.spawn(self.no_syslog(["opendkim", "-x", self.path(name + ".conf")]), out)
        self.wait_socket(name)

    def mtdrive(self, name, message, args, fail):
        """mtdrive with ARGS through filter NAME on corpus message
        msg-MESSAGE; its standard output."""
        with self.log_file("mtdrive.err") as err:
            p = subprocess.run([self.mtdrive_bin, "-p", "unix:" + self.path(name + ".sock"), *args,
                                self.path("corpus/msg-%s.eml" % message)],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, text=True, check=False)
        if p.returncode != 0:
            raise Failed(fail)
        return p.stdout

    def mtdrive_run(self, f, size, conc, count, rnd):
        """One measured run; the filter's own CPU time is read from /proc
        around it (10 ms ticks: a run is long enough for that to be
        fine-grained per message). Without a round: the rate alone."""
        ticks0 = daemons.cpu_ticks(self.fpid[f])
        out = self.mtdrive(f, size, ["-n", str(count), "-c", str(conc), "--json"],
                           fail="mtdrive through %s failed (see %s/mtdrive.err)" % (f, self.logs))
        ticks1 = daemons.cpu_ticks(self.fpid[f])
        if rnd is None:
            return last_number(out, "msgs_per_sec")
        key = "milter/%s/%s/c%d/" % (f, size, conc)
        hz = os.sysconf("SC_CLK_TCK")
        self.res.record(key + "cpu_us", rnd, "%.1f" % ((ticks1 - ticks0) / hz * 1e6 / count))
        for what, field in (("rate", "msgs_per_sec"), ("p50", "p50_ms"), ("p99", "p99_ms")):
            self.res.record(key + what, rnd, last_number(out, field))
        return None

    def smoke(self, name, pattern, size="5k"):
        """One message through, and the result carries PATTERN. The measured
        runs check only the filters' replies: what a filter does to a
        message is checked here, before and after them."""
        shutil.rmtree(self.path("out"), ignore_errors=True)
        try:
            self.mtdrive(name, size, ["-n", "1", "--out", self.path("out")], fail="")
            with open(self.path("out/000001.eml"), encoding="utf-8", errors="replace") as f:
                return re.search(pattern, f.read(), re.M) is not None
        except (Failed, OSError):
            return False

    def seal_shape(self, size):
        """How bounceseal-milter sealed that message (its SealMode default
        decides), from the result of a smoke run."""
        if not self.smoke("bounceseal", "^Bounce-Seal:", size):
            raise Failed("bounceseal-milter did not seal the %s message" % size)
        with open(self.path("out/000001.eml"), encoding="utf-8", errors="replace") as f:
            sealed = f.read()
        if re.search(r'^Content-Type: multipart/mixed; boundary="=_bounceseal_', sealed, re.M):
            return "wrapped: header field and seal parts, body in a new multipart/mixed"
        if re.search("^Bounce seal record:", sealed, re.M):
            return "appended: header field and seal parts after the attachments"
        return "header only: body untouched"

    def filters_start(self):
        log("milters: starting the filters")
        # bounceseal-append-only: the default of earlier versions, for the
        # before/after of the default mode in the same run.
        self.filters = ["null-pass", "null-replace", "bounceseal", "bounceseal-append-only"]
        self.start_null("null-pass", "pass")
        self.start_null("null-replace", "replace")
        self.start_bounceseal("bounceseal")
        self.start_bounceseal("bounceseal-append-only", self.milter, "SealMode = append-only")
        if self.baseline:
            if not os.access(self.baseline, os.X_OK):
                raise Failed("--baseline-milter %s is not a program" % self.baseline)
            self.start_bounceseal("baseline", self.baseline)
            self.filters.append("baseline")
        self.shape = {size: self.seal_shape(size) for size in ("5k", "100k")}
        self.dkim_note = ""
        if not shutil.which("opendkim"):
            self.skipped.append("OpenDKIM: not installed (package opendkim)")
            return
        keys = self.path("keys")
        if shutil.which("opendkim-genkey"):
            rsa = subprocess.run(["opendkim-genkey", "-b", "2048", "-d", "bench.test", "-s", "dkim-rsa", "-D", keys],
                                 stdin=subprocess.DEVNULL, check=False).returncode == 0
        elif shutil.which("openssl"):
            rsa = subprocess.run(["openssl", "genrsa", "-out", keys + "/dkim-rsa.private", "2048"],
                                 stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False).returncode == 0
        else:
            rsa = False
        if rsa:
            self.start_opendkim("dkim-rsa", keys + "/dkim-rsa.private", "rsa-sha256")
            if not self.smoke("dkim-rsa", "a=rsa-sha256"):
                raise Failed("OpenDKIM (RSA) did not sign the smoke-test message")
            self.filters.append("dkim-rsa")
        else:
            self.skipped.append("OpenDKIM RSA-2048: no way to make an RSA key (opendkim-tools or openssl)")
        # opendkim-genkey makes RSA keys only; an Ed25519 PKCS#8 key is what
        # bounceseal-keygen writes anyway.
        run([self.keygen, "-d", "bench.test", "-s", "dkim-ed25519", "-D", keys], "bounceseal-keygen failed",
            stdout=subprocess.DEVNULL)
        self.start_opendkim("dkim-ed25519", keys + "/dkim-ed25519.private", "ed25519-sha256")
        if self.smoke("dkim-ed25519", "a=ed25519-sha256"):
            self.filters.append("dkim-ed25519")
        else:
            self.dkim_note = ("This OpenDKIM build does not sign with Ed25519 (the smoke test found no "
                              "a=ed25519-sha256 signature).")
            self.skipped.append("OpenDKIM Ed25519: " + self.dkim_note)

    def milter_rounds(self):
        self.filters_start()
        # Counts: as many messages as each filter passes in about milter_secs,
        # from a short calibration run, so that slow and fast filters get
        # similar run times.
        count = {}
        for f in self.filters:
            for size in ("5k", "100k"):
                rate = float(self.mtdrive_run(f, size, 4, self.milter_min, None) or 0)
                count[f, size] = min(max(int(rate * self.milter_secs), self.milter_min), 50000)
        log("milters: %s; %d round(s) of 2 sizes x 3 concurrencies" % (" ".join(self.filters), self.rounds))
        # Every other round takes the filters in reverse order, so that load
        # that rises or falls during a round does not favour the filter
        # measured first.
        for rnd in range(self.rounds):
            order = self.filters if rnd % 2 == 0 else self.filters[::-1]
            for size in ("5k", "100k"):
                for conc in (1, 4, 16):
                    for f in order:
                        self.mtdrive_run(f, size, conc, count[f, size], rnd)
        ratio = self.res.ratio
        for size in ("5k", "100k"):
            for conc in (1, 4, 16):
                k = "/%s/c%d" % (size, conc)
                for other in ("null-pass", "null-replace", "dkim-rsa", "dkim-ed25519", "baseline"):
                    ratio("milter/ratio/bounceseal:" + other + k, "milter/bounceseal%s/rate" % k,
                          "milter/%s%s/rate" % (other, k))
                for a, b in (("bounceseal-append-only", "null-replace"), ("bounceseal", "bounceseal-append-only"),
                             ("null-replace", "null-pass"), ("null-replace", "dkim-rsa")):
                    ratio("milter/ratio/%s:%s%s" % (a, b, k), "milter/%s%s/rate" % (a, k), "milter/%s%s/rate" % (b, k))
                for a in ("dkim-rsa", "null-replace"):
                    ratio("milter/ratio/cpu-%s:bounceseal%s" % (a, k), "milter/%s%s/cpu_us" % (a, k),
                          "milter/bounceseal%s/cpu_us" % k)
        for size in ("5k", "100k"):
            if self.seal_shape(size) != self.shape[size]:
                raise Failed("bounceseal-milter sealed %s differently after the runs" % size)
        self.daemons.stop_all()

