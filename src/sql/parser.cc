#include "sql/parser.h"

#include <cctype>
#include <string>

namespace stdb::sql {

const char* CompareOpText(CompareOp op) {
  switch (op) {
    case CompareOp::kEq: return "=";
    case CompareOp::kNe: return "!=";
    case CompareOp::kLt: return "<";
    case CompareOp::kLe: return "<=";
    case CompareOp::kGt: return ">";
    case CompareOp::kGe: return ">=";
  }
  return "?";
}

namespace {

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
        if (!std::isxdigit(static_cast<unsigned char>(h))) return Error("invalid hex literal", start);
      }
      return Token{Tok::kHex, hex, start};
    }
    if (IsIdentStart(c)) {
      while (pos_ < s_.size() && IsIdentChar(s_[pos_])) ++pos_;
      return Token{Tok::kIdent, std::string(s_.substr(start, pos_ - start)), start};
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && pos_ + 1 < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_ + 1])))) {
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
      case '*': return Token{Tok::kStar, "*", start};
      case ',': return Token{Tok::kComma, ",", start};
      case '.': return Token{Tok::kDot, ".", start};
      case '(': return Token{Tok::kLParen, "(", start};
      case ')': return Token{Tok::kRParen, ")", start};
      case ';': return Token{Tok::kSemicolon, ";", start};
      case '-': return Token{Tok::kMinus, "-", start};
      case '=': return Token{Tok::kOp, "=", start};
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
      default: break;
    }
    return Error(std::string("unexpected character '") + c + "'", start);
  }

  std::string_view s_;
  size_t pos_ = 0;
};

bool KeywordIs(const Token& t, std::string_view kw) {
  if (t.kind != Tok::kIdent || t.text.size() != kw.size()) return false;
  for (size_t i = 0; i < kw.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(t.text[i])) != kw[i]) return false;
  }
  return true;
}

