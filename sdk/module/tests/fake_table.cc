#include "fake_table.h"

#include <algorithm>
#include <compare>

#include "sats/bsatn.h"

namespace stdb_test::fake {

using stdb::ByteReader;
using stdb::ByteView;
using stdb::sats::AlgebraicValue;

Table MakeTable(const TableSchema& schema, stdb::sats::AlgebraicType row_type) {
  Table t;
  t.name = schema.name;
  t.row_type = std::move(row_type);
  t.pk = schema.primary_key;
  std::vector<std::vector<uint16_t>> unique = schema.unique_columns;
  if (schema.primary_key && std::find(unique.begin(), unique.end(),
                                      std::vector<uint16_t>{*schema.primary_key}) == unique.end()) {
    unique.push_back({*schema.primary_key});
  }
  for (const IndexSchema& declared : schema.indexes) {
    const bool is_unique =
        std::find(unique.begin(), unique.end(), declared.columns) != unique.end();
    t.indexes.push_back(Index{declared.name, declared.algorithm, declared.columns, is_unique});
  }
  for (const auto& columns : unique) {
    const bool covered = std::any_of(t.indexes.begin(), t.indexes.end(),
                                     [&](const Index& i) { return i.columns == columns; });
    if (covered) continue;
    std::string name = t.name;
    for (uint16_t c : columns) name += "_" + *t.row_type.elements()[c].name;
    t.indexes.push_back(Index{name + "_key", 1, columns, true});
  }
  t.sequences = schema.sequences;
  t.next_value.assign(t.sequences.size(), 1);
  return t;
}

namespace {

ByteView Column(const Table& t, ByteView row, uint16_t column) {
  auto slice = stdb::sats::ColumnSlice(t.row_type, row, column);
  STDB_ASSERT(slice.ok());
  return *slice;
}

AlgebraicValue ColumnValue(const Table& t, ByteView row, uint16_t column) {
  auto value =
      stdb::sats::DecodeBsatnExact(t.row_type.elements()[column].type, Column(t, row, column));
  STDB_ASSERT(value.ok());
  return *value;
}

stdb::Status ReadBound(const Table& t, uint16_t column, ByteReader& r, Bound& out) {
  if (!r.Fixed(out.tag) || out.tag > 2) return stdb::DecodeError("bad bound tag");
  if (out.tag == 2) return stdb::Status::Ok();
  auto value = stdb::sats::DecodeBsatn(t.row_type.elements()[column].type, r);
  if (!value.ok()) return value.status();
  out.value = *value;
  return stdb::Status::Ok();
}

// Whether `v` is on the inner side of `bound`; `lower` says which side that is.
bool Within(const AlgebraicValue& v, const Bound& bound, bool lower) {
  if (bound.tag == 2) return true;
  const std::partial_ordering c = stdb::sats::Compare(v, bound.value);
  if (bound.tag == 0) return lower ? c >= 0 : c <= 0;
  return lower ? c > 0 : c < 0;
}

}  // namespace

Bytes KeyOf(const Table& t, const Index& index, ByteView row) {
  Bytes key;
  for (uint16_t c : index.columns) {
    const ByteView slice = Column(t, row, c);
    key.insert(key.end(), slice.begin(), slice.end());
  }
  return key;
}

stdb::Result<Range> DecodeRange(const Table& t, const Index& index, ByteView bytes) {
  ByteReader r(bytes);
  Range range;
  if (!r.Fixed(range.prefix_len)) return stdb::DecodeError("truncated prefix_len");
  if (range.prefix_len > index.columns.size()) return stdb::DecodeError("prefix too long");
  const size_t start = r.position();
  for (uint16_t i = 0; i < range.prefix_len; ++i) {
    STDB_RETURN_IF_ERROR(stdb::sats::SkipBsatn(t.row_type.elements()[index.columns[i]].type, r));
  }
  range.prefix.assign(bytes.begin() + static_cast<ptrdiff_t>(start),
                      bytes.begin() + static_cast<ptrdiff_t>(r.position()));
  const bool full = range.prefix_len == index.columns.size();
  const uint16_t next = full ? 0 : index.columns[range.prefix_len];
  if (full) {
    if (!r.Fixed(range.lower.tag) || !r.Fixed(range.upper.tag) || range.lower.tag != 2 ||
        range.upper.tag != 2) {
      return stdb::DecodeError("an equality range must have unbounded bounds");
    }
  } else {
    STDB_RETURN_IF_ERROR(ReadBound(t, next, r, range.lower));
    STDB_RETURN_IF_ERROR(ReadBound(t, next, r, range.upper));
  }
  if (!r.at_end()) return stdb::DecodeError("trailing bytes after the range");
  if (index.algorithm == 1 && !full) {
    return stdb::InvalidArgument("index '" + index.name + "' is a hash index: it answers only " +
                                 "lookups that fix every column");
  }
  return range;
}

std::vector<size_t> Matching(const Table& t, const Index& index, const Range& range) {
  std::vector<size_t> out;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const ByteView row(t.rows[i]);
    Bytes prefix;
    for (uint16_t k = 0; k < range.prefix_len; ++k) {
      const ByteView slice = Column(t, row, index.columns[k]);
      prefix.insert(prefix.end(), slice.begin(), slice.end());
    }
    if (prefix != range.prefix) continue;
    if (range.prefix_len < index.columns.size()) {
      const AlgebraicValue v = ColumnValue(t, row, index.columns[range.prefix_len]);
      if (!Within(v, range.lower, true) || !Within(v, range.upper, false)) continue;
    }
    out.push_back(i);
  }
  if (index.algorithm == 0) {
    auto key_values = [&](size_t i) {
      std::vector<AlgebraicValue> values;
      for (uint16_t c : index.columns) values.push_back(ColumnValue(t, ByteView(t.rows[i]), c));
      return values;
    };
    std::stable_sort(out.begin(), out.end(), [&](size_t a, size_t b) {
      const auto va = key_values(a);
      const auto vb = key_values(b);
      for (size_t k = 0; k < va.size(); ++k) {
        const std::partial_ordering c = stdb::sats::Compare(va[k], vb[k]);
        if (c != 0) return c < 0;
      }
      return false;
    });
  }
  return out;
}

void ApplySequences(Table& t, Bytes& row) {
  for (size_t s = 0; s < t.sequences.size(); ++s) {
    const ByteView slice = Column(t, ByteView(row), t.sequences[s]);
    if (std::any_of(slice.begin(), slice.end(), [](uint8_t b) { return b != 0; })) continue;
    const size_t offset = static_cast<size_t>(slice.data() - row.data());
    uint64_t v = t.next_value[s]++;
    for (size_t i = 0; i < slice.size(); ++i, v >>= 8) row[offset + i] = static_cast<uint8_t>(v);
  }
}

std::optional<std::string> UniqueConflict(const Table& t, ByteView row,
                                          std::optional<size_t> except) {
  for (const Index& index : t.indexes) {
    if (!index.unique) continue;
    const Bytes key = KeyOf(t, index, row);
    for (size_t i = 0; i < t.rows.size(); ++i) {
      if (except == i) continue;
      if (KeyOf(t, index, ByteView(t.rows[i])) == key) return index.name;
    }
  }
  return std::nullopt;
}

}  // namespace stdb_test::fake
