// startup_floor.cpp - the cost of starting a process like bounceseal-verify
// without doing its work: the reference that tells, in the verifier
// benchmark, how much of a run is program start-up rather than judging.
//
//   startup_floor          loads the same shared libraries as the verifier
//                          (it links the same targets), then exits
//   startup_floor --init   also initialises GMime and OpenSSL's SHA-256 and
//                          Ed25519, which every verifier run must do before
//                          it can look at a message
//
// It reads no input and prints nothing. It is not a model of the verifier's
// work; it is the part of its time that no change to that work can remove.
#include <cstring>

#include "bounceseal/encoding.hpp"
#include "bounceseal/keys.hpp"
#include "bounceseal/mime.hpp"

int main(int argc, char** argv) {
    if (argc == 2 && std::strcmp(argv[1], "--init") == 0) {
        bounceseal::mime_init();
        (void)bounceseal::sha256("");
        // Fetches Ed25519 the way loading a keyring key does.
        (void)bounceseal::PrivateKey::from_seed(bounceseal::Bytes(32, 0)).public_key();
    }
    return 0;
}
