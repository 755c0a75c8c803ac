// Reducers: functions the host runs in a transaction, and the context they receive.
//
//   void set_name(stdb::ReducerContext& ctx, std::string name) { ... }
//   STDB_REDUCER(set_name, name);              // names the parameters for the schema
//
//   void on_connect(stdb::ReducerContext& ctx) { ... }
//   STDB_CLIENT_CONNECTED(on_connect);         // also STDB_INIT, STDB_CLIENT_DISCONNECTED
//
// Contract:
// - A reducer is `R f(stdb::ReducerContext&, Args...)` where R is void or stdb::Outcome
//   and every Arg (by value, const&, & or &&) is a supported type (stdb/bsatn.h). Its
//   name in the schema is the function's name.
// - It fails, and the host rolls back all its writes, when it returns stdb::Err(message)
//   or throws; the message is what() of the exception (stdb::ReducerError, HostError or
//   any std::exception). Nothing it throws crosses the C ABI.
// - STDB_REDUCER(f, names...) must name every parameter after the context, in order (a
//   compile error otherwise). Lifecycle reducers take only the context; at most one of
//   each kind per module (the host checks at publish).
// - Reducer ids are registration order, the order of ModuleDef.reducers.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "stdb/abi.h"
#include "stdb/bsatn.h"
#include "stdb/host.h"
#include "stdb/registry.h"
#include "stdb/rng.h"
#include "stdb/struct.h"
#include "stdb/table.h"
#include "stdb/types.h"

