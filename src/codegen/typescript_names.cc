#include "codegen/typescript_names.h"

#include <cstdio>

namespace stdb::codegen::ts {
namespace {

bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsLower(c) || IsUpper(c) || IsDigit(c); }
char Lower(char c) { return IsUpper(c) ? static_cast<char>(c - 'A' + 'a') : c; }
char Upper(char c) { return IsLower(c) ? static_cast<char>(c - 'a' + 'A') : c; }

}  // namespace

std::string ToCamelCase(std::string_view name) {
  // Pass 1: collapse each run of '-'/'_' into one '_' (the SDK's /[-_]+/g -> '_').
  std::string collapsed;
  collapsed.reserve(name.size());
  for (char c : name) {
    bool sep = c == '-' || c == '_';
    if (sep && !collapsed.empty() && collapsed.back() == '_') continue;
    collapsed.push_back(sep ? '_' : c);
  }
  // Pass 2: '_' followed by [A-Za-z0-9] becomes that character upper-cased.
  std::string out;
  out.reserve(collapsed.size());
  for (size_t i = 0; i < collapsed.size(); ++i) {
    if (collapsed[i] == '_' && i + 1 < collapsed.size() && IsAlnum(collapsed[i + 1])) {
      out.push_back(Upper(collapsed[i + 1]));
      ++i;
    } else {
      out.push_back(collapsed[i]);
    }
  }
  if (!out.empty()) out[0] = Lower(out[0]);
  return out;
}

std::string ToPascalCase(std::string_view name) {
  std::string out = ToCamelCase(name);
  if (!out.empty()) out[0] = Upper(out[0]);
  return out;
}

std::string ToSnakeCase(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 4);
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (IsUpper(c) && i > 0 && (IsLower(name[i - 1]) || IsDigit(name[i - 1]))) out.push_back('_');
    out.push_back(IsAlnum(c) ? Lower(c) : '_');
  }
  return out;
}

bool IsIdentifierName(std::string_view name) {
  if (name.empty()) return false;
  if (!(IsLower(name[0]) || IsUpper(name[0]) || name[0] == '_' || name[0] == '$')) return false;
  for (char c : name) {
    if (!(IsAlnum(c) || c == '_' || c == '$')) return false;
  }
  return true;
}

std::string SanitizeIdentifier(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 1);
  if (name.empty() || IsDigit(name[0])) out.push_back('_');
  for (char c : name) out.push_back(IsAlnum(c) || c == '$' ? c : '_');
  return out;
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else if (c == 0xe2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
                   (static_cast<unsigned char>(s[i + 2]) == 0xa8 ||
                    static_cast<unsigned char>(s[i + 2]) == 0xa9)) {
          // U+2028/U+2029 end a line in older ECMAScript string literals.
          out += static_cast<unsigned char>(s[i + 2]) == 0xa8 ? "\\u2028" : "\\u2029";
          i += 2;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out += '"';
  return out;
}

std::string PropertyKey(std::string_view name) {
  return IsIdentifierName(name) ? std::string(name) : Quote(name);
}

}  // namespace stdb::codegen::ts
