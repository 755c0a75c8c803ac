#include "sql/lexer.h"

#include <cctype>

namespace stdb::sql {
namespace {

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  Result<std::vector<Token>> Run() {
    std::vector<Token> out;
    while (true) {
      SkipSpace();
      if (pos_ >= s_.size()) break;
      STDB_ASSIGN_OR_RETURN(Token t, Next());
      out.push_back(std::move(t));
    }
    out.push_back(Token{Tok::kEnd, "", s_.size()});
    return out;
  }

 private:
  void SkipSpace() {
    while (pos_ < s_.size()) {
      if (std::isspace(static_cast<unsigned char>(s_[pos_]))) {
        ++pos_;
      } else if (s_.substr(pos_, 2) == "--") {
        while (pos_ < s_.size() && s_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  Status Error(const std::string& what, size_t at) const {
    return DecodeError(what + " at character " + std::to_string(at + 1));
  }

  // Reads a quoted run ending at `quote`; a doubled quote is an escaped quote.
  Result<std::string> Quoted(char quote) {
    const size_t start = pos_;
    ++pos_;
    std::string text;
    while (true) {
      if (pos_ >= s_.size()) return Error("unterminated quoted text", start);
      if (s_[pos_] == quote) {
        if (pos_ + 1 < s_.size() && s_[pos_ + 1] == quote) {
          text.push_back(quote);
          pos_ += 2;
          continue;
        }
        ++pos_;
        return text;
      }
      text.push_back(s_[pos_++]);
    }
  }

  Result<Token> Number(size_t start) {
    if (s_.substr(pos_, 2) == "0x" || s_.substr(pos_, 2) == "0X") {
      pos_ += 2;
      const size_t digits = pos_;
      while (pos_ < s_.size() && std::isxdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
      if (pos_ == digits) return Error("expected hex digits after 0x", start);
      return Token{Tok::kHex, std::string(s_.substr(digits, pos_ - digits)), start};
    }
    bool is_float = false;
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      is_float = true;
      ++pos_;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      is_float = true;
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      const size_t exp = pos_;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
      if (pos_ == exp) return Error("expected digits in exponent", start);
    }
    if (pos_ < s_.size() && IsIdentChar(s_[pos_])) return Error("malformed number", start);
    return Token{is_float ? Tok::kFloat : Tok::kInteger,
                 std::string(s_.substr(start, pos_ - start)), start};
  }

  Result<Token> Next() {
    const size_t start = pos_;
    const char c = s_[pos_];
    if ((c == 'x' || c == 'X') && pos_ + 1 < s_.size() && s_[pos_ + 1] == '\'') {
      ++pos_;
      STDB_ASSIGN_OR_RETURN(std::string hex, Quoted('\''));
      for (char h : hex) {
        if (!std::isxdigit(static_cast<unsigned char>(h)))
          return Error("invalid hex literal", start);
      }
      return Token{Tok::kHex, hex, start};
    }
    if (IsIdentStart(c)) {
      while (pos_ < s_.size() && IsIdentChar(s_[pos_])) ++pos_;
      return Token{Tok::kIdent, std::string(s_.substr(start, pos_ - start)), start};
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && pos_ + 1 < s_.size() &&
         std::isdigit(static_cast<unsigned char>(s_[pos_ + 1])))) {
      return Number(start);
    }
    if (c == '\'') {
      STDB_ASSIGN_OR_RETURN(std::string text, Quoted('\''));
      return Token{Tok::kString, std::move(text), start};
    }
    if (c == '"') {
      STDB_ASSIGN_OR_RETURN(std::string text, Quoted('"'));
      if (text.empty()) return Error("empty quoted identifier", start);
      return Token{Tok::kQuotedIdent, std::move(text), start};
    }
    ++pos_;
    switch (c) {
      case '*':
        return Token{Tok::kStar, "*", start};
      case ',':
        return Token{Tok::kComma, ",", start};
      case '.':
        return Token{Tok::kDot, ".", start};
      case '(':
        return Token{Tok::kLParen, "(", start};
      case ')':
        return Token{Tok::kRParen, ")", start};
      case ';':
        return Token{Tok::kSemicolon, ";", start};
      case '-':
        return Token{Tok::kMinus, "-", start};
      case '=':
        return Token{Tok::kOp, "=", start};
      case '<':
        if (pos_ < s_.size() && (s_[pos_] == '=' || s_[pos_] == '>')) {
          return Token{Tok::kOp, std::string("<") + s_[pos_++], start};
        }
        return Token{Tok::kOp, "<", start};
      case '>':
        if (pos_ < s_.size() && s_[pos_] == '=') {
          ++pos_;
          return Token{Tok::kOp, ">=", start};
        }
        return Token{Tok::kOp, ">", start};
      case '!':
        if (pos_ < s_.size() && s_[pos_] == '=') {
          ++pos_;
          return Token{Tok::kOp, "!=", start};
        }
        break;
      default:
        break;
    }
    return Error(std::string("unexpected character '") + c + "'", start);
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::vector<Token>> Lex(std::string_view text) { return Lexer(text).Run(); }

}  // namespace stdb::sql
