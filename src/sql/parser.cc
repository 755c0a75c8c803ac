#include "sql/parser.h"

#include <cctype>
#include <initializer_list>
#include <limits>
#include <string>

#include "base/int256.h"
#include "sql/lexer.h"

namespace stdb::sql {

const char* CompareOpText(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "=";
    case CompareOp::kNe:
      return "!=";
    case CompareOp::kLt:
      return "<";
    case CompareOp::kLe:
      return "<=";
    case CompareOp::kGt:
      return ">";
    case CompareOp::kGe:
      return ">=";
  }
  return "?";
}

namespace {

bool KeywordIs(const Token& t, std::string_view kw) {
  if (t.kind != Tok::kIdent || t.text.size() != kw.size()) return false;
  for (size_t i = 0; i < kw.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(t.text[i])) != kw[i]) return false;
  }
  return true;
}

bool KeywordIn(const Token& t, std::initializer_list<std::string_view> kws) {
  for (std::string_view kw : kws) {
    if (KeywordIs(t, kw)) return true;
  }
  return false;
}

// Words that end a clause and therefore cannot be bare identifiers or aliases.
bool IsReserved(const Token& t) {
  return KeywordIn(t, {"SELECT",   "FROM",    "WHERE",  "AND",       "OR",     "LIMIT",  "AS",
                       "JOIN",     "ON",      "INNER",  "LEFT",      "RIGHT",  "FULL",   "OUTER",
                       "CROSS",    "NATURAL", "ORDER",  "GROUP",     "BY",     "HAVING", "NOT",
                       "TRUE",     "FALSE",   "INSERT", "UPDATE",    "DELETE", "SET",    "VALUES",
                       "OFFSET",   "UNION",   "NULL",   "IN",        "IS",     "LIKE",   "BETWEEN",
                       "DISTINCT", "INTO",    "EXCEPT", "INTERSECT", "USING",  "EXISTS"});
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : toks_(std::move(toks)) {}

  Result<Statement> Any() {
    if (KeywordIs(Peek(), "SELECT")) {
      STDB_ASSIGN_OR_RETURN(SelectStatement s, Select());
      return Statement(std::move(s));
    }
    if (KeywordIs(Peek(), "INSERT")) {
      STDB_ASSIGN_OR_RETURN(InsertStatement s, Insert());
      return Statement(std::move(s));
    }
    if (KeywordIs(Peek(), "UPDATE")) {
      STDB_ASSIGN_OR_RETURN(UpdateStatement s, Update());
      return Statement(std::move(s));
    }
    if (KeywordIs(Peek(), "DELETE")) {
      STDB_ASSIGN_OR_RETURN(DeleteStatement s, Delete());
      return Statement(std::move(s));
    }
    if (KeywordIn(Peek(), {"CREATE", "DROP", "ALTER", "WITH", "EXPLAIN", "TRUNCATE"})) {
      return Unsupported(Upper(Peek().text) + " statements are not supported");
    }
    return Expected("SELECT, INSERT, UPDATE or DELETE");
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    return toks_[std::min(pos_ + ahead, toks_.size() - 1)];
  }
  void Advance() {
    if (pos_ < toks_.size() - 1) ++pos_;
  }
  std::string At() const { return " at character " + std::to_string(Peek().offset + 1); }
  Status Error(const std::string& what) const { return DecodeError(what + At()); }
  Status NotSupported(const std::string& what) const { return Unsupported(what + At()); }
  Status Expected(const std::string& what) const {
    const Token& t = Peek();
    const std::string found = t.kind == Tok::kEnd ? "end of input" : "'" + t.text + "'";
    return DecodeError("expected " + what + " but found " + found + At());
  }
  Status Keyword(std::string_view kw) {
    if (!KeywordIs(Peek(), kw)) return Expected(std::string(kw));
    Advance();
    return Status::Ok();
  }
  Status Punct(Tok kind, const char* text) {
    if (Peek().kind != kind) return Expected(std::string("'") + text + "'");
    Advance();
    return Status::Ok();
  }
  bool AtName() const {
    return Peek().kind == Tok::kQuotedIdent || (Peek().kind == Tok::kIdent && !IsReserved(Peek()));
  }

  Result<std::string> Identifier(const std::string& what) {
    if (!AtName()) return Expected(what);
    std::string name = Peek().text;
    Advance();
    return name;
  }

  // An optional `[AS] alias`.
  Result<std::optional<std::string>> Alias() {
    if (KeywordIs(Peek(), "AS")) {
      Advance();
      STDB_ASSIGN_OR_RETURN(std::string a, Identifier("alias"));
      return std::optional<std::string>(std::move(a));
    }
    if (AtName()) {
      STDB_ASSIGN_OR_RETURN(std::string a, Identifier("alias"));
      return std::optional<std::string>(std::move(a));
    }
    return std::optional<std::string>();
  }

  // Clauses of full SQL that the subset does not have, wherever they may appear next.
  Status RejectUnsupportedClause() const {
    const Token& t = Peek();
    if (KeywordIn(t, {"ORDER", "GROUP"}))
      return NotSupported(Upper(t.text) + " BY is not supported");
    if (KeywordIn(t, {"HAVING", "OFFSET", "UNION", "EXCEPT", "INTERSECT"})) {
      return NotSupported(Upper(t.text) + " is not supported");
    }
    return Status::Ok();
  }

  Status End() {
    STDB_RETURN_IF_ERROR(RejectUnsupportedClause());
    if (Peek().kind == Tok::kSemicolon) Advance();
    if (Peek().kind != Tok::kEnd) return Expected("end of statement");
    return Status::Ok();
  }

  Result<SelectStatement> Select() {
    SelectStatement stmt;
    STDB_RETURN_IF_ERROR(Keyword("SELECT"));
    if (KeywordIs(Peek(), "DISTINCT")) return NotSupported("SELECT DISTINCT is not supported");
    STDB_RETURN_IF_ERROR(Projection(stmt));
    STDB_RETURN_IF_ERROR(Keyword("FROM"));
    if (Peek().kind == Tok::kLParen) return NotSupported("subqueries are not supported");
    STDB_ASSIGN_OR_RETURN(stmt.table, Identifier("table name"));
    STDB_ASSIGN_OR_RETURN(stmt.table_alias, Alias());
    STDB_RETURN_IF_ERROR(Joins(stmt));
    if (KeywordIs(Peek(), "WHERE")) {
      Advance();
      STDB_ASSIGN_OR_RETURN(stmt.where, Or(0));
    }
    STDB_RETURN_IF_ERROR(RejectUnsupportedClause());
    if (KeywordIs(Peek(), "LIMIT")) {
      Advance();
      if (Peek().kind != Tok::kInteger) return Expected("an integer after LIMIT");
      auto n = ParseU128(Peek().text);
      if (!n.ok() || *n > std::numeric_limits<uint64_t>::max()) {
        return Error("LIMIT value " + Peek().text + " is out of range");
      }
      stmt.limit = static_cast<uint64_t>(*n);
      Advance();
    }
    STDB_RETURN_IF_ERROR(End());
    return stmt;
  }

  Status Joins(SelectStatement& stmt) {
    while (true) {
      const Token& t = Peek();
      if (t.kind == Tok::kComma) {
        return NotSupported("comma joins (FROM a, b) are not supported; use JOIN ... ON");
      }
      if (KeywordIn(t, {"LEFT", "RIGHT", "FULL", "OUTER", "CROSS", "NATURAL"})) {
        return NotSupported(Upper(t.text) + " JOIN is not supported; only [INNER] JOIN ... ON");
      }
      if (!KeywordIs(t, "JOIN") && !KeywordIs(t, "INNER")) return Status::Ok();
      if (stmt.joins.size() >= kSqlJoinsMax) {
        return Error("too many joins (at most " + std::to_string(kSqlJoinsMax) + ")");
      }
      JoinClause join;
      join.offset = t.offset;
      if (KeywordIs(t, "INNER")) Advance();
      STDB_RETURN_IF_ERROR(Keyword("JOIN"));
      if (Peek().kind == Tok::kLParen) return NotSupported("subqueries are not supported");
      STDB_ASSIGN_OR_RETURN(join.table, Identifier("table name"));
      STDB_ASSIGN_OR_RETURN(join.alias, Alias());
      if (KeywordIs(Peek(), "USING"))
        return NotSupported("JOIN ... USING is not supported; use ON");
      STDB_RETURN_IF_ERROR(Keyword("ON"));
      STDB_ASSIGN_OR_RETURN(join.left, Column());
      if (Peek().kind != Tok::kOp || Peek().text != "=") {
        return NotSupported("JOIN ... ON supports only one equality of two columns");
      }
      Advance();
      STDB_ASSIGN_OR_RETURN(join.right, Column());
      if (KeywordIn(Peek(), {"AND", "OR"})) {
        return NotSupported(
            "JOIN ... ON supports only one equality of two columns; put other "
            "conditions in WHERE");
      }
      stmt.joins.push_back(std::move(join));
    }
  }

  Result<InsertStatement> Insert() {
    InsertStatement stmt;
    STDB_RETURN_IF_ERROR(Keyword("INSERT"));
    STDB_RETURN_IF_ERROR(Keyword("INTO"));
    STDB_ASSIGN_OR_RETURN(stmt.table, Identifier("table name"));
    if (Peek().kind == Tok::kLParen) {
      Advance();
      while (true) {
        STDB_ASSIGN_OR_RETURN(std::string c, Identifier("column name"));
        stmt.columns.push_back(std::move(c));
        if (Peek().kind != Tok::kComma) break;
        Advance();
      }
      STDB_RETURN_IF_ERROR(Punct(Tok::kRParen, ")"));
    }
    if (KeywordIs(Peek(), "SELECT")) return NotSupported("INSERT ... SELECT is not supported");
    STDB_RETURN_IF_ERROR(Keyword("VALUES"));
    while (true) {
      STDB_RETURN_IF_ERROR(Punct(Tok::kLParen, "("));
      std::vector<Literal> row;
      while (true) {
        STDB_ASSIGN_OR_RETURN(Literal lit, ParseLiteral());
        row.push_back(std::move(lit));
        if (Peek().kind != Tok::kComma) break;
        Advance();
      }
      STDB_RETURN_IF_ERROR(Punct(Tok::kRParen, ")"));
      stmt.rows.push_back(std::move(row));
      if (Peek().kind != Tok::kComma) break;
      Advance();
    }
    STDB_RETURN_IF_ERROR(End());
    return stmt;
  }

  Result<UpdateStatement> Update() {
    UpdateStatement stmt;
    STDB_RETURN_IF_ERROR(Keyword("UPDATE"));
    STDB_ASSIGN_OR_RETURN(stmt.table, Identifier("table name"));
    STDB_RETURN_IF_ERROR(Keyword("SET"));
    while (true) {
      STDB_ASSIGN_OR_RETURN(std::string c, Identifier("column name"));
      if (Peek().kind != Tok::kOp || Peek().text != "=") return Expected("'='");
      Advance();
      if (AtName()) return NotSupported("SET to an expression is not supported; only literals");
      STDB_ASSIGN_OR_RETURN(Literal lit, ParseLiteral());
      stmt.assignments.emplace_back(std::move(c), std::move(lit));
      if (Peek().kind != Tok::kComma) break;
      Advance();
    }
    if (KeywordIs(Peek(), "WHERE")) {
      Advance();
      STDB_ASSIGN_OR_RETURN(stmt.where, Or(0));
    }
    STDB_RETURN_IF_ERROR(End());
    return stmt;
  }

  Result<DeleteStatement> Delete() {
    DeleteStatement stmt;
    STDB_RETURN_IF_ERROR(Keyword("DELETE"));
    STDB_RETURN_IF_ERROR(Keyword("FROM"));
    STDB_ASSIGN_OR_RETURN(stmt.table, Identifier("table name"));
    if (KeywordIs(Peek(), "WHERE")) {
      Advance();
      STDB_ASSIGN_OR_RETURN(stmt.where, Or(0));
    }
    STDB_RETURN_IF_ERROR(End());
    return stmt;
  }

  // [qualifier '.'] column
  Result<ColumnRef> Column() {
    ColumnRef ref;
    if (Peek().kind == Tok::kIdent && Peek(1).kind == Tok::kLParen) {
      return NotSupported("function calls (" + Peek().text + ") are not supported");
    }
    STDB_ASSIGN_OR_RETURN(std::string first, Identifier("column name"));
    if (Peek().kind == Tok::kDot) {
      Advance();
      ref.table = std::move(first);
      // After a qualifier a keyword cannot start a clause, so it is a column name.
      if (Peek().kind == Tok::kIdent) {
        ref.column = Peek().text;
        Advance();
        return ref;
      }
      STDB_ASSIGN_OR_RETURN(ref.column, Identifier("column name"));
    } else {
      ref.column = std::move(first);
    }
    return ref;
  }

  // After `*` or `t.*`: nothing else may be selected.
  Status OnlyItem() const {
    if (Peek().kind == Tok::kComma) {
      return NotSupported("* or t.* must be the only item in the select list");
    }
    return Status::Ok();
  }

  // COUNT(*) [[AS] alias]; the caller saw COUNT followed by '('.
  Status CountStar(SelectStatement& stmt) {
    Advance();
    Advance();
    if (Peek().kind != Tok::kStar) return NotSupported("COUNT supports only COUNT(*)");
    Advance();
    STDB_RETURN_IF_ERROR(Punct(Tok::kRParen, ")"));
    stmt.count = true;
    STDB_ASSIGN_OR_RETURN(stmt.count_alias, Alias());
    if (Peek().kind == Tok::kComma) {
      return NotSupported(
          "COUNT(*) cannot be combined with other columns (GROUP BY is not "
          "supported)");
    }
    return Status::Ok();
  }

  Status Projection(SelectStatement& stmt) {
    if (Peek().kind == Tok::kStar) {
      Advance();
      stmt.star = true;
      return OnlyItem();
    }
    // t.*
    if ((Peek().kind == Tok::kIdent || Peek().kind == Tok::kQuotedIdent) &&
        Peek(1).kind == Tok::kDot && Peek(2).kind == Tok::kStar) {
      STDB_ASSIGN_OR_RETURN(std::string q, Identifier("table name"));
      Advance();
      Advance();
      stmt.star = true;
      stmt.star_qualifier = std::move(q);
      return OnlyItem();
    }
    if (KeywordIs(Peek(), "COUNT") && Peek(1).kind == Tok::kLParen) return CountStar(stmt);
    while (true) {
      if (KeywordIs(Peek(), "COUNT") && Peek(1).kind == Tok::kLParen) {
        return NotSupported(
            "COUNT(*) cannot be combined with other columns (GROUP BY is not "
            "supported)");
      }
      if (Peek().kind == Tok::kStar || (Peek(1).kind == Tok::kDot && Peek(2).kind == Tok::kStar)) {
        return NotSupported("* or t.* must be the only item in the select list");
      }
      if (Peek().kind != Tok::kIdent && Peek().kind != Tok::kQuotedIdent) {
        return NotSupported("only columns, * and COUNT(*) may be selected");
      }
      SelectItem item;
      STDB_ASSIGN_OR_RETURN(item.column, Column());
      STDB_ASSIGN_OR_RETURN(item.alias, Alias());
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
      if (KeywordIs(Peek(1), "SELECT")) return NotSupported("subqueries are not supported");
      Advance();
      STDB_ASSIGN_OR_RETURN(auto e, Or(depth + 1));
      STDB_RETURN_IF_ERROR(Punct(Tok::kRParen, ")"));
      return e;
    }
    if (KeywordIs(Peek(), "NOT")) return NotSupported("NOT is not supported");
    if (KeywordIs(Peek(), "EXISTS")) return NotSupported("subqueries (EXISTS) are not supported");
    return Comparison();
  }

  bool AtLiteral() const {
    const Tok k = Peek().kind;
    return k == Tok::kInteger || k == Tok::kFloat || k == Tok::kString || k == Tok::kHex ||
           k == Tok::kMinus || KeywordIn(Peek(), {"TRUE", "FALSE", "NULL"});
  }

  Result<Literal> ParseLiteral() {
    Literal lit;
    bool negative = false;
    if (KeywordIs(Peek(), "NULL")) return NotSupported("NULL is not supported");
    if (Peek().kind == Tok::kMinus) {
      negative = true;
      Advance();
      if (Peek().kind != Tok::kInteger && Peek().kind != Tok::kFloat) {
        return Expected("a number after '-'");
      }
    }
    const Token& t = Peek();
    switch (t.kind) {
      case Tok::kInteger:
        lit.kind = Literal::Kind::kInteger;
        break;
      case Tok::kFloat:
        lit.kind = Literal::Kind::kFloat;
        break;
      case Tok::kString:
        lit.kind = Literal::Kind::kString;
        break;
      case Tok::kHex:
        lit.kind = Literal::Kind::kHex;
        break;
      default:
        if (KeywordIs(t, "TRUE") || KeywordIs(t, "FALSE")) {
          lit.kind = Literal::Kind::kBool;
          lit.bool_value = KeywordIs(t, "TRUE");
          Advance();
          return lit;
        }
        if (t.kind == Tok::kIdent && Peek(1).kind == Tok::kLParen) {
          return NotSupported("function calls (" + t.text + ") are not supported");
        }
        return Expected("a literal");
    }
    lit.text = (negative ? "-" : "") + t.text;
    Advance();
    return lit;
  }

  Result<CompareOp> Operator() {
    if (KeywordIn(Peek(), {"IN", "IS", "LIKE", "BETWEEN", "NOT"})) {
      return NotSupported(Upper(Peek().text) + " is not supported");
    }
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
      case CompareOp::kLt:
        return CompareOp::kGt;
      case CompareOp::kLe:
        return CompareOp::kGe;
      case CompareOp::kGt:
        return CompareOp::kLt;
      case CompareOp::kGe:
        return CompareOp::kLe;
      default:
        return op;
    }
  }

  Result<std::unique_ptr<Expr>> Comparison() {
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::kCompare;
    if (AtLiteral()) {
      STDB_ASSIGN_OR_RETURN(e->literal, ParseLiteral());
      STDB_ASSIGN_OR_RETURN(CompareOp op, Operator());
      e->op = Flip(op);
      if (AtLiteral()) return NotSupported("comparing two literals is not supported");
      STDB_ASSIGN_OR_RETURN(e->column, Column());
      return e;
    }
    STDB_ASSIGN_OR_RETURN(e->column, Column());
    STDB_ASSIGN_OR_RETURN(e->op, Operator());
    if (Peek().kind == Tok::kLParen && KeywordIs(Peek(1), "SELECT")) {
      return NotSupported("subqueries are not supported");
    }
    if (!AtLiteral()) {
      if (Peek().kind == Tok::kIdent && Peek(1).kind == Tok::kLParen) {
        return NotSupported("function calls (" + Peek().text + ") are not supported");
      }
      if (AtName()) {
        return NotSupported(
            "comparing two columns in WHERE is not supported (only in JOIN ... ON)");
      }
      return Expected("a literal");
    }
    STDB_ASSIGN_OR_RETURN(e->literal, ParseLiteral());
    return e;
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
};

