// libFuzzer target for the commit log's readers: record payloads (DecodeRecordPayload)
// and whole segment files (ReadLog), which recovery reads from a disk that may be
// damaged (docs/commit-log.md).
//
// Input: the bytes are first decoded as one record payload; a payload that decodes must
// re-encode to the same bytes and decode again to an equal record. Then they become the
// body of a segment file (after a valid header for offset 0) and ReadLog reads it:
//   byte 0, bit 0   0: the rest of the input is the body as it is
//                   1: the rest is chunks (u16 length, then that many bytes), each
//                      framed with correct CRCs, so payloads reach the decoder; a last
//                      chunk shorter than its length is appended raw (a torn tail)
//   byte 0, bits 1-2  from_offset (0-3)
// Checks: ReadLog never crashes; if it succeeds, it delivered consecutive offsets from
// from_offset, its valid bytes lie within the file, and the file cut to those bytes
// reads back the same records with nothing left to repair.
#include <stdlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "base/bytes.h"
#include "fuzz_check.h"
#include "log/crc32c.h"
#include "log/faulty_fs.h"
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

// The folder the segment file is written to: one per process, reused by every input.
const fs::path& Dir() {
  static const fs::path dir = [] {
    std::string tmpl = (fs::temp_directory_path() / "stdb-logrecord-fuzz-").string() + "XXXXXX";
    FUZZ_CHECK(mkdtemp(tmpl.data()) != nullptr);
    return fs::path(tmpl);
  }();
  return dir;
}

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

ReadResult Read(uint64_t from_offset) {
  ReadResult out;
  auto end = log::ReadLog(log::FileSystem::Posix(), Dir(), from_offset, [&](TxRecord&& r) {
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
  const fs::path path = Dir() / log::SegmentFileName(0);
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
    FUZZ_CHECK(f.good());
  }
  const ReadResult first = Read(from_offset);
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
  FUZZ_CHECK(end.last_segment_valid_bytes <= file.size());
  FUZZ_CHECK(end.notices.empty() == (end.last_segment_valid_bytes == file.size()));
  FUZZ_CHECK(end.next_offset == from_offset + first.offsets.size());
  FUZZ_CHECK(log::TruncateFile(path, end.last_segment_valid_bytes).ok());
  const ReadResult again = Read(from_offset);
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
