// Properties of the BSATN codec over random types and values (generators in gen_test.h).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "sats/bsatn.h"
#include "sats/gen_test.h"
#include "sats/json.h"

namespace stdb::sats {
namespace {

using gen_test::GenRowSample;
using gen_test::GenSample;
using gen_test::GenType;
using gen_test::MustEncode;
using gen_test::SameBits;
using gen_test::SameModuloNaN;
using gen_test::Sample;
using gen_test::TypeShape;

// Encode then decode gives back the value, floats bit for bit, and re-encodes identically.
RC_GTEST_PROP(BsatnProperty, EncodeThenDecodeGivesBackTheValue, ()) {
  const Sample s = *GenSample();
  const Bytes b = MustEncode(s.type, s.value);
  auto d = DecodeBsatnExact(s.type, b);
  if (!d.ok()) RC_FAIL(d.status().ToString());
  RC_ASSERT(SameBits(*d, s.value));
  RC_ASSERT(MustEncode(s.type, *d) == b);
}

// SkipBsatn consumes exactly the encoded length, whatever follows it.
RC_GTEST_PROP(BsatnProperty, SkipConsumesExactlyTheEncodedLength, ()) {
  const Sample s = *GenSample();
  Bytes b = MustEncode(s.type, s.value);
  const size_t n = b.size();
  const auto tail = *rc::gen::container<std::vector<uint8_t>>(rc::gen::arbitrary<uint8_t>());
  b.insert(b.end(), tail.begin(), tail.end());
  ByteReader r(b);
  RC_ASSERT(SkipBsatn(s.type, r).ok());
  RC_ASSERT(r.position() == n);
  ByteReader r2(b);
  RC_ASSERT(DecodeBsatn(s.type, r2).ok());
  RC_ASSERT(r2.position() == n);
}

// ValidateBsatn accepts every encoding.
RC_GTEST_PROP(BsatnProperty, ValidateAcceptsEveryEncoding, ()) {
  const Sample s = *GenSample();
  const Status st = ValidateBsatn(s.type, MustEncode(s.type, s.value));
  RC_ASSERT(st.ok());
}

// ColumnSlice of each column of a row equals that column's own encoding.
RC_GTEST_PROP(BsatnProperty, ColumnSliceEqualsTheColumnsOwnEncoding, ()) {
  const Sample s = *GenRowSample();
  const Bytes row = MustEncode(s.type, s.value);
  const auto& fields = s.value.as<ProductValue>().fields;
  for (size_t i = 0; i < fields.size(); ++i) {
    auto slice = ColumnSlice(s.type, row, i);
    RC_ASSERT(slice.ok());
    RC_ASSERT(Bytes(slice->begin(), slice->end()) ==
              MustEncode(s.type.elements()[i].type, fields[i]));
  }
  RC_ASSERT(!ColumnSlice(s.type, row, fields.size()).ok());
}

// DecodeBsatnExact and ValidateBsatn reject any trailing byte and every strict prefix.
RC_GTEST_PROP(BsatnProperty, ExactDecodeRejectsTrailingBytesAndTruncation, ()) {
  const Sample s = *GenSample();
  Bytes b = MustEncode(s.type, s.value);
  for (size_t k = 0; k < b.size(); ++k) {
    const ByteView prefix(b.data(), k);
    RC_ASSERT(!DecodeBsatnExact(s.type, prefix).ok());
    RC_ASSERT(!ValidateBsatn(s.type, prefix).ok());
  }
  b.push_back(*rc::gen::arbitrary<uint8_t>());
  RC_ASSERT(!DecodeBsatnExact(s.type, b).ok());
  RC_ASSERT(!ValidateBsatn(s.type, b).ok());
}

// Decode and validate agree on arbitrary corrupted input, and whatever decodes re-encodes
// to the bytes it came from (BSATN is canonical).
RC_GTEST_PROP(BsatnProperty, DecodeAndValidateAgreeOnCorruptedInput, ()) {
  const Sample s = *GenSample();
  Bytes b = MustEncode(s.type, s.value);
  const int flips = *rc::gen::inRange(0, 4);
  for (int i = 0; i < flips && !b.empty(); ++i) {
    b[*rc::gen::inRange<size_t>(0, b.size())] = *rc::gen::arbitrary<uint8_t>();
  }
  if (*rc::gen::arbitrary<bool>() && !b.empty()) b.resize(*rc::gen::inRange<size_t>(0, b.size()));
  auto d = DecodeBsatnExact(s.type, b);
  RC_ASSERT(d.ok() == ValidateBsatn(s.type, b).ok());
  if (d.ok()) RC_ASSERT(MustEncode(s.type, *d) == b);
}

// EncodeType then DecodeType gives back the type, including empty sums and Refs, and
// every strict prefix of a type's encoding is rejected.
RC_GTEST_PROP(BsatnProperty, TypeEncodingRoundTrips, ()) {
  TypeShape shape;
  shape.depth = 4;
  shape.inhabited = false;
  shape.json_names = false;
  const AlgebraicType t = *GenType(shape);
  Bytes b;
  EncodeType(t, b);
  ByteReader r(b);
  auto d = DecodeType(r);
  RC_ASSERT(d.ok());
  RC_ASSERT(*d == t);
  RC_ASSERT(r.at_end());
  for (size_t k = 0; k < b.size(); ++k) {
    ByteReader pr(ByteView(b.data(), k));
    RC_ASSERT(!DecodeType(pr).ok());
  }
}

// ValueToJson then ValueFromJson (through JSON text) gives back the value. Choice: NaN
// is written as "NaN" and read back as the quiet NaN, so NaNs compare equal to each other
// here and everything else compares bit for bit; the JSON form itself is a fixed point.
RC_GTEST_PROP(JsonProperty, ValueToJsonThenBackGivesBackTheValue, ()) {
  const Sample s = *GenSample();
  const Json j = ValueToJson(s.type, s.value);
  const std::string text = j.dump();
  auto back = ValueFromJson(s.type, Json::parse(text));
  if (!back.ok()) RC_FAIL(text + ": " + back.status().ToString());
  RC_ASSERT(SameModuloNaN(*back, s.value));
  RC_ASSERT(ValueToJson(s.type, *back).dump() == text);
}

}  // namespace
}  // namespace stdb::sats
