// Snapshots: the whole state of a database at one log offset, compressed with zstd.
//
//   <snapshot dir>/<offset, 20 decimal digits>.stdbsnap
//
// A snapshot holds the schema (module::EncodeModuleDef bytes), and per table its rows
// (BSATN) and sequence positions. docs/snapshots.md has the byte format: a 48-byte
// header (magic "STDBSNP1", epoch, offset, raw and compressed sizes, CRC32C of the
// compressed body, CRC32C of the header) then the zstd-compressed body.
//
//   header byte  0  magic "STDBSNP1"
//                8  u64 epoch
//               16  u64 offset
//               24  u64 raw (decompressed) body size
//               32  u64 compressed body size (= file size - 48)
//               40  u32 CRC32C of the compressed body
//               44  u32 CRC32C of header bytes 0..43
//
// Thread safety: the functions here share no state; they may run on any thread.
//
// Taking one: the database worker copies its tables into a SnapshotData (a memory copy,
// the only pause writes see), and a background thread compresses and writes it
// (WriteSnapshot), durably (tmp file, fsync, rename, fsync folder).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "log/file.h"
#include "log/record.h"

namespace stdb::log {

inline constexpr char kSnapshotSuffix[] = ".stdbsnap";
inline constexpr size_t kSnapshotHeaderBytes = 48;
// Bounded: the largest uncompressed snapshot body accepted when reading (16 GiB).
inline constexpr uint64_t kSnapshotBytesMax = 16ull << 30;

struct TableSnapshot {
  uint32_t table_id = 0;
  std::string name;
  std::vector<SequencePosition> sequences;  // table_id as above
  uint64_t row_count = 0;
  // The rows, each as u32 length + BSATN bytes, back to back (one buffer, not one
  // allocation per row).
  Bytes rows;
  bool operator==(const TableSnapshot&) const = default;
};

struct SnapshotData {
  uint64_t epoch = 0;
  uint64_t offset = 0;  // the state after the record at this offset
  Bytes module_def;     // module::EncodeModuleDef of the schema the tables follow
  std::vector<TableSnapshot> tables;
  bool operator==(const SnapshotData&) const = default;
};

// Appends one row to a TableSnapshot.
void AppendSnapshotRow(TableSnapshot& table, ByteView row);
// Calls f(ByteView row) for every row of `table`; kDecode if the buffer is malformed.
template <typename F>
Status ForEachSnapshotRow(const TableSnapshot& table, F&& f);

// "<20 digits>.stdbsnap" and back.
std::string SnapshotFileName(uint64_t offset);
std::optional<uint64_t> ParseSnapshotFileName(std::string_view name);

// Appends the uncompressed body of `data` (everything but epoch and offset, which are in
// the header) to `out`. REQUIRES: ValidForSnapshot(data) is OK.
void EncodeSnapshotBody(const SnapshotData& data, Bytes& out);
// Decodes an uncompressed body, strictly: kDecode "<what> in the decompressed body at
// byte N" for anything truncated, trailing, or counted larger than the bytes could hold,
// and for a table whose rows buffer does not hold exactly row_count framed rows. The
// result's epoch and offset are 0. Memory is in proportion to raw.size(): every count is
// checked against the bytes left before anything is reserved for it.
Result<SnapshotData> DecodeSnapshotBody(ByteView raw);
// OK if `data` can be written and read back: every table's rows buffer holds exactly
// row_count framed rows, every sequence names its own table, strings fit a u32 length,
// and the body is at most kSnapshotBytesMax. kInvalidArgument naming the problem if not.
Status ValidForSnapshot(const SnapshotData& data);

// Compresses and writes `data` as <dir>/SnapshotFileName(data.offset), durably,
// creating `dir` if needed. zstd level 1: snapshots are taken while the database runs,
// and speed matters more than size. Returns the file size. kInvalidArgument (nothing
// written) if ValidForSnapshot fails; kIo from the file system, in which case the file of
// that name is either the previous one or the new one, whole (rename is atomic), and the
// .tmp file is removed (best effort).
Result<uint64_t> WriteSnapshot(FileSystem& fs, const std::filesystem::path& dir,
                               const SnapshotData& data);
// Reads and checks a snapshot file. kDecode naming the file and the byte offset of the
// problem for anything wrong (bad magic, bad CRC, truncated, trailing bytes, sizes over
// the bounds, a header offset that differs from the file name's, malformed body);
// kNotFound / kIo from the file system. Memory: the file, the decompressed body (only
// after the sizes pass the checks), and the result.
Result<SnapshotData> ReadSnapshot(FileSystem& fs, const std::filesystem::path& path);
// Snapshot offsets present in `dir`, ascending (by file name; contents unchecked).
Result<std::vector<uint64_t>> ListSnapshots(FileSystem& fs, const std::filesystem::path& dir);

// ---- implementation of the template above
// kDecode naming `table` and byte `at` of its rows buffer, where the framing went wrong.
Status SnapshotRowsMalformed(const TableSnapshot& table, size_t at);
template <typename F>
Status ForEachSnapshotRow(const TableSnapshot& table, F&& f) {
  size_t pos = 0;
  uint64_t seen = 0;
  const Bytes& b = table.rows;
  while (pos < b.size()) {
    if (b.size() - pos < 4) return SnapshotRowsMalformed(table, pos);
    const uint32_t len = uint32_t(b[pos]) | uint32_t(b[pos + 1]) << 8 |
                         uint32_t(b[pos + 2]) << 16 | uint32_t(b[pos + 3]) << 24;
    pos += 4;
    if (b.size() - pos < len) return SnapshotRowsMalformed(table, pos - 4);
    f(ByteView(b.data() + pos, len));
    pos += len;
    ++seen;
  }
  if (seen != table.row_count) return SnapshotRowsMalformed(table, pos);
  return Status::Ok();
}

}  // namespace stdb::log
