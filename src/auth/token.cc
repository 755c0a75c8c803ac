#include "auth/token.h"

#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

#include "auth/base64url.h"
#include "auth/identity.h"
#include "base/assert.h"

namespace stdb::auth {
namespace {

using Json = nlohmann::json;

// The header of every token we issue, exactly as signed.
constexpr std::string_view kHeaderJson = R"({"alg":"ES256","typ":"JWT"})";

Status Unauthenticated(const std::string& why) {
  return Status(ErrorCode::kUnauthenticated, "invalid token: " + why);
}

// True if `s` is valid UTF-8, judged by the JSON encoder that would otherwise throw on it.
bool IsValidUtf8(std::string_view s) {
  try {
    (void)Json(std::string(s)).dump();
    return true;
  } catch (const Json::exception&) {
    return false;
  }
}

// A random version-4 UUID in its 8-4-4-4-12 lower-case hex form.
std::string RandomUuid() {
  Bytes b = RandomBytes(16);
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  const std::string hex = ToHex(b);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

// The three parts of a token text, still base64url-encoded.
struct TokenParts {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
  std::string_view signed_text;  // header "." payload: the bytes the signature covers
};

Result<TokenParts> SplitToken(std::string_view token) {
  if (token.empty()) return Unauthenticated("empty");
  if (token.size() > kTokenBytesMax) {
    return Unauthenticated("longer than " + std::to_string(kTokenBytesMax) + " bytes");
  }
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return Unauthenticated("malformed: not three dot-separated parts");
  }
  TokenParts parts{token.substr(0, dot1), token.substr(dot1 + 1, dot2 - dot1 - 1),
                   token.substr(dot2 + 1), token.substr(0, dot2)};
  if (parts.header.empty() || parts.payload.empty()) {
    return Unauthenticated("malformed: empty header or payload");
  }
  if (parts.signature.empty()) return Unauthenticated("unsigned (empty signature)");
  return parts;
}

// Decodes one base64url part holding a JSON object. `what` names the part in messages.
Result<Json> DecodeJsonObject(std::string_view part, const char* what) {
  auto bytes = Base64UrlDecode(part);
  if (!bytes.ok()) return Unauthenticated(std::string("malformed: ") + what + " is not base64url");
  Json json = Json::parse(bytes->begin(), bytes->end(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return Unauthenticated(std::string("malformed: ") + what + " is not a JSON object");
  }
  return json;
}

// Checks the header names ES256 and nothing we do not understand.
Status CheckHeader(const Json& header) {
  const auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string()) return Unauthenticated("header has no alg");
  if (alg->get_ref<const std::string&>() != "ES256") {
    return Unauthenticated(alg->get_ref<const std::string&>() == "none"
                               ? "unsigned (alg none); only ES256 tokens are accepted"
                               : "algorithm is not ES256");
  }
  const auto typ = header.find("typ");
  if (typ == header.end() || !typ->is_string() || typ->get_ref<const std::string&>() != "JWT") {
    return Unauthenticated("header typ is not JWT");
  }
  // RFC 7515 section 4.1.11: a recipient must reject critical extensions it does not know,
  // and we know none.
  if (header.contains("crit")) return Unauthenticated("header has critical extensions");
  return Status::Ok();
}

// Reads an optional integer claim that must fit int64; `out` is nullopt if it is absent.
Status GetInt64Claim(const Json& payload, const char* name, std::optional<int64_t>& out) {
  out.reset();
  const auto it = payload.find(name);
  if (it == payload.end()) return Status::Ok();
  if (it->is_number_unsigned()) {
    const uint64_t v = it->get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Unauthenticated(std::string("claim ") + name + " is out of range");
    }
    out = static_cast<int64_t>(v);
  } else if (it->is_number_integer()) {
    out = it->get<int64_t>();
  } else {
    return Unauthenticated(std::string("claim ") + name + " is not an integer");
  }
  return Status::Ok();
}

Result<std::string> GetNonEmptyStringClaim(const Json& payload, const char* name) {
  const auto it = payload.find(name);
  if (it == payload.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return Unauthenticated(std::string("claim ") + name + " is missing or not a non-empty string");
  }
  return it->get<std::string>();
}

Status CheckAudience(const Json& payload) {
  const auto aud = payload.find("aud");
  if (aud == payload.end()) return Status::Ok();
  const auto is_ours = [](const Json& v) {
    return v.is_string() && v.get_ref<const std::string&>() == kAudience;
  };
  if (is_ours(*aud)) return Status::Ok();
  if (aud->is_array()) {
    for (const Json& v : *aud) {
      if (is_ours(v)) return Status::Ok();
    }
  }
  return Unauthenticated("audience is not spacetimedb");
}

// Reads the claims of a payload whose signature has been verified. Does not check exp.
Result<Claims> ParseClaims(const Json& payload) {
  Claims claims;
  STDB_ASSIGN_OR_RETURN(claims.issuer, GetNonEmptyStringClaim(payload, "iss"));
  STDB_ASSIGN_OR_RETURN(claims.subject, GetNonEmptyStringClaim(payload, "sub"));
  std::optional<int64_t> iat;
  STDB_RETURN_IF_ERROR(GetInt64Claim(payload, "iat", iat));
  if (!iat) return Unauthenticated("claim iat is missing");
  claims.issued_at_s = *iat;
  STDB_RETURN_IF_ERROR(GetInt64Claim(payload, "exp", claims.expires_at_s));
  STDB_RETURN_IF_ERROR(CheckAudience(payload));
  claims.identity = DeriveIdentity(claims.issuer, claims.subject);
  const auto hex = payload.find("hex_identity");
  if (hex != payload.end()) {
    if (!hex->is_string()) return Unauthenticated("claim hex_identity is not a string");
    auto stated = IdentityFromHex(hex->get_ref<const std::string&>());
    if (!stated.ok() || *stated != claims.identity) {
      return Unauthenticated("claim hex_identity does not match iss and sub");
    }
  }
  return claims;
}

}  // namespace

