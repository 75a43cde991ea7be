// signer.hpp - the signer process: the one process of bounceseal-milter
// that ever holds the private key.
//
// The daemon forks it before any message is parsed, before any thread is
// started and before anything gives up root. From the fork on it runs its
// own code only: it keeps no descriptor but its end of a socketpair, takes
// the key file's owner as its user and gives up everything else
// (sandbox.hpp), loads the key, greets the worker with its identity and then
// answers one request at a time (signer_protocol.hpp). It signs a record text
// that the core's strict parser accepts, in canonical form, naming its own
// d= and s=, dated within kMaxClockDistance of its own clock, and nothing
// else; at a reload request it reads the configuration file and the key
// again. It never touches GMime or libmilter, logs nothing (the worker logs
// its answers), and exits when the worker closes its end (also when the
// worker dies: the kernel closes it) or, by its own alarm, when a request
// takes longer than the worker waits for it (kSignerTimeout).
//
// What a worker taken over through a MIME parsing flaw can get from it is a
// seal of this signer over a message it chooses, dated now: not the key,
// and not a seal dated to become valid later.
#pragma once

#include <cstdint>

#include <sys/types.h>

#include "bounceseal/common/config.hpp"
#include "bounceseal/keys.hpp"
#include "sandbox.hpp"

namespace bounceseal::milter {

// How far a record's t= may be from the signer's clock: the verifiers'
// default ClockSkew. The worker states the time of sealing, a moment before
// it asks.
inline constexpr std::int64_t kMaxClockDistance = 300;

struct SignerProcess {
    pid_t pid = -1;
    int fd = -1;  // the worker's end of the socketpair, close-on-exec
};

// Forks the signer with `credentials`; the child loads the key `settings`
// names and, at reload requests, reads the configuration again as
// `options` say. Never returns in the child. Throws Error(Errc::io) when
// the socketpair or the fork fails; whether the key could be loaded comes
// in the signer's first message (SignerClient::hello()).
SignerProcess start_signer(const LoadOptions& options, const MilterSettings& settings,
                           const SignerCredentials& credentials);

// The private key named by KeyFile (refused when RequireSafeKeys is on and
// group or other may access it), after checking Domain and Selector: the
// only place the milter reads a private key. Throws Error whose message
// starts with the name of the setting at fault ("KeyFile: /etc/...: ...").
PrivateKey load_signing_key(const MilterSettings& settings);

}  // namespace bounceseal::milter
