// Tests of snapshot files: file names, round trips (random and large), the strict checks
// ReadSnapshot makes on damaged files (truncation, flipped bits, bad magic, sizes over
// the bounds), the strict body decoder, ListSnapshots, and durable replacement.
#include "log/snapshot.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <unistd.h>
#include <zstd.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "log/crc32c.h"
#include "log/faulty_fs.h"
#include "log/log_record_test_util.h"

namespace stdb::log {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

Bytes ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void WriteAll(const fs::path& path, ByteView bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  STDB_ASSERT(out.good());
}

template <typename T>
void Store(Bytes& b, size_t at, T v) {
  std::memcpy(b.data() + at, &v, sizeof v);
}

// Recomputes the header CRC (bytes 44..47) after a test edits other header fields, so the
// check under test is the one that fires, not the CRC.
void ResealHeader(Bytes& file) { Store<uint32_t>(file, 44, Crc32c(ByteView(file).first(44))); }

Bytes Row(std::string_view s) { return Bytes(s.begin(), s.end()); }

SnapshotData SmallData() {
  SnapshotData d;
  d.epoch = 3;
  d.offset = 41;
  d.module_def = Row("module definition bytes");
  TableSnapshot people;
  people.table_id = 0;
  people.name = "people";
  people.sequences = {SequencePosition{0, 0, 17}};
  for (int i = 0; i < 50; ++i) AppendSnapshotRow(people, Row("person " + std::to_string(i)));
  AppendSnapshotRow(people, {});
  TableSnapshot empty;
  empty.table_id = 4;
  empty.name = "empty";
  d.tables = {people, empty};
  return d;
}

// Writes SmallData and returns the file's path.
fs::path WriteSmall(const TempDir& dir) {
  auto size = WriteSnapshot(FileSystem::Posix(), dir.path(), SmallData());
  STDB_ASSERT(size.ok());
  return dir.path() / SnapshotFileName(SmallData().offset);
}

// Expects ReadSnapshot(path) to fail with kDecode naming the file and `words`.
void ExpectDecodeError(const fs::path& path, std::string_view words) {
  auto read = ReadSnapshot(FileSystem::Posix(), path);
  ASSERT_FALSE(read.ok()) << words;
  EXPECT_EQ(read.status().code(), ErrorCode::kDecode) << read.status().ToString();
  EXPECT_NE(read.status().message().find(path.string()), std::string::npos)
      << read.status().message();
  EXPECT_NE(read.status().message().find(words), std::string::npos)
      << read.status().message() << " lacks: " << words;
}

TEST(SnapshotFileName, IsTwentyDigitsAndParsesBack) {
  // Proves names sort like offsets and only exact names parse.
  EXPECT_EQ(SnapshotFileName(0), "00000000000000000000.stdbsnap");
  EXPECT_EQ(SnapshotFileName(1234), "00000000000000001234.stdbsnap");
  EXPECT_EQ(SnapshotFileName(UINT64_MAX), "18446744073709551615.stdbsnap");
  for (uint64_t v : {uint64_t{0}, uint64_t{7}, uint64_t{1} << 40, UINT64_MAX}) {
    EXPECT_EQ(ParseSnapshotFileName(SnapshotFileName(v)), v);
  }
  for (const char* bad :
       {"", "0.stdbsnap", "0000000000000000001.stdbsnap", "000000000000000000001.stdbsnap",
        "18446744073709551616.stdbsnap", "99999999999999999999.stdbsnap",
        "0000000000000000000x.stdbsnap", "-0000000000000000001.stdbsnap",
        "+0000000000000000001.stdbsnap", "00000000000000000001.stdbsnap.tmp",
        "00000000000000000001.stdbsnaq", "00000000000000000001.log"}) {
    EXPECT_EQ(ParseSnapshotFileName(bad), std::nullopt) << bad;
  }
}

TEST(Snapshot, SmallSnapshotRoundTrips) {
  // Proves every field, empty rows and empty tables included, comes back as written.
  TempDir dir;
  auto size = WriteSnapshot(FileSystem::Posix(), dir.path(), SmallData());
  ASSERT_TRUE(size.ok()) << size.status().ToString();
  const fs::path path = dir.path() / "00000000000000000041.stdbsnap";
  EXPECT_EQ(*size, fs::file_size(path));
  auto read = ReadSnapshot(FileSystem::Posix(), path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, SmallData());
  std::vector<std::string> rows;
  ASSERT_TRUE(ForEachSnapshotRow(read->tables[0], [&](ByteView row) {
                rows.emplace_back(AsStringView(row));
              }).ok());
  ASSERT_EQ(rows.size(), 51u);
  EXPECT_EQ(rows[0], "person 0");
  EXPECT_EQ(rows[49], "person 49");
  EXPECT_EQ(rows[50], "");
}

SnapshotData RandomData() {
  SnapshotData d;
  d.epoch = *rc::gen::arbitrary<uint64_t>();
  d.offset = *rc::gen::arbitrary<uint64_t>();
  d.module_def = *rc::gen::arbitrary<Bytes>();
  const int tables = *rc::gen::inRange(0, 6);
  for (int i = 0; i < tables; ++i) {
    TableSnapshot t;
    t.table_id = *rc::gen::arbitrary<uint32_t>();
    t.name = *rc::gen::arbitrary<std::string>();
    const int sequences = *rc::gen::inRange(0, 4);
    for (int s = 0; s < sequences; ++s) {
      t.sequences.push_back(SequencePosition{t.table_id, *rc::gen::arbitrary<uint16_t>(),
                                             *rc::gen::arbitrary<uint64_t>()});
    }
    const int rows = *rc::gen::inRange(0, 60);
    for (int r = 0; r < rows; ++r) {
      const size_t len = *rc::gen::inRange<size_t>(0, 70);
      AppendSnapshotRow(t, *rc::gen::container<Bytes>(len, rc::gen::arbitrary<uint8_t>()));
    }
    d.tables.push_back(std::move(t));
  }
  return d;
}

TEST(Snapshot, RandomSnapshotsRoundTrip) {
  // Proves ReadSnapshot(WriteSnapshot(d)) == d and the body codec is an exact inverse
  // for random schemas, tables, sequences and rows (RapidCheck property).
  TempDir dir;
  EXPECT_TRUE(rc::check("read(write(d)) == d", [&] {
    const SnapshotData d = RandomData();
    auto size = WriteSnapshot(FileSystem::Posix(), dir.path(), d);
    RC_ASSERT(size.ok());
    const fs::path path = dir.path() / SnapshotFileName(d.offset);
    auto read = ReadSnapshot(FileSystem::Posix(), path);
    RC_ASSERT(read.ok());
    RC_ASSERT(*read == d);
    fs::remove(path);

    Bytes body;
    EncodeSnapshotBody(d, body);
    auto decoded = DecodeSnapshotBody(body);
    RC_ASSERT(decoded.ok());
    SnapshotData expected = d;
    expected.epoch = expected.offset = 0;  // they live in the header, not the body
    RC_ASSERT(*decoded == expected);
  }));
}

TEST(Snapshot, LargeSnapshotRoundTrips) {
  // Proves a snapshot of 200,000 rows over several zstd blocks comes back whole.
  TempDir dir;
  SnapshotData d;
  d.offset = 1'000'000;
  d.module_def = Row("m");
  for (uint32_t t = 0; t < 2; ++t) {
    TableSnapshot table;
    table.table_id = t;
    table.name = "t" + std::to_string(t);
    table.sequences = {SequencePosition{t, 0, 100'001}};
    for (uint64_t i = 0; i < 100'000; ++i) {
      Bytes row(8 + i % 13);
      std::memcpy(row.data(), &i, 8);
      AppendSnapshotRow(table, row);
    }
    d.tables.push_back(std::move(table));
  }
  auto size = WriteSnapshot(FileSystem::Posix(), dir.path(), d);
  ASSERT_TRUE(size.ok()) << size.status().ToString();
  auto read = ReadSnapshot(FileSystem::Posix(), dir.path() / SnapshotFileName(d.offset));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->tables[1].row_count, 100'000u);
  EXPECT_TRUE(*read == d);
}

TEST(Snapshot, MissingFileIsNotFound) {
  // Proves a missing file is told apart from a damaged one.
  TempDir dir;
  auto read = ReadSnapshot(FileSystem::Posix(), dir.path() / SnapshotFileName(1));
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), ErrorCode::kNotFound);
}

TEST(Snapshot, TruncatedFileIsADecodeErrorNamingTheFile) {
  // Proves a file cut anywhere (in the header, in the body, by its last byte) is refused.
  TempDir dir;
  const fs::path path = WriteSmall(dir);
  const Bytes whole = ReadAll(path);
  ASSERT_GT(whole.size(), 60u);
  for (size_t size : {size_t{0}, size_t{1}, size_t{20}, size_t{47}, size_t{48}, size_t{49},
                      whole.size() / 2, whole.size() - 1}) {
    WriteAll(path, ByteView(whole).first(size));
    ExpectDecodeError(path, "truncated");
  }
}

TEST(Snapshot, TrailingBytesAreADecodeError) {
  // Proves bytes appended after the compressed body are not ignored.
  TempDir dir;
  const fs::path path = WriteSmall(dir);
  Bytes file = ReadAll(path);
  file.push_back(0);
  WriteAll(path, file);
  ExpectDecodeError(path, "trailing bytes");
}

TEST(Snapshot, EveryFlippedHeaderBitIsADecodeError) {
  // Proves the header CRC (or the magic check) covers each of the 48 header bytes.
  TempDir dir;
  const fs::path path = WriteSmall(dir);
  const Bytes good = ReadAll(path);
  for (size_t bit = 0; bit < kSnapshotHeaderBytes * 8; ++bit) {
    Bytes bad = good;
    bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    WriteAll(path, bad);
    ExpectDecodeError(path, bit < 64 ? "at byte 0" : "header CRC mismatch at byte 44");
  }
}

TEST(Snapshot, FlippedBodyBitIsADecodeError) {
  // Proves the body CRC catches damage to the compressed bytes before zstd sees them.
  TempDir dir;
  const fs::path path = WriteSmall(dir);
  const Bytes good = ReadAll(path);
  for (size_t at :
       {kSnapshotHeaderBytes, kSnapshotHeaderBytes + 5, good.size() / 2, good.size() - 1}) {
    Bytes bad = good;
    bad[at] ^= 0x10;
    WriteAll(path, bad);
    ExpectDecodeError(path, "does not match its CRC");
  }
}

TEST(Snapshot, WrongMagicIsRefusedEvenWithAValidHeaderCrc) {
  // Proves the magic is checked on its own: a file of another format is named as such.
  TempDir dir;
  const fs::path path = WriteSmall(dir);
  Bytes file = ReadAll(path);
  std::memcpy(file.data(), "STDBSNP2", 8);
  ResealHeader(file);
  WriteAll(path, file);
  ExpectDecodeError(path, "bad magic (not a snapshot file) at byte 0");
}

TEST(Snapshot, SizesBeyondTheBoundsAreRefusedBeforeAllocating) {
  // Proves header sizes are checked against kSnapshotBytesMax, the file size and what
  // the compressed bytes can hold, even when the header CRC is right.
  TempDir dir;
  const fs::path path = WriteSmall(dir);
  const Bytes good = ReadAll(path);
  const uint64_t compressed = good.size() - kSnapshotHeaderBytes;
  struct Case {
    size_t field;
    uint64_t value;
    const char* words;
  };
  for (const Case& c :
       {Case{24, kSnapshotBytesMax + 1, "over the limit at byte 24"},
        Case{24, UINT64_MAX, "over the limit at byte 24"},
        Case{24, 1ull << 33, "compressed bytes can hold at byte 24"},
        Case{24, 1, "zstd frame holds"}, Case{32, compressed + 1, "truncated"},
        Case{32, UINT64_MAX, "truncated"}, Case{32, compressed - 1, "trailing bytes"},
        Case{16, 40, "differs from the file name's 41 at byte 16"}}) {
    Bytes bad = good;
    Store<uint64_t>(bad, c.field, c.value);
    ResealHeader(bad);
    WriteAll(path, bad);
    ExpectDecodeError(path, c.words);
  }
}

TEST(Snapshot, HeaderOffsetIsCheckedOnlyAgainstASnapshotName) {
  // Proves a renamed snapshot (say, copied aside for inspection) is still readable, while
  // one renamed to another offset's name is refused.
  TempDir dir;
  const fs::path path = WriteSmall(dir);
  fs::copy_file(path, dir.path() / "copy");
  auto read = ReadSnapshot(FileSystem::Posix(), dir.path() / "copy");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->offset, 41u);
  const fs::path other = dir.path() / SnapshotFileName(42);
  fs::rename(path, other);
  ExpectDecodeError(other, "differs from the file name's");
}

