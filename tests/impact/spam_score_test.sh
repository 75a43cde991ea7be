#!/bin/sh
# spam_score_test.sh - does sealing change how SpamAssassin judges a message?
#
#   spam_score_test.sh score SIGN KEYGEN RESULTS_DIR [PER_SHAPE]
#     makes a corpus of ordinary messages (make_corpus.py: PER_SHAPE messages
#     of each MIME shape, default 20) and the probe messages (make_probes.py:
#     written to make every rule that reads the top-level MIME fields fire),
#     seals each with bounceseal-sign in the three seal modes (full: the
#     default, seal parts on every message; append-only; header), scores the
#     unsealed and the sealed copies with the installed SpamAssassin
#     (sa_score.pl) and writes RESULTS_DIR/{unsealed,full,append-only,
#     header}.txt, and the rules of the top-level MIME fields as
#     RESULTS_DIR/top-rules.txt.
#   spam_score_test.sh check full|append-only|header RESULTS_DIR
#     full: fails if the seal raises any message's score or makes a rule
#     fire that did not (lower scores are listed, and allowed), or if a rule
#     of top-rules.txt fires on no unsealed probe. append-only and header:
#     fails unless every sealed copy has the same score and the same list of
#     rules as its unsealed original. Prints a summary by shape.
#
# Scoring is the slow part (a tenth of a second a message), so it is done once
# (the ctest fixture impact.spam_corpus) for the checks of all modes.
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
modes="full append-only header"
usage() {
    echo "usage: $0 score SIGN KEYGEN RESULTS_DIR [PER_SHAPE] | check full|append-only|header RESULTS_DIR" >&2
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
    read -r total < "$results/counts"
    case $mode in
        full) exec /usr/bin/python3 "$here/score_report.py" --no-rise --cover "$results/top-rules.txt" \
            "seal mode full" "$total" "$results/unsealed.txt" "$results/full.txt" ;;
        append-only | header) exec /usr/bin/python3 "$here/score_report.py" "seal mode $mode" "$total" \
            "$results/unsealed.txt" "$results/$mode.txt" ;;
        *) usage ;;
    esac
fi

if [ "$1" != score ] || [ $# -lt 4 ] || [ $# -gt 5 ]; then usage; fi
sign=$2 keygen=$3 results=$4 per_shape=${5:-20}
start=$(date +%s)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$results" "$work/unsealed" "$work/out" "$work/home"
for mode in $modes; do mkdir -p "$work/$mode"; done
# A stale result must not pass for a new one.
rm -f "$results/counts" "$results/unsealed.txt" "$results/top-rules.txt"
for mode in $modes; do rm -f "$results/$mode.txt"; done

read -r shapes messages << EOF
$(/usr/bin/python3 "$here/make_corpus.py" "$work/unsealed" "$per_shape")
EOF
probes=$(cd "$here" && /usr/bin/python3 make_probes.py "$work/unsealed")
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
        for mode in $modes; do
            # A message the sealer refuses (message/partial) goes on as it
            # was, as the milter passes it on; any other failure is one.
            if ! "$sign" -m "$mode" -k "$work/impact.private" -d example.test -s impact \
                < "$work/unsealed/$name" > "$work/$mode/$name" 2> "$work/out/sign.$k"; then
                grep -q 'not sealing: message-partial' "$work/out/sign.$k" || { cat "$work/out/sign.$k" >&2; return 1; }
                cp "$work/unsealed/$name" "$work/$mode/$name"
            fi
        done
    done < "$work/list.$k"
    for side in unsealed $modes; do
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
env HOME="$work/home" LC_ALL=C perl "$here/sa_score.pl" "$work/sa-rules" --top-rules > "$work/top-rules.txt"

for side in unsealed $modes; do
    cat "$work"/out/"$side".? > "$results/$side.txt"
done
cp "$work/top-rules.txt" "$results/top-rules.txt"
total=$((messages + probes))
echo "$total" > "$results/counts"
echo "scored $messages messages of $shapes shapes and $probes probes, unsealed and sealed in 3 modes" \
    "($((4 * total)) scans); $(wc -l < "$results/top-rules.txt") rules read the top-level MIME fields;" \
    "network namespace: ${netns:-none available, look-ups blocked by sa_score.pl}; $jobs jobs;" \
    "$(($(date +%s) - start)) s"
