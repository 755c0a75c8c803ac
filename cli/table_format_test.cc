#include "cli/table_format.h"

#include <gtest/gtest.h>

namespace stdb::cli {
namespace {

using Json = nlohmann::json;

Json Col(const std::string& name, Json type) {
  return Json{{"name", {{"some", name}}}, {"algebraic_type", type}};
}

TEST(TableFormat, AlignsColumnsAndCountsRows) {
  // Proves every row lines up under its header and the row count is printed.
  Json result = {{"schema", {{"elements", {Col("id", {{"U64", Json::array()}}),
                                           Col("text", {{"String", Json::array()}})}}}},
                 {"rows", {{1, "hello"}, {22, "a"}}}};
  EXPECT_EQ(FormatSqlTable(result),
            " id | text\n"
            "----+---------\n"
            " 1  | \"hello\"\n"
            " 22 | \"a\"\n"
            "(2 rows)\n");
}

TEST(TableFormat, DmlResultsShowRowsAffected) {
  // Proves an INSERT / UPDATE / DELETE result (no columns) prints its rows_affected.
  Json result = {{"schema", {{"elements", Json::array()}}}, {"rows", Json::array()},
                 {"rows_affected", 3}};
  EXPECT_EQ(FormatSqlTable(result), "(3 rows affected)\n");
  result["rows_affected"] = 1;
  EXPECT_EQ(FormatSqlTable(result), "(1 row affected)\n");
}

TEST(TableFormat, ShowsSpecialTypesReadably) {
  // Proves timestamps, identities and options are shown as a user reads them.
  Json ts = {{"Product", {{"elements", {{{"name", {{"some", "__timestamp_micros_since_unix_epoch__"}}},
                                          {"algebraic_type", {{"I64", Json::array()}}}}}}}}};
  Json id = {{"Product", {{"elements", {{{"name", {{"some", "__identity__"}}},
                                          {"algebraic_type", {{"U256", Json::array()}}}}}}}}};
  Json opt = {{"Sum", {{"variants", {{{"name", {{"some", "some"}}}, {"algebraic_type", {{"String", Json::array()}}}},
                                     {{"name", {{"some", "none"}}}, {"algebraic_type", {{"Product", {{"elements", Json::array()}}}}}}}}}}};
  EXPECT_EQ(FormatCell(ts, 1700000000123456), "2023-11-14T22:13:20.123456Z");
  EXPECT_EQ(FormatCell(id, "0xc200ab"), "0xc200ab");
  EXPECT_EQ(FormatCell(opt, Json{{"some", "alice"}}), "\"alice\"");
  EXPECT_EQ(FormatCell(opt, Json{{"none", Json::array()}}), "none");
}

}  // namespace
}  // namespace stdb::cli
