// Verification of a whole ledger from its genesis entry, trusting only the log's public key.
//
// VerifyLog walks the stored entries in order and checks, for every index: the entry is stored
// under its own index with no gap; it links to the previous entry's hash; its event decodes, is
// for this ledger and carries a valid signature (or roster proof) over its exact stored bytes;
// the signer was registered, unrevoked and allowed to sign it at that index (the same
// ActorRegistry and FundsProjection the append path uses, replayed by ledger::Replayer); and that
// the recomputed RFC 6962 root of the first checkpoint-size entries equals the stored checkpoint,
// signed by the log key. Entries after those (the log signs at most one checkpoint a second) are
// verified the same way and counted apart. It stops at the first bad index and says what is
// wrong there. Signatures are checked on all cores.
//
// The entries come from an EntrySource: a data directory's store (VerifyLog) or any other
// source of the exact stored bytes, such as an offline audit bundle (replay/bundle.h).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/hash.h"
#include "crypto/note.h"
#include "ledger/projection.h"
#include "ledger/status.h"

namespace ledger {
class LogReader;
}  // namespace ledger

namespace replay {

// Where the verifier reads a log from. Not synchronised: the verifier calls it from one thread.
class EntrySource {
 public:
  virtual ~EntrySource() = default;
  // The signed checkpoint note exactly as kept (not yet verified: the verifier checks it).
  virtual const std::string& checkpoint() const = 0;
  // The origin the source records for itself beside the checkpoint, if any (a store does; an
  // audit bundle has only its checkpoint). The checkpoint's origin must equal it.
  virtual std::optional<std::string> origin() const = 0;
  // Calls `visit(index, bytes)` for every entry with index >= `from`, in index order, until it
  // returns false. An index with no entry is skipped (the verifier reports the gap). kCorruption
  // means the source's own data is damaged right after the entries visited so far; the verifier
  // reports it at the next index. Any other error is returned by the verifier as an error.
  virtual ledger::Status Scan(
      std::uint64_t from, const std::function<bool(std::uint64_t index, std::string_view bytes)>& visit) const = 0;
  // The leaf hash recorded for entry `index` when it was committed, if the source keeps one: only
  // used to say which side of a broken chain link was altered.
  virtual std::optional<std::string> RecordedLeafHash(std::uint64_t) const { return std::nullopt; }
};

// A data directory's store (ledger/log_reader.h) as an entry source; `reader` must outlive it.
class StoreSource final : public EntrySource {
 public:
  explicit StoreSource(const ledger::LogReader* reader);
  const std::string& checkpoint() const override;
  std::optional<std::string> origin() const override { return origin_; }
  ledger::Status Scan(std::uint64_t from,
                      const std::function<bool(std::uint64_t index, std::string_view bytes)>& visit) const override;
  std::optional<std::string> RecordedLeafHash(std::uint64_t index) const override;

 private:
  const ledger::LogReader* reader_;
  const std::string origin_;
};

struct VerifyOptions {
  std::string data_dir;  // VerifyLog only.
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
  // Entries verified after those the checkpoint covers: a log signs a checkpoint at most once a
  // second, so the latest entries may wait for the next one (set when verification passed).
  std::uint64_t entries_after_checkpoint = 0;
  crypto::Hash root{};                 // Recomputed root of the checkpoint's entries.
  std::string origin;                  // The signed checkpoint's origin.
  // The root of the first `prefix_size` entries (VerifyEntries), once they all verified.
  std::optional<crypto::Hash> prefix_root;
  // Digest of the projections replayed from the verified log (ledger/replayer.h); set when
  // verification passed. `ledgerctl rebuild` prints the same digest for the same log.
  crypto::Hash projection_digest{};
  // Set when verification failed: the first bad index, the kind of failure and what it was.
  std::optional<std::uint64_t> first_bad_index;
  ledger::Status problem;
  bool ok() const { return problem.ok(); }
};

// Verifies the store in options.data_dir. Errors (as a Status, not a report) only when the log
// cannot be read at all.
ledger::Result<VerifyReport> VerifyLog(const VerifyOptions& options);

// Verifies the log `source` gives (options.data_dir is ignored); errors as VerifyLog. With
// `prefix_size`, the report also gives the RFC 6962 root of the first `prefix_size` entries (a
// checkpoint kept from an earlier visit is checked against it); kInvalidArgument if it exceeds
// the checkpoint's size.
ledger::Result<VerifyReport> VerifyEntries(const EntrySource& source, const VerifyOptions& options,
                                           std::optional<std::uint64_t> prefix_size = std::nullopt);

}  // namespace replay
