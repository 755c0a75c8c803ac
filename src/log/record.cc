#include "log/record.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "log/crc32c.h"

namespace stdb::log {
namespace {

// The payload layout is specified in docs/commit-log.md ("Record payload"). Sizes of
// the fixed parts, used both to size a payload without encoding it and to reject
// counts that the remaining bytes could not hold before anything is allocated.
//
//   u64 offset, u64 epoch, u8 kind, i64 timestamp_micros, 32 bytes caller identity
//   (four u64 limbs, least significant first), 16 bytes caller connection id.
constexpr size_t kFixedBytes = 8 + 8 + 1 + 8 + 32 + 16;
constexpr size_t kLengthBytes = 4;             // u32 length of a string / bytes / row
constexpr size_t kCountBytes = 4;              // u32 number of items
constexpr size_t kTableMinBytes = 4 + 4 + 4;   // table id, insert and delete counts
constexpr size_t kSequenceBytes = 4 + 2 + 8;   // table id, column, next
constexpr size_t kRowMinBytes = kLengthBytes;  // an empty row is just its length
constexpr uint8_t kKindMin = static_cast<uint8_t>(RecordKind::kReducer);
constexpr uint8_t kKindMax = static_cast<uint8_t>(RecordKind::kSchema);

uint64_t RowsBytes(const std::vector<Bytes>& rows) {
  uint64_t n = kCountBytes;
  for (const Bytes& row : rows) n += kLengthBytes + row.size();
  return n;
}

void WriteLength(ByteWriter& w, size_t n) {
  STDB_ASSERT(n <= kRecordBytesMax);
  w.U32(static_cast<uint32_t>(n));
}

void WriteRows(ByteWriter& w, const std::vector<Bytes>& rows) {
  WriteLength(w, rows.size());
  for (const Bytes& row : rows) {
    WriteLength(w, row.size());
    w.Raw(row);
  }
}

// Reads the payload with bounds checks; every failure names the field and the byte
// position within the payload. Messages are built only on failure, so the per-row path
// allocates nothing but the row itself.
class Decoder {
 public:
  explicit Decoder(ByteView payload) : r_(payload) {}

  template <typename T>
  Status Fixed(T& v, std::string_view what) {
    if (!r_.Fixed(v)) return Truncated(what);
    return Status::Ok();
  }

  // A u32 length then that many bytes.
  Status Span(ByteView& out, std::string_view what) {
    uint32_t n = 0;
    STDB_RETURN_IF_ERROR(Fixed(n, what));
    if (n > r_.remaining()) return TooLong(what, "length", n, 1);
    (void)r_.Take(n, out);
    return Status::Ok();
  }

  // A u32 count of items each at least `item_bytes_min` long; fails before anything is
  // allocated if the rest of the payload could not hold that many.
  Status Count(uint32_t& n, size_t item_bytes_min, std::string_view what) {
    STDB_RETURN_IF_ERROR(Fixed(n, what));
    if (uint64_t{n} * item_bytes_min > r_.remaining()) {
      return TooLong(what, "count", n, item_bytes_min);
    }
    return Status::Ok();
  }

  Status Rows(std::vector<Bytes>& rows, uint32_t table_index, const char* what) {
    uint32_t n = 0;
    if (Status s = Count(n, kRowMinBytes, what); !s.ok()) return InTable(table_index, s);
    rows.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      ByteView row;
      if (Status s = Span(row, what); !s.ok()) return InTable(table_index, s);
      rows.emplace_back(row.begin(), row.end());
    }
    return Status::Ok();
  }

  Status Trailing() const {
    if (r_.at_end()) return Status::Ok();
    return DecodeError("log record: " + std::to_string(r_.remaining()) +
                       " trailing bytes at byte " + std::to_string(r_.position()));
  }

  // A field that was read whole but holds a value the format does not allow; `at` is
  // where the field starts.
  static Status Invalid(std::string what, size_t at) {
    return DecodeError("log record: " + what + " at byte " + std::to_string(at));
  }

  size_t position() const { return r_.position(); }

