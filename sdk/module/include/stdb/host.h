// The SDK's side of the host functions in stdb/abi.h: byte sinks, host errors as C++
// exceptions, and module logging.
//
// Contract: a host function that returns a nonzero STDB_ERR_* code becomes a thrown
// HostError whose what() is the host's last_error message (which names the table and
// the problem). A reducer may catch it; if it does not, stdb_call_reducer fails the
// reducer with that message and the host rolls the transaction back.
//
// Thread safety: a Host wraps the StdbHost of one stdb_call_reducer call and must not be
// used after that call returns (abi.h).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "stdb/abi.h"

namespace stdb {
inline namespace module_sdk {

namespace detail {

// The name of an STDB_ERR_* code, e.g. "STDB_ERR_NOT_FOUND".
inline const char* HostErrorName(int32_t code) {
  switch (code) {
    case STDB_OK: return "STDB_OK";
    case STDB_ERR_INVALID_ARGUMENT: return "STDB_ERR_INVALID_ARGUMENT";
    case STDB_ERR_NOT_FOUND: return "STDB_ERR_NOT_FOUND";
    case STDB_ERR_UNIQUE_VIOLATION: return "STDB_ERR_UNIQUE_VIOLATION";
    case STDB_ERR_TYPE_MISMATCH: return "STDB_ERR_TYPE_MISMATCH";
    case STDB_ERR_DECODE: return "STDB_ERR_DECODE";
    case STDB_ERR_INTERNAL: return "STDB_ERR_INTERNAL";
    default: return "unknown host error";
  }
}

}  // namespace detail

// A host function failed. what() is the host's message.
class HostError : public std::runtime_error {
 public:
  HostError(int32_t code, const std::string& message)
      : std::runtime_error(message), code_(code) {}

  // The STDB_ERR_* value, e.g. STDB_ERR_UNIQUE_VIOLATION for a duplicate primary key.
  int32_t code() const { return code_; }
  // The code's name, e.g. "STDB_ERR_UNIQUE_VIOLATION".
  const char* code_name() const { return detail::HostErrorName(code_); }

 private:
  int32_t code_;
};

enum class LogLevel : uint32_t {
  kError = STDB_LOG_ERROR,
  kWarn = STDB_LOG_WARN,
  kInfo = STDB_LOG_INFO,
  kDebug = STDB_LOG_DEBUG,
  kTrace = STDB_LOG_TRACE,
};

namespace detail {

// A StdbSink that appends to a std::vector<uint8_t>. The sink must not outlive `out`.
inline StdbSink VectorSink(std::vector<uint8_t>& out) {
  return StdbSink{&out, [](void* ctx, const uint8_t* data, size_t len) {
                    auto* v = static_cast<std::vector<uint8_t>*>(ctx);
                    v->insert(v->end(), data, data + len);
                  }};
}

// Typed access to one call's StdbHost. Every method either succeeds or throws HostError.
class Host {
 public:
  explicit Host(const StdbHost* host) : host_(host) {}

  const StdbHost* raw() const { return host_; }

  // Throws HostError with the host's message if `code` is not STDB_OK. `what` names the
  // SDK operation, for the rare host that gives no message.
  void Check(int32_t code, const char* what) const {
    if (code == STDB_OK) return;
    std::vector<uint8_t> message;
    if (host_->last_error != nullptr) {
      StdbSink sink = VectorSink(message);
      host_->last_error(host_->ctx, &sink);
    }
    if (message.empty()) {
      throw HostError(code, std::string(what) + " failed: " + HostErrorName(code));
    }
    throw HostError(code, std::string(message.begin(), message.end()));
  }

  void Log(LogLevel level, std::string_view message) const {
    if (host_->log == nullptr) return;
    host_->log(host_->ctx, static_cast<uint32_t>(level), message.data(), message.size());
  }

 private:
  const StdbHost* host_;
};

}  // namespace detail
}  // namespace module_sdk
}  // namespace stdb