TEST(Snapshot, ReadChecksTheBodyStructureBehindTheCrcs) {
  // Proves a body that zstd and the CRCs accept is still parsed strictly: a well-sealed
  // file whose body has a trailing byte names the byte in the decompressed body.
  TempDir dir;
  Bytes body;
  EncodeSnapshotBody(SmallData(), body);
  const size_t body_size = body.size();
  body.push_back(0);
  Bytes compressed(ZSTD_compressBound(body.size()));
  compressed.resize(
      ZSTD_compress(compressed.data(), compressed.size(), body.data(), body.size(), 1));
  Bytes file(kSnapshotHeaderBytes);
  std::memcpy(file.data(), "STDBSNP1", 8);
  Store<uint64_t>(file, 24, body.size());
  Store<uint64_t>(file, 32, compressed.size());
  Store<uint32_t>(file, 40, Crc32c(compressed));
  ResealHeader(file);
  file.insert(file.end(), compressed.begin(), compressed.end());
  const fs::path path = dir.path() / "sealed";
  WriteAll(path, file);
  ExpectDecodeError(path, "trailing bytes after the last table in the decompressed body at byte " +
                              std::to_string(body_size));
}

TEST(SnapshotBody, EveryTruncationIsADecodeErrorWithItsPosition) {
  // Proves the decoder never reads past the end: each prefix of a valid body fails.
  Bytes body;
  EncodeSnapshotBody(SmallData(), body);
  ASSERT_TRUE(DecodeSnapshotBody(body).ok());
  for (size_t size = 0; size < body.size(); ++size) {
    auto decoded = DecodeSnapshotBody(ByteView(body).first(size));
    ASSERT_FALSE(decoded.ok()) << size;
    EXPECT_EQ(decoded.status().code(), ErrorCode::kDecode);
    EXPECT_NE(decoded.status().message().find("in the decompressed body at byte "),
              std::string::npos);
  }
}

