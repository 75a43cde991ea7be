#!/usr/bin/python3
"""run_malformed.py - runs the real programs on the hostile-input set of
tests/data/malformed/generate.py and checks that each answers clearly,
within limits of time and memory, without crashing or hanging.

    run_malformed.py --build BUILD_DIR --work WORK_DIR (--verify | --milter)

--verify: bounceseal-verify -K KEYRING -r alice@example.test -v on every
  bounce case, each under a wall-clock limit and (unless the build is
  sanitized, where the shadow memory needs the address space) an address
  space limit; its exit status must be 0 or 1 (never 75, never a signal),
  its "verdict:" line one of those the case allows, its peak RSS under the
  memory limit.
--milter: a bounceseal-milter on a private socket, driven by mtdrive with
  the outbound cases: each must be delivered, either sealed with a seal
  that bounceseal-inspect passes, or unmodified (OnError accept); the
  daemon must still seal an ordinary message afterwards and stop cleanly.

A fresh key and a freshly sealed original are made for each run (the
verifier reads the clock). Prints one line of figures per case. Exit 0 all
passed, 1 a case failed. It does not install or build anything.
"""
import argparse
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

ORIGINAL = """From: Alice <alice@example.test>
To: Bob <bob@remote.example>
Subject: quarterly figures
Date: Mon, 23 Nov 2026 10:00:00 +0000
Message-ID: <malformed-original@example.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="orig-boundary"

--orig-boundary
Content-Type: text/plain; charset=us-ascii

Hello Bob,

here are the figures.
--orig-boundary
Content-Type: text/csv; name="figures.csv"
Content-Disposition: attachment; filename="figures.csv"

month,total
jan,17
--orig-boundary--
"""
SENDER = "alice@example.test"
HERE = os.path.dirname(os.path.abspath(__file__))
GENERATOR = os.path.join(HERE, "..", "data", "malformed", "generate.py")


class Fail(Exception):
    pass


def sanitized(binary):
    with open(binary, "rb") as f:
        image = f.read()
    return b"__asan_init" in image or b"__tsan_init" in image


def run_limited(argv, stdin_path, seconds, address_space, stdout_path, stderr_path):
    """Runs argv with stdin from a file and its output to files; returns
    (status, elapsed seconds, peak RSS in MB). status is -N for signal N,
    None when it was killed for overrunning `seconds`."""
    def limits():
        if address_space:
            resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    start = time.monotonic()
    with open(stdin_path, "rb") as i, open(stdout_path, "wb") as o, open(stderr_path, "wb") as e:
        p = subprocess.Popen(argv, stdin=i, stdout=o, stderr=e, preexec_fn=limits)
    overran = threading.Event()
    def kill():
        overran.set()
        p.kill()
    timer = threading.Timer(seconds, kill)
    timer.start()
    # wait4, not wait: the peak RSS of this one child, not of all of them.
    _, raw, usage = os.wait4(p.pid, 0)
    timer.cancel()
    p.returncode = os.waitstatus_to_exitcode(raw)
    status = None if overran.is_set() else p.returncode
    return status, time.monotonic() - start, usage.ru_maxrss / 1024


def make_key_and_originals(build, work):
    keys, ring = os.path.join(work, "keys"), os.path.join(work, "keyring")
    os.makedirs(ring)
    os.makedirs(keys, mode=0o700)
    subprocess.run([os.path.join(build, "src/tools/bounceseal-keygen"), "-d", "example.test", "-s", "sel1",
                    "-D", keys], check=True, stdout=subprocess.DEVNULL)
    shutil.copy(os.path.join(keys, "sel1.pub"), ring)
    os.chmod(ring, 0o755)
    os.chmod(os.path.join(ring, "sel1.pub"), 0o644)
    originals = {}
    for mode in ("full", "header"):
        out = subprocess.run([os.path.join(build, "src/tools/bounceseal-sign"), "-k", os.path.join(keys, "sel1.private"),
                              "-d", "example.test", "-s", "sel1", "-f", SENDER, "-m", mode],
                             input=ORIGINAL.encode(), stdout=subprocess.PIPE, check=True).stdout
        path = os.path.join(work, "original-%s.eml" % mode)
        with open(path, "wb") as f:
            f.write(out)
        originals[mode] = path
    return os.path.join(keys, "sel1.private"), ring, originals


