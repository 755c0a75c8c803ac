#include "protocol/messages.h"

#include <limits>

namespace stdb::protocol {
namespace {

Status Truncated(const char* what) {
  return DecodeError(std::string("malformed message: truncated or invalid ") + what);
}

// ---- decoding helpers ----

bool ReadString(ByteReader& r, std::string& out) {
  ByteView b;
  if (!r.LengthPrefixed(b)) return false;
  out.assign(AsStringView(b));
  return true;
}

bool ReadBytes(ByteReader& r, Bytes& out) {
  ByteView b;
  if (!r.LengthPrefixed(b)) return false;
  out.assign(b.begin(), b.end());
  return true;
}

// Reads an Array count; each element takes at least `min_bytes`, so a count larger than
// the input could hold is rejected before anything is allocated.
bool ReadCount(ByteReader& r, uint32_t& n, size_t min_bytes) {
  return r.Fixed(n) && static_cast<size_t>(n) * min_bytes <= r.remaining();
}

Result<QueryRows> ReadQueryRows(ByteReader& r) {
  QueryRows q;
  uint32_t n = 0;
  if (!ReadCount(r, n, 4)) return Truncated("QueryRows");
  for (uint32_t i = 0; i < n; ++i) {
    SingleTableRows t;
    if (!ReadString(r, t.table)) return Truncated("table name");
    STDB_ASSIGN_OR_RETURN(t.rows, BsatnRowList::Decode(r));
    q.tables.push_back(std::move(t));
  }
  return q;
}

Result<TransactionUpdate> ReadTransactionUpdate(ByteReader& r) {
  TransactionUpdate tu;
  uint32_t n = 0;
  if (!ReadCount(r, n, 8)) return Truncated("TransactionUpdate");
  for (uint32_t i = 0; i < n; ++i) {
    QuerySetUpdate qs;
    uint32_t tables = 0;
    if (!r.Fixed(qs.query_set_id) || !ReadCount(r, tables, 8)) return Truncated("QuerySetUpdate");
    for (uint32_t t = 0; t < tables; ++t) {
      std::string name;
      uint32_t parts = 0;
      if (!ReadString(r, name) || !ReadCount(r, parts, 1)) return Truncated("TableUpdate");
      for (uint32_t p = 0; p < parts; ++p) {
        uint8_t tag = 0;
        if (!r.Fixed(tag)) return Truncated("TableUpdateRows");
        TableUpdate tu_rows;
        tu_rows.table_name = name;
        if (tag == 0) {
          STDB_ASSIGN_OR_RETURN(tu_rows.inserts, BsatnRowList::Decode(r));
          STDB_ASSIGN_OR_RETURN(tu_rows.deletes, BsatnRowList::Decode(r));
        } else if (tag == 1) {
          STDB_ASSIGN_OR_RETURN(tu_rows.inserts, BsatnRowList::Decode(r));  // event rows
        } else {
          return Truncated("TableUpdateRows tag");
        }
        qs.tables.push_back(std::move(tu_rows));
      }
    }
    tu.query_sets.push_back(std::move(qs));
  }
  return tu;
}

// ---- encoding helpers ----

void WriteQueryRows(ByteWriter& w, const QueryRows& q) {
  w.U32(static_cast<uint32_t>(q.tables.size()));
  for (const auto& t : q.tables) {
    w.String(t.table);
    w.Raw(t.rows.encoded());
  }
}

void WriteTableUpdate(ByteWriter& w, const TableUpdate& t) {
  w.String(t.table_name);
  w.U32(1);  // one TableUpdateRows
  w.U8(0);   // PersistentTable
  w.Raw(t.inserts.encoded());
  w.Raw(t.deletes.encoded());
}

// `pieces`: when set, shared table update encodings go there as their own pieces (the
// bytes written to `w` so far are moved there first); otherwise everything goes to `w`.
void WriteTransactionUpdate(ByteWriter& w, const TransactionUpdate& tu, EncodedMessage* pieces) {
  w.U32(static_cast<uint32_t>(tu.query_sets.size()));
  for (const auto& qs : tu.query_sets) {
    w.U32(qs.query_set_id);
    w.U32(static_cast<uint32_t>(qs.tables.size()));
    for (const auto& t : qs.tables) {
      if (t.encoding == nullptr) {
        WriteTableUpdate(w, t);
      } else if (pieces == nullptr) {
        w.Raw(*t.encoding);
      } else {
        pieces->AppendOwned(w.buffer());
        w.buffer().clear();
        pieces->AppendShared(t.encoding);
      }
    }
  }
}

struct ClientEncoder {
  ByteWriter& w;
  void operator()(const Subscribe& m) const {
    w.U8(0);
    w.U32(m.request_id);
    w.U32(m.query_set_id);
    w.U32(static_cast<uint32_t>(m.queries.size()));
    for (const auto& q : m.queries) w.String(q);
  }
  void operator()(const Unsubscribe& m) const {
    w.U8(1);
    w.U32(m.request_id);
    w.U32(m.query_set_id);
    w.U8(static_cast<uint8_t>(m.flags));
  }
  void operator()(const OneOffQuery& m) const {
    w.U8(2);
    w.U32(m.request_id);
    w.String(m.query);
  }
  void operator()(const CallReducer& m) const {
    w.U8(3);
    w.U32(m.request_id);
    w.U8(m.flags);
    w.String(m.reducer);
    w.LengthPrefixed(m.args);
  }
  void operator()(const CallProcedure& m) const {
    w.U8(4);
    w.U32(m.request_id);
    w.U8(m.flags);
    w.String(m.procedure);
    w.LengthPrefixed(m.args);
  }
};

struct ServerEncoder {
  ByteWriter& w;
  EncodedMessage* pieces;  // see WriteTransactionUpdate
  void operator()(const InitialConnection& m) const {
    w.U8(0);
    w.Fixed(m.identity.limbs);
    w.Fixed(m.connection_id);
    w.String(m.token);
  }
  void operator()(const SubscribeApplied& m) const {
    w.U8(1);
    w.U32(m.request_id);
    w.U32(m.query_set_id);
    WriteQueryRows(w, m.rows);
  }
  void operator()(const UnsubscribeApplied& m) const {
    w.U8(2);
    w.U32(m.request_id);
    w.U32(m.query_set_id);
    if (m.rows) {
      w.U8(0);
      WriteQueryRows(w, *m.rows);
    } else {
      w.U8(1);
    }
  }
  void operator()(const SubscriptionError& m) const {
    w.U8(3);
    if (m.request_id) {
      w.U8(0);
      w.U32(*m.request_id);
    } else {
      w.U8(1);
    }
    w.U32(m.query_set_id);
    w.String(m.error);
  }
  void operator()(const TransactionUpdate& m) const {
    w.U8(4);
    WriteTransactionUpdate(w, m, pieces);
  }
  void operator()(const OneOffQueryResult& m) const {
    w.U8(5);
    w.U32(m.request_id);
    if (m.ok) {
      w.U8(0);
      WriteQueryRows(w, m.rows);
    } else {
      w.U8(1);
      w.String(m.error);
    }
  }
  void operator()(const ReducerResult& m) const {
    w.U8(6);
    w.U32(m.request_id);
    w.I64(m.timestamp_micros);
    const ReducerOutcome& o = m.outcome;
    w.U8(static_cast<uint8_t>(o.kind));
    switch (o.kind) {
      case ReducerOutcome::Kind::kOk:
        w.LengthPrefixed(o.ret_value);
        WriteTransactionUpdate(w, o.update, pieces);
        break;
      case ReducerOutcome::Kind::kOkEmpty: break;
      case ReducerOutcome::Kind::kErr: {
        // Err(Bytes) whose contents are a BSATN String: two length prefixes.
        w.U32(static_cast<uint32_t>(o.message.size() + 4));
        w.String(o.message);
        break;
      }
      case ReducerOutcome::Kind::kInternalError: w.String(o.message); break;
    }
  }
  void operator()(const ProcedureResult& m) const {
    w.U8(7);
    if (m.returned) {
      w.U8(0);
      w.LengthPrefixed(m.value);
    } else {
      w.U8(1);
      w.String(m.message);
    }
    w.I64(m.timestamp_micros);
    w.I64(m.host_duration_micros);
    w.U32(m.request_id);
  }
};

Result<ReducerOutcome> ReadReducerOutcome(ByteReader& r) {
  ReducerOutcome o;
  uint8_t tag = 0;
  if (!r.Fixed(tag) || tag > 3) return Truncated("ReducerOutcome");
  o.kind = static_cast<ReducerOutcome::Kind>(tag);
  switch (o.kind) {
    case ReducerOutcome::Kind::kOk: {
      if (!ReadBytes(r, o.ret_value)) return Truncated("ReducerOk");
      STDB_ASSIGN_OR_RETURN(o.update, ReadTransactionUpdate(r));
      break;
    }
    case ReducerOutcome::Kind::kOkEmpty: break;
    case ReducerOutcome::Kind::kErr: {
      ByteView outer;
      if (!r.LengthPrefixed(outer)) return Truncated("ReducerOutcome::Err");
      ByteReader inner(outer);
      if (!ReadString(inner, o.message) || !inner.at_end()) return Truncated("error string");
      break;
    }
    case ReducerOutcome::Kind::kInternalError:
      if (!ReadString(r, o.message)) return Truncated("InternalError");
      break;
  }
  return o;
}

}  // namespace

// ---- BsatnRowList ----

static std::shared_ptr<const Bytes> EmptyRowListBytes() {
  static const auto kEmpty = std::make_shared<const Bytes>(Bytes{0, 0, 0, 0, 0, 0, 0});
  return kEmpty;  // FixedSize(0), empty data
}

BsatnRowList::BsatnRowList() : encoded_(EmptyRowListBytes()), count_(0) {}

BsatnRowList BsatnRowList::FromRows(const std::vector<ByteView>& rows) {
  if (rows.empty()) return BsatnRowList();
  size_t total = 0;
  bool fixed = true;
  for (const auto& row : rows) {
    total += row.size();
    fixed = fixed && row.size() == rows[0].size();
  }
  fixed = fixed && rows[0].size() > 0 && rows[0].size() <= std::numeric_limits<uint16_t>::max();
  auto out = std::make_shared<Bytes>();
  out->reserve(total + 16 + (fixed ? 0 : rows.size() * 8));
  ByteWriter w(*out);
  if (fixed) {
    w.U8(0);
    w.U16(static_cast<uint16_t>(rows[0].size()));
  } else {
    w.U8(1);
    w.U32(static_cast<uint32_t>(rows.size()));
    uint64_t offset = 0;
    for (const auto& row : rows) {
      w.U64(offset);
      offset += row.size();
    }
  }
  w.U32(static_cast<uint32_t>(total));
  for (const auto& row : rows) w.Raw(row);
  return BsatnRowList(std::move(out), static_cast<uint32_t>(rows.size()));
}

BsatnRowList BsatnRowList::FromRows(const std::vector<Bytes>& rows) {
  std::vector<ByteView> views(rows.begin(), rows.end());
  return FromRows(views);
}

std::vector<ByteView> BsatnRowList::Rows() const {
  ByteReader r(*encoded_);
  uint8_t tag = 0;
  STDB_ASSERT(r.Fixed(tag));
  std::vector<ByteView> rows;
  if (tag == 0) {
    uint16_t size = 0;
    ByteView data;
    STDB_ASSERT(r.Fixed(size) && r.LengthPrefixed(data));
    for (size_t at = 0; size > 0 && at + size <= data.size(); at += size) {
      rows.push_back(data.subspan(at, size));
    }
    return rows;
  }
  uint32_t n = 0;
  STDB_ASSERT(r.Fixed(n));
  std::vector<uint64_t> offsets(n);
  for (auto& o : offsets) STDB_ASSERT(r.Fixed(o));
  ByteView data;
  STDB_ASSERT(r.LengthPrefixed(data));
  for (size_t i = 0; i < n; ++i) {
    const uint64_t end = i + 1 < n ? offsets[i + 1] : data.size();
    rows.push_back(data.subspan(offsets[i], end - offsets[i]));
  }
  return rows;
}

Result<BsatnRowList> BsatnRowList::Decode(ByteReader& r) {
  const size_t start = r.position();
  uint8_t tag = 0;
  if (!r.Fixed(tag) || tag > 1) return Truncated("RowSizeHint");
  uint32_t count = 0;
  if (tag == 0) {
    uint16_t size = 0;
    ByteView data;
    if (!r.Fixed(size) || !r.LengthPrefixed(data)) return Truncated("BsatnRowList");
    if (size == 0) {
      if (!data.empty()) return Truncated("BsatnRowList (FixedSize 0 with data)");
    } else {
      if (data.size() % size != 0) return Truncated("BsatnRowList (size not a multiple)");
      count = static_cast<uint32_t>(data.size() / size);
    }
  } else {
    if (!ReadCount(r, count, 8)) return Truncated("RowOffsets");
    std::vector<uint64_t> offsets(count);
    for (auto& o : offsets) {
      if (!r.Fixed(o)) return Truncated("RowOffsets");
    }
    ByteView data;
    if (!r.LengthPrefixed(data)) return Truncated("BsatnRowList data");
    for (size_t i = 0; i < count; ++i) {
      const uint64_t end = i + 1 < count ? offsets[i + 1] : data.size();
      if (offsets[i] > end || end > data.size() || (i == 0 && offsets[0] != 0)) {
        return Truncated("RowOffsets (not increasing)");
      }
    }
    if (count == 0 && !data.empty()) return Truncated("BsatnRowList (data without rows)");
  }
  ByteView all = r.data().subspan(start, r.position() - start);
  return BsatnRowList(std::make_shared<const Bytes>(all.begin(), all.end()), count);
}

// ---- messages ----

void EncodeClientMessage(const ClientMessage& msg, Bytes& out) {
  ByteWriter w(out);
  std::visit(ClientEncoder{w}, msg);
}

void EncodeServerMessage(const ServerMessage& msg, Bytes& out) {
  ByteWriter w(out);
  std::visit(ServerEncoder{w, nullptr}, msg);
}

EncodedMessage EncodeServerMessage(const ServerMessage& msg) {
  EncodedMessage pieces;
  Bytes tail;
  ByteWriter w(tail);
  std::visit(ServerEncoder{w, &pieces}, msg);
  pieces.AppendOwned(tail);
  return pieces;
}

std::shared_ptr<const Bytes> EncodeTableUpdate(const TableUpdate& update) {
  auto out = std::make_shared<Bytes>();
  out->reserve(update.table_name.size() + update.inserts.encoded().size() +
               update.deletes.encoded().size() + 9);
  ByteWriter w(*out);
  WriteTableUpdate(w, update);
  return out;
}

Result<ClientMessage> DecodeClientMessage(ByteReader& r) {
  uint8_t tag = 0;
  if (!r.Fixed(tag)) return Truncated("message tag");
  switch (tag) {
    case 0: {
      Subscribe m;
      uint32_t n = 0;
      if (!r.Fixed(m.request_id) || !r.Fixed(m.query_set_id) || !ReadCount(r, n, 4)) {
        return Truncated("Subscribe");
      }
      m.queries.resize(n);
      for (auto& q : m.queries) {
        if (!ReadString(r, q)) return Truncated("Subscribe query");
      }
      return ClientMessage(std::move(m));
    }
    case 1: {
      Unsubscribe m;
      uint8_t flags = 0;
      if (!r.Fixed(m.request_id) || !r.Fixed(m.query_set_id) || !r.Fixed(flags) || flags > 1) {
        return Truncated("Unsubscribe");
      }
      m.flags = static_cast<UnsubscribeFlags>(flags);
      return ClientMessage(m);
    }
    case 2: {
      OneOffQuery m;
      if (!r.Fixed(m.request_id) || !ReadString(r, m.query)) return Truncated("OneOffQuery");
      return ClientMessage(std::move(m));
    }
    case 3: {
      CallReducer m;
      if (!r.Fixed(m.request_id) || !r.Fixed(m.flags) || !ReadString(r, m.reducer) ||
          !ReadBytes(r, m.args)) {
        return Truncated("CallReducer");
      }
      return ClientMessage(std::move(m));
    }
    case 4: {
      CallProcedure m;
      if (!r.Fixed(m.request_id) || !r.Fixed(m.flags) || !ReadString(r, m.procedure) ||
          !ReadBytes(r, m.args)) {
        return Truncated("CallProcedure");
      }
      return ClientMessage(std::move(m));
    }
    default: return DecodeError("unknown client message tag " + std::to_string(tag));
  }
}

Result<ServerMessage> DecodeServerMessage(ByteReader& r) {
  uint8_t tag = 0;
  if (!r.Fixed(tag)) return Truncated("message tag");
  switch (tag) {
    case 0: {
      InitialConnection m;
      if (!r.Fixed(m.identity.limbs) || !r.Fixed(m.connection_id) || !ReadString(r, m.token)) {
        return Truncated("InitialConnection");
      }
      return ServerMessage(std::move(m));
    }
    case 1: {
      SubscribeApplied m;
      if (!r.Fixed(m.request_id) || !r.Fixed(m.query_set_id)) return Truncated("SubscribeApplied");
      STDB_ASSIGN_OR_RETURN(m.rows, ReadQueryRows(r));
      return ServerMessage(std::move(m));
    }
    case 2: {
      UnsubscribeApplied m;
      uint8_t opt = 0;
      if (!r.Fixed(m.request_id) || !r.Fixed(m.query_set_id) || !r.Fixed(opt) || opt > 1) {
        return Truncated("UnsubscribeApplied");
      }
      if (opt == 0) {
        STDB_ASSIGN_OR_RETURN(auto rows, ReadQueryRows(r));
        m.rows = std::move(rows);
      }
      return ServerMessage(std::move(m));
    }
    case 3: {
      SubscriptionError m;
      uint8_t opt = 0;
      if (!r.Fixed(opt) || opt > 1) return Truncated("SubscriptionError");
      if (opt == 0) {
        uint32_t id = 0;
        if (!r.Fixed(id)) return Truncated("SubscriptionError");
        m.request_id = id;
      }
      if (!r.Fixed(m.query_set_id) || !ReadString(r, m.error)) return Truncated("SubscriptionError");
      return ServerMessage(std::move(m));
    }
    case 4: {
      STDB_ASSIGN_OR_RETURN(auto tu, ReadTransactionUpdate(r));
      return ServerMessage(std::move(tu));
    }
    case 5: {
      OneOffQueryResult m;
      uint8_t res = 0;
      if (!r.Fixed(m.request_id) || !r.Fixed(res) || res > 1) return Truncated("OneOffQueryResult");
      m.ok = res == 0;
      if (m.ok) {
        STDB_ASSIGN_OR_RETURN(m.rows, ReadQueryRows(r));
      } else if (!ReadString(r, m.error)) {
        return Truncated("OneOffQueryResult error");
      }
      return ServerMessage(std::move(m));
    }
    case 6: {
      ReducerResult m;
      if (!r.Fixed(m.request_id) || !r.Fixed(m.timestamp_micros)) return Truncated("ReducerResult");
      STDB_ASSIGN_OR_RETURN(m.outcome, ReadReducerOutcome(r));
      return ServerMessage(std::move(m));
    }
    case 7: {
      ProcedureResult m;
      uint8_t status = 0;
      if (!r.Fixed(status) || status > 1) return Truncated("ProcedureResult");
      m.returned = status == 0;
      if (m.returned ? !ReadBytes(r, m.value) : !ReadString(r, m.message)) {
        return Truncated("ProcedureResult");
      }
      if (!r.Fixed(m.timestamp_micros) || !r.Fixed(m.host_duration_micros) ||
          !r.Fixed(m.request_id)) {
        return Truncated("ProcedureResult");
      }
      return ServerMessage(std::move(m));
    }
    default: return DecodeError("unknown server message tag " + std::to_string(tag));
  }
}

}  // namespace stdb::protocol
