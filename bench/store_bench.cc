// Storage benchmarks for issue 3 ("Numbers to report"): memory per row, inserts/s,
// point lookups/s, range scan rows/s and deletes/s of store::Table on 1,000,000 rows
// of (id u64 primary key, x i32, y i32) with a btree index on (x, y). What each
// benchmark measures, and the latest numbers, are in bench/README.md.
//
// Benchmarks run in registration order; the memory benchmarks come first so that the
// heap they start from has not been grown and fragmented by the others.
#include <benchmark/benchmark.h>

#include <array>
#include <cstring>
#include <map>

#include "base/assert.h"
#include "bench/store_bench_workload.h"

namespace stdb::bench {
namespace {

using benchmark::Counter;
using store::IndexRange;
using store::KeyBound;
using store::RowId;

// Lookups cycle through this many pre-built random probes (a power of two), enough to
// defeat caching of recent keys while keeping the probes themselves small.
constexpr size_t kProbes = 1 << 16;
constexpr uint64_t kProbeSeed = 42;
constexpr uint64_t kDeleteSeed = 43;

// A 1,000,000-row table of variant `v`, built on first use (outside any timed
// region) and shared by the read benchmarks. The delete benchmark puts back every row
// it removes, so the contents stay the same.
struct Loaded {
  std::unique_ptr<store::Store> store;
  IndexIds ix;
  store::Table& table() { return store->table(0); }
};
Loaded& SharedTable(Variant v) {
  static std::map<Variant, Loaded> tables;
  auto it = tables.find(v);
  if (it != tables.end()) return it->second;
  Loaded l{MakeStore(v), {}};
  l.ix = IndexesOf(l.table().schema());
  Load(*l.store, v, 0, kRows, /*rows_per_tx=*/0);
  STDB_ASSERT(l.table().size() == kRows);
  return tables.emplace(v, std::move(l)).first->second;
}

// Ordinals of existing rows in a fixed random order.
const std::vector<uint32_t>& ProbeOrdinals() {
  static const std::vector<uint32_t> all = [] {
    auto v = ShuffledOrdinals(kRows, kProbeSeed);
    v.resize(kProbes);
    return v;
  }();
  return all;
}

// Reads column x of a row, so a lookup pays for touching the row it found.
int32_t XOf(ByteView row) {
  int32_t x;
  std::memcpy(&x, row.data() + 8, sizeof(x));
  return x;
}

void SetRates(benchmark::State& state, int64_t ops, int64_t rows) {
  state.SetItemsProcessed(ops);
  state.counters["rows/s"] = Counter(static_cast<double>(rows), Counter::kIsRate);
}

// ---- Memory per row: a fresh table loaded with kRows rows (Table::Insert, no
// transaction). bytes_per_row_accounted is Table::BytesUsed (rows and indexes, as the
// store counts them); bytes_per_row_rss is the growth of the process's resident set,
// which adds allocator overhead and the slack of growing vectors and hash tables.
void BM_MemoryPerRow(benchmark::State& state) {
  const auto v = static_cast<Variant>(state.range(0));
  state.SetLabel(VariantName(v));
  double accounted = 0, rss = 0;
  for (auto _ : state) {
    state.PauseTiming();
    TrimHeap();
    const auto before = static_cast<double>(ResidentBytes());
    auto s = MakeStore(v);
    state.ResumeTiming();
    Load(*s, v, 0, kRows, /*rows_per_tx=*/0);
    state.PauseTiming();
    const auto after = static_cast<double>(ResidentBytes());
    accounted = static_cast<double>(s->table(0).BytesUsed()) / kRows;
    rss = (after - before) / kRows;
    s.reset();
    state.ResumeTiming();
  }
  state.counters["bytes_per_row_accounted"] = accounted;
  state.counters["bytes_per_row_rss"] = rss;
  const auto rows = static_cast<int64_t>(state.iterations() * kRows);
  SetRates(state, rows, rows);
}
BENCHMARK(BM_MemoryPerRow)
    ->ArgName("variant")
    ->Arg(static_cast<int>(Variant::kXY))
    ->Arg(static_cast<int>(Variant::kNoIndex))
    ->Arg(static_cast<int>(Variant::kHashX))
    ->Arg(static_cast<int>(Variant::kWithName))
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// ---- Inserts: kRows rows into a fresh kXY table, rows_per_tx rows per committed
// store::Transaction (0: Table::Insert without a transaction, the floor). The time
// covers building the rows' BSATN, the inserts, and the commits with their TxDelta.
void BM_Insert(benchmark::State& state) {
  const auto rows_per_tx = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    auto s = MakeStore(Variant::kXY);
    state.ResumeTiming();
    Load(*s, Variant::kXY, 0, kRows, rows_per_tx);
    state.PauseTiming();
    STDB_ASSERT(s->table(0).size() == kRows);
    s.reset();
    state.ResumeTiming();
  }
  const auto rows = static_cast<int64_t>(state.iterations() * kRows);
  SetRates(state, rows, rows);
}
BENCHMARK(BM_Insert)
    ->ArgName("rows_per_tx")
    ->Arg(0)
    ->Arg(1)
    ->Arg(1000)
    ->Arg(kRows)
    ->Iterations(2)
    ->Unit(benchmark::kMillisecond);

// ---- Point lookup by primary key (the implicit unique hash index), reading the row.
void BM_LookupPrimaryKey(benchmark::State& state) {
  Loaded& t = SharedTable(Variant::kXY);
  std::vector<std::array<uint8_t, 8>> keys(kProbes);
  for (size_t i = 0; i < kProbes; ++i) {
    const uint64_t id = RowAt(ProbeOrdinals()[i]).id;
    std::memcpy(keys[i].data(), &id, 8);
  }
  size_t i = 0;
  int64_t found = 0;
  for (auto _ : state) {
    auto id = t.table().FindByPrimaryKey(ByteView(keys[i]));
    benchmark::DoNotOptimize(XOf(t.table().Get(*id)));
    ++found;
    i = (i + 1) & (kProbes - 1);
  }
  SetRates(state, static_cast<int64_t>(state.iterations()), found);
}
BENCHMARK(BM_LookupPrimaryKey);

// Equality probes of the (x, y) or x of existing rows.
std::vector<IndexRange> EqualityProbes(bool xy) {
  std::vector<IndexRange> out;
  out.reserve(kProbes);
  for (uint32_t ordinal : ProbeOrdinals()) {
    const RowSpec r = RowAt(ordinal);
    out.push_back(xy ? IndexRange::Prefix(XYKey(r.x, r.y), 2) : IndexRange::Prefix(I32Key(r.x), 1));
  }
  return out;
}

// Runs ScanIndex over `probes` in turn and reads every row found.
void RunScans(benchmark::State& state, const store::Table& table, store::IndexId index,
              const std::vector<IndexRange>& probes) {
  const size_t mask = probes.size() - 1;
  STDB_ASSERT((probes.size() & mask) == 0);
  size_t i = 0;
  int64_t rows = 0;
  for (auto _ : state) {
    auto ids = table.ScanIndex(index, probes[i]);
    int64_t sum = 0;
    for (RowId id : *ids) sum += XOf(table.Get(id));
    benchmark::DoNotOptimize(sum);
    rows += static_cast<int64_t>(ids->size());
    i = (i + 1) & mask;
  }
  SetRates(state, static_cast<int64_t>(state.iterations()), rows);
}

// ---- Point lookup by a non-unique hash index on x (about ten rows per key).
void BM_LookupHashX(benchmark::State& state) {
  Loaded& t = SharedTable(Variant::kHashX);
  RunScans(state, t.table(), *t.ix.hash_x, EqualityProbes(/*xy=*/false));
}
BENCHMARK(BM_LookupHashX);

// ---- Point lookup by btree equality on the whole key (x, y) (usually one row).
void BM_LookupBTreeXY(benchmark::State& state) {
  Loaded& t = SharedTable(Variant::kXY);
  RunScans(state, t.table(), t.ix.xy, EqualityProbes(/*xy=*/true));
}
BENCHMARK(BM_LookupBTreeXY);

// ---- Btree equality on the prefix x alone: the same question as BM_LookupHashX.
void BM_LookupBTreeX(benchmark::State& state) {
  Loaded& t = SharedTable(Variant::kXY);
  RunScans(state, t.table(), t.ix.xy, EqualityProbes(/*xy=*/false));
}
BENCHMARK(BM_LookupBTreeX);

// ---- Range scan of the btree: x in [a, a + width) for random a, reading each row.
void BM_ScanBTreeRange(benchmark::State& state) {
  const auto width = static_cast<int32_t>(state.range(0));
  Loaded& t = SharedTable(Variant::kXY);
  std::vector<IndexRange> probes;
  probes.reserve(kProbes);
  for (uint32_t ordinal : ProbeOrdinals()) {
    const int32_t a = RowAt(ordinal).x % (static_cast<int32_t>(kXValues) - width + 1);
    IndexRange r;
    r.lower = KeyBound::Included(I32Key(a));
    r.upper = KeyBound::Excluded(I32Key(a + width));
    probes.push_back(std::move(r));
  }
  RunScans(state, t.table(), t.ix.xy, probes);
}
BENCHMARK(BM_ScanBTreeRange)->ArgName("x_width")->Arg(10)->Arg(1000);

// ---- Full scan of the table in slot order (Table::ForEach), for comparison.
void BM_ScanTable(benchmark::State& state) {
  Loaded& t = SharedTable(Variant::kXY);
  int64_t rows = 0;
  for (auto _ : state) {
    int64_t sum = 0;
    t.table().ForEach([&](RowId, ByteView row) { sum += XOf(row); });
    benchmark::DoNotOptimize(sum);
    rows += static_cast<int64_t>(t.table().size());
  }
  SetRates(state, static_cast<int64_t>(state.iterations()), rows);
}
BENCHMARK(BM_ScanTable)->Unit(benchmark::kMillisecond);

// ---- Deletes by primary key: each iteration deletes kDeleteChunk rows (random order)
// in transactions of rows_per_tx rows, committing each; then, untimed, puts them back
// in one transaction so the table stays at kRows rows.
constexpr size_t kDeleteChunk = 1000;
void BM_DeleteByPrimaryKey(benchmark::State& state) {
  const auto rows_per_tx = static_cast<size_t>(state.range(0));
  STDB_ASSERT(rows_per_tx > 0 && kDeleteChunk % rows_per_tx == 0);
  Loaded& t = SharedTable(Variant::kXY);
  static const std::vector<uint32_t> order = ShuffledOrdinals(kRows, kDeleteSeed);
  size_t cursor = 0;
  for (auto _ : state) {
    if (cursor + kDeleteChunk > order.size()) cursor = 0;
    for (size_t done = 0; done < kDeleteChunk;) {
      store::Transaction tx(*t.store);
      for (size_t end = done + rows_per_tx; done < end; ++done) {
        const uint64_t id = RowAt(order[cursor + done]).id;
        uint8_t key[8];
        std::memcpy(key, &id, 8);
        auto deleted = tx.DeleteByPrimaryKey(0, ByteView(key, 8));
        STDB_ASSERT(deleted.ok() && *deleted);
      }
      benchmark::DoNotOptimize(tx.Commit());
    }
    state.PauseTiming();
    {
      store::Transaction tx(*t.store);
      for (size_t j = 0; j < kDeleteChunk; ++j) {
        auto r = tx.Insert(0, EncodeRow(Variant::kXY, order[cursor + j]));
        STDB_ASSERT(r.ok());
      }
      tx.Commit();
    }
    cursor += kDeleteChunk;
    state.ResumeTiming();
  }
  STDB_ASSERT(t.table().size() == kRows);
  const auto rows = static_cast<int64_t>(state.iterations() * kDeleteChunk);
  SetRates(state, rows, rows);
}
BENCHMARK(BM_DeleteByPrimaryKey)->ArgName("rows_per_tx")->Arg(1)->Arg(1000);

}  // namespace
}  // namespace stdb::bench

BENCHMARK_MAIN();
