// bounce_classify.cpp - is a message a bounce, a delay notice, an
// auto-reply, a feedback report, or ordinary mail?
//
// Evidence comes from the header (null envelope sender, MAILER-DAEMON or
// postmaster as From, bounce subjects, Auto-Submitted), from the MIME
// structure (multipart/report and its delivery-status part) and from the
// first text a reader sees (the phrases of non-standard NDRs). The phrase
// lists are the one place that knows MTAs by their wording; finding the
// returned copies does not depend on them. This file does not look for the
// copies and does not judge seals.
#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

#include <gmime/gmime.h>

#include "bounce_internal.hpp"
#include "bounceseal/error.hpp"
#include "bounceseal/record.hpp"
#include "bounceseal/seal.hpp"

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

// A field longer than a line may be is no header a classifier needs to read.
constexpr std::size_t kFieldWindow = 998;

std::string decode_header_text(const std::string& raw) {
    std::unique_ptr<char, decltype(&g_free)> d(g_mime_utils_header_decode_text(nullptr, raw.c_str()), g_free);
    return d ? std::string(d.get()) : raw;
}

std::string trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return std::string(s);
}

// The facts of a top-level header block, however it was read.
struct HeaderFacts {
    std::optional<std::string> envelope;  // the mbox "From " line's sender
    std::vector<std::string> return_paths;
    std::string from;     // decoded, lower case
    std::string subject;  // decoded, lower case
    std::string report_type;
    std::string auto_submitted;  // lower case
    bool autoreply_field = false;  // X-Autoreply, X-Autorespond, Precedence: auto_reply
    bool own_seal = false;         // a Bounce-Seal field that parses
};

void add_field(HeaderFacts& f, std::string_view name, const std::string& value) {
    if (iequals(name, "Return-Path")) {
        f.return_paths.push_back(trim(value));
    } else if (iequals(name, "From")) {
        f.from = ascii_lower(decode_header_text(trim(value.substr(0, kFieldWindow))));
    } else if (iequals(name, "Subject")) {
        f.subject = ascii_lower(decode_header_text(trim(value.substr(0, kFieldWindow))));
    } else if (iequals(name, "Auto-Submitted")) {
        f.auto_submitted = ascii_lower(trim(value.substr(0, kFieldWindow)));
    } else if (iequals(name, "X-Autoreply") || iequals(name, "X-Autorespond") || iequals(name, "X-Autoresponder")) {
        f.autoreply_field = true;
    } else if (iequals(name, "Precedence")) {
        if (iequals(trim(value), "auto_reply")) f.autoreply_field = true;
    } else if (iequals(name, "Content-Type")) {
        GPtr<GMimeContentType> ct(g_mime_content_type_parse(nullptr, value.c_str()));
        const char* rt = ct ? g_mime_content_type_get_parameter(ct.get(), "report-type") : nullptr;
        if (rt != nullptr) f.report_type = ascii_lower(rt);
    } else if (iequals(name, kHeaderName)) {
        try {
            parse_header_value(value);
            f.own_seal = true;
        } catch (const Error&) {
            // Junk under our field name proves nothing either way.
        }
    }
}

void read_envelope(HeaderFacts& f, std::string_view raw) {
    if (!raw.starts_with("From ")) return;
    std::string_view rest = raw.substr(5);
    std::size_t end = rest.find_first_of(" \t\r\n");
    f.envelope = std::string(rest.substr(0, end));
}

bool is_null_address(std::string a) {
    a = ascii_lower(trim(a));
    if (a.size() >= 2 && a.front() == '<' && a.back() == '>') a = trim(a.substr(1, a.size() - 2));
    if (a.empty() || a == "null") return true;
    std::string local = a.substr(0, a.find('@'));
    return local == "mailer-daemon" || local == "mailer_daemon";
}

