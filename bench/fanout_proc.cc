#include "bench/fanout_proc.h"

#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace stdb::bench::fanout {
namespace {

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return IoError("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The value of the line "<key>: <number> kB" in /proc's status or smaps_rollup text.
Result<uint64_t> KibibytesField(std::string_view text, std::string_view key) {
  size_t at = 0;
  while (at < text.size()) {
    const size_t end = std::min(text.find('\n', at), text.size());
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    if (line.substr(0, key.size()) != key || line.size() <= key.size() ||
        line[key.size()] != ':') {
      continue;
    }
    line.remove_prefix(key.size() + 1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    uint64_t kib = 0;
    const auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), kib);
    if (ec != std::errc() || std::string_view(ptr, line.data() + line.size()) != " kB") {
      return DecodeError("unexpected line '" + std::string(key) + ":" + std::string(line) + "'");
    }
    return kib * 1024;
  }
  return NotFound("no " + std::string(key) + " line");
}

}  // namespace

Result<ProcStat> ParseProcStat(std::string_view text) {
  ProcStat out;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out.pid);
  const size_t paren = text.rfind(')');
  if (ec != std::errc() || paren == std::string_view::npos) {
    return DecodeError("unexpected /proc stat line");
  }
  // After ") ": state (field 3), ppid (4), ..., utime (14), stime (15).
  std::istringstream rest{std::string(text.substr(paren + 1))};
  std::string state;
  uint64_t skip = 0;
  uint64_t utime = 0;
  uint64_t stime = 0;
  rest >> state >> out.ppid;
  for (int field = 5; field <= 13; ++field) rest >> skip;
  rest >> utime >> stime;
  if (!rest) return DecodeError("unexpected /proc stat line");
  out.cpu_ticks = utime + stime;
  return out;
}

Result<std::vector<ProcStat>> ProcessTree(int root) {
  std::vector<ProcStat> all;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto text = ReadFile("/proc/" + name + "/stat");
    if (!text.ok()) continue;  // exited meanwhile
    auto stat = ParseProcStat(*text);
    if (stat.ok()) all.push_back(*stat);
  }
  if (ec) return IoError("cannot list /proc: " + ec.message());
  std::multimap<int, const ProcStat*> children;  // ppid -> process
  const ProcStat* top = nullptr;
  for (const auto& s : all) {
    children.emplace(s.ppid, &s);
    if (s.pid == root) top = &s;
  }
  if (top == nullptr) return NotFound("no process " + std::to_string(root));
  std::vector<ProcStat> tree{*top};
  // Breadth first; the tree is finite because pids are unique.
  for (size_t i = 0; i < tree.size(); ++i) {
    const auto [lo, hi] = children.equal_range(tree[i].pid);
    for (auto it = lo; it != hi; ++it) tree.push_back(*it->second);
  }
  return tree;
}

Result<uint64_t> ProcessTreeCpuMicros(int root) {
  STDB_ASSIGN_OR_RETURN(auto tree, ProcessTree(root));
  static const uint64_t ticks_per_second = static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
  uint64_t ticks = 0;
  for (const auto& p : tree) ticks += p.cpu_ticks;
  return ticks * 1'000'000 / ticks_per_second;
}

Result<uint64_t> ProcessTreePssBytes(int root) {
  STDB_ASSIGN_OR_RETURN(auto tree, ProcessTree(root));
  uint64_t bytes = 0;
  for (const auto& p : tree) {
    auto text = ReadFile("/proc/" + std::to_string(p.pid) + "/smaps_rollup");
    if (!text.ok()) {
      if (p.pid == root) return text.status();
      continue;  // a child that exited meanwhile
    }
    STDB_ASSIGN_OR_RETURN(uint64_t pss, KibibytesField(*text, "Pss"));
    bytes += pss;
  }
  return bytes;
}

Result<uint64_t> ResidentBytes(int pid) {
  STDB_ASSIGN_OR_RETURN(auto text, ReadFile("/proc/" + std::to_string(pid) + "/status"));
  return KibibytesField(text, "VmRSS");
}

}  // namespace stdb::bench::fanout