Result<std::vector<Token>> Tokenize(std::string_view text) {
  if (text.size() > kSqlBytesMax) {
    return InvalidArgument("SQL text is longer than " + std::to_string(kSqlBytesMax) + " bytes");
  }
  return Lex(text);
}

}  // namespace

std::string LiteralText(const Literal& lit) {
  switch (lit.kind) {
    case Literal::Kind::kBool:
      return lit.bool_value ? "true" : "false";
    case Literal::Kind::kString: {
      std::string out = "'";
      for (char c : lit.text) {
        out.push_back(c);
        if (c == '\'') out.push_back('\'');
      }
      return out + "'";
    }
    case Literal::Kind::kHex:
      return "0x" + lit.text;
    default:
      return lit.text;
  }
}

std::string ColumnRefText(const ColumnRef& ref) {
  return ref.table ? *ref.table + "." + ref.column : ref.column;
}

Result<Statement> ParseStatement(std::string_view text) {
  STDB_ASSIGN_OR_RETURN(auto tokens, Tokenize(text));
  return Parser(std::move(tokens)).Any();
}

Result<SelectStatement> ParseSelect(std::string_view text) {
  STDB_ASSIGN_OR_RETURN(auto tokens, Tokenize(text));
  const Token& first = tokens.front();
  if (KeywordIn(first, {"INSERT", "UPDATE", "DELETE"})) {
    return Unsupported(Upper(first.text) + " statements are not allowed here; only SELECT");
  }
  STDB_ASSIGN_OR_RETURN(Statement stmt, Parser(std::move(tokens)).Any());
  auto* select = std::get_if<SelectStatement>(&stmt);
  STDB_ASSERT(select != nullptr);  // the first token was checked above
  return std::move(*select);
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
