// corpus_text.hpp - the text side of the corpus variants: the sealed
// original in the form an MTA returned it, and replacing the real original
// inside a decoded text with it, in the same quoting. Used by
// corpus_variants.cpp; knows nothing of MIME parts.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "corpus_variants.hpp"

namespace bounceseal::testing {

// The form in which the MTA returned the original.
// The form in which the MTA returned the original.
struct Form {
    bool headers_only = false;
    bool truncated = false;
    bool mangled = false;  // MIME structure dropped (Gmail)
    bool unfold = false;
    bool nospace = false;
};

Form form_of(const CorpusEntry& e);

// `sealed` (LF line ends) as the MTA returned it.
std::string shaped(const std::string& sealed, const Form& f);

std::string with_eol(std::string text, bool crlf);
std::string without_final_eol(std::string s);

// `text` with the original it holds replaced by `sealed` in the same form;
// nullopt if no original is found in it. `raw_mode`: the text is a raw
// body whose own MIME delimiters end the original. With `whole_part_note`,
// a text without any header stands for the original as a whole, and the
// note says so.
std::optional<std::string> replace_in_text(std::string_view text, const CorpusEntry& e, const std::string& sealed,
                                           bool raw_mode, std::string* whole_part_note = nullptr);

}  // namespace bounceseal::testing
