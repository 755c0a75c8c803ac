// Fuzz target: backup archives (log/archive.h) fed in two pieces split at a point the
// input chooses. Must never crash; whatever the reader accepts must re-encode to the
// same bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "log/archive.h"
#include "log/crc32c.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stdb;
  if (size < 1) return 0;
  const size_t split = data[0] % (size);
  ByteView input(data + 1, size - 1);
  std::vector<std::pair<std::string, std::string>> files;
  log::ArchiveReader reader({.begin_file =
                                 [&](const std::string& name, uint64_t) {
                                   files.emplace_back(name, "");
                                   return Status::Ok();
                                 },
                             .data =
                                 [&](ByteView d) {
                                   files.back().second.append(AsStringView(d));
                                   return Status::Ok();
                                 },
                             .end_file = [] { return Status::Ok(); }});
  const size_t first = std::min(split, input.size());
  Status s = reader.Feed(input.first(first));
  if (s.ok()) s = reader.Feed(input.subspan(first));
  if (!s.ok() || !reader.Finish().ok()) return 0;
  Bytes again;
  log::AppendArchiveHeader(again);
  for (const auto& [name, content] : files) {
    log::AppendArchiveEntryHeader(name, content.size(), again);
    again.insert(again.end(), content.begin(), content.end());
    log::AppendArchiveEntryTrailer(log::Crc32c(AsBytes(content)), again);
  }
  log::AppendArchiveEnd(static_cast<uint32_t>(files.size()), again);
  FUZZ_CHECK(again.size() == input.size() &&
             std::equal(again.begin(), again.end(), input.begin()));
  return 0;
}
