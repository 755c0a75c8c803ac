#include "store/index_range.h"

#include "sats/bsatn.h"
#include "store/key.h"

namespace stdb::store {
namespace {

Status RangeError(const TableSchema& schema, const IndexSchema& index, const std::string& why) {
  return DecodeError("bad range for index '" + index.name + "' of table '" + schema.name +
                     "': " + why);
}

// Checks that `bytes` are valid values of index columns first..first+n-1.
Status ValidateValues(const TableSchema& schema, const IndexSchema& index, const KeySpec& spec,
                      ByteView bytes, size_t first, size_t n) {
  for (size_t i = first; i < first + n; ++i) {
    auto w = spec.ValuesWidth(bytes, i, 1);
    if (!w) return RangeError(schema, index, "truncated value");
    const uint16_t col = index.columns[i];
    if (Status s = sats::ValidateBsatn(schema.column_type(col), bytes.first(*w)); !s.ok()) {
      return RangeError(schema, index, "column '" + schema.column_name(col) + "': " + s.message());
    }
    bytes = bytes.subspan(*w);
  }
  return Status::Ok();
}

}  // namespace

Result<IndexRange> DecodeIndexRange(const TableSchema& schema, IndexId index_id, ByteView bytes) {
  if (index_id >= schema.indexes.size()) {
    return Status(ErrorCode::kInvalidArgument,
                  "table '" + schema.name + "' has no index " + std::to_string(index_id));
  }
  const IndexSchema& index = schema.indexes[index_id];
  const size_t ncols = index.columns.size();
  KeySpec spec(schema, index.columns);
  ByteReader r(bytes);
  IndexRange range;
  if (!r.Fixed(range.prefix_len)) return RangeError(schema, index, "truncated");
  if (range.prefix_len > ncols) {
    return RangeError(schema, index,
                      "prefix of " + std::to_string(range.prefix_len) +
                          " columns but the index has " + std::to_string(ncols));
  }
  const ByteView rest = bytes.subspan(r.position());
  auto pw = spec.ValuesWidth(rest, 0, range.prefix_len);
  if (!pw) return RangeError(schema, index, "truncated prefix");
  const ByteView prefix = rest.first(*pw);
  if (Status s = ValidateValues(schema, index, spec, prefix, 0, range.prefix_len); !s.ok())
    return s;
  range.prefix.assign(prefix.begin(), prefix.end());
  ByteView tail = rest.subspan(*pw);
  for (KeyBound* b : {&range.lower, &range.upper}) {
    if (tail.empty()) return RangeError(schema, index, "truncated bound");
    const uint8_t tag = tail[0];
    tail = tail.subspan(1);
    if (tag == 2) continue;
    if (tag > 2) return RangeError(schema, index, "bad bound tag " + std::to_string(tag));
    if (range.prefix_len == ncols) {
      return RangeError(schema, index, "a bound after a prefix that fixes every column");
    }
    auto w = spec.ValuesWidth(tail, range.prefix_len, 1);
    if (!w) return RangeError(schema, index, "truncated bound value");
    if (Status s = ValidateValues(schema, index, spec, tail.first(*w), range.prefix_len, 1);
        !s.ok()) {
      return s;
    }
    b->kind = tag == 0 ? KeyBound::Kind::kIncluded : KeyBound::Kind::kExcluded;
    b->value.assign(tail.begin(), tail.begin() + static_cast<ptrdiff_t>(*w));
    tail = tail.subspan(*w);
  }
  if (!tail.empty()) return RangeError(schema, index, "trailing bytes");
  return range;
}

Status ValidateKey(const TableSchema& schema, IndexId index_id, ByteView key) {
  if (index_id >= schema.indexes.size()) {
    return Status(ErrorCode::kInvalidArgument,
                  "table '" + schema.name + "' has no index " + std::to_string(index_id));
  }
  const IndexSchema& index = schema.indexes[index_id];
  const KeySpec spec(schema, index.columns);
  auto w = spec.ValuesWidth(key, 0, index.columns.size());
  if (!w || *w != key.size()) {
    return DecodeError("bad key for index '" + index.name + "' of table '" + schema.name +
                       "': expected one value for each of its " +
                       std::to_string(index.columns.size()) + " column(s)");
  }
  return ValidateValues(schema, index, spec, key, 0, index.columns.size());
}

Bytes EncodeIndexRange(const IndexRange& range) {
  Bytes out;
  ByteWriter w(out);
  w.U16(range.prefix_len);
  w.Raw(range.prefix);
  for (const KeyBound* b : {&range.lower, &range.upper}) {
    w.U8(static_cast<uint8_t>(b->kind));
    if (!b->unbounded()) w.Raw(b->value);
  }
  return out;
}

}  // namespace stdb::store
