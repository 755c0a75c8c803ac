// A bounded multi-producer, single-consumer queue of work items for a database worker.
//
// Bounded: when `capacity` items are waiting, TryPush fails and the producer reports
// overload to its client instead of letting memory grow without limit. (Items the
// consumer took with PopBatch no longer count: they are bounded by its `max`.)
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace stdb::db {

// Sleeping and waking: the consumer sleeps on a futex word (`wakes_`), not on a
// condition variable. glibc re-acquires a condition variable's mutex in its "contended"
// state after every wait, so each sleep of the worker cost a second futex call when it
// next unlocked the queue (measured: ~9k extra calls per 300k transactions). Producers
// bump the word and wake only when the consumer said, under the lock, that it sleeps.
template <typename T>
class WorkQueue {
 public:
  explicit WorkQueue(size_t capacity) : capacity_(capacity) {}

  bool closed() const {
    std::lock_guard lock(mu_);
    return closed_;
  }

  // Adds `item` unless the queue is full or closed. Returns whether it was added.
  bool TryPush(T item) {
    bool wake = false;
    {
      std::lock_guard lock(mu_);
      if (closed_ || items_.size() >= capacity_) return false;
      items_.push_back(std::move(item));
      wake = std::exchange(sleeping_, false);
    }
    if (wake) Wake();
    return true;
  }

  // Adds `item` even when full (used for work that must not be lost, such as a client's
  // disconnect, whose count is bounded by the number of connections). Fails only when
  // closed.
  bool PushUnbounded(T item) {
    bool wake = false;
    {
      std::lock_guard lock(mu_);
      if (closed_) return false;
      items_.push_back(std::move(item));
      wake = std::exchange(sleeping_, false);
    }
    if (wake) Wake();
    return true;
  }

  // Blocks until an item is available or the queue is closed and drained.
  std::optional<T> Pop() {
    std::vector<T> one;
    if (!PopBatch(one, 1) || one.empty()) return std::nullopt;
    return std::move(one.front());
  }

  // Blocks until items are available (or `timeout` passed, when given), then moves up to
  // `max` of them to the end of `out` under one lock: the consumer takes the lock once
  // per batch, not once per item, so producers rarely find it held. Returns false once
  // the queue is closed and drained; true with nothing added on a timeout. One consumer.
  bool PopBatch(std::vector<T>& out, size_t max,
                std::optional<std::chrono::microseconds> timeout = std::nullopt) {
    const auto deadline = timeout ? std::chrono::steady_clock::now() + *timeout
                                  : std::chrono::steady_clock::time_point::max();
    std::unique_lock lock(mu_);
    while (items_.empty() && !closed_) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return true;
      // Read the word before saying we sleep: a push after this changes it, so the
      // futex wait below returns at once instead of missing the wake.
      const uint32_t seen = wakes_.load(std::memory_order_acquire);
      sleeping_ = true;
      lock.unlock();
      SleepWhile(seen, timeout ? std::optional(deadline - now) : std::nullopt);
      lock.lock();
      sleeping_ = false;
    }
    if (items_.empty()) return false;  // closed and drained
    const size_t n = std::min(max, items_.size());
    for (size_t i = 0; i < n; ++i) {
      out.push_back(std::move(items_.front()));
      items_.pop_front();
    }
    return true;
  }

  // Stops accepting items; Pop drains what is queued, then returns nullopt.
  void Close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
      sleeping_ = false;
    }
    Wake();
  }

  size_t size() const {
    std::lock_guard lock(mu_);
    return items_.size();
  }

 private:
  void Wake() {
    wakes_.fetch_add(1, std::memory_order_release);
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&wakes_), FUTEX_WAKE_PRIVATE, 1, nullptr,
            nullptr, 0);
  }
  // Sleeps while `wakes_` still holds `seen` (or until `timeout`; spurious returns are
  // fine: the caller checks the queue again).
  void SleepWhile(uint32_t seen, std::optional<std::chrono::steady_clock::duration> timeout) {
    timespec ts{};
    if (timeout) {
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(*timeout).count();
      ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
      ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    }
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&wakes_), FUTEX_WAIT_PRIVATE, seen,
            timeout ? &ts : nullptr, nullptr, 0);
  }

  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
  const size_t capacity_;
  mutable std::mutex mu_;
  std::deque<T> items_;
  bool closed_ = false;
  bool sleeping_ = false;  // the consumer is (about to be) asleep on wakes_
  std::atomic<uint32_t> wakes_{0};
};

}  // namespace stdb::db
