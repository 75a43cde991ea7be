#!/bin/sh
# spam_score_test.sh - does sealing change how SpamAssassin judges a message?
#
#   spam_score_test.sh score SIGN KEYGEN RESULTS_DIR [PER_SHAPE]
#     makes a corpus of ordinary messages (make_corpus.py: PER_SHAPE messages
#     of each MIME shape, default 20), seals each with bounceseal-sign in both
#     seal modes ("both": record and signature parts plus the Bounce-Seal
#     field, the milter's default; "header": the field only), scores the
#     unsealed and both sealed copies with the installed SpamAssassin
#     (sa_score.pl) and writes RESULTS_DIR/{unsealed,both,header}.txt.
#   spam_score_test.sh check both|header RESULTS_DIR
#     fails unless every sealed copy has the same score and the same list of
#     rules as its unsealed original; prints a summary by shape.
#
# Scoring is the slow part (a tenth of a second a message), so it is done once
# (the ctest fixture impact.spam_corpus) for the checks of both modes.
# Only SpamAssassin's local rules are run: no DNS or network look-ups (they
# are blocked and counted, and the run is in a network namespace of its own
# where the system allows one), no Bayes, no learning; of the machine's
# SpamAssassin configuration only the plugin lists (*.pre) are read, and
# nothing is written outside a temporary directory (not ~/.spamassassin).
# Network rules (RBLs, URI blocklists, DKIM/SPF) and other filters are not
# tested. Exit 77 (skipped) if SpamAssassin is not installed.
# IMPACT_JOBS sets the number of parallel SpamAssassin processes (default:
# the number of CPUs, at most 4).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
usage() {
    echo "usage: $0 score SIGN KEYGEN RESULTS_DIR [PER_SHAPE] | check both|header RESULTS_DIR" >&2
    exit 2
}
[ $# -ge 1 ] || usage
if ! command -v spamassassin > /dev/null 2>&1 || ! perl -MMail::SpamAssassin -e 1 2> /dev/null; then
    echo "SKIP: SpamAssassin is not installed (Debian package spamassassin)"
    exit 77
fi

if [ "$1" = check ]; then
    [ $# -eq 3 ] || usage
    mode=$2 results=$3
    case $mode in both | header) ;; *) usage ;; esac
    read -r shapes total < "$results/counts"
    exec /usr/bin/python3 "$here/score_report.py" "seal mode $mode" "$total" \
        "$results/unsealed.txt" "$results/$mode.txt"
fi

if [ "$1" != score ] || [ $# -lt 4 ] || [ $# -gt 5 ]; then usage; fi
sign=$2 keygen=$3 results=$4 per_shape=${5:-20}
start=$(date +%s)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$results" "$work/unsealed" "$work/both" "$work/header" "$work/out" "$work/home"
# A stale result must not pass for a new one.
rm -f "$results/counts" "$results/unsealed.txt" "$results/both.txt" "$results/header.txt"

/usr/bin/python3 "$here/make_corpus.py" "$work/unsealed" "$per_shape" > "$work/counts"
"$keygen" -d example.test -s impact -D "$work" > /dev/null

# SpamAssassin spends ~2 s loading its rules, then ~0.1 s a message: a few
# long-lived processes, not one per message.
jobs=${IMPACT_JOBS:-$(nproc 2> /dev/null || echo 2)}
[ "$jobs" -ge 1 ] 2> /dev/null || jobs=2
[ "$jobs" -le 4 ] || jobs=4
netns=
if unshare -rn true 2> /dev/null; then netns="unshare -rn"; fi

# Time limits from the work, not from the wall clock: each scoring process
# may use CPU_START CPU seconds to load SpamAssassin's rules plus
# CPU_PER_MESSAGE per message, both measured (docs/TESTING.md), times
# CPU_MARGIN. CPU seconds stay the same when other work shares the machine;
# wall seconds do not (149 s alone became more than 420 s under load), so
# the ctest timeout of the fixture is only a net for a hang.
CPU_START=${IMPACT_CPU_START:-1.0} CPU_PER_MESSAGE=${IMPACT_CPU_PER_MESSAGE:-0.08} CPU_MARGIN=3

worker() {  # worker K: seals, then scores, the K-th share of the corpus
    k=$1
    cpu=$(awk -v n="$(wc -l < "$work/list.$k")" -v s="$CPU_START" -v m="$CPU_PER_MESSAGE" \
        -v x="$CPU_MARGIN" 'BEGIN { printf "%d", (s + n * m) * x + 1 }')
    while read -r name; do
        for mode in both header; do
            "$sign" -m "$mode" -k "$work/impact.private" -d example.test -s impact \
                < "$work/unsealed/$name" > "$work/$mode/$name"
        done
    done < "$work/list.$k"
    for side in unsealed both header; do
        status=0
        # shellcheck disable=SC2046,SC2086  # $netns is a command or nothing;
        # corpus file names have no white space
        (cd "$work/$side" && env HOME="$work/home" LC_ALL=C $netns prlimit --cpu="$cpu:$((cpu + 10))" \
            perl "$here/sa_score.pl" "$work/sa-$side-$k" $(cat "$work/list.$k")) \
            > "$work/out/$side.$k" 2> "$work/out/$side.$k.log" || status=$?
        if [ "$status" -ne 0 ]; then
            # 128 + SIGXCPU: the kernel stopped it at its CPU limit (SIGKILL
            # follows 10 s later, should it ignore that).
            [ "$status" -eq 152 ] && echo "FAIL: scoring the $side share $k used more than its" \
                "$cpu CPU seconds ($(wc -l < "$work/list.$k") messages)" >> "$work/out/$side.$k.log"
            return 1
        fi
    done
}

ls "$work/unsealed" > "$work/all"
pids=""
k=0
while [ "$k" -lt "$jobs" ]; do
    awk -v n="$jobs" -v k="$k" 'NR % n == k' "$work/all" > "$work/list.$k"
    worker "$k" &
    pids="$pids $!"
    k=$((k + 1))
done
failed=0
for pid in $pids; do wait "$pid" || failed=1; done
cat "$work"/out/*.log
if [ "$failed" -ne 0 ]; then
    echo "FAIL: sealing or scoring failed" >&2
    exit 1
fi

for side in unsealed both header; do
    cat "$work"/out/"$side".? > "$results/$side.txt"
done
cp "$work/counts" "$results/counts"
read -r shapes total < "$results/counts"
echo "scored $total messages of $shapes shapes, unsealed and sealed in 2 modes ($((3 * total)) scans);" \
    "network namespace: ${netns:-none available, look-ups blocked by sa_score.pl}; $jobs jobs;" \
    "$(($(date +%s) - start)) s"
