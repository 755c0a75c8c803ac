// Tests of the C++ bindings generator: what it declares for a schema and what it refuses.
// sdk/cpp/tests compiles the generated header for testdata/all_types.h and round-trips
// rows through it, so these tests check the text only.
#include <gtest/gtest.h>

#include "codegen/codegen.h"
#include "codegen/testdata/all_types.h"

namespace stdb::codegen {
namespace {

using sats::AlgebraicType;

std::string Generate(const module::ModuleDef& def) {
  auto files = GenerateCpp(def);
  EXPECT_TRUE(files.ok()) << files.status().message();
  if (!files.ok()) return "";
  EXPECT_EQ(files->size(), 1u);
  EXPECT_EQ(files->at(0).path, "module_bindings.h");
  return files->at(0).contents;
}

#define EXPECT_CONTAINS(text, piece) \
  EXPECT_NE((text).find(piece), std::string::npos) << "missing: " << (piece)

TEST(GenerateCpp, ChatSchemaGivesRowStructsTablesAndCallableReducers) {
  // The quickstart chat's tables become structs and table handles; its callable
  // reducers become typed functions; lifecycle reducers do not.
  module::TableDef user;
  user.name = "user";
  user.row_type = AlgebraicType::Product({{"identity", AlgebraicType::Identity()},
                                          {"name", AlgebraicType::Option(AlgebraicType::String())},
                                          {"online", AlgebraicType::Bool()}});
  user.primary_key = 0;
  module::ReducerDef set_name{"set_name", AlgebraicType::Product({{"name", AlgebraicType::String()}})};
  module::ReducerDef connected{"client_connected", AlgebraicType::Product({}),
                               module::Lifecycle::kClientConnected};
  module::ModuleDef def;
  def.tables = {user};
  def.reducers = {set_name, connected};
  const std::string h = Generate(def);
  EXPECT_CONTAINS(h, "struct User {");
  EXPECT_CONTAINS(h, "stdb::client::Identity identity{};");
  EXPECT_CONTAINS(h, "std::optional<std::string> name{};");
  EXPECT_CONTAINS(h, "bool online{};");
  EXPECT_CONTAINS(h, "class UserTable : public stdb::client::TypedTable<User>");
  EXPECT_CONTAINS(h, "std::optional<User> find_by_identity(const stdb::client::Identity& key)");
  EXPECT_CONTAINS(h, "UserTable user;");
  EXPECT_CONTAINS(h, "set_name(const std::string& name, std::function<");
  EXPECT_CONTAINS(h, "conn.register_table(\"user\", *type, 0)");
  EXPECT_CONTAINS(h, "\"SELECT * FROM user\"");
  EXPECT_EQ(h.find("client_connected"), std::string::npos);
}

TEST(GenerateCpp, EveryModuleTypeMapsToACppType) {
  // Each SATS type the module SDK can declare has a C++ type; nested types are named
  // after where they appear; private tables and lifecycle reducers are left out.
  const std::string h = Generate(testdata::AllTypesModule());
  for (const char* piece : {
           "uint64_t id{};", "bool b{};", "int8_t i8{};", "uint8_t u8{};", "int16_t i16{};",
           "uint16_t u16{};", "int32_t i32{};", "uint32_t u32{};", "int64_t i64{};",
           "stdb::i128 i128{};", "stdb::u128 u128{};", "stdb::I256 i256{};",
           "stdb::U256 u256{};", "float f32{};", "double f64{};", "std::string s{};",
           "std::vector<uint8_t> bytes{};", "std::vector<std::string> list{};",
           "std::optional<int32_t> maybe{};", "EverythingPos pos{};",
           "std::vector<EverythingPathItem> path{};", "EverythingColor color{};",
           "EverythingShape shape{};", "stdb::client::Identity who{};",
           "stdb::client::ConnectionId conn{};", "stdb::client::Timestamp at{};",
           "stdb::client::TimeDuration took{};", "stdb::client::ScheduleAt when{};",
           "bool class_{};", "enum class EverythingColor : uint8_t { Red, Green };",
           "kCount = 2;", "std::variant<double, stdb::client::Unit, EverythingShapeBox> value;",
           "find_by_id(const uint64_t& key)",
           "add(const uint64_t& id, const AddWhere& where, const std::vector<std::string>& tags,",
       }) {
    EXPECT_CONTAINS(h, piece);
  }
  EXPECT_EQ(h.find("hidden"), std::string::npos);
  EXPECT_EQ(h.find("init("), std::string::npos);
}

TEST(GenerateCpp, TypeItCannotExpressFailsNamingTableColumnAndType) {
  // A type reference (never in module schemas) is refused with where it was found.
  module::TableDef t;
  t.name = "things";
  t.row_type = AlgebraicType::Product({{"ok", AlgebraicType::Bool()},
                                       {"link", AlgebraicType::Option(AlgebraicType::Ref(3))}});
  module::ModuleDef def;
  def.tables = {t};
  auto files = GenerateCpp(def);
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().code(), ErrorCode::kUnsupported);
  EXPECT_CONTAINS(files.status().message(), "table things");
  EXPECT_CONTAINS(files.status().message(), "column link");
  EXPECT_CONTAINS(files.status().message(), "Ref(3)");

  module::ReducerDef r{"take", AlgebraicType::Product(
                                   {{"units", AlgebraicType::Array(AlgebraicType::Unit())}})};
  module::ModuleDef def2;
  def2.reducers = {r};
  auto files2 = GenerateCpp(def2);
  ASSERT_FALSE(files2.ok());
  EXPECT_CONTAINS(files2.status().message(), "reducer take parameter units");
}

TEST(GenerateCpp, ClashingGeneratedNamesAreRefused) {
  // Two tables whose struct names coincide cannot both be generated.
  module::TableDef a;
  a.name = "user_data";
  a.row_type = AlgebraicType::Product({{"x", AlgebraicType::Bool()}});
  module::TableDef b = a;
  b.name = "userData";
  module::ModuleDef def;
  def.tables = {a, b};
  auto files = GenerateCpp(def);
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().code(), ErrorCode::kUnsupported);
  EXPECT_CONTAINS(files.status().message(), "UserData");
}

}  // namespace
}  // namespace stdb::codegen
