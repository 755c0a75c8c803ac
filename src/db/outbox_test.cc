// SendBatch: sends made inside a batch start their writes once, at the batch's end.
#include "db/outbox.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace stdb::db {
namespace {

// Behaves like the network session: the first Send of a quiet connection starts a write
// (here: counts a flush), unless a batch defers it; later Sends ride along until the
// write is done.
class CountingOutbox final : public ClientOutbox, public std::enable_shared_from_this<CountingOutbox> {
 public:
  explicit CountingOutbox(std::vector<std::string>* events, std::string name)
      : events_(events), name_(std::move(name)) {}
  void Send(protocol::EncodedMessage) override {
    ++queued_;
    if (!std::exchange(writing_, true) && !SendBatch::Defer(shared_from_this())) Flush();
  }
  void Close(std::string) override {}
  void Flush() override {
    events_->push_back(name_ + " writes " + std::to_string(queued_));
    queued_ = 0;
    writing_ = false;
  }

 private:
  std::vector<std::string>* events_;
  std::string name_;
  int queued_ = 0;
  bool writing_ = false;
};

TEST(SendBatchTest, SendsInABatchStartOneWritePerOutboxAtItsEnd) {
  std::vector<std::string> events;
  auto a = std::make_shared<CountingOutbox>(&events, "a");
  auto b = std::make_shared<CountingOutbox>(&events, "b");
  {
    SendBatch batch;
    for (int i = 0; i < 3; ++i) {
      a->Send({});
      b->Send({});
    }
    {
      SendBatch inner;  // nested: only the outermost flushes
      a->Send({});
    }
    EXPECT_TRUE(events.empty());
  }
  EXPECT_EQ(events, (std::vector<std::string>{"a writes 4", "b writes 3"}));
  // Outside a batch every quiet Send writes at once.
  a->Send({});
  EXPECT_EQ(events.back(), "a writes 1");
  EXPECT_FALSE(SendBatch::Defer(a));
}

}  // namespace
}  // namespace stdb::db
