// Verification of a whole ledger from its genesis entry, trusting only the log's public key.
//
// VerifyLog walks the stored entries in order and checks, for every index: the entry is stored
// under its own index with no gap; it links to the previous entry's hash; its event decodes, is
// for this ledger and carries a valid signature (or roster proof) over its exact stored bytes;
// the signer was registered, unrevoked and allowed to sign it at that index (the same
// ActorRegistry and FundsProjection the append path uses, replayed by ledger::Replayer); and at the end that the recomputed
// RFC 6962 root and size equal the stored checkpoint, signed by the log key. It stops at the
// first bad index and says what is wrong there. Signatures are checked on all cores.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "crypto/hash.h"
#include "crypto/note.h"
#include "ledger/projection.h"
#include "ledger/status.h"

namespace replay {

struct VerifyOptions {
  std::string data_dir;
  // The key the auditor trusts for this log (normally DIR/log.pub or a copy kept elsewhere).
  crypto::VerifierKey log_key;
  std::size_t threads = 0;  // 0 = one per core.
  // Called after each window of entries with (entries verified, entries in the checkpoint).
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
  // Asked after each window; when it answers true, verification stops with kUnavailable.
  std::function<bool()> stop_requested;
};

struct VerifyReport {
  std::uint64_t entries_verified = 0;  // Entries that passed every check.
  std::uint64_t checkpoint_size = 0;
  crypto::Hash root{};                 // Recomputed root over the verified entries.
  // Digest of the projections replayed from the verified log (ledger/replayer.h); set when
  // verification passed. `ledgerctl rebuild` prints the same digest for the same log.
  crypto::Hash projection_digest{};
  // Set when verification failed: the first bad index, the kind of failure and what it was.
  std::optional<std::uint64_t> first_bad_index;
  ledger::Status problem;
  bool ok() const { return problem.ok(); }
};

// Errors (as a Status, not a report) only when the log cannot be read at all.
ledger::Result<VerifyReport> VerifyLog(const VerifyOptions& options);

}  // namespace replay
