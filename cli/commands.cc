#include "cli/commands.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_config.h"
#include "cli/common.h"
#include "cli/log_format.h"
#include "cli/table_format.h"
#include "log/archive.h"
#include "net/client.h"

namespace stdb::cli {
namespace fs = std::filesystem;
using Json = nlohmann::json;

int RunProgram(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status) == 127 ? -1 : WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int Build(const BuildOptions& options, fs::path* module_file) {
  const fs::path project = fs::absolute(options.project).lexically_normal();
  if (!fs::exists(project / "CMakeLists.txt")) {
    return Error("no CMakeLists.txt in " + project.string() +
                 "; run this in a module project or pass --project-path");
  }
  auto sdk = SdkDir();
  if (!sdk) return Error("cannot find the module SDK; set STDB_SDK_DIR to <stdb>/sdk/module");
  const fs::path build_dir = project / "build";
  std::vector<std::string> configure = {
      "cmake",
      "-S",
      project.string(),
      "-B",
      build_dir.string(),
      "-DSTDB_SDK_DIR=" + sdk->string(),
      std::string("-DCMAKE_BUILD_TYPE=") + (options.debug ? "Debug" : "Release")};
  if (!fs::exists(build_dir / "CMakeCache.txt") && OnPath("ninja")) {
    configure.insert(configure.end(), {"-G", "Ninja"});
  }
  std::cerr << "Configuring " << project.string() << "\n";
  if (int rc = RunProgram(configure); rc != 0) {
    return Error(rc < 0 ? "cannot run cmake; install it (apt-get install cmake)"
                        : "cmake could not configure the module project (see above)");
  }
  if (int rc = RunProgram({"cmake", "--build", build_dir.string()}); rc != 0) {
    return Error("the module failed to build (see the compiler output above)");
  }
  // The module is the newest shared library at the top of the build directory.
  std::optional<fs::path> newest;
  fs::file_time_type newest_time;
  for (const auto& e : fs::directory_iterator(build_dir)) {
    if (e.is_regular_file() && e.path().extension() == ".so" &&
        (!newest || e.last_write_time() > newest_time)) {
      newest = e.path();
      newest_time = e.last_write_time();
    }
  }
  if (!newest)
    return Error("the build produced no .so in " + build_dir.string() + "; use stdb_add_module()");
  std::cout << "Build finished: " << newest->string() << "\n";
  if (module_file != nullptr) *module_file = *newest;
  return 0;
}

int Publish(const PublishOptions& options) {
  fs::path file;
  if (options.bin_path) {
    file = *options.bin_path;
  } else if (int rc = Build(options.build, &file); rc != 0) {
    return rc;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error("cannot read module file " + file.string());
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto conn = Connect(options.server);
  if (!conn) return 1;
  auto& [config, server] = *conn;
  auto token = EnsureToken(config, server);
  if (!token) return 1;
  std::string url = server + "/v1/database/" + options.database;
  if (options.delete_data) url += "?clear=true";
  std::cerr << "Publishing " << file.filename().string() << " (" << bytes.size() / 1024
            << " KiB) to " << server << " as '" << options.database << "'...\n";
  // On a terminal: the upload's progress, then a note while the server loads the module
  // (and runs init for a new database), which can take a while for a large one.
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  int shown_percent = -1;
  net::UploadProgress progress;
  if (tty) {
    progress = [&](uint64_t sent, uint64_t total) {
      const int percent = total == 0 ? 100 : static_cast<int>(sent * 100 / total);
      if (percent == shown_percent) return;
      shown_percent = percent;
      std::cerr << "\rUploading " << percent << "% (" << sent / 1024 << " of " << total / 1024
                << " KiB)" << (sent >= total ? "; the server is loading the module..." : "")
                << std::flush;
    };
  }
  auto res = net::HttpRequest("PUT", url, {{"Authorization", "Bearer " + *token}}, bytes,
                              std::chrono::minutes(5), progress);
  if (tty && shown_percent >= 0) std::cerr << "\n";
  if (!res.ok()) return Error(res.status().message());
  if (res->status != 200 && res->status != 201) {
    return Error("publish failed: " + ServerMessage(*res));
  }
  Json j = Json::parse(res->body, nullptr, false);
  const std::string identity = j.is_object() ? j.value("identity", "") : "";
  const bool unchanged = j.is_object() && j.value("unchanged", false);
  std::cout << (res->status == 201 ? "Created new database '"
                : unchanged        ? "Database unchanged (the same module is running): '"
                                   : "Updated database '")
            << options.database << "' (identity " << identity << ")\n";
  return 0;
}

int Call(const std::optional<std::string>& server_flag, const std::string& database,
         const std::string& reducer, const std::vector<std::string>& args) {
  Json array = Json::array();
  for (size_t i = 0; i < args.size(); ++i) {
    Json v = Json::parse(args[i], nullptr, false);
    if (v.is_discarded()) {
      return Error("argument " + std::to_string(i + 1) + " (" + args[i] +
                   ") is not JSON; strings need quotes, e.g. '\"hello\"'");
    }
    array.push_back(std::move(v));
  }
  auto conn = Connect(server_flag);
  if (!conn) return 1;
  auto& [config, server] = *conn;
  auto token = EnsureToken(config, server);
  if (!token) return 1;
  auto res = net::HttpRequest(
      "POST", server + "/v1/database/" + database + "/call/" + reducer,
      {{"Authorization", "Bearer " + *token}, {"Content-Type", "application/json"}}, array.dump());
  if (!res.ok()) return Error(res.status().message());
  if (res->status != 200) return Error(ServerMessage(*res));
  return 0;
}

int Sql(const std::optional<std::string>& server_flag, const std::string& database,
        const std::string& query, bool json) {
  auto conn = Connect(server_flag);
  if (!conn) return 1;
  auto& [config, server] = *conn;
  auto token = EnsureToken(config, server);
  if (!token) return 1;
  auto text = SqlAsText(server, database, *token, query, json);
  if (!text.ok()) return Error(text.status().message());
  std::cout << *text;
  return 0;
}

namespace {

// Bounded: an error body is kept up to this size for the one-line message.
constexpr size_t kErrorBodyBytesMax = 64 << 10;

}  // namespace

int Logs(const LogsOptions& options) {
  auto conn = Connect(options.server);
  if (!conn) return 1;
  auto& [config, server] = *conn;
  auto token = EnsureToken(config, server);
  if (!token) return 1;
  std::string url = server + "/v1/database/" + options.database +
                    "/logs?follow=" + (options.follow ? "true" : "false");
  if (options.num_lines) url += "&num_lines=" + std::to_string(*options.num_lines);

  CatchInterrupts();

  int status = 0;
  std::string error_body;
  LineSplitter lines;
  auto print = [&](std::string_view line) {
    if (line.empty()) return;
    std::cout << (options.json ? std::string(line) : FormatLogLine(line)) << "\n";
  };
  net::HttpStreamHandler handler;
  handler.on_head = [&](int s, const auto&) { status = s; };
  handler.on_body = [&](std::string_view data) {
    if (status != 200) {
      error_body.append(
          data.substr(0, kErrorBodyBytesMax - std::min(kErrorBodyBytesMax, error_body.size())));
      return true;
    }
    lines.Feed(data, print);
    std::cout.flush();  // a follower shows each line as it comes
    return true;
  };
  handler.cancelled = [] { return Interrupted(); };
  auto res = net::HttpStream("GET", url, {{"Authorization", "Bearer " + *token}}, "", handler);
  if (Interrupted()) return 0;
  if (!res.ok()) return Error(res.status().message());
  if (res->status != 200) {
    net::HttpResponse r{res->status, {}, error_body};
    return Error(ServerMessage(r));
  }
  print(lines.rest());
  std::cout.flush();
  if (res->complete) return 0;
  // A follow ends when the server stops: that is an expected way out, not a failure.
  if (options.follow) {
    std::cerr << "spacetime logs: the server closed the connection\n";
    return 0;
  }
  return Error("the server closed the connection before sending every log line");
}

int Backup(const std::optional<std::string>& server_flag, const std::string& database,
           const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    return Error("backup folder " + dir.string() + " is not empty; choose a new folder");
  }
  auto conn = Connect(server_flag);
  if (!conn) return 1;
  auto& [config, server] = *conn;
  auto token = EnsureToken(config, server);
  if (!token) return 1;
  // Written into a hidden folder beside `dir`, each file fsynced, and renamed to `dir`
  // only once complete: a folder named `dir` is always a whole backup.
  const fs::path target = fs::absolute(dir, ec);
  const fs::path staging =
      target.parent_path() / ("." + target.filename().string() + ".partial-" + std::to_string(getpid()));
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec) return Error("cannot create " + staging.string() + ": " + ec.message());
  struct RemoveOnFailure {
    fs::path path;
    bool keep = false;
    ~RemoveOnFailure() {
      std::error_code ignored;
      if (!keep) fs::remove_all(path, ignored);
    }
  } cleanup{staging};

