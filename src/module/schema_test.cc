// Tests of ModuleDef: its BSATN layout (docs/module-abi.md), encode/decode round trips,
// decoder robustness, and the validation rules applied at publish.
#include "module/schema.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "sats/gen_test.h"

namespace stdb::module {
namespace {

using sats::AlgebraicType;
using sats::Element;
using sats::TypeKind;

// A schema that uses every field of the format.
ModuleDef FullDef() {
  ModuleDef def;
  TableDef user{
      "user",
      AlgebraicType::Product({Element{"identity", AlgebraicType::Identity()},
                              Element{"name", AlgebraicType::Option(AlgebraicType::String())},
                              Element{"online", AlgebraicType::Bool()}}),
      0,
      true,
      {{0}, {1, 2}},
      {IndexDef{"by_name", 1, {1}}, IndexDef{"both", 0, {2, 0}}},
      {2},
      ScheduleDef{"tick", 1}};
  TableDef secret{
      "secret",     AlgebraicType::Product({Element{"x", AlgebraicType(TypeKind::kU8)}}),
      std::nullopt, false,
      {},           {},
      {},           std::nullopt};
  def.tables = {user, secret};
  def.reducers = {
      ReducerDef{"send", AlgebraicType::Product({Element{"text", AlgebraicType::String()}}),
                 Lifecycle::kNone},
      ReducerDef{"init", AlgebraicType::Unit(), Lifecycle::kInit},
      ReducerDef{"hello", AlgebraicType::Unit(), Lifecycle::kClientConnected},
      ReducerDef{"bye", AlgebraicType::Unit(), Lifecycle::kClientDisconnected}};
  return def;
}

// A valid schema that ValidateModuleDef accepts.
ModuleDef ValidDef() {
  ModuleDef def = FullDef();
  for (auto& t : def.tables) {
    t.unique_columns.clear();
    t.indexes.clear();
    t.sequences.clear();
    t.schedule.reset();
  }
  return def;
}

void ExpectSameDef(const ModuleDef& a, const ModuleDef& b) {
  EXPECT_EQ(a.version, b.version);
  ASSERT_EQ(a.tables.size(), b.tables.size());
  for (size_t i = 0; i < a.tables.size(); ++i) {
    const TableDef& x = a.tables[i];
    const TableDef& y = b.tables[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.row_type, y.row_type) << x.row_type.ToString() << " vs " << y.row_type.ToString();
    EXPECT_EQ(x.primary_key, y.primary_key);
    EXPECT_EQ(x.is_public, y.is_public);
    EXPECT_EQ(x.unique_columns, y.unique_columns);
    ASSERT_EQ(x.indexes.size(), y.indexes.size());
    for (size_t j = 0; j < x.indexes.size(); ++j) {
      EXPECT_EQ(x.indexes[j].name, y.indexes[j].name);
      EXPECT_EQ(x.indexes[j].algorithm, y.indexes[j].algorithm);
      EXPECT_EQ(x.indexes[j].columns, y.indexes[j].columns);
    }
    EXPECT_EQ(x.sequences, y.sequences);
    ASSERT_EQ(x.schedule.has_value(), y.schedule.has_value());
    if (x.schedule) {
      EXPECT_EQ(x.schedule->reducer, y.schedule->reducer);
      EXPECT_EQ(x.schedule->at_column, y.schedule->at_column);
    }
  }
  ASSERT_EQ(a.reducers.size(), b.reducers.size());
  for (size_t i = 0; i < a.reducers.size(); ++i) {
    EXPECT_EQ(a.reducers[i].name, b.reducers[i].name);
    EXPECT_EQ(a.reducers[i].params, b.reducers[i].params);
    EXPECT_EQ(a.reducers[i].lifecycle, b.reducers[i].lifecycle);
  }
}

void ExpectInvalid(const ModuleDef& def, ErrorCode code, std::string_view fragment) {
  Status s = ValidateModuleDef(def);
  ASSERT_FALSE(s.ok()) << "accepted; expected: " << fragment;
  EXPECT_EQ(s.code(), code) << s.ToString();
  EXPECT_NE(s.message().find(fragment), std::string::npos)
      << "message '" << s.message() << "' lacks '" << fragment << "'";
}

TEST(ModuleDefBytes, ASmallSchemaHasTheDocumentedLayout) {
  // Proves the byte layout of module-abi.md: version, tables (name, row type, Option pk
  // with none=1, is_public, three empty arrays, Option schedule), reducers (name, params,
  // lifecycle byte).
  ModuleDef def;
  def.tables.push_back(
      TableDef{"t",
               AlgebraicType::Product({Element{"a", AlgebraicType(TypeKind::kU8)}}),
               std::nullopt,
               true,
               {},
               {},
               {},
               std::nullopt});
  def.reducers.push_back(ReducerDef{"r", AlgebraicType::Unit(), Lifecycle::kClientConnected});
  // clang-format off
  EXPECT_EQ(ToHex(EncodeModuleDef(def)),
            "01000000"                                    // version 1
            "01000000" "01000000" "74"                    // 1 table, "t"
            "02" "01000000" "00" "01000000" "61" "07"     // (a: U8)
            "01"                                          // primary_key none
            "01"                                          // public
            "00000000" "00000000" "00000000"              // unique, indexes, sequences
            "01"                                          // schedule none
            "01000000" "01000000" "72"                    // 1 reducer, "r"
            "02" "00000000"                               // params ()
            "02");                                        // client_connected
  def.tables[0].primary_key = 0x0102;
  def.tables[0].is_public = false;
  def.tables[0].schedule = ScheduleDef{"r", 3};
  const std::string hex = ToHex(EncodeModuleDef(def));
  EXPECT_NE(hex.find("07" "00" "0201" "00" "00000000" "00000000" "00000000" "00" "01000000" "72" "0300"),
            std::string::npos)
      << hex;
  // clang-format on
}

TEST(ModuleDef, EncodeThenDecodeGivesBackEveryField) {
  // Proves a schema using every field of the format survives a round trip.
  const ModuleDef def = FullDef();
  const Bytes b = EncodeModuleDef(def);
  auto d = DecodeModuleDef(b);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ExpectSameDef(*d, def);
  EXPECT_EQ(EncodeModuleDef(*d), b);
}

RC_GTEST_PROP(ModuleDefProperty, RandomSchemasRoundTrip, ()) {
  // Random types (including type references and empty sums) and random table options.
  ModuleDef def;
  sats::gen_test::TypeShape shape;
  shape.inhabited = false;
  shape.json_names = false;
  auto u16s = [] {
    return *rc::gen::container<std::vector<uint16_t>>(*rc::gen::inRange(0, 3),
                                                      rc::gen::arbitrary<uint16_t>());
  };
  const int tables = *rc::gen::inRange(0, 4);
  for (int i = 0; i < tables; ++i) {
    TableDef t;
    t.name = *rc::gen::arbitrary<std::string>();
    t.row_type = *sats::gen_test::GenType(shape);
    if (*rc::gen::arbitrary<bool>()) t.primary_key = *rc::gen::arbitrary<uint16_t>();
    t.is_public = *rc::gen::arbitrary<bool>();
    const int uniques = *rc::gen::inRange(0, 3);
    for (int u = 0; u < uniques; ++u) t.unique_columns.push_back(u16s());
    const int indexes = *rc::gen::inRange(0, 3);
    for (int x = 0; x < indexes; ++x) {
      t.indexes.push_back(
          IndexDef{*rc::gen::arbitrary<std::string>(), *rc::gen::arbitrary<uint8_t>(), u16s()});
    }
    t.sequences = u16s();
    if (*rc::gen::arbitrary<bool>()) {
      t.schedule = ScheduleDef{*rc::gen::arbitrary<std::string>(), *rc::gen::arbitrary<uint16_t>()};
    }
    def.tables.push_back(std::move(t));
  }
  const int reducers = *rc::gen::inRange(0, 4);
  for (int i = 0; i < reducers; ++i) {
    def.reducers.push_back(ReducerDef{*rc::gen::arbitrary<std::string>(),
                                      *sats::gen_test::GenType(shape),
                                      static_cast<Lifecycle>(*rc::gen::inRange(0, 4))});
  }
  const Bytes b = EncodeModuleDef(def);
  auto d = DecodeModuleDef(b);
  if (!d.ok()) RC_FAIL(d.status().ToString());
  RC_ASSERT(EncodeModuleDef(*d) == b);
  RC_ASSERT(d->tables.size() == def.tables.size());
  for (size_t i = 0; i < def.tables.size(); ++i) {
    RC_ASSERT(d->tables[i].name == def.tables[i].name);
    RC_ASSERT(d->tables[i].row_type == def.tables[i].row_type);
  }
  // Every proper prefix fails cleanly with kBadModule.
  for (size_t n = 0; n < b.size(); n += 1 + b.size() / 64) {
    auto cut = DecodeModuleDef(ByteView(b.data(), n));
    RC_ASSERT(!cut.ok());
    RC_ASSERT(cut.status().code() == ErrorCode::kBadModule);
  }
}

TEST(DecodeModuleDef, EveryTruncationFailsWithBadModule) {
  // Proves each proper prefix of a full schema is refused with kBadModule, not a crash.
  const Bytes b = EncodeModuleDef(FullDef());
  for (size_t n = 0; n < b.size(); ++n) {
    auto d = DecodeModuleDef(ByteView(b.data(), n));
    ASSERT_FALSE(d.ok()) << "prefix of " << n << " bytes decoded";
    EXPECT_EQ(d.status().code(), ErrorCode::kBadModule);
    EXPECT_NE(d.status().message().find("malformed module schema"), std::string::npos)
        << d.status().message();
  }
}

TEST(DecodeModuleDef, MalformedFieldsAreNamed) {
  // Proves bad versions, tags, booleans, lifecycles, huge counts and trailing bytes are
  // refused with a message saying which part is wrong.
  auto fails_with = [](Bytes b, std::string_view fragment) {
    auto d = DecodeModuleDef(b);
    ASSERT_FALSE(d.ok()) << fragment;
    EXPECT_EQ(d.status().code(), ErrorCode::kBadModule);
    EXPECT_NE(d.status().message().find(fragment), std::string::npos) << d.status().message();
  };
  const Bytes good = EncodeModuleDef(ValidDef());
  Bytes v2 = good;
  v2[0] = 2;
  fails_with(v2, "module schema version 2 is not supported (expected 1)");
  Bytes trailing = good;
  trailing.push_back(0);
  fails_with(trailing, "trailing bytes");
  // A single table "t" of type () whose option/bool bytes are then corrupted.
  auto table_with = [](std::initializer_list<uint8_t> after_type) {
    Bytes b{1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 't', 2, 0, 0, 0, 0};
    b.insert(b.end(), after_type);
    return b;
  };
  fails_with(table_with({2}), "primary key of table 't'");
  fails_with(table_with({1, 2}), "visibility of table 't'");
  fails_with(table_with({1, 1, 0xff, 0xff, 0xff, 0xff}), "unique constraints of table 't'");
  fails_with(table_with({1, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}), "indexes of table 't'");
  fails_with(table_with({1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5}), "schedule of table 't'");
  Bytes bad_type{1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 't', 99};
  fails_with(bad_type, "row type of table 't'");
  fails_with(Bytes{1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}, "table count");
  fails_with(Bytes{1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f}, "reducer count");
  fails_with(Bytes{1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 'r', 2, 0, 0, 0, 0, 4},
             "lifecycle of reducer 'r'");
  fails_with(Bytes{1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 'r', 20},
             "parameters of reducer 'r'");
  fails_with(Bytes{}, "version");
  fails_with(Bytes(kModuleDefBytesMax + 1, 0), "too large");
}

RC_GTEST_PROP(ModuleDefProperty, GarbageNeverCrashesTheDecoder, ()) {
  // Arbitrary bytes after a valid version either decode or fail with kBadModule.
  Bytes b{1, 0, 0, 0};
  const auto tail = *rc::gen::container<Bytes>(rc::gen::arbitrary<uint8_t>());
  b.insert(b.end(), tail.begin(), tail.end());
  auto d = DecodeModuleDef(b);
  if (d.ok()) {
    RC_ASSERT(EncodeModuleDef(*d) == b);
  } else {
    RC_ASSERT(d.status().code() == ErrorCode::kBadModule);
  }
}

TEST(ValidateModuleDef, AcceptsAWellFormedSchema) {
  // Proves the valid baseline passes, so each rejection below is due to its one change.
  Status s = ValidateModuleDef(ValidDef());
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(ValidateModuleDef(ModuleDef{}).ok());
}

TEST(ValidateModuleDef, RejectsInvalidTablesNamingTheTable) {
  // Proves each table rule of module-abi.md rejects with kBadModule and names the table.
  auto with = [](auto edit) {
    ModuleDef def = ValidDef();
    edit(def);
    return def;
  };
  ExpectInvalid(with([](ModuleDef& d) { d.tables[1].name = "user"; }), ErrorCode::kBadModule,
                "duplicate table name 'user'");
  for (const char* bad : {"", "1st", "has space", "dash-ed", "ünï", "a.b"}) {
    ExpectInvalid(with([&](ModuleDef& d) { d.tables[0].name = bad; }), ErrorCode::kBadModule,
                  "invalid table name '" + std::string(bad) + "'");
  }
  ExpectInvalid(with([](ModuleDef& d) { d.tables[0].name = std::string(256, 'a'); }),
                ErrorCode::kBadModule, "invalid table name");
  EXPECT_TRUE(ValidateModuleDef(with([](ModuleDef& d) {
                d.tables[0].name = "_" + std::string(253, 'Z') + "9";
              })).ok());
  ExpectInvalid(with([](ModuleDef& d) { d.tables[1].row_type = AlgebraicType::String(); }),
                ErrorCode::kBadModule, "table 'secret': row type is not a product");
  ExpectInvalid(with([](ModuleDef& d) {
                  d.tables[1].row_type = AlgebraicType::Sum({Element{"a", AlgebraicType::Unit()}});
                }),
                ErrorCode::kBadModule, "table 'secret': row type is not a product");
  ExpectInvalid(with([](ModuleDef& d) { d.tables[1].row_type = AlgebraicType::Unit(); }),
                ErrorCode::kBadModule, "table 'secret': has no columns");
  ExpectInvalid(with([](ModuleDef& d) {
                  d.tables[1].row_type = AlgebraicType::Product(
                      {Element{"x", AlgebraicType::Array(AlgebraicType::Ref(0))}});
                }),
                ErrorCode::kBadModule, "table 'secret': row type uses a type reference");
  ExpectInvalid(with([](ModuleDef& d) {
                  d.tables[1].row_type =
                      AlgebraicType::Product({Element{std::nullopt, AlgebraicType::Bool()}});
                }),
                ErrorCode::kBadModule, "table 'secret': a column has no valid name");
  ExpectInvalid(
      with([](ModuleDef& d) {
        d.tables[1].row_type = AlgebraicType::Product({Element{"9x", AlgebraicType::Bool()}});
      }),
      ErrorCode::kBadModule, "a column has no valid name");
  ExpectInvalid(with([](ModuleDef& d) {
                  d.tables[1].row_type = AlgebraicType::Product(
                      {Element{"x", AlgebraicType::Bool()}, Element{"x", AlgebraicType::String()}});
                }),
                ErrorCode::kBadModule, "table 'secret': duplicate column name 'x'");
  ExpectInvalid(with([](ModuleDef& d) { d.tables[0].primary_key = 3; }), ErrorCode::kBadModule,
                "table 'user': primary key column index 3 out of range");
  EXPECT_TRUE(ValidateModuleDef(with([](ModuleDef& d) { d.tables[0].primary_key = 2; })).ok());
}

// A table "item" (id u64, owner Identity, x i32, score f64, at ScheduleAt) with a
// reducer "fire" taking its row, added to ValidDef().
ModuleDef DefWithItem() {
  ModuleDef def = ValidDef();
  const AlgebraicType row = AlgebraicType::Product(
      {Element{"id", AlgebraicType(TypeKind::kU64)}, Element{"owner", AlgebraicType::Identity()},
       Element{"x", AlgebraicType(TypeKind::kI32)}, Element{"score", AlgebraicType(TypeKind::kF64)},
       Element{"at", AlgebraicType::ScheduleAt()}});
  def.tables.push_back(TableDef{
      "item", row, 0, true, {{1}}, {IndexDef{"item_x", 0, {2, 1}}}, {0}, ScheduleDef{"fire", 4}});
  def.reducers.push_back(
      ReducerDef{"fire", AlgebraicType::Product({Element{"item", row}}), Lifecycle::kNone});
  return def;
}

TEST(ValidateModuleDef, AcceptsIndexesUniqueConstraintsSequencesAndSchedules) {
  // Proves a schema using every issue-3 feature validates, and that TableSchemas backs
  // the unique constraint and the primary key with implicit hash indexes after the
  // declared ones (module-abi.md "Index ids").
  const ModuleDef def = DefWithItem();
  ASSERT_TRUE(ValidateModuleDef(def).ok()) << ValidateModuleDef(def).ToString();
  const store::TableSchema item = def.TableSchemas()[2];
  ASSERT_EQ(item.indexes.size(), 3u);
  EXPECT_EQ(item.indexes[0].name, "item_x");
  EXPECT_FALSE(item.indexes[0].unique);
  EXPECT_EQ(item.indexes[1].name, "item_owner_key");
  EXPECT_TRUE(item.indexes[1].unique);
  EXPECT_EQ(item.indexes[1].algorithm, store::IndexAlgorithm::kHash);
  EXPECT_EQ(item.indexes[2].name, "item_id_key");
  EXPECT_EQ(item.primary_index(), 2u);
  EXPECT_EQ(item.sequences, std::vector<uint16_t>{0});
  ASSERT_TRUE(item.schedule.has_value());
  EXPECT_EQ(item.schedule->reducer, "fire");
  // A declared index with a constraint's exact columns becomes unique itself.
  ModuleDef d2 = DefWithItem();
  d2.tables[2].indexes.push_back(IndexDef{"by_owner", 0, {1}});
  const store::TableSchema item2 = d2.TableSchemas()[2];
  ASSERT_EQ(item2.indexes.size(), 3u);
  EXPECT_TRUE(item2.indexes[1].unique);
  EXPECT_EQ(item2.indexes[1].name, "by_owner");
}

TEST(ValidateModuleDef, RejectsBadKeysIndexesSequencesAndSchedulesNamingTheProblem) {
  // Proves each issue-3 rule rejects with kBadModule and a message naming the table, the
  // column or index, and what is wrong (the previous module keeps running: the host
  // never swaps in a module that fails validation).
  auto with = [](auto edit) {
    ModuleDef def = DefWithItem();
    edit(def);
    return def;
  };
  const ErrorCode bad = ErrorCode::kBadModule;
  ExpectInvalid(with([](ModuleDef& d) { d.tables[2].primary_key = 3; }), bad,
                "table 'item': primary key column 'score' has type F64, which cannot be a key");
  ExpectInvalid(with([](ModuleDef& d) {
                  d.tables[2].indexes[0].columns = {2, 9};
                }),
                bad, "table 'item': index 'item_x' names unknown column index 9");
  ExpectInvalid(with([](ModuleDef& d) {
                  d.tables[2].indexes[0].columns = {2, 2};
                }),
                bad, "table 'item': index 'item_x' lists column 'x' twice");
  ExpectInvalid(with([](ModuleDef& d) { d.tables[2].indexes[0].columns = {}; }), bad,
                "table 'item': index 'item_x' has no columns");
  ExpectInvalid(
      with([](ModuleDef& d) { d.tables[2].indexes[0].columns = {3}; }), bad,
      "table 'item': index 'item_x' is on column 'score' of type F64, which cannot be a key");
  ExpectInvalid(with([](ModuleDef& d) { d.tables[2].indexes[0].algorithm = 7; }), bad,
                "table 'item': index 'item_x' has unknown algorithm 7");
  ExpectInvalid(with([](ModuleDef& d) { d.tables[2].indexes[0].name = "9x"; }), bad,
                "table 'item': invalid index name '9x'");
  ExpectInvalid(with([](ModuleDef& d) {
                  d.tables[2].indexes.push_back(IndexDef{"item_x", 1, {0}});
                }),
                bad, "duplicate index name 'item_x'");
  ExpectInvalid(with([](ModuleDef& d) { d.tables[2].indexes[0].name = "item_owner_key"; }), bad,
                "duplicate index name 'item_owner_key'");
  ExpectInvalid(with([](ModuleDef& d) { d.tables[2].unique_columns = {{4}}; }), bad,
                "table 'item': a unique constraint is on column 'at' of type ScheduleAt");
  ExpectInvalid(with([](ModuleDef& d) { d.tables[2].sequences = {3}; }), bad,
                "table 'item': auto-increment column 'score' has type F64; it must be an integer");
  ExpectInvalid(with([](ModuleDef& d) {
                  d.tables[2].sequences = {0, 0};
                }),
                bad, "table 'item': auto-increment declared twice on column 'id'");
  ExpectInvalid(
      with([](ModuleDef& d) { d.tables[2].schedule->at_column = 2; }), bad,
      "table 'item': schedule column 'x' has type I32; a schedule table needs a ScheduleAt column");
  ExpectInvalid(with([](ModuleDef& d) { d.tables[2].primary_key.reset(); }), bad,
                "table 'item': a schedule table needs a primary key");
  ExpectInvalid(with([](ModuleDef& d) { d.tables[2].schedule->reducer = "nope"; }), bad,
                "schedule table 'item': reducer 'nope' does not exist");
  ExpectInvalid(with([](ModuleDef& d) { d.tables[2].schedule->reducer = "send"; }), bad,
                "schedule table 'item': reducer 'send' must take exactly one parameter of the "
                "table's row type");
  ExpectInvalid(with([](ModuleDef& d) { d.tables[2].schedule->reducer = "init"; }), bad,
                "schedule table 'item': reducer 'init' is a lifecycle reducer");
}

TEST(ValidateModuleDef, RejectsInvalidReducersNamingTheReducer) {
  // Proves each reducer rule rejects with kBadModule and names the reducer or lifecycle.
  auto with = [](auto edit) {
    ModuleDef def = ValidDef();
    edit(def);
    return def;
  };
  ExpectInvalid(with([](ModuleDef& d) { d.reducers[1].name = "send"; }), ErrorCode::kBadModule,
                "duplicate reducer name 'send'");
  ExpectInvalid(with([](ModuleDef& d) { d.reducers[0].name = "send message"; }),
                ErrorCode::kBadModule, "invalid reducer name 'send message'");
  ExpectInvalid(with([](ModuleDef& d) { d.reducers[0].name = ""; }), ErrorCode::kBadModule,
                "invalid reducer name ''");
  ExpectInvalid(with([](ModuleDef& d) { d.reducers[0].params = AlgebraicType::String(); }),
                ErrorCode::kBadModule, "reducer 'send': parameters are not a product");
  ExpectInvalid(
      with([](ModuleDef& d) {
        d.reducers[0].params = AlgebraicType::Product({Element{"x", AlgebraicType::Ref(1)}});
      }),
      ErrorCode::kBadModule, "reducer 'send': parameters use a type reference");
  ExpectInvalid(with([](ModuleDef& d) { d.reducers[2].lifecycle = Lifecycle::kInit; }),
                ErrorCode::kBadModule, "more than one init reducer");
  ExpectInvalid(with([](ModuleDef& d) { d.reducers[3].lifecycle = Lifecycle::kClientConnected; }),
                ErrorCode::kBadModule, "more than one client_connected reducer");
  ExpectInvalid(
      with([](ModuleDef& d) {
        d.reducers[2].params = AlgebraicType::Product({Element{"x", AlgebraicType::Bool()}});
      }),
      ErrorCode::kBadModule, "reducer 'hello': lifecycle reducers take no parameters");
  // Tables and reducers have separate namespaces.
  EXPECT_TRUE(ValidateModuleDef(with([](ModuleDef& d) { d.reducers[0].name = "user"; })).ok());
}

TEST(ModuleDef, LookupsAndStoreSchemasFollowDeclarationOrder) {
  // Proves FindReducer / FindLifecycle return indexes, and TableSchemas numbers tables in
  // order with their row types, keys and visibility.
  const ModuleDef def = ValidDef();
  EXPECT_EQ(def.FindReducer("send"), 0u);
  EXPECT_EQ(def.FindReducer("bye"), 3u);
  EXPECT_EQ(def.FindReducer("Send"), std::nullopt);
  EXPECT_EQ(def.FindLifecycle(Lifecycle::kInit), 1u);
  EXPECT_EQ(def.FindLifecycle(Lifecycle::kClientDisconnected), 3u);
  EXPECT_EQ(ModuleDef{}.FindLifecycle(Lifecycle::kInit), std::nullopt);
  auto schemas = def.TableSchemas();
  ASSERT_EQ(schemas.size(), 2u);
  EXPECT_EQ(schemas[1].table_id, 1u);
  EXPECT_EQ(schemas[1].name, "secret");
  EXPECT_FALSE(schemas[1].is_public);
  EXPECT_EQ(schemas[0].primary_key, 0);
  EXPECT_EQ(schemas[0].row_type, def.tables[0].row_type);
}

TEST(ModuleDef, JsonNamesColumnsKeysAndLifecycles) {
  // Proves the /schema JSON lists columns with types, the primary key by column name,
  // visibility, and lifecycle names (null for ordinary reducers).
  const sats::Json j = ModuleDefToJson(ValidDef());
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["tables"][0]["name"], "user");
  EXPECT_EQ(j["tables"][0]["columns"][1]["name"], "name");
  EXPECT_EQ(j["tables"][0]["columns"][1]["type_name"], "Option<String>");
  EXPECT_EQ(j["tables"][0]["primary_key"], sats::Json::array({"identity"}));
  EXPECT_EQ(j["tables"][1]["primary_key"], sats::Json::array());
  EXPECT_EQ(j["tables"][1]["public"], false);
  EXPECT_EQ(j["reducers"][0]["params"][0]["name"], "text");
  EXPECT_TRUE(j["reducers"][0]["lifecycle"].is_null());
  EXPECT_EQ(j["reducers"][2]["lifecycle"], "client_connected");
}

}  // namespace
}  // namespace stdb::module
