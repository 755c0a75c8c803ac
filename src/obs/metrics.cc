#include "obs/metrics.h"

#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>

#include "obs/build_info.h"

namespace stdb::obs {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
using prometheus::Histogram;

// Latencies from 50 us (an in-memory reducer) to 10 s (a stalled disk).
const Histogram::BucketBoundaries& SecondsBuckets() {
  static const Histogram::BucketBoundaries b{0.00005, 0.0001, 0.00025, 0.0005, 0.001,
                                             0.0025,  0.005,  0.01,    0.025,  0.05,
                                             0.1,     0.25,   0.5,     1,      2.5,
                                             5,       10};
  return b;
}

const Histogram::BucketBoundaries& CountBuckets() {
  static const Histogram::BucketBoundaries b{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384, 65536};
  return b;
}

// Resident set size from /proc/self/statm (pages), 0 if it cannot be read.
double ResidentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  const int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

const auto kStart = std::chrono::steady_clock::now();

}  // namespace

DatabaseMetrics::DatabaseMetrics(Metrics& m, std::string name)
    : clients(m.clients_.Add({{"database", name}})),
      query_sets(m.query_sets_.Add({{"database", name}})),
      queries(m.queries_.Add({{"database", name}})),
      reducer_seconds(m.reducer_seconds_.Add({{"database", name}}, SecondsBuckets())),
      commit_seconds(m.commit_seconds_.Add({{"database", name}}, SecondsBuckets())),
      fsync_seconds(m.fsync_seconds_.Add({{"database", name}}, SecondsBuckets())),
      transactions_per_fsync(m.transactions_per_fsync_.Add({{"database", name}}, CountBuckets())),
      evaluation_seconds(m.evaluation_seconds_.Add({{"database", name}}, SecondsBuckets())),
      m_(m),
      name_(std::move(name)) {}

prometheus::Counter& DatabaseMetrics::ReducerCalls(std::string_view reducer) {
  std::lock_guard lock(mu_);
  auto it = calls_.find(reducer);
  if (it == calls_.end()) {
    auto& c = m_.reducer_calls_.Add({{"database", name_}, {"reducer", std::string(reducer)}});
    it = calls_.emplace(std::string(reducer), &c).first;
  }
  return *it->second;
}

prometheus::Counter& DatabaseMetrics::ReducerFailures(std::string_view reducer) {
  std::lock_guard lock(mu_);
  auto it = failures_.find(reducer);
  if (it == failures_.end()) {
    auto& c = m_.reducer_failures_.Add({{"database", name_}, {"reducer", std::string(reducer)}});
    it = failures_.emplace(std::string(reducer), &c).first;
  }
  return *it->second;
}

prometheus::Gauge& DatabaseMetrics::TableRows(std::string_view table) {
  std::lock_guard lock(mu_);
  auto it = rows_.find(table);
  if (it == rows_.end()) {
    auto& g = m_.table_rows_.Add({{"database", name_}, {"table", std::string(table)}});
    it = rows_.emplace(std::string(table), &g).first;
  }
  return *it->second;
}

namespace {

// Removes from `series` (and from `family`) every entry whose name is not in `keep`.
template <typename T>
void KeepNamed(std::map<std::string, T*, std::less<>>& series, prometheus::Family<T>& family,
               const std::vector<std::string>& keep) {
  for (auto it = series.begin(); it != series.end();) {
    if (std::find(keep.begin(), keep.end(), it->first) != keep.end()) {
      ++it;
      continue;
    }
    family.Remove(it->second);
    it = series.erase(it);
  }
}

}  // namespace

void DatabaseMetrics::KeepOnly(const std::vector<std::string>& tables,
                               const std::vector<std::string>& reducers) {
  std::lock_guard lock(mu_);
  KeepNamed(rows_, m_.table_rows_, tables);
  KeepNamed(calls_, m_.reducer_calls_, reducers);
  KeepNamed(failures_, m_.reducer_failures_, reducers);
}

void DatabaseMetrics::RemoveAll() {
  std::lock_guard lock(mu_);
  for (auto& [_, c] : calls_) m_.reducer_calls_.Remove(c);
  for (auto& [_, c] : failures_) m_.reducer_failures_.Remove(c);
  for (auto& [_, g] : rows_) m_.table_rows_.Remove(g);
  calls_.clear();
  failures_.clear();
  rows_.clear();
  m_.clients_.Remove(&clients);
  m_.query_sets_.Remove(&query_sets);
  m_.queries_.Remove(&queries);
  m_.reducer_seconds_.Remove(&reducer_seconds);
  m_.commit_seconds_.Remove(&commit_seconds);
  m_.fsync_seconds_.Remove(&fsync_seconds);
  m_.transactions_per_fsync_.Remove(&transactions_per_fsync);
  m_.evaluation_seconds_.Remove(&evaluation_seconds);
}

