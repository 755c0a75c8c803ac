// Runs the SQL test scripts in tests/sql/*.slt (sqllogictest style) against an in-process
// store, and proves the runner itself reports a broken expectation with file and line.
//
// Script format (also in docs/sql.md "Testing SQL"). Records are separated by blank
// lines; lines starting with '#' are comments. All `table` records come first.
//
//   table NAME (COL TYPE, ...) [primary_key COL] [unique (COL, ...)] [index btree|hash (COL, ...)]
//         [sequence COL]            (one line; clauses may repeat)
//       TYPE: u8 u16 u32 u64 u128 u256 i8 i16 i32 i64 i128 i256 f32 f64 bool string
//             identity connection_id bytes. A declared index is named
//             NAME_COL[_COL...]_btree or _hash; a unique constraint without an index of
//             its columns gets the store's implicit NAME_COL[_COL...]_key.
//   statement ok [N]          the SQL on the following lines succeeds; for INSERT /
//   <sql>                     UPDATE / DELETE, N (if given) is the rows affected
//   statement error TEXT      the SQL fails and "<Code>: <message>" contains TEXT
//   <sql>
//   query [ordered]           the SQL's rows, one per line, values separated by one
//   <sql>                     space: integers and floats in decimal, strings as 'text'
//   ----                      (with '' for '), bool true/false, other values in their
//   <rows>                    JSON form (docs/json.md). Compared as a multiset unless
//                             `ordered`.
//   plan TEXT                 the SELECT's plan (SelectPlan::Explain) contains TEXT
//   <sql>
//   subscribe                 the SQL bound as a subscription (BindSubscription) and
//   <sql>                     evaluated (Execute) gives these rows, as for query
//   ----
//   <rows>
//   subscribe error TEXT      BindSubscription fails and its status contains TEXT
//   <sql>
//
// DML runs in its own transaction, committed on success and rolled back on failure.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "sats/bsatn.h"
#include "sats/json.h"
#include "sql/dml.h"
#include "sql/parser.h"
#include "sql/plan.h"
#include "sql/query.h"

