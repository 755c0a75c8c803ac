// The SQL lexer: text to tokens (docs/sql.md "Grammar"). Internal to src/sql.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace stdb::sql {

enum class Tok {
  kEnd,
  kIdent,        // unquoted identifier or keyword
  kQuotedIdent,  // "identifier"
  kInteger,
  kFloat,
  kString,  // 'text'
  kHex,     // 0xABCD or X'ABCD'
  kStar,
  kComma,
  kDot,
  kLParen,
  kRParen,
  kSemicolon,
  kMinus,
  kOp,  // comparison operator; text holds it
};

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;
  size_t offset = 0;  // 0-based offset in the input
};

// Splits `text` into tokens ending with one kEnd token. Malformed tokens (unterminated
// quotes, bad numbers or hex, unexpected characters) are kDecode errors naming the
// 1-based character position.
Result<std::vector<Token>> Lex(std::string_view text);

}  // namespace stdb::sql
