// bounce_template.hpp - the bounce templates of tests/data/bounces filled
// with a returned original, and the text transformations MTAs apply to
// returned copies (quoting, unfolding, encoding). No GoogleTest: the fuzz
// targets build their bounces with it too (fuzz/checks.cpp). A template
// with an unknown placeholder throws std::invalid_argument.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <gmime/gmime.h>

namespace bounceseal::testing {

// Fills the placeholders of a template (tests/data/bounces/README.md)
// with `original`, a whole message with LF line ends.
std::string fill_template(std::string_view tmpl, std::string_view original);

// Transformations of a message's text, as MTAs apply them.
std::string header_block(std::string_view message);  // up to the blank line, which is left out
std::string prefix_lines(std::string_view text, std::string_view prefix);  // "> " quoting, indenting
std::string unfold_lines(std::string_view headers);  // folded lines lose their leading white space
std::string no_space_after_colon(std::string_view headers);
std::string to_crlf(std::string_view text);
std::string encode(std::string_view text, GMimeContentEncoding encoding);  // QP or base64, LF lines

// The bounce templates of tests/data/bounces that return the original,
// built in (cmake/BounceTemplates.cmake): for code that may not read files.
struct BounceTemplate {
    const char* name;
    bool anchored;     // the MTA's part holds the copy whole; else the copy is quoted in its text
    const char* text;  // the template, with its placeholder line
};
extern const BounceTemplate kBounceTemplates[];
extern const std::size_t kBounceTemplateCount;

}  // namespace bounceseal::testing