 private:
  Status Truncated(std::string_view what) const {
    return DecodeError("log record: truncated " + std::string(what) + " at byte " +
                       std::to_string(r_.position()) + " (" + std::to_string(r_.remaining()) +
                       " bytes left)");
  }
  Status TooLong(std::string_view what, const char* which, uint64_t n, size_t item_bytes) const {
    return DecodeError("log record: " + std::string(what) + " " + which + " " + std::to_string(n) +
                       " needs at least " + std::to_string(n * item_bytes) + " bytes but only " +
                       std::to_string(r_.remaining()) + " are left at byte " +
                       std::to_string(r_.position()));
  }
  static Status InTable(uint32_t table_index, const Status& s) {
    return DecodeError(s.message() + " (table delta " + std::to_string(table_index) + ")");
  }

  ByteReader r_;
};

Status DecodeHeader(Decoder& d, TxRecord& rec) {
  uint8_t kind = 0;
  STDB_RETURN_IF_ERROR(d.Fixed(rec.offset, "offset"));
  STDB_RETURN_IF_ERROR(d.Fixed(rec.epoch, "epoch"));
  const size_t kind_at = d.position();
  STDB_RETURN_IF_ERROR(d.Fixed(kind, "kind"));
  if (kind < kKindMin || kind > kKindMax) {
    return d.Invalid("unknown record kind " + std::to_string(kind), kind_at);
  }
  rec.kind = static_cast<RecordKind>(kind);
  STDB_RETURN_IF_ERROR(d.Fixed(rec.timestamp_micros, "timestamp"));
  for (uint64_t& limb : rec.caller_identity.limbs) {
    STDB_RETURN_IF_ERROR(d.Fixed(limb, "caller identity"));
  }
  uint64_t conn_lo = 0, conn_hi = 0;
  STDB_RETURN_IF_ERROR(d.Fixed(conn_lo, "caller connection id"));
  STDB_RETURN_IF_ERROR(d.Fixed(conn_hi, "caller connection id"));
  rec.caller_connection_id = (u128{conn_hi} << 64) | conn_lo;
  ByteView name, args;
  STDB_RETURN_IF_ERROR(d.Span(name, "name"));
  STDB_RETURN_IF_ERROR(d.Span(args, "args"));
  rec.name.assign(AsStringView(name));
  rec.args.assign(args.begin(), args.end());
  return Status::Ok();
}

Status DecodeDelta(Decoder& d, store::TxDelta& delta) {
  uint32_t tables = 0;
  STDB_RETURN_IF_ERROR(d.Count(tables, kTableMinBytes, "table count"));
  delta.tables.resize(tables);
  for (uint32_t i = 0; i < tables; ++i) {
    store::TableDelta& t = delta.tables[i];
    STDB_RETURN_IF_ERROR(d.Fixed(t.table_id, "table id"));
    STDB_RETURN_IF_ERROR(d.Rows(t.inserts, i, "inserted row"));
    STDB_RETURN_IF_ERROR(d.Rows(t.deletes, i, "deleted row"));
  }
  return Status::Ok();
}

Status DecodeTail(Decoder& d, TxRecord& rec) {
  uint32_t sequences = 0;
  STDB_RETURN_IF_ERROR(d.Count(sequences, kSequenceBytes, "sequence count"));
  rec.sequences.resize(sequences);
  for (SequencePosition& seq : rec.sequences) {
    STDB_RETURN_IF_ERROR(d.Fixed(seq.table_id, "sequence table id"));
    STDB_RETURN_IF_ERROR(d.Fixed(seq.column, "sequence column"));
    STDB_RETURN_IF_ERROR(d.Fixed(seq.next, "sequence next value"));
  }
  ByteView module_def;
  STDB_RETURN_IF_ERROR(d.Span(module_def, "module def"));
  rec.module_def.assign(module_def.begin(), module_def.end());
  uint8_t clear = 0;
  const size_t clear_at = d.position();
  STDB_RETURN_IF_ERROR(d.Fixed(clear, "clear flag"));
  if (clear > 1) {
    return d.Invalid("clear flag " + std::to_string(clear) + " is not 0 or 1", clear_at);
  }
  rec.clear = clear == 1;
  return Status::Ok();
}

}  // namespace

