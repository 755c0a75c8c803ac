#include "sql/bind.h"

#include "sats/bsatn.h"

namespace stdb::sql {

Result<size_t> Scope::Add(const store::Store& store, const std::string& name,
                          const std::optional<std::string>& alias) {
  auto id = store.FindTable(name);
  if (!id) return NotFound("unknown table '" + name + "'");
  Entry e;
  e.table_id = *id;
  e.schema = &store.table(*id).schema();
  e.qualifier = alias.value_or(name);
  for (const Entry& other : entries_) {
    if (other.qualifier == e.qualifier) {
      return InvalidArgument("table name '" + e.qualifier +
                             "' is used twice in FROM/JOIN; give one of them an alias");
    }
  }
  entries_.push_back(std::move(e));
  return entries_.size() - 1;
}

Result<size_t> Scope::FindQualifier(const std::string& qualifier,
                                    const std::string& context) const {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].qualifier == qualifier) return i;
  }
  // As in standard SQL, a table with an alias is known by its alias only.
  for (const Entry& e : entries_) {
    if (e.schema->name == qualifier) {
      return NotFound("unknown table '" + qualifier + "' in " + context + ": it is called '" +
                      e.qualifier + "' here");
    }
  }
  return NotFound("unknown table '" + qualifier + "' in " + context);
}

Result<std::pair<size_t, size_t>> Scope::Resolve(const ColumnRef& ref) const {
  STDB_ASSERT(!entries_.empty());
  if (ref.table) {
    STDB_ASSIGN_OR_RETURN(size_t i,
                          FindQualifier(*ref.table, "column reference " + ColumnRefText(ref)));
    auto col = entries_[i].schema->FindColumn(ref.column);
    if (!col) {
      return NotFound("unknown column '" + ref.column + "' in table '" + entries_[i].schema->name +
                      "'");
    }
    return std::make_pair(i, *col);
  }
  std::optional<std::pair<size_t, size_t>> found;
  for (size_t i = 0; i < entries_.size(); ++i) {
    auto col = entries_[i].schema->FindColumn(ref.column);
    if (!col) continue;
    if (found) {
      return InvalidArgument("ambiguous column '" + ref.column + "': both " +
                             entries_[found->first].qualifier + " and " + entries_[i].qualifier +
                             " have it; qualify it, e.g. " + entries_[i].qualifier + "." +
                             ref.column);
    }
    found = std::make_pair(i, *col);
  }
  if (found) return *found;
  if (entries_.size() == 1) {
    return NotFound("unknown column '" + ref.column + "' in table '" + entries_[0].schema->name +
                    "'");
  }
  std::string tables;
  for (const Entry& e : entries_) tables += (tables.empty() ? "'" : ", '") + e.schema->name + "'";
  return NotFound("unknown column '" + ref.column + "' in tables " + tables);
}

Result<std::unique_ptr<Predicate>> BindPredicate(const Expr& e, const Scope& scope) {
  auto p = std::make_unique<Predicate>();
  p->kind = e.kind;
  if (e.kind != Expr::Kind::kCompare) {
    STDB_ASSIGN_OR_RETURN(p->lhs, BindPredicate(*e.lhs, scope));
    STDB_ASSIGN_OR_RETURN(p->rhs, BindPredicate(*e.rhs, scope));
    return p;
  }
  STDB_ASSIGN_OR_RETURN(auto where, scope.Resolve(e.column));
  const store::TableSchema& schema = *scope.entry(where.first).schema;
  p->source = where.first;
  p->column = where.second;
  p->op = e.op;
  p->column_type = schema.column_type(where.second);
  const std::string name = schema.column_name(where.second);
  auto value = LiteralToValue(e.literal, p->column_type);
  if (!value.ok()) return TypeMismatch("column '" + name + "': " + value.status().message());
  p->value = std::move(value).value();
  // A literal can still fail to be a value of the column type (a string literal that is
  // not valid UTF-8 is not a String): that is the client's error, not a broken invariant.
  // Encoding every literal here also lets index lookups and CanonicalKey rely on it.
  Bytes enc;
  if (Status s = sats::EncodeBsatn(p->column_type, p->value, enc); !s.ok()) {
    return TypeMismatch("column '" + name + "': " + s.message());
  }
  p->key_bsatn = enc;
  if (!p->column_type.is_float() && (e.op == CompareOp::kEq || e.op == CompareOp::kNe)) {
    p->value_bsatn = std::move(enc);
  }
  const sats::AlgebraicType& t = p->column_type;
  const bool orderable = t.is_integer() || t.is_float() || t.kind() == sats::TypeKind::kString ||
                         t.kind() == sats::TypeKind::kBool || t.is_special_scalar();
  if (!orderable && e.op != CompareOp::kEq && e.op != CompareOp::kNe) {
    return TypeMismatch("column '" + name + "' of type " + t.ToString() +
                        " supports only = and !=");
  }
  return p;
}

void SplitConjuncts(std::unique_ptr<Predicate> p, std::vector<std::unique_ptr<Predicate>>& out) {
  if (p->kind == Expr::Kind::kAnd) {
    SplitConjuncts(std::move(p->lhs), out);
    SplitConjuncts(std::move(p->rhs), out);
    return;
  }
  out.push_back(std::move(p));
}

uint32_t SourcesOf(const Predicate& p) {
  if (p.kind == Expr::Kind::kCompare) return uint32_t{1} << p.source;
  return SourcesOf(*p.lhs) | SourcesOf(*p.rhs);
}

}  // namespace stdb::sql
