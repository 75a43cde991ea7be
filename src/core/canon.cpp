// canon.cpp - the "mime-relaxed" canonicalization and body hash
// (docs/FORMAT.md, "Body hash"). LeafCanonicalizer works on decoded bytes
// and keeps only a few flags between calls; body_hash() walks a GMime tree.
// What the entities are (first part, appended parts) is the caller's choice.
#include "bounceseal/canon.hpp"

#include <array>
#include <cstring>
#include <memory>

#include <gmime/gmime.h>

#include "bounceseal/error.hpp"
#include "bounceseal/mime.hpp"

namespace bounceseal {
namespace {

// 1 for the bytes canonicalization may change: SP, HTAB, CR, LF.
constexpr std::array<unsigned char, 256> make_special() {
    std::array<unsigned char, 256> t{};
    t[' '] = t['\t'] = t['\r'] = t['\n'] = 1;
    return t;
}
constexpr auto kSpecial = make_special();

inline bool special(char c) { return kSpecial[static_cast<unsigned char>(c)] != 0; }

// The end of the longest prefix of [p, end) that is already canonical inside
// a line: ordinary bytes, and single spaces each followed by an ordinary byte.
const char* scan_plain(const char* p, const char* end) {
    while (p < end) {
        if (!special(*p)) {
            ++p;
        } else if (*p == ' ' && p + 1 < end && !special(p[1])) {
            p += 2;
        } else {
            break;
        }
    }
    return p;
}

// Collects canonical output and hands it to SHA-256 in large blocks: one
// EVP update per short run would cost more than the hashing itself.
class Stage {
public:
    explicit Stage(Sha256& sha) : sha_(sha) {}
    ~Stage() = default;
    Stage(const Stage&) = delete;
    Stage& operator=(const Stage&) = delete;
    void put(const char* p, std::size_t n) {
        if (n >= sizeof buf_ / 2) {
            flush();
            sha_.update(p, n);
            return;
        }
        if (used_ + n > sizeof buf_) flush();
        std::memcpy(buf_ + used_, p, n);
        used_ += n;
    }
    void flush() {
        sha_.update(buf_, used_);
        used_ = 0;
    }

private:
    Sha256& sha_;
    char buf_[32 * 1024];
    std::size_t used_ = 0;
};

}  // namespace

void LeafCanonicalizer::update(const char* data, std::size_t len) {
    Stage out(sha_);
    const char* p = data;
    const char* end = data + len;
    auto start_text = [&] {
        for (; pending_blank_lines_ > 0; --pending_blank_lines_) out.put("\r\n", 2);
        if (pending_space_) out.put(" ", 1);
        pending_space_ = false;
        line_has_text_ = true;
    };
    while (p < end) {
        if (after_cr_) {
            after_cr_ = false;
            if (*p == '\n') {  // second half of a CRLF: the line already ended
                ++p;
                continue;
            }
        }
        char c = *p;
        if (!special(c) || (c == ' ' && !pending_space_ && p + 1 < end && !special(p[1]))) {
            const char* q = scan_plain(p + 1, end);
            start_text();
            out.put(p, static_cast<std::size_t>(q - p));
            p = q;
            continue;
        }
        ++p;
        if (c == ' ' || c == '\t') {
            pending_space_ = true;
        } else {
            pending_space_ = false;  // white space at the end of a line is dropped
            if (line_has_text_) {
                out.put("\r\n", 2);
                line_has_text_ = false;
            } else {
                ++pending_blank_lines_;  // emitted only if text follows
            }
            after_cr_ = (c == '\r');
        }
    }
    out.flush();
}

Bytes LeafCanonicalizer::finish() {
    if (line_has_text_) sha_.update("\r\n", 2);
    line_has_text_ = false;
    return sha_.finish();
}

namespace {

std::string mime_type_of(GMimeObject* obj) {
    GMimeContentType* ct = g_mime_object_get_content_type(obj);
    if (ct == nullptr) return "text/plain";
    std::unique_ptr<char, decltype(&g_free)> t(g_mime_content_type_get_mime_type(ct), g_free);
    return t ? ascii_lower(t.get()) : std::string("text/plain");
}

struct Walker {
    const WalkLimits& limits;
    std::string manifest;
    std::size_t parts = 0;

    void entity(GMimeObject* obj, std::size_t depth) {
        if (depth > limits.max_depth) throw Error(Errc::limit, "MIME nesting deeper than " + std::to_string(limits.max_depth));
        if (++parts > limits.max_parts) throw Error(Errc::limit, "more than " + std::to_string(limits.max_parts) + " MIME parts");
        std::string type = mime_type_of(obj);
        if (GMIME_IS_MULTIPART(obj)) {
            manifest += "begin " + type + "\n";
            GMimeMultipart* mp = GMIME_MULTIPART(obj);
            int n = g_mime_multipart_get_count(mp);
            for (int i = 0; i < n; ++i) entity(g_mime_multipart_get_part(mp, i), depth + 1);
            manifest += "end\n";
        } else if (GMIME_IS_MESSAGE_PART(obj)) {
            manifest += "begin " + type + "\n";
            GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
            GMimeObject* body = inner ? g_mime_message_get_mime_part(inner) : nullptr;
            if (body != nullptr) entity(body, depth + 1);
            manifest += "end\n";
        } else {
            manifest += "leaf " + type + " " + base64_encode(leaf_digest(obj)) + "\n";
        }
    }
};

}  // namespace

Bytes leaf_digest(GMimeObject* leaf) {
    LeafCanonicalizer canon;
    GPtr<GMimeStream> content = decoded_stream(leaf);
    if (content && !read_stream(content.get(), [&](const char* p, std::size_t n) {
            canon.update(p, n);
            return true;
        }))
        throw Error(Errc::mime, "cannot read a MIME part's content");
    return canon.finish();
}

Bytes body_hash(const std::vector<GMimeObject*>& entities, const WalkLimits& limits, std::string* manifest) {
    Walker w{limits, {}, 0};
    for (GMimeObject* e : entities) w.entity(e, 1);
    if (manifest != nullptr) *manifest = w.manifest;
    return sha256(w.manifest);
}

}  // namespace bounceseal
