// RESP2, the Redis protocol (https://redis.io/docs/reference/protocol-spec/), as much as
// the load generators need (stdb_fanout's pub/sub, stdb_loadgen's pipelined FCALLs):
// encoding a command and parsing replies and pub/sub pushes incrementally from a byte
// stream.
//
//   command   *<n>\r\n then n bulk strings $<len>\r\n<bytes>\r\n
//   replies   +simple\r\n  -error\r\n  :integer\r\n  $<len>\r\n<bytes>\r\n ($-1 is null)
//             *<n>\r\n followed by n replies (*-1 is null)
//
// Thread safety: none; each connection has its own parser.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace stdb::bench {

// Bounded: a bulk string above this is a protocol error here (the workload's payloads are
// a few kilobytes), and so is nesting deeper than kRespDepthMax or an array longer than
// kRespElementsMax.
inline constexpr int64_t kRespBulkBytesMax = 64 << 20;
inline constexpr int kRespDepthMax = 8;
inline constexpr int64_t kRespElementsMax = 1 << 20;

struct RespValue {
  enum class Type : uint8_t { kSimple, kError, kInteger, kBulk, kNull, kArray };
  Type type = Type::kNull;
  std::string text;  // kSimple, kError, kBulk
  int64_t integer = 0;
  std::vector<RespValue> elements;  // kArray
};

// Appends the command `args` (name first) to `out`.
void AppendRespCommand(const std::vector<std::string_view>& args, std::string& out);

// Parses values from a stream of bytes: Feed what the socket delivered, then call Next
// until it returns nullopt (more bytes needed). A protocol error is permanent.
class RespParser {
 public:
  void Feed(std::string_view bytes) { buffer_.append(bytes); }
  Result<std::optional<RespValue>> Next();

 private:
  std::string buffer_;
  size_t pos_ = 0;  // start of the first unparsed value in buffer_
};

}  // namespace stdb::bench