namespace stdb {
inline namespace module_sdk {

// Thrown by a reducer to fail with a message for the caller.
class ReducerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What a reducer may return instead of throwing: success, or failure with a message.
class [[nodiscard]] Outcome {
 public:
  Outcome() = default;  // success
  static Outcome failure(std::string message) {
    Outcome o;
    o.error_ = std::move(message);
    return o;
  }

  bool is_ok() const { return !error_.has_value(); }
  // REQUIRES: !is_ok().
  const std::string& error() const { return *error_; }

 private:
  std::optional<std::string> error_;
};

// Success.
inline Outcome Ok() { return Outcome(); }
// Failure with `message`, which the caller receives.
inline Outcome Err(std::string message) { return Outcome::failure(std::move(message)); }

// Everything a reducer knows besides its arguments. Valid only during the call.
class ReducerContext {
 public:
  ReducerContext(const StdbHost* host, const StdbReducerContext& call)
      : db(host),
        host_(host),
        sender_(Identity::from_le_bytes(call.sender)),
        connection_id_(ConnectionId::from_le_bytes(call.connection_id)),
        timestamp_(Timestamp::from_micros_since_epoch(call.timestamp_micros)),
        identity_(Identity::from_le_bytes(call.module_identity)),
        rng_(call.rng_seed) {}
  ReducerContext(const ReducerContext&) = delete;
  ReducerContext& operator=(const ReducerContext&) = delete;

  // The database's tables: ctx.db[table].
  Database db;

  // The identity of the caller.
  const Identity& sender() const { return sender_; }
  // The caller's connection, or std::nullopt when there is none (init, HTTP calls).
  std::optional<ConnectionId> connection_id() const {
    if (connection_id_.is_zero()) return std::nullopt;
    return connection_id_;
  }
  // The transaction's time. Reducers use this, never the wall clock.
  Timestamp timestamp() const { return timestamp_; }
  // The database's own identity.
  const Identity& identity() const { return identity_; }
  // A generator seeded by the host for this call (stdb/rng.h).
  Rng& rng() { return rng_; }

  // Writes a line to the database's module log.
  void log(LogLevel level, std::string_view message) const { host_.Log(level, message); }
  void log_error(std::string_view message) const { log(LogLevel::kError, message); }
  void log_warn(std::string_view message) const { log(LogLevel::kWarn, message); }
  void log_info(std::string_view message) const { log(LogLevel::kInfo, message); }
  void log_debug(std::string_view message) const { log(LogLevel::kDebug, message); }
  void log_trace(std::string_view message) const { log(LogLevel::kTrace, message); }

 private:
  detail::Host host_;
  Identity sender_;
  ConnectionId connection_id_;
  Timestamp timestamp_;
  Identity identity_;
  Rng rng_;
};

namespace detail {

// The shape of a reducer function. Only the specializations below are reducers.
template <typename F>
struct ReducerSignature {
  static constexpr bool kIsReducer = false;
  static constexpr size_t kArity = 0;
};

template <typename R, typename Ctx, typename... Args>
struct ReducerSignature<R (*)(Ctx, Args...)> {
  static constexpr bool kIsReducer =
      (std::is_same_v<Ctx, ReducerContext&> || std::is_same_v<Ctx, const ReducerContext&>) &&
      (std::is_void_v<R> || std::is_same_v<R, Outcome>);
  static constexpr size_t kArity = sizeof...(Args);
  using Return = R;
  using Params = std::tuple<Args...>;  // as declared, for forwarding
  using Values = std::tuple<std::remove_cvref_t<Args>...>;
};

template <typename R, typename Ctx, typename... Args>
struct ReducerSignature<R (*)(Ctx, Args...) noexcept> : ReducerSignature<R (*)(Ctx, Args...)> {
};

// True if `names` (the stringized STDB_REDUCER names) names each parameter of Fn. A
// function that is not a reducer at all passes, to leave the error to ReducerEntryFor.
template <auto Fn>
constexpr bool ParamsNamed(std::string_view names) {
  using Sig = ReducerSignature<decltype(Fn)>;
  if (!Sig::kIsReducer) return true;
  const size_t n = CountNames(names);
  return n == Sig::kArity && (n == 0 || IsNameList(names));
}

template <auto Fn>
void WriteParamsType(bsatn::Writer& w, std::string_view param_names) {
  using Values = typename ReducerSignature<decltype(Fn)>::Values;
  constexpr size_t kArity = std::tuple_size_v<Values>;
  const auto names = SplitNames<kArity>(param_names);
  w.composite(bsatn::TypeKind::kProduct, static_cast<uint32_t>(kArity));
  [&]<size_t... I>(std::index_sequence<I...>) {
    ((w.element_name(names[I]), bsatn::Traits<std::tuple_element_t<I, Values>>::WriteType(w)),
     ...);
  }(std::make_index_sequence<kArity>{});
}

// Decodes one argument, naming the reducer and parameter if it does not decode.
template <typename T>
T DecodeArgument(const ReducerEntry& entry, std::string_view param, bsatn::Reader& args) {
  try {
    return bsatn::Traits<T>::Decode(args);
  } catch (const bsatn::DecodeError& e) {
    throw ReducerError("reducer '" + std::string(entry.name) + "': argument '" +
                       std::string(param) + "' does not decode: " + e.what());
  }
}

template <auto Fn>
Outcome InvokeReducer(const ReducerEntry& entry, ReducerContext& ctx, bsatn::Reader& args) {
  using Sig = ReducerSignature<decltype(Fn)>;
  using Values = typename Sig::Values;
  using Params = typename Sig::Params;
  constexpr size_t kArity = Sig::kArity;
  const auto names = SplitNames<kArity>(entry.param_names);
  return [&]<size_t... I>(std::index_sequence<I...>) -> Outcome {
    // A braced list evaluates left to right, so the arguments decode in order.
    Values values{DecodeArgument<std::tuple_element_t<I, Values>>(entry, names[I], args)...};
    if (!args.at_end()) {
      throw ReducerError("reducer '" + std::string(entry.name) + "': " +
                         std::to_string(args.remaining()) +
                         " unexpected bytes after the arguments");
    }
    if constexpr (std::is_void_v<typename Sig::Return>) {
      Fn(ctx, std::forward<std::tuple_element_t<I, Params>>(std::get<I>(values))...);
      return Ok();
    } else {
      return Fn(ctx, std::forward<std::tuple_element_t<I, Params>>(std::get<I>(values))...);
    }
  }(std::make_index_sequence<kArity>{});
}

// Appends a reducer to the registry (the STDB_REDUCER and lifecycle macros).
struct ReducerRegistrar {
  ReducerRegistrar(std::string_view name, std::string_view param_names, ReducerEntry entry) {
    entry.name = name;
    entry.param_names = param_names;
    GetRegistry().reducers.push_back(entry);
  }
};

template <auto Fn>
ReducerEntry ReducerEntryFor(Lifecycle lifecycle) {
  static_assert(ReducerSignature<decltype(Fn)>::kIsReducer,
                "a reducer is `void f(stdb::ReducerContext&, Args...)` or returns "
                "stdb::Outcome");
  return ReducerEntry{{}, {}, &WriteParamsType<Fn>, &InvokeReducer<Fn>, lifecycle};
}

// Appends `message` to `out` without allocating or throwing; an empty message is
// replaced so the caller always learns something.
inline void WriteError(StdbSink* out, std::string_view message) noexcept {
  if (out == nullptr || out->append == nullptr) return;
  if (message.empty()) message = "the reducer failed without a message";
  out->append(out->ctx, reinterpret_cast<const uint8_t*>(message.data()), message.size());
}

// The body of the exported stdb_call_reducer (stdb/abi.h).
inline int32_t CallReducer(const StdbHost* host, uint32_t reducer_id,
                           const StdbReducerContext* call, const uint8_t* args,
                           size_t args_len, StdbSink* error_out) noexcept {
  std::string_view reducer_name = "?";
  try {
    if (host == nullptr || call == nullptr) {
      WriteError(error_out, "stdb_call_reducer: the host passed a null host or context");
      return STDB_REDUCER_ERROR;
    }
    if (host->abi_version != STDB_ABI_VERSION) {
      WriteError(error_out, "the host's ABI version " + std::to_string(host->abi_version) +
                                " differs from the module's " +
                                std::to_string(STDB_ABI_VERSION));
      return STDB_REDUCER_ERROR;
    }
    const Registry& registry = GetRegistry();
    if (reducer_id >= registry.reducers.size()) {
      WriteError(error_out, "no reducer has id " + std::to_string(reducer_id) +
                                "; the module has " +
                                std::to_string(registry.reducers.size()));
      return STDB_REDUCER_ERROR;
    }
    const ReducerEntry& entry = registry.reducers[reducer_id];
    reducer_name = entry.name;
    ReducerContext ctx(host, *call);
    bsatn::Reader reader(args, args == nullptr ? 0 : args_len);
    const Outcome outcome = entry.invoke(entry, ctx, reader);
    if (outcome.is_ok()) return STDB_REDUCER_OK;
    WriteError(error_out, outcome.error());
    return STDB_REDUCER_ERROR;
  } catch (const std::exception& e) {
    WriteError(error_out, e.what());
    return STDB_REDUCER_ERROR;
  } catch (...) {
    // Building the message allocates, which may itself throw; fall back to a literal.
    try {
      WriteError(error_out, "reducer '" + std::string(reducer_name) +
                                "' threw an exception that is not a std::exception");
    } catch (...) {
      WriteError(error_out, "a reducer threw an exception that is not a std::exception");
    }
    return STDB_REDUCER_ERROR;
  }
}

// The body of the exported stdb_describe (stdb/abi.h).
inline void Describe(StdbSink* out) noexcept {
  if (out == nullptr || out->append == nullptr) return;
  try {
    std::vector<uint8_t> bytes;
    WriteModuleDef(GetRegistry(), bytes);
    out->append(out->ctx, bytes.data(), bytes.size());
  } catch (...) {
    // Only allocation can fail here. Appending nothing makes the host reject the module
    // as undecodable, which is better than an exception crossing the C ABI.
  }
}

}  // namespace detail
}  // namespace module_sdk
}  // namespace stdb

