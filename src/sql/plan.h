// Planning and executing /sql SELECTs: joins of several tables, projections, COUNT(*),
// LIMIT, and index use.
//
// Index use (docs/sql.md "Indexes"): the comparisons ANDed at the top of WHERE that
// refer to one table pick its access path: equality on every column of a unique index is
// a point lookup (Table::FindUnique); equality on every column of a hash index or on the
// leading columns of a btree index is a prefix scan; a range (<, <=, >, >=, or both
// bounds) on the btree column after such a prefix is a range scan; otherwise the table is
// scanned. WHERE is still applied to every candidate row, so the access path only
// narrows the candidates. Each join step looks its table up through an index on its join
// column when there is one (index nested loop), and otherwise through a hash table built
// once from that table's own access path (hash join).
//
// Bounded: a query examines at most kSqlRowsExaminedMax rows and returns at most
// kSqlResultRowsMax; beyond either it fails with kInvalidArgument saying which.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "sql/ast.h"
#include "sql/query.h"
#include "store/index_range.h"
#include "store/tx.h"

namespace stdb::sql {

inline constexpr uint64_t kSqlRowsExaminedMax = 20'000'000;
inline constexpr uint64_t kSqlResultRowsMax = 1'000'000;

// How the candidate rows of one table are found.
struct AccessPath {
  enum class Kind { kScan, kUniqueLookup, kIndexScan };
  Kind kind = Kind::kScan;
  store::IndexId index = 0;
  Bytes key;                // kUniqueLookup: the whole key
  store::IndexRange range;  // kIndexScan
  std::string description;  // e.g. "index scan person_age_idx (age = 30)"
};

// Chooses the access path of `schema`'s table from `terms`: comparisons (kCompare
// predicates) ANDed at the top of WHERE, all on this table.
AccessPath ChooseAccessPath(const store::TableSchema& schema,
                            const std::vector<const Predicate*>& terms);

// One table of the query.
struct PlanSource {
  store::TableId table_id = 0;
  std::string table_name;
  std::string qualifier;
  sats::AlgebraicType row_type;
  AccessPath access;                      // drives the first table; builds hash joins
  std::vector<const Predicate*> filters;  // WHERE terms on this table alone
};

// Joining sources[source] to the tuple built so far: its `column` equals
// sources[outer_source]'s `outer_column`.
struct JoinStep {
  size_t source = 0;
  size_t column = 0;
  size_t outer_source = 0;
  size_t outer_column = 0;
  std::optional<store::IndexId> index;  // index nested loop; hash join when unset
  std::string index_name;
};

// A column of the result: a column of a source, or (column unset) a whole row.
struct OutputColumn {
  size_t source = 0;
  std::optional<size_t> column;
};

struct SelectPlan {
  std::vector<PlanSource> sources;                // FROM, then each JOIN
  std::vector<JoinStep> joins;                    // joins[i] adds sources[i + 1]
  std::vector<std::unique_ptr<Predicate>> terms;  // WHERE split at its top-level ANDs
  std::vector<const Predicate*> residual;         // terms on several tables
  std::vector<OutputColumn> outputs;              // empty with count
  bool count = false;
  sats::AlgebraicType result_type;
  std::string table_name;  // what the result is named after (the first or t.* table)
  std::optional<uint64_t> limit;

  // One line per table: its access path or join method, e.g.
  // "person: unique lookup person_id_key (id = 7)".
  std::string Explain() const;
};

// Binds and plans `stmt` against `store`. Errors name the culprit: kNotFound (unknown
// table or column), kInvalidArgument (ambiguous column, duplicate table name, bad ON),
// kTypeMismatch (literal or join columns that do not fit).
Result<SelectPlan> PlanSelect(const SelectStatement& stmt, const store::Store& store);
// As PlanSelect, with `where` (may be null) in place of stmt.where: UPDATE and DELETE
// plan the rows they change as `SELECT * FROM t WHERE ...` without copying their WHERE.
Result<SelectPlan> PlanSelectWhere(const SelectStatement& stmt, const Expr* where,
                                   const store::Store& store);

struct ExecStats {
  // Rows read from tables: scanned, looked up, hashed, and matched in a hash table.
  uint64_t rows_examined = 0;
};

// Runs `plan`; returns the result rows as BSATN products of plan.result_type. `stats`,
// if given, receives the work done (also on failure).
Result<std::vector<Bytes>> ExecuteSelect(const SelectPlan& plan, const store::Store& store,
                                         ExecStats* stats = nullptr);

}  // namespace stdb::sql