// A body of one table whose fields after the name are given raw.
Bytes OneTableBody(uint32_t sequences, uint64_t row_count, uint64_t rows_len, ByteView rest) {
  Bytes b;
  ByteWriter w(b);
  w.U32(0);  // module_def
  w.U32(1);  // one table
  w.U32(9);
  w.String("t");
  w.U32(sequences);
  w.U64(row_count);
  w.U64(rows_len);
  w.Raw(rest);
  return b;
}

TEST(SnapshotBody, CountsLargerThanTheBytesAreRefused) {
  // Proves no count read from the body makes the decoder reserve memory the body cannot
  // back: each is checked against the bytes left, at the count's own position.
  Bytes tables;
  ByteWriter w(tables);
  w.U32(0);
  w.U32(UINT32_MAX);
  auto d = DecodeSnapshotBody(tables);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("table count 4294967295 larger than the 0 bytes left "
                                      "could hold in the decompressed body at byte 4"),
            std::string::npos)
      << d.status().message();

  // Header of the one table: 4 + 4 + 4 (id) + 5 (name) = byte 17 holds the sequence count.
  d = DecodeSnapshotBody(OneTableBody(1'000'000, 0, 0, {}));
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("sequence count 1000000 larger than"), std::string::npos);
  EXPECT_NE(d.status().message().find("at byte 17"), std::string::npos) << d.status().message();

  d = DecodeSnapshotBody(OneTableBody(0, 0, UINT64_MAX, {}));
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("rows length"), std::string::npos);

  const Bytes row = {1, 0, 0, 0, 7};
  d = DecodeSnapshotBody(OneTableBody(0, 2, row.size(), row));
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("row_count 2 larger than 5 bytes"), std::string::npos)
      << d.status().message();
  EXPECT_TRUE(DecodeSnapshotBody(OneTableBody(0, 1, row.size(), row)).ok());
}

