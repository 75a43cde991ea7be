"""report.py - docs/PERFORMANCE.md from a run of scripts/bench: the tables
of each section, put in place of the "@NAME@" lines of the template
(bench/PERFORMANCE.md.in), where the method and the analysis are written.

What a run knows besides its results (mode, filters, the shapes sealed,
what was skipped, its timings, ...) comes in RUN, an object with those
attributes set by the driver; the figures come from its Results. Nothing
here measures anything: the same results make the same tables.
"""
import os
import re
import shlex
import subprocess
import time

SIZE_LABEL = {"5k": "5 kB", "100k": "100 kB", "2m": "2 MB", "20m": "20 MB"}


def _read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def _pkgver(package):
    p = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package],
                       capture_output=True, text=True, check=False)
    return p.stdout if p.returncode == 0 else "not installed"


def _cache_value(build_dir, name):
    """A value of the build's CMakeCache.txt ("NAME:TYPE=value")."""
    for line in _read(os.path.join(build_dir, "CMakeCache.txt")).splitlines():
        if line.startswith(name + ":"):
            return line.split("=")[1] if "=" in line else ""
    return ""


def _loadavg():
    return " ".join(_read("/proc/loadavg").split()[:3])


def machine(run):
    cpuinfo = _read("/proc/cpuinfo")
    model = next((line.split(": ")[1] for line in cpuinfo.splitlines()
                  if line.startswith("model name") and ": " in line), "")
    sha = ", SHA extensions" if re.search(r"\bsha_ni\b", cpuinfo) else ""
    vm = ", virtual machine" if re.search(r"\bhypervisor\b", cpuinfo) else ""
    mem_kb = next(int(line.split()[1]) for line in _read("/proc/meminfo").splitlines()
                  if line.startswith("MemTotal"))
    pretty = ""
    for line in _read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            pretty = " ".join(shlex.split(line.partition("=")[2]))
    cxx = _cache_value(run.build_dir, "CMAKE_CXX_COMPILER") or "c++"
    try:
        compiler = subprocess.run([cxx, "--version"], capture_output=True, text=True, check=False).stdout
    except OSError:
        compiler = ""
    uname = os.uname()
    return [
        "| | |",
        "|---|---|",
        "| CPU | %s, %d cores%s |" % (model, run.nproc, sha),
        "| memory | %.1f GiB |" % (mem_kb / 1048576),
        "| kernel | %s %s%s |" % (uname.sysname, uname.release, vm),
        "| system | %s |" % pretty,
        "| compiler | %s, build type %s |" % (compiler.split("\n")[0], _cache_value(run.build_dir, "CMAKE_BUILD_TYPE")),
        "| libraries | GMime %s, OpenSSL %s, libmilter %s, spdlog %s, Google Benchmark %s |"
        % tuple(_pkgver(p) for p in ("libgmime-3.0-dev", "libssl-dev", "libmilter-dev", "libspdlog-dev",
                                     "libbenchmark-dev")),
        "| references | OpenDKIM %s, procmail/formail %s |" % (_pkgver("opendkim"), _pkgver("procmail")),
        "| load average | %s at the start of the run, %s at its end (1, 5, 15 minutes) |"
        % (run.load_at_start, _loadavg()),
    ]


def run_lines(run):
    t = run.seconds
    out = [
        "Mode **%s**: %d round(s); %s; %d min %d s in all"
        % (run.mode, run.rounds, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), t["total"] // 60,
           t["total"] % 60),
        "(core %d s, milters %d s, verifier %d s, memory %d s, the rest set-up and build)."
        % (t["core"], t["milters"], t["verifier"], t["memory"]),
    ]
    if run.baseline:
        p = subprocess.run([run.baseline, "-V"], capture_output=True, text=True, check=False)
        version = p.stdout.rstrip("\n") if p.returncode == 0 else "?"
        out += ["", "With a baseline milter (filter *baseline*, `%s`), given by --baseline-milter." % version]
    if run.skipped:
        out += ["", "Not measured in this run:"] + ["- " + s for s in run.skipped]
    return out


# The summary's milter rows at c=4: name, ratio ("milter/ratio/" key), and
# the target (op, limit) by size, for the sizes listed; None for a figure
# reported without a target (then for 5 kB and 100 kB).
SUMMARY_MILTER_ROWS = [
    ("P1 sealing vs null milter (pass)", "bounceseal:null-pass", {"5k": (">=", "0.5"), "100k": (">=", "0.3")}),
    ("P1′ sealing vs null milter (replace)", "bounceseal:null-replace",
     {"5k": (">=", "0.9"), "100k": (">=", "0.7")}),
    ("(report) filter CPU per message, null milter (replace) ÷ sealing", "cpu-null-replace:bounceseal", None),
    ("(before) SealMode append-only vs null milter (replace)", "bounceseal-append-only:null-replace", None),
    ("(after ÷ before) SealMode full ÷ append-only", "bounceseal:bounceseal-append-only", None),
    ("P2 sealing vs OpenDKIM RSA-2048", "bounceseal:dkim-rsa", {"5k": (">=", "5"), "100k": (">=", "5")}),
    ("(bound) null milter (replace) vs OpenDKIM RSA-2048", "null-replace:dkim-rsa", {"100k": None}),
    ("(report) filter CPU per message, OpenDKIM RSA-2048 ÷ sealing", "cpu-dkim-rsa:bounceseal", None),
    ("(report) sealing vs OpenDKIM Ed25519", "bounceseal:dkim-ed25519", None),
]


