// Tests of the v2 client protocol codecs: exact byte layouts against docs/protocol.md,
// round trips of every message, BsatnRowList encoding and validation, and decoder
// robustness against truncated, oversized and unknown input.
#include "protocol/messages.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>

namespace stdb::protocol {
namespace {

// ---- helpers ----

// Builds expected bytes from little pieces: u8/u32/i64 little-endian and raw text.
class Expect {
 public:
  Expect& U8(uint8_t v) { return Put(v); }
  Expect& U16(uint16_t v) { return Put(v); }
  Expect& U32(uint32_t v) { return Put(v); }
  Expect& U64(uint64_t v) { return Put(v); }
  Expect& I64(int64_t v) { return Put(v); }
  Expect& Raw(std::initializer_list<uint8_t> b) {
    bytes_.insert(bytes_.end(), b);
    return *this;
  }
  Expect& Text(std::string_view s) {
    bytes_.insert(bytes_.end(), s.begin(), s.end());
    return *this;
  }
  // A BSATN String: u32 length then the bytes.
  Expect& Str(std::string_view s) { return U32(static_cast<uint32_t>(s.size())).Text(s); }
  const Bytes& bytes() const { return bytes_; }

 private:
  template <typename T>
  Expect& Put(T v) {
    const size_t at = bytes_.size();
    bytes_.resize(at + sizeof(T));
    std::memcpy(bytes_.data() + at, &v, sizeof(T));
    return *this;
  }
  Bytes bytes_;
};

Bytes Enc(const ServerMessage& m) {
  Bytes out;
  EncodeServerMessage(m, out);
  return out;
}

Bytes Enc(const ClientMessage& m) {
  Bytes out;
  EncodeClientMessage(m, out);
  return out;
}

std::string Hex(const Bytes& b) { return ToHex(b); }

// A readable, complete rendering of a message, used to compare decoded messages with
// the originals field by field (independently of the encoder).
std::string Show(const BsatnRowList& l) {
  std::string s = "rows[" + std::to_string(l.count()) + "]{";
  for (ByteView r : l.Rows()) s += ToHex(r) + ",";
  return s + "}";
}
std::string Show(const QueryRows& q) {
  std::string s = "qr{";
  for (const auto& t : q.tables) s += t.table + ":" + Show(t.rows) + ";";
  return s + "}";
}
std::string Show(const TransactionUpdate& tu) {
  std::string s = "tu{";
  for (const auto& qs : tu.query_sets) {
    s += "set" + std::to_string(qs.query_set_id) + "[";
    for (const auto& t : qs.tables) {
      s += t.table_name + ": +" + Show(t.inserts) + " -" + Show(t.deletes) + ";";
    }
    s += "]";
  }
  return s + "}";
}

std::string Show(const ClientMessage& msg) {
  std::ostringstream o;
  std::visit(
      [&](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, Subscribe>) {
          o << "Subscribe " << m.request_id << " " << m.query_set_id;
          for (const auto& q : m.queries) o << " [" << q << "]";
        } else if constexpr (std::is_same_v<M, Unsubscribe>) {
          o << "Unsubscribe " << m.request_id << " " << m.query_set_id << " "
            << static_cast<int>(m.flags);
        } else if constexpr (std::is_same_v<M, OneOffQuery>) {
          o << "OneOffQuery " << m.request_id << " [" << m.query << "]";
        } else if constexpr (std::is_same_v<M, CallReducer>) {
          o << "CallReducer " << m.request_id << " " << int{m.flags} << " " << m.reducer << " "
            << ToHex(m.args);
        } else {
          o << "CallProcedure " << m.request_id << " " << int{m.flags} << " " << m.procedure << " "
            << ToHex(m.args);
        }
      },
      msg);
  return o.str();
}

std::string Show(const ServerMessage& msg) {
  std::ostringstream o;
  std::visit(
      [&](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, InitialConnection>) {
          o << "InitialConnection " << ToDecimal(m.identity) << " " << ToDecimal(m.connection_id)
            << " " << m.token;
        } else if constexpr (std::is_same_v<M, SubscribeApplied>) {
          o << "SubscribeApplied " << m.request_id << " " << m.query_set_id << " " << Show(m.rows);
        } else if constexpr (std::is_same_v<M, UnsubscribeApplied>) {
          o << "UnsubscribeApplied " << m.request_id << " " << m.query_set_id << " "
            << (m.rows ? Show(*m.rows) : "none");
        } else if constexpr (std::is_same_v<M, SubscriptionError>) {
          o << "SubscriptionError " << (m.request_id ? std::to_string(*m.request_id) : "none")
            << " " << m.query_set_id << " " << m.error;
        } else if constexpr (std::is_same_v<M, TransactionUpdate>) {
          o << "TransactionUpdate " << Show(m);
        } else if constexpr (std::is_same_v<M, OneOffQueryResult>) {
          o << "OneOffQueryResult " << m.request_id << " "
            << (m.ok ? Show(m.rows) : "err " + m.error);
        } else if constexpr (std::is_same_v<M, ReducerResult>) {
          o << "ReducerResult " << m.request_id << " " << m.timestamp_micros << " "
            << static_cast<int>(m.outcome.kind);
          switch (m.outcome.kind) {
            case ReducerOutcome::Kind::kOk:
              o << " " << ToHex(m.outcome.ret_value) << " " << Show(m.outcome.update);
              break;
            case ReducerOutcome::Kind::kOkEmpty:
              break;
            default:
              o << " " << m.outcome.message;
          }
        } else {
          o << "ProcedureResult " << m.returned << " " << (m.returned ? ToHex(m.value) : m.message)
            << " " << m.timestamp_micros << " " << m.host_duration_micros << " " << m.request_id;
        }
      },
      msg);
  return o.str();
}

