// The tables of the SDK test module, declared once and used by both of its translation
// units (test_module.cc, test_module_scans.cc).
#pragma once

#include <stdb/module.h>

#include "test_module_types.h"

namespace test_module {

STDB_TABLE(Everything, everything, stdb::Private);

STDB_TABLE(Item, item, stdb::Public);
STDB_PRIMARY_KEY(item, id);

STDB_TABLE(Note, note, stdb::Public);

STDB_TABLE(CallInfo, call_info, stdb::Private);

}  // namespace test_module
