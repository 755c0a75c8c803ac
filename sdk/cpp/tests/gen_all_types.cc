// Writes the C++ bindings for src/codegen/testdata/all_types.h into the folder given as
// the only argument, so that client_sdk_test compiles them (build step, not a test).
#include <fstream>
#include <iostream>

#include "codegen/codegen.h"
#include "codegen/testdata/all_types.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: gen_all_types <out-dir>\n";
    return 2;
  }
  auto files = stdb::codegen::GenerateCpp(stdb::codegen::testdata::AllTypesModule());
  if (!files.ok()) {
    std::cerr << files.status().message() << "\n";
    return 1;
  }
  for (const auto& f : *files) {
    std::ofstream out(std::string(argv[1]) + "/" + f.path, std::ios::binary);
    out << f.contents;
    if (!out) return 1;
  }
  return 0;
}
