// ClientOutbox: where a WebSocket client's messages go (implemented by the network
// session), and SendBatch: the sends one thread makes in a row, started together.
#pragma once

#include <memory>
#include <string>

#include "protocol/messages.h"

namespace stdb::db {

class ClientOutbox {
 public:
  virtual ~ClientOutbox() = default;
  // Queues one encoded ServerMessage (its pieces may be shared with other clients'
  // messages). Must not block. If the client cannot keep up, the implementation closes
  // the connection (it never stalls the database). While a SendBatch is open on the
  // calling thread, the implementation may leave starting the write to Flush (Defer).
  virtual void Send(protocol::EncodedMessage message) = 0;
  // Closes the connection with `reason` (sent as the WebSocket close reason).
  virtual void Close(std::string reason) = 0;
  // Starts writing what Send queued under a SendBatch (called once, at its end). A Close
  // in between must start that write itself, ahead of the close, so the messages queued
  // before it are not dropped.
  virtual void Flush() {}
};

// While a SendBatch is open on a thread, an outbox whose Send would start a write (wake
// its connection's IO thread) asks to be flushed when the batch closes instead: the
// release queue opens one around the results of a durable group, so a connection that
// gets the replies of 40 transactions in a row wakes once and sends one frame, rather
// than racing its IO thread into several. Batches nest; the outermost one flushes.
// Bounded: each outbox defers at most once per batch (it has a write pending after).
class SendBatch {
 public:
  SendBatch();
  ~SendBatch();  // Flush()es every outbox that deferred, in order
  SendBatch(const SendBatch&) = delete;
  SendBatch& operator=(const SendBatch&) = delete;

  // From ClientOutbox::Send: if a batch is open on this thread, remembers `outbox` for
  // its end and returns true; otherwise returns false (start the write now).
  static bool Defer(std::shared_ptr<ClientOutbox> outbox);
  // Whether a batch is open on this thread (Defer would defer).
  static bool Active();
};

}  // namespace stdb::db
