#include "cli/table_format.h"

#include <algorithm>
#include <ctime>
#include <vector>

namespace stdb::cli {
namespace {

using Json = nlohmann::json;

// The single element name of a special product type, e.g. "__identity__", or "".
std::string SpecialTag(const Json& type) {
  if (!type.is_object() || !type.contains("Product")) return "";
  const Json& els = type["Product"]["elements"];
  if (!els.is_array() || els.size() != 1) return "";
  const Json& name = els[0]["name"];
  if (name.is_object() && name.contains("some") && name["some"].is_string()) {
    return name["some"].get<std::string>();
  }
  return "";
}

size_t DisplayWidth(const std::string& s) {
  size_t w = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++w;  // count UTF-8 code points, not bytes
  }
  return w;
}

}  // namespace

std::string Rfc3339(int64_t micros) {
  const std::time_t secs =
      static_cast<std::time_t>(micros / 1000000 - (micros % 1000000 < 0 ? 1 : 0));
  const int64_t frac = ((micros % 1000000) + 1000000) % 1000000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char out[64];
  std::snprintf(out, sizeof(out), "%s.%06lldZ", buf, static_cast<long long>(frac));
  return out;
}

std::string FormatCell(const Json& type, const Json& value) {
  const std::string tag = SpecialTag(type);
  if (tag == "__timestamp_micros_since_unix_epoch__" && value.is_number_integer()) {
    return Rfc3339(value.get<int64_t>());
  }
  if (tag == "__time_duration_micros__" && value.is_number_integer()) {
    return std::to_string(value.get<int64_t>()) + "us";
  }
  if (value.is_string()) {
    if (tag == "__identity__" || tag == "__connection_id__") return value.get<std::string>();
    return value.dump();
  }
  if (type.is_object() && type.contains("Sum") && value.is_object() && value.size() == 1) {
    const Json& variants = type["Sum"]["variants"];
    const std::string name = value.begin().key();
    // Option<T>: show the content, or none.
    if (variants.is_array() && variants.size() == 2 &&
        variants[0]["name"].value("some", "") == "some" &&
        variants[1]["name"].value("some", "") == "none") {
      if (name == "none") return "none";
      return FormatCell(variants[0]["algebraic_type"], value.begin().value());
    }
    for (const auto& v : variants) {
      if (v["name"].value("some", "") == name) {
        const Json& payload = value.begin().value();
        if (payload.is_array() && payload.empty()) return name;
        return name + "(" + FormatCell(v["algebraic_type"], payload) + ")";
      }
    }
  }
  return value.dump();
}

std::string FormatSqlTable(const Json& result) {
  const Json& elements = result["schema"]["elements"];
  // INSERT / UPDATE / DELETE answer no columns and a count (docs/http-api.md).
  if (elements.empty() && result.contains("rows_affected")) {
    const uint64_t n = result["rows_affected"].get<uint64_t>();
    return "(" + std::to_string(n) + (n == 1 ? " row" : " rows") + " affected)\n";
  }
  std::vector<std::string> header;
  std::vector<Json> types;
  for (const auto& el : elements) {
    header.push_back(el["name"].value("some", std::string("?")));
    types.push_back(el["algebraic_type"]);
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& row : result["rows"]) {
    std::vector<std::string> cells;
    for (size_t i = 0; i < header.size() && i < row.size(); ++i)
      cells.push_back(FormatCell(types[i], row[i]));
    rows.push_back(std::move(cells));
  }
  std::string out = FormatTextTable(header, rows);
  out += "(" + std::to_string(rows.size()) + (rows.size() == 1 ? " row)\n" : " rows)\n");
  return out;
}

std::string FormatTextTable(const std::vector<std::string>& header,
                            const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i) {
    width[i] = DisplayWidth(header[i]);
    for (const auto& r : rows) {
      if (i < r.size()) width[i] = std::max(width[i], DisplayWidth(r[i]));
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < width.size(); ++i) {
      const std::string& c = i < cells.size() ? cells[i] : "";
      out += (i == 0 ? " " : " | ") + c;
      if (i + 1 < width.size()) out += std::string(width[i] - DisplayWidth(c), ' ');
    }
    return out + "\n";
  };
  std::string out = line(header);
  for (size_t i = 0; i < width.size(); ++i)
    out += (i == 0 ? "-" : "-+-") + std::string(width[i], '-');
  out += "-\n";
  for (const auto& r : rows) out += line(r);
  return out;
}

}  // namespace stdb::cli
