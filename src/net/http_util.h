// Small pure helpers for the HTTP layer: URL targets, query strings, header token lists.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stdb::net {

// A request target split into its path segments and decoded query parameters.
struct Target {
  std::vector<std::string> segments;  // "/v1/database/x" -> {"v1", "database", "x"}
  std::map<std::string, std::string> query;
};

// Percent-decodes `s` ('+' becomes a space in query strings). Returns nullopt on a
// malformed escape.
std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space);

// Parses "/a/b?x=1&y=2". Returns nullopt on malformed escapes.
std::optional<Target> ParseTarget(std::string_view target);

// Splits a comma-separated header value into trimmed, non-empty tokens
// ("a,b" and "a, b" give the same result).
std::vector<std::string> SplitHeaderTokens(std::string_view value);

// Chooses the WebSocket subprotocol from the client's offer: v3 first, then v2.
// Returns nullopt when neither is offered.
std::optional<std::string> ChooseSubprotocol(std::string_view offered);

inline constexpr std::string_view kProtocolV2 = "v2.bsatn.spacetimedb";
inline constexpr std::string_view kProtocolV3 = "v3.bsatn.spacetimedb";

// The bearer token of an "Authorization: Bearer <t>" header value, if it is one.
std::optional<std::string> BearerToken(std::string_view authorization);

// Truncates a WebSocket close reason to the 123 bytes a close frame can carry, without
// splitting a UTF-8 sequence.
std::string CloseReason(std::string_view reason);

}  // namespace stdb::net