  int status = 0;
  uint64_t total = 0;
  std::string offset;
  std::string error_body;
  int out = -1;
  fs::path current;
  Status failure = Status::Ok();
  auto sync_dir = [](const fs::path& d) {
    const int fd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
      ::fsync(fd);
      ::close(fd);
    }
  };
  auto last_progress = std::chrono::steady_clock::now();
  const bool tty = isatty(STDERR_FILENO) != 0;
  log::ArchiveReader reader(log::ArchiveReader::Callbacks{
      .begin_file =
          [&](const std::string& name, uint64_t) -> Status {
        current = staging / name;  // names are checked: no '..', at most one folder
        fs::create_directories(current.parent_path(), ec);
        out = ::open(current.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (out < 0) return IoError("cannot write " + current.string() + ": " + std::strerror(errno));
        return Status::Ok();
      },
      .data =
          [&](ByteView data) -> Status {
        size_t done = 0;
        while (done < data.size()) {
          const ssize_t n = ::write(out, data.data() + done, data.size() - done);
          if (n < 0 && errno == EINTR) continue;
          if (n < 0) return IoError("cannot write " + current.string() + ": " + std::strerror(errno));
          done += static_cast<size_t>(n);
        }
        return Status::Ok();
      },
      .end_file = [&]() -> Status {
        const bool ok = ::fsync(out) == 0;
        ::close(out);
        out = -1;
        if (!ok) return IoError("cannot fsync " + current.string() + ": " + std::strerror(errno));
        return Status::Ok();
      }});
  net::HttpStreamHandler handler;
  handler.on_head = [&](int s, const std::map<std::string, std::string>& headers) {
    status = s;
    if (auto it = headers.find("spacetime-backup-offset"); it != headers.end()) offset = it->second;
    if (auto it = headers.find("spacetime-backup-bytes"); it != headers.end()) {
      total = std::strtoull(it->second.c_str(), nullptr, 10);
    }
  };
  handler.on_body = [&](std::string_view data) {
    if (status != 200) {
      error_body.append(
          data.substr(0, kErrorBodyBytesMax - std::min(kErrorBodyBytesMax, error_body.size())));
      return true;
    }
    failure = reader.Feed(AsBytes(data));
    const auto now = std::chrono::steady_clock::now();
    if (tty && now - last_progress >= std::chrono::milliseconds(250)) {
      last_progress = now;
      std::cerr << "\rspacetime backup: " << reader.bytes_read() / (1 << 20) << " of "
                << total / (1 << 20) << " MiB" << std::flush;
    }
    return failure.ok();
  };
  auto res = net::HttpStream("GET", server + "/v1/database/" + database + "/backup",
                             {{"Authorization", "Bearer " + *token}}, "", handler);
  if (out >= 0) ::close(out);
  if (tty) std::cerr << "\r";
  if (!res.ok()) return Error(res.status().message());
  if (res->status != 200) {
    net::HttpResponse r{res->status, {}, error_body};
    return Error(ServerMessage(r));
  }
  if (failure.ok()) failure = reader.Finish();
  if (!failure.ok()) return Error("backup failed, nothing was written: " + failure.message());
  for (const auto& e : fs::recursive_directory_iterator(staging, ec)) {
    if (e.is_directory()) sync_dir(e.path());
  }
  sync_dir(staging);
  fs::remove(target, ec);  // the empty folder the user named, if it exists
  fs::rename(staging, target, ec);
  if (ec) return Error("cannot rename " + staging.string() + " to " + target.string() + ": " + ec.message());
  cleanup.keep = true;
  sync_dir(target.parent_path());
  std::cout << "backed up database '" << database << "' to " << dir.string() << ": "
            << reader.files() << " files, " << reader.bytes_read() << " bytes"
            << (offset.empty() ? "" : ", up to transaction offset " + offset) << "\n"
            << "restore it with: spacetimedb start --restore " << dir.string() << "\n";
  return 0;
}

int Start(const std::vector<std::string>& args) {
  fs::path server = SelfDir() / "spacetimedb";
  std::string program = fs::exists(server) ? server.string() : "spacetimedb";
  std::vector<std::string> argv = {program, "start"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> raw;
  for (auto& a : argv) raw.push_back(a.data());
  raw.push_back(nullptr);
  execvp(raw[0], raw.data());
  return Error("cannot run " + program + "; build it or put it on PATH");
}

}  // namespace stdb::cli
