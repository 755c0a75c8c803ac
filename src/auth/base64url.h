// Base64url (RFC 4648 section 5) without '=' padding: the text encoding of each of the
// three parts of a JSON Web Token (RFC 7515 section 2).
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"

namespace stdb::auth {

// Encodes `data` with the URL-safe alphabet (A-Z a-z 0-9 - _) and no padding: 3 bytes
// become 4 characters; a final 1 or 2 bytes become 2 or 3 characters.
std::string Base64UrlEncode(ByteView data);

// Decodes unpadded base64url. Fails with kDecode on any character outside the alphabet
// ('=', '+', '/', whitespace included), on a length that leaves a lone character
// (length % 4 == 1), and on non-zero unused low bits in the last character. The last rule
// makes the encoding canonical: every byte string has exactly one accepted text, so two
// different token texts never decode to the same signature.
Result<Bytes> Base64UrlDecode(std::string_view text);

}  // namespace stdb::auth
