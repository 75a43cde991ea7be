// callbacks.cpp - the xxfi_* adapters (see callbacks.hpp).
//
// Stage by stage: negotiation checks the actions and turns off what the
// milter does not need; CONNECT records the client; MAIL FROM takes the
// configuration snapshot and makes the policy decision; the header fields
// and the body are buffered while the message is to be sealed; end of
// header runs the format prechecks; end of message seals. A skip ends the
// milter's part in a message with SMFIS_ACCEPT as soon as the queue id is
// known for the log line. No exception leaves a callback.
#include "callbacks.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <spdlog/spdlog.h>

#include "bounceseal/common/log.hpp"
#include "bounceseal/error.hpp"
#include "counters.hpp"
#include "message_context.hpp"
#include "reload.hpp"
#include "sealer.hpp"

namespace bounceseal::milter {
namespace {

RuntimeStore* g_store = nullptr;
std::atomic<std::size_t> g_open_connections{0};

// The gate of close_callbacks(): a callback counts itself in before it
// looks at g_closed, so once close_callbacks() has seen the count at zero
// with g_closed set, no callback can still reach shared state.
std::atomic<int> g_running{0};
std::atomic<bool> g_closed{false};

class Gate {
public:
    Gate() noexcept { g_running.fetch_add(1); }
    ~Gate() { g_running.fetch_sub(1); }
    Gate(const Gate&) = delete;
    Gate& operator=(const Gate&) = delete;
    bool closed() const noexcept { return g_closed.load(); }
};

// Stages and replies the milter does without. HDR_LEADSPC is asked for
// only when offered; the NR_* flags are also offered by libmilter itself,
// which then fakes them for an MTA without them.
constexpr unsigned long kWantedProtocol = SMFIP_NOHELO | SMFIP_NORCPT | SMFIP_NOUNKNOWN | SMFIP_NODATA |
                                          SMFIP_NR_CONN | SMFIP_NR_HDR | SMFIP_HDR_LEADSPC;

struct Connection {
    unsigned long protocol = 0;  // SMFIP_* in force
    bool negotiated = false;     // false: `protocol` is unknown (see NegotiationMemo)
    ClientAddress client = ClientAddress::from_sockaddr(nullptr);
    std::string daemon_name;
    std::unique_ptr<MessageContext> message;

