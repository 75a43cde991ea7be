// verify_deadline_test.cpp - bounceseal-verify's TimeLimit machinery
// (src/verify/deadline.cpp): the decision comes back when it is done in
// time, nothing comes back once the limit has passed (the worker is left to
// the process's exit), and the work's exceptions reach the caller.
#include <condition_variable>
#include <memory>
#include <mutex>
#include <new>

#include <gtest/gtest.h>

#include "deadline.hpp"

using namespace bounceseal;
using namespace std::chrono_literals;

TEST(VerifyDeadline, ReturnsTheDecisionInTime) {
    auto d = verifier::run_with_deadline(
        [] {
            Decision done;
            done.kind = MessageKind::delay;
            return done;
        },
        10s);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->kind, MessageKind::delay);
}

TEST(VerifyDeadline, GivesUpAfterTheLimit) {
    struct Gate {
        std::mutex m;
        std::condition_variable cv;
        bool open = false;
    };
    auto gate = std::make_shared<Gate>();
    auto start = std::chrono::steady_clock::now();
    auto d = verifier::run_with_deadline(
        [gate] {
            std::unique_lock lock(gate->m);
            gate->cv.wait(lock, [&] { return gate->open; });
            return Decision{};
        },
        1s);
    EXPECT_FALSE(d);
    EXPECT_GE(std::chrono::steady_clock::now() - start, 1s);
    {
        std::lock_guard lock(gate->m);
        gate->open = true;
    }
    gate->cv.notify_all();  // let the abandoned worker end
}

TEST(VerifyDeadline, PassesExceptionsOn) {
    EXPECT_THROW(verifier::run_with_deadline([]() -> Decision { throw std::bad_alloc(); }, 10s), std::bad_alloc);
}
