// Helpers shared by the commit log tests: temporary folders, sample records, and
// reading a whole log back.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "log/commit_log.h"
#include "log/record.h"
#include "log/segment.h"

namespace stdb::log::testing {

// A fresh folder under the system's temporary folder, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    // mkdtemp replaces the six trailing 'X's of the template with a unique suffix.
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "stdb-log-").string() + std::string(6, 'X');
    STDB_ASSERT(mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A reducer record at `offset` that inserts `rows` rows of `row_bytes` bytes each (the
// bytes depend on the offset, so records differ).
inline TxRecord SampleRecord(uint64_t offset, size_t rows = 2, size_t row_bytes = 16) {
  TxRecord r;
  r.offset = offset;
  r.epoch = 1;
  r.kind = RecordKind::kReducer;
  r.timestamp_micros = 1700000000000000 + static_cast<int64_t>(offset);
  r.caller_identity = U256{{offset, 2, 3, 4}};
  r.caller_connection_id = (u128{offset} << 64) | 7;
  r.name = "reducer_" + std::to_string(offset);
  r.args = {static_cast<uint8_t>(offset), 1, 2};
  const uint32_t table_id = static_cast<uint32_t>(offset % 3);
  store::TableDelta t;
  t.table_id = table_id;
  for (size_t i = 0; i < rows; ++i) {
    t.inserts.push_back(Bytes(row_bytes, static_cast<uint8_t>(offset + i)));
  }
  t.deletes.push_back(Bytes{9, 9});
  r.delta.tables.push_back(std::move(t));
  r.sequences.push_back(SequencePosition{table_id, 0, offset + 100});
  return r;
}

// Every record of the log in `dir` from `from_offset` on; fails the test on an error.
inline std::vector<TxRecord> ReadAll(FileSystem& fs, const std::filesystem::path& dir,
                                     uint64_t from_offset = 0, LogEnd* end_out = nullptr) {
  std::vector<TxRecord> out;
  auto end = ReadLog(fs, dir, from_offset, [&](TxRecord&& r) {
    out.push_back(std::move(r));
    return Status::Ok();
  });
  EXPECT_TRUE(end.ok()) << end.status().ToString();
  if (end.ok() && end_out != nullptr) *end_out = *end;
  return out;
}

// The offsets of `records`, in order.
inline std::vector<uint64_t> Offsets(const std::vector<TxRecord>& records) {
  std::vector<uint64_t> out;
  for (const TxRecord& r : records) out.push_back(r.offset);
  return out;
}

// [first, first + n).
inline std::vector<uint64_t> Range(uint64_t first, uint64_t n) {
  std::vector<uint64_t> out;
  for (uint64_t i = 0; i < n; ++i) out.push_back(first + i);
  return out;
}

}  // namespace stdb::log::testing
