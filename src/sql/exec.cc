// ExecuteSelect: the tuple-at-a-time executor of SelectPlan (sql/plan.h).
#include <boost/unordered/unordered_flat_map.hpp>
#include <limits>

#include "sats/bsatn.h"
#include "sql/plan.h"

namespace stdb::sql {
namespace {

// Runs one plan. Each join level binds one source's row in `rows_` and recurses, so the
// recursion depth is the number of tables (at most kSqlJoinsMax + 1).
class Executor {
 public:
  Executor(const SelectPlan& plan, const store::Store& store, ExecStats& stats)
      : plan_(plan), store_(store), stats_(stats) {
    for (const PlanSource& s : plan.sources) types_.push_back(&s.row_type);
    rows_.resize(plan.sources.size());
    hashes_.resize(plan.sources.size());
  }

  Result<std::vector<Bytes>> Run() {
    const PlanSource& first = plan_.sources[0];
    STDB_RETURN_IF_ERROR(ForEachCandidate(first, [&](store::RowId, ByteView row) {
      if (!PassesFilters(first, row)) return Status::Ok();
      rows_[0] = row;
      return Extend(1);
    }));
    if (plan_.count) {
      out_.clear();
      if (plan_.limit.value_or(1) > 0) {
        Bytes row;
        ByteWriter(row).U64(count_);
        out_.push_back(std::move(row));
      }
    }
    return std::move(out_);
  }

 private:
  bool Done() const { return !plan_.count && plan_.limit && out_.size() >= *plan_.limit; }

  Status Examine() {
    if (++stats_.rows_examined > kSqlRowsExaminedMax) {
      return InvalidArgument("query examines more than " + std::to_string(kSqlRowsExaminedMax) +
                             " rows; narrow it with WHERE on indexed columns or LIMIT");
    }
    return Status::Ok();
  }

  static bool PassesFilters(const PlanSource& s, ByteView row) {
    for (const Predicate* p : s.filters) {
      if (!p->Matches(s.row_type, row)) return false;
    }
    return true;
  }

  // Calls f(id, row) for each candidate row of `s`'s access path until f fails or the
  // result is complete.
  template <typename F>
  Status ForEachCandidate(const PlanSource& s, F&& f) {
    const store::Table& table = store_.table(s.table_id);
    const AccessPath& a = s.access;
    Status status;
    auto visit = [&](store::RowId id, ByteView row) {
      if (!status.ok() || Done()) return;
      status = Examine();
      if (status.ok()) status = f(id, row);
    };
    switch (a.kind) {
      case AccessPath::Kind::kScan:
        table.ForEach(visit);
        break;
      case AccessPath::Kind::kUniqueLookup:
        if (auto id = table.FindUnique(a.index, a.key)) visit(*id, table.Get(*id));
        break;
      case AccessPath::Kind::kIndexScan: {
        STDB_ASSIGN_OR_RETURN(auto ids, table.ScanIndex(a.index, a.range));
        for (store::RowId id : ids) visit(id, table.Get(id));
        break;
      }
    }
    return status;
  }

  Status Emit() {
    for (const Predicate* p : plan_.residual) {
      if (!p->MatchesTuple(types_, rows_)) return Status::Ok();
    }
    if (plan_.count) {
      ++count_;
      return Status::Ok();
    }
    if (out_.size() >= kSqlResultRowsMax) {
      return InvalidArgument("query result has more than " + std::to_string(kSqlResultRowsMax) +
                             " rows; narrow it with WHERE or LIMIT");
    }
    Bytes row;
    for (const OutputColumn& c : plan_.outputs) {
      ByteView v = rows_[c.source];
      if (c.column) {
        auto slice = sats::ColumnSlice(*types_[c.source], v, *c.column);
        STDB_ASSERT(slice.ok());
        v = *slice;
      }
      row.insert(row.end(), v.begin(), v.end());
    }
    out_.push_back(std::move(row));
    return Status::Ok();
  }

  Status Visit(size_t level, ByteView row) {
    if (Done()) return Status::Ok();
    const PlanSource& s = plan_.sources[level];
    STDB_RETURN_IF_ERROR(Examine());
    if (!PassesFilters(s, row)) return Status::Ok();
    rows_[level] = row;
    return Extend(level + 1);
  }

  // Binds sources[level..] for the rows bound so far.
  Status Extend(size_t level) {
    if (level == plan_.sources.size()) return Emit();
    const JoinStep& j = plan_.joins[level - 1];
    STDB_ASSERT(j.source == level && j.outer_source < level);
    auto key = sats::ColumnSlice(*types_[j.outer_source], rows_[j.outer_source], j.outer_column);
    STDB_ASSERT(key.ok());
    const store::Table& table = store_.table(plan_.sources[level].table_id);
    if (j.index) {
      const store::IndexSchema& index = table.schema().indexes[*j.index];
      if (index.unique && index.columns.size() == 1) {
        if (auto id = table.FindUnique(*j.index, *key)) return Visit(level, table.Get(*id));
        return Status::Ok();
      }
      STDB_ASSIGN_OR_RETURN(
          auto ids,
          table.ScanIndex(*j.index, store::IndexRange::Prefix(Bytes(key->begin(), key->end()), 1)));
      for (store::RowId id : ids) STDB_RETURN_IF_ERROR(Visit(level, table.Get(id)));
      return Status::Ok();
    }
    STDB_ASSIGN_OR_RETURN(const HashTable* hash, HashFor(level));
    auto it = hash->find(std::string(AsStringView(*key)));
    if (it == hash->end()) return Status::Ok();
    for (store::RowId id : it->second) {
      if (Done()) break;
      // Hashed rows were filtered when the table was built; each match is still work.
      STDB_RETURN_IF_ERROR(Examine());
      rows_[level] = table.Get(id);
      STDB_RETURN_IF_ERROR(Extend(level + 1));
    }
    return Status::Ok();
  }

  using HashTable = boost::unordered_flat_map<std::string, std::vector<store::RowId>>;

  // The hash table of source `level` by its join column, built on first use from the
  // source's access path and filters.
  Result<const HashTable*> HashFor(size_t level) {
    if (hashes_[level]) return &*hashes_[level];
    HashTable hash;
    const PlanSource& s = plan_.sources[level];
    const size_t column = plan_.joins[level - 1].column;
    STDB_RETURN_IF_ERROR(ForEachCandidate(s, [&](store::RowId id, ByteView row) {
      if (!PassesFilters(s, row)) return Status::Ok();
      auto key = sats::ColumnSlice(s.row_type, row, column);
      STDB_ASSERT(key.ok());
      hash[std::string(AsStringView(*key))].push_back(id);
      return Status::Ok();
    }));
    hashes_[level] = std::move(hash);
    return &*hashes_[level];
  }

  const SelectPlan& plan_;
  const store::Store& store_;
  ExecStats& stats_;
  std::vector<const sats::AlgebraicType*> types_;
  std::vector<ByteView> rows_;
  std::vector<std::optional<HashTable>> hashes_;
  std::vector<Bytes> out_;
  uint64_t count_ = 0;
};

}  // namespace

Result<std::vector<Bytes>> ExecuteSelect(const SelectPlan& plan, const store::Store& store,
                                         ExecStats* stats) {
  ExecStats local;
  ExecStats& s = stats != nullptr ? *stats : local;
  s = ExecStats{};
  STDB_ASSERT(!plan.sources.empty() && plan.joins.size() + 1 == plan.sources.size());
  return Executor(plan, store, s).Run();
}

}  // namespace stdb::sql
