#include "bench/fanout_driver.h"

#include <charconv>
#include <ctime>

namespace stdb::bench::fanout {

Status Workload::Valid() const {
  if (rows == 0 || regions == 0 || rows_per_tx == 0) {
    return InvalidArgument("rows, regions and rows per transaction must be positive");
  }
  if (rows % rows_per_tx != 0) {
    return InvalidArgument("rows per transaction (" + std::to_string(rows_per_tx) +
                           ") must divide the rows (" + std::to_string(rows) + ")");
  }
  return Status::Ok();
}

int64_t RealtimeMicros() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1'000;
}

namespace {

// Moves `state` forward to `next` unless it is already there, past it, or failed.
void Advance(std::atomic<Subscriber::State>& state, Subscriber::State next) {
  auto current = state.load(std::memory_order_relaxed);
  while (current < next &&
         !state.compare_exchange_weak(current, next, std::memory_order_release)) {
  }
}

}  // namespace

void Subscriber::OnConnected() { Advance(state_, State::kConnected); }

void Subscriber::OnSubscribed() { Advance(state_, State::kSubscribed); }

void Subscriber::OnMessage(int64_t now_micros) {
  if (window_.Contains(now_micros)) ++tally_.messages_in_window;
}

void Subscriber::OnRow(uint64_t id, int64_t stamp_micros, int64_t now_micros) {
  if (id >= workload_.rows || workload_.RegionOf(id) != region_) {
    Fail(InternalError("row " + std::to_string(id) + " delivered to a subscriber of region " +
                       std::to_string(region_)));
    return;
  }
  rows_.fetch_add(1, std::memory_order_relaxed);
  if (window_.Contains(now_micros)) ++tally_.rows_in_window;
  if (window_.Contains(stamp_micros)) {
    tally_.delay.Record(static_cast<uint64_t>(std::max<int64_t>(now_micros - stamp_micros, 0)));
  }
}

void Subscriber::Fail(Status status) {
  STDB_ASSERT(!status.ok());
  if (stopping() || state() == State::kFailed) return;
  failure_ = std::move(status);
  state_.store(State::kFailed, std::memory_order_release);
}

namespace {

template <typename T>
bool ParseInteger(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

Status ParseRowText(std::string_view payload,
                    const std::function<void(uint64_t id, int64_t stamp_micros)>& on_row) {
  if (payload.empty()) return DecodeError("empty payload");
  while (true) {
    const size_t end = payload.find(';');
    const std::string_view row = payload.substr(0, end);
    // id:x:y:stamp; x and y are only checked to be there.
    std::string_view fields[4];
    size_t count = 0;
    for (size_t start = 0;;) {
      if (count == 4) {  // a fifth field
        ++count;
        break;
      }
      const size_t colon = row.find(':', start);
      fields[count++] = row.substr(start, colon - start);
      if (colon == std::string_view::npos) break;
      start = colon + 1;
    }
    uint64_t id = 0;
    int64_t stamp = 0;
    if (count != 4 || !ParseInteger(fields[0], id) || !ParseInteger(fields[3], stamp)) {
      return DecodeError("bad row '" + std::string(row.substr(0, 80)) + "' in a payload");
    }
    on_row(id, stamp);
    if (end == std::string_view::npos) return Status::Ok();
    payload.remove_prefix(end + 1);
  }
}

std::string RedisChannel(uint32_t region) { return "region:" + std::to_string(region); }
std::string PostgresChannel(uint32_t region) { return "region_" + std::to_string(region); }

}  // namespace stdb::bench::fanout