// Words that end a clause and therefore cannot be bare identifiers or aliases.
bool IsReserved(const Token& t) {
  for (std::string_view kw : {"SELECT", "FROM", "WHERE", "AND", "OR", "LIMIT", "AS", "JOIN",
                              "ON", "INNER", "LEFT", "RIGHT", "ORDER", "GROUP", "BY", "NOT",
                              "TRUE", "FALSE", "INSERT", "UPDATE", "DELETE", "SET", "VALUES"}) {
    if (KeywordIs(t, kw)) return true;
  }
  return false;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : toks_(std::move(toks)) {}

  Result<SelectStatement> Select() {
    SelectStatement stmt;
    if (!KeywordIs(Peek(), "SELECT")) {
      if (KeywordIs(Peek(), "INSERT") || KeywordIs(Peek(), "UPDATE") || KeywordIs(Peek(), "DELETE")) {
        return Unsupported(Peek().text + " statements are not supported yet; only SELECT");
      }
      return Expected("SELECT");
    }
    Advance();
    STDB_RETURN_IF_ERROR(Projection(stmt));
    if (!KeywordIs(Peek(), "FROM")) return Expected("FROM");
    Advance();
    STDB_ASSIGN_OR_RETURN(stmt.table, Identifier("table name"));
    if (KeywordIs(Peek(), "AS")) {
      Advance();
      STDB_ASSIGN_OR_RETURN(stmt.table_alias, Identifier("alias"));
    } else if (Peek().kind == Tok::kQuotedIdent || (Peek().kind == Tok::kIdent && !IsReserved(Peek()))) {
      STDB_ASSIGN_OR_RETURN(stmt.table_alias, Identifier("alias"));
    }
    if (KeywordIs(Peek(), "JOIN") || KeywordIs(Peek(), "INNER") || KeywordIs(Peek(), "LEFT") ||
        KeywordIs(Peek(), "RIGHT") || Peek().kind == Tok::kComma) {
      return Unsupported("joins are not supported yet (at character " +
                         std::to_string(Peek().offset + 1) + ")");
    }
    if (KeywordIs(Peek(), "WHERE")) {
      Advance();
      STDB_ASSIGN_OR_RETURN(stmt.where, Or(0));
    }
    if (KeywordIs(Peek(), "LIMIT")) {
      Advance();
      if (Peek().kind != Tok::kInteger) return Expected("an integer after LIMIT");
      try {
        stmt.limit = std::stoull(Peek().text);
      } catch (...) {
        return Error("LIMIT value out of range");
      }
      Advance();
    }
    if (Peek().kind == Tok::kSemicolon) Advance();
    if (Peek().kind != Tok::kEnd) {
      if (KeywordIs(Peek(), "ORDER") || KeywordIs(Peek(), "GROUP")) {
        return Unsupported(Peek().text + " BY is not supported");
      }
      return Expected("end of statement");
    }
    return stmt;
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    return toks_[std::min(pos_ + ahead, toks_.size() - 1)];
  }
  void Advance() {
    if (pos_ < toks_.size() - 1) ++pos_;
  }
  Status Error(const std::string& what) const {
    return DecodeError(what + " at character " + std::to_string(Peek().offset + 1));
  }
  Status Expected(const std::string& what) const {
    const Token& t = Peek();
    const std::string found = t.kind == Tok::kEnd ? "end of input" : "'" + t.text + "'";
    return DecodeError("expected " + what + " but found " + found + " at character " +
                       std::to_string(t.offset + 1));
  }

  Result<std::string> Identifier(const std::string& what) {
    const Token& t = Peek();
    if (t.kind == Tok::kQuotedIdent || (t.kind == Tok::kIdent && !IsReserved(t))) {
      std::string name = t.text;
      Advance();
      return name;
    }
    return Expected(what);
  }

  // [qualifier '.'] column
  Result<ColumnRef> Column() {
    ColumnRef ref;
    STDB_ASSIGN_OR_RETURN(std::string first, Identifier("column name"));
    if (Peek().kind == Tok::kDot) {
      Advance();
      ref.table = std::move(first);
      STDB_ASSIGN_OR_RETURN(ref.column, Identifier("column name"));
    } else {
      ref.column = std::move(first);
    }
    return ref;
  }

  Status Projection(SelectStatement& stmt) {
    if (Peek().kind == Tok::kStar) {
      Advance();
      stmt.star = true;
      return Status::Ok();
    }
    // t.*
    if ((Peek().kind == Tok::kIdent || Peek().kind == Tok::kQuotedIdent) &&
        Peek(1).kind == Tok::kDot && Peek(2).kind == Tok::kStar) {
      STDB_ASSIGN_OR_RETURN(std::string q, Identifier("table name"));
      Advance();
      Advance();
      stmt.star = true;
      stmt.star_qualifier = std::move(q);
      return Status::Ok();
    }
    while (true) {
      if (Peek().kind == Tok::kIdent && Peek(1).kind == Tok::kLParen) {
        return Unsupported("function calls (" + Peek().text + ") are not supported yet");
      }
      SelectItem item;
      STDB_ASSIGN_OR_RETURN(item.column, Column());
      if (KeywordIs(Peek(), "AS")) {
        Advance();
        STDB_ASSIGN_OR_RETURN(item.alias, Identifier("alias"));
      }
      stmt.items.push_back(std::move(item));
      if (Peek().kind != Tok::kComma) break;
      Advance();
    }
    return Status::Ok();
  }

  // A chain `a OR b OR c ...` (or of ANDs) becomes a balanced tree, not a left-deep one:
  // the length limit allows thousands of terms, and binding, evaluating and destroying a
  // tree recurse once per level, so a left-deep chain could exhaust the stack.
  static std::unique_ptr<Expr> Balanced(Expr::Kind kind, std::vector<std::unique_ptr<Expr>>& terms,
                                        size_t lo, size_t hi) {
    STDB_ASSERT(lo < hi);
    if (hi - lo == 1) return std::move(terms[lo]);
    const size_t mid = lo + (hi - lo + 1) / 2;  // left-leaning: a OR b OR c is (a OR b) OR c
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->lhs = Balanced(kind, terms, lo, mid);
    e->rhs = Balanced(kind, terms, mid, hi);
    return e;
  }

  Result<std::unique_ptr<Expr>> Or(int depth) {
    std::vector<std::unique_ptr<Expr>> terms;
    STDB_ASSIGN_OR_RETURN(auto first, And(depth + 1));
    terms.push_back(std::move(first));
    while (KeywordIs(Peek(), "OR")) {
      Advance();
      STDB_ASSIGN_OR_RETURN(auto rhs, And(depth + 1));
      terms.push_back(std::move(rhs));
    }
    return Balanced(Expr::Kind::kOr, terms, 0, terms.size());
  }

  Result<std::unique_ptr<Expr>> And(int depth) {
    std::vector<std::unique_ptr<Expr>> terms;
    STDB_ASSIGN_OR_RETURN(auto first, Primary(depth + 1));
    terms.push_back(std::move(first));
    while (KeywordIs(Peek(), "AND")) {
      Advance();
      STDB_ASSIGN_OR_RETURN(auto rhs, Primary(depth + 1));
      terms.push_back(std::move(rhs));
    }
    return Balanced(Expr::Kind::kAnd, terms, 0, terms.size());
  }

  Result<std::unique_ptr<Expr>> Primary(int depth) {
    if (depth > kSqlDepthMax) return Error("expression nested too deeply");
    if (Peek().kind == Tok::kLParen) {
      Advance();
      STDB_ASSIGN_OR_RETURN(auto e, Or(depth + 1));
      if (Peek().kind != Tok::kRParen) return Expected("')'");
      Advance();
      return e;
    }
    if (KeywordIs(Peek(), "NOT")) return Unsupported("NOT is not supported");
    return Comparison();
  }

  bool AtLiteral() const {
    const Tok k = Peek().kind;
    return k == Tok::kInteger || k == Tok::kFloat || k == Tok::kString || k == Tok::kHex ||
           k == Tok::kMinus || KeywordIs(Peek(), "TRUE") || KeywordIs(Peek(), "FALSE");
  }

  Result<Literal> ParseLiteral() {
    Literal lit;
    bool negative = false;
    if (Peek().kind == Tok::kMinus) {
      negative = true;
      Advance();
      if (Peek().kind != Tok::kInteger && Peek().kind != Tok::kFloat) {
        return Expected("a number after '-'");
      }
    }
    const Token& t = Peek();
    switch (t.kind) {
      case Tok::kInteger: lit.kind = Literal::Kind::kInteger; break;
      case Tok::kFloat: lit.kind = Literal::Kind::kFloat; break;
      case Tok::kString: lit.kind = Literal::Kind::kString; break;
      case Tok::kHex: lit.kind = Literal::Kind::kHex; break;
      default:
        if (KeywordIs(t, "TRUE") || KeywordIs(t, "FALSE")) {
          lit.kind = Literal::Kind::kBool;
          lit.bool_value = KeywordIs(t, "TRUE");
          Advance();
          return lit;
        }
        return Expected("a literal");
    }
    lit.text = (negative ? "-" : "") + t.text;
    Advance();
    return lit;
  }

  Result<CompareOp> Operator() {
    if (Peek().kind != Tok::kOp) return Expected("a comparison operator (= != <> < <= > >=)");
    const std::string op = Peek().text;
    Advance();
    if (op == "=") return CompareOp::kEq;
    if (op == "!=" || op == "<>") return CompareOp::kNe;
    if (op == "<") return CompareOp::kLt;
    if (op == "<=") return CompareOp::kLe;
    if (op == ">") return CompareOp::kGt;
    return CompareOp::kGe;
  }

  static CompareOp Flip(CompareOp op) {
    switch (op) {
      case CompareOp::kLt: return CompareOp::kGt;
      case CompareOp::kLe: return CompareOp::kGe;
      case CompareOp::kGt: return CompareOp::kLt;
      case CompareOp::kGe: return CompareOp::kLe;
      default: return op;
    }
  }

  Result<std::unique_ptr<Expr>> Comparison() {
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::kCompare;
    if (AtLiteral()) {
      STDB_ASSIGN_OR_RETURN(e->literal, ParseLiteral());
      STDB_ASSIGN_OR_RETURN(CompareOp op, Operator());
      e->op = Flip(op);
      if (AtLiteral()) return Unsupported("comparing two literals is not supported");
      STDB_ASSIGN_OR_RETURN(e->column, Column());
      return e;
    }
    STDB_ASSIGN_OR_RETURN(e->column, Column());
    STDB_ASSIGN_OR_RETURN(e->op, Operator());
    if (!AtLiteral()) {
      if (Peek().kind == Tok::kIdent || Peek().kind == Tok::kQuotedIdent) {
        return Unsupported("comparing two columns is not supported yet (at character " +
                           std::to_string(Peek().offset + 1) + ")");
      }
      return Expected("a literal");
    }
    STDB_ASSIGN_OR_RETURN(e->literal, ParseLiteral());
    return e;
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
};

}  // namespace