TokenAuthority::TokenAuthority(std::unique_ptr<SigningKey> key, const Clock& clock,
                               std::string issuer)
    : key_(std::move(key)), clock_(clock), issuer_(std::move(issuer)) {
  STDB_ASSERT(key_ != nullptr);
  STDB_ASSERT(!issuer_.empty());
}

Result<std::unique_ptr<TokenAuthority>> TokenAuthority::OpenOrCreate(
    const std::filesystem::path& dir, const Clock& clock, std::string issuer) {
  STDB_ASSIGN_OR_RETURN(auto key, SigningKey::OpenOrCreate(dir));
  return FromKey(std::move(key), clock, std::move(issuer));
}

Result<std::unique_ptr<TokenAuthority>> TokenAuthority::FromKey(std::unique_ptr<SigningKey> key,
                                                                const Clock& clock,
                                                                std::string issuer) {
  if (key == nullptr) return InvalidArgument("token authority needs a signing key");
  if (issuer.empty() || issuer.size() > kIssuerBytesMax || !IsValidUtf8(issuer)) {
    return InvalidArgument("token issuer must be non-empty UTF-8 of at most " +
                           std::to_string(kIssuerBytesMax) + " bytes");
  }
  return std::unique_ptr<TokenAuthority>(
      new TokenAuthority(std::move(key), clock, std::move(issuer)));
}

int64_t TokenAuthority::NowSeconds() const {
  const int64_t micros = clock_.NowMicros();
  int64_t seconds = micros / 1'000'000;
  if (micros % 1'000'000 < 0) --seconds;  // floor: times before 1970 round to the past
  return seconds;
}

