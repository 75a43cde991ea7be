// callbacks.hpp - the libmilter callbacks (xxfi_*) of bounceseal-milter.
//
// They are adapters only: they translate what libmilter hands over into
// the per-connection and per-message state, ask policy.hpp whether to seal,
// let sealer.hpp do the work at end of message, and turn the outcome into
// a reply, a log line and a counter. libmilter runs one thread per MTA
// connection; each connection's state is owned by the private-data pointer
// from negotiation to xxfi_close, and shared state is only the snapshot
// store (reload.hpp) and the counters.
#pragma once

#include <chrono>
#include <cstddef>

#include <libmilter/mfapi.h>

namespace bounceseal::milter {

class RuntimeStore;

// The only actions the milter asks for: add header fields, change or
// remove them (re-wrapping moves Content-* fields), and replace the body.
inline constexpr unsigned long kRequiredActions = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY;

// The description to pass to smfi_register(). Configuration snapshots are
// taken from `store`, which must outlive smfi_main().
smfiDesc filter_description(RuntimeStore& store);

// MTA connections between their first callback and xxfi_close: what is
// left to finish when the milter stops.
std::size_t open_connections();

// Called once smfi_main() has returned, before the program tears down what
// the callbacks use: libmilter's worker threads outlive smfi_main() and may
// still run a callback (for a connection accepted as it stopped). From now
// on every callback answers at once and touches no shared state; the ones
// already running get up to `limit` to finish.
void close_callbacks(std::chrono::milliseconds limit);

}  // namespace bounceseal::milter