// STDB_REDUCER(f, param_names...): registers f as a reducer named "f".
#define STDB_REDUCER(fn, ...)                                                      \
  static_assert(::stdb::detail::ParamsNamed<&fn>("" #__VA_ARGS__),                 \
                "STDB_REDUCER(" #fn ", ...) must name each parameter after the "   \
                "context, in order");                                              \
  inline const ::stdb::detail::ReducerRegistrar StdbReducerRegistrar_##fn {        \
    #fn, "" #__VA_ARGS__,                                                          \
        ::stdb::detail::ReducerEntryFor<&fn>(::stdb::detail::Lifecycle::kNone)     \
  }

#define STDB_DETAIL_LIFECYCLE_REDUCER(fn, lifecycle)                                   \
  static_assert(::stdb::detail::ReducerSignature<decltype(&fn)>::kArity == 0,          \
                "the lifecycle reducer " #fn " must take only the context");           \
  inline const ::stdb::detail::ReducerRegistrar StdbReducerRegistrar_##fn {            \
    #fn, "", ::stdb::detail::ReducerEntryFor<&fn>(::stdb::detail::Lifecycle::lifecycle) \
  }

// STDB_INIT(f): f runs once, when the database is created.
#define STDB_INIT(fn) STDB_DETAIL_LIFECYCLE_REDUCER(fn, kInit)
// STDB_CLIENT_CONNECTED(f): f runs when a client connects, as that client.
#define STDB_CLIENT_CONNECTED(fn) STDB_DETAIL_LIFECYCLE_REDUCER(fn, kClientConnected)
// STDB_CLIENT_DISCONNECTED(f): f runs when a client disconnects, as that client.
#define STDB_CLIENT_DISCONNECTED(fn) STDB_DETAIL_LIFECYCLE_REDUCER(fn, kClientDisconnected)
