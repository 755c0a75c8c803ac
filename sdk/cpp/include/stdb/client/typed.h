// The typed layer over the untyped core (stdb/client.h), used by generated bindings:
// a TypedTable<Row> decodes cached rows into Row structs and wraps the row callbacks.
// Same thread model as TableCache.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "stdb/client.h"
#include "stdb/client/bsatn.h"

namespace stdb::client {

template <typename Row>
class TypedTable {
 public:
  // REQUIRES: the table was registered with its row type (the bindings do this), so
  // every cached row decodes.
  TypedTable(Connection& conn, const std::string& name) : cache_(&conn.table(name)) {}

  const std::string& name() const { return cache_->name(); }
  size_t count() const { return cache_->count(); }

  // A copy of the cached rows, in no particular order.
  std::vector<Row> rows() const {
    std::vector<Row> out;
    for (const Bytes& bytes : cache_->rows()) {
      if (auto row = bsatn::Decode<Row>(bytes); row.ok()) out.push_back(std::move(*row));
    }
    return out;
  }

  // The row whose primary key equals `key`. REQUIRES: the table has a primary key.
  template <typename Key>
  std::optional<Row> find(const Key& key) const {
    auto bytes = cache_->find_by_primary_key(bsatn::Encode(key));
    if (!bytes) return std::nullopt;
    auto row = bsatn::Decode<Row>(*bytes);
    if (!row.ok()) return std::nullopt;
    return std::move(*row);
  }

  CallbackId on_insert(std::function<void(const Row&)> callback) {
    return cache_->on_insert([cb = std::move(callback)](ByteView bytes) {
      if (auto row = bsatn::Decode<Row>(bytes); row.ok()) cb(*row);
    });
  }
  CallbackId on_delete(std::function<void(const Row&)> callback) {
    return cache_->on_delete([cb = std::move(callback)](ByteView bytes) {
      if (auto row = bsatn::Decode<Row>(bytes); row.ok()) cb(*row);
    });
  }
  // Fires only for tables with a primary key.
  CallbackId on_update(std::function<void(const Row& old_row, const Row& new_row)> callback) {
    return cache_->on_update([cb = std::move(callback)](ByteView old_bytes, ByteView new_bytes) {
      auto old_row = bsatn::Decode<Row>(old_bytes);
      auto new_row = bsatn::Decode<Row>(new_bytes);
      if (old_row.ok() && new_row.ok()) cb(*old_row, *new_row);
    });
  }
  void remove_callback(CallbackId id) { cache_->remove_callback(id); }

  TableCache& untyped() { return *cache_; }

 private:
  TableCache* cache_;
};

}  // namespace stdb::client
