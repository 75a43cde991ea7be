#!/bin/sh
# mutt_screens_test.sh - what a person sees: seals an ordinary one-part text
# message with bounceseal-sign (default mode: it is wrapped, the seal parts
# after it), opens it with Mutt in a detached tmux session of fixed size,
# and checks the screens: the index, the message (the original text first,
# then the seal parts), the attachment list (the original text, then both
# seal parts with their file names and descriptions) and the record part
# opened from that list (its first line is the human intro).
#
# Mutt runs with a private muttrc (no system Muttrc, no ~/.muttrc) on a
# Maildir in a temporary directory, with no way to send mail and no network.
# With BOUNCESEAL_UPDATE_SCREENS=1 the captured screens are written to
# SCREENS_DIR (docs/impact/mutt-*.txt); otherwise the stored screens and the
# live ones are checked by pattern, not byte for byte (the seal's nonce and
# signature differ on every run). Exit 77 (skipped) without mutt or tmux.
#
# Usage: mutt_screens_test.sh SIGN_BINARY KEYGEN_BINARY SCREENS_DIR
set -eu
sign=$1 keygen=$2 screens=$3
for tool in mutt tmux; do
    if ! command -v "$tool" > /dev/null 2>&1; then
        echo "SKIP: $tool is not installed"
        exit 77
    fi
