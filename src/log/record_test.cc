#include "log/record.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "log/crc32c.h"
#include "log/file.h"
#include "log/log_record_test_util.h"

namespace stdb::log {
namespace {

using testing::SampleRecord;

Bytes Payload(const TxRecord& r) {
  Bytes out;
  EncodeRecordPayload(r, out);
  return out;
}

Bytes SmallBytes() {
  return *rc::gen::container<Bytes>(*rc::gen::inRange<size_t>(0, 24),
                                    rc::gen::arbitrary<uint8_t>());
}

std::vector<Bytes> SomeRows() {
  return *rc::gen::container<std::vector<Bytes>>(*rc::gen::inRange<size_t>(0, 4),
                                                 rc::gen::exec(SmallBytes));
}

// Any record the codec can represent, with sizes small enough to test quickly.
TxRecord RandomRecord() {
  TxRecord r;
  r.epoch = *rc::gen::arbitrary<uint64_t>();
  r.offset = *rc::gen::arbitrary<uint64_t>();
  r.kind = *rc::gen::element(RecordKind::kReducer, RecordKind::kSql, RecordKind::kSchema);
  r.timestamp_micros = *rc::gen::arbitrary<int64_t>();
  for (uint64_t& limb : r.caller_identity.limbs) limb = *rc::gen::arbitrary<uint64_t>();
  r.caller_connection_id =
      (u128{*rc::gen::arbitrary<uint64_t>()} << 64) | *rc::gen::arbitrary<uint64_t>();
  r.name = *rc::gen::arbitrary<std::string>();
  r.args = SmallBytes();
  const size_t tables = *rc::gen::inRange<size_t>(0, 4);
  for (size_t i = 0; i < tables; ++i) {
    store::TableDelta t;
    t.table_id = *rc::gen::arbitrary<uint32_t>();
    t.inserts = SomeRows();
    t.deletes = SomeRows();
    r.delta.tables.push_back(std::move(t));
  }
  const size_t sequences = *rc::gen::inRange<size_t>(0, 4);
  for (size_t i = 0; i < sequences; ++i) {
    r.sequences.push_back(SequencePosition{*rc::gen::arbitrary<uint32_t>(),
                                           *rc::gen::arbitrary<uint16_t>(),
                                           *rc::gen::arbitrary<uint64_t>()});
  }
  r.module_def = SmallBytes();
  r.clear = *rc::gen::arbitrary<bool>();
  return r;
}

RC_GTEST_PROP(RecordProperty, EncodeThenDecodeGivesTheSameRecord, ()) {
  // Proves every field survives the codec and the size is known before encoding.
  const TxRecord r = RandomRecord();
  const Bytes payload = Payload(r);
  RC_ASSERT(payload.size() == RecordPayloadBytes(r));
  auto back = DecodeRecordPayload(payload);
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == r);
}

RC_GTEST_PROP(RecordProperty, EveryTruncationFailsWithDecode, ()) {
  // Proves a cut payload is never mistaken for a shorter valid record.
  const Bytes payload = Payload(RandomRecord());
  for (size_t n = 0; n < payload.size(); ++n) {
    auto r = DecodeRecordPayload(ByteView(payload.data(), n));
    RC_ASSERT(!r.ok());
    RC_ASSERT(r.status().code() == ErrorCode::kDecode);
  }
}

TEST(Record, TrailingByteFailsWithDecode) {
  // Proves the decoder consumes the payload exactly.
  Bytes payload = Payload(SampleRecord(3));
  payload.push_back(0);
  auto r = DecodeRecordPayload(payload);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kDecode);
  EXPECT_NE(r.status().message().find("1 trailing bytes"), std::string::npos)
      << r.status().message();
}

TEST(Record, UnknownKindFailsNamingTheKind) {
  // Proves a kind byte outside the enum is refused rather than cast.
  Bytes payload = Payload(SampleRecord(3));
  payload[16] = 9;  // offset and epoch come first
  auto r = DecodeRecordPayload(payload);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unknown record kind 9 at byte 16"), std::string::npos)
      << r.status().message();
}

TEST(Record, ClearFlagOtherThanZeroOrOneFails) {
  // Proves the flag byte is canonical, so decoding then encoding gives the same bytes.
  Bytes payload = Payload(SampleRecord(3));
  payload.back() = 2;
  auto r = DecodeRecordPayload(payload);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("clear flag 2"), std::string::npos);
}

