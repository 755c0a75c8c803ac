#include "protocol/encoded_message.h"

namespace stdb::protocol {

EncodedMessage::EncodedMessage(Bytes whole) {
  if (!whole.empty()) AppendShared(std::make_shared<const Bytes>(std::move(whole)));
}

void EncodedMessage::AppendOwned(ByteView bytes) {
  if (bytes.empty()) return;
  AppendShared(std::make_shared<const Bytes>(bytes.begin(), bytes.end()));
}

void EncodedMessage::AppendShared(std::shared_ptr<const Bytes> piece) {
  if (piece == nullptr || piece->empty()) return;
  size_ += piece->size();
  pieces_.push_back(std::move(piece));
}

void EncodedMessage::AppendTo(Bytes& out) const {
  out.reserve(out.size() + size_);
  for (const auto& p : pieces_) out.insert(out.end(), p->begin(), p->end());
}

Bytes EncodedMessage::Flatten() const {
  Bytes out;
  AppendTo(out);
  return out;
}

}  // namespace stdb::protocol
