// deadline.hpp - running the decision under TimeLimit.
//
// The work runs in a worker thread; the caller waits at most the limit and
// joins a worker that finished. One that overruns is detached and left
// running, and the process is expected to report and exit promptly (no
// signals, no longjmp out of GMime). The work's exceptions reach the
// caller. Everything the work refers to must stay alive until the process
// exits.
#pragma once

#include <chrono>
#include <functional>
#include <optional>

#include "bounceseal/bounce.hpp"

namespace bounceseal::verifier {

// The work's decision, or nullopt if it did not finish within `limit`.
std::optional<Decision> run_with_deadline(std::function<Decision()> work, std::chrono::seconds limit);

}  // namespace bounceseal::verifier
