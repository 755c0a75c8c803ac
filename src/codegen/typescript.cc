#include "codegen/codegen.h"

namespace stdb::codegen {

Result<std::vector<GeneratedFile>> GenerateTypeScript(const module::ModuleDef&) {
  return Unsupported("generate --lang typescript is not built yet");
}

}  // namespace stdb::codegen
