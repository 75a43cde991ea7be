"""results.py - the results file of scripts/bench and its statistics.

Results are lines "KEY<TAB>ROUND<TAB>VALUE" in one file, appended as they
are measured, so that a run cut short still leaves what it measured. A ratio
is taken round by round (the two figures of one round were measured side by
side) and then summarised like any other figure: median, min, max. The
figures are kept as the text that was recorded, and the statistics are
printed the way the report has always printed them (%.6g, then the caller's
format), so a report is the same whichever run of the same results makes it.
Nothing here measures anything or knows what the figures mean.
"""
import re
from decimal import Decimal
from fractions import Fraction


def _long_double(text):
    """The exact value of TEXT read as a C long double (x86-64: a 64-bit
    significand, nearest, ties to even), as the shell's printf reads its
    numbers, for the report's last digits to be the same as they always
    were: "0.655" is a little below 0.655 there, so "%.2f" makes 0.65 of
    it, where a double (a little above) makes 0.66."""
    v = Fraction(Decimal(text))
    if v == 0:
        return v
    sign, v = (-1 if v < 0 else 1), abs(v)
    e = v.numerator.bit_length() - v.denominator.bit_length()  # 2**(e - 1) < v < 2**(e + 1)
    if v < Fraction(2) ** e:
        e -= 1  # now 2**e <= v < 2**(e + 1)
    scale = Fraction(2) ** (63 - e)
    return sign * Fraction(round(v * scale)) / scale


def printf(form, *values):
    """FORM with each "%.Nf" replaced by the next of VALUES (numbers as
    text), rounded as the shell's printf rounds them (see _long_double)."""
    values = list(values)

    def one(m):
        digits = int(m.group(1))
        v = _long_double(values.pop(0))
        q = round(abs(v) * 10 ** digits)  # ties to even, on the exact value
        text = str(q).rjust(digits + 1, "0")
        text = text[:-digits] + "." + text[-digits:] if digits else text
        return ("-" if v < 0 and q else "") + text

    return re.sub(r"%\.(\d)f", one, form)


class Results:
    def __init__(self, path):
        self.path = path
        self.rows = []  # (key, round, value) as recorded, in order
        with open(path, "w", encoding="utf-8"):
            pass

    def record(self, key, rnd, value):
        """Appends one figure (value as text, already formatted)."""
        row = (str(key), str(rnd), str(value))
        self.rows.append(row)
        with open(self.path, "a", encoding="utf-8") as out:
            out.write("\t".join(row) + "\n")

    def values(self, key):
        """The recorded values of KEY, as text, in the order recorded."""
        return [v for k, _, v in self.rows if k == key]

    def by_round(self, key):
        """ROUND -> value of KEY (a later row of the same round wins)."""
        return {r: v for k, r, v in self.rows if k == key}

    def ratio(self, new, num, den):
        """NEW = NUM / DEN for every round that has both (DEN not zero)."""
        n, d = self.by_round(num), self.by_round(den)
        for rnd, value in n.items():
            if rnd in d and float(d[rnd]) != 0:
                self.record(new, rnd, "%.6f" % (float(value) / float(d[rnd])))

    def stat(self, key):
        """(median, min, max) as %.6g text and the count, or None without data."""
        v = sorted(float(x) for x in self.values(key))
        if not v:
            return None
        n = len(v)
        median = v[(n + 1) // 2 - 1] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
        return "%.6g" % median, "%.6g" % v[0], "%.6g" % v[-1], n

    def fmt(self, key, form):
        """"median [min–max]" with FORM for each number (the median alone
        after one round), "–" without data."""
        s = self.stat(key)
        if s is None:
            return "–"
        median, low, high, n = s
        if n <= 1:
            return printf(form, median)
        return printf(form + " [" + form + "–" + form + "]", median, low, high)

    def median(self, key):
        """The median as text, None without data."""
        s = self.stat(key)
        return s[0] if s else None

    def verdict(self, key, op, limit):
        """"**met**" / "**missed**" by the median against LIMIT (op ">=" or
        "<="), "–" without data."""
        m = self.median(key)
        if m is None:
            return "–"
        ok = float(m) >= float(limit) if op == ">=" else float(m) <= float(limit)
        return "**met**" if ok else "**missed**"
