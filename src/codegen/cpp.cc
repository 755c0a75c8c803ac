// C++ bindings for the stdb client SDK (sdk/cpp, docs/client-sdk-cpp.md): one header,
// module_bindings.h, with
// - a struct per public table row (and per nested product or sum it uses), each with
//   the bsatn_write / bsatn_read members the SDK's typed codecs call;
// - a TypedTable subclass per public table, with find_by_<pk>() when it has a primary key;
// - RemoteTables (db), RemoteReducers (one function per callable reducer, typed
//   arguments), RegisterTables() and AllTablesQueries().
// Private tables are left out: clients cannot read them. Lifecycle reducers are left out:
// clients cannot call them.
//
// Type mapping: see sdk/cpp/include/stdb/client/bsatn.h. Schemas carry no type names, so
// nested types are named after where they appear (table `user`, column `pos` ->
// UserPos). A type the generator cannot express fails with kUnsupported naming the table
// or reducer, the column or parameter, and the type.
#include <map>
#include <set>
#include <sstream>

#include "codegen/codegen.h"
#include "sats/bsatn.h"

namespace stdb::codegen {
namespace {

using sats::AlgebraicType;
using sats::TypeKind;

bool IsKeyword(std::string_view s) {
  static const std::set<std::string_view> kKeywords = {
      "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break",
      "case", "catch", "char", "char8_t", "char16_t", "char32_t", "class", "compl", "concept",
      "const", "consteval", "constexpr", "constinit", "const_cast", "continue", "co_await",
      "co_return", "co_yield", "decltype", "default", "delete", "do", "double", "dynamic_cast",
      "else", "enum", "explicit", "export", "extern", "false", "float", "for", "friend", "goto",
      "if", "inline", "int", "long", "mutable", "namespace", "new", "noexcept", "not", "not_eq",
      "nullptr", "operator", "or", "or_eq", "private", "protected", "public", "register",
      "reinterpret_cast", "requires", "return", "short", "signed", "sizeof", "static",
      "static_assert", "static_cast", "struct", "switch", "template", "this", "thread_local",
      "throw", "true", "try", "typedef", "typeid", "typename", "union", "unsigned", "using",
      "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq",
      // Names the generated code itself uses inside row structs.
      "bsatn_write", "bsatn_read", "out", "r", "value"};
  return kKeywords.contains(s);
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// A member or function name: the schema's name, with '_' appended to C++ keywords.
std::string MemberName(std::string_view s) {
  return IsKeyword(s) ? std::string(s) + "_" : std::string(s);
}

// "user_profile" -> "UserProfile".
std::string Pascal(std::string_view s) {
  std::string out;
  bool upper = true;
  for (char c : s) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out.empty() ? "T" : out;
}

// Bytes as a C++ initializer list.
std::string ByteList(const Bytes& b) {
  std::string s;
  for (size_t i = 0; i < b.size(); ++i) {
    if (i != 0) s += (i % 16 == 0) ? ",\n      " : ", ";
    s += std::to_string(b[i]);
  }
  return s;
}

class Generator {
 public:
  Result<std::string> Run(const module::ModuleDef& def);

 private:
  // The C++ type of `type`; nested products and sums are declared (into decls_) under
  // `hint`. `where` names the table/reducer and column/parameter for errors.
  Result<std::string> TypeOf(const AlgebraicType& type, const std::string& hint,
                             const std::string& where);
  Result<std::string> Product(const AlgebraicType& type, const std::string& name,
                              const std::string& where);
  Result<std::string> Sum(const AlgebraicType& type, const std::string& name,
                          const std::string& where);
  Status ClaimTypeName(const std::string& name, const std::string& where);
  static Status NotExpressible(const std::string& where, const AlgebraicType& type,
                               const std::string& why) {
    return Unsupported(where + ": type " + type.ToString() + " " + why);
  }

  std::vector<std::string> decls_;  // type declarations, dependencies first
  // "<Struct>.<column>" -> the member's C++ type, for find_by_<pk>.
  std::map<std::string, std::string> member_types_;
  std::set<std::string> type_names_;
};

Status Generator::ClaimTypeName(const std::string& name, const std::string& where) {
  static const std::set<std::string> kReserved = {"RemoteTables", "RemoteReducers", "Module"};
  if (kReserved.contains(name) || !type_names_.insert(name).second) {
    return Unsupported(where + ": the generated type name " + name +
                       " is already taken by another table or type");
  }
  return Status::Ok();
}

Result<std::string> Generator::TypeOf(const AlgebraicType& type, const std::string& hint,
                                      const std::string& where) {
  switch (type.kind()) {
    case TypeKind::kBool: return std::string("bool");
    case TypeKind::kI8: return std::string("int8_t");
    case TypeKind::kU8: return std::string("uint8_t");
    case TypeKind::kI16: return std::string("int16_t");
    case TypeKind::kU16: return std::string("uint16_t");
    case TypeKind::kI32: return std::string("int32_t");
    case TypeKind::kU32: return std::string("uint32_t");
    case TypeKind::kI64: return std::string("int64_t");
    case TypeKind::kU64: return std::string("uint64_t");
    case TypeKind::kI128: return std::string("stdb::i128");
    case TypeKind::kU128: return std::string("stdb::u128");
    case TypeKind::kI256: return std::string("stdb::I256");
    case TypeKind::kU256: return std::string("stdb::U256");
    case TypeKind::kF32: return std::string("float");
    case TypeKind::kF64: return std::string("double");
    case TypeKind::kString: return std::string("std::string");
    case TypeKind::kRef:
      return NotExpressible(where, type, "is a type reference, which module schemas do not use");
    case TypeKind::kArray: {
      const AlgebraicType& element = type.array_element();
      if (type.is_bytes()) return std::string("std::vector<uint8_t>");
      if (element.is_unit()) {
        return NotExpressible(where, type, "is an array of a zero-sized type");
      }
      STDB_ASSIGN_OR_RETURN(std::string inner, TypeOf(element, hint + "Item", where));
      return "std::vector<" + inner + ">";
    }
    case TypeKind::kProduct:
      if (type.is_identity()) return std::string("stdb::client::Identity");
      if (type.is_connection_id()) return std::string("stdb::client::ConnectionId");
      if (type.is_timestamp()) return std::string("stdb::client::Timestamp");
      if (type.is_time_duration()) return std::string("stdb::client::TimeDuration");
      if (type.is_unit()) return std::string("stdb::client::Unit");
      return Product(type, hint, where);
    case TypeKind::kSum:
      if (type.is_schedule_at()) return std::string("stdb::client::ScheduleAt");
      if (type.is_option()) {
        STDB_ASSIGN_OR_RETURN(std::string inner, TypeOf(type.elements()[0].type, hint, where));
        return "std::optional<" + inner + ">";
      }
      return Sum(type, hint, where);
  }
  return NotExpressible(where, type, "has an unknown kind");
}

Result<std::string> Generator::Product(const AlgebraicType& type, const std::string& name,
                                       const std::string& where) {
  STDB_RETURN_IF_ERROR(ClaimTypeName(name, where));
  std::ostringstream fields, write, read;
  std::set<std::string> members;
  for (size_t i = 0; i < type.elements().size(); ++i) {
    const auto& e = type.elements()[i];
    const std::string column = e.name.value_or("field" + std::to_string(i));
    if (!IsIdentifier(column)) {
      return Unsupported(where + ": field '" + column + "' is not a C++ identifier");
    }
    const std::string member = MemberName(column);
    if (!members.insert(member).second) {
      return Unsupported(where + ": two fields map to the C++ name " + member);
    }
    STDB_ASSIGN_OR_RETURN(std::string cpp,
                          TypeOf(e.type, name + Pascal(column), where + " column " + column));
    member_types_[name + "." + column] = cpp;
    fields << "  " << cpp << " " << member << "{};\n";
    write << "    stdb::client::bsatn::Write(out, " << member << ");\n";
    read << (i == 0 ? "    return " : " &&\n           ") << "stdb::client::bsatn::Read(r, "
         << member << ")";
  }
  std::ostringstream d;
  d << "struct " << name << " {\n"
    << fields.str() << "\n"
    << "  void bsatn_write([[maybe_unused]] stdb::Bytes& out) const {\n"
    << write.str() << "  }\n"
    << "  bool bsatn_read([[maybe_unused]] stdb::ByteReader& r) {\n"
    << (type.elements().empty() ? "    return true" : read.str()) << ";\n  }\n"
    << "  friend bool operator==(const " << name << "&, const " << name << "&) = default;\n"
    << "};\n";
  decls_.push_back(d.str());
  return name;
}

Result<std::string> Generator::Sum(const AlgebraicType& type, const std::string& name,
                                   const std::string& where) {
  STDB_RETURN_IF_ERROR(ClaimTypeName(name, where));
  if (type.elements().empty()) return NotExpressible(where, type, "is an empty sum");
  bool all_unit = true;
  for (const auto& v : type.elements()) {
    if (!v.name || !IsIdentifier(*v.name)) {
      return Unsupported(where + ": a variant of " + type.ToString() + " has no C++ name");
    }
    all_unit = all_unit && v.type.is_unit();
  }
  std::ostringstream d;
  if (all_unit) {
    // An STDB_ENUM: enum class with the variants in tag order.
    d << "enum class " << name << " : uint8_t {";
    for (size_t i = 0; i < type.elements().size(); ++i) {
      d << (i == 0 ? " " : ", ") << MemberName(*type.elements()[i].name);
    }
    d << " };\n"
      << "}  // namespace module_bindings\n"
      << "template <>\nstruct stdb::client::bsatn::EnumVariants<module_bindings::" << name
      << "> {\n  static constexpr size_t kCount = " << type.elements().size() << ";\n};\n"
      << "namespace module_bindings {\n";
    decls_.push_back(d.str());
    return name;
  }
  // A tagged union: value.index() is the BSATN tag.
  std::vector<std::string> alternatives;
  for (const auto& v : type.elements()) {
    STDB_ASSIGN_OR_RETURN(std::string cpp, TypeOf(v.type, name + Pascal(*v.name),
                                                  where + " variant " + *v.name));
    alternatives.push_back(cpp);
  }
  d << "// Variants, in tag order:";
  for (const auto& v : type.elements()) d << " " << *v.name;
  d << ".\nstruct " << name << " {\n  std::variant<";
  for (size_t i = 0; i < alternatives.size(); ++i) d << (i == 0 ? "" : ", ") << alternatives[i];
  d << "> value;\n\n"
    << "  void bsatn_write(stdb::Bytes& out) const {\n"
    << "    out.push_back(static_cast<uint8_t>(value.index()));\n"
    << "    std::visit([&out](const auto& v) { stdb::client::bsatn::Write(out, v); }, value);\n"
    << "  }\n"
    << "  bool bsatn_read(stdb::ByteReader& r) {\n"
    << "    uint8_t tag = 0;\n"
    << "    if (!r.Fixed(tag)) return false;\n"
    << "    switch (tag) {\n";
  for (size_t i = 0; i < alternatives.size(); ++i) {
    d << "      case " << i << ": return stdb::client::bsatn::Read(r, value.emplace<" << i
      << ">());\n";
  }
  d << "      default: return false;\n    }\n  }\n"
    << "  friend bool operator==(const " << name << "&, const " << name << "&) = default;\n"
    << "};\n";
  decls_.push_back(d.str());
  return name;
}

Result<std::string> Generator::Run(const module::ModuleDef& def) {
  std::ostringstream tables, table_members, table_inits, registers, queries, reducers;
  bool first_table = true;
  for (const auto& table : def.tables) {
    if (!table.is_public) continue;
    const std::string where = "table " + table.name;
    if (!IsIdentifier(table.name)) return Unsupported(where + ": the name is not a C++ identifier");
    if (!table.row_type.is_product()) return Unsupported(where + ": the row type is not a product");
    const std::string row = Pascal(table.name);
    STDB_ASSIGN_OR_RETURN(std::string row_type, Product(table.row_type, row, where));
    const std::string handle = row + "Table";
    STDB_RETURN_IF_ERROR(ClaimTypeName(handle, where));
    tables << "// The client cache of table `" << table.name << "`.\n"
           << "class " << handle << " : public stdb::client::TypedTable<" << row_type << "> {\n"
           << " public:\n"
           << "  explicit " << handle << "(stdb::client::Connection& conn)\n"
           << "      : TypedTable(conn, \"" << table.name << "\") {}\n";
    if (table.primary_key) {
      const auto& pk = table.row_type.elements()[*table.primary_key];
      const std::string column = *pk.name;
      const std::string& key_type = member_types_.at(row + "." + column);
      tables << "  // The cached row whose primary key `" << column << "` equals `key`.\n"
             << "  std::optional<" << row_type << "> find_by_" << column << "(const " << key_type
             << "& key) const {\n    return find(key);\n  }\n";
    }
    tables << "};\n\n";
    const std::string member = MemberName(table.name);
    table_members << "  " << handle << " " << member << ";\n";
    table_inits << (first_table ? "      : " : ",\n        ") << member << "(conn)";
    first_table = false;
    Bytes type_bytes;
    sats::EncodeType(table.row_type, type_bytes);
    registers << "  {\n    static const uint8_t kType[] = {" << ByteList(type_bytes) << "};\n"
              << "    stdb::ByteReader reader(stdb::ByteView(kType, sizeof(kType)));\n"
              << "    auto type = stdb::sats::DecodeType(reader);\n"
              << "    if (!type.ok()) return type.status();\n"
              << "    STDB_RETURN_IF_ERROR(conn.register_table(\"" << table.name << "\", *type, "
              << (table.primary_key ? std::to_string(*table.primary_key) : "std::nullopt")
              << "));\n  }\n";
    queries << "      \"SELECT * FROM " << table.name << "\",\n";
  }
  for (const auto& reducer : def.reducers) {
    if (reducer.lifecycle != module::Lifecycle::kNone) continue;
    const std::string where = "reducer " + reducer.name;
    if (!IsIdentifier(reducer.name)) return Unsupported(where + ": the name is not a C++ identifier");
    std::ostringstream params, writes;
    for (size_t i = 0; i < reducer.params.elements().size(); ++i) {
      const auto& p = reducer.params.elements()[i];
      const std::string name = p.name.value_or("arg" + std::to_string(i));
      if (!IsIdentifier(name)) return Unsupported(where + ": parameter '" + name + "' is not a C++ identifier");
      STDB_ASSIGN_OR_RETURN(std::string cpp, TypeOf(p.type, Pascal(reducer.name) + Pascal(name),
                                                    where + " parameter " + name));
      params << "const " << cpp << "& " << MemberName(name) << ", ";
      writes << "    stdb::client::bsatn::Write(args, " << MemberName(name) << ");\n";
    }
    reducers << "  // Calls reducer `" << reducer.name << "`" << reducer.params.ToString()
             << ". The result reaches `callback` (dispatched) and the future.\n"
             << "  stdb::Result<std::future<stdb::client::ReducerResult>> "
             << MemberName(reducer.name) << "(" << params.str()
             << "std::function<void(const stdb::client::ReducerResult&)> callback = {}) {\n"
             << "    stdb::Bytes args;\n"
             << writes.str()
             << "    return conn_->call_reducer(\"" << reducer.name
             << "\", std::move(args), std::move(callback));\n  }\n";
  }

  std::ostringstream out;
  out << "// Generated by `spacetime generate --lang cpp` from the module's schema. Do not edit:\n"
      << "// regenerate after changing the module. Uses the stdb C++ client SDK\n"
      << "// (docs/client-sdk-cpp.md).\n"
      << "#pragma once\n\n"
      << "#include <stdb/client.h>\n#include <stdb/client/bsatn.h>\n#include <stdb/client/typed.h>\n\n"
      << "#include <cstdint>\n#include <functional>\n#include <future>\n#include <optional>\n"
      << "#include <string>\n#include <variant>\n#include <vector>\n\n"
      << "#include \"sats/bsatn.h\"\n\n"
      << "namespace module_bindings {\n\n";
  for (const auto& d : decls_) out << d << "\n";
  out << tables.str();
  out << "// Every public table of the module.\nstruct RemoteTables {\n"
      << "  explicit RemoteTables([[maybe_unused]] stdb::client::Connection& conn)\n"
      << table_inits.str() << (first_table ? "" : "\n") << "  {}\n"
      << table_members.str() << "};\n\n";
  out << "// The module's callable reducers, with typed arguments.\nclass RemoteReducers {\n public:\n"
      << "  explicit RemoteReducers(stdb::client::Connection& conn) : conn_(&conn) {}\n\n"
      << reducers.str() << "\n private:\n  stdb::client::Connection* conn_;\n};\n\n";
  out << "// Declares every public table's row type and primary key to `conn`, so that rows are\n"
      << "// validated and updates recognised. Call once, before subscribing.\n"
      << "inline stdb::Status RegisterTables([[maybe_unused]] stdb::client::Connection& conn) {\n"
      << registers.str() << "  return stdb::Status::Ok();\n}\n\n";
  out << "// One query per public table, for subscribing to everything.\n"
      << "inline std::vector<std::string> AllTablesQueries() {\n  return {\n" << queries.str()
      << "  };\n}\n\n";
  out << "// The typed view of one connection: module.db.<table>, module.reducers.<reducer>(...).\n"
      << "struct Module {\n"
      << "  explicit Module(stdb::client::Connection& conn) : db(conn), reducers(conn) {}\n"
      << "  RemoteTables db;\n  RemoteReducers reducers;\n};\n\n"
      << "}  // namespace module_bindings\n";
  return out.str();
}

}  // namespace

Result<std::vector<GeneratedFile>> GenerateCpp(const module::ModuleDef& def) {
  Generator generator;
  STDB_ASSIGN_OR_RETURN(std::string header, generator.Run(def));
  return std::vector<GeneratedFile>{{"module_bindings.h", std::move(header)}};
}

}  // namespace stdb::codegen