def summary(run, res):
    f, v = res.fmt, res.verdict

    def target(name, key, op, limit):  # a ratio: wanted OP LIMIT×
        return "| %s | %s | %s %s× | %s |" % (name, f(key, "%.2f×"), "≥" if op == ">=" else "≤", limit,
                                             v(key, op, limit))

    def report(name, key):
        return "| %s | %s | – | – |" % (name, f(key, "%.2f×"))

    m = "milter/ratio/"
    out = ["| target | measured: median [min–max] | wanted | result |", "|---|---|---|---|"]
    for name, pair, limits in SUMMARY_MILTER_ROWS:
        for size in limits or ("5k", "100k"):
            label, key = "%s, %s, c=4" % (name, SIZE_LABEL[size]), m + "%s/%s/c4" % (pair, size)
            wanted = limits and limits[size]
            out.append(target(label, key, *wanted) if wanted else report(label, key))
    if run.baseline:
        for size in ("5k", "100k"):
            for conc in (1, 4, 16):
                out.append(report("(report) sealing vs the baseline milter, %s, c=%d" % (SIZE_LABEL[size], conc),
                                  m + "bounceseal:baseline/%s/c%d" % (size, conc)))
    out += [
        target("P3 canonical hash vs raw SHA-256, typical text", "core/ratio/typical", ">=", "0.7"),
        target("P3 canonical hash vs raw SHA-256, base64-like text", "core/ratio/base64", ">=", "0.7"),
        target("P4 verifier vs formail -c, 5 kB bounce", "verifier/ratio/verify:formail/5k", "<=", "3"),
        target("P4 verifier vs formail -c, 100 kB bounce", "verifier/ratio/verify:formail/100k", "<=", "3"),
        "| P5 milter peak RSS, 16 × 2 MB at once | %s | ≤ %s MB | %s |"
        % (f("memory/milter/peak_mb", "%.1f MB"), run.peak_limit_mb,
           v("memory/milter/peak_mb", "<=", run.peak_limit_mb)),
        "| P5 milter RSS growth from message %d to %d | %+.2f MB | flat (≤ +2 MB) | %s |"
        % (run.chunk, run.long_total, run.growth_kb / 1024, "**met**" if run.growth_kb <= 2048 else "**missed**"),
    ]
    return out


def core(run, res):
    f = res.fmt
    out = [
        "Canonicalizer (`LeafCanonicalizer` + SHA-256) against OpenSSL's SHA-256 alone, both over the same 1 MiB"
        " in 64 KiB blocks (CPU time):",
        "",
        "| input | canonical MB/s | raw SHA-256 MB/s | ratio |",
        "|---|---|---|---|",
    ]
    for name, label in (("typical", "typical text (CRLF, single spaces)"),
                        ("base64", "base64-like text (76-character lines)")):
        out.append("| %s | %s | %s | %s |" % (label, f("core/BM_Canonical/%s/mbps" % name, "%.0f"),
                                              f("core/BM_Sha256Raw/%s/mbps" % name, "%.0f"),
                                              f("core/ratio/%s" % name, "%.2f×")))
    out += [
        "",
        "Sealing (`plan_seal()`: parse, body hash, record, Ed25519 signature, MIME plan) and judging a bounce of the"
        " sealed message (`decide()`), CPU time per call:",
        "",
        "| message | plan_seal µs | plan_seal MB/s | decide µs (bounce) | decide MB/s |",
        "|---|---|---|---|---|",
    ]
    for m, label in (("5k", "5 kB text"), ("100k", "100 kB with attachment"), ("2m", "2 MB with attachment")):
        out.append("| %s, %s | %s | %s | %s | %s |" % (
            label, run.core_label.get("BM_PlanSeal/msg_" + m) or "?", f("core/BM_PlanSeal/msg_%s/us" % m, "%.0f"),
            f("core/BM_PlanSeal/msg_%s/mbps" % m, "%.0f"), f("core/BM_Decide/msg_%s/us" % m, "%.0f"),
            f("core/BM_Decide/msg_%s/mbps" % m, "%.0f")))
    return out