done
work=$(mktemp -d)
sock=$work/tmux.sock
cleanup() {
    tmux -S "$sock" kill-server 2> /dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
# The Maildir is ~/Mail of a private home, so that the status line shows
# "~/Mail" and no path of the machine the screens were taken on.
maildir=$work/home/Mail
mkdir -p "$maildir/cur" "$maildir/new" "$maildir/tmp" "$work/tmp"

"$keygen" -d example.test -s sel1 -D "$work" > /dev/null
# The most common message, plain text: the default SealMode wraps it in a
# new multipart/mixed with the two seal parts after it.
cat > "$work/message.eml" << 'EOF'
From: Alice Example <alice@example.test>
To: Bob Builder <bob@example.org>
Subject: Minutes of Tuesday's meeting
Date: Wed, 25 Nov 2026 10:00:00 +0000
Message-ID: <minutes.2026-11-25@example.test>
User-Agent: Mutt/2.2.12 (2023-09-09)
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
Content-Disposition: inline

Hi Bob,

the budget for the second half was approved, and the new hire starts
on the 3rd. The figures follow in my next mail.

Alice
EOF
"$sign" -t 1795600000 -k "$work/sel1.private" -d example.test -s sel1 \
    < "$work/message.eml" > "$maildir/new/1795600000.impact.example.test"

# Mutt's defaults, except: no sending, no caches, no mailcap viewers, and a
# file-name column in the attachment list (by default it shows only the
# description when there is one).
cat > "$work/muttrc" << EOF
set folder="~/Mail"
set spoolfile="~/Mail"
set mbox_type=Maildir
set record=""
set postponed="$work/postponed"
set sendmail="/bin/false"
set editor="/bin/false"
set header_cache=""
set tmpdir="$work/tmp"
set mailcap_path="/dev/null"
set charset="utf-8"
set mail_check=3600
set move=no
set mark_old=no
set quit=yes
set beep=no
set attach_format="%u%D%I %t%4n %T%-38.38d %-24.24F [%.7m/%.10M, %.6e%?C?, %C?, %s] "
ignore *
unignore from: to: cc: date: subject:
hdr_order from: to: cc: date: subject:
EOF

env -u TMUX tmux -S "$sock" -f /dev/null new-session -d -s impact -x 110 -y 44 \
    "env -i HOME='$work/home' PATH=/usr/bin:/bin LANG=C.UTF-8 TERM=screen mutt -n -F '$work/muttrc' -f '~/Mail'"

fail() {
    echo "FAIL: $*"
    exit 1
}

# screen NAME TEXT: waits (at most 20 s) until the pane shows TEXT and has
# stopped changing, and keeps it as NAME.txt. Mutt redraws in pieces; two
# equal captures in a row mean the redraw is done.
screen() {
    deadline=$(($(date +%s) + 20))
    : > "$work/prev"
    while :; do
        tmux -S "$sock" capture-pane -p -t impact > "$work/$1.txt"
        if grep -qF -- "$2" "$work/$1.txt" && cmp -s "$work/$1.txt" "$work/prev"; then
            return 0
        fi
        cp "$work/$1.txt" "$work/prev"
        [ "$(date +%s)" -lt "$deadline" ] || { cat "$work/$1.txt"; fail "no '$2' on the $1 screen within 20 s"; }
        sleep 0.1
    done
}

# has FILE TEXT...: every TEXT is on the screen in FILE.
has() {
    f=$1
    shift
    for text in "$@"; do
        grep -qF -- "$text" "$f" || { cat "$f"; fail "$(basename "$f"): no '$text'"; }
    done
}

# line_of FILE TEXT: the first line number showing TEXT.
line_of() { grep -nF -- "$2" "$1" | head -n 1 | cut -d: -f1; }

intro="Bounce seal record: lets the sender spot forged bounces. Safe to ignore."

check_index() {
    has "$1" "Alice Example" "Minutes of Tuesday's meeting" "Msgs:1"
}
check_message() {
    has "$1" "Subject: Minutes of Tuesday's meeting" "Hi Bob," \
        "[-- Attachment #2: Bounce seal record (safe to ignore) --]" \
        "[-- Attachment #3: Bounce seal signature (safe to ignore) --]"
    # The author's text comes first, the seal after it.
    [ "$(line_of "$1" "Hi Bob,")" -lt "$(line_of "$1" "Attachment #2")" ] ||
        fail "$(basename "$1"): the seal is shown before the original text"
}
check_attachments() {
    has "$1" "Mutt: Attachments" \
        "Bounce seal record (safe to ignore)" "bounceseal-record.txt" \
        "Bounce seal signature (safe to ignore)" "bounceseal-signature.txt"
    # The new multipart, the original text in it, then the record, then the
    # signature.
    grep -q '^ *I *1 .*\[text/plain' "$1" || fail "$(basename "$1"): entry 1 is not the original text part"
    grep -q '^ *I *2 Bounce seal record (safe to ignore) *bounceseal-record.txt' "$1" ||
        fail "$(basename "$1"): entry 2 is not the record part"
    grep -q '^ *I *3 Bounce seal signature (safe to ignore) *bounceseal-signature.txt' "$1" ||
        fail "$(basename "$1"): entry 3 is not the signature part"
}

screen index "Minutes of Tuesday's meeting"
check_index "$work/index.txt"
tmux -S "$sock" send-keys -t impact Enter
screen message "[-- Attachment #3:"
check_message "$work/message.txt"
tmux -S "$sock" send-keys -t impact v
screen attachments "Mutt: Attachments"
check_attachments "$work/attachments.txt"
# Entry 2, the record part, opened as a person would: it must start with
# the line that tells them what it is.
tmux -S "$sock" send-keys -t impact j Enter
screen record "hm="
[ "$(sed -n 2p "$work/record.txt")" = "$intro" ] || { cat "$work/record.txt"; fail "the record part does not open with its intro line"; }
tmux -S "$sock" send-keys -t impact q q q
echo "ok: index, message, attachment list and record part look as intended"

if [ "${BOUNCESEAL_UPDATE_SCREENS:-}" = 1 ]; then
    for s in index message attachments; do
        cp "$work/$s.txt" "$screens/mutt-$s.txt"
    done
    echo "updated $screens/mutt-{index,message,attachments}.txt"
else
    # The stored screens (docs) must still show what Mutt shows today.
    check_index "$screens/mutt-index.txt"
    check_message "$screens/mutt-message.txt"
    check_attachments "$screens/mutt-attachments.txt"
    echo "ok: the stored screens in $(basename "$screens")/ match"
fi
