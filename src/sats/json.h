// The JSON form of SATS values and types used by the HTTP API (docs/json.md).
#pragma once

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "sats/types.h"
#include "sats/value.h"

namespace stdb::sats {

using Json = nlohmann::json;

// Bounded like BSATN: deeper JSON input is rejected.
inline constexpr int kJsonDepthMax = 64;

// JSON of `value` (of type `type`). REQUIRES: value has type `type` (as produced by
// DecodeBsatn); a mismatch yields a JSON null at that position.
Json ValueToJson(const AlgebraicType& type, const AlgebraicValue& value);

// Converts JSON input to a value of `type`, accepting the forms in docs/json.md.
// Fails with kTypeMismatch naming the path of the first offending element.
Result<AlgebraicValue> ValueFromJson(const AlgebraicType& type, const Json& json);

// JSON of a type, in SpacetimeDB's shape: {"U64": []}, {"Product": {"elements": [...]}}.
Json TypeToJson(const AlgebraicType& type);

}  // namespace stdb::sats