Result<ServerMessage> DecodeServerAll(const Bytes& b) {
  ByteReader r(b);
  STDB_ASSIGN_OR_RETURN(auto m, DecodeServerMessage(r));
  if (!r.at_end()) return DecodeError("trailing bytes");
  return m;
}

Result<ClientMessage> DecodeClientAll(const Bytes& b) {
  ByteReader r(b);
  STDB_ASSIGN_OR_RETURN(auto m, DecodeClientMessage(r));
  if (!r.at_end()) return DecodeError("trailing bytes");
  return m;
}

BsatnRowList Rows(std::vector<Bytes> rows) { return BsatnRowList::FromRows(rows); }

// One example of every message, with content in every field.
std::vector<ClientMessage> ClientExamples() {
  return {Subscribe{1, 2, {"SELECT * FROM a", ""}},
          Unsubscribe{3, 4, UnsubscribeFlags::kDefault},
          Unsubscribe{3, 4, UnsubscribeFlags::kSendDroppedRows},
          OneOffQuery{5, "SELECT 1"},
          CallReducer{6, 0, "send", {1, 2, 3}},
          CallProcedure{7, 0, "proc", {}}};
}

std::vector<ServerMessage> ServerExamples() {
  TransactionUpdate tu{{QuerySetUpdate{
      9,
      {TableUpdate{"t", Rows({{1, 2}, {3, 4}}), Rows({{5}})}, TableUpdate{"u", {}, Rows({{}})}}}}};
  ReducerResult ok{1, -5, {}};
  ok.outcome.kind = ReducerOutcome::Kind::kOk;
  ok.outcome.ret_value = {0xee};
  ok.outcome.update = tu;
  ReducerResult empty{2, 0, {}};
  ReducerResult err{3, 7, {}};
  err.outcome.kind = ReducerOutcome::Kind::kErr;
  err.outcome.message = "bad";
  ReducerResult internal{4, 8, {}};
  internal.outcome.kind = ReducerOutcome::Kind::kInternalError;
  internal.outcome.message = "worse";
  OneOffQueryResult q_ok{5, true, QueryRows{{SingleTableRows{"", Rows({{1}, {2, 3}})}}}, ""};
  OneOffQueryResult q_err{6, false, {}, "no such table"};
  return {InitialConnection{U256{{1, 2, 3, 4}}, u128{5} << 64 | 6, "tok"},
          SubscribeApplied{1, 2, QueryRows{{SingleTableRows{"t", Rows({{1}})}}}},
          UnsubscribeApplied{1, 2, QueryRows{}},
          UnsubscribeApplied{1, 2, std::nullopt},
          SubscriptionError{7, 8, "oops"},
          SubscriptionError{std::nullopt, 8, "fatal"},
          tu,
          q_ok,
          q_err,
          ok,
          empty,
          err,
          internal,
          ProcedureResult{true, {9, 9}, "", 10, 11, 12},
          ProcedureResult{false, {}, "not supported", -1, 0, 13}};
}

// clang-format off: byte layouts read best one field per call, as protocol.md lists them.
// ---- exact byte layouts (docs/protocol.md) ----

TEST(ClientMessageBytes, EveryVariantHasTheDocumentedLayout) {
  // Proves each client message encodes to the hand-computed bytes of protocol.md.
  EXPECT_EQ(Hex(Enc(Subscribe{1, 2, {"ab"}})),
            Hex(Expect().U8(0).U32(1).U32(2).U32(1).Str("ab").bytes()));
  EXPECT_EQ(Hex(Enc(Unsubscribe{3, 4, UnsubscribeFlags::kSendDroppedRows})),
            Hex(Expect().U8(1).U32(3).U32(4).U8(1).bytes()));
  EXPECT_EQ(Hex(Enc(Unsubscribe{3, 4, UnsubscribeFlags::kDefault})),
            Hex(Expect().U8(1).U32(3).U32(4).U8(0).bytes()));
  EXPECT_EQ(Hex(Enc(OneOffQuery{5, "q"})), Hex(Expect().U8(2).U32(5).Str("q").bytes()));
  EXPECT_EQ(Hex(Enc(CallReducer{6, 0, "r", {0xaa}})),
            Hex(Expect().U8(3).U32(6).U8(0).Str("r").U32(1).Raw({0xaa}).bytes()));
  EXPECT_EQ(Hex(Enc(CallProcedure{7, 0, "p", {}})),
            Hex(Expect().U8(4).U32(7).U8(0).Str("p").U32(0).bytes()));
  // And the literal bytes of one, as the SDK would send them.
  EXPECT_EQ(Hex(Enc(Unsubscribe{0x01020304, 5, UnsubscribeFlags::kSendDroppedRows})),
            "01"
            "04030201"
            "05000000"
            "01");
}

