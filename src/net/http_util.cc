#include "net/http_util.h"

#include <algorithm>
#include <cctype>

namespace stdb::net {

std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;  // needs two hex digits after '%'
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      const int hi = hex(s[i + 1]);
      const int lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi << 4 | lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<Target> ParseTarget(std::string_view target) {
  Target t;
  const size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) {
      auto seg = PercentDecode(path.substr(start, end - start), false);
      if (!seg) return std::nullopt;
      t.segments.push_back(std::move(*seg));
    }
    start = end + 1;
  }
  if (q != std::string_view::npos) {
    std::string_view query = target.substr(q + 1);
    size_t pos = 0;
    while (pos <= query.size()) {
      size_t amp = query.find('&', pos);
      if (amp == std::string_view::npos) amp = query.size();
      std::string_view pair = query.substr(pos, amp - pos);
      if (!pair.empty()) {
        const size_t eq = pair.find('=');
        auto key = PercentDecode(pair.substr(0, eq), true);
        auto value = eq == std::string_view::npos ? std::optional<std::string>("")
                                                  : PercentDecode(pair.substr(eq + 1), true);
        if (!key || !value) return std::nullopt;
        t.query[*key] = *value;
      }
      pos = amp + 1;
    }
  }
  return t;
}

std::vector<std::string> SplitHeaderTokens(std::string_view value) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= value.size()) {
    size_t comma = value.find(',', pos);
    if (comma == std::string_view::npos) comma = value.size();
    std::string_view tok = value.substr(pos, comma - pos);
    while (!tok.empty() && std::isspace(static_cast<unsigned char>(tok.front()))) tok.remove_prefix(1);
    while (!tok.empty() && std::isspace(static_cast<unsigned char>(tok.back()))) tok.remove_suffix(1);
    if (!tok.empty()) out.emplace_back(tok);
    pos = comma + 1;
  }
  return out;
}

std::optional<std::string> ChooseSubprotocol(std::string_view offered) {
  const auto tokens = SplitHeaderTokens(offered);
  for (std::string_view preferred : {kProtocolV3, kProtocolV2}) {
    if (std::find(tokens.begin(), tokens.end(), preferred) != tokens.end()) {
      return std::string(preferred);
    }
  }
  return std::nullopt;
}

std::optional<std::string> BearerToken(std::string_view authorization) {
  constexpr std::string_view kPrefix = "bearer ";
  if (authorization.size() <= kPrefix.size()) return std::nullopt;
  for (size_t i = 0; i < kPrefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kPrefix[i]) return std::nullopt;
  }
  std::string_view token = authorization.substr(kPrefix.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return std::string(token);
}

std::string CloseReason(std::string_view reason) {
  constexpr size_t kMax = 123;
  if (reason.size() <= kMax) return std::string(reason);
  size_t cut = kMax;
  // Back up over UTF-8 continuation bytes so the reason stays valid UTF-8.
  while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) --cut;
  return std::string(reason.substr(0, cut));
}

}  // namespace stdb::net
