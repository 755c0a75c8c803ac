#include "obs/metrics.h"

#include <gtest/gtest.h>

#include <string>

namespace stdb::obs {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

TEST(MetricsTest, RendersTheServerWideSeriesAndBuildInfo) {
  Metrics m;
  m.messages_sent.Increment(3);
  m.bytes_sent.Increment(120);
  m.connections.Set(2);
  const std::string text = m.Render();
  EXPECT_TRUE(Has(text, "# TYPE stdb_messages_sent_total counter")) << text;
  EXPECT_TRUE(Has(text, "\nstdb_messages_sent_total 3\n")) << text;
  EXPECT_TRUE(Has(text, "\nstdb_sent_bytes_total 120\n")) << text;
  EXPECT_TRUE(Has(text, "\nstdb_websocket_connections 2\n")) << text;
  EXPECT_TRUE(Has(text, "stdb_build_info{")) << text;
  EXPECT_TRUE(Has(text, "version=\"")) << text;
  // Read at scrape time: a live process has resident memory.
  EXPECT_FALSE(Has(text, "\nstdb_process_resident_memory_bytes 0\n")) << text;
  EXPECT_TRUE(Has(text, "\nstdb_process_resident_memory_bytes ")) << text;
}

TEST(MetricsTest, DatabaseSeriesAreLabelledAndRemovedWithTheDatabase) {
  Metrics m;
  auto db = m.ForDatabase("game");
  EXPECT_EQ(m.ForDatabase("game"), db) << "one object per name";
  db->ReducerCalls("move").Increment();
  db->ReducerCalls("move").Increment();
  db->ReducerFailures("move").Increment();
  db->TableRows("player").Set(42);
  db->reducer_seconds.Observe(0.003);
  db->transactions_per_fsync.Observe(5);
  std::string text = m.Render();
  EXPECT_TRUE(Has(text, "stdb_reducer_calls_total{database=\"game\",reducer=\"move\"} 2")) << text;
  EXPECT_TRUE(Has(text, "stdb_reducer_failures_total{database=\"game\",reducer=\"move\"} 1")) << text;
  EXPECT_TRUE(Has(text, "stdb_table_rows{database=\"game\",table=\"player\"} 42")) << text;
  EXPECT_TRUE(Has(text, "stdb_reducer_duration_seconds_count{database=\"game\"} 1")) << text;
  EXPECT_TRUE(Has(text, "stdb_reducer_duration_seconds_bucket{database=\"game\",le=\"0.005\"} 1"))
      << text;
  EXPECT_TRUE(Has(text, "stdb_reducer_duration_seconds_bucket{database=\"game\",le=\"0.0025\"} 0"))
      << text;
  EXPECT_TRUE(Has(text, "stdb_transactions_per_fsync_sum{database=\"game\"} 5")) << text;

  db->ReducerCalls("attack").Increment();
  db->KeepOnly({"other"}, {"attack"});
  text = m.Render();
  EXPECT_FALSE(Has(text, "table=\"player\"")) << text;
  EXPECT_FALSE(Has(text, "reducer=\"move\"")) << text;
  EXPECT_TRUE(Has(text, "stdb_reducer_calls_total{database=\"game\",reducer=\"attack\"} 1")) << text;

  db.reset();
  m.RemoveDatabase("game");
  text = m.Render();
  EXPECT_FALSE(Has(text, "database=\"game\"")) << text;
  // A database of the same name created again starts from zero.
  m.ForDatabase("game")->ReducerCalls("move").Increment();
  EXPECT_TRUE(Has(m.Render(), "stdb_reducer_calls_total{database=\"game\",reducer=\"move\"} 1"));
}

}  // namespace
}  // namespace stdb::obs