bool null_sender(const HeaderFacts& f) {
    if (f.envelope && is_null_address(*f.envelope)) return true;
    return std::any_of(f.return_paths.begin(), f.return_paths.end(), is_null_address);
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

bool subject_says_bounce(const HeaderFacts& f, bool automatic) {
    if (!any_in(f.subject, kBounceSubjects) && !any_in(f.subject, kDelaySubjects)) return false;
    // A person's reply to a bounce is a person's message.
    return automatic || !f.subject.starts_with("re:");
}

bool auto_reply(const HeaderFacts& f) {
    if (f.auto_submitted.starts_with("auto-replied") || f.autoreply_field) return true;
    return std::any_of(kAutoReplySubjects.begin(), kAutoReplySubjects.end(),
                       [&](const char* s) { return f.subject.starts_with(s); });
}

HeaderFacts facts_of(GMimeMessage* message, std::string_view raw) {
    HeaderFacts f;
    read_envelope(f, raw);
    GMimeHeaderList* list = g_mime_object_get_header_list(GMIME_OBJECT(message));
    int n = list ? g_mime_header_list_get_count(list) : 0;
    for (int i = 0; i < n; ++i) {
        GMimeHeader* h = g_mime_header_list_get_header_at(list, i);
        const char* v = g_mime_header_get_raw_value(h);
        add_field(f, g_mime_header_get_name(h), v ? v : "");
    }
    return f;
}

// What the MIME structure says: report parts and the recipients' actions.
struct StructureFacts {
    bool delivery_status = false;
    bool feedback = false;
    bool disposition = false;
    bool returned_part = false;  // message/rfc822, text/rfc822-headers, ...
    bool failed = false;         // some recipient's Action: failed
    bool delayed = false;        // some recipient's Action: delayed
    std::string first_text;      // what a reader sees first, decoded, lower case
};

void read_actions(GMimeObject* part, StructureFacts& s) {
    auto text = decoded_content(part, 64 * 1024);
    if (!text) return;
    std::string lower = ascii_lower(*text);
    for (std::size_t pos = 0; (pos = lower.find("action:", pos)) != std::string::npos; pos += 7) {
        if (pos != 0 && lower[pos - 1] != '\n') continue;
        std::string_view rest = std::string_view(lower).substr(pos + 7, 16);
        if (rest.find("failed") != std::string_view::npos) s.failed = true;
        if (rest.find("delayed") != std::string_view::npos) s.delayed = true;
    }
}

void look_at(GMimeObject* obj, StructureFacts& s, std::size_t depth, std::size_t& budget) {
    if (obj == nullptr || depth > 6 || budget == 0) return;
    --budget;
    std::string type = mime_type_of(obj);
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart* mp = GMIME_MULTIPART(obj);
        const char* rt = g_mime_content_type_get_parameter(g_mime_object_get_content_type(obj), "report-type");
        std::string report = rt ? ascii_lower(rt) : "";
        if (report == "delivery-status" || report == "global-delivery-status") s.delivery_status = true;
        if (report == "feedback-report") s.feedback = true;
        if (report == "disposition-notification") s.disposition = true;
        if (s.first_text.empty()) {
            const char* pro = g_mime_multipart_get_prologue(mp);
            if (pro != nullptr && std::strchr(pro, '\n') != nullptr)
                s.first_text = ascii_lower(std::string_view(pro).substr(0, 64 * 1024));
        }
        int n = g_mime_multipart_get_count(mp);
        for (int i = 0; i < n; ++i) look_at(g_mime_multipart_get_part(mp, i), s, depth + 1, budget);
    } else if (GMIME_IS_MESSAGE_PART(obj)) {
        s.returned_part = true;
        // A forwarded or wrapped bounce is still a bounce: look inside.
        GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
        if (inner != nullptr) look_at(g_mime_message_get_mime_part(inner), s, depth + 1, budget);
    } else if (type == "message/delivery-status" || type == "message/global-delivery-status") {
        s.delivery_status = true;
        read_actions(obj, s);
    } else if (type == "message/feedback-report") {
        s.feedback = true;
    } else if (type == "message/disposition-notification") {
        s.disposition = true;
    } else if (type == "text/rfc822-headers" || type == "text/rfc822-header" || type == "message/global-headers" ||
               type == "message/partial") {
        s.returned_part = true;
    } else if (s.first_text.empty() && type.starts_with("text/") && type != "text/html") {
        if (auto text = decoded_content(obj, 64 * 1024)) s.first_text = ascii_lower(*text);
    }
}