TEST(ServerMessageBytes, InitialConnectionIsLittleEndianIdentityAndConnectionId) {
  // Proves identity is 32 LE bytes (limb 0 first) and connection id 16 LE bytes.
  const Bytes b = Enc(InitialConnection{U256{{0x0102, 0, 0, uint64_t{0xab} << 56}}, 0x0304, "t"});
  EXPECT_EQ(Hex(b),
            "00"
            "0201000000000000"
            "0000000000000000"
            "0000000000000000"
            "00000000000000ab"
            "0403000000000000"
            "0000000000000000"
            "01000000"
            "74");
}

TEST(ServerMessageBytes, SubscribeAppliedCarriesQueryRowsWithAFixedSizeRowList) {
  // Proves QueryRows = Array<SingleTableRows{table, BsatnRowList}> and FixedSize rows.
  const Bytes b =
      Enc(SubscribeApplied{1, 2, QueryRows{{SingleTableRows{"t", Rows({{1, 2}, {3, 4}})}}}});
  EXPECT_EQ(Hex(b), Hex(Expect()
                            .U8(1)
                            .U32(1)
                            .U32(2)
                            .U32(1)
                            .Str("t")
                            .U8(0)
                            .U16(2)
                            .U32(4)
                            .Raw({1, 2, 3, 4})
                            .bytes()));
}

TEST(ServerMessageBytes, UnsubscribeAppliedOptionTagsAreSomeZeroNoneOne) {
  // Proves Option<QueryRows> uses tag 0 for some (followed by rows) and 1 for none.
  EXPECT_EQ(Hex(Enc(UnsubscribeApplied{1, 2, QueryRows{}})),
            Hex(Expect().U8(2).U32(1).U32(2).U8(0).U32(0).bytes()));
  EXPECT_EQ(Hex(Enc(UnsubscribeApplied{1, 2, std::nullopt})),
            Hex(Expect().U8(2).U32(1).U32(2).U8(1).bytes()));
}

TEST(ServerMessageBytes, SubscriptionErrorRequestIdIsAnOptionBeforeTheSetId) {
  // Proves request_id is Option<u32> (some=0 + u32, none=1) and comes first.
  EXPECT_EQ(Hex(Enc(SubscriptionError{9, 3, "e"})),
            Hex(Expect().U8(3).U8(0).U32(9).U32(3).Str("e").bytes()));
  EXPECT_EQ(Hex(Enc(SubscriptionError{std::nullopt, 3, "e"})),
            Hex(Expect().U8(3).U8(1).U32(3).Str("e").bytes()));
}

TEST(ServerMessageBytes, TransactionUpdateUsesPersistentTableWithInsertsFirst) {
  // Proves TableUpdate = name, Array<TableUpdateRows> with one PersistentTable (tag 0)
  // holding inserts then deletes, and an empty list is FixedSize(0) with no data.
  TransactionUpdate tu{{QuerySetUpdate{5, {TableUpdate{"t", Rows({{7}}), BsatnRowList()}}}}};
  EXPECT_EQ(Hex(Enc(tu)), Hex(Expect()
                                  .U8(4)
                                  .U32(1)
                                  .U32(5)
                                  .U32(1)
                                  .Str("t")
                                  .U32(1)
                                  .U8(0)
                                  .U8(0)
                                  .U16(1)
                                  .U32(1)
                                  .Raw({7})
                                  .U8(0)
                                  .U16(0)
                                  .U32(0)
                                  .bytes()));
}

TEST(ServerMessageBytes, OneOffQueryResultIsAResult) {
  // Proves Result<QueryRows, String>: tag 0 ok with rows, tag 1 err with a string.
  EXPECT_EQ(Hex(Enc(OneOffQueryResult{4, true, QueryRows{}, ""})),
            Hex(Expect().U8(5).U32(4).U8(0).U32(0).bytes()));
  EXPECT_EQ(Hex(Enc(OneOffQueryResult{4, false, QueryRows{}, "no"})),
            Hex(Expect().U8(5).U32(4).U8(1).Str("no").bytes()));
}

