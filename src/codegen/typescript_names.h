// Name conversions for the TypeScript bindings (typescript.cc). Accessor names must match
// what the official `spacetimedb` npm SDK derives at run time (it camel-cases reducer
// names itself), so ToCamelCase follows the SDK's own toCamelCase exactly.
#pragma once

#include <string>
#include <string_view>

namespace stdb::codegen::ts {

// The SDK's toCamelCase: runs of '-' and '_' collapse to one separator, a separator
// followed by a letter or digit is dropped and the character upper-cased, and the first
// character is lower-cased. "send_message" -> "sendMessage", "__x" -> "x".
std::string ToCamelCase(std::string_view name);

// ToCamelCase with the first character upper-cased (the SDK's toPascalCase).
std::string ToPascalCase(std::string_view name);

// A file stem: ASCII lower case, '_' before an upper-case letter that follows a lower-case
// letter or digit, and '_' for every character that is not [a-z0-9_]. "MyTable" ->
// "my_table", "user" -> "user".
std::string ToSnakeCase(std::string_view name);

// True if `name` is an ECMAScript IdentifierName in ASCII: [A-Za-z_$][A-Za-z0-9_$]*.
// Such a name may be written unquoted as an object key (reserved words included).
bool IsIdentifierName(std::string_view name);

// A binding identifier made from `name`: characters outside [A-Za-z0-9_$] become '_', and
// a leading digit gets a '_' in front. Callers add a suffix ("Row", "Reducer") so the
// result is never a reserved word.
std::string SanitizeIdentifier(std::string_view name);

// `s` as a double-quoted TypeScript string literal (JSON escaping, plus U+2028/U+2029).
std::string Quote(std::string_view s);

// `name` as an object key: bare if IsIdentifierName, otherwise quoted.
std::string PropertyKey(std::string_view name);

}  // namespace stdb::codegen::ts
