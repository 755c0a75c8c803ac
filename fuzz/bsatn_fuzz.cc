// libFuzzer target for the BSATN codec (docs/bsatn.md).
//
// Input: the BSATN of an AlgebraicType, then bytes to decode as one value of that type.
// Checks, for every input: DecodeType consumed a canonical type encoding; SkipBsatn and
// DecodeBsatn agree on success and on the length consumed; a decoded value re-encodes to
// exactly the bytes it came from and no strict prefix of them decodes; ColumnSlice of a
// product matches each field's encoding; and the value survives a trip through JSON text.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "fuzz_check.h"
#include "sats/bsatn.h"
#include "sats/json.h"

namespace stdb::fuzz {
namespace {

using sats::AlgebraicType;
using sats::AlgebraicValue;

// Bounded: ColumnSlice is quadratic in the column count; checking the first few columns
// finds the same bugs.
constexpr size_t kColumnsChecked = 16;

void CheckColumns(const AlgebraicType& type, const AlgebraicValue& value, ByteView row) {
  if (!type.is_product()) return;
  const auto& fields = value.as<sats::ProductValue>().fields;
  for (size_t i = 0; i < fields.size() && i < kColumnsChecked; ++i) {
    auto slice = sats::ColumnSlice(type, row, i);
    FUZZ_CHECK(slice.ok());
    Bytes field;
    FUZZ_CHECK(sats::EncodeBsatn(type.elements()[i].type, fields[i], field).ok());
    FUZZ_CHECK(Bytes(slice->begin(), slice->end()) == field);
  }
}

// The JSON text of the value parses back to a value with the same JSON text; without NaN
// (which JSON writes as "NaN", dropping its payload) it also has the same BSATN.
void CheckJson(const AlgebraicType& type, const AlgebraicValue& value, ByteView encoded) {
  const std::string text = sats::ValueToJson(type, value).dump();  // throws on bad UTF-8
  if (!JsonUnambiguous(type)) return;
  const sats::Json parsed = sats::Json::parse(text, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(!parsed.is_discarded());
  auto back = sats::ValueFromJson(type, parsed);
  FUZZ_CHECK_MSG(back.ok(), back.status().ToString().c_str());
  FUZZ_CHECK(sats::ValueToJson(type, *back).dump() == text);
  if (text.find("\"NaN\"") == std::string::npos) {
    Bytes again;
    FUZZ_CHECK(sats::EncodeBsatn(type, *back, again).ok());
    FUZZ_CHECK(ByteView(again).size() == encoded.size() &&
               std::equal(again.begin(), again.end(), encoded.begin()));
  }
}

void CheckValue(const AlgebraicType& type, ByteView rest) {
  ByteReader skip_reader(rest);
  const Status skipped = sats::SkipBsatn(type, skip_reader);
  ByteReader decode_reader(rest);
  auto value = sats::DecodeBsatn(type, decode_reader);
  FUZZ_CHECK(skipped.ok() == value.ok());
  if (!value.ok()) return;
  FUZZ_CHECK(skip_reader.position() == decode_reader.position());

  const ByteView encoded = rest.first(decode_reader.position());
  Bytes again;
  FUZZ_CHECK(sats::EncodeBsatn(type, *value, again).ok());
  FUZZ_CHECK(again.size() == encoded.size() &&
             std::equal(again.begin(), again.end(), encoded.begin()));
  FUZZ_CHECK(sats::ValidateBsatn(type, encoded).ok());
  FUZZ_CHECK(sats::DecodeBsatnExact(type, encoded).ok());
  if (!encoded.empty()) {
    FUZZ_CHECK(!sats::DecodeBsatnExact(type, encoded.first(encoded.size() - 1)).ok());
  }
  if (encoded.size() < rest.size()) {
    FUZZ_CHECK(!sats::DecodeBsatnExact(type, rest.first(encoded.size() + 1)).ok());
  }
  CheckColumns(type, *value, encoded);
  CheckJson(type, *value, encoded);
}

}  // namespace
}  // namespace stdb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stdb;
  ByteReader reader(ByteView(data, size));
  auto type = sats::DecodeType(reader);
  if (!type.ok()) return 0;
  // The type encoding is canonical: re-encoding gives back the bytes consumed.
  Bytes type_again;
  sats::EncodeType(*type, type_again);
  FUZZ_CHECK(type_again.size() == reader.position() &&
             std::equal(type_again.begin(), type_again.end(), data));
  fuzz::CheckValue(*type, reader.data().subspan(reader.position()));
  return 0;
}