TEST(ServerMessageBytes, ReducerResultErrHasTwoLengthPrefixes) {
  // Proves every ReducerOutcome variant, in particular Err(Bytes) whose bytes are a BSATN
  // String (outer length = inner length + 4), which is what the SDK reads.
  ReducerResult err{1, -2, {}};
  err.outcome.kind = ReducerOutcome::Kind::kErr;
  err.outcome.message = "no";
  EXPECT_EQ(Hex(Enc(err)),
            "06"
            "01000000"
            "feffffffffffffff"
            "02"
            "06000000"
            "02000000"
            "6e6f");
  ReducerResult empty{1, 3, {}};
  EXPECT_EQ(Hex(Enc(empty)), Hex(Expect().U8(6).U32(1).I64(3).U8(1).bytes()));
  ReducerResult internal{1, 3, {}};
  internal.outcome.kind = ReducerOutcome::Kind::kInternalError;
  internal.outcome.message = "x";
  EXPECT_EQ(Hex(Enc(internal)), Hex(Expect().U8(6).U32(1).I64(3).U8(3).Str("x").bytes()));
  ReducerResult ok{1, 3, {}};
  ok.outcome.kind = ReducerOutcome::Kind::kOk;
  ok.outcome.ret_value = {0xab};
  ok.outcome.update.query_sets.push_back(QuerySetUpdate{2, {}});
  EXPECT_EQ(
      Hex(Enc(ok)),
      Hex(Expect().U8(6).U32(1).I64(3).U8(0).U32(1).Raw({0xab}).U32(1).U32(2).U32(0).bytes()));
}

TEST(ServerMessageBytes, ProcedureResultPutsStatusFirstAndRequestIdLast) {
  // Proves ProcedureResult's unusual field order: status, timestamp, duration, request_id.
  EXPECT_EQ(Hex(Enc(ProcedureResult{true, {0xcd}, "", 10, 20, 30})),
            Hex(Expect().U8(7).U8(0).U32(1).Raw({0xcd}).I64(10).I64(20).U32(30).bytes()));
  EXPECT_EQ(Hex(Enc(ProcedureResult{false, {}, "m", 10, 20, 30})),
            Hex(Expect().U8(7).U8(1).Str("m").I64(10).I64(20).U32(30).bytes()));
}

// ---- BsatnRowList ----

TEST(BsatnRowList, EmptyListIsFixedSizeZeroWithNoData) {
  // Proves the default and FromRows({}) encode as FixedSize(0), empty data.
  EXPECT_EQ(Hex(BsatnRowList().encoded()),
            "00"
            "0000"
            "00000000");
  EXPECT_EQ(Hex(BsatnRowList::FromRows(std::vector<Bytes>{}).encoded()),
            "00"
            "0000"
            "00000000");
  EXPECT_TRUE(BsatnRowList().Rows().empty());
  EXPECT_TRUE(BsatnRowList().empty());
}

TEST(BsatnRowList, EqualSizedRowsUseFixedSize) {
  // Proves rows of one non-zero size are FixedSize(n) and split back exactly.
  BsatnRowList l = Rows({{1, 2, 3}, {4, 5, 6}});
  EXPECT_EQ(Hex(l.encoded()),
            "00"
            "0300"
            "06000000"
            "010203040506");
  EXPECT_EQ(l.count(), 2u);
  auto rows = l.Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(Bytes(rows[1].begin(), rows[1].end()), (Bytes{4, 5, 6}));
}

TEST(BsatnRowList, MixedSizesUseRowOffsetsFromZero) {
  // Proves rows of different sizes are RowOffsets with each row's start, first at 0.
  BsatnRowList l = Rows({{1}, {2, 3}, {}, {4}});
  EXPECT_EQ(
      Hex(l.encoded()),
      Hex(Expect().U8(1).U32(4).U64(0).U64(1).U64(3).U64(3).U32(4).Raw({1, 2, 3, 4}).bytes()));
  auto rows = l.Rows();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].size(), 1u);
  EXPECT_EQ(rows[1].size(), 2u);
  EXPECT_EQ(rows[2].size(), 0u);
  EXPECT_EQ(rows[3][0], 4);
}

TEST(BsatnRowList, ZeroSizedAndHugeRowsUseRowOffsets) {
  // Proves FixedSize is not used where it cannot describe the rows: size 0 (which would
  // lose the count) and sizes beyond u16.
  BsatnRowList units = Rows({{}, {}, {}});
  EXPECT_EQ(units.encoded()[0], 1);
  EXPECT_EQ(units.count(), 3u);
  EXPECT_EQ(units.Rows().size(), 3u);
  Bytes big(70000, 0x5a);
  BsatnRowList huge = Rows({big, big});
  EXPECT_EQ(huge.encoded()[0], 1);
  auto rows = huge.Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].size(), 70000u);
  Bytes max(65535, 1);
  EXPECT_EQ(Rows({max}).encoded()[0], 0);
}

TEST(BsatnRowList, DecodeAcceptsWhatFromRowsBuildsAndCountsRows) {
  // Proves Decode reads exactly one list, keeps its bytes, and recovers count and rows.
  for (const BsatnRowList& l : {BsatnRowList(), Rows({{1}}), Rows({{1, 2}, {3, 4}}),
                                Rows({{1}, {}, {2, 3, 4}}), Rows({{}, {}})}) {
    Bytes b = l.encoded();
    b.push_back(0x99);  // what follows is not read
    ByteReader r(b);
    auto d = BsatnRowList::Decode(r);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_EQ(r.remaining(), 1u);
    EXPECT_EQ(d->encoded(), l.encoded());
    EXPECT_EQ(d->count(), l.count());
    EXPECT_EQ(Show(*d), Show(l));
  }
}

