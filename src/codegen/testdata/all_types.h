// A module schema using every SATS type the module SDK can declare, for the C++
// generator's tests: src/codegen/cpp_test.cc checks the text, and sdk/cpp/tests compiles
// the generated header and round-trips rows through it.
#pragma once

#include "module/schema.h"

namespace stdb::codegen::testdata {

inline module::ModuleDef AllTypesModule() {
  using sats::AlgebraicType;
  using sats::TypeKind;
  const AlgebraicType point = AlgebraicType::Product(
      {{"x", AlgebraicType(TypeKind::kI32)}, {"y", AlgebraicType(TypeKind::kI32)}});
  const AlgebraicType color = AlgebraicType::Sum(
      {{"Red", AlgebraicType::Unit()}, {"Green", AlgebraicType::Unit()}});
  const AlgebraicType shape = AlgebraicType::Sum(
      {{"Circle", AlgebraicType(TypeKind::kF64)}, {"Dot", AlgebraicType::Unit()}, {"Box", point}});
  module::TableDef everything;
  everything.name = "everything";
  everything.row_type = AlgebraicType::Product({
      {"id", AlgebraicType(TypeKind::kU64)},
      {"b", AlgebraicType::Bool()},
      {"i8", AlgebraicType(TypeKind::kI8)},
      {"u8", AlgebraicType(TypeKind::kU8)},
      {"i16", AlgebraicType(TypeKind::kI16)},
      {"u16", AlgebraicType(TypeKind::kU16)},
      {"i32", AlgebraicType(TypeKind::kI32)},
      {"u32", AlgebraicType(TypeKind::kU32)},
      {"i64", AlgebraicType(TypeKind::kI64)},
      {"i128", AlgebraicType(TypeKind::kI128)},
      {"u128", AlgebraicType(TypeKind::kU128)},
      {"i256", AlgebraicType(TypeKind::kI256)},
      {"u256", AlgebraicType(TypeKind::kU256)},
      {"f32", AlgebraicType(TypeKind::kF32)},
      {"f64", AlgebraicType(TypeKind::kF64)},
      {"s", AlgebraicType::String()},
      {"bytes", AlgebraicType::Bytes()},
      {"list", AlgebraicType::Array(AlgebraicType::String())},
      {"maybe", AlgebraicType::Option(AlgebraicType(TypeKind::kI32))},
      {"pos", point},
      {"path", AlgebraicType::Array(point)},
      {"color", color},
      {"shape", shape},
      {"who", AlgebraicType::Identity()},
      {"conn", AlgebraicType::ConnectionId()},
      {"at", AlgebraicType::Timestamp()},
      {"took", AlgebraicType::TimeDuration()},
      {"when", AlgebraicType::ScheduleAt()},
      {"class", AlgebraicType::Bool()},  // a C++ keyword
  });
  everything.primary_key = 0;
  module::TableDef hidden;
  hidden.name = "hidden";
  hidden.is_public = false;
  hidden.row_type = AlgebraicType::Product({{"secret", AlgebraicType::String()}});
  module::ReducerDef add;
  add.name = "add";
  add.params = AlgebraicType::Product({{"id", AlgebraicType(TypeKind::kU64)},
                                       {"where", point},
                                       {"tags", AlgebraicType::Array(AlgebraicType::String())}});
  module::ReducerDef init;
  init.name = "init";
  init.lifecycle = module::Lifecycle::kInit;
  module::ModuleDef def;
  def.tables = {everything, hidden};
  def.reducers = {add, init};
  return def;
}

}  // namespace stdb::codegen::testdata
