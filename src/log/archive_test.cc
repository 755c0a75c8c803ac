// Tests of the backup archive format: round trips fed in pieces of every size, and each
// kind of damage refused with a message naming the byte offset.
#include "log/archive.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>

#include "log/crc32c.h"

namespace stdb::log {
namespace {

Bytes Archive(const std::map<std::string, std::string>& files) {
  Bytes out;
  AppendArchiveHeader(out);
  for (const auto& [name, data] : files) {
    AppendArchiveEntryHeader(name, data.size(), out);
    out.insert(out.end(), data.begin(), data.end());
    AppendArchiveEntryTrailer(Crc32c(AsBytes(data)), out);
  }
  AppendArchiveEnd(static_cast<uint32_t>(files.size()), out);
  return out;
}

// Reads `archive` fed `step` bytes at a time; returns the files or the first error.
Result<std::map<std::string, std::string>> Read(const Bytes& archive, size_t step) {
  std::map<std::string, std::string> files;
  std::string current;
  ArchiveReader reader({.begin_file =
                            [&](const std::string& name, uint64_t) {
                              current = name;
                              files[name];
                              return Status::Ok();
                            },
                        .data =
                            [&](ByteView d) {
                              files[current].append(AsStringView(d));
                              return Status::Ok();
                            },
                        .end_file = [] { return Status::Ok(); }});
  for (size_t at = 0; at < archive.size(); at += step) {
    const size_t n = std::min(step, archive.size() - at);
    STDB_RETURN_IF_ERROR(reader.Feed(ByteView(archive.data() + at, n)));
  }
  STDB_RETURN_IF_ERROR(reader.Finish());
  return files;
}

TEST(Archive, RoundTripsFedInPiecesOfAnySize) {
  const std::map<std::string, std::string> files = {
      {"meta.json", "{}"},
      {"log/00000000000000000000.stdblog", std::string(5000, 'x')},
      {"snapshots/empty.stdbsnap", ""}};
  const Bytes archive = Archive(files);
  for (size_t step : {1, 2, 3, 7, 64, 4096, 1 << 20}) {
    auto read = Read(archive, step);
    ASSERT_TRUE(read.ok()) << step << ": " << read.status().ToString();
    EXPECT_EQ(*read, files) << step;
  }
}

RC_GTEST_PROP(Archive, RandomFilesRoundTrip, ()) {
  const auto count = *rc::gen::inRange<size_t>(0, 5);
  std::map<std::string, std::string> files;
  for (size_t i = 0; i < count; ++i) {
    files["f" + std::to_string(i)] = *rc::gen::container<std::string>(rc::gen::arbitrary<char>());
  }
  const auto step = *rc::gen::inRange<size_t>(1, 50);
  auto read = Read(Archive(files), step);
  RC_ASSERT(read.ok());
  RC_ASSERT(*read == files);
}

TEST(Archive, DamageIsRefusedNamingTheOffset) {
  const Bytes good = Archive({{"meta.json", "{\"name\":\"x\"}"}});
  // Every truncation is incomplete.
  for (size_t cut = 0; cut < good.size(); ++cut) {
    auto r = Read(Bytes(good.begin(), good.begin() + static_cast<ptrdiff_t>(cut)), 5);
    ASSERT_FALSE(r.ok()) << cut;
    EXPECT_EQ(r.status().code(), ErrorCode::kDecode);
  }
  // A flipped bit in the data fails its CRC.
  Bytes flipped = good;
  flipped[8 + 4 + 9 + 8 + 2] ^= 0x10;
  auto crc = Read(flipped, 1000);
  ASSERT_FALSE(crc.ok());
  EXPECT_NE(crc.status().message().find("CRC mismatch in file 'meta.json'"), std::string::npos)
      << crc.status().message();
  EXPECT_NE(crc.status().message().find("at byte"), std::string::npos);
  // Trailing bytes, a bad magic, and a wrong file count.
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_FALSE(Read(trailing, 1000).ok());
  Bytes magic = good;
  magic[0] = 'X';
  EXPECT_FALSE(Read(magic, 1000).ok());
  Bytes count = good;
  count.back() = 9;
  EXPECT_FALSE(Read(count, 1000).ok());
}

TEST(Archive, NamesThatCouldEscapeTheFolderAreRefused) {
  for (const char* name : {"../x", "/etc/passwd", "a/../../b", ".", "a//b", "a/b/c", "", "a b",
                           "log/..", "x\\y"}) {
    EXPECT_FALSE(ValidateArchiveName(name).ok()) << name;
    auto r = Read(Archive({{name, "data"}}), 1000);
    EXPECT_FALSE(r.ok()) << name;
  }
  for (const char* name : {"meta.json", "log/00000000000000000000.stdblog", "module-1-2.so"}) {
    EXPECT_TRUE(ValidateArchiveName(name).ok()) << name;
  }
}

}  // namespace
}  // namespace stdb::log