TEST(Record, HugeCountFailsWithoutAllocating) {
  // Proves a row count larger than the remaining bytes could hold is refused before
  // reserving memory for it (asan would report a multi-gigabyte allocation).
  TxRecord rec = SampleRecord(3);
  rec.name.clear();
  rec.args.clear();
  Bytes payload = Payload(rec);
  // Fixed part (73 bytes), name and args lengths, table count, table id: insert count.
  const size_t at = 73 + 4 + 4 + 4 + 4;
  const uint32_t huge = 0xFFFFFFF0u;
  std::memcpy(payload.data() + at, &huge, 4);
  auto r = DecodeRecordPayload(payload);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kDecode);
  EXPECT_NE(r.status().message().find("inserted row count 4294967280"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("table delta 0"), std::string::npos);
}

TEST(Record, HugeStringLengthFails) {
  // Proves a string length past the end of the payload names the field.
  Bytes payload = Payload(SampleRecord(3));
  const uint32_t huge = 1000000;
  std::memcpy(payload.data() + 73, &huge, 4);
  auto r = DecodeRecordPayload(payload);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("name length 1000000"), std::string::npos)
      << r.status().message();
}

TEST(Record, FrameCarriesLengthAndBothChecksums) {
  // Proves the frame layout of docs/commit-log.md byte for byte.
  const TxRecord rec = SampleRecord(5);
  const Bytes payload = Payload(rec);
  Bytes framed = {0xAA};  // appending keeps what is in the buffer
  AppendFramedRecord(rec, framed);
  ASSERT_EQ(framed.size(), 1 + kFrameHeaderBytes + payload.size());
  EXPECT_EQ(framed[0], 0xAA);
  uint32_t len, len_crc, payload_crc;
  std::memcpy(&len, framed.data() + 1, 4);
  std::memcpy(&len_crc, framed.data() + 5, 4);
  std::memcpy(&payload_crc, framed.data() + 9, 4);
  EXPECT_EQ(len, payload.size());
  EXPECT_EQ(len_crc, Crc32c(ByteView(framed.data() + 1, 4)));
  EXPECT_EQ(payload_crc, Crc32c(payload));
  EXPECT_EQ(Bytes(framed.begin() + 13, framed.end()), payload);
}

TEST(Record, EqualityComparesTheDelta) {
  // Proves operator== is not blind to row changes (the round-trip tests rely on it).
  TxRecord a = SampleRecord(1);
  TxRecord b = a;
  EXPECT_TRUE(a == b);
  b.delta.tables[0].deletes[0][0] ^= 1;
  EXPECT_FALSE(a == b);
  b = a;
  b.delta.tables[0].table_id += 1;
  EXPECT_FALSE(a == b);
}

// Not a check: writes the seeds of fuzz/corpus/logrecord (fuzz/logrecord_fuzz.cc has
// the input format) when STDB_WRITE_LOGRECORD_SEEDS names a folder.
TEST(Record, WriteFuzzSeeds) {
  const char* dir = std::getenv("STDB_WRITE_LOGRECORD_SEEDS");
  if (dir == nullptr) GTEST_SKIP() << "set STDB_WRITE_LOGRECORD_SEEDS=<folder> to write seeds";
  auto write = [&](const std::string& name, const Bytes& b) {
    ASSERT_TRUE(FileSystem::Posix().WriteFileDurably(std::filesystem::path(dir) / name, b).ok());
  };
  TxRecord sql;
  sql.kind = RecordKind::kSql;
  sql.args = Bytes{'D', 'E', 'L', 'E', 'T', 'E', ' ', 'F', 'R', 'O', 'M', ' ', 't'};
  TxRecord schema;
  schema.kind = RecordKind::kSchema;
  schema.module_def = Bytes{1, 2, 3, 4};
  schema.clear = true;
  write("payload_empty", Payload(TxRecord{}));
  write("payload_reducer", Payload(SampleRecord(3)));
  write("payload_sql", Payload(sql));
  write("payload_schema", Payload(schema));
  // Segment bodies: framed chunks (mode 1) and raw frames (mode 0), records 0 to 2.
  Bytes chunks = {1}, frames = {0};
  for (uint64_t o = 0; o < 3; ++o) {
    const Bytes p = Payload(SampleRecord(o));
    ByteWriter(chunks).U16(static_cast<uint16_t>(p.size()));
    ByteWriter(chunks).Raw(p);
    AppendFramedRecord(SampleRecord(o), frames);
  }
  write("segment_chunks", chunks);
  write("segment_frames", frames);
  Bytes torn = frames;
  torn.resize(torn.size() - 10);
  write("segment_torn", torn);
  chunks[0] = 1 | (2 << 1);  // from_offset 2
  write("segment_chunks_from_2", chunks);
}

}  // namespace
}  // namespace stdb::log
