#include "log/segment.h"

#include <gtest/gtest.h>

#include <fstream>

#include "log/commit_log.h"
#include "log/crc32c.h"
#include "log/faulty_fs.h"
#include "log/log_record_test_util.h"

namespace stdb::log {
namespace {

namespace fs = std::filesystem;
using testing::Offsets;
using testing::Range;
using testing::ReadAll;
using testing::SampleRecord;
using testing::TempDir;

// With SampleRecord's frames (about 200 bytes), two records per segment.
constexpr uint64_t kSmallSegmentBytes = 300;

// Appends records [log.next_offset(), +n) through a CommitLog opened where ReadLog ends.
void AppendRecords(const fs::path& dir, uint64_t n, uint64_t segment_bytes = kDefaultSegmentBytes) {
  LogEnd end;
  ReadAll(FileSystem::Posix(), dir, 0, &end);
  auto log = CommitLog::Open({.dir = dir, .segment_bytes = segment_bytes}, end);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  for (uint64_t i = 0; i < n; ++i) {
    ASSERT_TRUE((*log)->Append(SampleRecord(end.next_offset + i)).ok());
  }
  ASSERT_TRUE((*log)->Close().ok());
}

// Byte position in a segment starting at `first` where the record at `offset` starts.
uint64_t RecordStart(uint64_t first, uint64_t offset) {
  uint64_t pos = kSegmentHeaderBytes;
  for (uint64_t o = first; o < offset; ++o) {
    pos += kFrameHeaderBytes + RecordPayloadBytes(SampleRecord(o));
  }
  return pos;
}

fs::path Segment(const TempDir& dir, uint64_t first) { return dir.path() / SegmentFileName(first); }

std::vector<std::string> SegmentNames(const fs::path& dir) {
  auto names = FileSystem::Posix().List(dir);
  EXPECT_TRUE(names.ok());
  return names.ok() ? *names : std::vector<std::string>{};
}

Status ReadStatus(const fs::path& dir, uint64_t from_offset = 0) {
  auto end =
      ReadLog(FileSystem::Posix(), dir, from_offset, [](TxRecord&&) { return Status::Ok(); });
  return end.status();
}

// Expects `s` to be a kDecode naming `file` and `byte`.
void ExpectCorruptAt(const Status& s, const fs::path& file, uint64_t byte, std::string_view why) {
  ASSERT_EQ(s.code(), ErrorCode::kDecode) << s.ToString();
  const std::string where = file.string() + " byte " + std::to_string(byte);
  EXPECT_NE(s.message().find(where), std::string::npos) << s.message() << "\nwanted: " << where;
  EXPECT_NE(s.message().find(why), std::string::npos) << s.message() << "\nwanted: " << why;
}

TEST(SegmentName, RoundTripsAndRejectsOtherNames) {
  // Proves file names sort by offset and foreign files in the folder are ignored.
  EXPECT_EQ(SegmentFileName(42), "00000000000000000042.stdblog");
  EXPECT_EQ(ParseSegmentFileName(SegmentFileName(UINT64_MAX)), UINT64_MAX);
  EXPECT_EQ(ParseSegmentFileName("00000000000000000042.stdblog"), 42u);
  EXPECT_EQ(ParseSegmentFileName("0000000000000000042.stdblog"), std::nullopt);
  EXPECT_EQ(ParseSegmentFileName("0000000000000000004x.stdblog"), std::nullopt);
  EXPECT_EQ(ParseSegmentFileName("99999999999999999999.stdblog"), std::nullopt);
  EXPECT_EQ(ParseSegmentFileName("00000000000000000042.stdblog.tmp"), std::nullopt);
}

TEST(ReadLog, ReadsBackWhatCommitLogWrote) {
  // Proves a log written through CommitLog reads back record for record.
  TempDir dir;
  AppendRecords(dir.path(), 10);
  LogEnd end;
  const auto got = ReadAll(FileSystem::Posix(), dir.path(), 0, &end);
  ASSERT_EQ(got.size(), 10u);
  for (uint64_t i = 0; i < 10; ++i) EXPECT_TRUE(got[i] == SampleRecord(i)) << i;
  EXPECT_EQ(end.next_offset, 10u);
  EXPECT_EQ(end.last_segment, Segment(dir, 0));
  EXPECT_EQ(end.last_segment_valid_bytes, fs::file_size(Segment(dir, 0)));
  EXPECT_TRUE(end.notices.empty());
}

TEST(ReadLog, MissingFolderIsAnEmptyLog) {
  // Proves a new database starts at offset 0 without a segment.
  TempDir dir;
  LogEnd end;
  EXPECT_TRUE(ReadAll(FileSystem::Posix(), dir.path() / "log", 0, &end).empty());
  EXPECT_EQ(end.next_offset, 0u);
  EXPECT_FALSE(end.last_segment.has_value());
}

// A torn tail: the damage `damage` does to a 5-record log is cut off, reported, and
// appending resumes right after the last intact record.
void ExpectTornTailRepaired(const std::function<void(const fs::path& segment)>& damage,
                            uint64_t intact, std::string_view why) {
  TempDir dir;
  AppendRecords(dir.path(), 5);
  damage(Segment(dir, 0));
  LogEnd end;
  const auto got = ReadAll(FileSystem::Posix(), dir.path(), 0, &end);
  EXPECT_EQ(Offsets(got), Range(0, intact));
  EXPECT_EQ(end.next_offset, intact);
  EXPECT_EQ(end.last_segment_valid_bytes, RecordStart(0, intact));
  ASSERT_EQ(end.notices.size(), 1u);
  EXPECT_NE(end.notices[0].find("truncated a torn record at " + Segment(dir, 0).string() +
                                " byte " + std::to_string(RecordStart(0, intact))),
            std::string::npos)
      << end.notices[0];
  EXPECT_NE(end.notices[0].find(why), std::string::npos) << end.notices[0];

  AppendRecords(dir.path(), 3);
  LogEnd after;
  const auto all = ReadAll(FileSystem::Posix(), dir.path(), 0, &after);
  EXPECT_EQ(Offsets(all), Range(0, intact + 3));
  EXPECT_TRUE(after.notices.empty());
}

TEST(ReadLog, TornTailCutInAFrameHeaderIsTruncated) {
  // Proves a crash mid-header loses only the unacknowledged record.
  ExpectTornTailRepaired(
      [](const fs::path& seg) { ASSERT_TRUE(TruncateFile(seg, RecordStart(0, 4) + 5).ok()); }, 4,
      "incomplete frame header");
}

TEST(ReadLog, TornTailCutInAPayloadIsTruncated) {
  // Proves a crash mid-payload loses only the unacknowledged record.
  ExpectTornTailRepaired(
      [](const fs::path& seg) { ASSERT_TRUE(TruncateFile(seg, RecordStart(0, 3) + 20).ok()); }, 3,
      "payload runs past the end");
}

TEST(ReadLog, ZeroFilledTailIsTruncated) {
  // Proves a file extended with zeros by a crash (size updated, data not) is a torn tail.
  ExpectTornTailRepaired(
      [](const fs::path& seg) {
        std::ofstream f(seg, std::ios::binary | std::ios::app);
        const std::string zeros(4096, '\0');
        f.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
      },
      5, "zero-filled tail");
}

TEST(ReadLog, BadPayloadCrcOnTheLastRecordIsTruncated) {
  // Proves a last record whose bytes did not all reach the disk is a torn write.
  ExpectTornTailRepaired(
      [](const fs::path& seg) {
        ASSERT_TRUE(FlipBit(seg, RecordStart(0, 4) + kFrameHeaderBytes + 30, 3).ok());
      },
      4, "bad payload CRC in the last group");
}

TEST(ReadLog, TornSegmentHeaderInTheLastSegmentIsRestarted) {
  // Proves a crash while a new segment was being started loses nothing and the segment
  // is written again when appending resumes.
  TempDir dir;
  AppendRecords(dir.path(), 3);
  {
    std::ofstream f(Segment(dir, 3), std::ios::binary);
    f.write("STDB", 4);
  }
  LogEnd end;
  EXPECT_EQ(Offsets(ReadAll(FileSystem::Posix(), dir.path(), 0, &end)), Range(0, 3));
  EXPECT_EQ(end.last_segment, Segment(dir, 3));
  EXPECT_EQ(end.last_segment_valid_bytes, 0u);
  ASSERT_EQ(end.notices.size(), 1u);
  EXPECT_NE(end.notices[0].find("torn segment header"), std::string::npos);
  AppendRecords(dir.path(), 2);
  LogEnd after;
  EXPECT_EQ(Offsets(ReadAll(FileSystem::Posix(), dir.path(), 0, &after)), Range(0, 5));
  EXPECT_TRUE(after.notices.empty());
}

// Appends a prepared segment's uncut rest: what a crash leaves after the last group.
void AppendPreparedZeros(const fs::path& seg) {
  std::ofstream f(seg, std::ios::binary | std::ios::app);
  const std::string zeros(8192, '\0');
  f.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
}

// Records enough to put more than kGroupBytesMax (ReadLog's torn-tail window) after
// record 2: damage there was durable before anything beyond the window was written.
constexpr uint64_t kRecordsPastTheWindow = 6000;

TEST(ReadLog, FlippedBitInAMiddlePayloadIsCorruption) {
  // Proves damage followed by more than one group's worth of records is never cut off
  // as a torn tail.
  TempDir dir;
  AppendRecords(dir.path(), kRecordsPastTheWindow);
  ASSERT_GT(RecordStart(0, kRecordsPastTheWindow) - RecordStart(0, 3), kGroupBytesMax);
  const uint64_t at = RecordStart(0, 2);
  ASSERT_TRUE(FlipBit(Segment(dir, 0), at + kFrameHeaderBytes + 40, 0).ok());
  AppendPreparedZeros(Segment(dir, 0));  // even in a prepared segment a crash left uncut
  ExpectCorruptAt(ReadStatus(dir.path()), Segment(dir, 0), at,
                  "bad payload CRC with data after the last group");
}

TEST(ReadLog, FlippedBitInAFewRecordsFromTheEndIsCorruption) {
  // Proves a segment that does not end in a prepared rest of zeros (appended, or cut at
  // a clean close) gets no window: damage with records after it is corruption.
  TempDir dir;
  AppendRecords(dir.path(), 5);
  const uint64_t at = RecordStart(0, 2);
  ASSERT_TRUE(FlipBit(Segment(dir, 0), at + kFrameHeaderBytes + 40, 0).ok());
  ExpectCorruptAt(ReadStatus(dir.path()), Segment(dir, 0), at,
                  "bad payload CRC with data after the last group");
}

TEST(ReadLog, FlippedBitInAClosedSegmentIsCorruption) {
  // Proves damage in a segment that is not the last is corruption however little
  // follows it (only the last segment was being written).
  TempDir dir;
  AppendRecords(dir.path(), 6, kSmallSegmentBytes);
  const uint64_t at = RecordStart(0, 1);
  ASSERT_TRUE(FlipBit(Segment(dir, 0), at + kFrameHeaderBytes + 40, 0).ok());
  ExpectCorruptAt(ReadStatus(dir.path()), Segment(dir, 0), at, "bad payload CRC in a closed segment");
}

TEST(ReadLog, FlippedBitInAMiddleLengthIsCorruption) {
  // Proves a damaged length is caught by its own CRC, not followed to a wrong place.
  TempDir dir;
  AppendRecords(dir.path(), kRecordsPastTheWindow);
  const uint64_t at = RecordStart(0, 2);
  ASSERT_TRUE(FlipBit(Segment(dir, 0), at + 1, 2).ok());
  ExpectCorruptAt(ReadStatus(dir.path()), Segment(dir, 0), at, "bad record length CRC");
}

TEST(ReadLog, BadLengthInTheLastGroupIsTruncated) {
  // Proves a frame header that did not reach the disk intact in the last group (its
  // pages can land in any order in a prepared segment) is a torn write.
  ExpectTornTailRepaired(
      [](const fs::path& seg) {
        ASSERT_TRUE(FlipBit(seg, RecordStart(0, 4), 5).ok());
        AppendPreparedZeros(seg);
      },
      4, "bad record length CRC in the last group");
}

TEST(ReadLog, FlippedBitInTheLastLengthOfAnAppendedSegmentIsCorruption) {
  // Proves a bad length CRC at the end of a segment without a prepared rest is
  // corruption: appending leaves a short or zero-filled frame, not a full one with a
  // wrong length.
  TempDir dir;
  AppendRecords(dir.path(), 5);
  const uint64_t at = RecordStart(0, 4);
  ASSERT_TRUE(FlipBit(Segment(dir, 0), at, 5).ok());
  ExpectCorruptAt(ReadStatus(dir.path()), Segment(dir, 0), at, "bad record length CRC");
}

TEST(ReadLog, HoleInTheLastGroupWithItsLaterPagesPresentIsTruncated) {
  // Proves the crash a prepared segment allows is a torn tail, not corruption: the last
  // group's middle page never reached the disk (zeros), the pages after it did, and the
  // prepared zeros follow. Reading stops at the hole; the records after it were never
  // acknowledged (their group's fsync had not returned).
  ExpectTornTailRepaired(
      [](const fs::path& seg) {
        const uint64_t from = RecordStart(0, 2), to = RecordStart(0, 3);
        std::fstream f(seg, std::ios::binary | std::ios::in | std::ios::out);
        f.seekp(static_cast<std::streamoff>(from));
        const std::string zeros(to - from, '\0');
        f.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
        f.close();
        AppendPreparedZeros(seg);
      },
      2, "bad record length CRC in the last group");
}

TEST(ReadLog, ALargeRecordTornPastTheWindowIsTruncatedByItsOwnLength) {
  // Proves a record larger than kGroupBytesMax (written alone, frame header first)
  // whose end did not reach the disk is a torn tail: its checked length, not the group
  // window, bounds where stray pages may be.
  TempDir dir;
  AppendRecords(dir.path(), 2);
  const fs::path seg = Segment(dir, 0);
  const uint64_t at = RecordStart(0, 2);
  {
    TxRecord big = SampleRecord(2);
    big.args.assign(3u << 20, 0x5a);
    Bytes framed;
    AppendFramedRecord(big, framed);
    ASSERT_GT(framed.size(), kGroupBytesMax + 4096);
    // A page of zeros 1.5 MiB in: a page lost; the rest, past the window, arrived.
    std::fill(framed.begin() + (3 << 19), framed.begin() + (3 << 19) + 4096, 0);
    std::ofstream f(seg, std::ios::binary | std::ios::app);
    f.write(reinterpret_cast<const char*>(framed.data()), static_cast<std::streamsize>(framed.size()));
  }
  LogEnd end;
  EXPECT_EQ(Offsets(ReadAll(FileSystem::Posix(), dir.path(), 0, &end)), Range(0, 2));
  EXPECT_EQ(end.last_segment_valid_bytes, at);
  ASSERT_EQ(end.notices.size(), 1u);
  EXPECT_NE(end.notices[0].find("bad payload CRC in the last group"), std::string::npos)
      << end.notices[0];
}

TEST(ReadLog, MissingMiddleSegmentIsCorruption) {
  // Proves a gap between segments fails instead of skipping records.
  TempDir dir;
  AppendRecords(dir.path(), 10, kSmallSegmentBytes);
  const auto names = SegmentNames(dir.path());
  ASSERT_GE(names.size(), 4u);
  ASSERT_TRUE(FileSystem::Posix().Remove(dir.path() / names[1]).ok());
  ExpectCorruptAt(ReadStatus(dir.path()), dir.path() / names[2], 0, "records missing");
}

TEST(ReadLog, BadSegmentHeaderIsCorruption) {
  // Proves a damaged segment header is reported with its file.
  TempDir dir;
  AppendRecords(dir.path(), 10, kSmallSegmentBytes);
  const auto names = SegmentNames(dir.path());
  ASSERT_GE(names.size(), 3u);
  ASSERT_TRUE(FlipBit(dir.path() / names[1], 9, 1).ok());  // in the first offset
  ExpectCorruptAt(ReadStatus(dir.path()), dir.path() / names[1], 16, "bad segment header CRC");
  ASSERT_TRUE(FlipBit(dir.path() / names[0], 0, 1).ok());  // in the magic
  ExpectCorruptAt(ReadStatus(dir.path()), dir.path() / names[0], 0, "bad segment magic");
}

TEST(ReadLog, BadPayloadCrcAtTheEndOfAClosedSegmentIsCorruption) {
  // Proves the torn-tail rule applies to the last segment only: earlier ones were synced.
  TempDir dir;
  AppendRecords(dir.path(), 10, kSmallSegmentBytes);
  const auto names = SegmentNames(dir.path());
  ASSERT_GE(names.size(), 3u);
  const uint64_t first = *ParseSegmentFileName(names[0]);
  const uint64_t second = *ParseSegmentFileName(names[1]);
  const uint64_t at = RecordStart(first, second - 1);
  ASSERT_TRUE(FlipBit(dir.path() / names[0], at + kFrameHeaderBytes + 50, 7).ok());
  ExpectCorruptAt(ReadStatus(dir.path()), dir.path() / names[0], at, "bad payload CRC");
}

TEST(ReadLog, OffsetOutOfSequenceIsCorruption) {
  // Proves records are checked to carry consecutive offsets.
  TempDir dir;
  Bytes seg;
  AppendSegmentHeader(0, seg);
  for (uint64_t o : {0, 1, 3}) AppendFramedRecord(SampleRecord(o), seg);
  AppendFramedRecord(SampleRecord(4), seg);
  ASSERT_TRUE(FileSystem::Posix().WriteFileDurably(Segment(dir, 0), seg).ok());
  ExpectCorruptAt(ReadStatus(dir.path()), Segment(dir, 0), RecordStart(0, 2),
                  "record offset 3 out of sequence (expected 2)");
}

TEST(ReadLog, UndecodablePayloadWithAGoodCrcIsCorruption) {
  // Proves a payload that passes its CRC but does not decode is never a torn tail.
  TempDir dir;
  Bytes seg;
  AppendSegmentHeader(0, seg);
  AppendFramedRecord(SampleRecord(0), seg);
  const Bytes junk = {1, 2, 3};
  ByteWriter w(seg);
  w.U32(static_cast<uint32_t>(junk.size()));
  w.U32(Crc32c(ByteView(seg.data() + seg.size() - 4, 4)));
  w.U32(Crc32c(junk));
  w.Raw(junk);
  ASSERT_TRUE(FileSystem::Posix().WriteFileDurably(Segment(dir, 0), seg).ok());
  ExpectCorruptAt(ReadStatus(dir.path()), Segment(dir, 0), RecordStart(0, 1),
                  "log record: truncated");
}

TEST(ReadLog, FromOffsetSkipsEarlierSegments) {
  // Proves segments wholly before from_offset are not read (they may be damaged or
  // removed once a snapshot covers them) and earlier records are not delivered.
  TempDir dir;
  AppendRecords(dir.path(), 10, kSmallSegmentBytes);
  const auto names = SegmentNames(dir.path());
  ASSERT_GE(names.size(), 4u);
  ASSERT_TRUE(FlipBit(dir.path() / names[0], 30, 0).ok());
  const uint64_t third = *ParseSegmentFileName(names[2]);
  EXPECT_EQ(ReadStatus(dir.path()).code(), ErrorCode::kDecode);
  LogEnd end;
  const auto got = ReadAll(FileSystem::Posix(), dir.path(), third + 1, &end);
  EXPECT_EQ(Offsets(got), Range(third + 1, 10 - third - 1));
  EXPECT_EQ(end.next_offset, 10u);
  ASSERT_TRUE(FileSystem::Posix().Remove(dir.path() / names[0]).ok());
  EXPECT_EQ(Offsets(ReadAll(FileSystem::Posix(), dir.path(), third)), Range(third, 10 - third));
}

TEST(ReadLog, RecordsMissingBeforeTheFirstSegmentIsCorruption) {
  // Proves asking for records that were removed fails rather than returning fewer.
  TempDir dir;
  AppendRecords(dir.path(), 10, kSmallSegmentBytes);
  const auto names = SegmentNames(dir.path());
  ASSERT_TRUE(FileSystem::Posix().Remove(dir.path() / names[0]).ok());
  ExpectCorruptAt(ReadStatus(dir.path(), 0), dir.path() / names[1], 0, "are missing");
}

TEST(ReadLog, ErrorFromTheCallbackStopsReading) {
  // Proves the caller can abort replay (for example when applying a record fails).
  TempDir dir;
  AppendRecords(dir.path(), 5);
  int seen = 0;
  auto end = ReadLog(FileSystem::Posix(), dir.path(), 0, [&](TxRecord&& r) {
    ++seen;
    return r.offset == 2 ? InternalError("stop") : Status::Ok();
  });
  ASSERT_FALSE(end.ok());
  EXPECT_EQ(end.status().message(), "stop");
  EXPECT_EQ(seen, 3);
}

TEST(ReadLog, LogEndingBeforeFromOffsetStartsANewSegmentThere) {
  // Proves a snapshot newer than the log's end makes appending resume after the
  // snapshot, in a new segment, instead of reusing offsets the snapshot holds.
  TempDir dir;
  AppendRecords(dir.path(), 3);
  LogEnd end;
  EXPECT_TRUE(ReadAll(FileSystem::Posix(), dir.path(), 7, &end).empty());
  EXPECT_EQ(end.next_offset, 7u);
  EXPECT_FALSE(end.last_segment.has_value());
  ASSERT_EQ(end.notices.size(), 1u);
  auto log = CommitLog::Open({.dir = dir.path()}, end);
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->Append(SampleRecord(7)).ok());
  ASSERT_TRUE((*log)->Close().ok());
  EXPECT_EQ(Offsets(ReadAll(FileSystem::Posix(), dir.path(), 7)), Range(7, 1));
  EXPECT_EQ(ReadStatus(dir.path(), 0).code(), ErrorCode::kDecode);
}

}  // namespace
}  // namespace stdb::log
