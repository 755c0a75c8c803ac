// Tests of the SQL lexer and parser (docs/sql.md): every accepted form and every
// rejection with its message.
#include "sql/parser.h"

#include <gtest/gtest.h>

#include <string>

namespace stdb::sql {
namespace {

// A compact rendering of a WHERE tree, so that tests can state precedence exactly:
// "(or (a = 1) (and (b = 2) (c = 3)))". Literals print as kind:text.
std::string Show(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::kAnd:
      return "(and " + Show(*e.lhs) + " " + Show(*e.rhs) + ")";
    case Expr::Kind::kOr:
      return "(or " + Show(*e.lhs) + " " + Show(*e.rhs) + ")";
    case Expr::Kind::kCompare:
      break;
  }
  static const char* kKinds[] = {"int", "float", "str", "hex", "bool"};
  std::string lit =
      std::string(kKinds[static_cast<int>(e.literal.kind)]) + ":" +
      (e.literal.kind == Literal::Kind::kBool ? std::string(e.literal.bool_value ? "true" : "false")
                                              : e.literal.text);
  std::string col = (e.column.table ? *e.column.table + "." : "") + e.column.column;
  return "(" + col + " " + CompareOpText(e.op) + " " + lit + ")";
}

SelectStatement MustParse(std::string_view text) {
  auto r = ParseSelect(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  if (!r.ok()) return SelectStatement{};
  return std::move(r).value();
}

std::string Where(std::string_view condition) {
  SelectStatement s = MustParse("SELECT * FROM t WHERE " + std::string(condition));
  return s.where ? Show(*s.where) : "<none>";
}

// Asserts that `text` fails with `code` and a message containing `fragment`.
void ExpectError(std::string_view text, ErrorCode code, std::string_view fragment) {
  auto r = ParseSelect(text);
  ASSERT_FALSE(r.ok()) << "parsed: " << text;
  EXPECT_EQ(r.status().code(), code) << text << ": " << r.status().ToString();
  EXPECT_NE(r.status().message().find(fragment), std::string::npos)
      << text << ": message '" << r.status().message() << "' lacks '" << fragment << "'";
}

TEST(ParseSelect, StarSelectsWholeRowsOfOneTable) {
  // Proves the plain subscription form parses to star with no qualifier, alias or WHERE.
  SelectStatement s = MustParse("SELECT * FROM person");
  EXPECT_TRUE(s.star);
  EXPECT_FALSE(s.star_qualifier);
  EXPECT_TRUE(s.items.empty());
  EXPECT_EQ(s.table, "person");
  EXPECT_FALSE(s.table_alias);
  EXPECT_FALSE(s.where);
  EXPECT_FALSE(s.limit);
}

TEST(ParseSelect, QualifiedStarKeepsItsQualifier) {
  // Proves `t.*` (and a quoted `"t".*`) is whole rows with the qualifier recorded.
  SelectStatement s = MustParse("SELECT p.* FROM person p");
  EXPECT_TRUE(s.star);
  EXPECT_EQ(s.star_qualifier, "p");
  EXPECT_EQ(s.table_alias, "p");
  SelectStatement q = MustParse(R"(SELECT "person".* FROM "person")");
  EXPECT_TRUE(q.star);
  EXPECT_EQ(q.star_qualifier, "person");
  EXPECT_EQ(q.table, "person");
}

TEST(ParseSelect, ColumnListKeepsOrderQualifiersAndAliases) {
  // Proves projections record each column, its qualifier and its AS alias in order.
  SelectStatement s = MustParse("SELECT id, p.name AS who, \"Age\" AS \"Years\" FROM person AS p");
  EXPECT_FALSE(s.star);
  ASSERT_EQ(s.items.size(), 3u);
  EXPECT_EQ(s.items[0].column.column, "id");
  EXPECT_FALSE(s.items[0].column.table);
  EXPECT_FALSE(s.items[0].alias);
  EXPECT_EQ(s.items[1].column.table, "p");
  EXPECT_EQ(s.items[1].column.column, "name");
  EXPECT_EQ(s.items[1].alias, "who");
  EXPECT_EQ(s.items[2].column.column, "Age");
  EXPECT_EQ(s.items[2].alias, "Years");
  EXPECT_EQ(s.table_alias, "p");
}

TEST(ParseSelect, QuotedIdentifiersKeepCaseKeywordsAndDoubledQuotes) {
  // Proves quoted names may be keywords, keep their case, and unescape "" to ".
  SelectStatement s = MustParse(R"(SELECT * FROM "Select" WHERE "From"."Where" = 1)");
  EXPECT_EQ(s.table, "Select");
  EXPECT_EQ(Show(*s.where), "(From.Where = int:1)");
  EXPECT_EQ(MustParse(R"(SELECT * FROM "a""b")").table, "a\"b");
}

TEST(ParseSelect, TheTypedSdkQuotingParses) {
  // Proves the exact form the TypeScript SDK sends for typed queries is accepted.
  SelectStatement s = MustParse(R"(SELECT * FROM "person" WHERE "person"."name" = 'Alice')");
  EXPECT_EQ(s.table, "person");
  EXPECT_EQ(Show(*s.where), "(person.name = str:Alice)");
}

TEST(ParseSelect, KeywordsAreCaseInsensitiveIdentifiersAreNot) {
  // Proves `select ... from ... where ... and ... limit` in any case parses, and that an
  // unquoted identifier keeps its spelling.
  SelectStatement s = MustParse("sElEcT * FrOm People wHeRe Id = 1 aNd X = TrUe LiMiT 3");
  EXPECT_EQ(s.table, "People");
  EXPECT_EQ(Show(*s.where), "(and (Id = int:1) (X = bool:true))");
  EXPECT_EQ(s.limit, 3u);
}

TEST(ParseSelect, TableAliasWithAndWithoutAs) {
  // Proves both `FROM t AS x` and `FROM t x` set the alias, and a quoted alias works.
  EXPECT_EQ(MustParse("SELECT * FROM t AS x").table_alias, "x");
  EXPECT_EQ(MustParse("SELECT * FROM t x").table_alias, "x");
  EXPECT_EQ(MustParse("SELECT * FROM t \"X y\"").table_alias, "X y");
  EXPECT_EQ(MustParse("SELECT * FROM t x WHERE x.a = 1").table_alias, "x");
}

TEST(ParseSelect, AndBindsTighterThanOr) {
  // Proves AND has higher precedence than OR, both associate left, and parentheses override.
  EXPECT_EQ(Where("a = 1 OR b = 2 AND c = 3"), "(or (a = int:1) (and (b = int:2) (c = int:3)))");
  EXPECT_EQ(Where("a = 1 AND b = 2 OR c = 3"), "(or (and (a = int:1) (b = int:2)) (c = int:3))");
  EXPECT_EQ(Where("(a = 1 OR b = 2) AND c = 3"), "(and (or (a = int:1) (b = int:2)) (c = int:3))");
  EXPECT_EQ(Where("a = 1 OR b = 2 OR c = 3"), "(or (or (a = int:1) (b = int:2)) (c = int:3))");
  EXPECT_EQ(Where("a = 1 AND b = 2 AND c = 3"), "(and (and (a = int:1) (b = int:2)) (c = int:3))");
  EXPECT_EQ(Where("((a = 1))"), "(a = int:1)");
}

TEST(ParseSelect, EveryComparisonOperator) {
  // Proves each operator maps to its CompareOp, with <> the same as !=.
  EXPECT_EQ(Where("a = 1"), "(a = int:1)");
  EXPECT_EQ(Where("a != 1"), "(a != int:1)");
  EXPECT_EQ(Where("a <> 1"), "(a != int:1)");
  EXPECT_EQ(Where("a < 1"), "(a < int:1)");
  EXPECT_EQ(Where("a <= 1"), "(a <= int:1)");
  EXPECT_EQ(Where("a > 1"), "(a > int:1)");
  EXPECT_EQ(Where("a >= 1"), "(a >= int:1)");
  EXPECT_EQ(Where("a>=1"), "(a >= int:1)");
}

TEST(ParseSelect, LiteralOnTheLeftIsNormalisedWithTheOperatorFlipped) {
  // Proves `5 < a` means `a > 5`, and symmetric operators are unchanged.
  EXPECT_EQ(Where("5 < a"), "(a > int:5)");
  EXPECT_EQ(Where("5 <= a"), "(a >= int:5)");
  EXPECT_EQ(Where("5 > a"), "(a < int:5)");
  EXPECT_EQ(Where("5 >= a"), "(a <= int:5)");
  EXPECT_EQ(Where("5 = a"), "(a = int:5)");
  EXPECT_EQ(Where("5 <> a"), "(a != int:5)");
  EXPECT_EQ(Where("'x' = t.a"), "(t.a = str:x)");
}

TEST(ParseSelect, EveryLiteralKind) {
  // Proves integers, negative numbers, floats, strings, both hex forms and booleans lex
  // into the right kind with the right text.
  EXPECT_EQ(Where("a = 42"), "(a = int:42)");
  EXPECT_EQ(Where("a = -12"), "(a = int:-12)");
  EXPECT_EQ(Where("a = - 12"), "(a = int:-12)");
  EXPECT_EQ(Where("a = 1.5"), "(a = float:1.5)");
  EXPECT_EQ(Where("a = -1.5"), "(a = float:-1.5)");
  EXPECT_EQ(Where("a = .5"), "(a = float:.5)");
  EXPECT_EQ(Where("a = 2e3"), "(a = float:2e3)");
  EXPECT_EQ(Where("a = 2E-3"), "(a = float:2E-3)");
  EXPECT_EQ(Where("a = 1.5e+2"), "(a = float:1.5e+2)");
  EXPECT_EQ(Where("a = 'hello world'"), "(a = str:hello world)");
  EXPECT_EQ(Where("a = ''"), "(a = str:)");
  EXPECT_EQ(Where("a = 'it''s'"), "(a = str:it's)");
  EXPECT_EQ(Where("a = ''''"), "(a = str:')");
  EXPECT_EQ(Where("a = 0x01aB"), "(a = hex:01aB)");
  EXPECT_EQ(Where("a = 0X01"), "(a = hex:01)");
  EXPECT_EQ(Where("a = X'01AB'"), "(a = hex:01AB)");
  EXPECT_EQ(Where("a = x'ff'"), "(a = hex:ff)");
  EXPECT_EQ(Where("a = X''"), "(a = hex:)");
  EXPECT_EQ(Where("a = true"), "(a = bool:true)");
  EXPECT_EQ(Where("a = FALSE"), "(a = bool:false)");
}

TEST(ParseSelect, StringsKeepSemicolonsCommentsAndNonAscii) {
  // Proves quoted text is taken verbatim: no comment or statement splitting inside it.
  EXPECT_EQ(Where("a = 'x;y -- z'"), "(a = str:x;y -- z)");
  EXPECT_EQ(Where("a = 'grüße ✓'"), "(a = str:grüße ✓)");
}

TEST(ParseSelect, LimitTrailingSemicolonAndComments) {
  // Proves LIMIT n, one trailing ';' and `--` comments (anywhere, to end of line) parse.
  SelectStatement s = MustParse(
      "-- leading comment\nSELECT * -- why\nFROM t\n  WHERE a = 1 -- trailing\nLIMIT 10;");
  EXPECT_EQ(s.table, "t");
  EXPECT_EQ(Show(*s.where), "(a = int:1)");
  EXPECT_EQ(s.limit, 10u);
  EXPECT_EQ(MustParse("SELECT * FROM t LIMIT 0").limit, 0u);
  EXPECT_EQ(MustParse("SELECT * FROM t LIMIT 18446744073709551615").limit, 18446744073709551615u);
  EXPECT_EQ(MustParse("SELECT * FROM t;").table, "t");
  EXPECT_EQ(MustParse("SELECT * FROM t -- no newline at the end").table, "t");
  EXPECT_EQ(MustParse(" \t\r\nSELECT\n*\nFROM\nt\n").table, "t");
}

TEST(ParseSelect, UnsupportedFeaturesSaySo) {
  // Proves outer joins, functions, ORDER/GROUP BY, NOT, subqueries and DML (in ParseSelect)
  // are refused as unsupported with a message naming the feature, not as a syntax error.
  ExpectError("SELECT * FROM a, b", ErrorCode::kUnsupported, "comma joins");
  ExpectError("SELECT * FROM a LEFT JOIN b ON a.x = b.y", ErrorCode::kUnsupported, "LEFT JOIN");
  ExpectError("SELECT * FROM a CROSS JOIN b", ErrorCode::kUnsupported, "CROSS JOIN");
  ExpectError("SELECT * FROM a JOIN b ON a.x = b.y AND a.z = 1", ErrorCode::kUnsupported,
              "only one equality");
  ExpectError("SELECT * FROM a JOIN b ON a.x < b.y", ErrorCode::kUnsupported, "only one equality");
  ExpectError("SELECT * FROM a JOIN b USING (x)", ErrorCode::kUnsupported, "USING");
  ExpectError("SELECT count(id) AS n FROM a", ErrorCode::kUnsupported, "only COUNT(*)");
  ExpectError("SELECT id, COUNT(*) FROM a", ErrorCode::kUnsupported, "cannot be combined");
  ExpectError("SELECT COUNT(*), id FROM a", ErrorCode::kUnsupported, "cannot be combined");
  ExpectError("SELECT max(id) FROM a", ErrorCode::kUnsupported, "function calls (max)");
  ExpectError("SELECT * FROM a WHERE lower(x) = 'a'", ErrorCode::kUnsupported, "function calls");
  ExpectError("SELECT * FROM a ORDER BY id", ErrorCode::kUnsupported, "ORDER BY");
  ExpectError("SELECT * FROM a WHERE x = 1 GROUP BY x", ErrorCode::kUnsupported, "GROUP BY");
  ExpectError("SELECT * FROM a LIMIT 1 OFFSET 2", ErrorCode::kUnsupported, "OFFSET");
  ExpectError("SELECT DISTINCT x FROM a", ErrorCode::kUnsupported, "DISTINCT");
  ExpectError("SELECT * FROM a WHERE NOT x = 1", ErrorCode::kUnsupported, "NOT");
  ExpectError("SELECT * FROM a WHERE x IN (1, 2)", ErrorCode::kUnsupported, "IN");
  ExpectError("SELECT * FROM a WHERE x IS NULL", ErrorCode::kUnsupported, "IS");
  ExpectError("SELECT * FROM a WHERE x = NULL", ErrorCode::kUnsupported, "NULL");
  ExpectError("SELECT * FROM a WHERE x = (SELECT 1)", ErrorCode::kUnsupported, "subqueries");
  ExpectError("SELECT * FROM (SELECT * FROM a)", ErrorCode::kUnsupported, "subqueries");
  ExpectError("INSERT INTO a VALUES (1)", ErrorCode::kUnsupported, "INSERT statements");
  ExpectError("update a SET x = 1", ErrorCode::kUnsupported, "UPDATE statements");
  ExpectError("DELETE FROM a", ErrorCode::kUnsupported, "DELETE statements");
  ExpectError("SELECT * FROM a WHERE x = y", ErrorCode::kUnsupported, "comparing two columns");
  ExpectError("SELECT * FROM a WHERE 1 = 2", ErrorCode::kUnsupported, "comparing two literals");
}

TEST(ParseSelect, JoinsAndCountParseIntoTheirClauses) {
  // Proves [INNER] JOIN ... [AS] alias ON a = b chains and COUNT(*) [AS n] are parsed.
  SelectStatement s =
      MustParse("SELECT a.* FROM a JOIN b AS bb ON a.x = bb.y INNER JOIN c ON c.z = a.x");
  EXPECT_TRUE(s.star);
  EXPECT_EQ(s.star_qualifier, "a");
  ASSERT_EQ(s.joins.size(), 2u);
  EXPECT_EQ(s.joins[0].table, "b");
  EXPECT_EQ(s.joins[0].alias, "bb");
  EXPECT_EQ(ColumnRefText(s.joins[0].left), "a.x");
  EXPECT_EQ(ColumnRefText(s.joins[0].right), "bb.y");
  EXPECT_EQ(s.joins[1].table, "c");
  EXPECT_FALSE(s.joins[1].alias.has_value());
  SelectStatement c = MustParse("SELECT COUNT(*) AS n FROM t WHERE x = 1 LIMIT 3");
  EXPECT_TRUE(c.count);
  EXPECT_EQ(c.count_alias, "n");
  EXPECT_EQ(c.limit, 3u);
  EXPECT_FALSE(MustParse("select count(*) from t").count_alias.has_value());
  ExpectError("SELECT * FROM a JOIN b", ErrorCode::kDecode, "expected ON");
  std::string many = "SELECT * FROM t0";
  for (int i = 1; i <= 9; ++i) {
    many += " JOIN t" + std::to_string(i) + " ON t0.x = t" + std::to_string(i) + ".x";
  }
  ExpectError(many, ErrorCode::kDecode, "too many joins");
}

TEST(ParseStatement, DmlStatementsParse) {
  // Proves INSERT (with and without a column list, several rows), UPDATE and DELETE parse.
  auto ins = ParseStatement("INSERT INTO t (a, b) VALUES (1, 'x'), (-2, 'it''s')");
  ASSERT_TRUE(ins.ok()) << ins.status().ToString();
  const auto& i = std::get<InsertStatement>(*ins);
  EXPECT_EQ(i.table, "t");
  EXPECT_EQ(i.columns, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(i.rows.size(), 2u);
  EXPECT_EQ(i.rows[1][0].text, "-2");
  EXPECT_EQ(i.rows[1][1].text, "it's");
  auto up = ParseStatement("UPDATE t SET a = 1, b = true WHERE c = 0x1f;");
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ(std::get<UpdateStatement>(*up).assignments.size(), 2u);
  EXPECT_NE(std::get<UpdateStatement>(*up).where, nullptr);
  auto del = ParseStatement("DELETE FROM t");
  ASSERT_TRUE(del.ok()) << del.status().ToString();
  EXPECT_EQ(std::get<DeleteStatement>(*del).where, nullptr);
  EXPECT_EQ(ParseStatement("UPDATE t SET a = b").status().code(), ErrorCode::kUnsupported);
  EXPECT_EQ(ParseStatement("INSERT INTO t SELECT * FROM u").status().code(),
            ErrorCode::kUnsupported);
  EXPECT_EQ(ParseStatement("INSERT INTO t VALUES ()").status().code(), ErrorCode::kDecode);
  EXPECT_EQ(ParseStatement("DROP TABLE t").status().code(), ErrorCode::kUnsupported);
  EXPECT_EQ(ParseStatement("SHOW TABLES").status().code(), ErrorCode::kDecode);
}

TEST(ParseSelect, LexicalErrorsNameTheProblemAndPosition) {
  // Proves malformed tokens fail with kDecode and a 1-based character position.
  ExpectError("SELECT * FROM t WHERE a = 'oops", ErrorCode::kDecode,
              "unterminated quoted text at character 27");
  ExpectError("SELECT * FROM \"t", ErrorCode::kDecode, "unterminated quoted text at character 15");
  ExpectError("SELECT * FROM t WHERE a = X'0", ErrorCode::kDecode, "unterminated");
  ExpectError("SELECT * FROM t WHERE a = 1 # 2", ErrorCode::kDecode,
              "unexpected character '#' at character 29");
  ExpectError("SELECT * FROM t WHERE a ! 1", ErrorCode::kDecode, "unexpected character '!'");
  ExpectError("SELECT * FROM t WHERE a = 0x", ErrorCode::kDecode, "expected hex digits after 0x");
  ExpectError("SELECT * FROM t WHERE a = X'0g'", ErrorCode::kDecode, "invalid hex literal");
  ExpectError("SELECT * FROM t WHERE a = 1e", ErrorCode::kDecode, "expected digits in exponent");
  ExpectError("SELECT * FROM t WHERE a = 12abc", ErrorCode::kDecode, "malformed number");
  ExpectError("SELECT * FROM \"\"", ErrorCode::kDecode, "empty quoted identifier");
}

TEST(ParseSelect, SyntaxErrorsSayWhatWasExpected) {
  // Proves grammar errors say what was expected, what was found and where.
  ExpectError("", ErrorCode::kDecode,
              "expected SELECT, INSERT, UPDATE or DELETE but found end of input at character 1");
  ExpectError("FROM t", ErrorCode::kDecode,
              "expected SELECT, INSERT, UPDATE or DELETE but found 'FROM'");
  ExpectError("SELECT *", ErrorCode::kDecode, "expected FROM but found end of input");
  ExpectError("SELECT * t", ErrorCode::kDecode, "expected FROM but found 't' at character 10");
  ExpectError("SELECT FROM t", ErrorCode::kDecode, "expected column name but found 'FROM'");
  ExpectError("SELECT * FROM", ErrorCode::kDecode, "expected table name but found end of input");
  ExpectError("SELECT * FROM WHERE", ErrorCode::kDecode, "expected table name");
  ExpectError("SELECT * FROM t AS", ErrorCode::kDecode, "expected alias");
  ExpectError("SELECT * FROM t WHERE", ErrorCode::kDecode, "expected column name");
  ExpectError("SELECT * FROM t WHERE a", ErrorCode::kDecode, "expected a comparison operator");
  ExpectError("SELECT * FROM t WHERE a =", ErrorCode::kDecode, "expected a literal");
  ExpectError("SELECT * FROM t WHERE a = -'x'", ErrorCode::kDecode, "expected a number after '-'");
  ExpectError("SELECT * FROM t WHERE (a = 1", ErrorCode::kDecode, "expected ')'");
  ExpectError("SELECT * FROM t WHERE a = 1 AND", ErrorCode::kDecode, "expected column name");
  ExpectError("SELECT * FROM t LIMIT", ErrorCode::kDecode, "expected an integer after LIMIT");
  ExpectError("SELECT * FROM t LIMIT 1.5", ErrorCode::kDecode, "expected an integer after LIMIT");
  ExpectError("SELECT * FROM t LIMIT 18446744073709551616", ErrorCode::kDecode,
              "LIMIT value 18446744073709551616 is out of range");
  ExpectError("SELECT a, FROM t", ErrorCode::kDecode, "expected column name but found 'FROM'");
  ExpectError("SELECT a b c FROM t", ErrorCode::kDecode, "expected FROM but found 'c'");
}

TEST(ParseSelect, TrailingGarbageIsRejected) {
  // Proves nothing may follow the statement except one ';' (and whitespace/comments).
  ExpectError("SELECT * FROM t x y", ErrorCode::kDecode,
              "expected end of statement but found 'y' at character 19");
  ExpectError("SELECT * FROM t;;", ErrorCode::kDecode, "expected end of statement");
  ExpectError("SELECT * FROM t; SELECT * FROM u", ErrorCode::kDecode,
              "expected end of statement but found 'SELECT'");
  ExpectError("SELECT * FROM t WHERE a = 1)", ErrorCode::kDecode, "expected end of statement");
  ExpectError("SELECT * FROM t LIMIT 1 2", ErrorCode::kDecode, "expected end of statement");
}

TEST(ParseSelect, TextLongerThanTheLimitIsRefusedBeforeLexing) {
  // Proves the kSqlBytesMax bound: one byte over is kInvalidArgument, exactly at it parses.
  std::string base = "SELECT * FROM t WHERE s = '";
  std::string at_limit = base + std::string(kSqlBytesMax - base.size() - 1, 'x') + "'";
  ASSERT_EQ(at_limit.size(), kSqlBytesMax);
  EXPECT_TRUE(ParseSelect(at_limit).ok());
  std::string over = base + std::string(kSqlBytesMax - base.size(), 'x') + "'";
  auto r = ParseSelect(over);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("longer than 65536 bytes"), std::string::npos);
}

TEST(ParseSelect, DeepParenthesesAreRefusedNotRecursedInto) {
  // Proves the kSqlDepthMax bound: modest nesting parses, hostile nesting fails cleanly
  // (no stack overflow), even at the length limit.
  auto nested = [](int n) {
    return "SELECT * FROM t WHERE " + std::string(n, '(') + "a = 1" + std::string(n, ')');
  };
  EXPECT_TRUE(ParseSelect(nested(10)).ok());
  ExpectError(nested(100), ErrorCode::kDecode, "expression nested too deeply");
  const int n = static_cast<int>(kSqlBytesMax / 2 - 20);
  auto r = ParseSelect("SELECT * FROM t WHERE " + std::string(n, '('));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nested too deeply"), std::string::npos);
}

int Depth(const Expr& e) {
  if (e.kind == Expr::Kind::kCompare) return 1;
  return 1 + std::max(Depth(*e.lhs), Depth(*e.rhs));
}

void InOrder(const Expr& e, std::vector<std::string>& out) {
  if (e.kind == Expr::Kind::kCompare) {
    out.push_back(e.literal.text);
    return;
  }
  InOrder(*e.lhs, out);
  InOrder(*e.rhs, out);
}

TEST(ParseSelect, LongAndOrChainsBecomeShallowTreesInOrder) {
  // Proves a chain of thousands of ORs (or ANDs) parses to a tree of logarithmic depth
  // that keeps every term in order, so later recursive passes cannot exhaust the stack.
  for (const char* op : {" OR ", " AND "}) {
    std::string text = "SELECT * FROM t WHERE a = 0";
    std::vector<std::string> want = {"0"};
    for (int i = 1; i < 4000; ++i) {
      text += op + std::string("a = ") + std::to_string(i);
      want.push_back(std::to_string(i));
    }
    SelectStatement s = MustParse(text);
    ASSERT_NE(s.where, nullptr);
    EXPECT_LE(Depth(*s.where), 13) << op;
    std::vector<std::string> got;
    InOrder(*s.where, got);
    EXPECT_EQ(got, want) << op;
  }
}

TEST(SplitStatements, SplitsAtTopLevelSemicolonsOnly) {
  // Proves ';' inside strings and quoted identifiers does not split, doubled quotes stay
  // inside the string, and empty statements are dropped.
  auto s = SplitStatements(
      "SELECT * FROM t WHERE s = 'a;b';  SELECT * FROM \"x;y\" ;\n SELECT * FROM t WHERE s = "
      "'it''s; fine'; ;  ");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0], "SELECT * FROM t WHERE s = 'a;b'");
  EXPECT_EQ(s[1], "SELECT * FROM \"x;y\" ");
  EXPECT_EQ(s[2], "SELECT * FROM t WHERE s = 'it''s; fine'");
  for (auto stmt : s) EXPECT_TRUE(ParseSelect(stmt).ok()) << stmt;
  EXPECT_TRUE(SplitStatements("").empty());
  EXPECT_TRUE(SplitStatements(" ;\n; \t").empty());
  EXPECT_EQ(SplitStatements("SELECT * FROM t").size(), 1u);
}

TEST(SplitStatements, CommentsDoNotSplitOrOpenQuotes) {
  // Proves `--` comments are skipped: a ';' or a quote inside one neither splits nor
  // swallows the next statement, and a statement that is only a comment is dropped.
  auto a = SplitStatements("SELECT * FROM t -- don't\n; SELECT * FROM u");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_TRUE(ParseSelect(a[0]).ok()) << a[0];
  EXPECT_EQ(MustParse(a[1]).table, "u");
  auto b = SplitStatements("SELECT * FROM t -- a;b\nWHERE x = 1");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(Show(*MustParse(b[0]).where), "(x = int:1)");
  auto c = SplitStatements("SELECT * FROM t; -- done\n  -- really");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(MustParse(c[0]).table, "t");
  auto d = SplitStatements("SELECT * FROM t WHERE s = '--;'; SELECT * FROM u");
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(Show(*MustParse(d[0]).where), "(s = str:--;)");
}

}  // namespace
}  // namespace stdb::sql
