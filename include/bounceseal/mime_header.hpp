// mime_header.hpp - a MIME entity's own header, read through GMime: the raw
// value of a field and the media type. One definition for the bounce
// module, the seal finder of verify.cpp and the body walk of canon.cpp.
//
// Read only: nothing here parses, changes or judges anything, and it knows
// nothing of the seal format.
#pragma once

#include <optional>
#include <string>

#include <gmime/gmime.h>

namespace bounceseal {

// The entity's media type, "type/subtype" in lower case; "text/plain" when
// it declares none (RFC 2045 5.2).
std::string mime_type_of(GMimeObject* obj);

// The raw value of the first `name` field of the entity's own header, as
// written: the white space after the colon, the folds and the line end;
// nullopt when it has none.
std::optional<std::string> raw_header(GMimeObject* obj, const char* name);

}  // namespace bounceseal
