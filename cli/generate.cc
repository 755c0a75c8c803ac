// `spacetime generate`: client bindings from a running database's schema or a module file.
#include <iostream>

#include "cli/commands.h"
#include "cli/common.h"
#include "codegen/codegen.h"
#include "log/file.h"
#include "module/host.h"

namespace stdb::cli {
namespace fs = std::filesystem;

namespace {

bool IsModuleFile(const std::string& source) {
  return source.find('/') != std::string::npos || fs::path(source).extension() == ".so";
}

// Through "<path>.tmp" and a rename (log/file.h), so that an interrupted run never
// leaves a half-written binding behind.
Status WriteBinding(const fs::path& path, const std::string& contents) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return IoError("cannot create " + path.parent_path().string() + ": " + ec.message());
  return log::FileSystem::Posix().WriteFileDurably(path, AsBytes(contents));
}

}  // namespace

int Generate(const GenerateOptions& options) {
  if (options.lang != "typescript" && options.lang != "cpp")
    return Error("--lang must be 'typescript' or 'cpp', not '" + options.lang + "'");
  Result<module::ModuleDef> def = Status(ErrorCode::kInternal, "");
  if (IsModuleFile(options.source)) {
    if (!fs::exists(options.source))
      return Error("no module file " + options.source + "; build it first (spacetime build)");
    auto host = module::ModuleHost::Load(options.source);
    if (!host.ok()) return Error("cannot load " + options.source + ": " + host.status().message());
    def = (*host)->def();
  } else {
    auto conn = Connect(options.server);
    if (!conn) return 1;
    def = FetchModuleDef(conn->second, options.source);
  }
  if (!def.ok()) return Error(def.status().message());
  auto files =
      options.lang == "typescript" ? codegen::GenerateTypeScript(*def) : codegen::GenerateCpp(*def);
  if (!files.ok())
    return Error("cannot generate " + options.lang + " bindings: " + files.status().message());
  for (const auto& file : *files) {
    if (Status s = WriteBinding(options.out_dir / file.path, file.contents); !s.ok())
      return Error(s.message());
  }
  std::cout << "Wrote " << files->size() << " files to " << options.out_dir.string() << "\n";
  return 0;
}

}  // namespace stdb::cli