TEST(BsatnRowList, DecodeRejectsHintsThatDoNotDescribeTheData) {
  // Proves every inconsistency between the size hint and the data is a kDecode error.
  const std::vector<std::pair<const char*, Bytes>> bad = {
      {"unknown hint tag", Expect().U8(2).U32(0).bytes()},
      {"fixed size not dividing the data", Expect().U8(0).U16(2).U32(3).Raw({1, 2, 3}).bytes()},
      {"fixed size 0 with data", Expect().U8(0).U16(0).U32(1).Raw({1}).bytes()},
      {"offsets not starting at 0", Expect().U8(1).U32(1).U64(1).U32(2).Raw({1, 2}).bytes()},
      {"offsets decreasing",
       Expect().U8(1).U32(3).U64(0).U64(2).U64(1).U32(3).Raw({1, 2, 3}).bytes()},
      {"offset past the data", Expect().U8(1).U32(2).U64(0).U64(9).U32(3).Raw({1, 2, 3}).bytes()},
      {"data without rows", Expect().U8(1).U32(0).U32(1).Raw({1}).bytes()},
      {"data shorter than its length", Expect().U8(0).U16(1).U32(5).Raw({1}).bytes()},
      {"offsets truncated", Expect().U8(1).U32(2).U64(0).bytes()},
  };
  for (const auto& [what, bytes] : bad) {
    ByteReader r(bytes);
    auto d = BsatnRowList::Decode(r);
    ASSERT_FALSE(d.ok()) << what;
    EXPECT_EQ(d.status().code(), ErrorCode::kDecode) << what;
  }
}

// clang-format on

// ---- round trips ----

TEST(MessageRoundTrip, EveryExampleDecodesToWhatWasEncoded) {
  // Proves decode(encode(m)) == m for one example of every variant, consuming all bytes.
  for (const auto& m : ClientExamples()) {
    auto d = DecodeClientAll(Enc(m));
    ASSERT_TRUE(d.ok()) << Show(m) << ": " << d.status().ToString();
    EXPECT_EQ(d->index(), m.index());
    EXPECT_EQ(Show(*d), Show(m));
  }
  for (const auto& m : ServerExamples()) {
    auto d = DecodeServerAll(Enc(m));
    ASSERT_TRUE(d.ok()) << Show(m) << ": " << d.status().ToString();
    EXPECT_EQ(d->index(), m.index());
    EXPECT_EQ(Show(*d), Show(m));
  }
}

TEST(MessageRoundTrip, BatchedMessagesDecodeOneAfterAnother) {
  // Proves a decoder stops at the end of its message, so v3 frames holding several
  // messages back to back decode in a loop.
  Bytes frame;
  const auto examples = ClientExamples();
  for (const auto& m : examples) EncodeClientMessage(m, frame);
  ByteReader r(frame);
  for (const auto& m : examples) {
    auto d = DecodeClientMessage(r);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_EQ(Show(*d), Show(m));
  }
  EXPECT_TRUE(r.at_end());
}

std::string GenText() {
  return *rc::gen::container<std::string>(*rc::gen::inRange(0, 12), rc::gen::arbitrary<char>());
}

Bytes GenBytes(int max = 10) {
  return *rc::gen::container<Bytes>(*rc::gen::inRange(0, max), rc::gen::arbitrary<uint8_t>());
}

BsatnRowList GenRowList() {
  const int n = *rc::gen::inRange(0, 5);
  const bool same = *rc::gen::arbitrary<bool>();
  const int size = *rc::gen::inRange(0, 6);
  std::vector<Bytes> rows;
  for (int i = 0; i < n; ++i) {
    rows.push_back(same ? *rc::gen::container<Bytes>(size, rc::gen::arbitrary<uint8_t>())
                        : GenBytes(6));
  }
  return BsatnRowList::FromRows(rows);
}

QueryRows GenQueryRows() {
  QueryRows q;
  const int n = *rc::gen::inRange(0, 3);
  for (int i = 0; i < n; ++i) q.tables.push_back(SingleTableRows{GenText(), GenRowList()});
  return q;
}

TransactionUpdate GenTransactionUpdate() {
  TransactionUpdate tu;
  const int sets = *rc::gen::inRange(0, 3);
  for (int i = 0; i < sets; ++i) {
    QuerySetUpdate qs{*rc::gen::arbitrary<uint32_t>(), {}};
    const int tables = *rc::gen::inRange(0, 3);
    for (int t = 0; t < tables; ++t) {
      TableUpdate update{GenText(), GenRowList(), GenRowList(), nullptr};
      // As the subscription manager does: encoded once, to be shared.
      if (*rc::gen::arbitrary<bool>()) update.encoding = EncodeTableUpdate(update);
      qs.tables.push_back(std::move(update));
    }
    tu.query_sets.push_back(std::move(qs));
  }
  return tu;
}

