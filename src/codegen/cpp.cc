#include "codegen/codegen.h"

namespace stdb::codegen {

Result<std::vector<GeneratedFile>> GenerateCpp(const module::ModuleDef&) {
  return Unsupported("generate --lang cpp is not built yet");
}

}  // namespace stdb::codegen