TEST(SnapshotBody, MalformedRowsAreRefusedAtTheirByte) {
  // Proves the rows buffer is checked when read, so ForEachSnapshotRow cannot fail later.
  const Bytes overlong = {1, 0, 0, 0, 7, 9, 0, 0, 0};  // a row, then a length past the end
  auto d = DecodeSnapshotBody(OneTableBody(0, 2, overlong.size(), overlong));
  ASSERT_FALSE(d.ok());
  // The rows start at 17 + 4 (sequence count) + 16 = byte 37; the bad length at 37 + 5.
  EXPECT_NE(d.status().message().find("rows of table t malformed in the decompressed body at "
                                      "byte 42"),
            std::string::npos)
      << d.status().message();
  const Bytes two = {0, 0, 0, 0, 0, 0, 0, 0};  // two empty rows, but row_count says 1
  d = DecodeSnapshotBody(OneTableBody(0, 1, two.size(), two));
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("at byte 45"), std::string::npos) << d.status().message();
}

TEST(SnapshotRows, ForEachRefusesMalformedBuffers) {
  // Proves ForEachSnapshotRow reports a short length prefix, a row past the end, and a
  // row count that disagrees with the buffer, and visits well-formed rows in order.
  TableSnapshot t;
  t.name = "t";
  AppendSnapshotRow(t, Row("ab"));
  AppendSnapshotRow(t, {});
  std::vector<std::string> seen;
  ASSERT_TRUE(ForEachSnapshotRow(t, [&](ByteView r) { seen.emplace_back(AsStringView(r)); }).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"ab", ""}));

  auto count = [](const TableSnapshot& table) {
    size_t n = 0;
    Status s = ForEachSnapshotRow(table, [&](ByteView) { ++n; });
    EXPECT_EQ(s.code(), ErrorCode::kDecode);
    EXPECT_NE(s.message().find("snapshot table t"), std::string::npos) << s.message();
    return n;
  };
  TableSnapshot short_prefix = t;
  short_prefix.rows.push_back(1);  // 1 byte where a 4-byte length belongs
  EXPECT_EQ(count(short_prefix), 2u);
  TableSnapshot past_end = t;
  past_end.rows.back() = 5;  // the empty row's length says 5 bytes follow; none do
  EXPECT_EQ(count(past_end), 1u);
  TableSnapshot miscounted = t;
  miscounted.row_count = 3;
  EXPECT_EQ(count(miscounted), 2u);
}

