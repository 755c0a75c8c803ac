// An ordinary shared library: a valid ELF shared object that exports a function but not
// the stdb module ABI (stdb_abi_version, stdb_describe, stdb_call_reducer). Publishing it
// must fail with a message saying so.
extern "C" __attribute__((visibility("default"))) int not_a_module_answer() { return 42; }
