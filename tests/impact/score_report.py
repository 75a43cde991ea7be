#!/usr/bin/python3
"""score_report.py - compares SpamAssassin results of unsealed and sealed
copies of the same messages (lines of sa_score.pl) and prints a summary by
MIME shape (one row per probe message): how many pairs score identically,
the score deltas, and every rule that fired on only one side of a pair, with
its score and the shapes it hit.

A pair is identical only if the total score AND the list of rules hit are
the same. With --no-rise a pair may differ as long as the seal lowers the
score: it fails if the sealed copy scores higher, or if a rule whose score
is not negative fires on the sealed copy only (a rule that fires because of
the seal is a finding even when its score is zero today, since rule scores
change with every sa-update). Without --no-rise every pair must be
identical.

With --cover RULES_FILE (one rule name a line, from sa_score.pl
--top-rules) every rule listed must fire, as a scored rule or a sub-rule, on
at least one unsealed probe message (named probe-*): the probes must keep up
with the rules SpamAssassin has.

It does not run SpamAssassin or seal anything. Exit status: 0 if every pair
passes, every message was scored and every rule is covered; 1 otherwise.

Usage: score_report.py [--no-rise] [--cover RULES_FILE] LABEL EXPECTED_COUNT
                       UNSEALED_RESULTS SEALED_RESULTS
"""
import argparse
import collections
import re
import sys

EPSILON = 0.0005  # scores are printed with three decimals


def load(path):
    info, results = [], {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#"):
                info.append(line[1:].strip())
                continue
            fields = line.split("\t")
            name, score, tests = fields[:3]
            rules = dict(t.split("=", 1) for t in tests.split(",") if t)
            subrules = set(t for t in (fields[3] if len(fields) > 3 else "").split(",") if t)
            if name in results:
                raise SystemExit("score_report: %s scored twice in %s" % (name, path))
            results[name] = (float(score), rules, subrules)
    return info, results


def shape_of(name):
    """The corpus shape of SHAPE-NN.eml; a probe is a row of its own."""
    return name[:-len(".eml")] if name.startswith("probe-") else re.sub(r"-\d+\.eml$", "", name)


def uncovered(rules_path, unsealed):
    with open(rules_path, encoding="utf-8") as f:
        wanted = [l.strip() for l in f if l.strip()]
    hit = set()
    for name, (_, rules, subrules) in unsealed.items():
        if name.startswith("probe-"):
            hit |= set(rules) | subrules
    return [r for r in wanted if r not in hit], len(wanted)


def main(argv):
    ap = argparse.ArgumentParser(description="compares SpamAssassin results of unsealed and sealed copies")
    ap.add_argument("--no-rise", action="store_true")
    ap.add_argument("--cover")
    ap.add_argument("label")
    ap.add_argument("expected", type=int)
    ap.add_argument("unsealed")
    ap.add_argument("sealed")
    a = ap.parse_args(argv[1:])
    info, unsealed = load(a.unsealed)
    _, sealed = load(a.sealed)
    problems = []
    if len(unsealed) != a.expected or set(unsealed) != set(sealed):
        problems.append("expected %d scored pairs, got %d unsealed and %d sealed"
                        % (a.expected, len(unsealed), len(sealed)))

    per_shape = collections.OrderedDict()
    rule_diffs = collections.OrderedDict()  # (sign, rule) -> [count, score, shapes]
    rises = []
    for name in sorted(set(unsealed) & set(sealed), key=lambda n: (shape_of(n), n)):
        s = per_shape.setdefault(shape_of(name), {"n": 0, "spam": 0, "same": 0, "deltas": [],
                                                  "lo": None, "hi": None, "rules": collections.Counter()})
        (score0, rules0, _), (score1, rules1, _) = unsealed[name], sealed[name]
        s["n"] += 1
        s["spam"] += score0 >= 5.0
        s["lo"] = score0 if s["lo"] is None else min(s["lo"], score0)
        s["hi"] = score0 if s["hi"] is None else max(s["hi"], score0)
        if score0 == score1 and rules0 == rules1:
            s["same"] += 1
            continue
        s["deltas"].append(score1 - score0)
        gained = [r for r in set(rules1) - set(rules0) if float(rules1[r]) >= 0]
        if score1 > score0 + EPSILON or gained:
            rises.append("%s: %+.3f%s" % (name, score1 - score0,
                                          "; fires only sealed: " + ", ".join(sorted(gained)) if gained else ""))
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
    print("%s: %d shapes and probes, %d pairs; %s" % (a.label, len(per_shape), total, "; ".join(sorted(set(info)))))
    print("%-28s %4s %4s %13s %9s %15s  %s" % ("shape", "msgs", "spam", "unsealed", "identical",
                                              "delta min/max", "rules that differed (+ sealed only, - unsealed only)"))
    for shape, s in per_shape.items():
        deltas = "%+.3f/%+.3f" % (min(s["deltas"]), max(s["deltas"])) if s["deltas"] else "0"
        rules = " ".join("%s x%d" % (r, c) for r, c in sorted(s["rules"].items()))
        print("%-28s %4d %4d %6.1f..%-5.1f %4d/%-4d %15s  %s" % (shape, s["n"], s["spam"], s["lo"], s["hi"],
                                                                s["same"], s["n"], deltas, rules or "-"))
    print("%-28s %4d %4d %13s %4d/%-4d" % ("TOTAL", total, sum(s["spam"] for s in per_shape.values()), "",
                                           same, total))
    if rule_diffs:
        print("rules that fired on one side only:")
        for (sign, rule), (count, score, shapes) in sorted(rule_diffs.items(), key=lambda kv: (-kv[1][0], kv[0])):
            print("  %s%-30s score %-7s %3d pairs  (%s)" % (sign, rule, score, count, ", ".join(sorted(shapes))))
    if a.no_rise:
        for r in rises:
            problems.append("the seal raises the score of " + r)
    elif same != total:
        problems.append("%d of %d pairs score differently once sealed" % (total - same, total))
    if a.cover:
        missing, wanted = uncovered(a.cover, unsealed)
        if missing:
            problems.append("no probe makes these rules of the top-level MIME fields fire: %s (write one in "
                            "make_probes.py)" % ", ".join(missing))
        else:
            print("ok: each of the %d rules that read the top-level MIME fields fires on a probe" % wanted)
    for p in problems:
        print("FAIL: " + p)
    if not problems:
        print("ok: %d pairs; %s" % (total, "no score rises (%d identical, %d lower)" % (same, total - same)
                                    if a.no_rise else "all score identically (same total, same rules)"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
