#include "codegen/typescript_edge_module.h"

namespace stdb::codegen {
namespace {

using sats::AlgebraicType;
using sats::Element;
using sats::TypeKind;

Element Field(std::string name, AlgebraicType type) {
  return Element{std::move(name), std::move(type)};
}

AlgebraicType Scalar(TypeKind kind) { return AlgebraicType(kind); }

// Sum { circle: f32, rect: (w: u16, h: u16), empty: () }: an enum with payloads.
AlgebraicType Shape() {
  return AlgebraicType::Sum(
      {Field("circle", Scalar(TypeKind::kF32)),
       Field("rect", AlgebraicType::Product(
                         {Field("w", Scalar(TypeKind::kU16)), Field("h", Scalar(TypeKind::kU16))})),
       Field("empty", AlgebraicType::Unit())});
}

// Array<Option<(inner: Array<Sum { big: i256, wide: u128 }>)>>: deep nesting.
AlgebraicType Deep() {
  AlgebraicType inner = AlgebraicType::Sum(
      {Field("big", Scalar(TypeKind::kI256)), Field("wide", Scalar(TypeKind::kU128))});
  return AlgebraicType::Array(
      AlgebraicType::Option(AlgebraicType::Product({Field("inner", AlgebraicType::Array(inner))})));
}

module::TableDef EdgeCases() {
  module::TableDef t;
  t.name = "edge_cases";
  t.row_type = AlgebraicType::Product({
      Field("key", AlgebraicType::Sum({Field("red", AlgebraicType::Unit()),
                                       Field("green", AlgebraicType::Unit())})),
      Field("Mixed_Case", Scalar(TypeKind::kU32)),
      Field("my col", AlgebraicType::Bool()),
      Field("class", AlgebraicType::String()),
      Field("shape", Shape()),
      Field("nothing", AlgebraicType::Unit()),
      Field("blobs", AlgebraicType::Array(AlgebraicType::Bytes())),
      Field("when", AlgebraicType::Option(AlgebraicType::ScheduleAt())),
      Field("deep", Deep()),
      Field("a", Scalar(TypeKind::kI128)),
      Field("b", Scalar(TypeKind::kU64)),
      Field("since", AlgebraicType::Timestamp()),
      Field("who", AlgebraicType::ConnectionId()),
  });
  t.primary_key = 0;
  t.unique_columns = {{1}, {9, 10}};
  t.indexes = {
      module::IndexDef{"edge_cases_key_key", 1, {0}}, module::IndexDef{"by_class", 1, {3, 10}},
      module::IndexDef{"edge_cases_a_b_key", 0, {9, 10}}, module::IndexDef{"by_since", 0, {11}}};
  t.sequences = {10};
  return t;
}

}  // namespace

module::ModuleDef EdgeCaseModule() {
  module::ModuleDef def;
  def.tables.push_back(EdgeCases());
  module::TableDef hidden;
  hidden.name = "hidden";
  hidden.is_public = false;
  hidden.row_type = AlgebraicType::Product({Field("x", AlgebraicType::Bool())});
  def.tables.push_back(hidden);

  module::ReducerDef all;
  all.name = "do_everything";
  all.params = AlgebraicType::Product({
      Field("shape", Shape()),
      Field("deep", Deep()),
      Field("maybe_bytes", AlgebraicType::Option(AlgebraicType::Bytes())),
      Field("span", AlgebraicType::TimeDuration()),
      Field("who", AlgebraicType::Identity()),
      Field("nothing", AlgebraicType::Unit()),
      Field("when", AlgebraicType::ScheduleAt()),
  });
  def.reducers.push_back(all);
  module::ReducerDef init;
  init.name = "init";
  init.lifecycle = module::Lifecycle::kInit;
  def.reducers.push_back(init);
  return def;
}

}  // namespace stdb::codegen
