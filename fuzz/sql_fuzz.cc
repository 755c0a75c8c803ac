// Fuzz target for the SQL front end: any text must parse or fail with a Status; a
// SELECT must bind (as a single-table query and as a subscription) and plan or fail, and
// a bound query must evaluate on sample rows without crashing and yield valid rows; an
// INSERT / UPDATE / DELETE must run in a transaction or fail, and is rolled back so the
// fixture never changes. Statement splitting is exercised on the same text.
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "sats/bsatn.h"
#include "sql/dml.h"
#include "sql/parser.h"
#include "sql/plan.h"
#include "sql/query.h"
#include "store/tx.h"

namespace {

using stdb::Bytes;
using stdb::ByteWriter;
using stdb::sats::AlgebraicType;
using stdb::sats::Element;
using stdb::sats::TypeKind;
namespace store = stdb::store;

// Table t with a column of each kind SQL literals can meet and indexes of each kind,
// and table u (joinable with t on id) with a btree index on tid; three rows each.
store::Store& FixtureStore() {
  static store::Store* fixture = [] {
    store::TableSchema s;
    s.table_id = 0;
    s.name = "t";
    s.row_type = AlgebraicType::Product({
        Element{"id", AlgebraicType(TypeKind::kU64)},
        Element{"x", AlgebraicType(TypeKind::kI32)},
        Element{"f", AlgebraicType(TypeKind::kF64)},
        Element{"name", AlgebraicType::String()},
        Element{"ok", AlgebraicType::Bool()},
        Element{"who", AlgebraicType::Identity()},
        Element{"big", AlgebraicType(TypeKind::kI128)},
        Element{"maybe", AlgebraicType::Option(AlgebraicType::String())},
    });
    s.primary_key = 0;
    s.sequences = {0};
    s.indexes.push_back(
        store::IndexSchema{"t_x_name", store::IndexAlgorithm::kBTree, {1, 3}, false});
    s.indexes.push_back(store::IndexSchema{"t_who", store::IndexAlgorithm::kHash, {5}, false});
    store::NormaliseIndexes(s, {{3}});
    store::TableSchema u;
    u.table_id = 1;
    u.name = "u";
    u.row_type = AlgebraicType::Product({Element{"id", AlgebraicType(TypeKind::kU64)},
                                         Element{"tid", AlgebraicType(TypeKind::kU64)},
                                         Element{"x", AlgebraicType(TypeKind::kI32)}});
    u.indexes.push_back(store::IndexSchema{"u_tid", store::IndexAlgorithm::kBTree, {1}, false});
    auto* st = new store::Store({s, u});
    store::Transaction tx(*st);
    for (uint64_t i = 0; i < 3; ++i) {
      Bytes row;
      ByteWriter w(row);
      w.U64(i + 1);
      w.Fixed(static_cast<int32_t>(i * 7) - 5);
      w.Fixed(static_cast<double>(i) / 3.0);
      w.String(i == 1 ? "alice" : i == 2 ? "bob" : "carol");
      w.U8(i % 2);
      for (int b = 0; b < 32; ++b) w.U8(static_cast<uint8_t>(i + b));
      w.Fixed(static_cast<stdb::i128>(-static_cast<int64_t>(i)));
      w.U8(i == 2 ? 1 : 0);
      if (i != 2) w.String("m");
      FUZZ_CHECK(tx.Insert(0, std::move(row)).ok());
      Bytes urow;
      ByteWriter uw(urow);
      uw.U64(10 + i);
      uw.U64(i % 2 + 1);
      uw.Fixed(static_cast<int32_t>(i));
      FUZZ_CHECK(tx.Insert(1, std::move(urow)).ok());
    }
    tx.Commit();
    return st;
  }();
  return *fixture;
}

void CheckRows(const AlgebraicType& type, const std::vector<Bytes>& rows) {
  for (const auto& row : rows) FUZZ_CHECK(stdb::sats::ValidateBsatn(type, row).ok());
}

void Select(const stdb::sql::SelectStatement& stmt, const store::Store& store) {
  if (auto bound = stdb::sql::Bind(stmt, store); bound.ok()) {
    const auto rows = stdb::sql::Execute(*bound, store);
    FUZZ_CHECK(rows.size() <= store.table(bound->table_id).size());
    CheckRows(bound->result_type, rows);
  }
  if (auto sub = stdb::sql::BindSubscription(stmt, store); sub.ok()) {
    FUZZ_CHECK(sub->whole_rows() && !sub->limit);
    CheckRows(sub->result_type, stdb::sql::Execute(*sub, store));
  }
  auto plan = stdb::sql::PlanSelect(stmt, store);
  if (!plan.ok()) return;
  FUZZ_CHECK(!plan->Explain().empty());
  stdb::sql::ExecStats stats;
  auto rows = stdb::sql::ExecuteSelect(*plan, store, &stats);
  if (!rows.ok()) return;
  FUZZ_CHECK(rows->size() <= stdb::sql::kSqlResultRowsMax);
  if (plan->limit) FUZZ_CHECK(rows->size() <= *plan->limit);
  CheckRows(plan->result_type, *rows);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto& store = FixtureStore();
  for (std::string_view stmt : stdb::sql::SplitStatements(text)) {
    FUZZ_CHECK(stmt.size() <= text.size());
  }
  auto parsed = stdb::sql::ParseStatement(text);
  if (!parsed.ok()) return 0;
  if (const auto* select = std::get_if<stdb::sql::SelectStatement>(&*parsed)) {
    Select(*select, store);
    return 0;
  }
  const size_t before = store.table(0).size() + store.table(1).size();
  {
    store::Transaction tx(store);
    auto affected = stdb::sql::ExecuteDml(*parsed, tx);
    tx.Rollback();
    (void)affected;
  }
  FUZZ_CHECK(store.table(0).size() + store.table(1).size() == before);
  return 0;
}
