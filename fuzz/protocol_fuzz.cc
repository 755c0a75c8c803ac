// Fuzz target for the client protocol decoders: any frame must decode or fail with a
// Status; whatever decodes must re-encode to exactly the bytes it was read from. The
// first byte picks the direction (client messages, which the server reads from the
// network, or server messages, which clients read).
#include <cstdint>

#include "fuzz_check.h"
#include "protocol/messages.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool server_side = (data[0] & 1) != 0;
  stdb::ByteView frame(data + 1, size - 1);
  stdb::ByteReader reader(frame);
  // Read messages back to back as a v3 frame does, until the input ends or one fails.
  while (!reader.at_end()) {
    const size_t start = reader.position();
    stdb::Bytes again;
    if (server_side) {
      auto msg = stdb::protocol::DecodeServerMessage(reader);
      if (!msg.ok()) return 0;
      stdb::protocol::EncodeServerMessage(*msg, again);
      if (const auto* tu = std::get_if<stdb::protocol::TransactionUpdate>(&*msg)) {
        for (const auto& qs : tu->query_sets) {
          for (const auto& t : qs.tables) FUZZ_CHECK(t.inserts.Rows().size() == t.inserts.count());
        }
      }
    } else {
      auto msg = stdb::protocol::DecodeClientMessage(reader);
      if (!msg.ok()) return 0;
      stdb::protocol::EncodeClientMessage(*msg, again);
    }
    const stdb::ByteView consumed = frame.subspan(start, reader.position() - start);
    // Server messages may carry EventTable rows, which re-encode as PersistentTable
    // (the decoder folds them into inserts), so only client messages must be exact.
    if (!server_side) {
      FUZZ_CHECK(again.size() == consumed.size() &&
                 std::equal(again.begin(), again.end(), consumed.begin()));
    }
  }
  return 0;
}
