// Tests of WorkQueue, the bounded queue in front of every database worker.
#include "db/work_queue.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>
#include <vector>

namespace stdb::db {
namespace {

TEST(WorkQueue, TryPushFailsWhenFullAndPushUnboundedStillSucceeds) {
  // Proves the capacity bound applies to TryPush only, and items keep FIFO order.
  WorkQueue<int> q(3);
  EXPECT_TRUE(q.TryPush(1));
  EXPECT_TRUE(q.TryPush(2));
  EXPECT_TRUE(q.TryPush(3));
  EXPECT_FALSE(q.TryPush(4));
  EXPECT_EQ(q.size(), 3u);
  EXPECT_TRUE(q.PushUnbounded(5));
  EXPECT_EQ(q.size(), 4u);
  EXPECT_FALSE(q.TryPush(6));
  EXPECT_EQ(*q.Pop(), 1);
  EXPECT_FALSE(q.TryPush(7));  // still at capacity (3 waiting)
  EXPECT_EQ(*q.Pop(), 2);
  EXPECT_TRUE(q.TryPush(8));
  for (int want : {3, 5, 8}) EXPECT_EQ(*q.Pop(), want);
  EXPECT_EQ(q.size(), 0u);
}

TEST(WorkQueue, CloseDrainsWhatIsQueuedThenEnds) {
  // Proves after Close nothing new is accepted, queued items still pop, then Pop
  // returns nullopt (and keeps doing so).
  WorkQueue<int> q(10);
  ASSERT_TRUE(q.TryPush(1));
  ASSERT_TRUE(q.PushUnbounded(2));
  q.Close();
  EXPECT_FALSE(q.TryPush(3));
  EXPECT_FALSE(q.PushUnbounded(4));
  EXPECT_EQ(q.Pop(), 1);
  EXPECT_EQ(q.Pop(), 2);
  EXPECT_EQ(q.Pop(), std::nullopt);
  EXPECT_EQ(q.Pop(), std::nullopt);
}

TEST(WorkQueue, PopBlocksUntilAnItemOrClose) {
  // Proves a waiting consumer wakes for a push and for Close.
  WorkQueue<int> q(1);
  auto first = std::async(std::launch::async, [&] { return q.Pop(); });
  EXPECT_EQ(first.wait_for(std::chrono::milliseconds(20)), std::future_status::timeout);
  ASSERT_TRUE(q.TryPush(42));
  ASSERT_EQ(first.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_EQ(first.get(), 42);
  auto second = std::async(std::launch::async, [&] { return q.Pop(); });
  q.Close();
  ASSERT_EQ(second.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_EQ(second.get(), std::nullopt);
}

TEST(WorkQueue, ManyProducersOneConsumerLoseNothing) {
  // Proves concurrent producers' items all arrive, each producer's in its own order.
  WorkQueue<std::pair<int, int>> q(64);
  constexpr int kProducers = 4;
  constexpr int kItems = 2000;
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&q, p] {
      for (int i = 0; i < kItems; ++i) {
        while (!q.TryPush({p, i})) std::this_thread::yield();
      }
    });
  }
  std::vector<int> next(kProducers, 0);
  for (int n = 0; n < kProducers * kItems; ++n) {
    auto item = q.Pop();
    ASSERT_TRUE(item.has_value());
    EXPECT_EQ(item->second, next[item->first]++);
  }
  for (auto& t : producers) t.join();
  EXPECT_EQ(q.size(), 0u);
}

TEST(WorkQueue, PopBatchTakesAtMostMaxInOrderAndFreesRoomForProducers) {
  WorkQueue<int> q(4);
  for (int i = 1; i <= 4; ++i) ASSERT_TRUE(q.TryPush(i));
  EXPECT_FALSE(q.TryPush(5));
  std::vector<int> out;
  ASSERT_TRUE(q.PopBatch(out, 3));
  EXPECT_EQ(out, (std::vector<int>{1, 2, 3}));
  // What the consumer took no longer counts against the capacity.
  EXPECT_TRUE(q.TryPush(5));
  EXPECT_TRUE(q.TryPush(6));
  EXPECT_TRUE(q.TryPush(7));
  EXPECT_FALSE(q.TryPush(8));
  ASSERT_TRUE(q.PopBatch(out, 100));
  EXPECT_EQ(out, (std::vector<int>{1, 2, 3, 4, 5, 6, 7}));
}

TEST(WorkQueue, PopBatchTimesOutEmptyAndEndsOnlyOnceClosedAndDrained) {
  WorkQueue<int> q(8);
  std::vector<int> out;
  EXPECT_TRUE(q.PopBatch(out, 8, std::chrono::microseconds(1000)));  // timeout: still open
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(q.TryPush(1));
  q.Close();
  EXPECT_TRUE(q.PopBatch(out, 8));
  EXPECT_EQ(out, (std::vector<int>{1}));
  EXPECT_FALSE(q.PopBatch(out, 8));
  EXPECT_FALSE(q.PopBatch(out, 8, std::chrono::microseconds(1000)));
  // A consumer blocked in PopBatch wakes for an item.
  WorkQueue<int> q2(8);
  auto waiting = std::async(std::launch::async, [&] {
    std::vector<int> got;
    q2.PopBatch(got, 8);
    return got;
  });
  EXPECT_EQ(waiting.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  ASSERT_TRUE(q2.TryPush(9));
  ASSERT_EQ(waiting.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_EQ(waiting.get(), (std::vector<int>{9}));
}

}  // namespace
}  // namespace stdb::db
