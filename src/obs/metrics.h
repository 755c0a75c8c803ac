// Process metrics in the Prometheus text format (GET /v1/metrics), built on the
// prometheus-cpp core library (Debian: prometheus-cpp-dev).
//
// One process-wide registry (Global()). Server-wide series (WebSocket connections,
// messages and bytes sent, slow clients) are members of Metrics; each database has a
// DatabaseMetrics with the series labelled {database="<name>"}. Labels never carry
// anything per user or per connection: their values are database, reducer and table
// names, which the module bounds.
//
// Names follow the Prometheus conventions: the `stdb_` prefix, base units (seconds,
// bytes), `_total` on counters. docs/metrics.md lists every series.
//
// Cost on the hot path: counters and gauges are atomics; a histogram observation takes
// prometheus-cpp's per-histogram mutex. Creating a labelled series (Family::Add) takes a
// lock and hashes the labels, so callers look series up once and keep the reference
// (the Database caches one per reducer and per table).
//
// Thread safety: everything may be called from any thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace stdb::obs {

class Metrics;

// The series of one database. Created by Metrics::ForDatabase; Metrics::RemoveDatabase
// drops them from the registry (after the database is gone: references into them
// dangle then).
class DatabaseMetrics {
 public:
  DatabaseMetrics(Metrics& m, std::string name);
  DatabaseMetrics(const DatabaseMetrics&) = delete;
  DatabaseMetrics& operator=(const DatabaseMetrics&) = delete;

  const std::string& name() const { return name_; }

  // Calls and failed calls (an error returned or a panic) of one reducer, lifecycle and
  // scheduled ones included.
  prometheus::Counter& ReducerCalls(std::string_view reducer);
  prometheus::Counter& ReducerFailures(std::string_view reducer);
  // Rows now in one table.
  prometheus::Gauge& TableRows(std::string_view table);
  // Removes the row gauges of tables not in `tables`, and the call counters of
  // reducers not in `reducers` (after a module update). The removed series must no
  // longer be referenced.
  void KeepOnly(const std::vector<std::string>& tables, const std::vector<std::string>& reducers);

  prometheus::Gauge& clients;             // connected WebSocket clients
  prometheus::Gauge& query_sets;          // subscribed query sets, over all clients
  prometheus::Gauge& queries;             // distinct subscription queries evaluated
  prometheus::Histogram& reducer_seconds; // a reducer's execution, module code only
  prometheus::Histogram& commit_seconds;  // a transaction's record: appended -> durable
  prometheus::Histogram& fsync_seconds;   // one fsync of the commit log
  prometheus::Histogram& transactions_per_fsync;
  prometheus::Histogram& evaluation_seconds;  // subscription evaluation of one transaction

 private:
  friend class Metrics;
  void RemoveAll();

  Metrics& m_;
  const std::string name_;
  std::mutex mu_;  // guards the maps (lookups are rare: callers cache the references)
  std::map<std::string, prometheus::Counter*, std::less<>> calls_, failures_;
  std::map<std::string, prometheus::Gauge*, std::less<>> rows_;
};

class Metrics {
  // First: the series below are registered in it as they are constructed.
  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();

 public:
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // The series of database `name`; the same object for the same name until
  // RemoveDatabase(name).
  std::shared_ptr<DatabaseMetrics> ForDatabase(const std::string& name);
  // Drops the database's series (it was deleted).
  void RemoveDatabase(const std::string& name);

  // Everything, in the Prometheus text exposition format (version 0.0.4). Process
  // figures (resident memory, uptime) are read here, at scrape time.
  std::string Render();

  // Server-wide series.
  prometheus::Gauge& connections;                 // open WebSocket sessions
  prometheus::Counter& messages_sent;             // server messages written to sockets
  prometheus::Counter& bytes_sent;                // WebSocket payload bytes written
  prometheus::Counter& slow_client_disconnects;   // clients closed for a full outbox
  prometheus::Counter& outbox_dropped_messages;   // messages discarded with them
  prometheus::Counter& http_requests;             // HTTP requests answered

 private:
  friend class DatabaseMetrics;
  // Families of the per-database series.
  prometheus::Family<prometheus::Gauge>& clients_;
  prometheus::Family<prometheus::Gauge>& query_sets_;
  prometheus::Family<prometheus::Gauge>& queries_;
  prometheus::Family<prometheus::Gauge>& table_rows_;
  prometheus::Family<prometheus::Counter>& reducer_calls_;
  prometheus::Family<prometheus::Counter>& reducer_failures_;
  prometheus::Family<prometheus::Histogram>& reducer_seconds_;
  prometheus::Family<prometheus::Histogram>& commit_seconds_;
  prometheus::Family<prometheus::Histogram>& fsync_seconds_;
  prometheus::Family<prometheus::Histogram>& transactions_per_fsync_;
  prometheus::Family<prometheus::Histogram>& evaluation_seconds_;
  // Process series, set by Render.
  prometheus::Gauge& resident_bytes_;
  prometheus::Gauge& uptime_seconds_;

  std::mutex mu_;
  std::map<std::string, std::shared_ptr<DatabaseMetrics>> databases_;
};

// The process's registry: what the server serves and what every component reports to.
Metrics& Global();

}  // namespace stdb::obs
