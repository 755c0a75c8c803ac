// EncodedMessage: one encoded ServerMessage as a list of byte pieces, written out in
// order. Some pieces belong to this message alone (headers, request ids); others are
// shared by every client that receives the same rows (a table update's encoding is
// built once per transaction, not once per subscriber). Copying an EncodedMessage
// copies pointers, never row bytes.
//
// Thread safety: pieces are immutable once appended; an EncodedMessage may be read from
// any number of threads, built from one.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "base/bytes.h"

namespace stdb::protocol {

class EncodedMessage {
 public:
  EncodedMessage() = default;
  // A message encoded in one piece.
  explicit EncodedMessage(Bytes whole);

  // Appends bytes of this message alone (copied).
  void AppendOwned(ByteView bytes);
  // Appends a piece shared with other messages. An empty piece is skipped.
  void AppendShared(std::shared_ptr<const Bytes> piece);

  const std::vector<std::shared_ptr<const Bytes>>& pieces() const { return pieces_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // The message as one contiguous buffer (appended to `out`).
  void AppendTo(Bytes& out) const;
  Bytes Flatten() const;

 private:
  std::vector<std::shared_ptr<const Bytes>> pieces_;
  size_t size_ = 0;
};

}  // namespace stdb::protocol
