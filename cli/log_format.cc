#include "cli/log_format.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "cli/table_format.h"

namespace stdb::cli {

std::string FormatLogLine(std::string_view json_line) {
  using Json = nlohmann::json;
  const Json j = Json::parse(json_line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("ts") || !j["ts"].is_number_integer() ||
      !j.contains("level") || !j["level"].is_string() || !j.contains("message") ||
      !j["message"].is_string()) {
    return std::string(json_line);
  }
  std::string level = j["level"].get<std::string>();
  std::transform(level.begin(), level.end(), level.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  std::string out = Rfc3339(j["ts"].get<int64_t>()) + " " + level + " ";
  if (j.contains("target") && j["target"].is_string()) {
    out += "[" + j["target"].get<std::string>() + "] ";
  }
  for (char c : j["message"].get<std::string>()) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace stdb::cli
