// bounce_classify.cpp - is a message a bounce, a delay notice, an
// auto-reply, a feedback report, or ordinary mail?
//
// Evidence comes from the MTA's layers only, as bounce_header.cpp and
// bounce_layers.cpp gathered them into an MtaView: the bounce's own header
// (null envelope sender, MAILER-DAEMON or postmaster as From, bounce
// subjects, Auto-Submitted), its own report structure (multipart/report,
// its delivery-status part) and its own first text up to where the returned
// copy starts (the phrases of non-standard NDRs). Nothing here touches
// GMime: classify() cannot look into the returned copy, which in
// backscatter is the forger's. The phrase lists are the one place that
// knows MTAs by their wording; finding the returned copy does not depend on
// them. This file neither reads the message nor judges seals.
#include <algorithm>
#include <array>

#include "bounce_internal.hpp"
#include "bounceseal/address.hpp"
#include "bounceseal/encoding.hpp"
#include "bounceseal/text.hpp"

namespace bounceseal::bounce_detail {
namespace {

// Subjects of non-delivery reports, lower case, matched anywhere.
constexpr std::array kBounceSubjects = {
    "undeliverable",          "undelivered",           "returned mail",
    "returning message",      "returned to sender",    "delivery status notification",
    "failure notice",         "mail delivery failed",  "delivery failure",
    "delivery failed",        "delivery has failed",   "failed delivery",
    "failure delivery",       "could not be delivered", "couldn't be delivered",
    "non-delivery",           "nondeliverable",        "non deliverable",
    "mail system error",      "delivery problem",
    "see transcript for details", "error sending your mail", "message you sent blocked",
    "mail failed",
    "postmaster notify",      "are not member",        "loop alert",
};

// Subjects of delay notices, lower case.
constexpr std::array kDelaySubjects = {
    "delayed mail", "delivery delayed", "has been delayed", "(delay)",
    "notification: delayed", "mail delivery delayed", "could not send mail for past",
    "could not send message for past", "warning: could not send", "still being retried",
};

// Phrases of NDR texts, lower case; counted only for a null sender or a
// mailer daemon as From, since people and shops write them too.
constexpr std::array kBounceText = {
    "this is the qmail-send program",
    "this is the mail system at host",
    "created automatically by mail delivery software",
    "wasn't able to deliver",
    "could not be delivered",
    "couldn't be delivered",
    "delivery to the following recipient",
    "delivery has failed to these recipients",
    "did not reach some or all",
    "permanent fatal errors",
    "transcript of session follows",
    "the original message was received at",
    "below this line is a copy of the message",
    "unsent message follows",
    "returned message",
    "permanent error",
    "failed permanently",
    "user unknown",
    "no such user",
    "invalid user address",
    "not a member of this mailing list",
    "undeliverable",
};

// Amazon SES bounce notifications, plain and inside an SNS envelope: as
// specific as a DSN part, so a robot sender is enough.
constexpr std::array kSesBounce = {
    "\"notificationtype\":\"bounce\"",
    "\\\"notificationtype\\\":\\\"bounce\\\"",
};

// Subjects of auto-replies, lower case, matched at the start.
constexpr std::array kAutoReplySubjects = {
    "auto:", "automatic reply", "autoreply", "auto-reply", "auto reply", "autoresponse",
    "auto response", "auto-response", "out of office", "out of the office", "away from",
    "vacation", "abwesenheit",
};

// `hay` is lower case already, like every phrase of the lists.
bool any_in(std::string_view hay, const auto& needles) {
    return std::any_of(std::begin(needles), std::end(needles),
                       [&](const char* n) { return hay.find(n) != std::string_view::npos; });
}

// Who sent it, by the header facts alone: a null sender, a mailer daemon,
// a robot.

// The null sender, or a name MTAs write in its place in a From_ line or a
// Return-Path: "MAILER-DAEMON" (with or without a domain), "null".
bool names_null_sender(const std::string& envelope) {
    if (is_null_address(envelope)) return true;
    const std::string a = normalize_address(envelope);
    const std::string local = a.substr(0, a.find('@'));
    return a == "null" || local == "mailer-daemon" || local == "mailer_daemon";
}


bool mailer_from(const HeaderFacts& f) {
    static constexpr std::array kMailers = {
        "mailer-daemon", "mailer_daemon", "mailerdaemon", "mailer daemon", "postmaster",
        "post_master",   "mail delivery", "mail.delivery", "<>",           "mail administrator",
    };
    return any_in(f.from, kMailers);
}

// A sender that no person answers from: lists, robots, notification systems.
bool robot_from(const HeaderFacts& f) {
    std::string addr = f.from;
    std::size_t lt = addr.rfind('<');
    if (lt != std::string::npos) addr = addr.substr(lt + 1);
    std::string local = addr.substr(0, addr.find('@'));
    static constexpr std::array kRobots = {"no-reply", "noreply", "do-not-reply", "donotreply", "-admin",
                                           "owner-",   "-owner",  "-bounces",     "-request"};
    return any_in(local, kRobots);
}

// A bounce subject counts only from an automatic sender: people write
// "delivery failed" too, and a person's reply to a bounce, or forward of
// one, is a person's message.
bool subject_says_bounce(const HeaderFacts& f, bool automatic) {
    return automatic && (any_in(f.subject, kBounceSubjects) || any_in(f.subject, kDelaySubjects));
}

bool auto_reply(const HeaderFacts& f) {
    if (f.auto_submitted.starts_with("auto-replied") || f.autoreply_field) return true;
    return std::any_of(kAutoReplySubjects.begin(), kAutoReplySubjects.end(),
                       [&](const char* s) { return f.subject.starts_with(s); });
}

Classification bounce(std::string why, bool delay = false) {
    return Classification{delay ? MessageKind::delay : MessageKind::bounce, std::move(why)};
}

Classification dsn_kind(const MtaView& v) {
    if (v.delayed && !v.failed) return bounce("delivery status notification, Action: delayed", true);
    return bounce(std::string("delivery status notification") + (v.failed ? ", Action: failed" : ""));
}

}  // namespace

bool null_sender(const HeaderFacts& f) {
    if (f.envelope && names_null_sender(*f.envelope)) return true;
    return std::any_of(f.return_paths.begin(), f.return_paths.end(), names_null_sender);
}

Classification classify(const MtaView& v, bool sealed_mail) {
    const HeaderFacts& h = v.header;
    const bool null = null_sender(h);
    const bool mailer = mailer_from(h);
    const bool automatic = null || mailer || robot_from(h) ||
                           (!h.auto_submitted.empty() && !h.auto_submitted.starts_with("no"));
    const bool dsn = h.report_type == "delivery-status" || h.report_type == "global-delivery-status" ||
                     v.delivery_status;
    const bool bounce_subject = subject_says_bounce(h, automatic);
    const bool ndr_words = any_in(v.leading_text, kBounceText);
    const bool delay_subject = any_in(h.subject, kDelaySubjects);
    // Our milter never seals null-sender mail: a seal on top of one is
    // copied, and proves nothing.
    if (sealed_mail && !null)
        return {MessageKind::ordinary, "its own Bounce-Seal field verifies: sealed mail of ours, not a bounce"};
    // A null sender with the MTA's own evidence of a bounce outranks any
    // label of another report kind: a bounce carries someone else's
    // message, whose parts could otherwise lend it that label.
    if (null && dsn) return dsn_kind(v);
    if (null && (mailer || bounce_subject || ndr_words)) {
        const char* why = mailer           ? "null sender, From: a mailer daemon or postmaster"
                          : bounce_subject ? "null sender, subject of a non-delivery report"
                                           : "null sender, in the words of a non-delivery report";
        return bounce(why, delay_subject);
    }
    if (h.report_type == "feedback-report" || v.feedback)
        return {MessageKind::feedback_report, "feedback report (RFC 5965)"};
    if (dsn) return dsn_kind(v);
    if (h.report_type == "disposition-notification" || v.disposition)
        return {MessageKind::auto_reply, "disposition notification (read receipt)"};
    if (bounce_subject) return bounce("subject of a non-delivery report", delay_subject);
    if (mailer) return bounce("From: a mailer daemon or postmaster");
    if (automatic && any_in(v.leading_text, kSesBounce)) return bounce("Amazon SES bounce notification");
    if (auto_reply(h)) return {MessageKind::auto_reply, "auto-reply (RFC 3834 or vacation)"};
    if (automatic && v.copy != CopyShape::none) return bounce("automatic message returning a copy of a message");
    // RFC 5321 4.5.5 reserves the null sender for notifications, but
    // newsletters and calendar systems use it too: a null sender alone,
    // with nothing returned and no word of a bounce, is not a bounce. A
    // forger cannot make a real bounce look like that: its words and the
    // place of its copy are the MTA's.
    if (null) return {MessageKind::ordinary, "null envelope sender, but no report, no bounce words, nothing returned"};
    return {MessageKind::ordinary, "no sign of an automatic notification"};
}

Classification classify_header_only(std::string_view raw) {
    MtaView v;
    v.header = header_facts_of_text(raw);
    Classification c = classify(v, false);
    c.why += " (judged by the header alone)";
    return c;
}

}  // namespace bounceseal::bounce_detail
