// BSATN, SpacetimeDB's binary encoding of SATS values (layout in docs/bsatn.md).
//
// Decoding is total: any byte string either decodes or yields a kDecode Status; it never
// reads out of bounds, recurses deeper than kBsatnDepthMax, or allocates more than the
// input could describe (lengths are checked against the bytes remaining).
#pragma once

#include "base/bytes.h"
#include "base/status.h"
#include "sats/types.h"
#include "sats/value.h"

namespace stdb::sats {

// Bounded: deeper nesting is rejected so hostile input cannot exhaust the stack.
inline constexpr int kBsatnDepthMax = 64;

// Appends the BSATN of `value` to `out`. Fails with kTypeMismatch, leaving `out` with a
// partial encoding, if `value` does not have type `type`.
Status EncodeBsatn(const AlgebraicType& type, const AlgebraicValue& value, Bytes& out);

// Decodes one value of `type` from `reader`, advancing it.
Result<AlgebraicValue> DecodeBsatn(const AlgebraicType& type, ByteReader& reader);

// Decodes exactly one value of `type` from `data`; trailing bytes are an error.
Result<AlgebraicValue> DecodeBsatnExact(const AlgebraicType& type, ByteView data);

// Checks that `reader` starts with a valid value of `type` and skips over it, without
// building the value (cheaper than DecodeBsatn; used to validate rows and arguments).
Status SkipBsatn(const AlgebraicType& type, ByteReader& reader);

// Checks that `data` is exactly one valid value of `type`.
Status ValidateBsatn(const AlgebraicType& type, ByteView data);

// Returns the byte range of column `column` inside `row`, a valid BSATN product of
// `row_type`. Fails on invalid input or a column index out of range.
Result<ByteView> ColumnSlice(const AlgebraicType& row_type, ByteView row, size_t column);

// Encodes / decodes an AlgebraicType itself (used by module schemas; docs/bsatn.md).
void EncodeType(const AlgebraicType& type, Bytes& out);
Result<AlgebraicType> DecodeType(ByteReader& reader);

}  // namespace stdb::sats