ClientMessage GenClientMessage() {
  const uint32_t req = *rc::gen::arbitrary<uint32_t>();
  switch (*rc::gen::inRange(0, 5)) {
    case 0: {
      Subscribe m{req, *rc::gen::arbitrary<uint32_t>(), {}};
      const int n = *rc::gen::inRange(0, 4);
      for (int i = 0; i < n; ++i) m.queries.push_back(GenText());
      return m;
    }
    case 1:
      return Unsubscribe{req, *rc::gen::arbitrary<uint32_t>(),
                         *rc::gen::arbitrary<bool>() ? UnsubscribeFlags::kSendDroppedRows
                                                     : UnsubscribeFlags::kDefault};
    case 2:
      return OneOffQuery{req, GenText()};
    case 3:
      return CallReducer{req, *rc::gen::arbitrary<uint8_t>(), GenText(), GenBytes()};
    default:
      return CallProcedure{req, *rc::gen::arbitrary<uint8_t>(), GenText(), GenBytes()};
  }
}

ServerMessage GenServerMessage() {
  const uint32_t req = *rc::gen::arbitrary<uint32_t>();
  const uint32_t set = *rc::gen::arbitrary<uint32_t>();
  switch (*rc::gen::inRange(0, 8)) {
    case 0: {
      InitialConnection m;
      for (auto& l : m.identity.limbs) l = *rc::gen::arbitrary<uint64_t>();
      m.connection_id = static_cast<u128>(*rc::gen::arbitrary<uint64_t>()) << 64 |
                        *rc::gen::arbitrary<uint64_t>();
      m.token = GenText();
      return m;
    }
    case 1:
      return SubscribeApplied{req, set, GenQueryRows()};
    case 2:
      return UnsubscribeApplied{
          req, set, *rc::gen::arbitrary<bool>() ? std::optional(GenQueryRows()) : std::nullopt};
    case 3:
      return SubscriptionError{*rc::gen::arbitrary<bool>() ? std::optional(req) : std::nullopt, set,
                               GenText()};
    case 4:
      return GenTransactionUpdate();
    case 5: {
      OneOffQueryResult m{req, *rc::gen::arbitrary<bool>(), {}, ""};
      if (m.ok) {
        m.rows = GenQueryRows();
      } else {
        m.error = GenText();
      }
      return m;
    }
    case 6: {
      ReducerResult m{req, *rc::gen::arbitrary<int64_t>(), {}};
      m.outcome.kind = static_cast<ReducerOutcome::Kind>(*rc::gen::inRange(0, 4));
      if (m.outcome.kind == ReducerOutcome::Kind::kOk) {
        m.outcome.ret_value = GenBytes();
        m.outcome.update = GenTransactionUpdate();
      } else if (m.outcome.kind != ReducerOutcome::Kind::kOkEmpty) {
        m.outcome.message = GenText();
      }
      return m;
    }
    default: {
      ProcedureResult m;
      m.returned = *rc::gen::arbitrary<bool>();
      if (m.returned) {
        m.value = GenBytes();
      } else {
        m.message = GenText();
      }
      m.timestamp_micros = *rc::gen::arbitrary<int64_t>();
      m.host_duration_micros = *rc::gen::arbitrary<int64_t>();
      m.request_id = req;
      return m;
    }
  }
}

RC_GTEST_PROP(MessageProperty, ClientMessagesRoundTrip, ()) {
  // A random client message decodes to itself (field by field) and re-encodes identically.
  const ClientMessage m = GenClientMessage();
  const Bytes b = Enc(m);
  auto d = DecodeClientAll(b);
  if (!d.ok()) RC_FAIL(Show(m) + ": " + d.status().ToString());
  RC_ASSERT(Show(*d) == Show(m));
  RC_ASSERT(Enc(*d) == b);
}

RC_GTEST_PROP(MessageProperty, ServerMessagesRoundTrip, ()) {
  // A random server message decodes to itself (field by field) and re-encodes identically.
  const ServerMessage m = GenServerMessage();
  const Bytes b = Enc(m);
  auto d = DecodeServerAll(b);
  if (!d.ok()) RC_FAIL(Show(m) + ": " + d.status().ToString());
  RC_ASSERT(Show(*d) == Show(m));
  RC_ASSERT(Enc(*d) == b);
}

// ---- robustness ----

RC_GTEST_PROP(MessageProperty, EveryTruncationOfAMessageFailsCleanly, ()) {
  // Every proper prefix of a valid message is an error, never a crash or a message.
  const bool server = *rc::gen::arbitrary<bool>();
  const Bytes b = server ? Enc(GenServerMessage()) : Enc(GenClientMessage());
  for (size_t n = 0; n < b.size(); ++n) {
    ByteView prefix(b.data(), n);
    ByteReader r(prefix);
    if (server) {
      auto d = DecodeServerMessage(r);
      RC_ASSERT(!d.ok());
      RC_ASSERT(d.status().code() == ErrorCode::kDecode);
    } else {
      auto d = DecodeClientMessage(r);
      RC_ASSERT(!d.ok());
      RC_ASSERT(d.status().code() == ErrorCode::kDecode);
    }
  }
}

