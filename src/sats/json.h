// The JSON form of SATS values and types used by the HTTP API (docs/json.md).
#pragma once

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "sats/types.h"
#include "sats/value.h"

namespace stdb::sats {

using Json = nlohmann::json;

// Bounded like BSATN (the same limit, counted the same way): products, sums and arrays
// nested deeper are rejected.
inline constexpr int kJsonDepthMax = 64;

// JSON of `value` (of type `type`), in the canonical form of docs/json.md. Never throws,
// and the result always serializes (strings are valid UTF-8). REQUIRES: value has type
// `type` (as produced by DecodeBsatn); a mismatch yields a JSON null at that position.
Json ValueToJson(const AlgebraicType& type, const AlgebraicValue& value);

// Converts JSON input to a value of `type`, accepting the forms in docs/json.md. Never
// throws. Fails with kTypeMismatch naming the path of the first offending element
// ("$[2].name") and showing a short prefix of it; with kInvalidArgument if the type nests
// deeper than kJsonDepthMax; with kUnsupported on an unresolved Ref.
Result<AlgebraicValue> ValueFromJson(const AlgebraicType& type, const Json& json);

// JSON of a type, in SpacetimeDB's shape: {"U64": []}, {"Product": {"elements": [...]}}.
Json TypeToJson(const AlgebraicType& type);

}  // namespace stdb::sats
