// A hand-built schema with the shapes the stdb C++ module SDK cannot declare but a
// ModuleDef can hold (sums with payloads, unit columns, odd column names, composite
// unique constraints, hash indexes), used by typescript_test.cc and by the
// codegen_ts_edge_fixture program, whose output tests/compat type-checks with tsc.
#pragma once

#include "module/schema.h"

namespace stdb::codegen {

// Tables `edge_cases` (public, simple-enum primary key) and `hidden` (private); reducers
// `do_everything` (a parameter of every shape) and `init` (lifecycle).
module::ModuleDef EdgeCaseModule();

}  // namespace stdb::codegen
