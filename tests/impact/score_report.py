#!/usr/bin/python3
"""score_report.py - compares SpamAssassin results of unsealed and sealed
copies of the same messages (lines of sa_score.pl) and prints a summary by
MIME shape: how many pairs score identically, the score deltas, and every rule
that fired on only one side of a pair, with its score and the shapes it hit.

A pair is identical only if the total score AND the list of rules hit are
the same: a rule that fires because of the seal is a finding even when its
score is zero today, since rule scores change with every sa-update.

It does not run SpamAssassin or seal anything. Exit status: 0 if every pair
is identical and every message was scored, 1 otherwise.

Usage: score_report.py LABEL EXPECTED_COUNT UNSEALED_RESULTS SEALED_RESULTS
"""
import collections
import re
import sys


def load(path):
    info, results = [], {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#"):
                info.append(line[1:].strip())
                continue
            name, score, tests = line.split("\t")
            rules = dict(t.split("=", 1) for t in tests.split(",") if t)
            if name in results:
                raise SystemExit("score_report: %s scored twice in %s" % (name, path))
            results[name] = (float(score), rules)
    return info, results


def shape_of(name):
    return re.sub(r"-\d+\.eml$", "", name)


def main(argv):
    if len(argv) != 5:
        sys.stderr.write(__doc__)
        return 2
    label, expected, unsealed_path, sealed_path = argv[1], int(argv[2]), argv[3], argv[4]
    info, unsealed = load(unsealed_path)
    _, sealed = load(sealed_path)
    problems = []
    if len(unsealed) != expected or set(unsealed) != set(sealed):
        problems.append("expected %d scored pairs, got %d unsealed and %d sealed"
                        % (expected, len(unsealed), len(sealed)))

    per_shape = collections.OrderedDict()
    rule_diffs = collections.OrderedDict()  # (sign, rule) -> [count, score, shapes]
    for name in sorted(set(unsealed) & set(sealed), key=lambda n: (shape_of(n), n)):
        s = per_shape.setdefault(shape_of(name), {"n": 0, "spam": 0, "same": 0, "deltas": [],
                                                  "lo": None, "hi": None, "rules": collections.Counter()})
        (score0, rules0), (score1, rules1) = unsealed[name], sealed[name]
        s["n"] += 1
        s["spam"] += score0 >= 5.0
        s["lo"] = score0 if s["lo"] is None else min(s["lo"], score0)
        s["hi"] = score0 if s["hi"] is None else max(s["hi"], score0)
        if score0 == score1 and rules0 == rules1:
            s["same"] += 1
            continue
        s["deltas"].append(score1 - score0)
        for sign, only, rules in (("+", set(rules1) - set(rules0), rules1), ("-", set(rules0) - set(rules1), rules0)):
            for rule in sorted(only):
                s["rules"][sign + rule] += 1
                d = rule_diffs.setdefault((sign, rule), [0, rules[rule], set()])
                d[0] += 1
                d[2].add(shape_of(name))
        for rule in sorted(set(rules0) & set(rules1)):
            if rules0[rule] != rules1[rule]:  # cannot happen within one run; guards the parser
                problems.append("%s: %s scored %s and %s" % (name, rule, rules0[rule], rules1[rule]))

    total = sum(s["n"] for s in per_shape.values())
    same = sum(s["same"] for s in per_shape.values())
    print("%s: %d shapes x %d messages = %d pairs; %s" % (label, len(per_shape), total // max(len(per_shape), 1),
                                                          total, "; ".join(sorted(set(info)))))
    print("%-18s %4s %4s %13s %9s %15s  %s" % ("shape", "msgs", "spam", "unsealed", "identical",
                                              "delta min/max", "rules that differed (+ sealed only, - unsealed only)"))
    for shape, s in per_shape.items():
        deltas = "%+.3f/%+.3f" % (min(s["deltas"]), max(s["deltas"])) if s["deltas"] else "0"
        rules = " ".join("%s x%d" % (r, c) for r, c in sorted(s["rules"].items()))
        print("%-18s %4d %4d %6.1f..%-5.1f %4d/%-4d %15s  %s" % (shape, s["n"], s["spam"], s["lo"], s["hi"],
                                                                s["same"], s["n"], deltas, rules or "-"))
    print("%-18s %4d %4d %13s %4d/%-4d" % ("TOTAL", total, sum(s["spam"] for s in per_shape.values()), "",
                                           same, total))
    if rule_diffs:
        print("rules that fired on one side only:")
        for (sign, rule), (count, score, shapes) in sorted(rule_diffs.items(), key=lambda kv: (-kv[1][0], kv[0])):
            print("  %s%-24s score %-7s %3d pairs  (%s)" % (sign, rule, score, count, ", ".join(sorted(shapes))))
    if same != total:
        problems.append("%d of %d pairs score differently once sealed" % (total - same, total))
    for p in problems:
        print("FAIL: " + p)
    if not problems:
        print("ok: all %d pairs score identically (same total, same rules)" % total)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
