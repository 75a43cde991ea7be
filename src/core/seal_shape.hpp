// seal_shape.hpp - the choices of docs/FORMAT.md 6.1 that depend on what a
// message is, for plan_seal() (seal.cpp): which messages the full mode
// seals in the header only although it could wrap them, and the boundary of
// the new multipart/mixed around a wrapped message.
//
// Each exception is a message whose top-level type recipients' programs act
// on, so that a wrap would change what they do: decrypt or verify it, read
// a report, or score it (SpamAssassin's rules that look at the top level;
// the figures are in docs/impact/README.md). It does not decide anything
// about appending, which never changes the top level. Not installed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bounceseal/seal.hpp"

typedef struct _GMimeObject GMimeObject;

namespace bounceseal::seal_shape {

// Why the full mode does not wrap a message: the name, for the log and
// SealPlan::why_header_only, or nullptr when it is wrapped.
//   encrypted           multipart/encrypted or S/MIME in one part
//                       (application/pkcs7-mime): clients decrypt and verify
//                       it only at the top, and filters grant it a bonus
//   report              multipart/report (a read receipt, an abuse or TLS
//                       report): programs read it only at the top
//   single-attachment   one non-text part and nothing else: a multipart
//                       without a text part is a spam sign to filters
//   from-without-space  multipart/alternative from "Name"<addr>: filters
//                       spare that From: only in an alternative
//   html-end-in-text    text/plain that quotes the end of an HTML page and
//                       goes on: filters spare that only in text/plain
//   header-in-text      a single text part with a line that starts with
//                       "Content-Type:": filters spare that only outside a
//                       multipart
// `entity` is the message's content as parsed (its Content-* fields and
// body), `headers` its header fields.
const char* why_not_wrap(const std::vector<HeaderField>& headers, GMimeObject* entity);

// The parameters the new multipart/mixed's Content-Type carries after its
// boundary: the message's own charset parameter exactly as written (";
// charset=\"utf-8\""), or nothing. A multipart does not need one and MIME
// readers ignore it (RFC 2045 5.1), but filters read it at the top
// (SpamAssassin's TO_NO_BRKTS_HTML_ONLY spares a quoted charset).
std::string wrapper_parameters(const std::vector<HeaderField>& headers);

// A boundary for a new multipart/mixed around `body`, occurring nowhere in
// it: "=_bounceseal_" and 18 random letters and digits; for a message that
// names The Bat! as its program, ten hyphens and 24 upper-case hexadecimal
// digits, the form The Bat! writes and filters expect of its mail.
std::string new_boundary(const std::vector<HeaderField>& headers, std::string_view body);

}  // namespace bounceseal::seal_shape