namespace stdb::sql {
namespace {

using sats::AlgebraicType;
using sats::TypeKind;

std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (c == ' ' || c == '\t' || c == ',' || c == '(' || c == ')') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
      if (c == '(' || c == ')') out.push_back(std::string(1, c));
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

Result<AlgebraicType> TypeNamed(const std::string& name) {
  static const std::map<std::string, TypeKind> kScalars = {
      {"u8", TypeKind::kU8},   {"u16", TypeKind::kU16},   {"u32", TypeKind::kU32},
      {"u64", TypeKind::kU64}, {"u128", TypeKind::kU128}, {"u256", TypeKind::kU256},
      {"i8", TypeKind::kI8},   {"i16", TypeKind::kI16},   {"i32", TypeKind::kI32},
      {"i64", TypeKind::kI64}, {"i128", TypeKind::kI128}, {"i256", TypeKind::kI256},
      {"f32", TypeKind::kF32}, {"f64", TypeKind::kF64}};
  if (auto it = kScalars.find(name); it != kScalars.end()) return AlgebraicType(it->second);
  if (name == "bool") return AlgebraicType::Bool();
  if (name == "string") return AlgebraicType::String();
  if (name == "identity") return AlgebraicType::Identity();
  if (name == "connection_id") return AlgebraicType::ConnectionId();
  if (name == "bytes") return AlgebraicType::Bytes();
  return InvalidArgument("unknown column type '" + name + "'");
}

// Parses a `table` line into a schema with table id `id`.
Result<store::TableSchema> ParseTable(const std::string& line, store::TableId id) {
  const std::vector<std::string> w = Words(line);
  size_t i = 1;
  auto next = [&]() -> Result<std::string> {
    if (i >= w.size()) return InvalidArgument("unexpected end of table line");
    return w[i++];
  };
  store::TableSchema s;
  s.table_id = id;
  STDB_ASSIGN_OR_RETURN(s.name, next());
  STDB_ASSIGN_OR_RETURN(std::string open, next());
  if (open != "(") return InvalidArgument("expected ( after the table name");
  std::vector<sats::Element> cols;
  while (i < w.size() && w[i] != ")") {
    STDB_ASSIGN_OR_RETURN(std::string name, next());
    STDB_ASSIGN_OR_RETURN(std::string type_name, next());
    STDB_ASSIGN_OR_RETURN(AlgebraicType type, TypeNamed(type_name));
    cols.push_back(sats::Element{name, std::move(type)});
  }
  ++i;
  s.row_type = AlgebraicType::Product(std::move(cols));
  auto column = [&]() -> Result<uint16_t> {
    STDB_ASSIGN_OR_RETURN(std::string name, next());
    auto c = s.FindColumn(name);
    if (!c) return InvalidArgument("unknown column '" + name + "'");
    return static_cast<uint16_t>(*c);
  };
  auto column_list = [&]() -> Result<std::vector<uint16_t>> {
    STDB_ASSIGN_OR_RETURN(std::string open, next());
    if (open != "(") return InvalidArgument("expected (");
    std::vector<uint16_t> out;
    while (i < w.size() && w[i] != ")") {
      STDB_ASSIGN_OR_RETURN(uint16_t c, column());
      out.push_back(c);
    }
    ++i;
    return out;
  };
  std::vector<std::vector<uint16_t>> unique;
  while (i < w.size()) {
    STDB_ASSIGN_OR_RETURN(std::string clause, next());
    if (clause == "primary_key") {
      STDB_ASSIGN_OR_RETURN(s.primary_key, column());
    } else if (clause == "unique") {
      STDB_ASSIGN_OR_RETURN(auto cols, column_list());
      unique.push_back(std::move(cols));
    } else if (clause == "index") {
      STDB_ASSIGN_OR_RETURN(std::string algo, next());
      if (algo != "btree" && algo != "hash") return InvalidArgument("index btree or index hash");
      store::IndexSchema ix;
      ix.algorithm = algo == "btree" ? store::IndexAlgorithm::kBTree : store::IndexAlgorithm::kHash;
      STDB_ASSIGN_OR_RETURN(ix.columns, column_list());
      ix.name = s.name;
      for (uint16_t c : ix.columns) ix.name += "_" + s.column_name(c);
      ix.name += "_" + algo;
      s.indexes.push_back(std::move(ix));
    } else if (clause == "sequence") {
      STDB_ASSIGN_OR_RETURN(uint16_t c, column());
      s.sequences.push_back(c);
    } else {
      return InvalidArgument("unknown table clause '" + clause + "'");
    }
  }
  store::NormaliseIndexes(s, unique);
  return s;
}

// One value in the runner's text form.
std::string ShowValue(const AlgebraicType& type, const sats::AlgebraicValue& v) {
  const sats::Json j = sats::ValueToJson(type, v);
  if (type.kind() == TypeKind::kString && j.is_string()) {
    std::string out = "'";
    for (char c : j.get<std::string>()) {
      out.push_back(c);
      if (c == '\'') out.push_back('\'');
    }
    return out + "'";
  }
  if (j.is_string()) return j.get<std::string>();  // big integers, identities, bytes
  return j.dump();
}

std::string ShowRow(const AlgebraicType& row_type, ByteView row) {
  auto v = sats::DecodeBsatnExact(row_type, row);
  if (!v.ok()) return "<undecodable row: " + v.status().ToString() + ">";
  std::string out;
  const auto& fields = v->as<sats::ProductValue>().fields;
  for (size_t i = 0; i < fields.size(); ++i) {
    out += (i == 0 ? "" : " ") + ShowValue(row_type.elements()[i].type, fields[i]);
  }
  return out;
}

struct Record {
  int line = 0;  // 1-based line of the record's first line
  std::string head;
  std::string sql;
  std::vector<std::string> expected;
};

std::vector<Record> SplitRecords(const std::string& text) {
  std::vector<Record> out;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  Record cur;
  bool in_rows = false;
  auto flush = [&] {
    if (!cur.head.empty()) out.push_back(std::move(cur));
    cur = Record{};
    in_rows = false;
  };
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      flush();
      continue;
    }
    if (line[0] == '#') continue;
    if (cur.head.empty()) {
      cur.head = line;
      cur.line = n;
    } else if (line == "----") {
      in_rows = true;
    } else if (in_rows) {
      cur.expected.push_back(line);
    } else {
      cur.sql += (cur.sql.empty() ? "" : "\n") + line;
    }
  }
  flush();
  return out;
}

