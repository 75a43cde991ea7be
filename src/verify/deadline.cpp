// deadline.cpp - the worker thread behind TimeLimit (deadline.hpp).
#include "deadline.hpp"

#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

namespace bounceseal::verifier {
namespace {

// Shared by the waiting thread and a worker that may outlive its wait.
struct Outcome {
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    std::optional<Decision> decision;
    std::exception_ptr error;
};

}  // namespace

std::optional<Decision> run_with_deadline(std::function<Decision()> work, std::chrono::seconds limit) {
    auto outcome = std::make_shared<Outcome>();
    std::thread worker([outcome, work = std::move(work)] {
        std::optional<Decision> d;
        std::exception_ptr error;
        try {
            d = work();
        } catch (...) {
            error = std::current_exception();
        }
        std::lock_guard lock(outcome->mutex);
        outcome->decision = std::move(d);
        outcome->error = error;
        outcome->done = true;
        outcome->done_cv.notify_one();
    });
    bool in_time;
    {
        std::unique_lock lock(outcome->mutex);
        in_time = outcome->done_cv.wait_for(lock, limit, [&] { return outcome->done; });
    }
    if (!in_time) {
        worker.detach();  // left to the process's exit
        return std::nullopt;
    }
    // Joined, not detached: the thread's exit handlers (OpenSSL's per-thread
    // state) must run before the process ends, or its memory looks leaked.
    worker.join();
    if (outcome->error) std::rethrow_exception(outcome->error);
    return std::move(outcome->decision);
}

}  // namespace bounceseal::verifier