Classification decide_kind(const HeaderFacts& h, const StructureFacts& s, bool inline_copy) {
    const bool null = null_sender(h);
    const bool mailer = mailer_from(h);
    const bool automatic = null || mailer || robot_from(h) ||
                           (!h.auto_submitted.empty() && !h.auto_submitted.starts_with("no"));
    const bool delay_subject = any_in(h.subject, kDelaySubjects);
    auto bounce = [&](std::string why, bool delay = false) {
        return Classification{delay ? MessageKind::delay : MessageKind::bounce, std::move(why)};
    };
    // Our milter never seals mail with a null sender, so a null-sender
    // message with a seal on top is a forgery dressed as sealed mail.
    if (h.own_seal && !null) return {MessageKind::ordinary, "carries its own Bounce-Seal field: sealed mail, not a bounce"};
    if (h.report_type == "feedback-report" || s.feedback) return {MessageKind::feedback_report, "feedback report (RFC 5965)"};
    if (h.report_type == "delivery-status" || h.report_type == "global-delivery-status" || s.delivery_status) {
        if (s.delayed && !s.failed) return bounce("delivery status notification, Action: delayed", true);
        return bounce(std::string("delivery status notification") + (s.failed ? ", Action: failed" : ""));
    }
    if (h.report_type == "disposition-notification" || s.disposition)
        return {MessageKind::auto_reply, "disposition notification (read receipt)"};
    if (subject_says_bounce(h, automatic)) return bounce("subject of a non-delivery report", delay_subject);
    if (mailer) return bounce("From: a mailer daemon or postmaster");
    if (null && any_in(s.first_text, kBounceText)) return bounce("null sender, in the words of a non-delivery report");
    if (automatic && any_in(s.first_text, kSesBounce)) return bounce("Amazon SES bounce notification");
    if (auto_reply(h)) return {MessageKind::auto_reply, "auto-reply (RFC 3834 or vacation)"};
    if (automatic && (s.returned_part || inline_copy)) return bounce("automatic message returning a copy of a message");
    // RFC 5321 4.5.5 reserves the null sender for notifications; the ones
    // that are not bounces were recognised above. Junk sent with a null
    // sender must not escape judgement by avoiding the words of an NDR.
    if (null) return bounce("null envelope sender, and not an auto-reply or report");
    return {MessageKind::ordinary, "no sign of an automatic notification"};
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && ascii_lower(a) == ascii_lower(b);
}

std::string mime_type_of(GMimeObject* obj) {
    GMimeContentType* ct = g_mime_object_get_content_type(obj);
    if (ct == nullptr) return "text/plain";
    std::unique_ptr<char, decltype(&g_free)> t(g_mime_content_type_get_mime_type(ct), g_free);
    return t ? ascii_lower(t.get()) : std::string("text/plain");
}

Classification classify(GMimeMessage* message, std::string_view raw) {
    HeaderFacts h = facts_of(message, raw);
    StructureFacts s;
    std::size_t budget = 200;  // parts looked at: the evidence is near the top
    look_at(g_mime_message_get_mime_part(message), s, 0, budget);
    bool inline_copy = !find_inline_blocks(s.first_text, 1).empty();
    return decide_kind(h, s, inline_copy);
}

Classification classify_header_only(std::string_view raw) {
    constexpr std::size_t kHeaderWindow = 256 * 1024;  // a header block is far smaller
    HeaderFacts h;
    read_envelope(h, raw);
    mime_init();
    SplitMessage m = split_message(raw.substr(0, std::min(raw.size(), kHeaderWindow)));
    for (const auto& f : m.headers) add_field(h, f.name, f.value);
    Classification c = decide_kind(h, StructureFacts{}, false);
    c.why += " (judged by the header alone)";
    return c;
}

}  // namespace bounceseal::bounce_detail
