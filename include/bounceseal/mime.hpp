// mime.hpp - the thin layer between the core library and GMime: one-time
// initialisation, owning pointers for GObjects, parsing from memory, and a
// leaf part's decoded content. It knows nothing of the seal format: which
// parts are seal parts is body_in_chief.hpp's question.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <gmime/gmime.h>

namespace bounceseal {

// Initialises GMime once per process (thread-safe, idempotent).
void mime_init();

struct GObjectUnref {
    void operator()(void* p) const noexcept {
        if (p) g_object_unref(p);
    }
};
template <class T>
using GPtr = std::unique_ptr<T, GObjectUnref>;

// A read-only GMime stream over memory the caller keeps alive; no copy.
GPtr<GMimeStream> memory_stream(std::string_view data);

// Parses a whole message (header block and body) from `data`, which must
// outlive the result. An mbox "From " line in front is skipped. Returns null
// if GMime finds no message at all.
GPtr<GMimeMessage> parse_message(std::string_view data);

// Parses a MIME entity (its own header block and content) from a stream.
GPtr<GMimeObject> parse_entity(GMimeStream* stream);

// A stream of a leaf part's decoded content (transfer encoding removed, as
// FORMAT.md 4.3 step 1 says); null if `obj` has no content.
GPtr<GMimeStream> decoded_stream(GMimeObject* obj);

// Reads a GMime stream to its end in chunks; `sink(data, len)` gets each.
// Returns false on a read error.
template <class Sink>
bool read_stream(GMimeStream* stream, Sink&& sink) {
    char buf[64 * 1024];
    for (;;) {
        ssize_t n = g_mime_stream_read(stream, buf, sizeof buf);
        // A GMimeStreamCat answers -1, not 0, once it is exhausted.
        if (n == 0 || (n < 0 && g_mime_stream_eos(stream))) return true;
        if (n < 0) return false;
        if (!sink(buf, static_cast<std::size_t>(n))) return true;
    }
}

// Base64 decoding exactly as GMime's own decoder (g_mime_encoding_step)
// does it, malformed input included, but fast on what base64 text mostly
// is: whole quartets of the alphabet between line ends. Those it decodes
// itself; everything else (a quartet broken by a line end or junk, '=' and
// what follows it) goes through GMime's decoder with GMime's own state. The
// alphabet is read off GMime's decoder, not written here.
class Base64Decoder {
public:
    Base64Decoder();
    // Decodes `len` bytes and appends what they decode to to `out`.
    void step(const char* data, std::size_t len, std::string& out);

private:
    GMimeEncoding state_;
};

// Calls sink(data, len) with the decoded content of a leaf part, as
// decoded_stream() gives it (faster for base64, with Base64Decoder). Does
// nothing for an object without content; returns false on a read error.
// `sink` returns false to stop.
bool read_decoded(GMimeObject* obj, const std::function<bool(const char*, std::size_t)>& sink);

// The decoded content of a leaf part (transfer encoding removed), at most
// `max_len` bytes; nullopt if `obj` is not a leaf or decoding failed.
std::optional<std::string> decoded_content(GMimeObject* obj, std::size_t max_len);

}  // namespace bounceseal
