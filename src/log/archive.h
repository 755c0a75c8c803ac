// Backup archives: the files of one database folder as one byte stream, so that
// `spacetime backup` can fetch a running database's durable state over HTTP and write it
// back as a folder that `spacetimedb start --restore` accepts.
//
//   "STDBBAK1"
//   per file:  u32 name length, name, u64 size, the bytes, u32 CRC32C of the bytes
//   end:       u32 0, u32 number of files
//
// Names are relative paths inside the database folder: one or two '/'-separated parts
// of [A-Za-z0-9._-], none "." or "..", at most 255 bytes (ValidateArchiveName).
// All integers little-endian.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"

namespace stdb::log {

inline constexpr char kArchiveMagic[] = "STDBBAK1";
inline constexpr size_t kArchiveNameMax = 255;
// Bounded: the largest file an archive may hold, and the most files.
inline constexpr uint64_t kArchiveFileBytesMax = 1ull << 40;
inline constexpr uint32_t kArchiveFilesMax = 100'000;

Status ValidateArchiveName(std::string_view name);

void AppendArchiveHeader(Bytes& out);
void AppendArchiveEntryHeader(std::string_view name, uint64_t size, Bytes& out);
void AppendArchiveEntryTrailer(uint32_t crc, Bytes& out);
void AppendArchiveEnd(uint32_t files, Bytes& out);

// Parses an archive fed in pieces of any size, checking names, sizes, CRCs and the end
// marker, and hands the files to the callbacks as it goes.
class ArchiveReader {
 public:
  struct Callbacks {
    std::function<Status(const std::string& name, uint64_t size)> begin_file;
    std::function<Status(ByteView data)> data;
    std::function<Status()> end_file;  // after the file's CRC was checked
  };
  explicit ArchiveReader(Callbacks callbacks) : cb_(std::move(callbacks)) {}

  // Consumes `data`. kDecode (naming the byte offset in the archive) for anything
  // malformed; a callback's error is returned as it is. After an error, stop feeding.
  Status Feed(ByteView data);
  // kDecode unless the archive ended properly (end marker and file count seen).
  Status Finish() const;
  uint64_t bytes_read() const { return pos_; }
  uint32_t files() const { return files_; }

 private:
  enum class State { kMagic, kNameLength, kName, kSize, kData, kCrc, kCount, kDone };
  Status Malformed(const std::string& why) const;
  void Fill(ByteView& data, size_t want);  // gathers up to `want` bytes into buf_

  Callbacks cb_;
  State state_ = State::kMagic;
  Bytes buf_;
  std::string name_;
  uint64_t left_ = 0;
  uint32_t crc_ = 0;
  uint32_t files_ = 0;
  uint64_t pos_ = 0;
};

}  // namespace stdb::log
