// A bounded multi-producer, single-consumer queue of work items for a database worker.
//
// Bounded: when `capacity` items are waiting, TryPush fails and the producer reports
// overload to its client instead of letting memory grow without limit.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace stdb::db {

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
    {
      std::lock_guard lock(mu_);
      if (closed_ || items_.size() >= capacity_) return false;
      items_.push_back(std::move(item));
    }
    cv_.notify_one();
    return true;
  }

  // Adds `item` even when full (used for work that must not be lost, such as a client's
  // disconnect, whose count is bounded by the number of connections). Fails only when
  // closed.
  bool PushUnbounded(T item) {
    {
      std::lock_guard lock(mu_);
      if (closed_) return false;
      items_.push_back(std::move(item));
    }
    cv_.notify_one();
    return true;
  }

  // Blocks until an item is available or the queue is closed and drained.
  std::optional<T> Pop() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

  // Like Pop, but waits at most `timeout`. Returns nullopt on timeout or when closed and
  // drained; `closed` tells which.
  std::optional<T> PopFor(std::chrono::microseconds timeout, bool& closed) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return closed_ || !items_.empty(); });
    closed = closed_ && items_.empty();
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

  // Stops accepting items; Pop drains what is queued, then returns nullopt.
  void Close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

  size_t size() const {
    std::lock_guard lock(mu_);
    return items_.size();
  }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> items_;
  bool closed_ = false;
};

}  // namespace stdb::db
