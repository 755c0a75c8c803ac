// libFuzzer target for the commit log's readers: record payloads (DecodeRecordPayload)
// and whole segment files (ReadLog), which recovery reads from a disk that may be
// damaged (docs/commit-log.md).
//
// Input: the bytes are first decoded as one record payload; a payload that decodes must
// re-encode to the same bytes and decode again to an equal record. Then they become the
// body of a segment file (after a valid header for offset 0), alone in a log folder of
// an in-memory FileSystem, and ReadLog reads it:
//   byte 0, bit 0   0: the rest of the input is the body as it is
//                   1: the rest is chunks (u16 length, then that many bytes), each
//                      framed with correct CRCs, so payloads reach the decoder; a last
//                      chunk shorter than its length is appended raw (a torn tail)
//   byte 0, bits 1-2  from_offset (0-3)
// Checks: ReadLog never crashes; if it succeeds, it delivered consecutive offsets from
// from_offset, its valid bytes lie within the file, and the file cut to those bytes
// reads back the same records with nothing left to repair.
#include <algorithm>
#include <filesystem>
#include <map>

#include "base/bytes.h"
#include "fuzz_check.h"
#include "log/crc32c.h"
#include "log/file.h"
#include "log/record.h"
#include "log/segment.h"

namespace stdb::fuzz {
namespace {

namespace fs = std::filesystem;
using log::TxRecord;

void CheckPayload(ByteView in) {
  auto rec = log::DecodeRecordPayload(in);
  if (!rec.ok()) {
    FUZZ_CHECK(rec.status().code() == ErrorCode::kDecode);
    return;
  }
  FUZZ_CHECK(log::RecordPayloadBytes(*rec) == in.size());
  Bytes again;
  log::EncodeRecordPayload(*rec, again);
  FUZZ_CHECK(again.size() == in.size() && std::equal(again.begin(), again.end(), in.begin()));
  auto twice = log::DecodeRecordPayload(again);
  FUZZ_CHECK(twice.ok() && *twice == *rec);
}

// The segment is read from memory: ReadLog only lists the folder and reads files, and
// going through the kernel for every input would make the target a hundred times slower.
class MemoryFileSystem final : public log::FileSystem {
 public:
  void Put(const std::string& name, Bytes data) { files_[name] = std::move(data); }
  void Truncate(const std::string& name, uint64_t size) { files_.at(name).resize(size); }

  Result<std::unique_ptr<log::WritableFile>> OpenAppend(const fs::path&, uint64_t) override {
    return Unsupported("read-only");
  }
  Result<std::unique_ptr<log::WritableFile>> OpenOverwrite(const fs::path&) override {
    return Unsupported("read-only");
  }
  Result<Bytes> ReadFile(const fs::path& path) override {
    auto it = files_.find(path.filename().string());
    if (path.parent_path() != kDir || it == files_.end()) return NotFound(path.string());
    return it->second;
  }
  Result<std::vector<std::string>> List(const fs::path& dir) override {
    std::vector<std::string> names;
    if (dir != kDir) return names;
    for (const auto& [name, data] : files_) names.push_back(name);
    return names;
  }
  Status CreateDirectories(const fs::path&) override { return Unsupported("read-only"); }
  Status Rename(const fs::path&, const fs::path&) override { return Unsupported("read-only"); }
  Status Remove(const fs::path&) override { return Unsupported("read-only"); }
  Status SyncDirectory(const fs::path&) override { return Unsupported("read-only"); }

  static inline const fs::path kDir = "/log";

 private:
  std::map<std::string, Bytes> files_;  // sorted, as List requires
};

Bytes SegmentBody(ByteView in, bool framed) {
  if (!framed) return Bytes(in.begin(), in.end());
  Bytes out;
  ByteReader r(in);
  uint16_t len = 0;
  while (r.Fixed(len)) {
    ByteView chunk;
    if (!r.Take(len, chunk)) {
      const ByteView rest = in.subspan(r.position());
      out.insert(out.end(), rest.begin(), rest.end());
      break;
    }
    ByteWriter w(out);
    w.U32(len);
    w.U32(log::Crc32c(ByteView(out.data() + out.size() - 4, 4)));
    w.U32(log::Crc32c(chunk));
    w.Raw(chunk);
  }
  return out;
}

struct ReadResult {
  Status status;
  log::LogEnd end;
  std::vector<uint64_t> offsets;
};

ReadResult Read(MemoryFileSystem& mfs, uint64_t from_offset) {
  ReadResult out;
  auto end = log::ReadLog(mfs, MemoryFileSystem::kDir, from_offset, [&](TxRecord&& r) {
    out.offsets.push_back(r.offset);
    return Status::Ok();
  });
  if (end.ok()) {
    out.end = std::move(end).value();
  } else {
    out.status = end.status();
  }
  return out;
}

void CheckSegment(ByteView in) {
  if (in.empty()) return;
  const bool framed = (in[0] & 1) != 0;
  const uint64_t from_offset = (in[0] >> 1) & 3;
  Bytes file;
  log::AppendSegmentHeader(0, file);
  const Bytes body = SegmentBody(in.subspan(1), framed);
  file.insert(file.end(), body.begin(), body.end());
  const std::string name = log::SegmentFileName(0);
  const fs::path path = MemoryFileSystem::kDir / name;
  const size_t file_bytes = file.size();
  MemoryFileSystem mfs;
  mfs.Put(name, std::move(file));
  const ReadResult first = Read(mfs, from_offset);
  if (!first.status.ok()) {
    FUZZ_CHECK(first.status.code() == ErrorCode::kDecode);
    FUZZ_CHECK(first.status.message().find(path.string()) != std::string::npos);
    return;
  }
  for (size_t i = 0; i < first.offsets.size(); ++i) {
    FUZZ_CHECK(first.offsets[i] == from_offset + i);
  }
  const log::LogEnd& end = first.end;
  if (!end.last_segment) {
    // The log ends before from_offset: appending would resume in a new segment there.
    FUZZ_CHECK(first.offsets.empty() && end.next_offset == from_offset);
    return;
  }
  FUZZ_CHECK(end.last_segment == path);
  FUZZ_CHECK(end.last_segment_valid_bytes >= log::kSegmentHeaderBytes);
  FUZZ_CHECK(end.last_segment_valid_bytes <= file_bytes);
  FUZZ_CHECK(end.notices.empty() == (end.last_segment_valid_bytes == file_bytes));
  FUZZ_CHECK(end.next_offset == from_offset + first.offsets.size());
  mfs.Truncate(name, end.last_segment_valid_bytes);
  const ReadResult again = Read(mfs, from_offset);
  FUZZ_CHECK(again.status.ok());
  FUZZ_CHECK(again.offsets == first.offsets);
  FUZZ_CHECK(again.end.notices.empty());
  FUZZ_CHECK(again.end.next_offset == end.next_offset);
}

}  // namespace
}  // namespace stdb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const stdb::ByteView in(data, size);
  stdb::fuzz::CheckPayload(in);
  stdb::fuzz::CheckSegment(in);
  return 0;
}