TEST(Snapshot, WriteRefusesDataThatCouldNotBeReadBack) {
  // Proves malformed rows or a sequence of another table are refused, and nothing written.
  TempDir dir;
  SnapshotData d = SmallData();
  d.tables[0].row_count += 1;
  auto size = WriteSnapshot(FileSystem::Posix(), dir.path(), d);
  ASSERT_FALSE(size.ok());
  EXPECT_EQ(size.status().code(), ErrorCode::kInvalidArgument);
  d = SmallData();
  d.tables[1].sequences.push_back(SequencePosition{0, 1, 2});
  size = WriteSnapshot(FileSystem::Posix(), dir.path(), d);
  ASSERT_FALSE(size.ok());
  EXPECT_EQ(size.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(Snapshot, ListIgnoresOtherFilesAndSortsByOffset) {
  // Proves only exact snapshot names count (no .tmp leftovers, no foreign files).
  TempDir dir;
  for (uint64_t offset : {uint64_t{900}, uint64_t{5}, uint64_t{70}}) {
    SnapshotData d = SmallData();
    d.offset = offset;
    ASSERT_TRUE(WriteSnapshot(FileSystem::Posix(), dir.path(), d).ok());
  }
  for (const char* other : {"00000000000000000001.stdbsnap.tmp", "00000000000000000002.log",
                            "3.stdbsnap", "notes.txt"}) {
    WriteAll(dir.path() / other, Row("x"));
  }
  fs::create_directory(dir.path() / "00000000000000000004.stdbsnap.d");
  auto list = ListSnapshots(FileSystem::Posix(), dir.path());
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(*list, (std::vector<uint64_t>{5, 70, 900}));
  list = ListSnapshots(FileSystem::Posix(), dir.path() / "missing");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

TEST(Snapshot, WriteReplacesAtomicallyAndLeavesNoTmpFile) {
  // Proves a second snapshot at the same offset replaces the first whole, through a
  // .tmp file that is gone afterwards.
  TempDir dir;
  SnapshotData first = SmallData();
  SnapshotData second = SmallData();
  second.epoch = 9;
  AppendSnapshotRow(second.tables[1], Row("new"));
  ASSERT_TRUE(WriteSnapshot(FileSystem::Posix(), dir.path() / "sub", first).ok());
  ASSERT_TRUE(WriteSnapshot(FileSystem::Posix(), dir.path() / "sub", second).ok());
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir.path() / "sub")) {
    names.push_back(e.path().filename().string());
  }
  EXPECT_EQ(names, (std::vector<std::string>{SnapshotFileName(41)}));
  auto read = ReadSnapshot(FileSystem::Posix(), dir.path() / "sub" / SnapshotFileName(41));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, second);
}

TEST(Snapshot, FailedWriteKeepsThePreviousFileAndRemovesTheTmpFile) {
  // Proves an fsync failure surfaces as kIo, the old snapshot stays readable, and no
  // partial .tmp file is left.
  TempDir dir;
  const fs::path path = WriteSmall(dir);
  FaultyFileSystem failing;
  failing.fail_sync = true;
  SnapshotData newer = SmallData();
  newer.epoch = 8;
  auto size = WriteSnapshot(failing, dir.path(), newer);
  ASSERT_FALSE(size.ok());
  EXPECT_EQ(size.status().code(), ErrorCode::kIo);
  EXPECT_FALSE(fs::exists(path.string() + ".tmp"));
  auto read = ReadSnapshot(FileSystem::Posix(), path);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, SmallData());
}

}  // namespace
}  // namespace stdb::log
