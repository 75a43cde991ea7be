// canon.cpp - the "mime-relaxed" canonicalization and body hash
// (docs/FORMAT.md, "Body hash"). LeafCanonicalizer works on decoded bytes
// and keeps only a few flags between calls; body_hash() walks a GMime tree.
// What the entities are (first part, appended parts) is the caller's choice.
//
// Most content is canonical already (CRLF line ends, single spaces), so the
// canonicalizer first looks for the next byte that canonicalization would
// change, 64 bytes at a time with SSE2, and hashes everything before it
// straight from the input; only the bytes around such a spot take the
// byte-by-byte path. That keeps it near the speed of SHA-256 itself.
#include "bounceseal/canon.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <gmime/gmime.h>

#include "bounceseal/error.hpp"
#include "bounceseal/mime.hpp"
#include "bounceseal/mime_header.hpp"

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

// One byte of ChangeFinder::next(), looked at on its own.
inline bool changes_at(const char* p, const char* start, const char* end) {
    switch (*p) {
    case '\t': return true;
    case ' ': return p + 1 == end || special(p[1]);
    case '\r': return p + 1 == end || p[1] != '\n';
    case '\n': return p == start || p[-1] != '\r';
    default: return false;
    }
}

// next(start) finds the first byte in [start, end) that canonicalization
// would change or that cannot be judged without what follows `end`: a HTAB;
// a SP followed by SP, HTAB, CR or LF (or by nothing); a CR not followed by
// LF (or by nothing); a LF not preceded by a CR at or after `start`. The
// bytes before it are lines of canonical text ended by CRLF (and the start
// of one), which canonicalize to themselves, save that empty lines at the
// very end must be held back (they are dropped if nothing follows).
//
// Bytes are judged 64 at a time with SSE2. The judgement of the last block
// is kept: white-space-heavy text has a change every few bytes, and the
// next call usually starts inside that block.
class ChangeFinder {
public:
    explicit ChangeFinder(const char* end) : end_(end) {}

    const char* next(const char* const start) {
        const char* p = start;
#if defined(__SSE2__)
        std::uint64_t cr_before = 0;  // the byte before the block is a CR of the run
        if (block_ != nullptr && p >= block_ && p < block_ + 64) {
            const std::uint64_t left = change_ & (~std::uint64_t{0} << (p - block_));
            if (left != 0) return block_ + __builtin_ctzll(left);
            p = block_ + 64;
            cr_before = p[-1] == '\r' ? 1 : 0;
        }
        block_ = nullptr;
        const __m128i sp = _mm_set1_epi8(' ');
        const __m128i tab = _mm_set1_epi8('\t');
        const __m128i cr = _mm_set1_epi8('\r');
        const __m128i lf = _mm_set1_epi8('\n');
        // Bit i of each mask is byte i of the block; the byte after the
        // block is read on its own, so a block needs one byte beyond it.
        while (end_ - p > 64) {
            std::uint64_t m_sp = 0, m_tab = 0, m_cr = 0, m_lf = 0;
            for (int i = 0; i < 4; ++i) {
                const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
                const int shift = 16 * i;
                m_sp |= mask(_mm_cmpeq_epi8(v, sp)) << shift;
                m_tab |= mask(_mm_cmpeq_epi8(v, tab)) << shift;
                m_cr |= mask(_mm_cmpeq_epi8(v, cr)) << shift;
                m_lf |= mask(_mm_cmpeq_epi8(v, lf)) << shift;
            }
            const std::uint64_t special_after = special(p[64]) ? 1 : 0;
            const std::uint64_t lf_after = p[64] == '\n' ? 1 : 0;
            const std::uint64_t special_next = ((m_sp | m_tab | m_cr | m_lf) >> 1) | (special_after << 63);
            const std::uint64_t lf_next = (m_lf >> 1) | (lf_after << 63);
            const std::uint64_t cr_prev = (m_cr << 1) | cr_before;
            const std::uint64_t change = m_tab | (m_sp & special_next) | (m_cr & ~lf_next) | (m_lf & ~cr_prev);
            if (change != 0) {
                block_ = p;
                change_ = change;
                return p + __builtin_ctzll(change);
            }
            cr_before = m_cr >> 63;
            p += 64;
        }
#endif
        for (; p < end_; ++p)
            if (changes_at(p, start, end_)) return p;
        return end_;
    }

private:
#if defined(__SSE2__)
    static std::uint64_t mask(__m128i eq) {
        return static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(eq)));
    }
    const char* block_ = nullptr;  // the block `change_` describes, if any
    std::uint64_t change_ = 0;
#endif
    const char* end_;
};

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
    ChangeFinder changes(end);
    // The state in locals: as members, every byte would store them to
    // memory, since the compiler cannot tell that hashing leaves them alone.
    std::size_t pending_blank_lines = pending_blank_lines_;
    bool pending_space = pending_space_;
    bool line_has_text = line_has_text_;
    bool after_cr = after_cr_;
    auto start_text = [&] {
        for (; pending_blank_lines > 0; --pending_blank_lines) out.put("\r\n", 2);
        if (pending_space) out.put(" ", 1);
        pending_space = false;
        line_has_text = true;
    };
    while (p < end) {
        if (after_cr) {
            after_cr = false;
            if (*p == '\n') {  // second half of a CRLF: the line already ended
                ++p;
                continue;
            }
        }
        if (!pending_space) {
            // No CR waits for its LF here, so a LF at `p` is a lone one,
            // as ChangeFinder assumes.
            const char* q = changes.next(p);
            if (q != p) {
                // Empty lines at the end of the run wait in
                // pending_blank_lines, as they would byte by byte; the
                // rest goes out as it is.
                std::size_t blank = 0;
                const char* text_end = q;
                while (text_end - p >= 2 && text_end[-2] == '\r' && text_end[-1] == '\n') {
                    text_end -= 2;
                    ++blank;
                }
                if (text_end != p) {
                    start_text();
                    if (blank == 0) {
                        out.put(p, static_cast<std::size_t>(q - p));
                    } else {
                        out.put(p, static_cast<std::size_t>(text_end + 2 - p));
                        line_has_text = false;
                        pending_blank_lines = blank - 1;
                    }
                } else if (line_has_text) {
                    out.put("\r\n", 2);
                    line_has_text = false;
                    pending_blank_lines += blank - 1;
                } else {
                    pending_blank_lines += blank;
                }
                p = q;
                continue;
            }
        }
        // Byte by byte, until the state allows the fast path again.
        const char c = *p;
        if (!special(c)) {  // text after white space: the space goes out, the text takes the fast path
            start_text();
            continue;
        }
        ++p;
        if (c == ' ' || c == '\t') {
            pending_space = true;
            while (p < end && (*p == ' ' || *p == '\t')) ++p;
        } else {
            pending_space = false;  // white space at the end of a line is dropped
            if (line_has_text) {
                out.put("\r\n", 2);
                line_has_text = false;
            } else {
                ++pending_blank_lines;  // emitted only if text follows
            }
            after_cr = (c == '\r');
        }
    }
    out.flush();
    pending_blank_lines_ = pending_blank_lines;
    pending_space_ = pending_space;
    line_has_text_ = line_has_text;
    after_cr_ = after_cr;
}

Bytes LeafCanonicalizer::finish() {
    if (line_has_text_) sha_.update("\r\n", 2);
    line_has_text_ = false;
    return sha_.finish();
}

namespace {

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
    if (!read_decoded(leaf, [&](const char* p, std::size_t n) {
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