def check_verify(build, ring, cases, seconds, memory_mb, sanitizer):
    verifier = os.path.join(build, "src/verify/bounceseal-verify")
    address_space = None if sanitizer else 2 * memory_mb << 20
    failures = 0
    print("%-26s %10s %-24s %5s %8s %8s" % ("case", "bytes", "verdict", "exit", "seconds", "peak MB"))
    for c in cases:
        if not c["verify"]:
            continue
        err_path = os.path.join(os.path.dirname(c["file"]), c["name"] + ".stderr")
        status, elapsed, rss = run_limited([verifier, "-K", ring, "-r", SENDER, "-v"], c["file"], seconds,
                                           address_space, os.devnull, err_path)
        with open(err_path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        verdict = next((l[len("verdict: "):].split(" d=")[0] for l in text.splitlines()
                        if l.startswith("verdict: ")), "-")
        print("%-26s %10d %-24s %5s %8.2f %8.1f" % (c["name"], c["size"], verdict, status, elapsed, rss))
        problems = []
        if status is None:
            problems.append("no answer within %d s" % seconds)
        elif status < 0:
            problems.append("killed by signal %d" % -status)
        elif status not in (0, 1):
            problems.append("exit status %d, not a verdict" % status)
        if verdict not in c["verify"]:
            problems.append("verdict %r, expected one of %s" % (verdict, c["verify"]))
        if status in (0, 1) and (status == 1) != verdict.startswith("fail"):
            problems.append("exit status %d does not match the verdict" % status)
        if rss > memory_mb:
            problems.append("peak RSS %.0f MB over %d MB" % (rss, memory_mb))
        if problems:
            failures += 1
            print("FAIL %s: %s\n%s" % (c["name"], "; ".join(problems), text[-3000:]))
    return failures


def wait_socket(path, proc, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(path)
                return True
        except OSError:
            time.sleep(0.05)
    return False


def check_milter(build, work, key, ring, cases, seconds):
    sock = os.path.join(work, "milter.sock")
    log = open(os.path.join(work, "milter.log"), "wb")
    argv = [os.path.join(build, "src/milter/bounceseal-milter"), "-f", "-p", "unix:" + sock, "-k", key,
            "-s", "sel1", "-d", "example.test"]
    if os.geteuid() == 0:
        argv += ["-u", "nobody"]
        os.chmod(work, 0o755)
    milter = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    failures = 0
    try:
        if not wait_socket(sock, milter, 20):
            raise Fail("the milter did not start: " + open(log.name, errors="replace").read())
        mtdrive = os.path.join(build, "tests/support/mtdrive")
        inspect = os.path.join(build, "src/tools/bounceseal-inspect")
        plain = os.path.join(work, "plain.eml")
        with open(plain, "w") as f:
            f.write(ORIGINAL)
        print("%-26s %10s %-12s %8s" % ("case", "bytes", "outcome", "seconds"))
        for c in [c for c in cases if c["milter"]] + [{"name": "plain-after", "file": plain, "size": 0}]:
            out = os.path.join(work, "milter-out", c["name"])
            os.makedirs(out)
            start = time.monotonic()
            r = subprocess.run([mtdrive, "-p", "unix:" + sock, "-t", str(seconds), "--out", out, c["file"]],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=seconds + 30)
            elapsed = time.monotonic() - start
            problems = []
            outcome = "-"
            result = os.path.join(out, "000001.eml")
            if r.returncode != 0 or not os.path.exists(result):
                problems.append("mtdrive: " + r.stdout.decode(errors="replace")[-2000:])
            else:
                with open(result, "rb") as f:
                    sealed = f.read()
                with open(c["file"], "rb") as f:
                    given = f.read()
                if b"\nBounce-Seal:" in sealed:
                    outcome = "sealed"
                    v = subprocess.run([inspect, "-K", ring, "-r", SENDER], stdin=open(result, "rb"),
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=seconds)
                    if b"\n  verdict: pass\n" not in v.stdout:
                        problems.append("sealed, but the seal does not pass:\n" + v.stdout.decode(errors="replace")[-2000:])
                elif sealed.replace(b"\r\n", b"\n") == given.replace(b"\r\n", b"\n"):
                    outcome = "unmodified"
                else:
                    problems.append("modified without a seal")
            if c["name"] == "plain-after" and outcome != "sealed":
                problems.append("the milter no longer seals an ordinary message")
            if milter.poll() is not None:
                problems.append("the milter died (status %s)" % milter.returncode)
            print("%-26s %10d %-12s %8.2f" % (c["name"], c["size"], outcome, elapsed))
            if problems:
                failures += 1
                print("FAIL %s: %s" % (c["name"], "; ".join(problems)))
            if milter.poll() is not None:
                break
    finally:
        if milter.poll() is None:
            milter.send_signal(signal.SIGTERM)
            try:
                milter.wait(30)
            except subprocess.TimeoutExpired:
                milter.kill()
                milter.wait()
                failures += 1
                print("FAIL: the milter did not stop within 30 s of SIGTERM")
        log.close()
    if milter.returncode != 0:
        failures += 1
        print("FAIL: the milter exited with status %s" % milter.returncode)
    if failures:
        print(open(log.name, errors="replace").read()[-4000:])
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True)
    ap.add_argument("--work", required=True)
    what = ap.add_mutually_exclusive_group(required=True)
    what.add_argument("--verify", action="store_true")
    what.add_argument("--milter", action="store_true")
    ap.add_argument("--seconds", type=int, default=60, help="wall-clock limit per case")
    ap.add_argument("--memory-mb", type=int, default=768, help="peak RSS limit per verifier run")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    args.work = os.path.abspath(args.work)
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    key, ring, originals = make_key_and_originals(build, args.work)
    cases_dir = os.path.join(args.work, "cases")
    subprocess.run([sys.executable, GENERATOR, "--original", originals["full"], "--header-original",
                    originals["header"], cases_dir], check=True)
    with open(os.path.join(cases_dir, "cases.json")) as f:
        cases = json.load(f)
    try:
        if args.verify:
            verifier = os.path.join(build, "src/verify/bounceseal-verify")
            sanitizer = sanitized(verifier)
            # Sanitizers make every step slower and bigger; their limits say so.
            seconds = args.seconds * (4 if sanitizer else 1)
            memory = args.memory_mb * (4 if sanitizer else 1)
            failures = check_verify(build, ring, cases, seconds, memory, sanitizer)
        else:
            milter = os.path.join(build, "src/milter/bounceseal-milter")
            failures = check_milter(build, args.work, key, ring, cases,
                                    args.seconds * (4 if sanitized(milter) else 1))
    except Fail as e:
        print("FAIL: %s" % e)
        return 1
    if failures == 0:
        shutil.rmtree(cases_dir)  # the 50 MB case is not worth keeping once passed
    print("%d failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
