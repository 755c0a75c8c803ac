// The SpacetimeDB client protocol, v2 messages (v3 batches the same messages), as C++
// structs with BSATN encoders and decoders for both directions. Byte layouts:
// ../../docs/protocol.md (a copy of the shared reference) and the tables below.
//
// The server encodes ServerMessages and decodes ClientMessages; test clients and the C++
// client SDK do the opposite, so both directions live here.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/int256.h"
#include "base/status.h"
#include "protocol/encoded_message.h"

namespace stdb::protocol {

// ---- Shared row containers ----

// BsatnRowList = size_hint RowSizeHint, rows_data Bytes, held fully encoded so that the
// same bytes can be shared by every client that receives them.
// RowSizeHint = 0 FixedSize(u16) | 1 RowOffsets(Array<u64>).
class BsatnRowList {
 public:
  BsatnRowList();  // empty list
  // Encodes `rows` (each a BSATN row), choosing FixedSize when all rows have one size.
  static BsatnRowList FromRows(const std::vector<ByteView>& rows);
  static BsatnRowList FromRows(const std::vector<Bytes>& rows);
  // Wraps already-encoded bytes. REQUIRES: `encoded` is a valid BsatnRowList.
  explicit BsatnRowList(std::shared_ptr<const Bytes> encoded, uint32_t count)
      : encoded_(std::move(encoded)), count_(count) {}

  const Bytes& encoded() const { return *encoded_; }
  uint32_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  // Splits the rows using the size hint. REQUIRES: a valid list (as decoded or built).
  std::vector<ByteView> Rows() const;

  // Reads one BsatnRowList; validates the hint against the data.
  static Result<BsatnRowList> Decode(ByteReader& r);

 private:
  std::shared_ptr<const Bytes> encoded_;
  uint32_t count_ = 0;
};

struct SingleTableRows {
  std::string table;
  BsatnRowList rows;
};

struct QueryRows {
  std::vector<SingleTableRows> tables;
};

// A table's changes in one transaction (TableUpdateRows::PersistentTable).
struct TableUpdate {
  std::string table_name;
  BsatnRowList inserts;
  BsatnRowList deletes;
  // The whole TableUpdate encoded (EncodeTableUpdate), when the sender built it once to
  // share among clients; the shared encoder then references it instead of copying rows.
  // Not set by the decoder.
  std::shared_ptr<const Bytes> encoding;
};

// The BSATN of one TableUpdate (table name, one PersistentTable part).
std::shared_ptr<const Bytes> EncodeTableUpdate(const TableUpdate& update);

struct QuerySetUpdate {
  uint32_t query_set_id = 0;
  std::vector<TableUpdate> tables;
};

struct TransactionUpdate {
  std::vector<QuerySetUpdate> query_sets;
};

// ---- Client -> server ----

struct Subscribe {
  uint32_t request_id = 0;
  uint32_t query_set_id = 0;
  std::vector<std::string> queries;
};

enum class UnsubscribeFlags : uint8_t { kDefault = 0, kSendDroppedRows = 1 };

struct Unsubscribe {
  uint32_t request_id = 0;
  uint32_t query_set_id = 0;
  UnsubscribeFlags flags = UnsubscribeFlags::kDefault;
};

struct OneOffQuery {
  uint32_t request_id = 0;
  std::string query;
};

struct CallReducer {
  uint32_t request_id = 0;
  uint8_t flags = 0;
  std::string reducer;
  Bytes args;
};

struct CallProcedure {
  uint32_t request_id = 0;
  uint8_t flags = 0;
  std::string procedure;
  Bytes args;
};

using ClientMessage = std::variant<Subscribe, Unsubscribe, OneOffQuery, CallReducer, CallProcedure>;

// ---- Server -> client ----

struct InitialConnection {
  U256 identity;
  u128 connection_id = 0;
  std::string token;
};

struct SubscribeApplied {
  uint32_t request_id = 0;
  uint32_t query_set_id = 0;
  QueryRows rows;
};

struct UnsubscribeApplied {
  uint32_t request_id = 0;
  uint32_t query_set_id = 0;
  std::optional<QueryRows> rows;
};

struct SubscriptionError {
  std::optional<uint32_t> request_id;
  uint32_t query_set_id = 0;
  std::string error;
};

struct OneOffQueryResult {
  uint32_t request_id = 0;
  bool ok = true;
  QueryRows rows;     // when ok
  std::string error;  // when !ok
};

// ReducerOutcome = 0 Ok{ret_value, transaction_update} | 1 OkEmpty | 2 Err(Bytes) |
// 3 InternalError(String). Err's bytes hold a BSATN String (the SDK reads one).
struct ReducerOutcome {
  enum class Kind : uint8_t { kOk = 0, kOkEmpty = 1, kErr = 2, kInternalError = 3 };
  Kind kind = Kind::kOkEmpty;
  Bytes ret_value;                 // kOk
  TransactionUpdate update;        // kOk
  std::string message;             // kErr (the user error) / kInternalError
};

struct ReducerResult {
  uint32_t request_id = 0;
  int64_t timestamp_micros = 0;
  ReducerOutcome outcome;
};

struct ProcedureResult {
  bool returned = false;  // true: Returned(value); false: InternalError(message)
  Bytes value;
  std::string message;
  int64_t timestamp_micros = 0;
  int64_t host_duration_micros = 0;
  uint32_t request_id = 0;
};

using ServerMessage =
    std::variant<InitialConnection, SubscribeApplied, UnsubscribeApplied, SubscriptionError,
                 TransactionUpdate, OneOffQueryResult, ReducerResult, ProcedureResult>;

// Bounded: decoded collections are limited by the input size; strings by the frame.
void EncodeClientMessage(const ClientMessage& msg, Bytes& out);
Result<ClientMessage> DecodeClientMessage(ByteReader& r);

void EncodeServerMessage(const ServerMessage& msg, Bytes& out);
// The same bytes as pieces: table updates carrying an `encoding` are shared, not copied.
EncodedMessage EncodeServerMessage(const ServerMessage& msg);
Result<ServerMessage> DecodeServerMessage(ByteReader& r);

}  // namespace stdb::protocol
