// Tests of binding (name resolution, literal conversion and their errors), evaluation of
// WHERE clauses on BSATN rows, and Execute. The property at the end checks
// Predicate::Matches against an independent reference evaluator over decoded values.
#include "sql/query.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "sats/bsatn.h"
#include "sats/gen_test.h"
#include "sql/parser.h"

namespace stdb::sql {
namespace {

using sats::AlgebraicType;
using sats::AlgebraicValue;
using sats::Element;
using sats::TypeKind;

// Column order of the "things" table; the property below indexes columns by these.
// clang-format off
enum Col : size_t {
  kA8, kU16, kI32, kU64, kI64, kI128, kU128, kI256, kU256, kS, kB, kF, kF32, kId, kConn,
  kTs, kBytes, kOpt, kColCount
};
// clang-format on

AlgebraicType ThingsRowType() {
  return AlgebraicType::Product({
      Element{"a8", AlgebraicType(TypeKind::kI8)},
      Element{"u16", AlgebraicType(TypeKind::kU16)},
      Element{"i32", AlgebraicType(TypeKind::kI32)},
      Element{"u64", AlgebraicType(TypeKind::kU64)},
      Element{"i64", AlgebraicType(TypeKind::kI64)},
      Element{"i128", AlgebraicType(TypeKind::kI128)},
      Element{"u128", AlgebraicType(TypeKind::kU128)},
      Element{"i256", AlgebraicType(TypeKind::kI256)},
      Element{"u256", AlgebraicType(TypeKind::kU256)},
      Element{"s", AlgebraicType::String()},
      Element{"b", AlgebraicType::Bool()},
      Element{"f", AlgebraicType(TypeKind::kF64)},
      Element{"f32", AlgebraicType(TypeKind::kF32)},
      Element{"id", AlgebraicType::Identity()},
      Element{"conn", AlgebraicType::ConnectionId()},
      Element{"ts", AlgebraicType::Timestamp()},
      Element{"bytes", AlgebraicType::Bytes()},
      Element{"opt", AlgebraicType::Option(AlgebraicType::String())},
  });
}

store::Store MakeStore() {
  store::TableSchema things{0, "things", ThingsRowType(), std::nullopt, true};
  store::TableSchema secret{1, "secret",
                            AlgebraicType::Product({Element{"x", AlgebraicType(TypeKind::kU8)}}),
                            std::nullopt, false};
  return store::Store({things, secret});
}

// A row of "things" with every column at a default, then `edit` applied.
AlgebraicValue ThingsRow(const std::function<void(std::vector<AlgebraicValue>&)>& edit = {}) {
  // clang-format off
  std::vector<AlgebraicValue> f = {
      int8_t{0},  uint16_t{0}, int32_t{0},   uint64_t{0},  int64_t{0},  i128{0},
      u128{0},    I256{},      U256{},       std::string(), false,      0.0,
      0.0f,       AlgebraicValue::Identity(U256{}), AlgebraicValue::ConnectionId(0),
      AlgebraicValue::Timestamp(0), Bytes{}, AlgebraicValue::None()};
  // clang-format on
  if (edit) edit(f);
  return AlgebraicValue::Product(std::move(f));
}

Bytes Encode(const AlgebraicValue& row) {
  Bytes out;
  Status s = sats::EncodeBsatn(ThingsRowType(), row, out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

Result<BoundQuery> BindText(const std::string& text, const store::Store& store) {
  STDB_ASSIGN_OR_RETURN(auto stmt, ParseSelect(text));
  return Bind(stmt, store);
}

BoundQuery MustBind(const std::string& text, const store::Store& store) {
  auto q = BindText(text, store);
  EXPECT_TRUE(q.ok()) << text << ": " << q.status().ToString();
  if (!q.ok()) return BoundQuery{};
  return std::move(q).value();
}

void ExpectBindError(const std::string& text, ErrorCode code, std::string_view fragment) {
  const store::Store store = MakeStore();
  auto q = BindText(text, store);
  ASSERT_FALSE(q.ok()) << "bound: " << text;
  EXPECT_EQ(q.status().code(), code) << text << ": " << q.status().ToString();
  EXPECT_NE(q.status().message().find(fragment), std::string::npos)
      << text << ": message '" << q.status().message() << "' lacks '" << fragment << "'";
}

// Whether `condition` (a WHERE clause on things) matches `row`.
bool Matches(const std::string& condition, const AlgebraicValue& row) {
  const store::Store store = MakeStore();
  BoundQuery q = MustBind("SELECT * FROM things WHERE " + condition, store);
  return q.Matches(Encode(row));
}

TEST(Bind, StarResolvesTheTableAndKeepsWholeRows) {
  // Proves SELECT * binds to the table id, row type and no projection.
  const store::Store store = MakeStore();
  BoundQuery q = MustBind("SELECT * FROM secret", store);
  EXPECT_EQ(q.table_id, 1u);
  EXPECT_EQ(q.table_name, "secret");
  EXPECT_TRUE(q.whole_rows());
  EXPECT_EQ(q.result_type, store.table(1).schema().row_type);
  EXPECT_EQ(q.where, nullptr);
}

TEST(Bind, ProjectionUsesAliasesAndProjectsColumnBytes) {
  // Proves a column list yields a product of the chosen columns named by their aliases,
  // and Project cuts exactly those columns' bytes out of a row, in the listed order.
  const store::Store store = MakeStore();
  BoundQuery q = MustBind("SELECT s AS name, t.a8, \"id\" FROM things AS t", store);
  ASSERT_EQ(q.projection, (std::vector<size_t>{kS, kA8, kId}));
  EXPECT_EQ(q.result_type, AlgebraicType::Product({Element{"name", AlgebraicType::String()},
                                                   Element{"a8", AlgebraicType(TypeKind::kI8)},
                                                   Element{"id", AlgebraicType::Identity()}}));
  const U256 ident{{7, 0, 0, 9}};
  const Bytes row = Encode(ThingsRow([&](auto& f) {
    f[kS] = std::string("héllo");
    f[kA8] = int8_t{-3};
    f[kId] = AlgebraicValue::Identity(ident);
  }));
  auto projected = sats::DecodeBsatnExact(q.result_type, q.Project(row));
  ASSERT_TRUE(projected.ok()) << projected.status().ToString();
  EXPECT_EQ(*projected, AlgebraicValue::Product(
                            {std::string("héllo"), int8_t{-3}, AlgebraicValue::Identity(ident)}));
}

TEST(Bind, UnknownNamesAreNotFoundAndNamed) {
  // Proves unknown tables, columns and qualifiers fail with kNotFound naming the culprit.
  ExpectBindError("SELECT * FROM nope", ErrorCode::kNotFound, "unknown table 'nope'");
  ExpectBindError("SELECT * FROM Things", ErrorCode::kNotFound, "unknown table 'Things'");
  ExpectBindError("SELECT zz FROM things", ErrorCode::kNotFound,
                  "unknown column 'zz' in table 'things'");
  ExpectBindError("SELECT * FROM things WHERE zz = 1", ErrorCode::kNotFound,
                  "unknown column 'zz' in table 'things'");
  ExpectBindError("SELECT * FROM things WHERE S = 'x'", ErrorCode::kNotFound, "unknown column 'S'");
  ExpectBindError("SELECT x.* FROM things", ErrorCode::kNotFound, "unknown table 'x' in x.*");
  ExpectBindError("SELECT x.a8 FROM things", ErrorCode::kNotFound,
                  "unknown table 'x' in column reference x.a8");
  ExpectBindError("SELECT * FROM things WHERE x.a8 = 1", ErrorCode::kNotFound,
                  "unknown table 'x' in column reference x.a8");
  ExpectBindError("SELECT things.* FROM things AS t", ErrorCode::kNotFound,
                  "unknown table 'things'");
}

TEST(Bind, QualifiersMayUseTheTableNameOrItsAlias) {
  // Proves the accepted qualifier spellings bind to the same column.
  const store::Store store = MakeStore();
  for (const char* text :
       {"SELECT * FROM things WHERE things.a8 = 1", "SELECT * FROM things t WHERE t.a8 = 1",
        "SELECT t.* FROM things AS t WHERE \"t\".\"a8\" = 1",
        "SELECT things.* FROM things WHERE a8 = 1"}) {
    BoundQuery q = MustBind(text, store);
    ASSERT_NE(q.where, nullptr) << text;
    EXPECT_EQ(q.where->column, kA8) << text;
    EXPECT_TRUE(q.whole_rows()) << text;
  }
}

TEST(Bind, LiteralsOfTheWrongKindAreTypeMismatches) {
  // Proves a literal that cannot be a value of the column's type fails with
  // kTypeMismatch naming the column, the type and the literal.
  ExpectBindError("SELECT * FROM things WHERE s = 1", ErrorCode::kTypeMismatch,
                  "column 's': cannot compare String with integer literal '1'");
  ExpectBindError("SELECT * FROM things WHERE b = 'yes'", ErrorCode::kTypeMismatch,
                  "cannot compare Bool with string literal 'yes'");
  ExpectBindError("SELECT * FROM things WHERE a8 = 'x'", ErrorCode::kTypeMismatch, "column 'a8'");
  ExpectBindError("SELECT * FROM things WHERE a8 = 1.5", ErrorCode::kTypeMismatch,
                  "float literal '1.5'");
  ExpectBindError("SELECT * FROM things WHERE a8 = true", ErrorCode::kTypeMismatch,
                  "bool literal 'true'");
  ExpectBindError("SELECT * FROM things WHERE f = 'x'", ErrorCode::kTypeMismatch, "column 'f'");
  ExpectBindError("SELECT * FROM things WHERE id = 5", ErrorCode::kTypeMismatch, "column 'id'");
  ExpectBindError("SELECT * FROM things WHERE s = 0x01", ErrorCode::kTypeMismatch, "hex literal");
  ExpectBindError("SELECT * FROM things WHERE opt = 'x'", ErrorCode::kTypeMismatch, "column 'opt'");
  ExpectBindError("SELECT * FROM things WHERE f = 1e999", ErrorCode::kTypeMismatch, "out of range");
  ExpectBindError("SELECT * FROM things WHERE id = 'zz'", ErrorCode::kTypeMismatch, "column 'id'");
}

TEST(Bind, IntegersOutsideTheColumnRangeAreRejected) {
  // Proves each integer width accepts exactly its range, in decimal and in hex.
  const store::Store store = MakeStore();
  struct Case {
    const char* ok;
    const char* bad;
  };
  for (const Case& c : std::vector<Case>{
           {"a8 = -128", "a8 = -129"},
           {"a8 = 127", "a8 = 128"},
           {"a8 = 0x7f", "a8 = 0x80"},
           {"u16 = 65535", "u16 = 65536"},
           {"u16 = 0", "u16 = -1"},
           {"i32 = -2147483648", "i32 = 2147483648"},
           {"u64 = 18446744073709551615", "u64 = 18446744073709551616"},
           {"u64 = 0xffffffffffffffff", "u64 = 0x010000000000000000"},
           {"i64 = -9223372036854775808", "i64 = -9223372036854775809"},
           {"i128 = -170141183460469231731687303715884105728",
            "i128 = 170141183460469231731687303715884105728"},
           {"u128 = 340282366920938463463374607431768211455",
            "u128 = 340282366920938463463374607431768211456"},
           {"u128 = 0xffffffffffffffffffffffffffffffff", "u128 = -1"},
           {"i256 = -57896044618658097711785492504343953926634992332820282019728792003956564819968",
            "i256 = 57896044618658097711785492504343953926634992332820282019728792003956564819968"},
           {"u256 = 115792089237316195423570985008687907853269984665640564039457584007913129639935",
            "u256 = "
            "115792089237316195423570985008687907853269984665640564039457584007913129639936"},
           {"u256 = 0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            "u256 = 0x01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
           {"ts = -9223372036854775808", "ts = 9223372036854775808"},
       }) {
    EXPECT_TRUE(BindText(std::string("SELECT * FROM things WHERE ") + c.ok, store).ok()) << c.ok;
    auto bad = BindText(std::string("SELECT * FROM things WHERE ") + c.bad, store);
    ASSERT_FALSE(bad.ok()) << c.bad;
    EXPECT_EQ(bad.status().code(), ErrorCode::kTypeMismatch) << c.bad;
    EXPECT_TRUE(bad.status().message().find("out of range") != std::string::npos ||
                bad.status().message().find("too many hex digits") != std::string::npos)
        << c.bad << ": " << bad.status().message();
  }
}

TEST(Bind, OrderingIsRefusedOnTypesWithoutAnOrder) {
  // Proves < <= > >= are refused on bytes (equality only), while = and != bind.
  ExpectBindError("SELECT * FROM things WHERE bytes < X'01'", ErrorCode::kTypeMismatch,
                  "supports only = and !=");
  const store::Store store = MakeStore();
  EXPECT_TRUE(BindText("SELECT * FROM things WHERE bytes = X'01'", store).ok());
  EXPECT_TRUE(BindText("SELECT * FROM things WHERE bytes <> X''", store).ok());
}

TEST(Bind, StringLiteralsThatAreNotUtf8AreRefusedNotAsserted) {
  // Proves a literal that is not a valid String value (invalid UTF-8, as a client may
  // send) is a kTypeMismatch for every operator, rather than a crash in the encoder.
  for (const char* op : {"=", "!=", "<", ">="}) {
    ExpectBindError(std::string("SELECT * FROM things WHERE s ") + op + " 'a\xff'",
                    ErrorCode::kTypeMismatch, "column 's'");
  }
}

TEST(LiteralToValue, HexIsBigEndianAndZeroExtended) {
  // Proves hex digits read most significant first, short hex is zero-extended, and both
  // hex spellings and quoted hex (with or without 0x) give the same Identity.
  U256 expected{{0x0102, 0, 0, 0}};
  for (Literal lit :
       {Literal{Literal::Kind::kHex, "0102", false}, Literal{Literal::Kind::kHex, "102", false},
        Literal{Literal::Kind::kString, "0x0102", false},
        Literal{Literal::Kind::kString, "0102", false},
        Literal{Literal::Kind::kHex, std::string(60, '0') + "0102", false}}) {
    auto v = LiteralToValue(lit, AlgebraicType::Identity());
    ASSERT_TRUE(v.ok()) << lit.text << ": " << v.status().ToString();
    EXPECT_EQ(*v, AlgebraicValue::Identity(expected)) << lit.text;
  }
  auto top = LiteralToValue(Literal{Literal::Kind::kHex, "80" + std::string(62, '0'), false},
                            AlgebraicType::Identity());
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(*top, AlgebraicValue::Identity(U256{{0, 0, 0, uint64_t{1} << 63}}));
  auto too_long = LiteralToValue(Literal{Literal::Kind::kHex, std::string(66, '1'), false},
                                 AlgebraicType::Identity());
  EXPECT_EQ(too_long.status().code(), ErrorCode::kTypeMismatch);
  auto conn =
      LiteralToValue(Literal{Literal::Kind::kHex, "ff00", false}, AlgebraicType::ConnectionId());
  ASSERT_TRUE(conn.ok());
  EXPECT_EQ(*conn, AlgebraicValue::ConnectionId(0xff00));
  auto bytes =
      LiteralToValue(Literal{Literal::Kind::kHex, "00ff10", false}, AlgebraicType::Bytes());
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, AlgebraicValue(Bytes{0x00, 0xff, 0x10}));
}

TEST(LiteralToValue, NumbersConvertToTheColumnRepresentation) {
  // Proves integer literals become timestamps and floats, and float literals round to F32.
  auto ts =
      LiteralToValue(Literal{Literal::Kind::kInteger, "-5", false}, AlgebraicType::Timestamp());
  ASSERT_TRUE(ts.ok());
  EXPECT_EQ(*ts, AlgebraicValue::Timestamp(-5));
  auto f =
      LiteralToValue(Literal{Literal::Kind::kInteger, "3", false}, AlgebraicType(TypeKind::kF64));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, AlgebraicValue(3.0));
  auto f32 =
      LiteralToValue(Literal{Literal::Kind::kFloat, "0.1", false}, AlgebraicType(TypeKind::kF32));
  ASSERT_TRUE(f32.ok());
  EXPECT_EQ(*f32, AlgebraicValue(0.1f));
  auto big = LiteralToValue(Literal{Literal::Kind::kInteger, "1" + std::string(400, '0'), false},
                            AlgebraicType(TypeKind::kF64));
  EXPECT_EQ(big.status().code(), ErrorCode::kTypeMismatch);
}

TEST(Predicate, FloatsCompareByValueNotBytes) {
  // Proves -0.0 equals 0.0 and NaN equals nothing (but is != everything), which a byte
  // comparison would get wrong.
  const auto neg_zero = ThingsRow([](auto& f) { f[kF] = -0.0; });
  EXPECT_TRUE(Matches("f = 0", neg_zero));
  EXPECT_TRUE(Matches("f = 0.0", neg_zero));
  EXPECT_FALSE(Matches("f != 0", neg_zero));
  EXPECT_TRUE(Matches("f >= -0.0", ThingsRow()));
  const auto nan = ThingsRow([](auto& f) { f[kF] = std::numeric_limits<double>::quiet_NaN(); });
  for (const char* c : {"f = 0", "f < 0", "f <= 0", "f > 0", "f >= 0"}) {
    EXPECT_FALSE(Matches(c, nan)) << c;
  }
  EXPECT_TRUE(Matches("f != 0", nan));
  EXPECT_TRUE(Matches("f32 = 0.5", ThingsRow([](auto& f) { f[kF32] = 0.5f; })));
}

TEST(Predicate, StringsAndIdentitiesOrderBytewiseAndNumerically) {
  // Proves strings order by unsigned bytes ("B" < "a" < "é") and identities by value.
  const auto a = ThingsRow([](auto& f) { f[kS] = std::string("a"); });
  EXPECT_TRUE(Matches("s > 'B'", a));
  EXPECT_TRUE(Matches("s < 'é'", a));
  EXPECT_TRUE(Matches("s < 'ab'", a));
  EXPECT_FALSE(Matches("s < 'a'", a));
  EXPECT_TRUE(Matches("s <= 'a'", a));
  const auto id = ThingsRow([](auto& f) { f[kId] = AlgebraicValue::Identity(U256{{0, 0, 0, 1}}); });
  EXPECT_TRUE(Matches("id > X'ff'", id));
  EXPECT_TRUE(Matches("id = X'0000000000000001" + std::string(48, '0') + "'", id));
  EXPECT_FALSE(Matches("id = X'01'", id));
}

TEST(Predicate, ColumnsAfterVariableLengthColumnsAreFound) {
  // Proves evaluation finds a column behind strings, bytes and options of any length.
  const auto row = ThingsRow([](auto& f) {
    f[kS] = std::string(300, 'x');
    f[kBytes] = Bytes(70, 1);
    f[kOpt] = AlgebraicValue::Some(std::string("present"));
    f[kTs] = AlgebraicValue::Timestamp(1700000000000000);
  });
  EXPECT_TRUE(Matches("ts = 1700000000000000", row));
  EXPECT_TRUE(Matches("ts > 0 AND s > 'w' AND bytes != X''", row));
}

TEST(Execute, AppliesWhereProjectionAndLimitInRowOrder) {
  // Proves Execute returns the matching rows, projected, at most LIMIT of them.
  store::Store store = MakeStore();
  {
    store::Transaction tx(store);
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(tx.Insert(0, Encode(ThingsRow([&](auto& f) {
                              f[kI32] = int32_t{i};
                              f[kS] = std::string("row") + std::to_string(i);
                            })))
                      .ok());
    }
    tx.Commit();
  }
  BoundQuery q = MustBind("SELECT i32 FROM things WHERE i32 >= 3 AND i32 != 5", store);
  std::vector<int32_t> got;
  for (const Bytes& r : Execute(q, store)) {
    ASSERT_EQ(r.size(), 4u);
    int32_t v;
    std::memcpy(&v, r.data(), 4);
    got.push_back(v);
  }
  EXPECT_EQ(got, (std::vector<int32_t>{3, 4, 6, 7, 8, 9}));
  BoundQuery limited = MustBind("SELECT * FROM things WHERE i32 > 1 LIMIT 2", store);
  auto rows = Execute(limited, store);
  ASSERT_EQ(rows.size(), 2u);
  auto first = sats::DecodeBsatnExact(ThingsRowType(), rows[0]);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->as<sats::ProductValue>().fields[kI32], AlgebraicValue(int32_t{2}));
  EXPECT_TRUE(Execute(MustBind("SELECT * FROM things LIMIT 0", store), store).empty());
}

TEST(Predicate, AFlatChainAtTheLengthLimitBindsAndEvaluates) {
  // Proves a WHERE clause of thousands of ORs (flat, so within the nesting bound but
  // a deep tree after parsing) binds and evaluates without exhausting the stack.
  std::string text = "SELECT * FROM things WHERE a8 = 1";
  while (text.size() + 12 < kSqlBytesMax) text += " OR a8 = 2";
  const store::Store store = MakeStore();
  BoundQuery q = MustBind(text, store);
  EXPECT_TRUE(q.Matches(Encode(ThingsRow([](auto& f) { f[kA8] = int8_t{1}; }))));
  EXPECT_FALSE(q.Matches(Encode(ThingsRow())));
}

// ---- Property: Matches agrees with a reference evaluator ----

template <typename T>
AlgebraicValue Pick(std::vector<T> pool) {
  return *rc::gen::elementOf(pool);
}

// Values that rows and literals share, so comparisons often hit equality and edges.
AlgebraicValue PoolValue(size_t col) {
  switch (col) {
    case kA8:
      return Pick<int8_t>({-128, -1, 0, 1, 2, 127});
    case kU16:
      return Pick<uint16_t>({0, 1, 2, 255, 256, 65535});
    case kI32:
      return Pick<int32_t>(
          {std::numeric_limits<int32_t>::min(), -7, 0, 1, 7, std::numeric_limits<int32_t>::max()});
    case kU64:
      return Pick<uint64_t>({0, 1, uint64_t{1} << 63, ~uint64_t{0}});
    case kI64:
      return Pick<int64_t>(
          {std::numeric_limits<int64_t>::min(), -1, 0, 42, std::numeric_limits<int64_t>::max()});
    case kI128:
      return Pick<i128>({-(i128{1} << 100), -1, 0, i128{1} << 70});
    case kU128:
      return Pick<u128>({0, 5, ~u128{0}, u128{1} << 64});
    case kI256:
      return *rc::gen::elementOf(std::vector<I256>{I256::FromI64(-2), I256::FromI64(0),
                                                   I256::FromI64(3), I256{{0, 0, 0, 1}}});
    case kU256:
      return *rc::gen::elementOf(std::vector<U256>{
          U256{}, U256::FromU64(1), U256{{0, 0, 0, ~uint64_t{0}}}, U256{{5, 6, 7, 8}}});
    case kS:
      return *rc::gen::elementOf(
          std::vector<std::string>{"", "a", "B", "ab", "it's", "é", "a;b", "--"});
    case kB:
      return *rc::gen::arbitrary<bool>();
    case kF:
      return Pick<double>({-1.5, -0.0, 0.0, 1.0, 2.5, 1000.0});
    case kF32:
      return Pick<float>({-1.5f, -0.0f, 0.0f, 0.5f, 3.0f});
    case kId:
      return AlgebraicValue::Identity(*rc::gen::elementOf(std::vector<U256>{
          U256{}, U256::FromU64(1), U256::FromU64(0x1234), U256{{0, 0, 0, uint64_t{1} << 63}}}));
    case kConn:
      return AlgebraicValue::ConnectionId(
          *rc::gen::elementOf(std::vector<u128>{u128{0}, u128{1}, ~u128{0}}));
    case kTs:
      return AlgebraicValue::Timestamp(
          *rc::gen::elementOf(std::vector<int64_t>{-1, 0, 1, 1700000000000000}));
    case kBytes:
      return *rc::gen::elementOf(std::vector<Bytes>{{}, {0}, {1, 2}, {0xff}});
    default:
      break;
  }
  RC_FAIL("no pool for column");
  return {};
}

// A row value: usually from the pool, sometimes anything of the type (including NaNs,
// infinities and random strings, which no literal can equal).
AlgebraicValue RowValue(size_t col, const AlgebraicType& type) {
  if (col == kOpt || *rc::gen::inRange(0, 5) == 0) return sats::gen_test::RandomValue(type);
  return PoolValue(col);
}

std::string HexBigEndian(ByteView little_endian, bool minimal) {
  Bytes be(little_endian.rbegin(), little_endian.rend());
  std::string hex = ToHex(be);
  if (minimal) {
    while (hex.size() > 2 && hex.compare(0, 2, "00") == 0) hex.erase(0, 2);
  }
  return hex;
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

// SQL text for a literal equal to `v` in column `col`, in a randomly chosen spelling.
std::string LiteralText(size_t col, const AlgebraicValue& v) {
  const int form = *rc::gen::inRange(0, 3);
  auto integer = [&](auto x) -> std::string {
    using T = decltype(x);
    std::string dec;
    if constexpr (sizeof(T) <= 8) {
      dec = std::to_string(
          static_cast<std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>>(x));
    } else {
      dec = ToDecimal(x);
    }
    bool non_negative = true;
    if constexpr (std::is_same_v<T, i128> || std::is_signed_v<T>) non_negative = x >= 0;
    if (form == 0 && non_negative) {
      u128 u = static_cast<u128>(x);
      Bytes le(16);
      std::memcpy(le.data(), &u, 16);
      return "0x" + HexBigEndian(le, true);
    }
    return dec;
  };
  switch (col) {
    case kA8:
      return integer(v.as<int8_t>());
    case kU16:
      return integer(v.as<uint16_t>());
    case kI32:
      return integer(v.as<int32_t>());
    case kU64:
      return integer(v.as<uint64_t>());
    case kI64:
      return integer(v.as<int64_t>());
    case kI128:
      return integer(v.as<i128>());
    case kU128:
      return integer(v.as<u128>());
    case kI256:
      return ToDecimal(v.as<I256>());
    case kU256: {
      const U256& u = v.as<U256>();
      if (form == 0) {
        return "0x" + HexBigEndian(ByteView(reinterpret_cast<const uint8_t*>(u.limbs.data()), 32),
                                   *rc::gen::arbitrary<bool>());
      }
      return ToDecimal(u);
    }
    case kS:
      return Quote(v.as<std::string>());
    case kB:
      return v.as<bool>() ? (form == 0 ? "TRUE" : "true") : "false";
    case kF:
    case kF32: {
      const double d = col == kF ? v.as<double>() : static_cast<double>(v.as<float>());
      if (d == std::floor(d) && form == 0 && !std::signbit(d)) {
        return std::to_string(static_cast<int64_t>(d));  // an integer literal
      }
      if (d == 1000.0 && form == 1) return "1e3";
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%.17g", d);
      std::string s = buf;
      if (s.find_first_of(".e") == std::string::npos) s += ".0";
      return s;
    }
    case kId:
    case kConn: {
      const size_t n = col == kId ? 32 : 16;
      Bytes le(n);
      if (col == kId) {
        std::memcpy(le.data(), v.as<sats::ProductValue>().fields[0].as<U256>().limbs.data(), 32);
      } else {
        const u128 c = v.as<sats::ProductValue>().fields[0].as<u128>();
        std::memcpy(le.data(), &c, 16);
      }
      const std::string hex = HexBigEndian(le, *rc::gen::arbitrary<bool>());
      switch (form) {
        case 0:
          return "X'" + hex + "'";
        case 1:
          return "0x" + hex;
        default:
          return "'0x" + hex + "'";
      }
    }
    case kTs:
      return std::to_string(v.as<sats::ProductValue>().fields[0].as<int64_t>());
    case kBytes:
      return "X'" + ToHex(v.as<Bytes>()) + "'";
    default:
      break;
  }
  RC_FAIL("no literal form for column");
  return {};
}

// A predicate tree with the literal values the reference evaluator uses.
struct RefExpr {
  Expr::Kind kind = Expr::Kind::kCompare;
  size_t col = 0;
  CompareOp op = CompareOp::kEq;
  AlgebraicValue literal;
  std::unique_ptr<RefExpr> lhs, rhs;
};

const char* OpSql(CompareOp op, bool flipped) {
  if (flipped) {
    switch (op) {
      case CompareOp::kLt:
        return ">";
      case CompareOp::kLe:
        return ">=";
      case CompareOp::kGt:
        return "<";
      case CompareOp::kGe:
        return "<=";
      default:
        break;
    }
  }
  if (op == CompareOp::kNe) return *rc::gen::arbitrary<bool>() ? "!=" : "<>";
  return CompareOpText(op);
}

std::unique_ptr<RefExpr> GenExpr(int depth, std::string& sql) {
  auto e = std::make_unique<RefExpr>();
  if (depth > 0 && *rc::gen::inRange(0, 3) == 0) {
    e->kind = *rc::gen::arbitrary<bool>() ? Expr::Kind::kAnd : Expr::Kind::kOr;
    std::string l, r;
    e->lhs = GenExpr(depth - 1, l);
    e->rhs = GenExpr(depth - 1, r);
    sql = "(" + l + ") " + (e->kind == Expr::Kind::kAnd ? "AND" : "or") + " (" + r + ")";
    return e;
  }
  e->col = *rc::gen::inRange<size_t>(0, kOpt);  // every column but the Option
  const bool equality_only = e->col == kBytes;
  e->op = equality_only
              ? *rc::gen::elementOf(std::vector<CompareOp>{CompareOp::kEq, CompareOp::kNe})
              : *rc::gen::elementOf(std::vector<CompareOp>{CompareOp::kEq, CompareOp::kNe,
                                                           CompareOp::kLt, CompareOp::kLe,
                                                           CompareOp::kGt, CompareOp::kGe});
  e->literal = PoolValue(e->col);
  const std::string lit = LiteralText(e->col, e->literal);
  std::string column = *ThingsRowType().elements()[e->col].name;
  switch (*rc::gen::inRange(0, 4)) {
    case 0:
      column = "things." + column;
      break;
    case 1:
      column = "\"" + column + "\"";
      break;
    default:
      break;
  }
  if (*rc::gen::inRange(0, 4) == 0) {
    sql = lit + " " + OpSql(e->op, true) + " " + column;
  } else {
    sql = column + " " + OpSql(e->op, false) + " " + lit;
  }
  return e;
}

// Three-way comparison written out per column type, independent of sats::Compare.
template <typename T>
int Cmp3(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

bool Apply(CompareOp op, int c) {
  switch (op) {
    case CompareOp::kEq:
      return c == 0;
    case CompareOp::kNe:
      return c != 0;
    case CompareOp::kLt:
      return c < 0;
    case CompareOp::kLe:
      return c <= 0;
    case CompareOp::kGt:
      return c > 0;
    case CompareOp::kGe:
      return c >= 0;
  }
  return false;
}

template <typename F>
bool ApplyFloat(CompareOp op, F a, F b) {
  switch (op) {
    case CompareOp::kEq:
      return a == b;
    case CompareOp::kNe:
      return a != b;
    case CompareOp::kLt:
      return a < b;
    case CompareOp::kLe:
      return a <= b;
    case CompareOp::kGt:
      return a > b;
    case CompareOp::kGe:
      return a >= b;
  }
  return false;
}

bool RefCompare(size_t col, CompareOp op, const AlgebraicValue& a, const AlgebraicValue& b) {
  auto inner = [](const AlgebraicValue& v) -> const AlgebraicValue& {
    return v.as<sats::ProductValue>().fields[0];
  };
  switch (col) {
    case kA8:
      return Apply(op, Cmp3(a.as<int8_t>(), b.as<int8_t>()));
    case kU16:
      return Apply(op, Cmp3(a.as<uint16_t>(), b.as<uint16_t>()));
    case kI32:
      return Apply(op, Cmp3(a.as<int32_t>(), b.as<int32_t>()));
    case kU64:
      return Apply(op, Cmp3(a.as<uint64_t>(), b.as<uint64_t>()));
    case kI64:
      return Apply(op, Cmp3(a.as<int64_t>(), b.as<int64_t>()));
    case kI128:
      return Apply(op, Cmp3(a.as<i128>(), b.as<i128>()));
    case kU128:
      return Apply(op, Cmp3(a.as<u128>(), b.as<u128>()));
    case kI256:
      return Apply(op, Cmp3(a.as<I256>(), b.as<I256>()));
    case kU256:
      return Apply(op, Cmp3(a.as<U256>(), b.as<U256>()));
    case kS: {
      const std::string& x = a.as<std::string>();
      const std::string& y = b.as<std::string>();
      const int c = std::memcmp(x.data(), y.data(), std::min(x.size(), y.size()));
      return Apply(op, c != 0 ? c : Cmp3(x.size(), y.size()));
    }
    case kB:
      return Apply(op, Cmp3(a.as<bool>(), b.as<bool>()));
    case kF:
      return ApplyFloat(op, a.as<double>(), b.as<double>());
    case kF32:
      return ApplyFloat(op, a.as<float>(), b.as<float>());
    case kId:
      return Apply(op, Cmp3(inner(a).as<U256>(), inner(b).as<U256>()));
    case kConn:
      return Apply(op, Cmp3(inner(a).as<u128>(), inner(b).as<u128>()));
    case kTs:
      return Apply(op, Cmp3(inner(a).as<int64_t>(), inner(b).as<int64_t>()));
    case kBytes:
      return Apply(op, a.as<Bytes>() == b.as<Bytes>() ? 0 : 1);
    default:
      break;
  }
  RC_FAIL("no reference comparison for column");
  return false;
}

bool RefEval(const RefExpr& e, const std::vector<AlgebraicValue>& row) {
  switch (e.kind) {
    case Expr::Kind::kAnd:
      return RefEval(*e.lhs, row) && RefEval(*e.rhs, row);
    case Expr::Kind::kOr:
      return RefEval(*e.lhs, row) || RefEval(*e.rhs, row);
    case Expr::Kind::kCompare:
      break;
  }
  return RefCompare(e.col, e.op, row[e.col], e.literal);
}

RC_GTEST_PROP(PredicateProperty, MatchesAgreesWithAReferenceEvaluator, ()) {
  // For random rows and random WHERE trees over every column kind, in random spellings,
  // Matches (and Execute) agree with evaluating the tree on the decoded values.
  const AlgebraicType row_type = ThingsRowType();
  std::string where;
  const auto ref = GenExpr(*rc::gen::inRange(0, 4), where);
  const std::string text = "SELECT * FROM things WHERE " + where;
  store::Store store = MakeStore();
  auto q = BindText(text, store);
  if (!q.ok()) RC_FAIL(text + ": " + q.status().ToString());
  store::Transaction tx(store);
  std::vector<Bytes> expected;
  for (int i = 0; i < 12; ++i) {
    std::vector<AlgebraicValue> fields;
    for (size_t c = 0; c < kColCount; ++c) {
      fields.push_back(RowValue(c, row_type.elements()[c].type));
    }
    const bool want = RefEval(*ref, fields);
    const Bytes row = sats::gen_test::MustEncode(row_type, AlgebraicValue::Product(fields));
    if (q->Matches(row) != want) {
      RC_FAIL(text +
              "\nrow: " + sats::ValueToJson(row_type, AlgebraicValue::Product(fields)).dump() +
              "\nreference says " + (want ? "match" : "no match"));
    }
    auto inserted = tx.Insert(0, row);
    RC_ASSERT(inserted.ok());
    if (want && std::find(expected.begin(), expected.end(), row) == expected.end()) {
      expected.push_back(row);
    }
  }
  // Execute over a table agrees too (rows are a set, so duplicates collapse).
  RC_ASSERT(Execute(*q, store) == expected);
  tx.Rollback();
}

}  // namespace
}  // namespace stdb::sql
