#include "subscribe/manager.h"

#include <algorithm>
#include <set>

#include "sats/bsatn.h"
#include "sql/parser.h"
#include "subscribe/join_delta.h"

namespace stdb::subscribe {
namespace {

void AppendPredicate(const sql::Predicate& p, std::string& out) {
  switch (p.kind) {
    case sql::Expr::Kind::kAnd:
    case sql::Expr::Kind::kOr:
      out += p.kind == sql::Expr::Kind::kAnd ? "(and " : "(or ";
      AppendPredicate(*p.lhs, out);
      out += ' ';
      AppendPredicate(*p.rhs, out);
      out += ')';
      return;
    case sql::Expr::Kind::kCompare: {
      out += "(c" + std::to_string(p.source) + "." + std::to_string(p.column) + ' ' +
             sql::CompareOpText(p.op) + ' ';
      Bytes enc;
      if (sats::EncodeBsatn(p.column_type, p.value, enc).ok()) out += ToHex(enc);
      out += ')';
      return;
    }
  }
}

// A conjunct `column = literal`, compared as bytes, that every row `p` matches satisfies
// (null if there is none: an OR above every equality, or only other comparisons).
const sql::Predicate* RoutingConjunct(const sql::Predicate* p) {
  if (p == nullptr) return nullptr;
  switch (p->kind) {
    case sql::Expr::Kind::kCompare:
      return p->op == sql::CompareOp::kEq && p->value_bsatn && p->source == 0 ? p : nullptr;
    case sql::Expr::Kind::kAnd:
      if (const sql::Predicate* l = RoutingConjunct(p->lhs.get())) return l;
      return RoutingConjunct(p->rhs.get());
    case sql::Expr::Kind::kOr:
      return nullptr;
  }
  return nullptr;
}

// The tables a query reads: its own and, for a join, the joined one.
std::vector<store::TableId> QueryTables(const sql::BoundQuery& q) {
  std::vector<store::TableId> tables{q.table_id};
  if (q.join && q.join->other_table_id != q.table_id) tables.push_back(q.join->other_table_id);
  return tables;
}

}  // namespace

std::string CanonicalKey(const sql::BoundQuery& q) {
  std::string key = "t" + std::to_string(q.table_id);
  if (q.join) {
    key += " j" + std::to_string(q.join->other_table_id) + ":" + std::to_string(q.join->column) +
           "=" + std::to_string(q.join->other_column);
  }
  if (q.where) {
    key += ' ';
    AppendPredicate(*q.where, key);
  }
  return key;
}

Result<std::string> SubscriptionManager::Register(ClientId client, QuerySetId set_id,
                                                  const std::string& text,
                                                  const store::Store& store, bool can_read_private,
                                                  sql::BoundQuery& out) {
  STDB_ASSIGN_OR_RETURN(auto stmt, sql::ParseSelect(text));
  STDB_ASSIGN_OR_RETURN(out, sql::BindSubscription(stmt, store));
  if (!can_read_private) {
    for (const store::TableId t : QueryTables(out)) {
      if (!store.table(t).schema().is_public) {
        return Status(ErrorCode::kPermissionDenied, "table '" + store.table(t).schema().name +
                                                        "' is private to the database owner");
      }
    }
  }
  if (!out.whole_rows()) {
    return Unsupported("subscriptions must select whole rows (SELECT * or t.*): " + text);
  }
  if (out.limit) return Unsupported("LIMIT is not allowed in subscriptions: " + text);
  std::string key = CanonicalKey(out);
  auto [it, fresh] = queries_.try_emplace(key);
  if (fresh) {
    it->second = std::make_unique<Query>();
    Query& q = *it->second;
    q.bound = std::move(out);
    for (const store::TableId t : QueryTables(q.bound)) by_table_[t].push_back(&q);
    if (!q.bound.join) {
      if (const sql::Predicate* eq = RoutingConjunct(q.bound.where.get())) {
        q.routed_by.emplace(eq->column, std::string(AsStringView(*eq->value_bsatn)));
        by_value_[q.bound.table_id][eq->column][q.routed_by->second].push_back(&q);
      }
    }
  }
  ++it->second->subscribers[{client, set_id}];
  return key;
}

void SubscriptionManager::Release(ClientId client, QuerySetId set_id, const std::string& key) {
  auto it = queries_.find(key);
  STDB_ASSERT(it != queries_.end());
  Query& q = *it->second;
  auto sub = q.subscribers.find({client, set_id});
  STDB_ASSERT(sub != q.subscribers.end());
  if (--sub->second == 0) q.subscribers.erase(sub);
  if (q.subscribers.empty()) {
    for (const store::TableId t : QueryTables(q.bound)) {
      auto& list = by_table_[t];
      list.erase(std::find(list.begin(), list.end(), &q));
      if (list.empty()) by_table_.erase(t);
    }
    if (q.routed_by) {
      auto& columns = by_value_.at(q.bound.table_id);
      auto& literals = columns.at(q.routed_by->first);
      auto& list = literals.at(q.routed_by->second);
      list.erase(std::find(list.begin(), list.end(), &q));
      if (list.empty()) literals.erase(q.routed_by->second);
      if (literals.empty()) columns.erase(q.routed_by->first);
      if (columns.empty()) by_value_.erase(q.bound.table_id);
    }
    queries_.erase(it);
  }
}

protocol::QueryRows SubscriptionManager::Evaluate(const std::vector<const Query*>& queries,
                                                  const store::Store& store) {
  protocol::QueryRows rows;
  for (const Query* q : queries) {
    if (q->bound.join) {
      // One row per matching pair (the view is a multiset), through the join index.
      const std::vector<Bytes> joined = sql::Execute(q->bound, store);
      rows.tables.push_back(
          protocol::SingleTableRows{q->bound.table_name, protocol::BsatnRowList::FromRows(joined)});
      continue;
    }
    std::vector<ByteView> matched;
    store.table(q->bound.table_id).ForEach([&](store::RowId, ByteView row) {
      if (q->bound.Matches(row)) matched.push_back(row);
    });
    rows.tables.push_back(
        protocol::SingleTableRows{q->bound.table_name, protocol::BsatnRowList::FromRows(matched)});
  }
  return rows;
}

Result<protocol::QueryRows> SubscriptionManager::Subscribe(ClientId client, QuerySetId set_id,
                                                           const std::vector<std::string>& queries,
                                                           const store::Store& store,
                                                           bool can_read_private) {
  if (queries.empty()) return InvalidArgument("a subscription needs at least one query");
  if (queries.size() > kQueriesPerSetMax) {
    return InvalidArgument("too many queries in one subscription (max " +
                           std::to_string(kQueriesPerSetMax) + ")");
  }
  ClientState& state = clients_[client];
  if (state.sets.contains(set_id)) {
    return InvalidArgument("query set id " + std::to_string(set_id) + " is already in use");
  }
  if (state.sets.size() >= kQuerySetsPerClientMax) {
    return InvalidArgument("too many subscriptions on one connection (max " +
                           std::to_string(kQuerySetsPerClientMax) + ")");
  }
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (const auto& text : queries) {
    sql::BoundQuery bound;
    auto key = Register(client, set_id, text, store, can_read_private, bound);
    if (!key.ok()) {
      for (const auto& k : keys) Release(client, set_id, k);
      if (state.sets.empty()) clients_.erase(client);
      return key.status();
    }
    if (!seen.insert(*key).second) {
      Release(client, set_id, *key);  // the same query twice in one set counts once
      continue;
    }
    keys.push_back(*key);
  }
  std::vector<const Query*> set_queries;
  for (const auto& k : keys) set_queries.push_back(queries_.at(k).get());
  state.sets.emplace(set_id, std::move(keys));
  ++query_set_count_;
  return Evaluate(set_queries, store);
}

Result<std::optional<protocol::QueryRows>> SubscriptionManager::Unsubscribe(
    ClientId client, QuerySetId set_id, bool dropped_rows, const store::Store& store) {
  auto cit = clients_.find(client);
  if (cit == clients_.end() || !cit->second.sets.contains(set_id)) {
    return NotFound("no subscription with query set id " + std::to_string(set_id));
  }
  std::vector<std::string> keys = std::move(cit->second.sets.at(set_id));
  cit->second.sets.erase(set_id);
  --query_set_count_;
  std::optional<protocol::QueryRows> rows;
  if (dropped_rows) {
    std::vector<const Query*> qs;
    for (const auto& k : keys) qs.push_back(queries_.at(k).get());
    rows = Evaluate(qs, store);
  }
  for (const auto& k : keys) Release(client, set_id, k);
  if (cit->second.sets.empty()) clients_.erase(cit);
  return rows;
}

void SubscriptionManager::RemoveClient(ClientId client) {
  auto cit = clients_.find(client);
  if (cit == clients_.end()) return;
  for (const auto& [set_id, keys] : cit->second.sets) {
    for (const auto& k : keys) Release(client, set_id, k);
  }
  query_set_count_ -= cit->second.sets.size();
  clients_.erase(cit);
}

std::vector<ClientUpdate> SubscriptionManager::OnCommit(const store::TxDelta& delta,
                                                        const store::Store& store) {
  // The changes of the routed queries: each changed row's value leads to the queries
  // that require it, which then check the rest of their WHERE.
  std::unordered_map<const Query*, RowChanges> routed;
  for (const auto& td : delta.tables) {
    auto it = by_value_.find(td.table_id);
    if (it == by_value_.end()) continue;
    const sats::AlgebraicType& row_type = store.table(td.table_id).schema().row_type;
    for (const auto& [column, by_literal] : it->second) {
      auto route = [&](const Bytes& row, bool insert) {
        auto slice = sats::ColumnSlice(row_type, row, column);
        if (!slice.ok()) return;
        auto found = by_literal.find(std::string(AsStringView(*slice)));
        if (found == by_literal.end()) return;
        for (const Query* q : found->second) {
          if (!q->bound.Matches(row)) continue;
          RowChanges& c = routed[q];
          (insert ? c.inserts : c.deletes).push_back(row);
        }
      };
      for (const auto& row : td.inserts) route(row, true);
      for (const auto& row : td.deletes) route(row, false);
    }
  }
  // The queries reading a changed table, each once, in a stable order.
  std::set<const Query*> seen;
  std::vector<const Query*> affected;
  auto changes_of = [&](store::TableId t) -> const store::TableDelta* {
    for (const auto& td : delta.tables) {
      if (td.table_id == t) return &td;
    }
    return nullptr;
  };
  for (const auto& td : delta.tables) {
    auto it = by_table_.find(td.table_id);
    if (it == by_table_.end()) continue;
    for (const Query* q : it->second) {
      if (q->routed_by && !routed.contains(q)) continue;  // no row has its value
      if (seen.insert(q).second) affected.push_back(q);
    }
  }
  std::map<ClientId, std::map<QuerySetId, std::vector<protocol::TableUpdate>>> out;
  for (const Query* q : affected) {
    RowChanges changes;
    if (q->routed_by) {
      auto found = routed.find(q);
      if (found == routed.end()) continue;
      changes = std::move(found->second);
    } else if (q->bound.join) {
      changes = JoinDelta(q->bound, store, changes_of(q->bound.table_id),
                          changes_of(q->bound.join->other_table_id));
    } else {
      const store::TableDelta& td = *changes_of(q->bound.table_id);
      for (const auto& row : td.inserts) {
        if (q->bound.Matches(row)) changes.inserts.push_back(row);
      }
      for (const auto& row : td.deletes) {
        if (q->bound.Matches(row)) changes.deletes.push_back(row);
      }
    }
    if (changes.empty()) continue;
    // Encoded once; every subscriber's message shares these bytes.
    protocol::TableUpdate update{q->bound.table_name,
                                 protocol::BsatnRowList::FromRows(changes.inserts),
                                 protocol::BsatnRowList::FromRows(changes.deletes), nullptr};
    update.encoding = protocol::EncodeTableUpdate(update);
    for (const auto& [sub, count] : q->subscribers) {
      out[sub.first][sub.second].push_back(update);
    }
  }
  std::vector<ClientUpdate> updates;
  updates.reserve(out.size());
  for (auto& [client, sets] : out) {
    ClientUpdate cu{client, {}};
    for (auto& [set_id, tables] : sets) {
      cu.query_sets.push_back(protocol::QuerySetUpdate{set_id, std::move(tables)});
    }
    updates.push_back(std::move(cu));
  }
  return updates;
}

}  // namespace stdb::subscribe
