// Signed API requests: the message a client signs, the headers that carry the signature, and the
// server's check of them (docs/api.md, "Signed requests", has the scheme and a worked example).
//
// Every request but the public transparency endpoints carries three headers:
//   X-Ledger-Key:        base64 of the signer's raw 32-byte Ed25519 public key
//   X-Ledger-Timestamp:  the UTC time of signing in milliseconds since the epoch, canonical decimal
//   X-Ledger-Signature:  base64 of the 64-byte Ed25519 signature over RequestSigningMessage
// The signed message binds the ledger's origin, the method, the exact request-target, the time
// and the body's SHA-256, so a signature cannot be moved to another ledger, endpoint, query, body
// or moment. RequestAuthenticator refuses requests outside a clock window and replays inside it.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "crypto/hash.h"
#include "crypto/signing.h"
#include "ledger/status.h"

namespace api {

inline constexpr std::string_view kKeyHeader = "X-Ledger-Key";
inline constexpr std::string_view kTimestampHeader = "X-Ledger-Timestamp";
inline constexpr std::string_view kSignatureHeader = "X-Ledger-Signature";

// kRequestContext || origin LF method LF target LF decimal timestamp_ms LF hex(SHA-256(body)) LF.
// `method` and `target` are taken exactly as sent (no case folding, no path or query
// normalisation); the hex is lower-case.
std::string RequestSigningMessage(std::string_view origin, std::string_view method,
                                  std::string_view target, std::int64_t timestamp_ms,
                                  std::string_view body);

// The three header values of a signed request.
struct RequestSignature {
  std::string key_b64;        // X-Ledger-Key
  std::string timestamp;      // X-Ledger-Timestamp
  std::string signature_b64;  // X-Ledger-Signature
};

// For clients: signs a request to the ledger `origin`. `timestamp_ms` is the client's clock.
RequestSignature SignRequest(const crypto::SecretKey& key, std::string_view origin,
                             std::string_view method, std::string_view target,
                             std::int64_t timestamp_ms, std::string_view body);

// Decides whether a key whose signature verified may use the API; the server passes one that
// looks the key up in the ledger's actors (kUnknownSigner, kRevokedSigner). Anyone can make a
// key and sign with it, so without this check strangers could fill the replay cache.
using KeyAdmission = std::function<ledger::Status(const crypto::PublicKey&)>;

// Checks signed requests for one ledger and remembers the signatures it accepted, to refuse
// replays. Does not look up actors: it returns the verified key, and the caller's KeyAdmission
// decides before anything is remembered.
//
// Safe for concurrent use without external synchronisation. Signature verification (about 50 us)
// runs outside the lock; the lock covers only a lookup, an insert and the erasure of what expired
// (each entry is erased once), a microsecond or two, so one mutex is not where a server's time
// goes.
class RequestAuthenticator {
 public:
  // `skew_ms` > 0: how far a request's timestamp may be from `now_ms`, either way.
  // `cache_entries_max` > 0: how many accepted signatures may be remembered at once.
  RequestAuthenticator(std::string origin, std::int64_t skew_ms, std::size_t cache_entries_max);
  RequestAuthenticator(const RequestAuthenticator&) = delete;
  RequestAuthenticator& operator=(const RequestAuthenticator&) = delete;

  // Checks one request; header values are empty when the header is absent. On success the
  // signature is remembered and the signer's key returned. Checks in this order (first failure
  // wins):
  //   kBadSignature     a header is missing ("request is not signed: X-Ledger-Signature missing")
  //   kMalformed        a header does not parse (the message names it), or LF in method or target
  //   kStaleRequest     the timestamp is more than the skew before or after `now_ms`
  //   kBadSignature     the signature does not verify over RequestSigningMessage
  //   (admit's error)   `admit` refuses the key; nothing is remembered
  //   kStaleRequest     the timestamp is older than signatures already forgotten (the clock
  //                     stepped back): the cache could no longer recognise a replay of it
  //   kReplayedRequest  the same signature was accepted before and is still remembered
  //   kBusy             the cache is full of signatures that could still be replayed
  // `now_ms` is the server's clock (injected for tests). An empty `admit` admits every key.
  ledger::Result<crypto::PublicKey> Check(std::string_view method, std::string_view target,
                                          std::string_view body, std::string_view key_header,
                                          std::string_view timestamp_header,
                                          std::string_view signature_header, std::int64_t now_ms,
                                          const KeyAdmission& admit = {});

  // Signatures remembered now (expired ones are dropped lazily, on the next Check).
  std::size_t remembered() const;

 private:
  // A remembered signature. A replay carries the same signature and so the same timestamp (it
  // is signed), so ordering by timestamp first serves both the replay lookup and expiry.
  struct Entry {
    std::int64_t timestamp_ms = 0;
    crypto::Hash signature_sha256{};
    auto operator<=>(const Entry&) const = default;
  };

  ledger::Status Remember(const Entry& entry, std::int64_t now_ms);

  const std::string origin_;
  const std::int64_t skew_ms_;
  const std::size_t cache_entries_max_;

  mutable std::mutex mutex_;
  // Timestamps below this were (or may have been) forgotten; it only grows, so a clock stepping
  // back cannot reopen the window for a forgotten signature. Guarded by mutex_.
  std::int64_t forgotten_below_ms_ = std::numeric_limits<std::int64_t>::min();
  std::set<Entry> remembered_;  // Guarded by mutex_.
};

}  // namespace api
