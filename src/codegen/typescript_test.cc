// Tests of the TypeScript generator: real modules (the quickstart example, the module
// SDK's test module) and hand-built schemas for every type, odd names and refusals. That
// the SDK's TypeScript types accept the output is checked by tests/compat (tsc, strict).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "codegen/codegen.h"
#include "codegen/typescript_edge_module.h"
#include "codegen/typescript_names.h"
#include "module/host.h"

namespace stdb::codegen {
namespace {

using module::Lifecycle;
using module::ModuleDef;
using module::ReducerDef;
using module::TableDef;
using sats::AlgebraicType;
using sats::Element;
using sats::TypeKind;

std::map<std::string, std::string> ByPath(const std::vector<GeneratedFile>& files) {
  std::map<std::string, std::string> out;
  for (const auto& f : files) out[f.path] = f.contents;
  return out;
}

std::map<std::string, std::string> GenerateOrDie(const ModuleDef& def) {
  auto files = GenerateTypeScript(def);
  EXPECT_TRUE(files.ok()) << files.status().message();
  if (!files.ok()) return {};
  return ByPath(*files);
}

ModuleDef LoadModule(const char* path) {
  auto host = module::ModuleHost::Load(path);
  EXPECT_TRUE(host.ok()) << host.status().message();
  return host.ok() ? (*host)->def() : ModuleDef{};
}

Element Field(std::string name, AlgebraicType type) {
  return Element{std::move(name), std::move(type)};
}

TableDef Table(std::string name, std::vector<Element> columns) {
  TableDef t;
  t.name = std::move(name);
  t.row_type = AlgebraicType::Product(std::move(columns));
  return t;
}

ModuleDef OneTable(TableDef table) {
  ModuleDef def;
  def.tables.push_back(std::move(table));
  return def;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(TypeScriptNames, CamelCaseMatchesTheSdk) {
  // Cases checked against the SDK's toCamelCase (spacetimedb 2.10.1, lib/util.ts).
  EXPECT_EQ(ts::ToCamelCase("send_message"), "sendMessage");
  EXPECT_EQ(ts::ToCamelCase("user"), "user");
  EXPECT_EQ(ts::ToCamelCase("SetName"), "setName");
  EXPECT_EQ(ts::ToCamelCase("a__b--c"), "aBC");
  EXPECT_EQ(ts::ToCamelCase("__x"), "x");
  EXPECT_EQ(ts::ToCamelCase("x_"), "x_");
  EXPECT_EQ(ts::ToCamelCase("col_2"), "col2");
  EXPECT_EQ(ts::ToPascalCase("player_by_level"), "PlayerByLevel");
  EXPECT_EQ(ts::ToSnakeCase("MyTable2x"), "my_table2x");
  EXPECT_EQ(ts::ToSnakeCase("user"), "user");
}

TEST(TypeScriptNames, KeysAreQuotedOnlyWhenTheyAreNotIdentifierNames) {
  // Reserved words are valid unquoted object keys; spaces and leading digits are not.
  EXPECT_EQ(ts::PropertyKey("class"), "class");
  EXPECT_EQ(ts::PropertyKey("$a_1"), "$a_1");
  EXPECT_EQ(ts::PropertyKey("my col"), "\"my col\"");
  EXPECT_EQ(ts::PropertyKey("1st"), "\"1st\"");
  EXPECT_EQ(ts::Quote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
  EXPECT_EQ(ts::SanitizeIdentifier("1a-b"), "_1a_b");
}

TEST(TypeScriptGenerator, QuickstartBindingsHaveTheSdkShape) {
  // The quickstart module gives one file per public table and callable reducer, the
  // primary key as .primaryKey(), and no lifecycle reducers.
  auto files = GenerateOrDie(LoadModule(QUICKSTART_CHAT_MODULE));
  std::vector<std::string> paths;
  for (const auto& [path, _] : files) paths.push_back(path);
  EXPECT_EQ(paths, (std::vector<std::string>{"index.ts", "message_table.ts",
                                             "send_message_reducer.ts", "set_name_reducer.ts",
                                             "types.ts", "types/reducers.ts", "user_table.ts"}));
  const std::string& user = files["user_table.ts"];
  EXPECT_TRUE(Contains(user, "  identity: __t.identity().primaryKey(),\n")) << user;
  EXPECT_TRUE(Contains(user, "  name: __t.option(__t.string()),\n")) << user;
  EXPECT_TRUE(Contains(user, "  online: __t.bool(),\n")) << user;
  const std::string& message = files["message_table.ts"];
  EXPECT_TRUE(Contains(message, "  sent: __t.timestamp(),\n")) << message;
  EXPECT_TRUE(
      Contains(files["set_name_reducer.ts"], "export default {\n  name: __t.string(),\n};"));

  const std::string& index = files["index.ts"];
  EXPECT_TRUE(Contains(index, "__reducerSchema(\"send_message\", SendMessageReducer),")) << index;
  EXPECT_TRUE(Contains(index, "__reducerSchema(\"set_name\", SetNameReducer),")) << index;
  EXPECT_FALSE(Contains(index, "client_connected")) << index;
  EXPECT_FALSE(Contains(index, "\"init\"")) << index;
  EXPECT_TRUE(Contains(index, "import UserRow from \"./user_table.js\";")) << index;
  EXPECT_TRUE(Contains(index, "cliVersion: \"2.0.0\" as const")) << index;
  EXPECT_TRUE(Contains(index, "export class DbConnection extends __DbConnectionImpl")) << index;
  EXPECT_TRUE(Contains(index, "constraint: \"unique\", columns: [\"identity\"]")) << index;
  EXPECT_TRUE(Contains(files["types.ts"], "export type User = __Infer<typeof __row_User>;"));
  EXPECT_TRUE(Contains(files["types/reducers.ts"],
                       "export type SendMessageParams = __Infer<typeof SendMessageReducer>;"));
  for (const auto& [path, contents] : files) {
    EXPECT_EQ(
        contents.rfind("// THIS FILE IS GENERATED BY `spacetime generate --lang typescript`", 0),
        0u)
        << path;
  }
}

TEST(TypeScriptGenerator, SdkTestModuleMapsEveryColumnType) {
  // store_everything takes a row with one field of every type the module SDK supports;
  // private tables (everything, call_info, tick_schedule) stay out of the bindings.
  auto files = GenerateOrDie(LoadModule(SDK_TEST_MODULE));
  EXPECT_EQ(files.count("everything_table.ts"), 0u);
  EXPECT_EQ(files.count("call_info_table.ts"), 0u);
  EXPECT_EQ(files.count("tick_schedule_table.ts"), 0u);
  EXPECT_EQ(files.count("item_table.ts"), 1u);
  EXPECT_EQ(files.count("on_connect_reducer.ts"), 0u);
  const std::string& everything = files["store_everything_reducer.ts"];
  for (const char* expected :
       {"flag: __t.bool(),",
        "i8: __t.i8(),",
        "u16: __t.u16(),",
        "i128: __t.i128(),",
        "u256: __t.u256(),",
        "f32: __t.f32(),",
        "f64: __t.f64(),",
        "text: __t.string(),",
        "bytes: __t.byteArray(),",
        "words: __t.array(__t.string()),",
        "maybe: __t.option(__t.i32()),",
        "identity: __t.identity(),",
        "connectionId: __t.connectionId(),",
        "timestamp: __t.timestamp(),",
        "duration: __t.timeDuration(),",
        "schedule: __t.scheduleAt(),",
        "point: __t.object(\"StoreEverythingRowPoint\", {\n      x: __t.i32(),",
        "color: __t.enum(\"StoreEverythingRowColor\", [\"Red\", \"Green\", \"Blue\"]),",
        "path: __t.array(__t.object(\"StoreEverythingRowPath\", {",
        "nested: __t.option(__t.array(__t.option(__t.enum(\"StoreEverythingRowNested\""}) {
    EXPECT_TRUE(Contains(everything, expected)) << expected << "\n" << everything;
  }
  const std::string& player = files["player_table.ts"];
  EXPECT_TRUE(Contains(player, "id: __t.u64().primaryKey(),")) << player;
  EXPECT_TRUE(Contains(player, "name: __t.string().unique(),")) << player;
  const std::string& index = files["index.ts"];
  // Hash indexes are declared as btree: the SDK's client cache supports no other kind.
  EXPECT_TRUE(Contains(index,
                       "{ accessor: \"playerByTeam\", name: \"player_by_team\", "
                       "algorithm: \"btree\", columns: [\"team\", \"level\"] },"))
      << index;
  EXPECT_TRUE(Contains(index, "{ accessor: \"name\", name: \"player_name_key\"")) << index;
  EXPECT_FALSE(Contains(index, "\"hash\"")) << index;
}

TEST(TypeScriptGenerator, EveryHandBuiltTypeMapsToItsBuilder) {
  // Each SATS type, including special products and sums, nested inside arrays and
  // options, maps to the SDK builder for it.
  AlgebraicType shape = AlgebraicType::Sum(
      {Field("circle", AlgebraicType(TypeKind::kF32)),
       Field("rect", AlgebraicType::Product({Field("w", AlgebraicType(TypeKind::kU16)),
                                             Field("h", AlgebraicType(TypeKind::kU16))})),
       Field("empty", AlgebraicType::Unit())});
  TableDef t = Table("all_types", {Field("a", AlgebraicType(TypeKind::kU128)),
                                   Field("b", AlgebraicType(TypeKind::kI256)),
                                   Field("c", AlgebraicType::Array(AlgebraicType::Bytes())),
                                   Field("d", shape), Field("e", AlgebraicType::Unit()),
                                   Field("f", AlgebraicType::Option(AlgebraicType::ScheduleAt()))});
  auto files = GenerateOrDie(OneTable(t));
  const std::string& row = files["all_types_table.ts"];
  EXPECT_TRUE(Contains(row, "  a: __t.u128(),\n  b: __t.i256(),\n")) << row;
  EXPECT_TRUE(Contains(row, "  c: __t.array(__t.byteArray()),\n")) << row;
  EXPECT_TRUE(Contains(row,
                       "  d: __t.enum(\"AllTypesD\", {\n    Circle: __t.f32(),\n"
                       "    Rect: __t.object(\"AllTypesDRect\", {\n      w: __t.u16(),\n"
                       "      h: __t.u16(),\n    }),\n    Empty: __t.unit(),\n  }),\n"))
      << row;
  EXPECT_TRUE(Contains(row, "  e: __t.unit(),\n")) << row;
  EXPECT_TRUE(Contains(row, "  f: __t.option(__t.scheduleAt()),\n")) << row;
}

TEST(TypeScriptGenerator, TypeReferenceFailsNamingTableColumnAndType) {
  // The ModuleDef has no typespace, so a Ref cannot be resolved; the error says where.
  auto files = GenerateTypeScript(OneTable(Table("things", {Field("x", AlgebraicType::Ref(3))})));
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().code(), ErrorCode::kUnsupported);
  EXPECT_TRUE(Contains(files.status().message(), "table 'things' column 'x'"))
      << files.status().message();
  EXPECT_TRUE(Contains(files.status().message(), "reference")) << files.status().message();
}

TEST(TypeScriptGenerator, UnsupportedShapesFailWithWhere) {
  // Unnamed fields, empty sums and refs inside reducer parameters are refused by name.
  ModuleDef def;
  ReducerDef r;
  r.name = "go";
  r.params = AlgebraicType::Product({Field("p", AlgebraicType::Array(AlgebraicType::Sum({})))});
  def.reducers.push_back(r);
  auto files = GenerateTypeScript(def);
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().code(), ErrorCode::kUnsupported);
  EXPECT_TRUE(Contains(files.status().message(), "reducer 'go' parameter 'p'"))
      << files.status().message();

  auto unnamed = GenerateTypeScript(OneTable(Table(
      "t", {Field("x", AlgebraicType::Product({Element{std::nullopt, AlgebraicType::Bool()}}))})));
  ASSERT_FALSE(unnamed.ok());
  EXPECT_TRUE(Contains(unnamed.status().message(), "unnamed field")) << unnamed.status().message();

  // Nesting is bounded, options and arrays included (they add no indentation).
  AlgebraicType deep = AlgebraicType::Bool();
  for (int i = 0; i < 100; ++i)
    deep = (i % 2) ? AlgebraicType::Option(deep) : AlgebraicType::Array(deep);
  auto too_deep = GenerateTypeScript(OneTable(Table("t", {Field("x", deep)})));
  ASSERT_FALSE(too_deep.ok());
  EXPECT_TRUE(Contains(too_deep.status().message(), "nested deeper than"))
      << too_deep.status().message();
}

TEST(TypeScriptGenerator, OddNamesAreCamelCasedQuotedOrRefused) {
  // Snake-case columns become camelCase keys that keep the SQL name via .name(); names
  // that are not identifiers are quoted; names that collide are refused.
  TableDef t = Table("Game_State", {Field("player_id", AlgebraicType(TypeKind::kU32)),
                                    Field("my col", AlgebraicType::Bool()),
                                    Field("class", AlgebraicType::String())});
  t.primary_key = 0;
  auto files = GenerateOrDie(OneTable(t));
  const std::string& row = files["game_state_table.ts"];
  EXPECT_TRUE(Contains(row, "  playerId: __t.u32().primaryKey().name(\"player_id\"),\n")) << row;
  EXPECT_TRUE(Contains(row, "  \"my col\": __t.bool(),\n")) << row;
  EXPECT_TRUE(Contains(row, "  class: __t.string(),\n")) << row;
  const std::string& index = files["index.ts"];
  EXPECT_TRUE(Contains(index, "  gameState: __table({\n    name: \"Game_State\",")) << index;
  EXPECT_TRUE(Contains(index, "}, GameStateRow),")) << index;

  auto collide = GenerateTypeScript(OneTable(
      Table("t", {Field("a_b", AlgebraicType::Bool()), Field("aB", AlgebraicType::Bool())})));
  ASSERT_FALSE(collide.ok());
  EXPECT_TRUE(Contains(collide.status().message(), "column 'aB'")) << collide.status().message();

  ModuleDef two;
  two.tables = {Table("user", {Field("x", AlgebraicType::Bool())}),
                Table("User", {Field("x", AlgebraicType::Bool())})};
  auto tables = GenerateTypeScript(two);
  ASSERT_FALSE(tables.ok());
  EXPECT_TRUE(Contains(tables.status().message(), "tables 'User' and 'user'"))
      << tables.status().message();

  // An index accessor that would overwrite a method of the SDK's table handle.
  TableDef m = Table("m", {Field("x", AlgebraicType(TypeKind::kU32))});
  m.indexes.push_back(module::IndexDef{"count", 0, {0}});
  auto method = GenerateTypeScript(OneTable(m));
  ASSERT_FALSE(method.ok());
  EXPECT_TRUE(Contains(method.status().message(), "index 'count'")) << method.status().message();
}

TEST(TypeScriptGenerator, PrivateTablesAndLifecycleReducersAreLeftOut) {
  // Clients can neither read private tables nor call lifecycle reducers.
  ModuleDef def;
  TableDef secret = Table("secret", {Field("x", AlgebraicType::Bool())});
  secret.is_public = false;
  def.tables = {secret, Table("open", {Field("x", AlgebraicType::Bool())})};
  ReducerDef init;
  init.name = "init";
  init.lifecycle = Lifecycle::kInit;
  ReducerDef ping;
  ping.name = "ping";
  def.reducers = {init, ping};
  auto files = GenerateOrDie(def);
  EXPECT_EQ(files.count("secret_table.ts"), 0u);
  EXPECT_EQ(files.count("open_table.ts"), 1u);
  EXPECT_EQ(files.count("init_reducer.ts"), 0u);
  EXPECT_TRUE(Contains(files["ping_reducer.ts"], "\nexport default {};\n"))
      << files["ping_reducer.ts"];
  EXPECT_FALSE(Contains(files["index.ts"], "secret"));
}

TEST(TypeScriptGenerator, MultiColumnUniqueIsLeftToTheServer) {
  // The SDK's constraint options take one column, so a composite unique constraint is
  // noted in a comment and the index over it stays non-unique on the client.
  TableDef t = Table(
      "pair", {Field("a", AlgebraicType(TypeKind::kU8)), Field("b", AlgebraicType(TypeKind::kU8))});
  t.unique_columns = {{0, 1}};
  t.indexes.push_back(module::IndexDef{"pair_a_b_key", 1, {0, 1}});
  auto files = GenerateOrDie(OneTable(t));
  const std::string& index = files["index.ts"];
  EXPECT_TRUE(Contains(index, "// unique (a, b): enforced by the server only")) << index;
  EXPECT_TRUE(Contains(index, "accessor: \"pairABKey\"")) << index;
  EXPECT_FALSE(Contains(files["pair_table.ts"], "unique()"));
}

TEST(TypeScriptGenerator, OutputIsDeterministicAndSorted) {
  // The order of tables and reducers in the module does not change the output.
  ModuleDef a;
  a.tables = {Table("zeta", {Field("x", AlgebraicType::Bool())}),
              Table("alpha", {Field("x", AlgebraicType::Bool())})};
  ReducerDef r1, r2;
  r1.name = "b_call";
  r2.name = "a_call";
  a.reducers = {r1, r2};
  ModuleDef b = a;
  std::reverse(b.tables.begin(), b.tables.end());
  std::reverse(b.reducers.begin(), b.reducers.end());
  auto fa = GenerateOrDie(a);
  auto fb = GenerateOrDie(b);
  EXPECT_EQ(fa, fb);
  const std::string& index = fa["index.ts"];
  EXPECT_LT(index.find("alpha: __table"), index.find("zeta: __table"));
  EXPECT_LT(index.find("\"a_call\""), index.find("\"b_call\""));
}

TEST(TypeScriptGenerator, EdgeCaseModuleGeneratesWhatTscChecks) {
  // The schema compat_bindings_edge_typecheck compiles: a simple-enum primary key, a
  // renamed unique column, a quoted key, an enum with payloads, deep nesting.
  auto files = GenerateOrDie(EdgeCaseModule());
  EXPECT_EQ(files.count("hidden_table.ts"), 0u);
  EXPECT_EQ(files.count("init_reducer.ts"), 0u);
  const std::string& row = files["edge_cases_table.ts"];
  EXPECT_TRUE(
      Contains(row, "  key: __t.enum(\"EdgeCasesKey\", [\"Red\", \"Green\"]).primaryKey(),\n"))
      << row;
  EXPECT_TRUE(Contains(row, "  mixedCase: __t.u32().unique().name(\"Mixed_Case\"),\n")) << row;
  EXPECT_TRUE(Contains(row, "  \"my col\": __t.bool(),\n")) << row;
  EXPECT_TRUE(Contains(row,
                       "  deep: __t.array(__t.option(__t.object(\"EdgeCasesDeep\", {\n"
                       "    inner: __t.array(__t.enum(\"EdgeCasesDeepInner\", {\n"
                       "      Big: __t.i256(),\n      Wide: __t.u128(),\n    })),\n  }))),\n"))
      << row;
  const std::string& index = files["index.ts"];
  EXPECT_TRUE(Contains(index,
                       "{ accessor: \"byClass\", name: \"by_class\", algorithm: \"btree\", "
                       "columns: [\"class\", \"b\"] },"))
      << index;
  EXPECT_TRUE(Contains(index, "// unique (a, b): enforced by the server only")) << index;
  EXPECT_TRUE(
      Contains(files["do_everything_reducer.ts"], "  maybeBytes: __t.option(__t.byteArray()),\n"));
}

}  // namespace
}  // namespace stdb::codegen