Metrics::Metrics()
    : connections(BuildGauge()
                      .Name("stdb_websocket_connections")
                      .Help("Open WebSocket sessions.")
                      .Register(*registry_)
                      .Add({})),
      messages_sent(BuildCounter()
                        .Name("stdb_messages_sent_total")
                        .Help("Server messages handed to WebSocket connections for writing.")
                        .Register(*registry_)
                        .Add({})),
      bytes_sent(BuildCounter()
                     .Name("stdb_sent_bytes_total")
                     .Help("WebSocket frame payload bytes handed to connections (after compression).")
                     .Register(*registry_)
                     .Add({})),
      slow_client_disconnects(BuildCounter()
                                  .Name("stdb_slow_client_disconnects_total")
                                  .Help("Clients closed because their outbox was full (1008).")
                                  .Register(*registry_)
                                  .Add({})),
      outbox_dropped_messages(BuildCounter()
                                  .Name("stdb_outbox_dropped_messages_total")
                                  .Help("Messages discarded from the outboxes of clients closed as too slow.")
                                  .Register(*registry_)
                                  .Add({})),
      http_requests(BuildCounter()
                        .Name("stdb_http_requests_total")
                        .Help("HTTP requests answered (WebSocket upgrades included).")
                        .Register(*registry_)
                        .Add({})),
      clients_(BuildGauge()
                   .Name("stdb_connected_clients")
                   .Help("WebSocket clients connected to the database (client_connected ran).")
                   .Register(*registry_)),
      query_sets_(BuildGauge()
                      .Name("stdb_subscription_query_sets")
                      .Help("Subscribed query sets, over all clients.")
                      .Register(*registry_)),
      queries_(BuildGauge()
                   .Name("stdb_subscription_queries")
                   .Help("Distinct subscription queries evaluated per transaction.")
                   .Register(*registry_)),
      table_rows_(BuildGauge().Name("stdb_table_rows").Help("Rows in a table.").Register(*registry_)),
      reducer_calls_(BuildCounter()
                         .Name("stdb_reducer_calls_total")
                         .Help("Reducer calls (clients, HTTP, lifecycle and schedules).")
                         .Register(*registry_)),
      reducer_failures_(BuildCounter()
                            .Name("stdb_reducer_failures_total")
                            .Help("Reducer calls that returned an error or panicked.")
                            .Register(*registry_)),
      reducer_seconds_(BuildHistogram()
                           .Name("stdb_reducer_duration_seconds")
                           .Help("Execution time of a reducer's module code.")
                           .Register(*registry_)),
      commit_seconds_(BuildHistogram()
                          .Name("stdb_commit_duration_seconds")
                          .Help("From a transaction's record reaching the commit log to it being durable.")
                          .Register(*registry_)),
      fsync_seconds_(BuildHistogram()
                         .Name("stdb_fsync_duration_seconds")
                         .Help("Write + fdatasync of one commit group.")
                         .Register(*registry_)),
      transactions_per_fsync_(BuildHistogram()
                                  .Name("stdb_transactions_per_fsync")
                                  .Help("Records (transactions) made durable by one fsync.")
                                  .Register(*registry_)),
      evaluation_seconds_(BuildHistogram()
                              .Name("stdb_subscription_evaluation_duration_seconds")
                              .Help("Incremental evaluation of the subscriptions for one transaction.")
                              .Register(*registry_)),
      resident_bytes_(BuildGauge()
                          .Name("stdb_process_resident_memory_bytes")
                          .Help("Resident memory of the server process.")
                          .Register(*registry_)
                          .Add({})),
      uptime_seconds_(BuildGauge()
                          .Name("stdb_process_uptime_seconds")
                          .Help("Seconds since the server process started.")
                          .Register(*registry_)
                          .Add({})) {
  BuildGauge()
      .Name("stdb_build_info")
      .Help("The server's version and the git commit it was built from (always 1).")
      .Register(*registry_)
      .Add({{"version", kVersion}, {"commit", BuildCommit()}})
      .Set(1);
}

std::shared_ptr<DatabaseMetrics> Metrics::ForDatabase(const std::string& name) {
  std::lock_guard lock(mu_);
  auto& slot = databases_[name];
  if (!slot) slot = std::make_shared<DatabaseMetrics>(*this, name);
  return slot;
}

void Metrics::RemoveDatabase(const std::string& name) {
  std::shared_ptr<DatabaseMetrics> gone;
  {
    std::lock_guard lock(mu_);
    auto it = databases_.find(name);
    if (it == databases_.end()) return;
    gone = std::move(it->second);
    databases_.erase(it);
  }
  gone->RemoveAll();
}

std::string Metrics::Render() {
  resident_bytes_.Set(ResidentBytes());
  uptime_seconds_.Set(std::chrono::duration<double>(std::chrono::steady_clock::now() - kStart).count());
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return std::move(out).str();
}

Metrics& Global() {
  static Metrics* metrics = new Metrics();  // never destroyed: threads may report at exit
  return *metrics;
}

}  // namespace stdb::obs
