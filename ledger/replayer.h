// Replaying the log into projections, outside the append path: the verifier replays into a
// scratch database (to recompute the projections' digest), and `ledgerctl rebuild` discards a
// ledger's stored projections and replays the log into them again. Both run the same
// ActorRegistry and FundsProjection as the sequencer, so what the append path accepted is
// re-checked by the same code, and both end with the same digest for the same log.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "crypto/hash.h"
#include "crypto/note.h"
#include "ledger/actors.h"
#include "ledger/event_check.h"
#include "ledger/projection.h"
#include "ledger/status.h"

namespace ledger {

// SHA-256 over every row of the actor registry, then of the domain projections, in key order
// (docs/formats.md, "Projection digest"). Two ledgers with the same log have the same digest.
Result<crypto::Hash> ProjectionDigest(const RowReader& actors, const RowReader& projections);

class Replayer {
 public:
  // Replays into a fresh database in a temporary folder, removed with the Replayer.
  static Result<std::unique_ptr<Replayer>> Scratch(const crypto::VerifierKey& log_key);
  ~Replayer();
  Replayer(const Replayer&) = delete;
  Replayer& operator=(const Replayer&) = delete;

  // Authorizes `event` (decoded, signature already checked or trusted) at `index` and applies
  // it to every projection. An error names the rule it breaks; the replay must stop there.
  Status Apply(const CheckedEvent& event, std::uint64_t index);
  // Ends a batch: projections write their current totals and check their invariants, and the
  // batch's rows are written (unsynced: a replay that dies is simply run again).
  Status EndBatch();
  // Digest of the rows replayed so far (call after EndBatch).
  Result<crypto::Hash> Digest() const;
  const ActorRegistry& actors() const;

  class Impl;

 private:
  explicit Replayer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct RebuildReport {
  std::uint64_t entries = 0;
  std::uint64_t entry_bytes = 0;
  double scan_seconds = 0;     // A raw scan of the same entries, for comparison.
  double rebuild_seconds = 0;  // Decoding, replaying and writing the projections.
  crypto::Hash digest{};
};

// Discards the stored projections of the ledger in `data_dir` (which no process may have open)
// and rebuilds them from entries [0, checkpoint size). The entries are trusted as stored: run
// `ledgerctl verify` to check them. A rebuild that dies midway leaves the ledger refusing to
// open until a rebuild completes.
Result<RebuildReport> RebuildProjections(
    const std::string& data_dir, const std::function<void(std::uint64_t done, std::uint64_t total)>& progress = {});

// Digest of the projections stored in `data_dir`, read beside a running ledgerd.
Result<crypto::Hash> StoredProjectionDigest(const std::string& data_dir);

// Decodes a stored entry's event into `event` without checking its signature (rebuild trusts the
// log), and points `out` at it and at its bytes in `scratch`. `scratch` and `event` are reused
// from entry to entry, so their buffers are too.
Status DecodeStoredEvent(std::string_view entry_bytes, v1::LogEntry* scratch, v1::Event* event, CheckedEvent* out);

}  // namespace ledger
