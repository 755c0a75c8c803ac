// TxRecord: one entry of the commit log (docs/commit-log.md has the byte format).
//
// A record is one committed transaction's inputs (what ran, for whom, when) and its
// outputs (row inserts and deletes per table, sequence positions), or a schema change
// (a module update). Recovery replays outputs only and never re-runs reducers, so it
// does not depend on the module's code.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/int256.h"
#include "base/status.h"
#include "store/tx.h"

namespace stdb::log {

enum class RecordKind : uint8_t {
  // A reducer's transaction (lifecycle and scheduled reducers included): `name` is the
  // reducer, `args` its BSATN arguments.
  kReducer = 1,
  // An SQL INSERT / UPDATE / DELETE: `name` is empty, `args` the statement's text.
  kSql = 2,
  // A module update: `module_def` is the new schema (module::EncodeModuleDef). With
  // `clear`, every table starts empty; otherwise rows are copied into the new schema's
  // tables by name (module update rules). Tables are numbered by the new schema from
  // the next record on. The delta is empty.
  kSchema = 3,
};

// The next value of one auto-increment column after the transaction.
struct SequencePosition {
  uint32_t table_id = 0;
  uint16_t column = 0;
  uint64_t next = 0;
  bool operator==(const SequencePosition&) const = default;
};

struct TxRecord {
  uint64_t epoch = 0;   // replication term; 0 on a single node
  uint64_t offset = 0;  // position in the log: consecutive, from 0
  RecordKind kind = RecordKind::kReducer;
  int64_t timestamp_micros = 0;
  U256 caller_identity;
  u128 caller_connection_id = 0;
  std::string name;
  Bytes args;
  store::TxDelta delta;
  // Tables the transaction changed that have sequences: each sequence's next value.
  std::vector<SequencePosition> sequences;
  // kSchema only.
  Bytes module_def;
  bool clear = false;

  // Field by field (tests and the fuzz target compare decoded records).
  friend bool operator==(const TxRecord& a, const TxRecord& b);
};

// Bounded: the largest record payload accepted when reading (a record larger than this
// is corruption, not a transaction). Writing a larger one fails with kInvalidArgument.
inline constexpr uint32_t kRecordBytesMax = 1u << 30;

// The exact size of the record's payload, without encoding it (CommitLog uses it to
// refuse records over kRecordBytesMax and to bound its queue).
uint64_t RecordPayloadBytes(const TxRecord& record);
// Appends the record's payload (everything but the frame) to `out`.
void EncodeRecordPayload(const TxRecord& record, Bytes& out);
// Decodes a payload. kDecode naming what is wrong for anything malformed (truncated,
// trailing bytes, unknown kind, counts larger than the bytes could hold).
Result<TxRecord> DecodeRecordPayload(ByteView payload);

// Frame = u32 payload length, u32 CRC32C of those 4 length bytes, u32 CRC32C of the
// payload, then the payload (all little-endian).
inline constexpr size_t kFrameHeaderBytes = 12;
// Appends a framed record (header + payload) to `out`.
// REQUIRES: RecordPayloadBytes(record) <= kRecordBytesMax.
void AppendFramedRecord(const TxRecord& record, Bytes& out);
// The same, for a caller that already knows RecordPayloadBytes(record) (CommitLog computes
// it once, when the record is queued; checked against what was encoded).
void AppendFramedRecord(const TxRecord& record, uint64_t payload_bytes, Bytes& out);

}  // namespace stdb::log