Result<std::string> TokenAuthority::Encode(const Claims& claims) const {
  STDB_ASSERT(claims.identity == DeriveIdentity(claims.issuer, claims.subject));
  Json payload = {{"hex_identity", IdentityToHex(claims.identity)},
                  {"sub", claims.subject},
                  {"iss", claims.issuer},
                  {"aud", Json::array({kAudience})},
                  {"iat", claims.issued_at_s}};
  if (claims.expires_at_s) payload["exp"] = *claims.expires_at_s;
  std::string payload_json;
  try {
    payload_json = payload.dump();
  } catch (const Json::exception&) {
    return InvalidArgument("token claims are not valid UTF-8");
  }
  std::string token = Base64UrlEncode(AsBytes(kHeaderJson));
  token += '.';
  token += Base64UrlEncode(AsBytes(payload_json));
  STDB_ASSIGN_OR_RETURN(const Signature signature, key_->Sign(AsBytes(token)));
  token += '.';
  token += Base64UrlEncode(signature);
  if (token.size() > kTokenBytesMax) {
    return InvalidArgument("token claims are too long: the token would exceed " +
                           std::to_string(kTokenBytesMax) + " bytes");
  }
  return token;
}

Result<TokenAuthority::Minted> TokenAuthority::CreateIdentity() const {
  Minted minted;
  minted.claims.issuer = issuer_;
  minted.claims.subject = RandomUuid();
  minted.claims.identity = DeriveIdentity(minted.claims.issuer, minted.claims.subject);
  minted.claims.issued_at_s = NowSeconds();
  STDB_ASSIGN_OR_RETURN(minted.token, Encode(minted.claims));
  return minted;
}

Result<std::string> TokenAuthority::IssueShortLived(const Claims& claims, int64_t ttl_s) const {
  if (ttl_s <= 0) return InvalidArgument("token lifetime must be positive");
  if (claims.identity != DeriveIdentity(claims.issuer, claims.subject)) {
    return InvalidArgument("claims identity does not match their issuer and subject");
  }
  const int64_t now_s = NowSeconds();
  if (now_s > std::numeric_limits<int64_t>::max() - ttl_s) {
    return InvalidArgument("token lifetime overflows the expiry time");
  }
  Claims short_lived = claims;
  short_lived.issued_at_s = now_s;
  short_lived.expires_at_s = now_s + ttl_s;
  return Encode(short_lived);
}

Result<Claims> TokenAuthority::Verify(std::string_view token) const {
  STDB_ASSIGN_OR_RETURN(const TokenParts parts, SplitToken(token));
  // nlohmann::json is used without exceptions below; the catch is the boundary required
  // for third-party code that throws, should any accessor still do so.
  try {
    STDB_ASSIGN_OR_RETURN(const Json header, DecodeJsonObject(parts.header, "header"));
    STDB_RETURN_IF_ERROR(CheckHeader(header));
    auto signature = Base64UrlDecode(parts.signature);
    if (!signature.ok()) return Unauthenticated("malformed: signature is not base64url");
    if (signature->size() != kSignatureBytes) {
      return Unauthenticated("malformed: signature is not 64 bytes");
    }
    // The payload is parsed only after its signature checks out.
    if (!key_->Verify(AsBytes(parts.signed_text), *signature)) {
      return Unauthenticated("bad signature (not issued by this server, or altered)");
    }
    STDB_ASSIGN_OR_RETURN(const Json payload, DecodeJsonObject(parts.payload, "payload"));
    STDB_ASSIGN_OR_RETURN(Claims claims, ParseClaims(payload));
    const int64_t now_s = NowSeconds();
    if (claims.expires_at_s && now_s >= *claims.expires_at_s) {
      return Unauthenticated("expired at " + std::to_string(*claims.expires_at_s) + " (now " +
                             std::to_string(now_s) + ")");
    }
    STDB_ASSERT(claims.identity == DeriveIdentity(claims.issuer, claims.subject));
    return claims;
  } catch (const Json::exception&) {
    return Unauthenticated("malformed JSON");
  }
}

}  // namespace stdb::auth
