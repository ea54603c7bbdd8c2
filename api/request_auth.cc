#include "api/request_auth.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <optional>
#include <utility>

#include "ledger/signing_context.h"

namespace api {

using ledger::Code;
using ledger::Result;
using ledger::Status;

namespace {

// The longest canonical decimal of a non-negative int64 (9223372036854775807).
constexpr std::size_t kTimestampDigitsMax = 19;

struct ParsedHeaders {
  crypto::PublicKey key{};
  std::int64_t timestamp_ms = 0;
  crypto::Signature signature{};
};

// Canonical decimal only (digits, no sign, no leading zero unless "0"), so each timestamp has
// exactly one spelling on the wire as in the signed message.
std::optional<std::int64_t> ParseTimestamp(std::string_view text) {
  if (text.empty() || text.size() > kTimestampDigitsMax) return std::nullopt;
  if (text.size() > 1 && text.front() == '0') return std::nullopt;
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

Status Malformed(std::string_view header, std::string_view what) {
  return Status(Code::kMalformed, std::string(header) + " is not " + std::string(what));
}

Result<ParsedHeaders> ParseHeaders(std::string_view key_header, std::string_view timestamp_header,
                                   std::string_view signature_header) {
  // Absent headers first: an unsigned request is told it is unsigned, whatever else it carries.
  for (auto [name, value] : {std::pair{kKeyHeader, key_header},
                             std::pair{kTimestampHeader, timestamp_header},
                             std::pair{kSignatureHeader, signature_header}}) {
    if (value.empty()) {
      return Status(Code::kBadSignature,
                    "request is not signed: " + std::string(name) + " missing");
    }
  }
  ParsedHeaders parsed;
  std::optional<std::string> key_bytes = crypto::Base64Decode(key_header);
  std::optional<crypto::PublicKey> key;
  if (key_bytes) key = crypto::PublicKeyFromBytes(*key_bytes);
  if (!key) return Malformed(kKeyHeader, "base64 of a 32-byte Ed25519 public key");
  parsed.key = *key;
  std::optional<std::int64_t> timestamp_ms = ParseTimestamp(timestamp_header);
  if (!timestamp_ms) return Malformed(kTimestampHeader, "a decimal count of milliseconds");
  parsed.timestamp_ms = *timestamp_ms;
  std::optional<std::string> signature_bytes = crypto::Base64Decode(signature_header);
  std::optional<crypto::Signature> signature;
  if (signature_bytes) signature = crypto::SignatureFromBytes(*signature_bytes);
  if (!signature) return Malformed(kSignatureHeader, "base64 of a 64-byte Ed25519 signature");
  parsed.signature = *signature;
  return parsed;
}

}  // namespace

std::string RequestSigningMessage(std::string_view origin, std::string_view method,
                                  std::string_view target, std::int64_t timestamp_ms,
                                  std::string_view body) {
  const crypto::Hash body_sha256 = crypto::Sha256(body);
  std::string message;
  message.reserve(ledger::kRequestContext.size() + origin.size() + method.size() + target.size() +
                  kTimestampDigitsMax + 1 + 2 * crypto::kHashBytes + 5);
  message.append(ledger::kRequestContext);
  message.append(origin).push_back('\n');
  message.append(method).push_back('\n');
  message.append(target).push_back('\n');
  message.append(std::to_string(timestamp_ms)).push_back('\n');
  message.append(crypto::HexEncode(crypto::AsBytes(body_sha256))).push_back('\n');
  return message;
}

RequestSignature SignRequest(const crypto::SecretKey& key, std::string_view origin,
                             std::string_view method, std::string_view target,
                             std::int64_t timestamp_ms, std::string_view body) {
  const crypto::Signature signature =
      key.Sign(RequestSigningMessage(origin, method, target, timestamp_ms, body));
  return RequestSignature{crypto::Base64Encode(crypto::AsBytes(key.public_key())),
                          std::to_string(timestamp_ms),
                          crypto::Base64Encode(crypto::AsBytes(signature))};
}

RequestAuthenticator::RequestAuthenticator(std::string origin, std::int64_t skew_ms,
                                           std::size_t cache_entries_max)
    : origin_(std::move(origin)), skew_ms_(skew_ms), cache_entries_max_(cache_entries_max) {
  assert(!origin_.empty());
  assert(skew_ms_ > 0);
  assert(cache_entries_max_ > 0);
}

Result<crypto::PublicKey> RequestAuthenticator::Check(
    std::string_view method, std::string_view target, std::string_view body,
    std::string_view key_header, std::string_view timestamp_header,
    std::string_view signature_header, std::int64_t now_ms, const KeyAdmission& admit) {
  assert(now_ms >= 0);  // The server's clock, not network input: both operands below are >= 0.
  Result<ParsedHeaders> parsed = ParseHeaders(key_header, timestamp_header, signature_header);
  if (!parsed.ok()) return parsed.status();
  // HTTP parsers refuse LF in these; checked again because the message's fields end in LF.
  if (method.find('\n') != std::string_view::npos || target.find('\n') != std::string_view::npos) {
    return Status(Code::kMalformed, "line feed in the request method or target");
  }
  const std::int64_t timestamp_ms = parsed->timestamp_ms;
  // Before the signature, so a stale request costs no Ed25519 verification.
  const std::int64_t distance_ms =
      timestamp_ms > now_ms ? timestamp_ms - now_ms : now_ms - timestamp_ms;
  if (distance_ms > skew_ms_) {
    return Status(Code::kStaleRequest, "request timestamp " + std::to_string(timestamp_ms) +
                                           " is more than " + std::to_string(skew_ms_) +
                                           " ms from the server clock " + std::to_string(now_ms));
  }
  const std::string message = RequestSigningMessage(origin_, method, target, timestamp_ms, body);
  if (!crypto::Verify(parsed->key, message, parsed->signature)) {
    return Status(Code::kBadSignature, "request signature does not verify");
  }
  if (admit) {
    if (Status admitted = admit(parsed->key); !admitted.ok()) return admitted;
  }
  const Entry entry{timestamp_ms, crypto::Sha256(crypto::AsBytes(parsed->signature))};
  if (Status remembered = Remember(entry, now_ms); !remembered.ok()) return remembered;
  return parsed->key;
}

// Expires what a replay could no longer get past the clock check, then records `entry` unless it
// is there already. A full cache refuses rather than evicts: a forgotten signature that is still
// inside the window could be replayed, and a refused request can simply be sent again later.
Status RequestAuthenticator::Remember(const Entry& entry, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  forgotten_below_ms_ = std::max(forgotten_below_ms_, now_ms - skew_ms_);
  // Each entry is erased once: amortised, expiry costs one erase per accepted request.
  while (!remembered_.empty() && remembered_.begin()->timestamp_ms < forgotten_below_ms_) {
    remembered_.erase(remembered_.begin());
  }
  if (entry.timestamp_ms < forgotten_below_ms_) {
    return Status(Code::kStaleRequest, "request timestamp " + std::to_string(entry.timestamp_ms) +
                                           " is older than the replay window, which began at " +
                                           std::to_string(forgotten_below_ms_) +
                                           " (the server clock stepped back)");
  }
  if (remembered_.contains(entry)) {
    return Status(Code::kReplayedRequest, "this request signature was accepted before");
  }
  if (remembered_.size() >= cache_entries_max_) {
    // Every entry is at or above forgotten_below_ms_, so the oldest expires in 1 ms or more.
    const std::int64_t expires_in_ms = remembered_.begin()->timestamp_ms + skew_ms_ - now_ms + 1;
    return Status(Code::kBusy, "replay cache full; its oldest entry expires in " +
                                   std::to_string(expires_in_ms) + " ms");
  }
  remembered_.insert(entry);
  assert(remembered_.size() <= cache_entries_max_);
  return Status::Ok();
}

std::size_t RequestAuthenticator::remembered() const {
  std::lock_guard lock(mutex_);
  return remembered_.size();
}

}  // namespace api
