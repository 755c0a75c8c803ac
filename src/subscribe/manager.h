// SubscriptionManager: which clients watch which queries, and what each committed
// transaction means for each of them.
//
// Identical queries (after parsing and name resolution, so quoting and whitespace do
// not matter) are evaluated once per transaction, and the encoded rows of each table
// update are built once and shared by every client that receives them.
//
// Thread safety: owned and used by the database worker thread only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "protocol/messages.h"
#include "sql/query.h"
#include "store/tx.h"

namespace stdb::subscribe {

using ClientId = uint64_t;
using QuerySetId = uint32_t;

// Bounded: limits on what one client may subscribe to.
inline constexpr size_t kQueriesPerSetMax = 256;
inline constexpr size_t kQuerySetsPerClientMax = 4096;

// The updates one client receives for one transaction: one QuerySetUpdate per affected
// query set, in query set id order.
struct ClientUpdate {
  ClientId client = 0;
  std::vector<protocol::QuerySetUpdate> query_sets;
};

class SubscriptionManager {
 public:
  // Parses and binds `queries` as query set `set_id` of `client`, and returns their
  // current rows. Fails (leaving nothing registered) on a parse or bind error, a query
  // that does not select whole rows, a private table when `can_read_private` is false,
  // or a set id the client already uses.
  Result<protocol::QueryRows> Subscribe(ClientId client, QuerySetId set_id,
                                        const std::vector<std::string>& queries,
                                        const store::Store& store, bool can_read_private);

  // Removes query set `set_id` of `client`. With `dropped_rows`, returns the rows that
  // leave the client's view (the set's current rows). kNotFound for an unknown set.
  Result<std::optional<protocol::QueryRows>> Unsubscribe(ClientId client, QuerySetId set_id,
                                                         bool dropped_rows,
                                                         const store::Store& store);

  // Forgets every subscription of `client`.
  void RemoveClient(ClientId client);

  // The updates `delta` causes, per affected client, in client id order. Clients with no
  // affected query set are absent. `store` is the state after the transaction (joins look
  // rows up in it; single-table queries only filter the delta).
  std::vector<ClientUpdate> OnCommit(const store::TxDelta& delta, const store::Store& store);

  size_t query_count() const { return queries_.size(); }
  size_t client_count() const { return clients_.size(); }
  size_t query_set_count() const { return query_set_count_; }

 private:
  // One distinct query and who subscribes to it (with multiplicity: a client may list a
  // query in several sets, or twice in one set).
  struct Query {
    sql::BoundQuery bound;
    std::map<std::pair<ClientId, QuerySetId>, uint32_t> subscribers;
    // A single-table query whose WHERE requires `column = literal` (a conjunct compared
    // as bytes) can match only rows holding that value: such queries are found through
    // by_value_ from each changed row instead of being tested against every row.
    std::optional<std::pair<size_t, std::string>> routed_by;  // column, literal's BSATN
  };
  // Per column: the queries routed by each literal (BSATN bytes as a string).
  using RoutesByColumn = std::map<size_t, std::unordered_map<std::string, std::vector<Query*>>>;
  struct ClientState {
    std::map<QuerySetId, std::vector<std::string>> sets;  // set -> query keys
  };

  Result<std::string> Register(ClientId client, QuerySetId set_id, const std::string& text,
                               const store::Store& store, bool can_read_private,
                               sql::BoundQuery& out);
  void Release(ClientId client, QuerySetId set_id, const std::string& key);
  static protocol::QueryRows Evaluate(const std::vector<const Query*>& queries,
                                      const store::Store& store);

  std::map<std::string, std::unique_ptr<Query>> queries_;   // canonical key -> query
  std::map<store::TableId, std::vector<Query*>> by_table_;  // queries reading each table
  std::map<store::TableId, RoutesByColumn> by_value_;       // the routed ones, by value
  std::map<ClientId, ClientState> clients_;
  size_t query_set_count_ = 0;  // over all clients
};

// A canonical text for a bound query: equal for queries that select the same rows by
// the same predicate, however they were spelled.
std::string CanonicalKey(const sql::BoundQuery& q);

}  // namespace stdb::subscribe