bool operator==(const TxRecord& a, const TxRecord& b) {
  if (a.epoch != b.epoch || a.offset != b.offset || a.kind != b.kind ||
      a.timestamp_micros != b.timestamp_micros || a.caller_identity != b.caller_identity ||
      a.caller_connection_id != b.caller_connection_id || a.name != b.name || a.args != b.args ||
      a.sequences != b.sequences || a.module_def != b.module_def || a.clear != b.clear ||
      a.delta.tables.size() != b.delta.tables.size()) {
    return false;
  }
  for (size_t i = 0; i < a.delta.tables.size(); ++i) {
    const store::TableDelta& x = a.delta.tables[i];
    const store::TableDelta& y = b.delta.tables[i];
    if (x.table_id != y.table_id || x.inserts != y.inserts || x.deletes != y.deletes) {
      return false;
    }
  }
  return true;
}

uint64_t RecordPayloadBytes(const TxRecord& record) {
  uint64_t n = kFixedBytes + kLengthBytes + record.name.size() + kLengthBytes + record.args.size() +
               kCountBytes;
  for (const store::TableDelta& t : record.delta.tables) {
    n += 4 + RowsBytes(t.inserts) + RowsBytes(t.deletes);
  }
  n += kCountBytes + record.sequences.size() * kSequenceBytes;
  n += kLengthBytes + record.module_def.size() + 1;
  return n;
}

void EncodeRecordPayload(const TxRecord& record, Bytes& out) {
  ByteWriter w(out);
  w.U64(record.offset);
  w.U64(record.epoch);
  w.U8(static_cast<uint8_t>(record.kind));
  w.I64(record.timestamp_micros);
  for (uint64_t limb : record.caller_identity.limbs) w.U64(limb);
  w.U64(static_cast<uint64_t>(record.caller_connection_id));
  w.U64(static_cast<uint64_t>(record.caller_connection_id >> 64));
  WriteLength(w, record.name.size());
  w.Raw(AsBytes(record.name));
  WriteLength(w, record.args.size());
  w.Raw(record.args);
  WriteLength(w, record.delta.tables.size());
  for (const store::TableDelta& t : record.delta.tables) {
    w.U32(t.table_id);
    WriteRows(w, t.inserts);
    WriteRows(w, t.deletes);
  }
  WriteLength(w, record.sequences.size());
  for (const SequencePosition& seq : record.sequences) {
    w.U32(seq.table_id);
    w.U16(seq.column);
    w.U64(seq.next);
  }
  WriteLength(w, record.module_def.size());
  w.Raw(record.module_def);
  w.U8(record.clear ? 1 : 0);
}

Result<TxRecord> DecodeRecordPayload(ByteView payload) {
  TxRecord rec;
  Decoder d(payload);
  STDB_RETURN_IF_ERROR(DecodeHeader(d, rec));
  STDB_RETURN_IF_ERROR(DecodeDelta(d, rec.delta));
  STDB_RETURN_IF_ERROR(DecodeTail(d, rec));
  STDB_RETURN_IF_ERROR(d.Trailing());
  return rec;
}

void AppendFramedRecord(const TxRecord& record, Bytes& out) {
  AppendFramedRecord(record, RecordPayloadBytes(record), out);
}

void AppendFramedRecord(const TxRecord& record, uint64_t payload_bytes, Bytes& out) {
  STDB_ASSERT_MSG(payload_bytes <= kRecordBytesMax, "record over kRecordBytesMax");
  const size_t start = out.size();
  // Grow geometrically: the writer frames a whole group into one buffer, and reserving
  // exactly each time would copy the buffer once per record.
  const size_t needed = start + kFrameHeaderBytes + payload_bytes;
  if (out.capacity() < needed) out.reserve(std::max(needed, 2 * out.capacity()));
  out.resize(start + kFrameHeaderBytes);
  EncodeRecordPayload(record, out);
  STDB_ASSERT(out.size() - start - kFrameHeaderBytes == payload_bytes);
  const uint32_t len = static_cast<uint32_t>(payload_bytes);
  uint8_t* header = out.data() + start;
  std::memcpy(header, &len, 4);
  const uint32_t len_crc = Crc32c(ByteView(header, 4));
  const uint32_t payload_crc = Crc32c(ByteView(header + kFrameHeaderBytes, payload_bytes));
  std::memcpy(header + 4, &len_crc, 4);
  std::memcpy(header + 8, &payload_crc, 4);
}

}  // namespace stdb::log