// Runs one script; returns one message per failed record, each starting "file:line: ".
class ScriptRunner {
 public:
  explicit ScriptRunner(std::string file) : file_(std::move(file)) {}

  std::vector<std::string> Run(const std::string& text) {
    for (Record& r : SplitRecords(text)) {
      ++cases_;
      Status s = RunRecord(r);
      if (!s.ok()) failures_.push_back(file_ + ":" + std::to_string(r.line) + ": " + s.message());
    }
    return failures_;
  }
  int cases() const { return cases_; }

 private:
  static bool StartsWith(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

  Status RunRecord(const Record& r) {
    if (StartsWith(r.head, "table ")) {
      if (store_) return InvalidArgument("table records must come before all others");
      --cases_;  // a table is setup, not a case
      std::istringstream lines(r.head + "\n" + r.sql);
      std::string line;
      while (std::getline(lines, line)) {
        if (line.empty()) continue;
        if (!StartsWith(line, "table ")) return InvalidArgument("expected a table line: " + line);
        STDB_ASSIGN_OR_RETURN(auto schema,
                              ParseTable(line, static_cast<store::TableId>(schemas_.size())));
        schemas_.push_back(std::move(schema));
      }
      return Status::Ok();
    }
    if (!store_) store_ = std::make_unique<store::Store>(schemas_);
    if (r.sql.empty()) return InvalidArgument("record '" + r.head + "' has no SQL");
    if (StartsWith(r.head, "statement ok")) return StatementOk(r);
    if (StartsWith(r.head, "statement error ")) return ExpectError(r, Statement(r.sql).status());
    if (StartsWith(r.head, "query")) {
      STDB_ASSIGN_OR_RETURN(auto rows, Select(r.sql));
      return CompareRows(r, rows, r.head == "query ordered");
    }
    if (StartsWith(r.head, "plan ")) {
      STDB_ASSIGN_OR_RETURN(auto stmt, ParseSelect(r.sql));
      STDB_ASSIGN_OR_RETURN(auto plan, PlanSelect(stmt, *store_));
      const std::string want = r.head.substr(5);
      if (plan.Explain().find(want) == std::string::npos) {
        return InvalidArgument("plan lacks '" + want + "'; plan is:\n" + plan.Explain());
      }
      return Status::Ok();
    }
    if (StartsWith(r.head, "subscribe error ")) return ExpectError(r, Subscribe(r.sql).status());
    if (r.head == "subscribe") {
      STDB_ASSIGN_OR_RETURN(auto rows, Subscribe(r.sql));
      return CompareRows(r, rows, false);
    }
    return InvalidArgument("unknown record '" + r.head + "'");
  }

  Status StatementOk(const Record& r) {
    STDB_ASSIGN_OR_RETURN(uint64_t affected, Statement(r.sql));
    const std::string want = r.head.substr(std::string("statement ok").size());
    if (!want.empty() && std::to_string(affected) != want.substr(1)) {
      return InvalidArgument("expected " + want.substr(1) + " rows affected, got " +
                             std::to_string(affected));
    }
    return Status::Ok();
  }

  Status ExpectError(const Record& r, const Status& got) {
    const std::string want = r.head.substr(r.head.find(" error ") + 7);
    if (got.ok()) return InvalidArgument("expected an error containing '" + want + "', got OK");
    if (got.ToString().find(want) == std::string::npos) {
      return InvalidArgument("expected an error containing '" + want + "', got " + got.ToString());
    }
    return Status::Ok();
  }

  // Runs any statement; returns rows affected (0 for SELECT).
  Result<uint64_t> Statement(const std::string& sql) {
    STDB_ASSIGN_OR_RETURN(sql::Statement stmt, ParseStatement(sql));
    if (const auto* select = std::get_if<SelectStatement>(&stmt)) {
      STDB_ASSIGN_OR_RETURN(auto plan, PlanSelect(*select, *store_));
      STDB_RETURN_IF_ERROR(ExecuteSelect(plan, *store_).status());
      return uint64_t{0};
    }
    store::Transaction tx(*store_);
    auto n = ExecuteDml(stmt, tx);
    if (!n.ok()) {
      tx.Rollback();
      return n.status();
    }
    tx.Commit();
    return *n;
  }

  Result<std::vector<std::string>> Select(const std::string& sql) {
    STDB_ASSIGN_OR_RETURN(auto stmt, ParseSelect(sql));
    STDB_ASSIGN_OR_RETURN(auto plan, PlanSelect(stmt, *store_));
    STDB_ASSIGN_OR_RETURN(auto rows, ExecuteSelect(plan, *store_));
    std::vector<std::string> out;
    for (const Bytes& row : rows) out.push_back(ShowRow(plan.result_type, row));
    return out;
  }

  Result<std::vector<std::string>> Subscribe(const std::string& sql) {
    STDB_ASSIGN_OR_RETURN(auto stmt, ParseSelect(sql));
    STDB_ASSIGN_OR_RETURN(auto bound, BindSubscription(stmt, *store_));
    std::vector<std::string> out;
    for (const Bytes& row : Execute(bound, *store_)) out.push_back(ShowRow(bound.result_type, row));
    return out;
  }

  static Status CompareRows(const Record& r, std::vector<std::string> got, bool ordered) {
    std::vector<std::string> want = r.expected;
    if (!ordered) {
      std::sort(got.begin(), got.end());
      std::sort(want.begin(), want.end());
    }
    if (got == want) return Status::Ok();
    std::string msg = "rows differ\n  expected:";
    for (const auto& w : want) msg += "\n    " + w;
    msg += "\n  actual:";
    for (const auto& g : got) msg += "\n    " + g;
    return InvalidArgument(msg);
  }

  std::string file_;
  std::vector<store::TableSchema> schemas_;
  std::unique_ptr<store::Store> store_;
  std::vector<std::string> failures_;
  int cases_ = 0;
};

TEST(SqlLogicTest, EveryScriptInTestsSqlPasses) {
  // Proves the SQL subset behaves as tests/sql/*.slt state, case by case.
  const std::filesystem::path dir = std::filesystem::path(STDB_SOURCE_DIR) / "tests" / "sql";
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".slt") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty()) << "no .slt files in " << dir;
  int cases = 0;
  for (const auto& f : files) {
    std::ifstream in(f);
    std::stringstream text;
    text << in.rdbuf();
    ScriptRunner runner(f.filename().string());
    for (const std::string& failure : runner.Run(text.str())) ADD_FAILURE() << failure;
    cases += runner.cases();
  }
  std::cout << "ran " << cases << " SQL cases from " << files.size() << " files\n";
  EXPECT_GE(cases, 150);
}

TEST(SqlLogicTest, ABrokenExpectationFailsNamingFileAndLine) {
  // Proves the runner can fail: a wrong expected row and a wrong expected error are
  // reported with the script's name and the record's line.
  const std::string script =
      "table t (id u64, name string) primary_key id\n"
      "\n"
      "statement ok 1\n"
      "INSERT INTO t VALUES (1, 'a')\n"
      "\n"
      "query\n"
      "SELECT * FROM t\n"
      "----\n"
      "1 'b'\n"
      "\n"
      "statement error no such thing\n"
      "SELECT * FROM t\n";
  ScriptRunner runner("broken.slt");
  const auto failures = runner.Run(script);
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_EQ(failures[0].rfind("broken.slt:6: rows differ", 0), 0u) << failures[0];
  EXPECT_NE(failures[0].find("1 'a'"), std::string::npos) << failures[0];
  EXPECT_EQ(failures[1].rfind("broken.slt:11: expected an error", 0), 0u) << failures[1];
}

}  // namespace
}  // namespace stdb::sql
