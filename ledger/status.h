// Status and Result: the project's error vocabulary.
//
// A Status is ok or carries a closed Code and a human-readable message. Every rejection of an
// append has its own Code so callers (the CLI, the HTTP API, tests) can act on it without parsing
// text; CodeName() gives the stable machine-readable spelling used in JSON problems and metrics.
// Errors of RocksDB, libsodium, protobuf and the OS are converted into a Status at the edge of
// the module that calls them. Status is a value type; it is safe to copy between threads.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ledger {

enum class Code : unsigned char {
  kOk = 0,
  // Generic outcomes.
  kNotFound,
  kCorruption,       // Stored bytes fail a check: the log or a file was damaged or tampered with.
  kIOError,          // The OS or RocksDB failed to read or write.
  kInvalidArgument,  // A caller (usually a CLI user) passed something unusable.
  kUnavailable,      // The store is closed or shutting down.
  kBusy,             // A bounded queue is full; retry later.
  // Append rejections: a submitted event (or roster) is refused and nothing is written.
  kMalformed,        // Bytes do not decode, or a required field is missing.
  kTooLarge,         // Over a size or count limit of ledger/constants.h.
  kWrongOrigin,      // Signed for another ledger.
  kBadSignature,     // The signature does not verify over the exact bytes.
  kUnknownSigner,    // The signing key is not a registered actor.
  kRevokedSigner,    // The signing key was revoked before this entry.
  kRoleNotAllowed,   // The signer's role may not record this kind of event.
  kScopeNotAllowed,  // The event is outside the signer's region scope.
  kDuplicateId,      // The event id was used before with different bytes.
  kInvalidEvent,     // The event breaks a domain rule against current state.
  // Domain rejections with their own code, so clients can act on them.
  kUnknownReference,   // Names a fund, program, region, plan, person or event the ledger lacks.
  kAlreadyExists,      // Defines or registers something already defined or registered.
  kInvalidAmount,      // An amount <= 0 or beyond the ledger's sanity limit.
  kInvalidIdentifier,  // A resident ID or credit code with a wrong check character or date.
  kOverdraft,          // Asks for more money than the account holds.
  kErased,             // The person's personal data was erased (their key destroyed).
  // Signed API requests (api/request_auth.h, docs/api.md).
  kStaleRequest,     // The request's timestamp is more than the allowed skew from the server clock.
  kReplayedRequest,  // The same request signature was accepted before, within the window.
  // A new code goes here, and kLastCode below becomes it.
};

// Stable snake_case name of a code ("bad_signature"), used on the wire and in metrics.
constexpr std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kNotFound: return "not_found";
    case Code::kCorruption: return "corruption";
    case Code::kIOError: return "io_error";
    case Code::kInvalidArgument: return "invalid_argument";
    case Code::kUnavailable: return "unavailable";
    case Code::kBusy: return "busy";
    case Code::kMalformed: return "malformed";
    case Code::kTooLarge: return "too_large";
    case Code::kWrongOrigin: return "wrong_origin";
    case Code::kBadSignature: return "bad_signature";
    case Code::kUnknownSigner: return "unknown_signer";
    case Code::kRevokedSigner: return "revoked_signer";
    case Code::kRoleNotAllowed: return "role_not_allowed";
    case Code::kScopeNotAllowed: return "scope_not_allowed";
    case Code::kDuplicateId: return "duplicate_id";
    case Code::kInvalidEvent: return "invalid_event";
    case Code::kUnknownReference: return "unknown_reference";
    case Code::kAlreadyExists: return "already_exists";
    case Code::kInvalidAmount: return "invalid_amount";
    case Code::kInvalidIdentifier: return "invalid_identifier";
    case Code::kOverdraft: return "overdraft";
    case Code::kErased: return "erased";
    case Code::kStaleRequest: return "stale_request";
    case Code::kReplayedRequest: return "replayed_request";
  }
  return "unknown";
}

// The last code: CodeFromName looks through every code up to it.
inline constexpr Code kLastCode = Code::kReplayedRequest;

// The code whose CodeName is `name` ("overdraft" -> kOverdraft), for clients reading a problem's
// `code`; nullopt for a name no code has (a newer server's code, or not a code at all).
constexpr std::optional<Code> CodeFromName(std::string_view name) {
  for (int value = 0; value <= static_cast<int>(kLastCode); ++value) {
    const Code code = static_cast<Code>(value);
    if (CodeName(code) == name) return code;
  }
  return std::nullopt;
}
static_assert(CodeFromName("replayed_request") == kLastCode);
static_assert(CodeFromName("ok") == Code::kOk && !CodeFromName("unknown").has_value());

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "bad_signature: signature does not verify (entry 12)".
  std::string ToString() const {
    if (ok()) return "ok";
    return std::string(CodeName(code_)) + ": " + message_;
  }
  // For the rare, greppable place where an error is deliberately dropped.
  void IgnoreError() const {}

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design.
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design.
    assert(!status_.ok());  // A Result without a value must say why.
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace ledger
