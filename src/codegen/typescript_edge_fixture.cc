// codegen_ts_edge_fixture DIR: writes the TypeScript bindings of EdgeCaseModule() into
// DIR, for tests/compat to type-check with tsc (compat_bindings_edge_typecheck). A test
// program, built with the tests only.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "codegen/codegen.h"
#include "codegen/typescript_edge_module.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: codegen_ts_edge_fixture DIR\n";
    return 2;
  }
  auto files = stdb::codegen::GenerateTypeScript(stdb::codegen::EdgeCaseModule());
  if (!files.ok()) {
    std::cerr << "error: " << files.status().message() << "\n";
    return 1;
  }
  const std::filesystem::path dir = argv[1];
  for (const auto& file : *files) {
    const std::filesystem::path path = dir / file.path;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << file.contents;
    if (!out.flush()) {
      std::cerr << "error: cannot write " << path << "\n";
      return 1;
    }
  }
  return 0;
}
