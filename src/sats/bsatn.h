// BSATN, SpacetimeDB's binary encoding of SATS values (layout in docs/bsatn.md).
//
// Decoding is total: any byte string either decodes or yields an error Status (kDecode;
// kUnsupported for an unresolved Ref); it never reads out of bounds, recurses deeper than
// kBsatnDepthMax, or allocates more than a constant factor of the input size (lengths and
// counts are checked against the bytes remaining; see kBsatnZeroSizedNodesMax for the one
// case where they cannot be).
#pragma once

#include "base/bytes.h"
#include "base/status.h"
#include "sats/types.h"
#include "sats/value.h"

namespace stdb::sats {

// Bounded: deeper nesting is rejected so hostile input cannot exhaust the stack.
inline constexpr int kBsatnDepthMax = 64;

// Bounded: an element of a zero-sized type (the unit, or a product of zero-sized types)
// encodes to no bytes, so a 4-byte array count could describe four billion of them. One
// call of EncodeBsatn, DecodeBsatn, SkipBsatn or ColumnSlice handles at most this many
// value nodes inside arrays of zero-sized elements (a node is one product, counted
// recursively); beyond it decoding fails with kDecode and encoding with kInvalidArgument,
// so every value that encodes also decodes. Other elements take at least one byte each,
// so the rest of a decoded value is bounded by the input size.
inline constexpr size_t kBsatnZeroSizedNodesMax = 4096;

// Appends the BSATN of `value` to `out`. Fails with kTypeMismatch, leaving `out` with a
// partial encoding, if `value` does not have type `type` (a String value that is not
// valid UTF-8 does not have type String). Fails with kInvalidArgument if the value nests
// deeper than kBsatnDepthMax, a length does not fit the u32 prefix, or the value exceeds
// kBsatnZeroSizedNodesMax; with kUnsupported on an unresolved Ref.
Status EncodeBsatn(const AlgebraicType& type, const AlgebraicValue& value, Bytes& out);

// Decodes one value of `type` from `reader`, advancing it. On failure (kDecode, or
// kUnsupported for an unresolved Ref) the reader's position is unspecified.
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

// Appends the BSATN of an AlgebraicType itself (used by module schemas; docs/bsatn.md).
void EncodeType(const AlgebraicType& type, Bytes& out);
// Decodes one AlgebraicType from `reader`, advancing it. Fails with kDecode on an unknown
// kind tag, truncation, nesting deeper than kBsatnDepthMax, an element name that is not
// valid UTF-8, or a sum of more than 256 variants.
Result<AlgebraicType> DecodeType(ByteReader& reader);

}  // namespace stdb::sats
