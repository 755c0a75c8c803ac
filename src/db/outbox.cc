#include "db/outbox.h"

#include <utility>
#include <vector>

namespace stdb::db {
namespace {

struct OpenBatches {
  int depth = 0;
  std::vector<std::shared_ptr<ClientOutbox>> deferred;  // capacity kept between batches
};
thread_local OpenBatches open_batches;

}  // namespace

SendBatch::SendBatch() { ++open_batches.depth; }

SendBatch::~SendBatch() {
  if (--open_batches.depth > 0) return;
  // Flush may send (and, on a test's outbox, open another batch): take the list first.
  std::vector<std::shared_ptr<ClientOutbox>> deferred = std::move(open_batches.deferred);
  for (auto& outbox : deferred) outbox->Flush();
  deferred.clear();
  if (open_batches.deferred.empty()) open_batches.deferred = std::move(deferred);
}

bool SendBatch::Active() { return open_batches.depth > 0; }

bool SendBatch::Defer(std::shared_ptr<ClientOutbox> outbox) {
  if (open_batches.depth == 0) return false;
  open_batches.deferred.push_back(std::move(outbox));
  return true;
}

}  // namespace stdb::db
