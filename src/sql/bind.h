// Name resolution shared by the binders of SELECT (query.cc, plan.cc) and of DML
// (dml.cc): the tables a statement reads, and WHERE clauses bound against them.
// Internal to src/sql.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "sql/ast.h"
#include "sql/query.h"
#include "store/tx.h"

namespace stdb::sql {

// The tables in a statement's FROM and JOIN clauses, in the order written. A table is
// referred to by its alias if it has one, else by its name ("qualifier").
class Scope {
 public:
  struct Entry {
    store::TableId table_id = 0;
    const store::TableSchema* schema = nullptr;  // owned by the store
    std::string qualifier;
  };

  // Adds table `name` (as `alias` if given). kNotFound for an unknown table;
  // kInvalidArgument if the qualifier is already taken (a self-join needs an alias).
  Result<size_t> Add(const store::Store& store, const std::string& name,
                     const std::optional<std::string>& alias);

  size_t size() const { return entries_.size(); }
  const Entry& entry(size_t i) const { return entries_.at(i); }

  // The entry called `qualifier` (its alias, or its name when that is unambiguous).
  // `context` is the reference as written, for the message.
  Result<size_t> FindQualifier(const std::string& qualifier, const std::string& context) const;

  // (entry, column) of `ref`. kNotFound for unknown tables and columns; kInvalidArgument
  // for an unqualified column that several tables have.
  Result<std::pair<size_t, size_t>> Resolve(const ColumnRef& ref) const;

 private:
  std::vector<Entry> entries_;
};

// Binds `expr` against `scope`: every comparison's source and column resolved and its
// literal converted to the column type (kTypeMismatch naming the column otherwise).
Result<std::unique_ptr<Predicate>> BindPredicate(const Expr& expr, const Scope& scope);

// Appends the terms of the AND tree `p` to `out` (a non-AND `p` is a single term).
void SplitConjuncts(std::unique_ptr<Predicate> p, std::vector<std::unique_ptr<Predicate>>& out);

// Bit i set: the predicate refers to scope entry i.
uint32_t SourcesOf(const Predicate& p);

}  // namespace stdb::sql
