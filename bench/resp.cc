#include "bench/resp.h"

#include <charconv>

namespace stdb::bench {

void AppendRespCommand(const std::vector<std::string_view>& args, std::string& out) {
  out += '*';
  out += std::to_string(args.size());
  out += "\r\n";
  for (std::string_view a : args) {
    out += '$';
    out += std::to_string(a.size());
    out += "\r\n";
    out += a;
    out += "\r\n";
  }
}

namespace {

// Parses one value of `in` at `pos`. Returns nullopt, leaving `pos` alone, when `in`
// ends before the value does.
Result<std::optional<RespValue>> ParseValue(std::string_view in, size_t& pos, int depth) {
  if (depth > kRespDepthMax) return DecodeError("RESP nesting too deep");
  const size_t eol = in.find("\r\n", pos);
  if (eol == std::string_view::npos) return std::optional<RespValue>();
  const char kind = in[pos];
  const std::string_view line = in.substr(pos + 1, eol - pos - 1);
  size_t next = eol + 2;
  RespValue v;
  auto number = [&](int64_t& out) {
    const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), out);
    return ec == std::errc() && end == line.data() + line.size();
  };
  switch (kind) {
    case '+':
      v.type = RespValue::Type::kSimple;
      v.text = line;
      break;
    case '-':
      v.type = RespValue::Type::kError;
      v.text = line;
      break;
    case ':':
      v.type = RespValue::Type::kInteger;
      if (!number(v.integer)) return DecodeError("bad RESP integer");
      break;
    case '$': {
      int64_t len = 0;
      if (!number(len) || len < -1 || len > kRespBulkBytesMax) {
        return DecodeError("bad RESP bulk length");
      }
      if (len == -1) break;  // null
      if (in.size() < next + static_cast<size_t>(len) + 2) return std::optional<RespValue>();
      if (in.substr(next + len, 2) != "\r\n") return DecodeError("RESP bulk without CRLF");
      v.type = RespValue::Type::kBulk;
      v.text = in.substr(next, static_cast<size_t>(len));
      next += static_cast<size_t>(len) + 2;
      break;
    }
    case '*': {
      int64_t count = 0;
      if (!number(count) || count < -1 || count > kRespElementsMax) {
        return DecodeError("bad RESP array length");
      }
      if (count == -1) break;  // null
      v.type = RespValue::Type::kArray;
      v.elements.reserve(static_cast<size_t>(count));
      for (int64_t i = 0; i < count; ++i) {
        STDB_ASSIGN_OR_RETURN(auto element, ParseValue(in, next, depth + 1));
        if (!element.has_value()) return std::optional<RespValue>();
        v.elements.push_back(std::move(*element));
      }
      break;
    }
    default:
      return DecodeError(std::string("bad RESP type byte '") + kind + "'");
  }
  pos = next;
  return std::optional<RespValue>(std::move(v));
}

}  // namespace

Result<std::optional<RespValue>> RespParser::Next() {
  STDB_ASSIGN_OR_RETURN(auto value, ParseValue(buffer_, pos_, 0));
  // Drop what has been parsed once it is most of the buffer, so the buffer stays
  // about the size of one value and the copy is amortised.
  if (pos_ > 0 && (pos_ == buffer_.size() || pos_ > buffer_.size() / 2)) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  return value;
}

}  // namespace stdb::bench