    bool leading_space() const { return (protocol & SMFIP_HDR_LEADSPC) != 0; }
    // The reply of a stage whose reply may have been negotiated away.
    sfsistat no_reply(unsigned long nr_flag) const {
        return (protocol & nr_flag) != 0 ? SMFIS_NOREPLY : SMFIS_CONTINUE;
    }
};

// After SMFIC_QUIT_NC ("quit, a new connection follows") libmilter calls
// xxfi_close and then starts the next connection on the same context
// without negotiating again. The negotiated flags are kept here from each
// close to the next connect. Entries of contexts that really ended are
// never asked for again; the table is emptied when it grows large.
class NegotiationMemo {
public:
    void remember(const SMFICTX* ctx, unsigned long protocol) {
        std::lock_guard lock(mutex_);
        if (flags_.size() >= kMaxEntries) flags_.clear();
        flags_[ctx] = protocol;
    }
    void forget(const SMFICTX* ctx) {
        std::lock_guard lock(mutex_);
        flags_.erase(ctx);
    }
    std::optional<unsigned long> recall(const SMFICTX* ctx) {
        std::lock_guard lock(mutex_);
        auto it = flags_.find(ctx);
        if (it == flags_.end()) return std::nullopt;
        const unsigned long protocol = it->second;
        flags_.erase(it);
        return protocol;
    }

private:
    static constexpr std::size_t kMaxEntries = 4096;
    std::mutex mutex_;
    std::unordered_map<const SMFICTX*, unsigned long> flags_;
};

NegotiationMemo g_memo;

Connection* connection(SMFICTX* ctx) { return static_cast<Connection*>(smfi_getpriv(ctx)); }

Connection& ensure_connection(SMFICTX* ctx) {
    if (Connection* c = connection(ctx)) return *c;
    auto owned = std::make_unique<Connection>();
    if (auto protocol = g_memo.recall(ctx)) {  // a connection after SMFIC_QUIT_NC
        owned->protocol = *protocol;
        owned->negotiated = true;
    }
    smfi_setpriv(ctx, owned.get());
    ++g_open_connections;
    return *owned.release();  // owned by the context until on_close()
}

std::string macro(SMFICTX* ctx, const char* name) {
    const char* v = smfi_getsymval(ctx, const_cast<char*>(name));
    return v != nullptr ? std::string(v) : std::string();
}

void refresh_queue_id(SMFICTX* ctx, MessageContext& m) {
    if (!m.has_queue_id()) m.set_queue_id(smfi_getsymval(ctx, const_cast<char*>("i")));
}

std::string qid(const MessageContext& m) { return log_safe(m.queue_id(), 40); }

void set_tempfail_reply(SMFICTX* ctx) {
    std::string code = "451", xcode = "4.7.1", text = "bounceseal: the message cannot be sealed now; try again later";
    smfi_setreply(ctx, code.data(), xcode.data(), text.data());
}

// Logs a skip once (when the queue id is known, or `force`) and ends the
// milter's part in the message. Returns the reply for a replying stage.
sfsistat finish_skip(MessageContext& m, bool force) {
    if (!m.logged && (m.has_queue_id() || force)) {
        spdlog::info("{}: skipped: {}", qid(m), m.skip_reason);
        milter_counters().increment(m.skip_counter);
        m.logged = true;
    }
    return m.logged ? SMFIS_ACCEPT : SMFIS_CONTINUE;
}

// An internal error with nothing sent to the MTA: OnError decides.
sfsistat fail_unmodified(SMFICTX* ctx, Connection& c, std::string what) {
    MessageContext* m = c.message.get();
    const std::string id = m ? qid(*m) : std::string("NOQUEUE");
    milter_counters().increment(Counter::errors);
    const std::shared_ptr<const Runtime> runtime = m != nullptr ? m->runtime_ptr() : g_store->get();
    const bool tempfail = runtime && runtime->settings.on_error == MilterSettings::OnError::tempfail;
    c.message.reset();
    if (tempfail) {
        spdlog::error("{}: error: {} (tempfail)", id, log_safe(what, 400));
        milter_counters().increment(Counter::tempfails);
        set_tempfail_reply(ctx);
        return SMFIS_TEMPFAIL;
    }
    spdlog::error("{}: error: {} (passed unmodified)", id, log_safe(what, 400));
    return SMFIS_ACCEPT;
}

// Runs a callback body. An exception becomes an OnError decision; at a
// stage whose reply was negotiated away (`nr_flag`) it marks the message
// failed, and the next stage that replies applies OnError.
template <typename F>
sfsistat guarded(SMFICTX* ctx, const char* stage, unsigned long nr_flag, F&& body) noexcept {
    const Gate gate;
    if (gate.closed()) return SMFIS_TEMPFAIL;
    try {
        try {
            return body();
        } catch (const std::exception& e) {
            const std::string what = std::string(stage) + ": " + e.what();
            Connection* c = connection(ctx);
            if (c == nullptr) {
                spdlog::error("NOQUEUE: error: {}", log_safe(what, 400));
                milter_counters().increment(Counter::errors);
                return SMFIS_TEMPFAIL;
            }
            if (nr_flag != 0 && (c->protocol & nr_flag) != 0) {
                if (c->message) {
                    c->message->fail(what);
                } else {
                    spdlog::error("NOQUEUE: error: {}", log_safe(what, 400));
                    milter_counters().increment(Counter::errors);
                }
                return SMFIS_NOREPLY;
            }
            return fail_unmodified(ctx, *c, what);
        }
    } catch (...) {
        return SMFIS_TEMPFAIL;  // logging itself failed: be safe
    }
}

class MilterEditor final : public MessageEditor {
public:
    explicit MilterEditor(SMFICTX* ctx) : ctx_(ctx) {}
    bool add_header(const std::string& name, const std::string& value) override {
        return smfi_addheader(ctx_, const_cast<char*>(name.c_str()), const_cast<char*>(value.c_str())) == MI_SUCCESS;
    }
    bool change_header(const std::string& name, int index, const std::string* value) override {
        return smfi_chgheader(ctx_, const_cast<char*>(name.c_str()), index,
                              value ? const_cast<char*>(value->c_str()) : nullptr) == MI_SUCCESS;
    }
    bool replace_body(std::string_view chunk) override {
        auto* data = reinterpret_cast<unsigned char*>(const_cast<char*>(chunk.data()));
        return smfi_replacebody(ctx_, data, static_cast<int>(chunk.size())) == MI_SUCCESS;
    }

private:
    SMFICTX* ctx_;
};

sfsistat on_negotiate(SMFICTX* ctx, unsigned long f0, unsigned long f1, unsigned long, unsigned long,
                      unsigned long* pf0, unsigned long* pf1, unsigned long* pf2, unsigned long* pf3) {
    return guarded(ctx, "negotiate", 0, [&]() -> sfsistat {
        if ((f0 & kRequiredActions) != kRequiredActions) {
            spdlog::error(
                "negotiation refused: the MTA offers milter actions 0x{:x} but bounceseal needs 0x{:x} "
                "(add header, change header, replace body); no mail is sealed on this connection",
                f0, kRequiredActions);
            return SMFIS_REJECT;
        }
        *pf0 = kRequiredActions;
        *pf1 = (*pf1 | kWantedProtocol) & f1;
        *pf2 = 0;
        *pf3 = 0;
        g_memo.forget(ctx);
        Connection& c = ensure_connection(ctx);
        c.protocol = *pf1;
        c.negotiated = true;
        spdlog::debug("negotiated actions 0x{:x} protocol 0x{:x} (MTA offered 0x{:x}, 0x{:x})", *pf0, *pf1, f0, f1);
        return SMFIS_CONTINUE;
    });
}

sfsistat on_connect(SMFICTX* ctx, char* hostname, _SOCK_ADDR* address) {
    return guarded(ctx, "connect", SMFIP_NR_CONN, [&]() -> sfsistat {
        Connection& c = ensure_connection(ctx);
        c.client = ClientAddress::from_sockaddr(address);
        c.daemon_name = macro(ctx, "{daemon_name}");
        milter_counters().increment(Counter::connections);
        spdlog::debug("connect from {} [{}]", log_safe(hostname ? hostname : ""), log_safe(c.client.text));
        return c.no_reply(SMFIP_NR_CONN);
    });
}

sfsistat on_envfrom(SMFICTX* ctx, char** argv) {
    return guarded(ctx, "MAIL FROM", 0, [&]() -> sfsistat {
        Connection& c = ensure_connection(ctx);
        std::shared_ptr<const Runtime> runtime = g_store->get();
        c.message = std::make_unique<MessageContext>(runtime);
        MessageContext& m = *c.message;
        milter_counters().increment(Counter::messages);
        m.set_queue_id(smfi_getsymval(ctx, const_cast<char*>("i")));

        std::vector<std::string> esmtp;
        if (argv != nullptr && argv[0] != nullptr) {
            m.envelope.sender = argv[0];
            for (char** a = argv + 1; *a != nullptr; ++a) esmtp.emplace_back(*a);
        }
        m.envelope.client = c.client;
        m.envelope.auth_authen = macro(ctx, "{auth_authen}");
        m.envelope.daemon_name = c.daemon_name.empty() ? macro(ctx, "{daemon_name}") : c.daemon_name;
        m.size_hint = size_parameter(esmtp);
        if (!m.size_hint) m.size_hint = parse_size(macro(ctx, "{msg_size}"));

        m.decision = runtime->policy.decide(m.envelope);
        if (!m.decision.seal()) {
            m.skip(skip_counter_of(m.decision.verdict).value(), m.decision.detail);
            return finish_skip(m, false);
        }
        if (m.announced_too_large()) {
            m.skip(Counter::skipped_too_large, "too large: announced size " + std::to_string(*m.size_hint) +
                                                   " > MaxMessageSize " + std::to_string(m.max_size()));
            return finish_skip(m, false);
        }
        if (!c.negotiated)
            throw Error(Errc::usage, "the negotiated protocol of this reused connection is unknown");
        return SMFIS_CONTINUE;
    });
}

sfsistat on_header(SMFICTX* ctx, char* name, char* value) {
    return guarded(ctx, "header", SMFIP_NR_HDR, [&]() -> sfsistat {
        Connection& c = ensure_connection(ctx);
        MessageContext* m = c.message.get();
        if (m == nullptr || m->state != MessageContext::State::collecting) return c.no_reply(SMFIP_NR_HDR);
        // Without HDR_LEADSPC the MTA dropped one leading space: put it back,
        // so values are as they follow the colon (seal.hpp's HeaderField).
        std::string v = value ? value : "";
        if (!c.leading_space()) v.insert(0, 1, ' ');
        if (!m->add_header(name ? name : "", std::move(v)))
            m->skip(Counter::skipped_too_large,
                    "too large: header over MaxMessageSize " + std::to_string(m->max_size()));
        return c.no_reply(SMFIP_NR_HDR);
    });
}

sfsistat on_eoh(SMFICTX* ctx) {
    return guarded(ctx, "end of header", 0, [&]() -> sfsistat {
        Connection& c = ensure_connection(ctx);
        MessageContext* m = c.message.get();
        if (m == nullptr) return SMFIS_CONTINUE;
        refresh_queue_id(ctx, *m);
        if (m->state == MessageContext::State::failed) return fail_unmodified(ctx, c, m->error);
        if (m->state == MessageContext::State::skipped) return finish_skip(*m, true);
        if (auto why = seal_precheck(m->headers(), m->runtime().key.domain)) {
            if (why->reason == SkipReason::already_sealed)
                m->skip(Counter::skipped_already_sealed, "already sealed by " + m->runtime().key.domain);
            else
                m->skip(Counter::skipped_message_partial, "message/partial");
            return finish_skip(*m, true);
        }
        m->prepare_body();
        return SMFIS_CONTINUE;
    });
}

sfsistat on_body(SMFICTX* ctx, unsigned char* data, size_t len) {
    return guarded(ctx, "body", 0, [&]() -> sfsistat {
        Connection& c = ensure_connection(ctx);
        MessageContext* m = c.message.get();
        if (m == nullptr || m->state != MessageContext::State::collecting) return SMFIS_CONTINUE;
        if (!m->append_body(reinterpret_cast<const char*>(data), len)) {
            refresh_queue_id(ctx, *m);
            m->skip(Counter::skipped_too_large, "too large: over MaxMessageSize " + std::to_string(m->max_size()));
            return finish_skip(*m, true);
        }
        return SMFIS_CONTINUE;
    });
}

sfsistat on_eom(SMFICTX* ctx) {
    return guarded(ctx, "end of message", 0, [&]() -> sfsistat {
        Connection& c = ensure_connection(ctx);
        if (!c.message) return SMFIS_CONTINUE;
        // The message ends here whatever happens (fail_unmodified() may
        // already have released it).
        struct Release {
            Connection& c;
            ~Release() { c.message.reset(); }
        } release{c};
        MessageContext& m = *c.message;
        refresh_queue_id(ctx, m);
        if (m.state == MessageContext::State::skipped) {
            finish_skip(m, true);
            return SMFIS_CONTINUE;
        }
        if (m.state == MessageContext::State::failed) return fail_unmodified(ctx, c, m.error);

        MilterEditor editor(ctx);
        const SealInput input{m.headers(), m.body(), m.envelope.sender, c.leading_space()};
        const SealOutcome out = seal_message(m.runtime(), input, editor);
        switch (out.status) {
        case SealOutcome::Status::sealed:
            milter_counters().increment(Counter::sealed);
            spdlog::info("{}: sealed ({}) size={} ms={:.1f} s={} d={} via={}", qid(m), out.shape, m.size(),
                         out.milliseconds, m.runtime().key.selector, m.runtime().key.domain,
                         verdict_name(m.decision.verdict));
            return SMFIS_CONTINUE;
        case SealOutcome::Status::too_complex:
            m.skip(Counter::skipped_too_complex, "too complex to seal: " + out.error);
            finish_skip(m, true);
            return SMFIS_CONTINUE;
        case SealOutcome::Status::already_sealed:
            m.skip(Counter::skipped_already_sealed, "already sealed by " + m.runtime().key.domain + " (seal parts)");
            finish_skip(m, true);
            return SMFIS_CONTINUE;
        case SealOutcome::Status::plan_failed:
            return fail_unmodified(ctx, c, out.error);
        case SealOutcome::Status::send_failed:
            break;
        }
        // Some changes may have reached the MTA: never accept that message.
        milter_counters().increment(Counter::errors);
        milter_counters().increment(Counter::tempfails);
        spdlog::error("{}: error: {} after {} changes (tempfail)", qid(m), log_safe(out.error), out.changes);
        set_tempfail_reply(ctx);
        return SMFIS_TEMPFAIL;
    });
}

sfsistat on_abort(SMFICTX* ctx) {
    const Gate gate;
    if (Connection* c = connection(ctx)) {
        try {
            if (c->message && !gate.closed()) spdlog::debug("{}: transaction aborted by the MTA", qid(*c->message));
        } catch (...) {
        }
        c->message.reset();
    }
    return SMFIS_CONTINUE;
}

sfsistat on_close(SMFICTX* ctx) {
    const Gate gate;
    std::unique_ptr<Connection> owned(connection(ctx));
    smfi_setpriv(ctx, nullptr);
    if (owned) --g_open_connections;
    try {
        if (owned && owned->negotiated && !gate.closed()) g_memo.remember(ctx, owned->protocol);
    } catch (...) {
        // Out of memory: a reused connection then refuses to seal.
    }
    return SMFIS_CONTINUE;
}

}  // namespace

std::size_t open_connections() { return g_open_connections.load(); }

void close_callbacks(std::chrono::milliseconds limit) {
    g_closed = true;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (g_running.load() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

smfiDesc filter_description(RuntimeStore& store) {
    g_store = &store;
    static char name[] = "bounceseal";
    smfiDesc d{};
    d.xxfi_name = name;
    d.xxfi_version = SMFI_VERSION;
    d.xxfi_flags = kRequiredActions;
    d.xxfi_connect = on_connect;
    d.xxfi_helo = nullptr;
    d.xxfi_envfrom = on_envfrom;
    d.xxfi_envrcpt = nullptr;
    d.xxfi_header = on_header;
    d.xxfi_eoh = on_eoh;
    d.xxfi_body = on_body;
    d.xxfi_eom = on_eom;
    d.xxfi_abort = on_abort;
    d.xxfi_close = on_close;
    d.xxfi_unknown = nullptr;
    d.xxfi_data = nullptr;
    d.xxfi_negotiate = on_negotiate;
    return d;
}

}  // namespace bounceseal::milter
