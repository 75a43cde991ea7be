#!/usr/bin/python3
"""cli_check.py - every program keeps the command-line conventions, and its
usage text and its man page name the same options.

Usage: cli_check.py MAN_DIR VERSION NAME=PROGRAM...

For each program: -h and --help print the usage on standard output and exit
0 (nothing on standard error); -V and --version print "NAME VERSION" and exit
0; an unknown option exits non-zero with the usage on standard error and
nothing on standard output. Then the options named in the usage text must be
exactly the options the man page (MAN_DIR/NAME.[18]) documents in its
OPTIONS section (the tag line of each .TP entry), in both directions: an
option missing from either is reported. Prints one line per check; exit 0
when all pass.
"""
import glob
import os
import re
import subprocess
import sys

OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][A-Za-z0-9-]*)")

results = {"passed": 0, "failed": 0}


def check(ok, what, detail=""):
    results["passed" if ok else "failed"] += 1
    print(("ok - " if ok else "FAIL - ") + what + ("" if ok or not detail else ": " + detail))


def run(program, *args):
    p = subprocess.run([program, *args], stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=30, text=True)
    return p.returncode, p.stdout, p.stderr


def options_in(text):
    """Option names in TEXT; a bundle such as -fnv counts as -f -n -v."""
    found = set()
    for token in OPTION.findall(text):
        if token.startswith("--") or len(token) == 2:
            found.add(token)
        else:
            found.update("-" + c for c in token[1:])
    return found


def man_options(page):
    """Options of the .TP tags in the OPTIONS section of a man page source."""
    with open(page, encoding="utf-8") as f:
        lines = f.read().splitlines()
    found, in_options = set(), False
    for i, line in enumerate(lines):
        if line.startswith(".SH"):
            in_options = line.strip() == ".SH OPTIONS"
            continue
        if in_options and line.strip() == ".TP" and i + 1 < len(lines):
            tag = re.sub(r"\\f[BIRP]", "", lines[i + 1]).replace("\\-", "-")
            found |= options_in(re.sub(r"^\.[A-Z]+ ", " ", tag))
    return found


def main():
    if len(sys.argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    man_dir, version = sys.argv[1], sys.argv[2]
    for spec in sys.argv[3:]:
        name, program = spec.split("=", 1)
        rc, out, err = run(program, "--help")
        check(rc == 0 and out.startswith("usage: " + name) and err == "",
              f"{name} --help: usage on standard output, exit 0", f"exit {rc}, stderr {err!r}")
        usage = out
        rc, out, err = run(program, "-h")
        check(rc == 0 and out == usage, f"{name} -h: the same", f"exit {rc}")
        for flag in ("--version", "-V"):
            rc, out, err = run(program, flag)
            check(rc == 0 and out == f"{name} {version}\n" and err == "",
                  f"{name} {flag}: prints '{name} {version}', exit 0", f"exit {rc}, output {out!r}")
        rc, out, err = run(program, "--no-such-option")
        check(rc != 0 and out == "" and "usage: " + name in err,
              f"{name} --no-such-option: usage on standard error, non-zero exit", f"exit {rc}, output {out!r}")

        pages = glob.glob(os.path.join(man_dir, name + ".[18]"))
        check(len(pages) == 1, f"{name} has a man page in {man_dir}")
        if len(pages) != 1:
            continue
        in_usage, in_man = options_in(usage), man_options(pages[0])
        check(len(in_usage) >= 4, f"{name}: options found in its usage text", " ".join(sorted(in_usage)))
        missing = sorted(in_usage - in_man)
        check(not missing, f"{name}: every option of its usage text is in {os.path.basename(pages[0])}",
              "not documented: " + " ".join(missing))
        extra = sorted(in_man - in_usage)
        check(not extra, f"{name}: every option of {os.path.basename(pages[0])} is in its usage text",
              "not in the usage text: " + " ".join(extra))
    print(f"{results['passed']} passed, {results['failed']} failed")
    return 0 if results["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
