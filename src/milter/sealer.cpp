// sealer.cpp - plan_seal() and sending its plan through a MessageEditor
// (see sealer.hpp). Header values are adjusted for the leading-space
// convention; the new body goes out in chunks of kBodyChunk bytes (the
// last one shorter), whole chunks of the original straight from the
// buffer, without building the new body in memory.
#include "sealer.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <variant>

#include "bounceseal/error.hpp"
#include "reload.hpp"

namespace bounceseal::milter {
namespace {

std::string for_mta(const std::string& value, bool leading_space) {
    if (!leading_space && !value.empty() && value.front() == ' ') return value.substr(1);
    return value;
}

// Wraps an editor so that the second call fails: for BOUNCESEAL_FAULT=apply.
class FailingEditor final : public MessageEditor {
public:
    explicit FailingEditor(MessageEditor& inner) : inner_(inner) {}
    bool add_header(const std::string& name, const std::string& value) override {
        return ok() && inner_.add_header(name, value);
    }
    bool change_header(const std::string& name, int index, const std::string* value) override {
        return ok() && inner_.change_header(name, index, value);
    }
    bool replace_body(std::string_view chunk) override { return ok() && inner_.replace_body(chunk); }

private:
    bool ok() { return ++calls_ < 2; }
    MessageEditor& inner_;
    int calls_ = 0;
};

// Sends the plan; returns false at the first change the MTA did not take.
bool send_plan(const SealPlan& plan, const SealInput& in, MessageEditor& editor, SealOutcome& out) {
    for (const HeaderChange& c : plan.header_changes) {
        bool ok = false;
        switch (c.kind) {
        case HeaderChange::Kind::add: ok = editor.add_header(c.name, for_mta(c.value, in.leading_space)); break;
        case HeaderChange::Kind::change: {
            const std::string v = for_mta(c.value, in.leading_space);
            ok = editor.change_header(c.name, c.index, &v);
            break;
        }
        case HeaderChange::Kind::remove: ok = editor.change_header(c.name, c.index, nullptr); break;
        }
        if (!ok) {
            out.error = "the MTA did not take the change of header field " + c.name;
            return false;
        }
        ++out.changes;
    }
    if (!plan.replace_body) return true;
    // Every piece is a packet of its own to the MTA: send full chunks, the
    // short segments of a plan (the wrap's head, the seal parts) gathered
    // into one with their neighbours. Whole chunks of the original go out
    // from the buffer as they are; only the bytes around a segment's edge
    // are copied.
    std::string gathered;
    auto flush = [&](std::string_view chunk) {
        if (editor.replace_body(chunk)) {
            ++out.changes;
            return true;
        }
        out.error = "the MTA did not take the new body";
        return false;
    };
    for (const BodySegment& s : plan.body) {
        std::string_view data = s.from_original ? in.body.substr(s.offset, s.length) : std::string_view(s.owned);
        while (!data.empty()) {
            if (gathered.empty() && data.size() >= kBodyChunk) {
                if (!flush(data.substr(0, kBodyChunk))) return false;
                data.remove_prefix(kBodyChunk);
                continue;
            }
            const std::size_t take = std::min(data.size(), kBodyChunk - gathered.size());
            gathered.append(data.substr(0, take));
            data.remove_prefix(take);
            if (gathered.size() == kBodyChunk) {
                if (!flush(gathered)) return false;
                gathered.clear();
            }
        }
    }
    return gathered.empty() || flush(gathered);
}

}  // namespace

Fault injected_fault() {
#ifdef BOUNCESEAL_FAULT_INJECTION
    static const Fault fault = [] {
        const char* v = std::getenv("BOUNCESEAL_FAULT");
        if (v == nullptr) return Fault::none;
        if (std::strcmp(v, "plan") == 0) return Fault::plan;
        if (std::strcmp(v, "apply") == 0) return Fault::apply;
        return Fault::none;
    }();
    return fault;
#else
    return Fault::none;
#endif
}

SealOutcome seal_message(const Runtime& runtime, const SealInput& in, MessageEditor& editor) {
    const auto start = std::chrono::steady_clock::now();
    SealOutcome out;
    auto finish = [&](SealOutcome::Status status) {
        out.status = status;
        out.milliseconds =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        return out;
    };

    // 1. Plan. Nothing has been sent yet: any failure leaves the message as it was.
    SealResult planned;
    try {
        if (injected_fault() == Fault::plan) throw Error(Errc::usage, "fault injected (BOUNCESEAL_FAULT=plan)");
        SealOptions options;
        options.mode = runtime.settings.seal_mode;
        options.limits = kSealLimits;
        planned = plan_seal(in.headers, in.body, in.envelope_sender, runtime.key, options);
    } catch (const Error& e) {
        out.error = std::string(errc_name(e.code())) + ": " + e.what();
        return finish(SealOutcome::Status::plan_failed);
    } catch (const std::bad_alloc&) {
        out.error = "out of memory";
        return finish(SealOutcome::Status::plan_failed);
    } catch (const std::exception& e) {
        out.error = e.what();
        return finish(SealOutcome::Status::plan_failed);
    }
    if (const SealSkip* skip = std::get_if<SealSkip>(&planned)) {
        switch (skip->reason) {
        case SkipReason::too_complex:
            out.error = "limit: " + skip->detail;  // as the log line has always read
            return finish(SealOutcome::Status::too_complex);
        case SkipReason::already_sealed:
            out.error = skip->detail;
            return finish(SealOutcome::Status::already_sealed);
        case SkipReason::message_partial:
            // seal_precheck()'s reason, which the milter asks at the end of
            // the header (callbacks.cpp) and plan_seal() never gives.
            out.error = skip->detail;
            return finish(SealOutcome::Status::plan_failed);
        }
    }
    const SealPlan& plan = std::get<SealPlan>(planned);
    out.shape = plan.why_header_only.empty() ? plan.shape : plan.shape + ": " + plan.why_header_only;
    if (plan.replace_body) {
        for (const BodySegment& s : plan.body) out.new_size += s.from_original ? s.length : s.owned.size();
    } else {
        out.new_size = in.body.size();
    }

    // 2. Send. From the first change on, a failure leaves a half-sealed message.
    FailingEditor failing(editor);
    MessageEditor& target = injected_fault() == Fault::apply ? static_cast<MessageEditor&>(failing) : editor;
    try {
        if (!send_plan(plan, in, target, out)) return finish(SealOutcome::Status::send_failed);
    } catch (const std::exception& e) {
        out.error = std::string("while sending changes: ") + e.what();
        return finish(SealOutcome::Status::send_failed);
    }
    return finish(SealOutcome::Status::sealed);
}

}  // namespace bounceseal::milter