Result<SelectStatement> ParseSelect(std::string_view text) {
  if (text.size() > kSqlBytesMax) {
    return InvalidArgument("SQL text is longer than " + std::to_string(kSqlBytesMax) + " bytes");
  }
  STDB_ASSIGN_OR_RETURN(auto tokens, Lexer(text).Run());
  return Parser(std::move(tokens)).Select();
}

// Whether `stmt` holds nothing but whitespace and `--` comments.
static bool IsBlank(std::string_view stmt) {
  size_t i = 0;
  while (i < stmt.size()) {
    if (std::isspace(static_cast<unsigned char>(stmt[i]))) {
      ++i;
    } else if (stmt.substr(i, 2) == "--") {
      while (i < stmt.size() && stmt[i] != '\n') ++i;
    } else {
      return false;
    }
  }
  return true;
}

std::vector<std::string_view> SplitStatements(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  char quote = 0;
  auto push = [&](size_t end) {
    std::string_view stmt = text.substr(start, end - start);
    if (IsBlank(stmt)) return;
    out.push_back(stmt.substr(stmt.find_first_not_of(" \t\r\n\f\v")));
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote != 0) {
      if (c == quote) quote = 0;  // a doubled quote re-enters on the next char; harmless
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '-' && i + 1 < text.size() && text[i + 1] == '-') {
      // A comment runs to the end of the line; quotes and ';' inside it mean nothing.
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if (c == ';') {
      push(i);
      start = i + 1;
    }
  }
  push(text.size());
  return out;
}

}  // namespace stdb::sql
