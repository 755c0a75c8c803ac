#include "sql/plan.h"

#include <bit>
#include <map>

#include "sats/json.h"
#include "sql/bind.h"

namespace stdb::sql {
namespace {

// Types whose index order is the SQL order of their values, so a range of keys is a range
// of values. (Identity, ConnectionId and the like are looked up by equality only.)
bool RangeUsable(const sats::AlgebraicType& t) {
  return t.is_integer() || t.kind() == sats::TypeKind::kString || t.kind() == sats::TypeKind::kBool;
}

std::string TermText(const store::TableSchema& schema, const Predicate& p) {
  return schema.column_name(p.column) + " " + CompareOpText(p.op) + " " +
         sats::ValueToJson(p.column_type, p.value).dump();
}

// The comparisons of one table that an index can use, by column.
struct ColumnTerms {
  const Predicate* eq = nullptr;
  const Predicate* lower = nullptr;  // > or >=
  const Predicate* upper = nullptr;  // < or <=
};

struct Candidate {
  int score = 0;
  AccessPath path;
};

// The best use of index `id` for `terms`, if any. Scores: a unique point lookup beats any
// scan; otherwise more equality columns beat fewer, and a range adds to them.
std::optional<Candidate> UseIndex(const store::TableSchema& schema, store::IndexId id,
                                  const std::map<size_t, ColumnTerms>& terms) {
  const store::IndexSchema& index = schema.indexes[id];
  STDB_ASSERT(!index.columns.empty());
  size_t k = 0;
  Bytes prefix;
  std::string what;
  while (k < index.columns.size()) {
    auto it = terms.find(index.columns[k]);
    if (it == terms.end() || it->second.eq == nullptr) break;
    prefix.insert(prefix.end(), it->second.eq->key_bsatn.begin(), it->second.eq->key_bsatn.end());
    what += (what.empty() ? "" : ", ") + TermText(schema, *it->second.eq);
    ++k;
  }
  Candidate c;
  c.path.index = id;
  const size_t n = index.columns.size();
  if (k == n && index.unique) {
    c.score = 1000;
    c.path.kind = AccessPath::Kind::kUniqueLookup;
    c.path.key = std::move(prefix);
    c.path.description = "unique lookup " + index.name + " (" + what + ")";
    return c;
  }
  c.path.kind = AccessPath::Kind::kIndexScan;
  c.path.range = store::IndexRange::Prefix(std::move(prefix), static_cast<uint16_t>(k));
  c.score = static_cast<int>(10 * k) + (k == n ? 3 : 0);
  if (index.algorithm == store::IndexAlgorithm::kHash) {
    if (k < n) return std::nullopt;  // a hash index answers whole-key equality only
  } else if (k < n) {
    auto it = terms.find(index.columns[k]);
    if (it != terms.end() && (it->second.lower || it->second.upper)) {
      if (const Predicate* lo = it->second.lower) {
        c.path.range.lower = lo->op == CompareOp::kGt ? store::KeyBound::Excluded(lo->key_bsatn)
                                                      : store::KeyBound::Included(lo->key_bsatn);
        what += (what.empty() ? "" : ", ") + TermText(schema, *lo);
      }
      if (const Predicate* hi = it->second.upper) {
        c.path.range.upper = hi->op == CompareOp::kLt ? store::KeyBound::Excluded(hi->key_bsatn)
                                                      : store::KeyBound::Included(hi->key_bsatn);
        what += (what.empty() ? "" : ", ") + TermText(schema, *hi);
      }
      c.score += 5;
    }
  }
  if (c.score == 0) return std::nullopt;  // nothing narrows the scan
  c.path.description = "index scan " + index.name + " (" + what + ")";
  return c;
}

}  // namespace

AccessPath ChooseAccessPath(const store::TableSchema& schema,
                            const std::vector<const Predicate*>& terms) {
  std::map<size_t, ColumnTerms> by_column;
  for (const Predicate* p : terms) {
    if (p->kind != Expr::Kind::kCompare) continue;
    ColumnTerms& t = by_column[p->column];
    switch (p->op) {
      case CompareOp::kEq:
        // Floats are not keys; value_bsatn is set exactly when equality is byte equality.
        if (t.eq == nullptr && p->value_bsatn) t.eq = p;
        break;
      case CompareOp::kGt:
      case CompareOp::kGe:
        if (t.lower == nullptr && RangeUsable(p->column_type)) t.lower = p;
        break;
      case CompareOp::kLt:
      case CompareOp::kLe:
        if (t.upper == nullptr && RangeUsable(p->column_type)) t.upper = p;
        break;
      case CompareOp::kNe:
        break;
    }
  }
  std::optional<Candidate> best;
  for (store::IndexId id = 0; id < schema.indexes.size(); ++id) {
    auto c = UseIndex(schema, id, by_column);
    if (c && (!best || c->score > best->score)) best = std::move(c);
  }
  if (best) return std::move(best->path);
  AccessPath scan;
  scan.description = "full scan";
  return scan;
}

namespace {

Result<JoinStep> PlanJoin(const JoinClause& jc, size_t source, const Scope& scope) {
  STDB_ASSIGN_OR_RETURN(auto left, scope.Resolve(jc.left));
  STDB_ASSIGN_OR_RETURN(auto right, scope.Resolve(jc.right));
  const std::string on = ColumnRefText(jc.left) + " = " + ColumnRefText(jc.right);
  if (right.first != source) std::swap(left, right);
  if (right.first != source || left.first >= source) {
    return InvalidArgument("JOIN " + scope.entry(source).qualifier + " ON " + on +
                           ": the condition must compare a column of " +
                           scope.entry(source).qualifier + " with a column of a table before it");
  }
  const store::TableSchema& inner = *scope.entry(source).schema;
  const store::TableSchema& outer = *scope.entry(left.first).schema;
  const sats::AlgebraicType& type = inner.column_type(right.second);
  if (!(type == outer.column_type(left.second))) {
    return TypeMismatch("cannot join " + outer.name + "." + outer.column_name(left.second) + " (" +
                        outer.column_type(left.second).ToString() + ") with " + inner.name + "." +
                        inner.column_name(right.second) + " (" + type.ToString() + ")");
  }
  if (type.is_float()) {
    return TypeMismatch("cannot join on " + inner.name + "." + inner.column_name(right.second) +
                        " of type " + type.ToString() + ": float columns are not join keys");
  }
  JoinStep step;
  step.source = source;
  step.column = right.second;
  step.outer_source = left.first;
  step.outer_column = left.second;
  step.index = inner.IndexLeadingWith(static_cast<uint16_t>(right.second));
  if (step.index) step.index_name = inner.indexes[*step.index].name;
  return step;
}

Status PlanOutputs(const SelectStatement& stmt, const Scope& scope, SelectPlan& plan) {
  std::vector<sats::Element> elements;
  if (stmt.count) {
    plan.count = true;
    elements.push_back(sats::Element{stmt.count_alias.value_or("count"),
                                     sats::AlgebraicType(sats::TypeKind::kU64)});
  } else if (stmt.star && !stmt.star_qualifier) {
    for (size_t s = 0; s < scope.size(); ++s) {
      plan.outputs.push_back(OutputColumn{s, std::nullopt});
      for (const auto& e : scope.entry(s).schema->row_type.elements()) elements.push_back(e);
    }
  } else if (stmt.star) {
    STDB_ASSIGN_OR_RETURN(size_t s,
                          scope.FindQualifier(*stmt.star_qualifier, *stmt.star_qualifier + ".*"));
    plan.outputs.push_back(OutputColumn{s, std::nullopt});
    plan.table_name = scope.entry(s).schema->name;
    plan.result_type = scope.entry(s).schema->row_type;
    return Status::Ok();
  } else {
    for (const SelectItem& item : stmt.items) {
      STDB_ASSIGN_OR_RETURN(auto where, scope.Resolve(item.column));
      plan.outputs.push_back(OutputColumn{where.first, where.second});
      elements.push_back(sats::Element{item.alias.value_or(item.column.column),
                                       scope.entry(where.first).schema->column_type(where.second)});
    }
  }
  plan.result_type = sats::AlgebraicType::Product(std::move(elements));
  return Status::Ok();
}

}  // namespace

Result<SelectPlan> PlanSelect(const SelectStatement& stmt, const store::Store& store) {
  return PlanSelectWhere(stmt, stmt.where.get(), store);
}

Result<SelectPlan> PlanSelectWhere(const SelectStatement& stmt, const Expr* where_expr,
                                   const store::Store& store) {
  Scope scope;
  STDB_RETURN_IF_ERROR(scope.Add(store, stmt.table, stmt.table_alias).status());
  for (const JoinClause& jc : stmt.joins) {
    STDB_RETURN_IF_ERROR(scope.Add(store, jc.table, jc.alias).status());
  }
  SelectPlan plan;
  plan.limit = stmt.limit;
  plan.table_name = scope.entry(0).schema->name;
  for (size_t i = 0; i < stmt.joins.size(); ++i) {
    STDB_ASSIGN_OR_RETURN(JoinStep step, PlanJoin(stmt.joins[i], i + 1, scope));
    plan.joins.push_back(step);
  }
  STDB_RETURN_IF_ERROR(PlanOutputs(stmt, scope, plan));
  for (size_t s = 0; s < scope.size(); ++s) {
    const Scope::Entry& e = scope.entry(s);
    plan.sources.push_back(
        PlanSource{e.table_id, e.schema->name, e.qualifier, e.schema->row_type, AccessPath{}, {}});
  }
  if (where_expr != nullptr) {
    STDB_ASSIGN_OR_RETURN(auto where, BindPredicate(*where_expr, scope));
    SplitConjuncts(std::move(where), plan.terms);
  }
  for (const auto& term : plan.terms) {
    const uint32_t sources = SourcesOf(*term);
    if (std::popcount(sources) == 1) {
      plan.sources[std::countr_zero(sources)].filters.push_back(term.get());
    } else {
      plan.residual.push_back(term.get());
    }
  }
  for (size_t s = 0; s < plan.sources.size(); ++s) {
    plan.sources[s].access = ChooseAccessPath(*scope.entry(s).schema, plan.sources[s].filters);
  }
  return plan;
}

std::string SelectPlan::Explain() const {
  std::string out;
  for (size_t s = 0; s < sources.size(); ++s) {
    const PlanSource& src = sources[s];
    out += (s == 0 ? "" : "\n") + src.qualifier + ": ";
    if (s == 0) {
      out += src.access.description;
      continue;
    }
    const JoinStep& j = joins[s - 1];
    const PlanSource& outer = sources[j.outer_source];
    out += "join on " + src.qualifier + "." + *src.row_type.elements()[j.column].name + " = " +
           outer.qualifier + "." + *outer.row_type.elements()[j.outer_column].name;
    out += j.index ? " (index nested loop, " + j.index_name + ")"
                   : " (hash join; build: " + src.access.description + ")";
  }
  return out;
}

}  // namespace stdb::sql
