// EventStore: the ledger's append-only log on RocksDB. The only way anything is written.
//
// An append passes two stages. Stateless checks (size, decoding, signature: event_check.h) run on
// a pool of worker threads, one per core. One sequencer thread then takes checked appends in
// groups, checks each against current state (actors, then every Projection), assigns indexes,
// links each entry to the previous entry's hash, extends the Merkle tree and records the new tree
// head, and writes the whole group in one synced RocksDB WriteBatch. Callbacks run only after
// that write is durable. The committer signs a checkpoint of the durable head at most once per
// checkpoint interval (docs/transparency.md). A rejected append changes nothing; a roster is all or nothing.
// Appends are sequenced in the order Submit/SubmitRoster accepted them, whichever worker checked
// them: a caller that submits A before B never sees B checked against state without A.
//
// Thread safety: every public method may be called from any thread at any time. Callbacks run on
// the store's threads and must not block for long; they may call Submit.
// Data directory layout and every stored byte: docs/formats.md.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/hash.h"
#include "crypto/note.h"
#include "ledger/constants.h"
#include "ledger/ledger.pb.h"
#include "ledger/projection.h"
#include "ledger/status.h"
#include "ledger/tile_path.h"

namespace ledger {

// What an acknowledged append gets back: where the event is and the hash that commits to it.
struct Receipt {
  std::uint64_t index = 0;
  crypto::Hash entry_hash{};
  bool duplicate = false;  // The event id was appended before with these exact bytes.
};

struct StoreOptions {
  std::string data_dir;
  // Worker threads for stateless checks; 0 = one per core.
  std::size_t check_threads = 0;
  // Domain projections consulted, in order, after the actor registry. Owned by the caller, who
  // keeps them alive until the store is closed.
  std::vector<Projection*> projections;
  // The least time between two signed checkpoints (constants::checkpoint_interval_ms); zero
  // signs one after every batch.
  std::chrono::milliseconds checkpoint_interval{constants::checkpoint_interval_ms};
  // Batches of at least this many entries write them as an ingested table file
  // (constants::ingest_entries_min); zero never does.
  std::size_t ingest_entries_min = constants::ingest_entries_min;
};

struct CreateOptions {
  std::string data_dir;
  std::string origin;        // Also the log key's name; a C2SP key name (no spaces, no '+').
  v1::Actor first_admin;     // Role must be admin.
  std::int64_t timestamp_ms = 0;  // Genesis time; 0 = now.
};

// Counters of the commit path, for metrics. Buckets: batch_sizes[i] counts batches of at most
// 2^i entries (and more than 2^(i-1)); the last bucket takes everything larger.
struct StoreStats {
  std::uint64_t batches = 0;
  std::uint64_t entries = 0;
  std::uint64_t checkpoints = 0;  // Checkpoints signed since the store was opened.
  double checkpoint_seconds = 0;  // Time the committer spent signing and storing them.
  std::array<std::uint64_t, 15> batch_sizes{};
  // Each committed batch's synced WriteBatch (a large batch's ingestion included), by how long
  // it took: commit_writes[i] counts those of at most CommitWriteBucketMicros(i) (and more than
  // bucket i - 1's); the last takes the rest. Quarter powers of two: each bound is 19% above the
  // last. The disk's tail shows here.
  static constexpr std::size_t kCommitWriteBuckets = 81;
  std::array<std::uint64_t, kCommitWriteBuckets> commit_writes{};
  double commit_write_seconds = 0;  // Their total.
};

// 2^(i/4) microseconds: the upper bound of StoreStats::commit_writes[i] (for i below the last).
double CommitWriteBucketMicros(std::size_t i);
// The bucket of a synced write that took `micros`.
std::size_t CommitWriteBucket(double micros);

// Paths inside a data directory.
std::string DatabasePath(const std::string& data_dir);    // DIR/db
std::string LogKeyPath(const std::string& data_dir);      // DIR/log.key (mode 0600)
std::string LogPublicKeyPath(const std::string& data_dir);  // DIR/log.pub

class EventStore {
 public:
  using AppendCallback = std::function<void(Result<Receipt>)>;
  using RosterCallback = std::function<void(Result<std::vector<Receipt>>)>;

