// Fuzz target for the SQL front end: any text must parse or fail with a Status, bind
// or fail against a fixed schema, and a bound query must evaluate on sample rows
// without crashing. Statement splitting is exercised on the same text.
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "sats/bsatn.h"
#include "sql/parser.h"
#include "sql/query.h"
#include "store/tx.h"

namespace {

using stdb::Bytes;
using stdb::ByteWriter;
using stdb::sats::AlgebraicType;
using stdb::sats::Element;
using stdb::sats::TypeKind;

// One table with a column of each kind SQL literals can meet, plus three rows.
stdb::store::Store& FixtureStore() {
  static stdb::store::Store* store = [] {
    stdb::store::TableSchema s;
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
    auto* st = new stdb::store::Store({s});
    stdb::store::Transaction tx(*st);
    for (uint64_t i = 0; i < 3; ++i) {
      Bytes row;
      ByteWriter w(row);
      w.U64(i);
      w.Fixed(static_cast<int32_t>(i * 7) - 5);
      w.Fixed(static_cast<double>(i) / 3.0);
      w.String(i == 1 ? "alice" : "bob");
      w.U8(i % 2);
      for (int b = 0; b < 32; ++b) w.U8(static_cast<uint8_t>(i + b));
      w.Fixed(static_cast<stdb::i128>(-static_cast<int64_t>(i)));
      w.U8(i == 2 ? 1 : 0);
      if (i != 2) w.String("m");
      FUZZ_CHECK(tx.Insert(0, std::move(row)).ok());
    }
    tx.Commit();
    return st;
  }();
  return *store;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto& store = FixtureStore();
  for (std::string_view stmt : stdb::sql::SplitStatements(text)) {
    FUZZ_CHECK(stmt.size() <= text.size());
  }
  auto parsed = stdb::sql::ParseSelect(text);
  if (!parsed.ok()) return 0;
  auto bound = stdb::sql::Bind(*parsed, store);
  if (!bound.ok()) return 0;
  const auto rows = stdb::sql::Execute(*bound, store);
  FUZZ_CHECK(rows.size() <= store.table(0).size());
  for (const auto& row : rows) {
    FUZZ_CHECK(stdb::sats::ValidateBsatn(bound->result_type, row).ok());
  }
  return 0;
}
