// The benchmarks' stdb clients (loadgen_stdb.cc, fanout_stdb.cc) split each server frame
// into its messages here. Only the wire protocol is assumed (docs/protocol.md): a frame
// is a compression tag byte, then one (v2) or several (v3) ServerMessages back to back.
#pragma once

#include "base/bytes.h"
#include "base/status.h"
#include "net/compression.h"
#include "protocol/messages.h"

namespace stdb::bench {

// Decodes `frame` and passes each message to `on_message` (Status(ServerMessage&)).
// Stops at the first message that does not decode, or that on_message rejects.
template <typename OnMessage>
Status ForEachServerMessage(ByteView frame, bool v3, OnMessage&& on_message) {
  if (frame.empty()) return DecodeError("an empty server frame");
  Bytes decompressed;
  ByteView payload = frame.subspan(1);
  if (frame[0] != static_cast<uint8_t>(net::Compression::kNone)) {
    STDB_ASSIGN_OR_RETURN(decompressed, net::DecodeServerFrame(frame));
    payload = decompressed;
  }
  ByteReader reader(payload);
  do {
    STDB_ASSIGN_OR_RETURN(auto message, protocol::DecodeServerMessage(reader));
    STDB_RETURN_IF_ERROR(on_message(message));
  } while (v3 && !reader.at_end());
  if (!reader.at_end()) return DecodeError("trailing bytes after a v2 message");
  return Status::Ok();
}

}  // namespace stdb::bench
