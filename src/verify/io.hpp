// io.hpp - bounceseal-verify's standard input and output: reading the
// message up to the size limit, draining or passing on the rest, and the
// place and line end of the added verdict header. Plain read(2)/write(2),
// so that no stdio buffering stands between the message and procmail.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace bounceseal::verifier {

struct Input {
    std::string data;         // at most limit + 1 bytes
    bool over_limit = false;  // more than `limit` bytes came (and not all were read)
};

// Reads standard input, keeping at most `limit` + 1 bytes: enough to know
// the message is too large without holding it. Throws Error(Errc::io).
Input read_message(std::size_t limit);

// Reads what is left of standard input and forgets it, so that the program
// feeding us (procmail) sees its whole message taken.
void drain_input();

// Copies what is left of standard input to standard output.
void copy_rest_of_input();

// Writes all of `data` to standard output. Throws Error(Errc::io).
void write_output(std::string_view data);

// Where a header line is added: after an mbox "From " line, else first.
std::size_t header_insert_offset(std::string_view message);

// The line end the message uses: "\r\n" if its first line ends so, else "\n".
std::string_view line_end_of(std::string_view message);

}  // namespace bounceseal::verifier
