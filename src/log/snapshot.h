// Snapshots: the whole state of a database at one log offset, compressed with zstd.
//
//   <snapshot dir>/<offset, 20 decimal digits>.stdbsnap
//
// A snapshot holds the schema (module::EncodeModuleDef bytes), and per table its rows
// (BSATN) and sequence positions. docs/commit-log.md has the byte format: a 48-byte
// header (magic "STDBSNP1", epoch, offset, raw and compressed sizes, CRC32C of the
// compressed body, CRC32C of the header) then the zstd-compressed body.
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
};

struct SnapshotData {
  uint64_t epoch = 0;
  uint64_t offset = 0;  // the state after the record at this offset
  Bytes module_def;     // module::EncodeModuleDef of the schema the tables follow
  std::vector<TableSnapshot> tables;
};

// Appends one row to a TableSnapshot.
void AppendSnapshotRow(TableSnapshot& table, ByteView row);
// Calls f(ByteView row) for every row of `table`; kDecode if the buffer is malformed.
template <typename F>
Status ForEachSnapshotRow(const TableSnapshot& table, F&& f);

// "<20 digits>.stdbsnap" and back.
std::string SnapshotFileName(uint64_t offset);
std::optional<uint64_t> ParseSnapshotFileName(std::string_view name);

// Compresses and writes `data` as <dir>/SnapshotFileName(data.offset), durably.
// zstd level 1: snapshots are taken while the database runs, and speed matters more
// than size. Returns the file size.
Result<uint64_t> WriteSnapshot(FileSystem& fs, const std::filesystem::path& dir,
                               const SnapshotData& data);
// Reads and checks a snapshot file. kDecode naming the file and the byte offset of the
// problem for anything wrong (bad magic, bad CRC, truncated, sizes over the bounds,
// malformed body); kNotFound / kIo from the file system.
Result<SnapshotData> ReadSnapshot(FileSystem& fs, const std::filesystem::path& path);
// Snapshot offsets present in `dir`, ascending (by file name; contents unchecked).
Result<std::vector<uint64_t>> ListSnapshots(FileSystem& fs, const std::filesystem::path& dir);

// ---- implementation of the template above
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
