// The module's schema and exports as the server sees them after dlopen.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <string>

#include "harness.h"

namespace {

using stdb_test::DecodeModuleDef;
using stdb_test::IndexSchema;
using stdb_test::LoadedModule;
using stdb_test::ModuleSchema;

ModuleSchema Schema() {
  LoadedModule module(STDB_TEST_MODULE_PATH);
  std::string error;
  auto schema = DecodeModuleDef(module.Describe(), &error);
  EXPECT_TRUE(schema.has_value()) << error;
  return schema.value_or(ModuleSchema{});
}

TEST(Describe, TablesDecodeWithTheServerTypeDecoderInRegistrationOrder) {
  // Table ids are registration order; row types, keys and access are as declared.
  const ModuleSchema schema = Schema();
  EXPECT_EQ(schema.version, 1u);
  ASSERT_EQ(schema.tables.size(), 7u);

  EXPECT_EQ(schema.tables[0].name, "everything");
  EXPECT_FALSE(schema.tables[0].is_public);
  EXPECT_EQ(schema.tables[0].primary_key, std::nullopt);
  EXPECT_TRUE(schema.tables[0].row_type.starts_with("(flag: Bool, i8: I8,"));

  EXPECT_EQ(schema.tables[1].name, "item");
  EXPECT_EQ(schema.tables[1].row_type, "(id: U64, label: String, value: I64)");
  EXPECT_EQ(schema.tables[1].primary_key, 0);
  EXPECT_TRUE(schema.tables[1].is_public);

  EXPECT_EQ(schema.tables[2].name, "note");
  EXPECT_EQ(schema.tables[2].row_type, "(author: Identity, text: String)");
  EXPECT_EQ(schema.tables[2].primary_key, std::nullopt);

  EXPECT_EQ(schema.tables[3].name, "call_info");
  EXPECT_EQ(schema.tables[3].row_type,
            "(sender: Identity, connection_id: Option<ConnectionId>, timestamp: Timestamp, "
            "module_identity: Identity, random: Array<U64>)");

  EXPECT_EQ(schema.tables[4].name, "player");
  EXPECT_EQ(schema.tables[5].name, "tick_schedule");
  EXPECT_EQ(schema.tables[6].name, "fired");
  for (size_t i = 0; i < 4; ++i) {
    const auto& t = schema.tables[i];
    EXPECT_TRUE(t.unique_columns.empty()) << t.name;
    EXPECT_TRUE(t.sequences.empty()) << t.name;
    EXPECT_FALSE(t.schedule.has_value()) << t.name;
  }
}

TEST(Describe, APrimaryKeyIsDeclaredAsAUniqueHashIndex) {
  // The SDK declares the primary key's index itself, so index ids are positions.
  const ModuleSchema schema = Schema();
  ASSERT_GE(schema.tables.size(), 4u);
  EXPECT_EQ(schema.tables[1].indexes, (std::vector<IndexSchema>{{"item_id_key", 1, {0}}}));
  for (size_t i : {0, 2, 3}) EXPECT_TRUE(schema.tables[i].indexes.empty());
}

TEST(Describe, UniqueColumnsIndexesAndSequencesAreInTheTableDef) {
  // player: id primary key + auto-inc, name unique, and three declared indexes, in
  // declaration order (index id = position).
  const ModuleSchema schema = Schema();
  ASSERT_EQ(schema.tables.size(), 7u);
  const auto& t = schema.tables[4];
  EXPECT_EQ(t.row_type, "(id: U64, name: String, level: U32, x: I32, y: I32, team: String)");
  EXPECT_EQ(t.primary_key, 0);
  EXPECT_EQ(t.unique_columns, (std::vector<std::vector<uint16_t>>{{1}}));
  EXPECT_EQ(t.sequences, (std::vector<uint16_t>{0}));
  EXPECT_EQ(t.indexes, (std::vector<IndexSchema>{{"player_id_key", 1, {0}},
                                                 {"player_name_key", 1, {1}},
                                                 {"player_by_level", 0, {2}},
                                                 {"player_at", 0, {3, 4}},
                                                 {"player_by_team", 1, {5, 2}}}));
  EXPECT_FALSE(t.schedule.has_value());
}

TEST(Describe, AScheduleTableNamesItsReducerAndColumn) {
  // STDB_SCHEDULE: scheduled_id is the auto-inc primary key, the schedule names the
  // reducer and the ScheduleAt column, and the reducer takes the row.
  const ModuleSchema schema = Schema();
  ASSERT_EQ(schema.tables.size(), 7u);
  const auto& t = schema.tables[5];
  EXPECT_EQ(t.row_type, "(scheduled_id: U64, scheduled_at: ScheduleAt, note: String)");
  EXPECT_EQ(t.primary_key, 0);
  EXPECT_EQ(t.sequences, (std::vector<uint16_t>{0}));
  EXPECT_EQ(t.indexes, (std::vector<IndexSchema>{{"tick_schedule_scheduled_id_key", 1, {0}}}));
  ASSERT_TRUE(t.schedule.has_value());
  EXPECT_EQ(*t.schedule, (stdb_test::ScheduleSchema{"tick", 1}));
  for (const auto& r : schema.reducers) {
    if (r.name == "tick") {
      EXPECT_EQ(r.params, "(row: (scheduled_id: U64, scheduled_at: ScheduleAt, note: String))");
    }
  }
}

TEST(Describe, ReducersHaveNamedParamsAndLifecycleCodes) {
  // Reducer ids are registration order (test_module.cc, then test_module_scans.cc);
  // parameter names come from STDB_REDUCER.
  const ModuleSchema schema = Schema();
  std::vector<std::string> names;
  for (const auto& r : schema.reducers) names.push_back(r.name);
  EXPECT_EQ(names, (std::vector<std::string>{"store_everything",
                                             "put_item",
                                             "set_value",
                                             "delete_item",
                                             "remove_item",
                                             "fill_items",
                                             "fail_reducer_error",
                                             "fail_outcome",
                                             "fail_std_exception",
                                             "fail_non_std_exception",
                                             "insert_then_fail",
                                             "update_missing",
                                             "insert_duplicate_caught",
                                             "record_call",
                                             "echo_args",
                                             "init",
                                             "on_connect",
                                             "on_disconnect",
                                             "scan_items",
                                             "scan_first",
                                             "scan_and_delete",
                                             "scan_catching",
                                             "tick",
                                             "add_player",
                                             "find_by_name",
                                             "find_by_id",
                                             "rename_player",
                                             "remove_by_name",
                                             "erase_by_id",
                                             "filter_players",
                                             "remove_at",
                                             "remove_levels",
                                             "collect_level",
                                             "schedule_tick",
                                             "schedule_call",
                                             "cancel_tick"}));
  ASSERT_EQ(schema.reducers.size(), 36u);
  EXPECT_EQ(schema.reducers[1].params, "(id: U64, label: String, value: I64)");
  EXPECT_EQ(schema.reducers[4].params, "(row: (id: U64, label: String, value: I64))");
  EXPECT_TRUE(schema.reducers[14].params.starts_with("(row: (flag: Bool,"));
  EXPECT_TRUE(schema.reducers[14].params.ends_with(
      ", note_text: Option<String>, colors: Array<{Red: () | Green: () | Blue: ()}>, "
      "at: ScheduleAt)"));
  EXPECT_EQ(schema.reducers[18].params, "()");
  EXPECT_EQ(schema.reducers[19].params, "(limit: U32)");
  for (size_t i = 0; i < names.size(); ++i) {
    const uint8_t expected = i == 15 ? 1 : i == 16 ? 2 : i == 17 ? 3 : 0;
    EXPECT_EQ(schema.reducers[i].lifecycle, expected) << names[i];
  }
  EXPECT_EQ(schema.reducers[15].params, "()");
}

TEST(Describe, IsTheSameOnEveryCall) {
  // describe is a pure function of the module.
  LoadedModule module(STDB_TEST_MODULE_PATH);
  EXPECT_EQ(module.Describe(), module.Describe());
  EXPECT_EQ(module.AbiVersion(), STDB_ABI_VERSION);
}

TEST(Exports, OnlyTheThreeAbiFunctionsAreExported) {
  // The version script hides everything else, including standard-library instantiations.
  const std::string command = std::string("nm -D --defined-only ") + STDB_TEST_MODULE_PATH;
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::set<std::string> symbols;
  char line[1024];
  while (fgets(line, sizeof(line), pipe) != nullptr) {
    std::string s(line);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    const size_t space = s.rfind(' ');
    if (space != std::string::npos) symbols.insert(s.substr(space + 1));
  }
  ASSERT_EQ(pclose(pipe), 0);
  EXPECT_EQ(symbols,
            (std::set<std::string>{"stdb_abi_version", "stdb_call_reducer", "stdb_describe"}));
}

TEST(Exports, ModuleUnloadsOnDlcloseSoItCanBeReplaced) {
  // No STB_GNU_UNIQUE symbols pin the library: after the last dlclose it is gone.
  {
    LoadedModule module(STDB_TEST_MODULE_PATH);
    void* again = dlopen(STDB_TEST_MODULE_PATH, RTLD_NOW | RTLD_NOLOAD);  // takes a reference
    EXPECT_NE(again, nullptr);
    if (again != nullptr) dlclose(again);
  }
  EXPECT_EQ(dlopen(STDB_TEST_MODULE_PATH, RTLD_NOW | RTLD_NOLOAD), nullptr);
}

}  // namespace
