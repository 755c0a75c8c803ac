#include "store/key.h"

#include <algorithm>
#include <cstring>

#include "base/assert.h"
#include "sats/bsatn.h"

namespace stdb::store {
namespace {

using sats::AlgebraicType;
using sats::IsSignedInteger;
using sats::ScalarWidth;
using sats::TypeKind;

// A sum whose variants all carry the unit type (a simple enum).
bool IsSimpleEnum(const AlgebraicType& t) {
  if (!t.is_sum() || t.elements().empty() || t.elements().size() > 256) return false;
  return std::all_of(t.elements().begin(), t.elements().end(),
                     [](const sats::Element& e) { return e.type.is_unit(); });
}

// The scalar a key type reduces to: special scalars are single-field products.
const AlgebraicType& KeyScalar(const AlgebraicType& t) {
  return t.is_special_scalar() ? t.elements()[0].type : t;
}

// Compares two little-endian integers of `width` bytes as unsigned.
int CompareUnsignedLE(const uint8_t* a, const uint8_t* b, size_t width) {
  for (size_t i = width; i-- > 0;) {
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

uint64_t Mix(uint64_t h) {  // a 64-bit finaliser: xor-shift and multiply rounds
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

uint64_t HashBytes(ByteView b, uint64_t seed) {
  uint64_t h = seed ^ (b.size() * 0x9e3779b97f4a7c15ULL);
  size_t i = 0;
  for (; i + 8 <= b.size(); i += 8) h = (h ^ Mix(Load64(b.data() + i))) * 0x9e3779b97f4a7c15ULL;
  uint64_t tail = 0;
  std::memcpy(&tail, b.data() + i, b.size() - i);
  h = (h ^ Mix(tail + b.size() - i)) * 0x9e3779b97f4a7c15ULL;
  return Mix(h);
}

}  // namespace

std::optional<size_t> FixedWidth(const AlgebraicType& type) {
  if (size_t w = ScalarWidth(type.kind()); w != 0) return w;
  if (IsSimpleEnum(type)) return 1;
  if (type.is_product()) {
    size_t total = 0;
    for (const auto& e : type.elements()) {
      auto w = FixedWidth(e.type);
      if (!w) return std::nullopt;
      total += *w;
    }
    return total;
  }
  return std::nullopt;
}

bool IsKeyType(const AlgebraicType& type) {
  const AlgebraicType& t = KeyScalar(type);
  return t.is_integer() || t.kind() == TypeKind::kBool || t.kind() == TypeKind::kString ||
         IsSimpleEnum(t);
}

KeySpec::KeySpec(const TableSchema& schema, const std::vector<uint16_t>& columns)
    : row_type_(&schema.row_type) {
  STDB_ASSERT(!columns.empty() && columns.size() <= kIndexColumnsMax);
  // Offsets of columns that follow only fixed-width columns.
  std::vector<std::optional<uint32_t>> offsets(schema.column_count());
  std::optional<uint32_t> at = 0;
  for (size_t i = 0; i < schema.column_count(); ++i) {
    offsets[i] = at;
    auto w = FixedWidth(schema.column_type(i));
    at = (at && w) ? std::optional<uint32_t>(*at + static_cast<uint32_t>(*w)) : std::nullopt;
  }
  for (uint16_t c : columns) {
    STDB_ASSERT(c < schema.column_count());
    const AlgebraicType& type = schema.column_type(c);
    STDB_ASSERT_MSG(IsKeyType(type), "index column of a non-key type");
    const AlgebraicType& s = KeyScalar(type);
    Col col{c, Kind::kUnsigned, 0, offsets[c]};
    if (s.kind() == TypeKind::kString) {
      col.kind = Kind::kString;
    } else if (s.kind() == TypeKind::kBool) {
      col.kind = Kind::kBool;
      col.width = 1;
    } else if (s.is_sum()) {
      col.kind = Kind::kTag;
      col.width = 1;
    } else {
      col.kind = IsSignedInteger(s.kind()) ? Kind::kSigned : Kind::kUnsigned;
      col.width = static_cast<uint8_t>(ScalarWidth(s.kind()));
    }
    cols_.push_back(col);
  }
}

std::optional<size_t> KeySpec::ValueWidth(const Col& c, ByteView data) {
  if (c.kind != Kind::kString) {
    if (data.size() < c.width) return std::nullopt;
    return c.width;
  }
  uint32_t len;
  if (data.size() < 4) return std::nullopt;
  std::memcpy(&len, data.data(), 4);
  if (data.size() - 4 < len) return std::nullopt;
  return 4 + size_t{len};
}

void KeySpec::SliceRow(ByteView row, KeyColumns& out) const {
  out.n = cols_.size();
  for (size_t i = 0; i < cols_.size(); ++i) {
    const Col& c = cols_[i];
    if (c.offset && c.width != 0) {
      out.col[i] = row.subspan(*c.offset, c.width);
      continue;
    }
    ByteView rest;
    if (c.offset) {
      rest = row.subspan(*c.offset);
    } else {
      auto slice = sats::ColumnSlice(*row_type_, row, c.column);
      STDB_ASSERT_MSG(slice.ok(), "key of an invalid row");
      out.col[i] = *slice;
      continue;
    }
    auto w = ValueWidth(c, rest);
    STDB_ASSERT_MSG(w.has_value(), "key of an invalid row");
    out.col[i] = rest.first(*w);
  }
}

bool KeySpec::SliceKey(ByteView key, size_t n, KeyColumns& out) const {
  if (n > cols_.size()) return false;
  out.n = n;
  for (size_t i = 0; i < n; ++i) {
    auto w = ValueWidth(cols_[i], key);
    if (!w) return false;
    out.col[i] = key.first(*w);
    key = key.subspan(*w);
  }
  return key.empty();
}

std::optional<size_t> KeySpec::ValuesWidth(ByteView data, size_t first, size_t n) const {
  if (first + n > cols_.size()) return std::nullopt;
  size_t total = 0;
  for (size_t i = first; i < first + n; ++i) {
    auto w = ValueWidth(cols_[i], data.subspan(total));
    if (!w) return std::nullopt;
    total += *w;
  }
  return total;
}

void KeySpec::AppendKey(ByteView row, Bytes& out) const {
  KeyColumns k;
  SliceRow(row, k);
  for (size_t i = 0; i < k.n; ++i) out.insert(out.end(), k.col[i].begin(), k.col[i].end());
}

int KeySpec::CompareColumn(size_t i, ByteView a, ByteView b) const {
  const Col& c = cols_[i];
  switch (c.kind) {
    case Kind::kBool:
    case Kind::kTag:
      return a[0] == b[0] ? 0 : (a[0] < b[0] ? -1 : 1);
    case Kind::kUnsigned:
      return CompareUnsignedLE(a.data(), b.data(), c.width);
    case Kind::kSigned: {
      const bool na = (a[c.width - 1] & 0x80) != 0;
      const bool nb = (b[c.width - 1] & 0x80) != 0;
      if (na != nb) return na ? -1 : 1;
      return CompareUnsignedLE(a.data(), b.data(), c.width);
    }
    case Kind::kString: {
      const ByteView sa = a.subspan(4), sb = b.subspan(4);
      const size_t n = std::min(sa.size(), sb.size());
      if (int r = n == 0 ? 0 : std::memcmp(sa.data(), sb.data(), n); r != 0) return r < 0 ? -1 : 1;
      return sa.size() == sb.size() ? 0 : (sa.size() < sb.size() ? -1 : 1);
    }
  }
  return 0;
}

int KeySpec::ComparePrefix(const KeyColumns& a, const KeyColumns& b, size_t n) const {
  for (size_t i = 0; i < n; ++i) {
    if (int r = CompareColumn(i, a.col[i], b.col[i]); r != 0) return r;
  }
  return 0;
}

bool KeysEqual(const KeyColumns& a, const KeyColumns& b) {
  if (a.n != b.n) return false;
  for (size_t i = 0; i < a.n; ++i) {
    if (a.col[i].size() != b.col[i].size() ||
        std::memcmp(a.col[i].data(), b.col[i].data(), a.col[i].size()) != 0) {
      return false;
    }
  }
  return true;
}

uint64_t KeySpec::Hash(const KeyColumns& k) {
  uint64_t h = 0x243f6a8885a308d3ULL;
  for (size_t i = 0; i < k.n; ++i) h = HashBytes(k.col[i], h);
  return h;
}

}  // namespace stdb::store
