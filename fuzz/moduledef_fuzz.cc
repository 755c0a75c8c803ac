// libFuzzer target for a module's schema (the BSATN ModuleDef of docs/module-abi.md),
// which comes from untrusted module code through stdb_describe.
//
// Checks: decoding never crashes; a decoded schema re-encodes to the same bytes; a schema
// that passes ValidateModuleDef can be turned into a working store (every table, index,
// sequence and schedule constructed) and takes a row of zeros or refuses it cleanly, so
// validation leaves nothing for the host to trip over later.
#include <algorithm>

#include "base/bytes.h"
#include "fuzz_check.h"
#include "module/schema.h"
#include "sats/bsatn.h"
#include "store/tx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stdb;
  const ByteView in(data, size);
  auto def = module::DecodeModuleDef(in);
  if (!def.ok()) return 0;
  const Bytes again = module::EncodeModuleDef(*def);
  FUZZ_CHECK(again.size() == size && std::equal(again.begin(), again.end(), data));
  if (!module::ValidateModuleDef(*def).ok()) return 0;
  store::Store store(def->TableSchemas());
  store::Transaction tx(store);
  for (store::TableId t = 0; t < store.table_count(); ++t) {
    const store::TableSchema& s = store.table(t).schema();
    // Every index of a valid schema has a usable key spec and answers a full scan.
    for (store::IndexId i = 0; i < s.indexes.size(); ++i) {
      (void)store.table(t).ScanIndex(i, store::IndexRange::All());
    }
    // A row of zero bytes for each column width is valid for many row types: insert it
    // (sequences allocate), look it up and delete it again; invalid rows are refused.
    Bytes row(std::min<size_t>(s.column_count() * 8, 4096), 0);
    auto r = tx.Insert(t, row);
    if (r.ok()) {
      const ByteView stored = store.table(t).Get(*r);
      FUZZ_CHECK(store.table(t).FindRow(stored).has_value());
      FUZZ_CHECK(tx.DeleteRow(t, Bytes(stored.begin(), stored.end())).ok());
    }
  }
  tx.Rollback();
  return 0;
}
