// `spacetime subscribe`: prints a subscription's updates as JSON lines as they arrive.
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/common.h"
#include "sats/bsatn.h"
#include "sats/json.h"

namespace stdb::cli {
using Json = nlohmann::json;

namespace {

// How often the receive loop looks at Ctrl-C and the deadline.
constexpr auto kPollInterval = std::chrono::milliseconds(100);

// {"<table>": {"deletes": [...], "inserts": [...]}} for one update.
Json UpdateToJson(const std::map<std::string, const sats::AlgebraicType*>& row_types,
                  const std::vector<protocol::TableUpdate>& tables) {
  Json out = Json::object();
  for (const auto& t : tables) {
    auto it = row_types.find(t.table_name);
    Json& entry = out[t.table_name];
    if (!entry.is_object()) entry = Json{{"deletes", Json::array()}, {"inserts", Json::array()}};
    for (const auto& [list, key] : {std::pair{&t.deletes, "deletes"}, {&t.inserts, "inserts"}}) {
      for (ByteView row : list->Rows()) {
        entry[key].push_back(it == row_types.end() ? Json(ToHex(row))
                                                   : RowToJson(*it->second, row));
      }
    }
  }
  return out;
}

}  // namespace

int Subscribe(const SubscribeOptions& options) {
  auto conn = Connect(options.server);
  if (!conn) return 1;
  auto& [config, server] = *conn;
  auto token = EnsureToken(config, server);
  if (!token) return 1;
  auto def = FetchModuleDef(server, options.database);
  if (!def.ok()) return Error(def.status().message());
  std::map<std::string, const sats::AlgebraicType*> row_types;
  for (const auto& t : def->tables) row_types[t.name] = &t.row_type;

  net::WsClient::Options ws;
  ws.url = WebSocketBase(server) + "/v1/database/" + options.database + "/subscribe";
  ws.subprotocols = {"v2.bsatn.spacetimedb"};
  ws.bearer_token = *token;
  auto client = net::WsClient::Connect(ws);
  if (!client.ok()) return Error("cannot subscribe: " + client.status().message());
  auto& c = **client;
  CatchInterrupts();
  // With no -t the deadline is far enough away never to come (no optional: GCC's
  // maybe-uninitialized analysis trips over an optional time_point).
  const auto deadline =
      std::chrono::steady_clock::now() +
      (options.timeout_secs
           ? std::chrono::milliseconds(static_cast<int64_t>(*options.timeout_secs * 1000))
           : std::chrono::milliseconds(std::chrono::hours(24 * 365 * 100)));
  if (Status s = c.Send(protocol::Subscribe{1, 1, options.queries}); !s.ok())
    return Error("cannot subscribe: " + s.message());
  bool applied = false;
  size_t updates = 0;
  while (!Interrupted()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      if (!applied) return Error("the subscription was not applied within the timeout");
      if (options.num_updates && updates < *options.num_updates) {
        return Error("timed out after " + std::to_string(updates) + " of " +
                     std::to_string(*options.num_updates) + " updates");
      }
      return 0;
    }
    auto message = c.Receive(kPollInterval);
    if (!message.ok()) {
      if (auto closed = c.close_reason()) {
        return Error("the server closed the connection (" + std::to_string(closed->first) +
                     (closed->second.empty() ? "" : ": " + closed->second) + ")");
      }
      // WsClient reports a quiet interval as "no message within N ms"; the connection
      // stays usable.
      if (message.status().message().starts_with("no message within")) continue;
      return Error("connection lost: " + message.status().message());
    }
    if (auto* error = std::get_if<protocol::SubscriptionError>(&*message)) {
      return Error("subscription failed: " + error->error);
    }
    if (auto* ok = std::get_if<protocol::SubscribeApplied>(&*message)) {
      applied = true;
      if (options.print_initial) {
        std::vector<protocol::TableUpdate> tables;
        for (const auto& t : ok->rows.tables) tables.push_back({t.table, t.rows, {}, nullptr});
        std::cout << UpdateToJson(row_types, tables).dump() << std::endl;
      }
      if (options.num_updates && *options.num_updates == 0) return 0;
      continue;
    }
    if (auto* tx = std::get_if<protocol::TransactionUpdate>(&*message)) {
      std::vector<protocol::TableUpdate> tables;
      for (const auto& qs : tx->query_sets)
        tables.insert(tables.end(), qs.tables.begin(), qs.tables.end());
      if (tables.empty()) continue;
      std::cout << UpdateToJson(row_types, tables).dump() << std::endl;
      if (options.num_updates && ++updates >= *options.num_updates) return 0;
    }
    // InitialConnection and anything else: nothing to print.
  }
  return 0;
}

}  // namespace stdb::cli