def milter(run, res):
    f = res.fmt
    out = []
    for size, label in (("5k", "5 kB text message"), ("100k", "100 kB message with attachment")):
        out += [
            "**%s** (%d bytes; sealed %s):" % (label, run.size_bytes("msg-" + size), run.shape[size]),
            "",
            "| filter | c | msgs/s | p50 ms | p99 ms | filter CPU µs/msg | sealing ÷ this |",
            "|---|---|---|---|---|---|---|",
        ]
        for conc in (1, 4, 16):
            for flt in run.filters:
                key = "milter/%s/%s/c%d/" % (flt, size, conc)
                ratio = "1" if flt == "bounceseal" else f("milter/ratio/bounceseal:%s/%s/c%d" % (flt, size, conc),
                                                          "%.2f×")
                out.append("| %s | %d | %s | %s | %s | %s | %s |" % (
                    flt, conc, f(key + "rate", "%.0f"), f(key + "p50", "%.2f"), f(key + "p99", "%.2f"),
                    f(key + "cpu_us", "%.0f"), ratio))
        out.append("")
    m = "milter/ratio/"
    out.append(
        "What reading and replacing a body costs over the protocol alone, null milter replace ÷ pass (c=4): 5 kB %s,"
        " 100 kB %s. The same do-nothing replace filter ÷ OpenDKIM RSA-2048 (c=4): 5 kB %s, 100 kB %s."
        % (f(m + "null-replace:null-pass/5k/c4", "%.2f×"), f(m + "null-replace:null-pass/100k/c4", "%.2f×"),
           f(m + "null-replace:dkim-rsa/5k/c4", "%.2f×"), f(m + "null-replace:dkim-rsa/100k/c4", "%.2f×")))
    if run.dkim_note:
        out += ["", run.dkim_note]
    return out


def verifier(run, res):
    f = res.fmt
    out = [
        "Wall time of one process per bounce, stdin from the file, output to /dev/null; the bounce is a DSN"
        " returning the whole sealed message, and the verifier judges it **pass**:",
        "",
        "| bounce of | bytes | bounceseal-verify ms | formail -c ms | verify ÷ formail | start-up only ms |"
        " start-up + init ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for size in ("5k", "100k", "2m"):
        out.append("| %s | %d | %s | %s | %s | %s | %s |" % (
            SIZE_LABEL[size], run.size_bytes("bounce-" + size), f("verifier/verify/%s/ms" % size, "%.2f"),
            f("verifier/formail/%s/ms" % size, "%.2f"), f("verifier/ratio/verify:formail/%s" % size, "%.2f×"),
            f("verifier/floor/%s/ms" % size, "%.2f"), f("verifier/floor-init/%s/ms" % size, "%.2f")))
    out += [
        "",
        "Start-up alone (`startup_floor`, the verifier's libraries loaded, nothing done) ÷ formail: 5 kB %s; with"
        " GMime and OpenSSL initialised: %s."
        % (f("verifier/ratio/floor:formail/5k", "%.2f×"), f("verifier/ratio/floor-init:formail/5k", "%.2f×")),
    ]
    return out


def memory(run, res):
    f = res.fmt
    big = run.big
    long_rows = [(r, v) for k, r, v in res.rows if k == "memory/long/rss_kb"]
    return [
        "| what | measured: median [min–max] | bound |",
        "|---|---|---|",
        "| milter RSS at start | %s | |" % f("memory/milter/idle_mb", "%.1f MB"),
        "| milter peak RSS (VmHWM), %d × 2 MB, 16 at once | %s | 2 × 16 × %.2f MB + 30 MB = %s MB |"
        % (run.peak_messages, f("memory/milter/peak_mb", "%.1f MB"), run.size_bytes("msg-2m") / 1048576,
           run.peak_limit_mb),
        "| its signer process's peak RSS (VmHWM), same run (pages shared with the milter since the fork count in"
        " both) | %s | |" % f("memory/signer/peak_mb", "%.1f MB"),
        "| bounceseal-verify peak RSS, bounce of %s (%d bytes) | %s | |"
        % (SIZE_LABEL[big], run.size_bytes("bounce-" + big), f("memory/verify/%s/rss_mb" % big, "%.1f MB")),
        "| bounceseal-verify time, same bounce | %s | |" % f("memory/verify/%s/ms" % big, "%.0f ms"),
        "",
        "Milter RSS (VmRSS) during %d messages of 5 kB (c=4), read after every %d:" % (run.long_total, run.chunk),
        "",
        "| messages |" + "".join(" %s |" % r for r, _ in long_rows),
        "|---|" + "---|" * run.long_samples,
        "| RSS MB |" + "".join(" %.1f |" % (float(v) / 1024) for _, v in long_rows),
    ]


def write(run, res, template, output):
    """Writes OUTPUT from TEMPLATE, each "@NAME@" line replaced by its
    section; returns the summary table's lines."""
    sections = {
        "MACHINE": machine(run), "RUN": run_lines(run), "SUMMARY": summary(run, res), "CORE": core(run, res),
        "MILTER": milter(run, res), "VERIFIER": verifier(run, res), "MEMORY": memory(run, res),
    }
    out = []
    for line in _read(template).splitlines():
        name = re.fullmatch(r"@([A-Z]+)@", line)
        out += sections.get(name.group(1), []) if name else [line]
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with open(output + ".tmp", "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    os.replace(output + ".tmp", output)
    return sections["SUMMARY"]
