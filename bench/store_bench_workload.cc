#include "bench/store_bench_workload.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>

#include "base/assert.h"

namespace stdb::bench {
namespace {

using sats::AlgebraicType;
using sats::Element;
using sats::TypeKind;

// splitmix64's finaliser: a bijection on u64, so distinct inputs give distinct ids.
uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr uint64_t kIdSeed = 0x5eed'0001'0000'0003ULL;
constexpr uint64_t kXYSeed = 0x5eed'0002'0000'0003ULL;

}  // namespace

const char* VariantName(Variant v) {
  switch (v) {
    case Variant::kXY:
      return "xy_btree";
    case Variant::kNoIndex:
      return "pk_only";
    case Variant::kHashX:
      return "xy_btree+hash_x";
    case Variant::kWithName:
      return "xy_btree+name";
  }
  return "?";
}

RowSpec RowAt(uint64_t i) {
  const uint64_t h = Mix(i ^ kXYSeed);
  return RowSpec{Mix(i ^ kIdSeed), static_cast<int32_t>(h % kXValues),
                 static_cast<int32_t>(static_cast<uint32_t>(h >> 32))};
}

void EncodeRowInto(Variant v, uint64_t i, Bytes& out) {
  out.clear();
  const RowSpec r = RowAt(i);
  ByteWriter w(out);
  w.U64(r.id);
  w.Fixed(r.x);
  w.Fixed(r.y);
  if (v == Variant::kWithName) {
    // "player-" and the ordinal: 13-14 bytes, a typical short display name.
    char name[32];
    const int n =
        std::snprintf(name, sizeof(name), "player-%07llu", static_cast<unsigned long long>(i));
    w.String(std::string_view(name, static_cast<size_t>(n)));
  }
}

Bytes EncodeRow(Variant v, uint64_t i) {
  Bytes out;
  EncodeRowInto(v, i, out);
  return out;
}

store::TableSchema MakeSchema(Variant v) {
  using store::IndexAlgorithm;
  using store::IndexSchema;
  store::TableSchema s;
  s.table_id = 0;
  s.name = "points";
  std::vector<Element> cols = {Element{"id", AlgebraicType(TypeKind::kU64)},
                               Element{"x", AlgebraicType(TypeKind::kI32)},
                               Element{"y", AlgebraicType(TypeKind::kI32)}};
  if (v == Variant::kWithName) cols.push_back(Element{"name", AlgebraicType::String()});
  s.row_type = AlgebraicType::Product(std::move(cols));
  s.primary_key = 0;
  if (v != Variant::kNoIndex) {
    s.indexes.push_back(IndexSchema{"points_xy", IndexAlgorithm::kBTree, {1, 2}, false});
  }
  if (v == Variant::kHashX) {
    s.indexes.push_back(IndexSchema{"points_x", IndexAlgorithm::kHash, {1}, false});
  }
  store::NormaliseIndexes(s, {});
  return s;
}

IndexIds IndexesOf(const store::TableSchema& schema) {
  IndexIds ids{};
  ids.pk = schema.primary_index();
  STDB_ASSERT(schema.indexes[ids.pk].algorithm == store::IndexAlgorithm::kHash);
  auto xy = schema.FindIndex({1, 2});
  ids.xy = xy.value_or(ids.pk);
  ids.hash_x = schema.FindIndex({1});
  return ids;
}

std::unique_ptr<store::Store> MakeStore(Variant v) {
  std::vector<store::TableSchema> schemas;
  schemas.push_back(MakeSchema(v));
  return std::make_unique<store::Store>(std::move(schemas));
}

void Load(store::Store& s, Variant v, uint64_t begin, uint64_t end, size_t rows_per_tx) {
  STDB_ASSERT(begin <= end);
  Bytes row;
  if (rows_per_tx == 0) {
    store::Table& table = s.table(0);
    for (uint64_t i = begin; i < end; ++i) {
      EncodeRowInto(v, i, row);
      auto r = table.Insert(std::move(row));
      STDB_ASSERT_MSG(r.ok() && r->inserted, "benchmark row rejected");
    }
    return;
  }
  for (uint64_t i = begin; i < end;) {
    const uint64_t stop = std::min<uint64_t>(end, i + rows_per_tx);
    store::Transaction tx(s);
    for (; i < stop; ++i) {
      EncodeRowInto(v, i, row);
      auto r = tx.Insert(0, std::move(row));
      STDB_ASSERT_MSG(r.ok(), "benchmark row rejected");
    }
    store::TxDelta delta = tx.Commit();
    STDB_ASSERT(!delta.empty());
  }
}

Bytes U64Key(uint64_t v) {
  Bytes out;
  ByteWriter(out).U64(v);
  return out;
}

Bytes I32Key(int32_t v) {
  Bytes out;
  ByteWriter(out).Fixed(v);
  return out;
}

Bytes XYKey(int32_t x, int32_t y) {
  Bytes out;
  ByteWriter w(out);
  w.Fixed(x);
  w.Fixed(y);
  return out;
}

size_t ResidentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  STDB_ASSERT_MSG(f != nullptr, "cannot open /proc/self/statm");
  unsigned long size_pages = 0, resident_pages = 0;
  const int got = std::fscanf(f, "%lu %lu", &size_pages, &resident_pages);
  std::fclose(f);
  STDB_ASSERT(got == 2);
  return resident_pages * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

void TrimHeap() { malloc_trim(0); }

std::vector<uint32_t> ShuffledOrdinals(size_t n, uint64_t seed) {
  std::vector<uint32_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint32_t>(i);
  std::mt19937_64 rng(seed);
  // Fisher-Yates with the engine directly: std::shuffle's distribution use is not
  // specified to be identical across standard libraries, this is.
  for (size_t i = n; i > 1; --i) std::swap(out[i - 1], out[rng() % i]);
  return out;
}

}  // namespace stdb::bench