  // Creates a ledger in `options.data_dir` (which must not hold one): a fresh log key, the
  // genesis entry registering the first admin, and the first checkpoint.
  static Status Create(const CreateOptions& options);
  // Opens an existing ledger, recovering to its last durable batch, and signs a checkpoint of it
  // if the stored one is older (a crash came before the next was due). kCorruption if the stored
  // tree does not match the stored tree head or checkpoint.
  static Result<std::unique_ptr<EventStore>> Open(StoreOptions options);

  // Finishes every accepted append, then closes RocksDB.
  ~EventStore();
  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  // Appends a serialized v1::SignedEvent. `done` runs exactly once: with the receipt once the
  // entry is durable, or with the rejection. kBusy at once if append_queue_max appends wait.
  void Submit(std::string signed_event, AppendCallback done);
  // Appends a serialized v1::SignedRoster: one entry per event, in roster order, in one batch.
  void SubmitRoster(std::string signed_roster, RosterCallback done);

  // Blocking forms of the above.
  Result<Receipt> Append(std::string signed_event);
  Result<std::vector<Receipt>> AppendRoster(std::string signed_roster);

  // Stops accepting appends, finishes those accepted, closes RocksDB. Idempotent.
  Status Close();

  const std::string& origin() const;
  const crypto::VerifierKey& log_key() const;
  // Number of durable entries. The latest checkpoint covers at most these: it is signed at most
  // once per StoreOptions::checkpoint_interval, for the durable head when it is signed.
  std::uint64_t size() const;
  // The latest signed checkpoint note.
  std::string checkpoint() const;
  // Waits until a signed checkpoint covers at least `tree_size` entries; false on timeout.
  bool WaitForCheckpoint(std::uint64_t tree_size, std::chrono::milliseconds timeout) const;
  // The exact stored bytes of entry `index` (a serialized v1::LogEntry). kNotFound past the end.
  Result<std::string> ReadEntry(std::uint64_t index) const;
  // The index an event id was appended at. kNotFound if never.
  Result<std::uint64_t> FindEventId(const std::string& event_id) const;
  // Actors as of the head.
  std::vector<v1::ActorRecord> Actors() const;
  // The actor with this public key as of the head, without copying the others; nullopt if none.
  std::optional<v1::ActorRecord> FindActor(const crypto::PublicKey& key) const;
  // Hash of the complete Merkle node (level, index), read from the store.
  std::optional<crypto::Hash> TreeNode(std::uint8_t level, std::uint64_t index) const;

  // Transparency reads (docs/transparency.md), for the tree of any `tree_size` <= size(). Errors:
  // kNotFound when tree_size > size() (that tree does not exist yet); kInvalidArgument when the
  // proof is not defined for the arguments; kCorruption when a stored tile or entry is missing.
  //
  // RFC 6962 PATH(index, D[tree_size]) in RFC 9162 order (leaf upwards); index < tree_size.
  Result<std::vector<crypto::Hash>> InclusionProof(std::uint64_t index, std::uint64_t tree_size) const;
  // RFC 6962 PROOF(old_size, D[tree_size]), 1 <= old_size <= tree_size; empty when they are equal.
  Result<std::vector<crypto::Hash>> ConsistencyProof(std::uint64_t old_size, std::uint64_t tree_size) const;
  // The body C2SP tlog-tiles serves for `tile`: its width * 32 bytes of hashes, or, for an entry
  // bundle, each entry's exact stored bytes after its length as 2 big-endian bytes. kNotFound
  // unless the tree of size() entries holds the whole tile. A partial tile whose level has grown
  // since (even into a full tile) is still served: it is a prefix of the stored tile.
  Result<std::string> ReadTile(const TileId& tile) const;
  // Rows of the domain projections (ledger/funds_query.h reads them), durable writes only.
  const RowReader& projection_rows() const;
  StoreStats stats() const;
  // Appends waiting to be checked or sequenced.
  std::size_t queue_depth() const;
  // Whether RocksDB has flushes or compactions running or pending in any column family: after a
  // bulk load, reads share the cores with them for a while.
  bool BackgroundWorkPending() const;

  class Impl;

 private:
  explicit EventStore(std::unique_ptr<Impl> impl);
  // Open, or (for Create only) open a store that has no genesis entry yet.
  static Result<std::unique_ptr<EventStore>> Open(StoreOptions options, bool allow_empty);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ledger
