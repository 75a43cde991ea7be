// mime.hpp - the thin layer between the core library and GMime: one-time
// initialisation, owning pointers for GObjects, parsing from memory, and the
// questions about parts the seal code asks (is this a seal part? what is its
// decoded text?).
#pragma once

#include <cstddef>
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

// The decoded content of a leaf part (transfer encoding removed), at most
// `max_len` bytes; nullopt if `obj` is not a leaf or decoding failed.
std::optional<std::string> decoded_content(GMimeObject* obj, std::size_t max_len);

// What a part is, judged by its decoded content's first line.
enum class SealPartKind { none, record, signature };
SealPartKind seal_part_kind(GMimeObject* obj);

}  // namespace bounceseal