RC_GTEST_PROP(MessageProperty, ArbitraryBytesNeverCrashTheDecoders, ()) {
  // Random input (often starting with a valid tag) either decodes or fails with kDecode.
  // A client message that decodes re-encodes to the bytes it consumed. (Server messages
  // need not: an EventTable part re-encodes as a PersistentTable.)
  Bytes b = GenBytes(64);
  if (!b.empty()) b[0] = static_cast<uint8_t>(b[0] % 9);
  {
    ByteReader r(b);
    auto d = DecodeServerMessage(r);
    RC_ASSERT(d.ok() || d.status().code() == ErrorCode::kDecode);
    RC_ASSERT(r.position() <= b.size());
  }
  ByteReader r(b);
  auto d = DecodeClientMessage(r);
  if (d.ok()) {
    RC_ASSERT(Enc(*d) == Bytes(b.begin(), b.begin() + static_cast<ptrdiff_t>(r.position())));
  } else {
    RC_ASSERT(d.status().code() == ErrorCode::kDecode);
  }
}

TEST(MessageDecode, TruncationsOfEveryExampleFail) {
  // Proves the fixed examples (which cover every variant) fail on every proper prefix.
  for (const auto& m : ServerExamples()) {
    const Bytes b = Enc(m);
    for (size_t n = 0; n < b.size(); ++n) {
      ByteReader r(ByteView(b.data(), n));
      EXPECT_FALSE(DecodeServerMessage(r).ok()) << Show(m) << " cut at " << n;
    }
  }
  for (const auto& m : ClientExamples()) {
    const Bytes b = Enc(m);
    for (size_t n = 0; n < b.size(); ++n) {
      ByteReader r(ByteView(b.data(), n));
      EXPECT_FALSE(DecodeClientMessage(r).ok()) << Show(m) << " cut at " << n;
    }
  }
}

// clang-format off
TEST(MessageDecode, HugeDeclaredCountsFailBeforeAllocating) {
  // Proves array counts larger than the remaining input could hold are refused up front
  // (under ASan an attempt to allocate for 2^32 elements would abort the test).
  const std::vector<std::pair<const char*, Bytes>> client = {
      {"Subscribe queries", Expect().U8(0).U32(1).U32(2).U32(0xffffffff).bytes()},
      // 26 queries need at least 104 bytes; only 100 follow.
      {"Subscribe queries just over", [] {
         Expect e;
         e.U8(0).U32(1).U32(2).U32(26);
         for (int i = 0; i < 25; ++i) e.Str("");
         return e.bytes();
       }()},
      {"CallReducer args", Expect().U8(3).U32(1).U8(0).Str("r").U32(0xfffffff0).bytes()},
  };
  for (const auto& [what, bytes] : client) {
    ByteReader r(bytes);
    auto d = DecodeClientMessage(r);
    ASSERT_FALSE(d.ok()) << what;
    EXPECT_EQ(d.status().code(), ErrorCode::kDecode) << what;
  }
  const std::vector<std::pair<const char*, Bytes>> server = {
      {"QueryRows tables", Expect().U8(1).U32(1).U32(2).U32(0xffffffff).bytes()},
      {"TransactionUpdate sets", Expect().U8(4).U32(0xffffffff).bytes()},
      {"QuerySetUpdate tables", Expect().U8(4).U32(1).U32(0).U32(0xffffffff).bytes()},
      {"TableUpdate parts", Expect().U8(4).U32(1).U32(0).U32(1).Str("t").U32(0xffffffff).bytes()},
      {"RowOffsets", Expect().U8(1).U32(1).U32(2).U32(1).Str("t").U8(1).U32(0xffffffff).bytes()},
      {"token length", Expect().U8(0).U64(0).U64(0).U64(0).U64(0).U64(0).U64(0)
                           .U32(0xffffffff).bytes()},
  };
  for (const auto& [what, bytes] : server) {
    ByteReader r(bytes);
    auto d = DecodeServerMessage(r);
    ASSERT_FALSE(d.ok()) << what;
    EXPECT_EQ(d.status().code(), ErrorCode::kDecode) << what;
  }
}

