// Client bindings generated from a module's schema (`spacetime generate`,
// docs/cli.md). Pure functions of the ModuleDef: the CLI gets the schema from a running
// database (GET /v1/database/:name/schema?format=bsatn) or from a module file, and
// writes the files these return.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "module/schema.h"

namespace stdb::codegen {

struct GeneratedFile {
  std::string path;      // relative to the output folder, '/'-separated, no ".."
  std::string contents;
};

// TypeScript bindings for the official `spacetimedb` 2.x npm SDK: index.ts plus one
// file per public table row type and per callable reducer. Fails with kUnsupported
// naming the table/reducer and type the generator cannot express.
Result<std::vector<GeneratedFile>> GenerateTypeScript(const module::ModuleDef& def);

// C++ bindings for the stdb C++ client SDK (sdk/cpp): typed row structs, table
// accessors and reducer call functions.
Result<std::vector<GeneratedFile>> GenerateCpp(const module::ModuleDef& def);

}  // namespace stdb::codegen
