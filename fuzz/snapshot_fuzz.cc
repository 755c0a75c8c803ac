// libFuzzer target for snapshot files (docs/snapshots.md): ReadSnapshot and the body
// decoder behind it.
//
// Input: one mode byte, then
//   0 file              the bytes are a snapshot file: ReadSnapshot it
//   1 body              the bytes are an uncompressed body: DecodeSnapshotBody it
//   2 u64 raw frame     a zstd frame, sealed with a correct header (raw size as given,
//                       CRCs computed) so decompression and the size checks are reached
//                       without the fuzzer having to find CRCs: ReadSnapshot it
// Checks: nothing crashes, and errors are kDecode. Whatever is accepted round-trips: a
// body re-encodes to the same bytes, and WriteSnapshot then ReadSnapshot gives back the
// same data.
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "base/bytes.h"
#include "fuzz_check.h"
#include "log/crc32c.h"
#include "log/faulty_fs.h"
#include "log/snapshot.h"

namespace stdb::fuzz {
namespace {

namespace fs = std::filesystem;

// The real file system without fsync: durability is not under test here, and an fsync
// per input would slow fuzzing a hundredfold.
log::FileSystem& Files() {
  static log::FaultyFileSystem files;
  files.skip_sync = true;
  return files;
}

// A folder of this process's own, removed at exit.
const fs::path& WorkDir() {
  static const fs::path dir = [] {
    std::string tmpl = (fs::temp_directory_path() / "stdb-snapshot-fuzz-").string() + "XXXXXX";
    FUZZ_CHECK(::mkdtemp(tmpl.data()) != nullptr);
    return fs::path(tmpl);
  }();
  static const int registered = std::atexit([] {
    std::error_code ec;
    fs::remove_all(dir, ec);
  });
  (void)registered;
  return dir;
}

// WriteSnapshot then ReadSnapshot must give `data` back.
void CheckRoundTrip(const log::SnapshotData& data) {
  FUZZ_CHECK(log::ValidForSnapshot(data).ok());
  const fs::path dir = WorkDir() / "out";
  auto size = log::WriteSnapshot(Files(), dir, data);
  FUZZ_CHECK_MSG(size.ok(), size.status().ToString().c_str());
  const fs::path path = dir / log::SnapshotFileName(data.offset);
  auto read = log::ReadSnapshot(Files(), path);
  FUZZ_CHECK_MSG(read.ok(), read.status().ToString().c_str());
  FUZZ_CHECK(*read == data);
  FUZZ_CHECK(Files().Remove(path).ok());
}

void ReadFileBytes(ByteView file) {
  // "input" is not a snapshot name, so the header's offset is not checked against it.
  const fs::path path = WorkDir() / "input";
  FUZZ_CHECK(Files().WriteFileDurably(path, file).ok());
  auto read = log::ReadSnapshot(Files(), path);
  if (!read.ok()) {
    FUZZ_CHECK(read.status().code() == ErrorCode::kDecode);
    FUZZ_CHECK(read.status().message().find(path.string()) != std::string::npos);
    return;
  }
  CheckRoundTrip(*read);
}

void DecodeBody(ByteView body) {
  auto data = log::DecodeSnapshotBody(body);
  if (!data.ok()) {
    FUZZ_CHECK(data.status().code() == ErrorCode::kDecode);
    return;
  }
  Bytes again;
  log::EncodeSnapshotBody(*data, again);
  FUZZ_CHECK(again == Bytes(body.begin(), body.end()));
  CheckRoundTrip(*data);
}

// Puts a header with correct CRCs in front of a compressed body.
void ReadSealedFrame(ByteView in) {
  ByteReader r(in);
  uint64_t raw_bytes = 0;
  if (!r.Fixed(raw_bytes)) return;
  const ByteView frame = in.subspan(r.position());
  Bytes file;
  ByteWriter w(file);
  w.Raw("STDBSNP1", 8);
  w.U64(0);  // epoch
  w.U64(0);  // offset
  w.U64(raw_bytes);
  w.U64(frame.size());
  w.U32(log::Crc32c(frame));
  w.U32(log::Crc32c(file));
  w.Raw(frame);
  ReadFileBytes(file);
}

void Run(ByteView in) {
  if (in.empty()) return;
  const ByteView rest = in.subspan(1);
  switch (in[0] % 3) {
    case 0:
      ReadFileBytes(rest);
      break;
    case 1:
      DecodeBody(rest);
      break;
    case 2:
      ReadSealedFrame(rest);
      break;
  }
}

}  // namespace
}  // namespace stdb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  stdb::fuzz::Run(stdb::ByteView(data, size));
  return 0;
}
