// Helpers shared by the db tests: a ClientOutbox that records decoded messages, and
// blocking waits on completions. Every wait has a timeout, so a lost message fails the
// test instead of hanging it.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "db/database.h"

namespace stdb::db::testing {

inline constexpr auto kWaitTimeout = std::chrono::seconds(20);

// Records what the database sends to one WebSocket client.
class FakeOutbox final : public ClientOutbox {
 public:
  void Send(protocol::EncodedMessage encoded) override {
    const Bytes message = encoded.Flatten();
    ByteReader r(message);
    auto m = protocol::DecodeServerMessage(r);
    std::lock_guard lock(mu_);
    if (!m.ok() || !r.at_end()) {
      decode_errors_.push_back(m.ok() ? "trailing bytes" : m.status().ToString());
    } else {
      messages_.push_back(std::move(m).value());
      arrivals_.push_back(next_arrival_.fetch_add(1));
    }
    cv_.notify_all();
  }
  void Close(std::string reason) override {
    std::lock_guard lock(mu_);
    closed_ = std::move(reason);
    cv_.notify_all();
  }

  // Waits until `n` messages have arrived; returns all of them (fewer on timeout).
  std::vector<protocol::ServerMessage> WaitFor(size_t n) {
    std::unique_lock lock(mu_);
    const bool done = cv_.wait_for(lock, kWaitTimeout, [&] { return messages_.size() >= n; });
    EXPECT_TRUE(done) << "timed out waiting for message " << n << "; have " << messages_.size();
    EXPECT_TRUE(decode_errors_.empty()) << decode_errors_.front();
    return messages_;
  }
  // Waits for message number `index` (0-based) and returns it as a T.
  template <typename T>
  T Nth(size_t index) {
    auto all = WaitFor(index + 1);
    if (all.size() <= index) return T{};
    const T* m = std::get_if<T>(&all[index]);
    EXPECT_NE(m, nullptr) << "message " << index << " has variant index " << all[index].index();
    return m ? *m : T{};
  }
  std::optional<std::string> WaitClosed() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, kWaitTimeout, [&] { return closed_.has_value(); });
    return closed_;
  }
  size_t count() const {
    std::lock_guard lock(mu_);
    return messages_.size();
  }
  // When message `index` arrived, on a counter shared by every FakeOutbox: compares
  // arrival order across clients.
  uint64_t arrival(size_t index) const {
    std::lock_guard lock(mu_);
    return index < arrivals_.size() ? arrivals_[index] : UINT64_MAX;
  }
  std::optional<std::string> closed() const {
    std::lock_guard lock(mu_);
    return closed_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<protocol::ServerMessage> messages_;
  std::vector<uint64_t> arrivals_;
  static inline std::atomic<uint64_t> next_arrival_{0};
  std::vector<std::string> decode_errors_;
  std::optional<std::string> closed_;
};

// Waits for a future with the standard timeout; fails the test on timeout.
template <typename T>
std::optional<T> Await(std::future<T>& f) {
  if (f.wait_for(kWaitTimeout) != std::future_status::ready) {
    ADD_FAILURE() << "timed out waiting for a completion";
    return std::nullopt;
  }
  return f.get();
}

// Runs SQL over the HTTP path and waits for its result.
inline Result<std::vector<SqlResult>> RunSql(Database& db, const Caller& caller,
                                             const std::string& text) {
  auto p = std::make_shared<std::promise<Result<std::vector<SqlResult>>>>();
  auto f = p->get_future();
  Status queued =
      db.Sql(caller, text, [p](Result<std::vector<SqlResult>> r) { p->set_value(std::move(r)); });
  if (!queued.ok()) return queued;
  auto r = Await(f);
  if (!r) return InternalError("timed out");
  return std::move(*r);
}

// Calls a reducer over the HTTP path and waits for its outcome.
inline Status CallHttp(Database& db, const Caller& caller, const std::string& reducer, Bytes args) {
  auto p = std::make_shared<std::promise<CallOutcome>>();
  auto f = p->get_future();
  Status queued = db.CallReducer(caller, reducer, std::move(args),
                                 [p](CallOutcome o) { p->set_value(std::move(o)); });
  if (!queued.ok()) return queued;
  auto r = Await(f);
  if (!r) return InternalError("timed out");
  return r->status;
}

// Returns once every request queued before it has been handled (the worker runs work
// in order), so a test can then assert that something was not sent.
inline void Barrier(Database& db) {
  auto r = RunSql(db, Caller{}, "SELECT * FROM no_such_table_barrier");
  // kNotFound proves the worker ran it; kOverloaded would mean it was never queued.
  EXPECT_EQ(r.status().code(), ErrorCode::kNotFound) << r.status().ToString();
}

inline Bytes StringArg(std::string_view s) {
  Bytes out;
  ByteWriter(out).String(s);
  return out;
}

}  // namespace stdb::db::testing
