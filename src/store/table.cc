#include "store/table.h"

#include <algorithm>
#include <boost/unordered/unordered_flat_set.hpp>
#include <cstring>

#include "sats/bsatn.h"
#include "store/key.h"

namespace stdb::store {

// Finds byte-equal rows in a table without a unique index: a hash set of RowIds keyed
// by the whole row's bytes.
class Table::RowSet {
 public:
  explicit RowSet(const RowStore& rows) : set_(0, Hash{&rows}, Eq{&rows}) {}
  std::optional<RowId> Find(ByteView row) const {
    auto it = set_.find(row);
    if (it == set_.end()) return std::nullopt;
    return *it;
  }
  void Insert(RowId id) { set_.insert(static_cast<uint32_t>(id)); }
  void Erase(RowId id) { set_.erase(static_cast<uint32_t>(id)); }
  size_t BytesUsed() const { return set_.bucket_count() * (sizeof(uint32_t) + 1); }

 private:
  static uint64_t HashRow(ByteView row) {
    KeyColumns k;
    k.n = 1;
    k.col[0] = row;
    return KeySpec::Hash(k);
  }
  static bool Same(ByteView a, ByteView b) {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
  }
  struct Hash {
    using is_transparent = void;
    const RowStore* rows;
    size_t operator()(uint32_t id) const { return HashRow(rows->Get(id)); }
    size_t operator()(ByteView row) const { return HashRow(row); }
  };
  struct Eq {
    using is_transparent = void;
    const RowStore* rows;
    bool operator()(uint32_t a, uint32_t b) const { return a == b; }
    bool operator()(ByteView row, uint32_t id) const { return Same(row, rows->Get(id)); }
    bool operator()(uint32_t id, ByteView row) const { return Same(row, rows->Get(id)); }
  };
  boost::unordered_flat_set<uint32_t, Hash, Eq> set_;
};

namespace {

bool NeedsNormalising(const TableSchema& s) {
  if (!s.primary_key) return false;
  auto id = s.FindIndex({*s.primary_key});
  return !id || !s.indexes[*id].unique;
}

}  // namespace

Table::Table(TableSchema schema) : schema_(std::move(schema)), rows_(FixedWidth(schema_.row_type)) {
  STDB_ASSERT(schema_.row_type.is_product());
  STDB_ASSERT(!schema_.primary_key || *schema_.primary_key < schema_.column_count());
  if (NeedsNormalising(schema_)) NormaliseIndexes(schema_, {});
  for (const IndexSchema& ix : schema_.indexes) {
    indexes_.push_back(MakeIndex(ix, KeySpec(schema_, ix.columns), rows_));
    if (ix.unique && !identity_index_) identity_index_ = indexes_.size() - 1;
  }
  if (!identity_index_) row_set_ = std::make_unique<RowSet>(rows_);
  sequence_next_.assign(schema_.sequences.size(), 1);
}

Table::~Table() = default;

size_t Table::BytesUsed() const {
  size_t n = rows_.BytesUsed();
  for (const auto& ix : indexes_) n += ix->BytesUsed();
  if (row_set_) n += row_set_->BytesUsed();
  return n;
}

ByteView Table::PrimaryKeyOf(ByteView row) const {
  STDB_ASSERT(schema_.primary_key.has_value());
  auto slice = sats::ColumnSlice(schema_.row_type, row, *schema_.primary_key);
  STDB_ASSERT_MSG(slice.ok(), "primary key of an invalid row");
  return *slice;
}

Status Table::ApplySequences(Bytes& row) {
  for (size_t i = 0; i < schema_.sequences.size(); ++i) {
    const uint16_t col = schema_.sequences[i];
    auto slice = sats::ColumnSlice(schema_.row_type, row, col);
    STDB_ASSERT(slice.ok());
    uint8_t* at = row.data() + (slice->data() - row.data());
    const size_t width = slice->size();
    bool zero = true;
    for (size_t b = 0; b < width; ++b) zero = zero && at[b] == 0;
    if (!zero) continue;
    const bool is_signed = sats::IsSignedInteger(schema_.column_type(col).kind());
    const int value_bits = static_cast<int>(std::min<size_t>(width, 8) * 8) - (is_signed ? 1 : 0);
    const uint64_t max = value_bits >= 64 ? UINT64_MAX : (uint64_t{1} << value_bits) - 1;
    const uint64_t value = sequence_next_[i];  // 0: wrapped past 2^64 - 1, exhausted
    if (value > max || value == 0) {
      return Status(ErrorCode::kInvalidArgument,
                    "sequence of column '" + schema_.column_name(col) + "' in table '" +
                        schema_.name + "' is exhausted (the next value does not fit " +
                        schema_.column_type(col).ToString() + ")");
    }
    sequence_next_[i] = value + 1;
    std::memset(at, 0, width);
    std::memcpy(at, &value, std::min<size_t>(width, 8));
  }
  return Status::Ok();
}

uint64_t Table::NextSequenceValue(uint16_t column) const {
  for (size_t i = 0; i < schema_.sequences.size(); ++i) {
    if (schema_.sequences[i] == column) return sequence_next_[i];
  }
  STDB_ASSERT_MSG(false, "not a sequence column");
  return 0;
}

Status Table::SetNextSequenceValue(uint16_t column, uint64_t next) {
  for (size_t i = 0; i < schema_.sequences.size(); ++i) {
    if (schema_.sequences[i] == column) {
      sequence_next_[i] = next;
      return Status::Ok();
    }
  }
  return InvalidArgument("table '" + schema_.name + "' has no sequence on column " +
                         std::to_string(column));
}

void Table::ContinueSequencesAfter(const Table& previous) {
  // Sequence values are u64 with 0 meaning "exhausted" (past 2^64 - 1): later of two.
  auto later = [](uint64_t a, uint64_t b) { return a == 0 || b == 0 ? 0 : std::max(a, b); };
  for (size_t i = 0; i < schema_.sequences.size(); ++i) {
    const uint16_t col = schema_.sequences[i];
    uint64_t next = sequence_next_[i];
    const auto& prev = previous.schema_.sequences;
    for (size_t j = 0; j < prev.size(); ++j) {
      if (prev[j] == col) next = later(next, previous.sequence_next_[j]);
    }
    const bool is_signed = sats::IsSignedInteger(schema_.column_type(col).kind());
    ForEach([&](RowId, ByteView row) {
      auto slice = sats::ColumnSlice(schema_.row_type, row, col);
      STDB_ASSERT(slice.ok());
      // Negative values of signed columns are not sequence values.
      if (is_signed && (slice->back() & 0x80) != 0) return;
      uint64_t v = 0;
      std::memcpy(&v, slice->data(), std::min<size_t>(slice->size(), 8));
      bool beyond_u64 = v == UINT64_MAX;
      for (size_t b = 8; b < slice->size(); ++b) beyond_u64 = beyond_u64 || (*slice)[b] != 0;
      next = later(next, beyond_u64 ? 0 : v + 1);
    });
    sequence_next_[i] = next;
  }
}

std::optional<RowId> Table::FindValidRow(ByteView row) const {
  if (row_set_) return row_set_->Find(row);
  const Index& ix = *indexes_[*identity_index_];
  KeyColumns k;
  ix.spec().SliceRow(row, k);
  auto id = ix.FindEqual(k);
  if (!id) return std::nullopt;
  const ByteView have = rows_.Get(*id);
  if (have.size() != row.size() || std::memcmp(have.data(), row.data(), row.size()) != 0) {
    return std::nullopt;
  }
  return id;
}

Result<Table::InsertOutcome> Table::Insert(Bytes row, bool apply_sequences) {
  if (Status s = sats::ValidateBsatn(schema_.row_type, row); !s.ok()) {
    return DecodeError("invalid row for table '" + schema_.name + "': " + s.message());
  }
  if (apply_sequences) {
    if (Status s = ApplySequences(row); !s.ok()) return s;
  }
  // A byte-equal row makes the insert a no-op; it is found through the identity index
  // first, whose lookup then also serves as that index's uniqueness check.
  std::optional<RowId> identity_clash;
  if (row_set_) {
    if (auto existing = row_set_->Find(row)) return InsertOutcome{*existing, false};
  } else {
    const Index& ix = *indexes_[*identity_index_];
    KeyColumns k;
    ix.spec().SliceRow(row, k);
    if (auto id = ix.FindEqual(k)) {
      const ByteView have = rows_.Get(*id);
      if (have.size() == row.size() && std::memcmp(have.data(), row.data(), row.size()) == 0) {
        return InsertOutcome{*id, false};
      }
      identity_clash = id;
    }
  }
  for (size_t i = 0; i < indexes_.size(); ++i) {
    const auto& ix = indexes_[i];
    if (!ix->schema().unique) continue;
    bool clash;
    if (identity_index_ && i == *identity_index_) {
      clash = identity_clash.has_value();
    } else {
      KeyColumns k;
      ix->spec().SliceRow(row, k);
      clash = ix->FindEqual(k).has_value();
    }
    if (clash) return UniqueViolation(*ix);
  }
  const RowId id = rows_.Add(row);
  IndexRow(id);
  return InsertOutcome{id, true};
}

Status Table::UniqueViolation(const Index& ix) const {
  std::string cols;
  for (uint16_t c : ix.schema().columns) {
    cols += (cols.empty() ? "'" : ", '") + schema_.column_name(c) + "'";
  }
  return Status(ErrorCode::kUniqueViolation,
                "duplicate key in unique index '" + ix.schema().name + "' of table '" +
                    schema_.name + "' (column" + (ix.schema().columns.size() > 1 ? "s " : " ") +
                    cols + ")");
}

Result<Table::Replacement> Table::Replace(RowId old_id, ByteView row) {
  STDB_ASSERT(IsLive(old_id));
  // With a unique index there is no row set, and no byte-equal row can exist elsewhere:
  // it would hold the same unique key.
  STDB_ASSERT(identity_index_.has_value() && !row_set_);
  const ByteView old_row = rows_.Get(old_id);
  // Whether index `i` keeps its key (slicing fixed columns is cheap: done per pass).
  auto keeps_key = [&](const Index& ix, KeyColumns& after) {
    KeyColumns before;
    ix.spec().SliceRow(old_row, before);
    ix.spec().SliceRow(row, after);
    return KeysEqual(before, after);
  };
  for (const auto& ix : indexes_) {
    KeyColumns after;
    if (ix->schema().unique && !keeps_key(*ix, after) && ix->FindEqual(after).has_value()) {
      return UniqueViolation(*ix);
    }
  }
  const RowId new_id = rows_.Add(row);  // pages and blocks stay put: old_row stays valid
  for (const auto& ix : indexes_) {
    KeyColumns after;
    if (keeps_key(*ix, after)) {
      ix->Replace(old_id, new_id);
    } else {
      ix->Erase(old_id);
      ix->Insert(new_id);
    }
  }
  Replacement out{new_id, Bytes(old_row.begin(), old_row.end())};
  rows_.Remove(old_id);
  return out;
}

void Table::IndexRow(RowId id) {
  for (const auto& ix : indexes_) ix->Insert(id);
  if (row_set_) row_set_->Insert(id);
}

void Table::Restore(RowId id, Bytes row) {
  rows_.AddAt(id, row);
  IndexRow(id);
}

Bytes Table::Remove(RowId id) {
  STDB_ASSERT(IsLive(id));
  for (const auto& ix : indexes_) ix->Erase(id);
  if (row_set_) row_set_->Erase(id);
  const ByteView row = rows_.Get(id);
  Bytes out(row.begin(), row.end());
  rows_.Remove(id);
  return out;
}

ByteView Table::Get(RowId id) const { return rows_.Get(id); }

std::optional<RowId> Table::FindByPrimaryKey(ByteView key) const {
  return FindUnique(schema_.primary_index(), key);
}

std::optional<RowId> Table::FindRow(ByteView row) const {
  // The identity index reads key columns at fixed offsets: bytes from outside (a module's
  // delete_row) must be a valid row first. An invalid row equals no stored row.
  if (!sats::ValidateBsatn(schema_.row_type, row).ok()) return std::nullopt;
  return FindValidRow(row);
}

Bytes Table::KeyOf(IndexId index, ByteView row) const {
  Bytes out;
  indexes_.at(index)->spec().AppendKey(row, out);
  return out;
}

std::optional<RowId> Table::FindUnique(IndexId index, ByteView key) const {
  const Index& ix = *indexes_.at(index);
  STDB_ASSERT(ix.schema().unique);
  KeyColumns k;
  if (!ix.spec().SliceKey(key, ix.spec().column_count(), k)) return std::nullopt;
  return ix.FindEqual(k);
}

Result<std::vector<RowId>> Table::ScanIndex(IndexId index, const IndexRange& range) const {
  std::vector<RowId> out;
  if (Status s = indexes_.at(index)->Scan(range, out); !s.ok()) return s;
  return out;
}

std::vector<RowId> Table::LiveIds() const {
  std::vector<RowId> ids;
  ids.reserve(size());
  ForEach([&](RowId id, ByteView) { ids.push_back(id); });
  return ids;
}

}  // namespace stdb::store
