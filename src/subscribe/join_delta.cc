#include "subscribe/join_delta.h"

#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>
#include <string_view>

#include "sats/bsatn.h"

namespace stdb::subscribe {
namespace {

using Key = std::string_view;  // a join column's BSATN, viewed as text for hashing

ByteView Column(const sats::AlgebraicType& row_type, ByteView row, size_t column) {
  auto slice = sats::ColumnSlice(row_type, row, column);
  STDB_ASSERT_MSG(slice.ok(), "join column of an invalid row");
  return *slice;
}

const std::vector<Bytes>& Rows(const store::TableDelta* d, bool inserts) {
  static const std::vector<Bytes> kNone;
  if (d == nullptr) return kNone;
  return inserts ? d->inserts : d->deletes;
}

boost::unordered_flat_set<Key> RowSet(const std::vector<Bytes>& rows) {
  boost::unordered_flat_set<Key> set;
  for (const Bytes& r : rows) set.insert(AsStringView(r));
  return set;
}

}  // namespace

RowChanges JoinDelta(const sql::BoundQuery& q, const store::Store& store,
                     const store::TableDelta* t_delta, const store::TableDelta* u_delta) {
  STDB_ASSERT(q.join.has_value());
  const sql::JoinSpec& j = *q.join;
  const store::Table& t_table = store.table(q.table_id);
  const store::Table& u_table = store.table(j.other_table_id);
  const auto& t_plus = Rows(t_delta, true);
  const auto& t_minus = Rows(t_delta, false);
  const auto& u_plus = Rows(u_delta, true);
  const auto& u_minus = Rows(u_delta, false);
  const auto t_plus_set = RowSet(t_plus);
  const auto u_plus_set = RowSet(u_plus);

  auto t_key = [&](ByteView t) { return Column(q.row_type, t, j.column); };
  auto u_key = [&](ByteView u) { return Column(j.other_row_type, u, j.other_column); };
  // Current rows of U with join column `key` (U1), through the required index.
  auto for_u1 = [&](ByteView key, auto&& f) {
    auto ids = u_table.ScanIndex(j.other_index,
                                 store::IndexRange::Prefix(Bytes(key.begin(), key.end()), 1));
    STDB_ASSERT_MSG(ids.ok(), "subscription join index refused an equality lookup");
    for (store::RowId id : *ids) f(u_table.Get(id));
  };

  // Current rows of T with join column `key`, for the keys of U's changes: through an
  // index on t.a when there is one, else from one scan of T.
  boost::unordered_flat_map<Key, std::vector<ByteView>> t_by_key;
  const auto t_index = t_table.schema().IndexLeadingWith(static_cast<uint16_t>(j.column));
  if (!u_plus.empty() || !u_minus.empty()) {
    for (const auto* rows : {&u_plus, &u_minus}) {
      for (const Bytes& u : *rows) t_by_key.try_emplace(AsStringView(u_key(u)));
    }
    if (t_index) {
      for (auto& [key, out] : t_by_key) {
        auto ids = t_table.ScanIndex(*t_index,
                                     store::IndexRange::Prefix(Bytes(key.begin(), key.end()), 1));
        STDB_ASSERT(ids.ok());
        for (store::RowId id : *ids) out.push_back(t_table.Get(id));
      }
    } else {
      t_table.ForEach([&](store::RowId, ByteView t) {
        auto it = t_by_key.find(AsStringView(t_key(t)));
        if (it != t_by_key.end()) it->second.push_back(t);
      });
    }
  }
  // T1 - T+ (rows present before and after) with join column `key`.
  auto for_t_kept = [&](ByteView key, auto&& f) {
    auto it = t_by_key.find(AsStringView(key));
    if (it == t_by_key.end()) return;
    for (ByteView t : it->second) {
      if (!t_plus_set.contains(AsStringView(t))) f(t);
    }
  };

  // Net count per t row; `order` keeps the first-seen order so output is deterministic.
  boost::unordered_flat_map<Key, int64_t> net;
  std::vector<ByteView> order;
  auto add = [&](ByteView t, ByteView u, int64_t n) {
    if (!q.MatchesPair(t, u)) return;
    auto [it, fresh] = net.try_emplace(AsStringView(t), 0);
    if (fresh) order.push_back(t);
    it->second += n;
  };

  for (const Bytes& t : t_plus) for_u1(t_key(t), [&](ByteView u) { add(t, u, +1); });
  for (const Bytes& u : u_plus) for_t_kept(u_key(u), [&](ByteView t) { add(t, u, +1); });
  if (!t_minus.empty()) {
    // U0 = (U1 - U+) + U-, by join key.
    boost::unordered_flat_map<Key, std::vector<ByteView>> u_minus_by_key;
    for (const Bytes& u : u_minus) u_minus_by_key[AsStringView(u_key(u))].push_back(u);
    for (const Bytes& t : t_minus) {
      const ByteView key = t_key(t);
      for_u1(key, [&](ByteView u) {
        if (!u_plus_set.contains(AsStringView(u))) add(t, u, -1);
      });
      auto it = u_minus_by_key.find(AsStringView(key));
      if (it != u_minus_by_key.end()) {
        for (ByteView u : it->second) add(t, u, -1);
      }
    }
  }
  for (const Bytes& u : u_minus) for_t_kept(u_key(u), [&](ByteView t) { add(t, u, -1); });

  RowChanges out;
  for (ByteView t : order) {
    const int64_t n = net.at(AsStringView(t));
    for (int64_t i = 0; i < n; ++i) out.inserts.push_back(t);
    for (int64_t i = 0; i < -n; ++i) out.deletes.push_back(t);
  }
  return out;
}

}  // namespace stdb::subscribe
