// libFuzzer target for the JSON form of values (docs/json.md).
//
// Input: JSON text. It is converted against a few fixed types that together cover every
// kind and every accepted input form. Whatever ValueFromJson accepts must encode to
// BSATN, decode back, serialize as JSON without throwing, and read back to the same JSON.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "fuzz_check.h"
#include "sats/bsatn.h"
#include "sats/json.h"

namespace stdb::fuzz {
namespace {

using sats::AlgebraicType;
using sats::Element;
using sats::TypeKind;

AlgebraicType K(TypeKind k) { return AlgebraicType(k); }

std::vector<AlgebraicType> MakeTypes() {
  const auto scalars = AlgebraicType::Product({
      Element{"b", AlgebraicType::Bool()},
      Element{"i8", K(TypeKind::kI8)},
      Element{"u16", K(TypeKind::kU16)},
      Element{"i32", K(TypeKind::kI32)},
      Element{"u64", K(TypeKind::kU64)},
      Element{"i128", K(TypeKind::kI128)},
      Element{"u128", K(TypeKind::kU128)},
      Element{"i256", K(TypeKind::kI256)},
      Element{"u256", K(TypeKind::kU256)},
      Element{"f32", K(TypeKind::kF32)},
      Element{"f64", K(TypeKind::kF64)},
      Element{"s", AlgebraicType::String()},
      Element{"bytes", AlgebraicType::Bytes()},
  });
  const auto special = AlgebraicType::Product({
      Element{"id", AlgebraicType::Identity()},
      Element{"conn", AlgebraicType::ConnectionId()},
      Element{"at", AlgebraicType::Timestamp()},
      Element{"dur", AlgebraicType::TimeDuration()},
      Element{"sched", AlgebraicType::ScheduleAt()},
  });
  const auto shape = AlgebraicType::Sum({
      Element{"Circle", K(TypeKind::kU32)},
      Element{"Empty", AlgebraicType::Unit()},
      Element{std::nullopt, AlgebraicType::Array(K(TypeKind::kI16))},
      Element{"Nested", AlgebraicType::Option(AlgebraicType::Option(AlgebraicType::String()))},
  });
  const auto row = AlgebraicType::Product({
      Element{"opt", AlgebraicType::Option(scalars)},
      Element{"shapes", AlgebraicType::Array(shape)},
      Element{std::nullopt, special},
  });
  return {scalars,
          special,
          shape,
          row,
          AlgebraicType::Array(row),
          AlgebraicType::Option(K(TypeKind::kU8)),
          AlgebraicType::Unit()};
}

void CheckType(const AlgebraicType& type, const sats::Json& input) {
  auto value = sats::ValueFromJson(type, input);
  if (!value.ok()) return;
  Bytes encoded;
  const Status st = sats::EncodeBsatn(type, *value, encoded);
  FUZZ_CHECK_MSG(st.ok(), st.ToString().c_str());
  auto decoded = sats::DecodeBsatnExact(type, encoded);
  FUZZ_CHECK(decoded.ok());
  const std::string text = sats::ValueToJson(type, *value).dump();  // throws on bad UTF-8
  FUZZ_CHECK(sats::ValueToJson(type, *decoded).dump() == text);
  auto back = sats::ValueFromJson(type, sats::Json::parse(text));
  FUZZ_CHECK_MSG(back.ok(), back.status().ToString().c_str());
  FUZZ_CHECK(sats::ValueToJson(type, *back).dump() == text);
}

}  // namespace
}  // namespace stdb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stdb;
  static const std::vector<sats::AlgebraicType> types = fuzz::MakeTypes();
  const sats::Json input =
      sats::Json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (input.is_discarded()) return 0;
  for (const auto& type : types) fuzz::CheckType(type, input);
  return 0;
}