TEST(MessageDecode, UnknownTagsAreRejected) {
  // Proves unknown message tags and unknown inner tags (flags, options, results,
  // outcomes, row kinds) are kDecode errors naming what was wrong.
  for (int tag = 5; tag < 256; ++tag) {
    Bytes b{static_cast<uint8_t>(tag), 0, 0, 0, 0};
    ByteReader r(b);
    auto d = DecodeClientMessage(r);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().message(), "unknown client message tag " + std::to_string(tag));
  }
  for (int tag = 8; tag < 256; ++tag) {
    Bytes b{static_cast<uint8_t>(tag), 0, 0, 0, 0};
    ByteReader r(b);
    auto d = DecodeServerMessage(r);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().message(), "unknown server message tag " + std::to_string(tag));
  }
  auto client_fails = [](const Bytes& b) {
    ByteReader r(b);
    return !DecodeClientMessage(r).ok();
  };
  auto server_fails = [](const Bytes& b) {
    ByteReader r(b);
    return !DecodeServerMessage(r).ok();
  };
  EXPECT_TRUE(client_fails(Expect().U8(1).U32(1).U32(2).U8(2).bytes())) << "unsubscribe flags 2";
  EXPECT_TRUE(server_fails(Expect().U8(2).U32(1).U32(2).U8(2).bytes())) << "option tag 2";
  EXPECT_TRUE(server_fails(Expect().U8(3).U8(2).U32(2).Str("e").bytes())) << "request id tag 2";
  EXPECT_TRUE(server_fails(Expect().U8(5).U32(1).U8(2).bytes())) << "result tag 2";
  EXPECT_TRUE(server_fails(Expect().U8(6).U32(1).I64(0).U8(4).bytes())) << "outcome tag 4";
  EXPECT_TRUE(server_fails(Expect().U8(7).U8(2).I64(0).I64(0).U32(0).bytes())) << "status 2";
  EXPECT_TRUE(server_fails(
      Expect().U8(4).U32(1).U32(0).U32(1).Str("t").U32(1).U8(2).U8(0).U16(0).U32(0).bytes()))
      << "table update rows tag 2";
  // Err's outer bytes must hold exactly one string.
  EXPECT_TRUE(server_fails(Expect().U8(6).U32(1).I64(0).U8(2).U32(7).Str("no").U8(0).bytes()))
      << "err with a trailing byte inside";
  EXPECT_TRUE(server_fails(Expect().U8(6).U32(1).I64(0).U8(2).U32(2).Text("no").bytes()))
      << "err without the inner length";
}

TEST(MessageDecode, EventTableRowsDecodeAsInserts) {
  // Proves TableUpdateRows::EventTable (tag 1), which the server never sends but a peer
  // may, decodes with its events as inserts and parts of one table kept apart.
  const Bytes b = Expect()
                      .U8(4).U32(1).U32(3).U32(1).Str("ev").U32(2)
                      .U8(1).U8(0).U16(1).U32(2).Raw({8, 9})
                      .U8(0).U8(0).U16(0).U32(0).U8(0).U16(1).U32(1).Raw({7})
                      .bytes();
  auto d = DecodeServerAll(b);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  const auto& tu = std::get<TransactionUpdate>(*d);
  ASSERT_EQ(tu.query_sets.size(), 1u);
  ASSERT_EQ(tu.query_sets[0].tables.size(), 2u);
  EXPECT_EQ(Show(tu.query_sets[0].tables[0].inserts), "rows[2]{08,09,}");
  EXPECT_EQ(Show(tu.query_sets[0].tables[1].deletes), "rows[1]{07,}");
}

// clang-format on

// ---- shared pieces ----

// The table updates of `m` that carry a shared encoding.
std::vector<const Bytes*> SharedEncodings(const ServerMessage& m) {
  const TransactionUpdate* tu = std::get_if<TransactionUpdate>(&m);
  if (const auto* rr = std::get_if<ReducerResult>(&m);
      rr != nullptr && rr->outcome.kind == ReducerOutcome::Kind::kOk) {
    tu = &rr->outcome.update;
  }
  std::vector<const Bytes*> out;
  if (tu == nullptr) return out;
  for (const auto& qs : tu->query_sets) {
    for (const auto& t : qs.tables) {
      if (t.encoding != nullptr) out.push_back(t.encoding.get());
    }
  }
  return out;
}

RC_GTEST_PROP(EncodedMessage, PiecesSpellTheFlatEncodingAndShareTableUpdates, ()) {
  // Proves the piece encoder writes exactly the bytes of the flat one, and that every
  // table update encoded in advance is referenced (the same buffer), not copied: that
  // is what lets 1,000 subscribers share one copy of a transaction's rows.
  const ServerMessage m = GenServerMessage();
  Bytes flat;
  EncodeServerMessage(m, flat);
  const EncodedMessage pieces = EncodeServerMessage(m);
  RC_ASSERT(pieces.size() == flat.size());
  RC_ASSERT(pieces.Flatten() == flat);
  std::vector<const Bytes*> referenced;
  for (const auto& p : pieces.pieces()) {
    RC_ASSERT(!p->empty());
    referenced.push_back(p.get());
  }
  for (const Bytes* shared : SharedEncodings(m)) {
    if (shared->empty()) continue;
    RC_ASSERT(std::find(referenced.begin(), referenced.end(), shared) != referenced.end());
  }
}

TEST(EncodedMessage, ATransactionUpdateForOneSubscriberIsAHeaderAndTheSharedRows) {
  TableUpdate update{"t", Rows({{7}, {8}}), BsatnRowList(), nullptr};
  update.encoding = EncodeTableUpdate(update);
  const EncodedMessage m =
      EncodeServerMessage(ServerMessage(TransactionUpdate{{QuerySetUpdate{5, {update}}}}));
  ASSERT_EQ(m.pieces().size(), 2u);
  EXPECT_EQ(Hex(*m.pieces()[0]), Hex(Expect().U8(4).U32(1).U32(5).U32(1).bytes()));
  EXPECT_EQ(m.pieces()[1].get(), update.encoding.get());
}

}  // namespace
}  // namespace stdb::protocol
