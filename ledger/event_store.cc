#include "ledger/event_store.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rocksdb/sst_file_writer.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "crypto/merkle.h"
#include "ledger/actors.h"
#include "ledger/constants.h"
#include "ledger/entry_codec.h"
#include "ledger/event_check.h"
#include "ledger/event_signer.h"
#include "ledger/format.h"
#include "ledger/funds.h"
#include "ledger/id_table.h"
#include "ledger/rocks_impl.h"
#include "ledger/tiles_impl.h"

namespace ledger {

using internal::FromRocks;
using internal::OpenMode;
using internal::OpenRocks;
using internal::RocksHandles;

double CommitWriteBucketMicros(std::size_t i) { return std::exp2(static_cast<double>(i) / 4); }

std::size_t CommitWriteBucket(double micros) {
  constexpr std::size_t kLast = StoreStats::kCommitWriteBuckets - 1;
  if (!(micros > 1)) return 0;  // Also NaN, which no clock gives.
  const double quarters = std::ceil(4 * std::log2(micros));
  return quarters >= static_cast<double>(kLast) ? kLast : static_cast<std::size_t>(quarters);
}

std::string DatabasePath(const std::string& data_dir) { return data_dir + "/db"; }
std::string LogKeyPath(const std::string& data_dir) { return data_dir + "/log.key"; }
std::string LogPublicKeyPath(const std::string& data_dir) { return data_dir + "/log.pub"; }
std::string IngestPath(const std::string& data_dir) { return data_dir + "/ingest"; }

namespace {

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One submitted append (a single event or a whole roster) on its way through the pipeline.
struct Work {
  bool is_roster = false;
  bool queued = false;  // Counted in the queue depth until replied to.
  std::uint64_t ticket = 0;  // Order of submission: the sequencer takes work in this order.
  std::string bytes;
  EventStore::AppendCallback done_event;
  EventStore::RosterCallback done_roster;
  // Filled by the check stage: the checked events and what they point into.
  Status check_status;
  std::unique_ptr<google::protobuf::Arena> arena;
  std::unique_ptr<std::string> storage;
  std::vector<CheckedEvent> events;
  // Filled by the sequencer: receipts once the batch is durable.
  std::vector<Receipt> receipts;
  std::size_t weight() const { return is_roster ? constants::roster_events_max : 1; }
};

// An entry sequenced but maybe not yet durable, as idempotency checks need it.
struct PendingEntry {
  std::uint64_t index;
  std::string_view event_bytes;  // Owned by the Work in the same Batch.
  crypto::Hash entry_hash;
};

// One group commit: built by the sequencer, written and answered by the committer.
struct Batch {
  explicit Batch(std::size_t reserved_bytes) : write(reserved_bytes) {}
  rocksdb::WriteBatch write;
  std::vector<std::unique_ptr<Work>> accepted;  // Replied to after the write.
  // The entries in sequence order, and their positions there by event id: views of the ids in
  // `accepted`'s checked events, which the batch owns, so a roster's 10,000 ids are not copied.
  // Both are sized once (BuildBatch).
  std::vector<PendingEntry> pending;
  internal::IdTable pending_by_id;
  std::uint64_t size_after = 0;
  crypto::Hash root_after{};
  std::optional<std::vector<v1::ActorRecord>> actors_after;  // Set when actors changed.
  // A batch of at least StoreOptions::ingest_entries_min entries keeps its entries out of
  // `write`: their stored bytes, back to back in index order from `first_index`, and where each
  // ends. They go into one table file that the committer has RocksDB ingest before `write`.
  bool ingest = false;
  std::uint64_t first_index = 0;
  std::string entry_values;
  std::vector<std::size_t> entry_ends;
  // That file, built and synced on a thread of its own while the committer writes the batch
  // before (BuildTable): at most two such threads run, one for the batch the committer holds and
  // one for the batch handed to it. Declared last: destroyed first, it waits for the thread to be
  // done with the entries above.
  std::string table_path;
  std::future<rocksdb::Status> table;
};

}  // namespace

class EventStore::Impl {
 public:
  Impl(RocksHandles rocks, std::string origin, crypto::VerifierKey log_verifier,
       crypto::SecretKey log_key, StoreOptions options)
      : rocks_(std::move(rocks)),
        origin_(std::move(origin)),
        log_verifier_(std::move(log_verifier)),
        log_key_(std::move(log_key)),
        options_(std::move(options)),
        projection_rows_(rocks_.db.get(), rocks_.projections),
        actors_(log_verifier_),
        tiles_(rocks_.tree) {}

  ~Impl() { Close().IgnoreError(); }

  Status Recover(bool allow_empty);
  // Deletes entries stored at `size` and after: the entries of a batch ingested before a crash
  // stopped its write. Part of Recover.
  Status DropEntriesFrom(std::uint64_t size);
  // Writes the tree head a version 2 store lacks and marks the store version 3, in one synced
  // batch. After Recover.
  Status UpgradeFrom2();
  void Start();
  void Submit(std::unique_ptr<Work> work);
  Status Close();

  // Reads.
  const std::string& origin() const { return origin_; }
  const crypto::VerifierKey& log_key() const { return log_verifier_; }
  std::uint64_t size() const { return durable_size_.load(std::memory_order_acquire); }
  std::string checkpoint() const {
    std::lock_guard<std::mutex> lock(published_mutex_);
    return checkpoint_;
  }
  bool WaitForCheckpoint(std::uint64_t tree_size, std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(published_mutex_);
    return checkpoint_signed_.wait_for(lock, timeout, [&] { return checkpoint_size_ >= tree_size; });
  }
  Result<std::string> ReadEntry(std::uint64_t index) const;
  Result<std::uint64_t> FindEventId(const std::string& event_id) const;
  std::vector<v1::ActorRecord> Actors() const {
    std::lock_guard<std::mutex> lock(published_mutex_);
    return published_actors_;
  }
  std::optional<v1::ActorRecord> FindActor(const crypto::PublicKey& key) const {
    const std::string_view bytes = crypto::AsBytes(key);
    std::lock_guard<std::mutex> lock(published_mutex_);
    for (const v1::ActorRecord& record : published_actors_) {
      if (record.actor().public_key() == bytes) return record;
    }
    return std::nullopt;
  }
  std::optional<crypto::Hash> TreeNode(std::uint8_t level, std::uint64_t index) const;
  std::optional<std::string> ReadTile(std::uint8_t tile_level, std::uint64_t tile_index) const;
  internal::TileNodeCache& tile_nodes() const { return tile_nodes_; }
  // Calls `each` with entries first .. first + count - 1 in order, through one iterator.
  Status ReadEntries(std::uint64_t first, std::uint64_t count,
                     const std::function<void(std::string_view)>& each) const;
  std::size_t queue_depth() const { return queued_.load(std::memory_order_relaxed); }
  StoreStats stats() const {
    std::lock_guard<std::mutex> lock(published_mutex_);
    return stats_;
  }
  const RowReader& projection_rows() const { return projection_rows_; }
  bool BackgroundWorkPending() const {
    std::uint64_t value = 0;
    for (const char* property : {"rocksdb.num-running-compactions", "rocksdb.num-running-flushes"}) {
      if (rocks_.db->GetIntProperty(property, &value) && value > 0) return true;
    }
    for (rocksdb::ColumnFamilyHandle* family :
         {rocks_.meta, rocks_.entries, rocks_.tree, rocks_.event_ids, rocks_.actors, rocks_.projections}) {
      for (const char* property : {"rocksdb.compaction-pending", "rocksdb.mem-table-flush-pending"}) {
        if (rocks_.db->GetIntProperty(family, property, &value) && value > 0) return true;
      }
    }
    return false;
  }

 private:
  void CheckLoop();
  void SequenceLoop();
  bool NextTicketIsChecked() const;  // queue_mutex_ held.
  bool BatchIsDue() const;           // queue_mutex_ held.
  void CommitLoop();
  void Check(Work* work) const;
  std::shared_ptr<Batch> BuildBatch(std::vector<std::unique_ptr<Work>> group);
  Status LookUpIds(const std::vector<std::unique_ptr<Work>>& group,
                   std::unordered_map<std::string, std::uint64_t>* stored);
  void Sequence(std::unique_ptr<Work> work, const std::unordered_map<std::string, std::uint64_t>& stored,
                Batch* batch);
  Status Admit(const std::vector<CheckedEvent>& events,
               const std::unordered_map<std::string, std::uint64_t>& stored, const Batch& batch,
               std::vector<Receipt>* duplicates, bool* duplicates_pending);
  const PendingEntry* FindPending(const std::string& event_id, const Batch& batch) const;
  Status ApplyAll(const std::vector<CheckedEvent>& events, rocksdb::WriteBatch* write);
  // The actor registry, the built-in domain projections, then the caller's, in that order.
  std::vector<Projection*> Projections() {
    std::vector<Projection*> all{&actors_, &funds_};
    all.insert(all.end(), options_.projections.begin(), options_.projections.end());
    return all;
  }
  rocksdb::ColumnFamilyHandle* FamilyOf(const Projection* projection) const {
    return projection == &actors_ ? rocks_.actors : rocks_.projections;
  }
  Receipt AddEntry(const CheckedEvent& event, Batch* batch);
  void Commit(std::shared_ptr<Batch> batch);
  // Writes an ingesting batch's entries as one synced table file (on a thread of its own), then
  // has RocksDB ingest it (committer thread). Past every stored key, the file goes to the last
  // level: no WAL, memtable, flush or compaction copies those bytes again.
  rocksdb::Status BuildTable(const Batch& batch) const;
  Status IngestEntries(Batch* batch);
  // Signs a checkpoint of the durable head, stores it and publishes it. Committer thread only
  // (or Recover and Close, when it is not running).
  Status SignCheckpoint(bool sync);
  void Reply(Work* work, Status status);
  // Drops the committer's reference to a batch it is done with; a large batch's last reference
  // is dropped by the freeing thread instead (constants::batch_free_elsewhere_entries).
  void Free(std::shared_ptr<Batch> batch);
  void FreeLoop();

  RocksHandles rocks_;
  const std::string origin_;
  const crypto::VerifierKey log_verifier_;
  const crypto::SecretKey log_key_;
  const StoreOptions options_;
  const internal::FamilyRows projection_rows_;

  // Owned by the sequencer thread (and Recover, before it starts).
  ActorRegistry actors_;
  FundsProjection funds_;
  crypto::CompactTree tree_;
  internal::TileWriter tiles_;
  mutable internal::TileNodeCache tile_nodes_;  // For proofs; any thread.
  crypto::Hash previous_hash_{};
  std::uint64_t next_index_ = 0;
  bool actors_changed_ = false;

  // The batch handed to the committer and not yet taken, the batch being written (both guarded
  // by commit_mutex_), and the sequencer's own reference to the batch that was being written
  // when it looked up the current group's ids: its entries are not in that lookup, so
  // idempotency checks consult them here.
  std::mutex commit_mutex_;
  std::condition_variable commit_ready_;
  std::condition_variable commit_taken_;
  std::shared_ptr<Batch> next_;
  std::shared_ptr<Batch> committing_;
  std::shared_ptr<Batch> in_flight_;
  // The sequencer's reference once it is done with it, left for the committer to drop (guarded
  // by commit_mutex_): it was often the last one, and freeing a roster's batch (10,000 checked
  // events and their id map) took 7% of the sequencer's time, on a thread every batch waits for.
  std::shared_ptr<Batch> retired_;
  bool committer_stop_ = false;
  std::atomic<bool> failed_{false};

  // The durable tree head and the checkpoint state, owned by the committer thread.
  std::uint64_t head_size_ = 0;
  crypto::Hash head_root_{};
  std::uint64_t signed_size_ = 0;  // Size of the latest signed checkpoint.
  std::chrono::steady_clock::time_point next_checkpoint_at_{};  // Earliest the next may be signed.  // A write failed: nothing more is accepted until reopened.

  // Published after each durable batch, for readers on other threads.
  mutable std::mutex published_mutex_;
  std::string checkpoint_;
  std::uint64_t checkpoint_size_ = 0;
  mutable std::condition_variable checkpoint_signed_;  // With published_mutex_.
  std::vector<v1::ActorRecord> published_actors_;
  StoreStats stats_;  // Guarded by published_mutex_.
  std::atomic<std::uint64_t> durable_size_{0};

  // Pipeline queues.
  std::mutex queue_mutex_;
  std::condition_variable check_ready_;
  std::condition_variable sequence_ready_;
  std::deque<std::unique_ptr<Work>> check_queue_;
  // Checked work in ticket order; the sequencer takes its front only when it is the next ticket,
  // so appends are sequenced in the order they were submitted, whichever worker checked them.
  std::deque<std::unique_ptr<Work>> sequence_queue_;
  std::uint64_t next_ticket_ = 0;      // Given to the next accepted submission.
  std::uint64_t sequence_ticket_ = 0;  // The ticket the sequencer takes next.
  std::size_t checking_ = 0;  // Work items taken by check workers, not yet handed on.
  std::size_t sequence_queue_events_ = 0;  // Events in sequence_queue_.
  std::size_t fill_backlog_ = 0;  // Set by Start: see BatchIsDue.
  std::size_t idle_checkers_ = 0;  // Check workers waiting for work.
  std::size_t rosters_checking_ = 0;  // Check workers holding a roster.
  bool stopping_ = false;
  std::atomic<std::size_t> queued_{0};
  std::vector<std::thread> checkers_;
  std::thread sequencer_;
  std::thread committer_;
  // Large batches the committer is done with, for the freeing thread to drop.
  std::mutex free_mutex_;
  std::condition_variable free_ready_;
  std::vector<std::shared_ptr<Batch>> free_queue_;
  bool free_stop_ = false;
  std::thread freer_;
  std::mutex close_mutex_;
  bool closed_ = false;
};

// ---------------------------------------------------------------------------------------------
// Recovery.

Status EventStore::Impl::Recover(bool allow_empty) {
  std::string note;
  rocksdb::Status rs = rocks_.db->Get(rocksdb::ReadOptions(), rocks_.meta, std::string(format::kMetaRebuilding), &note);
  if (rs.ok()) {
    return Status(Code::kCorruption, "a projection rebuild did not finish: run ledgerctl rebuild again");
  }
  if (!rs.IsNotFound()) return FromRocks(rs, "reading metadata");
  rs = rocks_.db->Get(rocksdb::ReadOptions(), rocks_.meta,
                                      std::string(format::kMetaCheckpoint), &note);
  if (rs.IsNotFound()) {
    if (allow_empty) return Status::Ok();  // A ledger being created: genesis comes next.
    return Status(Code::kCorruption,
                  "the ledger has no genesis entry (init did not finish): remove the data directory and "
                  "run init again");
  }
  if (!rs.ok()) return FromRocks(rs, "reading the checkpoint");
  auto text = crypto::OpenNote(note, log_verifier_);
  if (!text.ok()) return Status(Code::kCorruption, "stored checkpoint: " + text.status().message());
  auto checkpoint = crypto::ParseCheckpoint(*text);
  if (!checkpoint.ok()) return Status(Code::kCorruption, "stored checkpoint: " + checkpoint.status().message());
  // The durable head: the tree head of the last batch written, which the checkpoint may trail.
  format::TreeHead head{checkpoint->size, checkpoint->root};
  std::string head_bytes;
  rs = rocks_.db->Get(rocksdb::ReadOptions(), rocks_.meta, std::string(format::kMetaTreeHead), &head_bytes);
  if (rs.ok()) {
    auto decoded = format::DecodeTreeHead(head_bytes);
    if (!decoded) return Status(Code::kCorruption, "stored tree head is not 40 bytes");
    head = *decoded;
  } else if (!rs.IsNotFound()) {
    return FromRocks(rs, "reading the tree head");
  }
  if (checkpoint->size > head.size) {
    return Status(Code::kCorruption, "stored checkpoint of size " + std::to_string(checkpoint->size) +
                                         " is larger than the stored tree of size " + std::to_string(head.size));
  }
  auto nodes = [this](std::uint8_t level, std::uint64_t index) { return TreeNode(level, index); };
  auto signed_tree = crypto::CompactTree::FromNodes(checkpoint->size, nodes);
  if (!signed_tree || !crypto::ConstantTimeEqual(signed_tree->Root(), checkpoint->root)) {
    return Status(Code::kCorruption, "stored Merkle tree does not match the stored checkpoint of size " +
                                         std::to_string(checkpoint->size));
  }
  auto tree = crypto::CompactTree::FromNodes(head.size, nodes);
  if (!tree || !crypto::ConstantTimeEqual(tree->Root(), head.root)) {
    return Status(Code::kCorruption, "stored Merkle tree does not match the stored tree head of size " +
                                         std::to_string(head.size));
  }
  tree_ = std::move(*tree);
  Status status = DropEntriesFrom(head.size);
  if (!status.ok()) return status;
  status = tiles_.Load(head.size, [this](std::uint8_t level, std::uint64_t index) {
    return ReadTile(level, index);
  });
  if (!status.ok()) return status;
  next_index_ = head.size;
  if (next_index_ > 0) {
    auto last = ReadEntry(next_index_ - 1);
    if (!last.ok()) return Status(Code::kCorruption, "last entry: " + last.status().message());
    previous_hash_ = crypto::LeafHash(*last);
    if (!crypto::ConstantTimeEqual(previous_hash_, *TreeNode(0, next_index_ - 1))) {
      return Status(Code::kCorruption, "last entry does not match its leaf hash");
    }
  }
  for (Projection* projection : Projections()) {
    status = projection->Load(internal::FamilyRows(rocks_.db.get(), FamilyOf(projection)));
    if (!status.ok()) {
      return Status(status.code(), std::string(projection->name()) + " rows: " + status.message());
    }
  }
  checkpoint_ = note;
  checkpoint_size_ = checkpoint->size;
  signed_size_ = checkpoint->size;
  head_size_ = head.size;
  head_root_ = head.root;
  published_actors_ = actors_.List();
  durable_size_.store(next_index_, std::memory_order_release);
  // A crash came after the last batch and before its checkpoint was due: sign it now.
  if (signed_size_ < head_size_) return SignCheckpoint(/*sync=*/true);
  return Status::Ok();
}

Status EventStore::Impl::DropEntriesFrom(std::uint64_t size) {
  const std::string from = format::EncodeIndex(size);
  {
    std::unique_ptr<rocksdb::Iterator> it(rocks_.db->NewIterator(rocksdb::ReadOptions(), rocks_.entries));
    it->Seek(from);
    if (!it->Valid()) return FromRocks(it->status(), "looking for entries past the tree head");
  }
  const std::string past_every_index(format::EncodeIndex(0).size() + 1, '\xff');
  rocksdb::WriteOptions synced;
  synced.sync = true;
  Status status = FromRocks(rocks_.db->DeleteRange(synced, rocks_.entries, from, past_every_index),
                            "deleting entries past the tree head");
  if (!status.ok()) return status;
  // Compacted away at once, so no memtable or file keeps the deletion in the way of the next
  // ingested batch (IngestEntries).
  const rocksdb::Slice begin(from);
  return FromRocks(rocks_.db->CompactRange(rocksdb::CompactRangeOptions(), rocks_.entries, &begin, nullptr),
                   "compacting entries past the tree head");
}

Status EventStore::Impl::UpgradeFrom2() {
  rocksdb::WriteBatch write;
  write.Put(rocks_.meta, std::string(format::kMetaTreeHead), format::EncodeTreeHead(head_size_, head_root_))
      .PermitUncheckedError();
  write.Put(rocks_.meta, std::string(format::kMetaFormatVersion), std::to_string(format::kFormatVersion))
      .PermitUncheckedError();
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  return FromRocks(rocks_.db->Write(write_options, &write), "upgrading the store to format version 3");
}

Status EventStore::Impl::SignCheckpoint(bool sync) {
  const auto start = std::chrono::steady_clock::now();
  crypto::Checkpoint checkpoint{origin_, head_size_, head_root_, {}};
  std::string note = crypto::SignNote(crypto::FormatCheckpoint(checkpoint), log_verifier_.name, log_key_);
  rocksdb::WriteOptions write_options;
  // Not synced while the log runs: the entries it covers are, and a checkpoint lost in a crash
  // is signed again, byte for byte the same (Ed25519 is deterministic), when the store reopens.
  write_options.sync = sync;
  rocksdb::WriteBatch write;
  write.Put(rocks_.meta, std::string(format::kMetaCheckpoint), note).PermitUncheckedError();
  Status status = FromRocks(rocks_.db->Write(write_options, &write), "storing a checkpoint");
  if (!status.ok()) {
    failed_.store(true);
    return status;
  }
  signed_size_ = head_size_;
  const auto end = std::chrono::steady_clock::now();
  next_checkpoint_at_ = end + options_.checkpoint_interval;
  {
    std::lock_guard<std::mutex> lock(published_mutex_);
    checkpoint_ = std::move(note);
    checkpoint_size_ = signed_size_;
    stats_.checkpoints += 1;
    stats_.checkpoint_seconds += std::chrono::duration<double>(end - start).count();
  }
  checkpoint_signed_.notify_all();
  return Status::Ok();
}

void EventStore::Impl::Start() {
  std::size_t threads = options_.check_threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = std::min(threads, constants::check_threads_max);
  fill_backlog_ = threads * constants::check_chunk_max * constants::batch_fill_backlog_chunks;
  for (std::size_t i = 0; i < threads; ++i) {
    checkers_.emplace_back([this] {
      pthread_setname_np(pthread_self(), "ledger-check");
      CheckLoop();
    });
  }
  sequencer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "ledger-sequence");
    SequenceLoop();
  });
  committer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "ledger-commit");
    CommitLoop();
  });
  freer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "ledger-free");
    FreeLoop();
  });
}

// ---------------------------------------------------------------------------------------------
// Submission and the check stage.

void EventStore::Impl::Submit(std::unique_ptr<Work> work) {
  const std::size_t weight = work->weight();
  Status refusal;
  bool wake_checker = false;
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    if (stopping_) {
      refusal = Status(Code::kUnavailable, "the ledger is shutting down");
    } else if (queued_.load(std::memory_order_relaxed) + weight > constants::append_queue_max) {
      refusal = Status(Code::kBusy, "append queue is full; retry later");
    } else {
      queued_.fetch_add(weight, std::memory_order_relaxed);
      work->queued = true;
      work->ticket = next_ticket_++;
      check_queue_.push_back(std::move(work));
      // A worker checking appends takes this from the queue when its chunk is done (at most
      // check_chunk_max events of about 60 us each), so a sleeping one is woken only when none
      // is checking, a chunk's worth is waiting, or a roster (milliseconds) holds a worker. At
      // half load one wake-up per append cost a sleep and a wake-up on each side, and the VM's
      // run-queue delays behind them doubled the appends over 10 ms (docs/bench.md).
      wake_checker = idle_checkers_ == checkers_.size() || check_queue_.size() >= constants::check_chunk_max ||
                     rosters_checking_ > 0;
    }
  }
  // Outside the lock: the callback may call Submit again.
  if (!refusal.ok()) return Reply(work.get(), refusal);
  if (wake_checker) check_ready_.notify_one();
}

void EventStore::Impl::Check(Work* work) const {
  auto checked = work->is_roster ? CheckSignedRoster(work->bytes, origin_) : CheckSignedEvent(work->bytes, origin_);
  if (checked.ok()) {
    work->arena = std::move(checked->arena);
    work->storage = std::move(checked->storage);
    work->events = std::move(checked->events);
  } else {
    work->check_status = checked.status();
  }
  work->bytes = std::string();  // Release the submitted bytes: the checked form replaces them.
}

void EventStore::Impl::CheckLoop() {
  std::vector<std::unique_ptr<Work>> chunk;
  bool holds_roster = false;
  for (;;) {
    bool due = false;
    {
      std::unique_lock<std::mutex> lock(queue_mutex_);
      ++idle_checkers_;
      check_ready_.wait(lock, [this] { return stopping_ || !check_queue_.empty(); });
      --idle_checkers_;
      if (check_queue_.empty()) return;  // Stopping and drained.
      while (!check_queue_.empty() && chunk.size() < constants::check_chunk_max) {
        chunk.push_back(std::move(check_queue_.front()));
        check_queue_.pop_front();
        if (chunk.back()->is_roster) break;  // A roster is a chunk of its own.
      }
      checking_ += chunk.size();
      holds_roster = chunk.back()->is_roster;
      if (holds_roster) ++rosters_checking_;
    }
    for (auto& work : chunk) Check(work.get());
    {
      std::lock_guard<std::mutex> lock(queue_mutex_);
      // A chunk is consecutive tickets; it goes before every chunk of later tickets that another
      // worker finished first.
      auto at = sequence_queue_.end();
      while (at != sequence_queue_.begin() && (*std::prev(at))->ticket > chunk.front()->ticket) --at;
      for (const auto& work : chunk) sequence_queue_events_ += work->events.size();
      sequence_queue_.insert(at, std::make_move_iterator(chunk.begin()), std::make_move_iterator(chunk.end()));
      checking_ -= chunk.size();
      if (holds_roster) --rosters_checking_;
      due = BatchIsDue();
    }
    chunk.clear();
    if (due) sequence_ready_.notify_one();  // Else a later chunk makes the batch due.
  }
}

// ---------------------------------------------------------------------------------------------
// The sequencer: builds one batch while the committer writes the previous one.

bool EventStore::Impl::NextTicketIsChecked() const {
  return !sequence_queue_.empty() && sequence_queue_.front()->ticket == sequence_ticket_;
}

// Whether the sequencer should build a batch now: the next ticket is checked, and either the
// check stage is keeping up (fewer than fill_backlog_ appends queued or being checked) or a full
// batch's worth (batch_fill_events) is ready. A backlog means the workers are saturated; every
// batch then costs them CPU (a synced write, and wake-ups of the sequencer and committer that
// preempt a worker), so the batch waits to be filled, which costs no throughput and, with the
// workers behind anyway, little latency (constants.h).
bool EventStore::Impl::BatchIsDue() const {
  if (!NextTicketIsChecked()) return false;
  return check_queue_.size() + checking_ < fill_backlog_ || sequence_queue_events_ >= constants::batch_fill_events;
}

void EventStore::Impl::SequenceLoop() {
  for (;;) {
    std::vector<std::unique_ptr<Work>> group;
    {
      std::unique_lock<std::mutex> lock(queue_mutex_);
      sequence_ready_.wait(lock, [&] {
        return BatchIsDue() || (stopping_ && check_queue_.empty() && checking_ == 0);
      });
      if (sequence_queue_.empty()) break;  // Stopping and everything accepted is sequenced.
      std::size_t events = 0;
      while (NextTicketIsChecked()) {
        std::size_t next = sequence_queue_.front()->events.size();
        if (!group.empty() && events + next > constants::commit_batch_entries_max) break;
        events += next;
        group.push_back(std::move(sequence_queue_.front()));
        sequence_queue_.pop_front();
        sequence_queue_events_ -= next;
        ++sequence_ticket_;
      }
    }
    std::shared_ptr<Batch> batch = BuildBatch(std::move(group));
    if (batch && !batch->entry_ends.empty()) {
      batch->table_path = IngestPath(options_.data_dir) + "/" + std::to_string(batch->first_index) + ".sst";
      batch->table = std::async(std::launch::async, [this, table = batch.get()] {
        pthread_setname_np(pthread_self(), "ledger-table");
        return BuildTable(*table);
      });
    }
    if (batch) Commit(std::move(batch));
  }
  std::lock_guard<std::mutex> lock(commit_mutex_);
  committer_stop_ = true;
  commit_ready_.notify_one();
}

// Sequences a group of checked appends into one batch; null when none was accepted.
std::shared_ptr<Batch> EventStore::Impl::BuildBatch(std::vector<std::unique_ptr<Work>> group) {
  // The write batch's buffer is reserved once: grown by doubling, a roster's 10 MB were copied
  // about twice over on the sequencer's thread.
  std::size_t envelope_bytes = 0;
  std::size_t other_bytes = 0;
  std::size_t events = 0;
  for (const auto& work : group) {
    events += work->events.size();
    for (const CheckedEvent& event : work->events) {
      envelope_bytes += event.envelope_bytes.size();
      other_bytes += event.event->event_id().size() + constants::entry_write_overhead_bytes;
    }
  }
  const bool ingest = options_.ingest_entries_min > 0 && events >= options_.ingest_entries_min;
  auto batch = std::make_shared<Batch>(other_bytes + (ingest ? 0 : envelope_bytes));
  batch->ingest = ingest;
  batch->first_index = next_index_;
  if (ingest) {
    batch->entry_values.reserve(envelope_bytes + events * constants::entry_head_bytes_max);
    batch->entry_ends.reserve(events);
  }
  batch->pending.reserve(events);
  batch->pending_by_id.Reset(events);
  {
    // Taken before the lookup: every batch not yet durable when the lookup reads is this one.
    std::lock_guard<std::mutex> lock(commit_mutex_);
    in_flight_ = committing_;
  }
  std::unordered_map<std::string, std::uint64_t> stored;
  Status lookup = LookUpIds(group, &stored);
  for (auto& work : group) {
    if (!lookup.ok()) {
      Reply(work.get(), lookup);
      continue;
    }
    Sequence(std::move(work), stored, batch.get());
  }
  {
    std::lock_guard<std::mutex> lock(commit_mutex_);
    retired_ = std::move(in_flight_);
  }
  if (batch->accepted.empty()) return nullptr;
  for (Projection* projection : Projections()) {
    internal::BatchRows rows(&batch->write, FamilyOf(projection));
    Status status = projection->EndBatch(&rows);
    if (!status.ok()) {  // A projection bug: write nothing more, and say so to every waiter.
      failed_.store(true);
      status = Status(Code::kCorruption, std::string(projection->name()) +
                                             " invariant broken; nothing was written: " + status.message());
      for (auto& work : batch->accepted) Reply(work.get(), status);
      return nullptr;
    }
  }
  tiles_.Flush(&batch->write);
  batch->size_after = next_index_;
  batch->root_after = tree_.Root();
  batch->write.Put(rocks_.meta, std::string(format::kMetaTreeHead),
                   format::EncodeTreeHead(batch->size_after, batch->root_after))
      .PermitUncheckedError();
  if (actors_changed_) batch->actors_after = actors_.List();
  actors_changed_ = false;
  return batch;
}

// Finds which event ids of the group are already stored, in one MultiGet (most are not).
Status EventStore::Impl::LookUpIds(const std::vector<std::unique_ptr<Work>>& group,
                                   std::unordered_map<std::string, std::uint64_t>* stored) {
  std::vector<rocksdb::Slice> keys;
  for (const auto& work : group) {
    for (const CheckedEvent& event : work->events) keys.emplace_back(event.event->event_id());
  }
  if (keys.empty()) return Status::Ok();
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  // In chunks: RocksDB sorts a MultiGet's keys in place for up to 32 and in a vector it grows
  // as it goes beyond that, which took 8% of the sequencer's time on a roster of 10,000.
  for (std::size_t first = 0; first < keys.size(); first += constants::event_id_lookup_chunk) {
    const std::size_t count = std::min(constants::event_id_lookup_chunk, keys.size() - first);
    rocks_.db->MultiGet(rocksdb::ReadOptions(), rocks_.event_ids, count, keys.data() + first, values.data() + first,
                        statuses.data() + first);
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok()) return FromRocks(statuses[i], "looking up event ids");
    auto index = format::DecodeIndex(values[i].ToStringView());
    if (!index) return Status(Code::kCorruption, "event id index value is not 8 bytes");
    stored->emplace(keys[i].ToString(), *index);
  }
  return Status::Ok();
}

void EventStore::Impl::Sequence(std::unique_ptr<Work> work,
                                const std::unordered_map<std::string, std::uint64_t>& stored,
                                Batch* batch) {
  if (!work->check_status.ok()) return Reply(work.get(), work->check_status);
  if (failed_.load()) {
    return Reply(work.get(), Status(Code::kUnavailable, "an earlier write failed; reopen the ledger"));
  }
  std::vector<Receipt> duplicates;
  bool pending = false;
  Status status = Admit(work->events, stored, *batch, &duplicates, &pending);
  if (!status.ok()) return Reply(work.get(), status);
  if (!duplicates.empty()) {  // A resubmission: the original receipts, nothing written.
    work->receipts = std::move(duplicates);
    // The original may not be durable yet: answer after this batch, which follows it.
    if (pending) return batch->accepted.push_back(std::move(work));
    return Reply(work.get(), Status::Ok());
  }
  status = ApplyAll(work->events, &batch->write);
  if (!status.ok()) return Reply(work.get(), status);
  work->receipts.reserve(work->events.size());
  for (const CheckedEvent& event : work->events) work->receipts.push_back(AddEntry(event, batch));
  batch->accepted.push_back(std::move(work));
}

const PendingEntry* EventStore::Impl::FindPending(const std::string& event_id, const Batch& batch) const {
  for (const Batch* candidate : {&batch, static_cast<const Batch*>(in_flight_.get())}) {
    if (candidate == nullptr) continue;
    if (const std::uint32_t* at = candidate->pending_by_id.Find(event_id)) return &candidate->pending[*at];
  }
  return nullptr;
}

// Idempotency: an append whose every event id is already in the log with the same bytes gets the
// original receipts in `duplicates` (`pending` when one of them is not durable yet); a reused id
// with other bytes is rejected.
Status EventStore::Impl::Admit(const std::vector<CheckedEvent>& events,
                               const std::unordered_map<std::string, std::uint64_t>& stored,
                               const Batch& batch, std::vector<Receipt>* duplicates, bool* pending) {
  std::size_t fresh = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const std::string& id = events[i].event->event_id();
    // Ids repeated inside one roster were refused by CheckSignedRoster.
    std::string stored_event;
    Receipt receipt{0, {}, true};
    if (const PendingEntry* pending_entry = FindPending(id, batch)) {
      receipt.index = pending_entry->index;
      receipt.entry_hash = pending_entry->entry_hash;
      stored_event = pending_entry->event_bytes;
      *pending = true;
    } else if (auto it = stored.find(id); it != stored.end()) {
      auto bytes = ReadEntry(it->second);
      if (!bytes.ok()) return bytes.status();
      v1::LogEntry entry;
      if (!entry.ParseFromString(*bytes)) {
        return Status(Code::kCorruption, "entry " + std::to_string(it->second) + " does not decode");
      }
      receipt.index = it->second;
      receipt.entry_hash = crypto::LeafHash(*bytes);
      stored_event = entry.signed_event().event();
    } else {
      ++fresh;
      continue;
    }
    if (stored_event != events[i].event_bytes) {
      const std::string where = events.size() > 1 ? "roster event " + std::to_string(i) + ": " : "";
      return Status(Code::kDuplicateId, where + "event id '" + id + "' was used at index " +
                                            std::to_string(receipt.index) + " for different content");
    }
    duplicates->push_back(receipt);
  }
  if (fresh != 0 && !duplicates->empty()) {
    duplicates->clear();
    return Status(Code::kDuplicateId, "roster mixes events already in the log with new ones");
  }
  return Status::Ok();
}

// Authorizes and applies every event of one unit to the actor registry and the projections, all
// or nothing.
Status EventStore::Impl::ApplyAll(const std::vector<CheckedEvent>& events, rocksdb::WriteBatch* write) {
  const std::vector<Projection*> projections = Projections();
  std::vector<internal::BatchRows> rows;
  rows.reserve(projections.size());
  for (Projection* projection : projections) rows.emplace_back(write, FamilyOf(projection));
  write->SetSavePoint();
  for (Projection* projection : projections) projection->SetSavepoint();
  Status status;
  bool actor_event = false;
  for (std::size_t i = 0; i < events.size() && status.ok(); ++i) {
    const std::uint64_t index = next_index_ + i;
    auto signer = actors_.Authorize(events[i], index);
    if (!signer.ok()) status = signer.status();
    for (std::size_t p = 0; p < projections.size() && status.ok(); ++p) {
      status = projections[p]->Apply(events[i], index, **signer, &rows[p]);
    }
    if (!status.ok() && events.size() > 1) {
      status = Status(status.code(), "roster event " + std::to_string(i) + ": " + status.message());
    }
    actor_event = actor_event || events[i].event->has_register_actor() ||
                  events[i].event->has_revoke_actor() || events[i].event->has_genesis();
  }
  if (!status.ok()) {
    for (Projection* projection : projections) projection->RollbackToSavepoint();
    write->RollbackToSavePoint().PermitUncheckedError();
    return status;
  }
  for (Projection* projection : projections) projection->ReleaseSavepoint();
  write->PopSavePoint().PermitUncheckedError();
  actors_changed_ = actors_changed_ || actor_event;
  return Status::Ok();
}

Receipt EventStore::Impl::AddEntry(const CheckedEvent& event, Batch* batch) {
  assert(!event.envelope_bytes.empty());  // The append-path checks serialized it.
  const std::uint64_t index = next_index_++;
  // The entry is its head and the envelope the check stage serialized: hashed and written as
  // two parts, so the envelope is copied once, into the write batch.
  const std::string head = EncodeLogEntryHead(index, previous_hash_, NowMs(), event.envelope_bytes.size());
  // The event and envelope limits of constants.h keep every entry within a tlog-tiles entry
  // bundle's 2-byte length (static_assert there).
  assert(head.size() + event.envelope_bytes.size() <= constants::entry_bytes_max);
  const crypto::Hash entry_hash = crypto::LeafHash(head, event.envelope_bytes);
  const std::string key = format::EncodeIndex(index);
  if (batch->ingest) {
    batch->entry_values.append(head).append(event.envelope_bytes);
    batch->entry_ends.push_back(batch->entry_values.size());
  } else {
    const rocksdb::Slice key_part(key);
    const rocksdb::Slice value_parts[2] = {head, event.envelope_bytes};
    batch->write.Put(rocks_.entries, rocksdb::SliceParts(&key_part, 1), rocksdb::SliceParts(value_parts, 2))
        .PermitUncheckedError();
  }
  batch->write.Put(rocks_.event_ids, event.event->event_id(), key).PermitUncheckedError();
  tree_.Append(entry_hash, [&](const crypto::CompactTree::Node& node) { tiles_.Add(node, &batch->write); });
  assert(tree_.size() == next_index_);  // The tree has one leaf per entry.
  previous_hash_ = entry_hash;
  // Admit looked every id up first: one new to the log is new to the batch.
  [[maybe_unused]] const bool inserted =
      batch->pending_by_id.Insert(event.event->event_id(), static_cast<std::uint32_t>(batch->pending.size()));
  assert(inserted);
  batch->pending.push_back(PendingEntry{index, event.event_bytes, entry_hash});
  return Receipt{index, entry_hash, false};
}

// ---------------------------------------------------------------------------------------------
// The committer.

// Hands the batch to the committer and returns once the committer has taken it, that is once
// the batch before it is durable and answered: while the sequencer waits, checked appends gather
// for the next batch. The committer takes a waiting batch as soon as it is done with one, without
// sleeping: a hand-off that waited for the sequencer to wake up and then for the committer to
// wake up put two run-queue delays between every two writes (0.08 ms at p50, 3.5-4.3 ms at p99
// at half load in this VM).
void EventStore::Impl::Commit(std::shared_ptr<Batch> batch) {
  std::unique_lock<std::mutex> lock(commit_mutex_);
  assert(next_ == nullptr);  // The sequencer, the only producer, waited for the last one.
  next_ = std::move(batch);
  commit_ready_.notify_one();
  commit_taken_.wait(lock, [this] { return next_ == nullptr; });
}

void EventStore::Impl::CommitLoop() {
  for (;;) {
    std::shared_ptr<Batch> batch;
    {
      std::shared_ptr<Batch> done;
      std::shared_ptr<Batch> retired;
      {
        std::lock_guard<std::mutex> lock(commit_mutex_);
        done = std::move(committing_);  // The last batch is durable and answered.
        retired = std::move(retired_);
      }
      Free(std::move(done));
      Free(std::move(retired));
    }
    {
      std::unique_lock<std::mutex> lock(commit_mutex_);
      auto ready = [this] { return next_ != nullptr || committer_stop_; };
      while (!ready()) {
        if (signed_size_ == head_size_ || failed_.load()) {
          commit_ready_.wait(lock);
          continue;
        }
        // The durable head is not signed yet: sign it once the interval has passed, unless a
        // batch comes first (it is then signed with that batch, or waits again).
        if (commit_ready_.wait_until(lock, next_checkpoint_at_, ready)) break;
        lock.unlock();
        SignCheckpoint(/*sync=*/false).IgnoreError();  // A failure sets failed_.
        lock.lock();
      }
      if (next_ == nullptr) return;
      committing_ = std::move(next_);  // Leaves next_ empty: the sequencer may hand over another.
      batch = committing_;
    }
    commit_taken_.notify_one();
    Status status;
    double write_micros = 0;
    if (failed_.load()) {
      status = Status(Code::kUnavailable, "an earlier write failed; reopen the ledger");
    } else {
      rocksdb::WriteOptions write_options;
      write_options.sync = true;  // Acknowledged means durable.
      const auto write_start = std::chrono::steady_clock::now();
      // An ingesting batch's entries are durable first: a crash before the write below leaves
      // them past the durable head, where Recover deletes them.
      if (!batch->entry_ends.empty()) status = IngestEntries(batch.get());
      if (status.ok()) status = FromRocks(rocks_.db->Write(write_options, &batch->write), "committing a batch");
      write_micros = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - write_start).count();
      // In-memory state is ahead of the disk after a failed write: refuse everything after it.
      if (!status.ok()) failed_.store(true);
    }
    if (status.ok()) {
      head_size_ = batch->size_after;
      head_root_ = batch->root_after;
      std::lock_guard<std::mutex> lock(published_mutex_);
      if (batch->actors_after) published_actors_ = std::move(*batch->actors_after);
      const std::uint64_t entries = batch->size_after - durable_size_.load(std::memory_order_relaxed);
      durable_size_.store(batch->size_after, std::memory_order_release);
      stats_.batches += 1;
      stats_.entries += entries;
      std::size_t bucket = 0;
      while (bucket + 1 < stats_.batch_sizes.size() && (std::uint64_t{1} << bucket) < entries) ++bucket;
      stats_.batch_sizes[bucket] += 1;
      stats_.commit_writes[CommitWriteBucket(write_micros)] += 1;
      stats_.commit_write_seconds += write_micros / 1e6;
    }
    // Signed after the size is published (a checkpoint never covers more than size()) and before
    // the replies, so an append to an idle log is in the checkpoint its caller reads next.
    if (status.ok() && std::chrono::steady_clock::now() >= next_checkpoint_at_) {
      SignCheckpoint(/*sync=*/false).IgnoreError();  // A failure sets failed_.
    }
    for (auto& work : batch->accepted) Reply(work.get(), status);
  }
}

rocksdb::Status EventStore::Impl::BuildTable(const Batch& batch) const {
  rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), rocks_.db->GetOptions(rocks_.entries), rocks_.entries);
  rocksdb::Status rs = writer.Open(batch.table_path);
  std::size_t begin = 0;
  for (std::size_t i = 0; rs.ok() && i < batch.entry_ends.size(); ++i) {
    const std::size_t end = batch.entry_ends[i];
    rs = writer.Put(format::EncodeIndex(batch.first_index + i),
                    rocksdb::Slice(batch.entry_values.data() + begin, end - begin));
    begin = end;
  }
  if (rs.ok()) rs = writer.Finish();  // Synced.
  return rs;
}

Status EventStore::Impl::IngestEntries(Batch* batch) {
  rocksdb::Status rs = batch->table.get();
  if (rs.ok()) {
    rocksdb::IngestExternalFileOptions ingest;
    ingest.move_files = true;             // A hard link: the bytes are written once.
    ingest.allow_blocking_flush = false;  // No memtable holds a key this far on (Recover).
    ingest.write_global_seqno = false;    // The file stays as written; the manifest keeps its number.
    rs = rocks_.db->IngestExternalFile(rocks_.entries, {batch->table_path}, ingest);
  }
  if (!rs.ok()) {
    std::error_code ignored;  // The next open empties the folder.
    std::filesystem::remove(batch->table_path, ignored);
  }
  return FromRocks(rs, "ingesting entries " + std::to_string(batch->first_index) + " to " +
                           std::to_string(batch->first_index + batch->entry_ends.size() - 1));
}

void EventStore::Impl::Free(std::shared_ptr<Batch> batch) {
  if (batch == nullptr || batch->pending.size() < constants::batch_free_elsewhere_entries) return;
  {
    std::lock_guard<std::mutex> lock(free_mutex_);
    free_queue_.push_back(std::move(batch));
  }
  free_ready_.notify_one();
}

void EventStore::Impl::FreeLoop() {
  std::unique_lock<std::mutex> lock(free_mutex_);
  for (;;) {
    free_ready_.wait(lock, [this] { return !free_queue_.empty() || free_stop_; });
    if (free_queue_.empty()) return;  // Stopping, and everything handed over is freed.
    std::vector<std::shared_ptr<Batch>> batches = std::move(free_queue_);
    free_queue_.clear();
    lock.unlock();
    batches.clear();
    lock.lock();
  }
}

void EventStore::Impl::Reply(Work* work, Status status) {
  if (work->queued) queued_.fetch_sub(work->weight(), std::memory_order_relaxed);
  work->queued = false;
  // The callback is destroyed here, once it has run, not with its batch: what it holds is
  // released as soon as its caller has the answer.
  if (work->is_roster) {
    EventStore::RosterCallback done = std::move(work->done_roster);
    if (status.ok()) done(std::move(work->receipts));
    else done(std::move(status));
  } else {
    EventStore::AppendCallback done = std::move(work->done_event);
    if (status.ok()) done(work->receipts.front());
    else done(std::move(status));
  }
}

// ---------------------------------------------------------------------------------------------
// Reads.

Result<std::string> EventStore::Impl::ReadEntry(std::uint64_t index) const {
  std::string value;
  rocksdb::Status rs = rocks_.db->Get(rocksdb::ReadOptions(), rocks_.entries, format::EncodeIndex(index), &value);
  if (rs.IsNotFound()) return Status(Code::kNotFound, "no entry at index " + std::to_string(index));
  if (!rs.ok()) return FromRocks(rs, "reading entry " + std::to_string(index));
  return value;
}

Result<std::uint64_t> EventStore::Impl::FindEventId(const std::string& event_id) const {
  std::string value;
  rocksdb::Status rs = rocks_.db->Get(rocksdb::ReadOptions(), rocks_.event_ids, event_id, &value);
  if (rs.IsNotFound()) return Status(Code::kNotFound, "event id '" + event_id + "' is not in the log");
  if (!rs.ok()) return FromRocks(rs, "reading event id");
  auto index = format::DecodeIndex(value);
  if (!index) return Status(Code::kCorruption, "event id index value is not 8 bytes");
  return *index;
}

std::optional<std::string> EventStore::Impl::ReadTile(std::uint8_t tile_level, std::uint64_t tile_index) const {
  std::string value;
  rocksdb::Status rs =
      rocks_.db->Get(rocksdb::ReadOptions(), rocks_.tree, format::EncodeTileKey(tile_level, tile_index), &value);
  if (!rs.ok()) return std::nullopt;
  return value;
}

std::optional<crypto::Hash> EventStore::Impl::TreeNode(std::uint8_t level, std::uint64_t index) const {
  return internal::NodeFromTiles(level, index, [this](std::uint8_t tile_level, std::uint64_t tile_index) {
    return ReadTile(tile_level, tile_index);
  });
}

Status EventStore::Impl::ReadEntries(std::uint64_t first, std::uint64_t count,
                                     const std::function<void(std::string_view)>& each) const {
  std::unique_ptr<rocksdb::Iterator> it(rocks_.db->NewIterator(rocksdb::ReadOptions(), rocks_.entries));
  it->Seek(format::EncodeIndex(first));
  for (std::uint64_t i = 0; i < count; ++i, it->Next()) {
    if (!it->Valid() || it->key() != rocksdb::Slice(format::EncodeIndex(first + i))) {
      if (!it->status().ok()) return FromRocks(it->status(), "reading entries");
      return Status(Code::kCorruption, "entry " + std::to_string(first + i) + " is missing");
    }
    each(std::string_view(it->value().data(), it->value().size()));
  }
  return FromRocks(it->status(), "reading entries");
}

Status EventStore::Impl::Close() {
  std::lock_guard<std::mutex> close_lock(close_mutex_);
  if (closed_) return Status::Ok();
  closed_ = true;
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    stopping_ = true;
  }
  check_ready_.notify_all();
  sequence_ready_.notify_all();
  for (std::thread& thread : checkers_) thread.join();
  sequence_ready_.notify_all();
  if (sequencer_.joinable()) sequencer_.join();  // Hands the committer its last batch, then stops it.
  if (committer_.joinable()) committer_.join();
  {
    std::lock_guard<std::mutex> lock(free_mutex_);
    free_stop_ = true;
  }
  free_ready_.notify_one();
  if (freer_.joinable()) freer_.join();
  // The head the committer had not signed yet (the interval had not passed).
  if (rocks_.db && signed_size_ < head_size_ && !failed_.load()) {
    Status status = SignCheckpoint(/*sync=*/true);
    if (!status.ok()) {
      rocks_.Close().IgnoreError();  // The entries are durable: the next open signs them.
      return status;
    }
  }
  // Flush the memtables so the next open (ours or a reader's) has no WAL to replay.
  if (rocks_.db) {
    rocksdb::FlushOptions flush;
    flush.wait = true;
    Status status = FromRocks(
        rocks_.db->Flush(flush, {rocks_.meta, rocks_.entries, rocks_.tree, rocks_.event_ids, rocks_.actors}),
        "flushing at close");
    if (!status.ok()) {
      rocks_.Close().IgnoreError();  // The WAL still holds everything: nothing is lost.
      return status;
    }
  }
  return rocks_.Close();
}

// Creation and opening.

namespace {

// Writes `text` to a new file (refusing to overwrite) with `mode`, synced before returning.
Status WriteNewFile(const std::string& path, std::string_view text, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Status(Code::kIOError, "creating " + path + ": " + std::strerror(errno));
  Status status;
  if (::fchmod(fd, mode) != 0 ||
      ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
      ::fsync(fd) != 0) {
    status = Status(Code::kIOError, "writing " + path + ": " + std::strerror(errno));
  }
  ::close(fd);
  return status;
}

Result<crypto::VerifierKey> ReadLogVerifier(const std::string& data_dir) {
  auto key = crypto::ReadVerifierKeyFile(LogPublicKeyPath(data_dir));
  if (!key.ok()) return Status(key.status().code(), "log public key: " + key.status().message());
  return key;
}

}  // namespace

Status EventStore::Create(const CreateOptions& options) {
  if (!crypto::Initialize()) return Status(Code::kIOError, "libsodium failed to initialise");
  if (!crypto::IsValidKeyName(options.origin) || options.origin.size() > constants::origin_bytes_max) {
    return Status(Code::kInvalidArgument,
                  "origin '" + options.origin + "' must be a key name: no spaces, no '+', at most " +
                      std::to_string(constants::origin_bytes_max) + " bytes");
  }
  if (options.first_admin.role() != v1::ROLE_ADMIN) {
    return Status(Code::kInvalidArgument, "the first actor must have the admin role");
  }
  if (Status s = ValidateActor(options.first_admin); !s.ok()) {
    return Status(Code::kInvalidArgument, "first admin: " + s.message());
  }
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) return Status(Code::kIOError, "creating " + options.data_dir + ": " + ec.message());
  if (std::filesystem::exists(DatabasePath(options.data_dir)) ||
      std::filesystem::exists(LogKeyPath(options.data_dir))) {
    return Status(Code::kInvalidArgument, options.data_dir + " already holds a ledger");
  }

  crypto::SecretKey log_key = crypto::SecretKey::Generate();
  std::string secret_text = crypto::FormatSignerKey(options.origin, log_key) + "\n";
  Status status = WriteNewFile(LogKeyPath(options.data_dir), secret_text, 0600);
  crypto::Wipe(secret_text.data(), secret_text.size());
  if (!status.ok()) return status;
  const std::string verifier_text = crypto::FormatVerifierKey(options.origin, log_key.public_key());
  status = WriteNewFile(LogPublicKeyPath(options.data_dir), verifier_text + "\n", 0644);
  if (!status.ok()) return status;

  auto rocks = OpenRocks(DatabasePath(options.data_dir), OpenMode::kCreate);
  if (!rocks.ok()) return rocks.status();
  rocksdb::WriteBatch meta;
  meta.Put(rocks->meta, std::string(format::kMetaFormatVersion), std::to_string(format::kFormatVersion)).PermitUncheckedError();
  meta.Put(rocks->meta, std::string(format::kMetaOrigin), options.origin).PermitUncheckedError();
  meta.Put(rocks->meta, std::string(format::kMetaLogKey), verifier_text).PermitUncheckedError();
  rocksdb::WriteOptions sync;
  sync.sync = true;
  status = FromRocks(rocks->db->Write(sync, &meta), "writing ledger metadata");
  if (!status.ok()) return status;
  status = rocks->Close();
  if (!status.ok()) return status;

  v1::Event genesis;
  genesis.set_origin(options.origin);
  genesis.set_event_id("genesis");
  genesis.set_timestamp_ms(options.timestamp_ms != 0 ? options.timestamp_ms : NowMs());
  v1::Genesis* body = genesis.mutable_genesis();
  body->set_crypto_suite(std::string(crypto::kSuiteEd25519Sha256));
  body->set_log_key(verifier_text);
  *body->mutable_first_admin() = options.first_admin;
  std::string signed_genesis = SignEvent(genesis, log_key);

  StoreOptions store_options;
  store_options.data_dir = options.data_dir;
  store_options.check_threads = 1;
  auto store = Open(store_options, /*allow_empty=*/true);
  if (!store.ok()) return store.status();
  auto receipt = (*store)->Append(std::move(signed_genesis));
  if (!receipt.ok()) return Status(receipt.status().code(), "genesis: " + receipt.status().message());
  assert(receipt->index == 0);  // Genesis is entry 0 of a new ledger.
  return (*store)->Close();
}

Result<std::unique_ptr<EventStore>> EventStore::Open(StoreOptions options) {
  return Open(std::move(options), /*allow_empty=*/false);
}

Result<std::unique_ptr<EventStore>> EventStore::Open(StoreOptions options, bool allow_empty) {
  if (!crypto::Initialize()) return Status(Code::kIOError, "libsodium failed to initialise");
  auto log_key = crypto::ReadSignerKeyFile(LogKeyPath(options.data_dir));
  if (!log_key.ok()) return Status(log_key.status().code(), "log key: " + log_key.status().message());
  auto verifier = ReadLogVerifier(options.data_dir);
  if (!verifier.ok()) return verifier.status();
  if (!crypto::ConstantTimeEqual(crypto::AsBytes(verifier->key), crypto::AsBytes(log_key->key.public_key()))) {
    return Status(Code::kCorruption, "log.pub does not match log.key");
  }
  auto rocks = OpenRocks(DatabasePath(options.data_dir), OpenMode::kReadWrite);
  if (!rocks.ok()) return rocks.status();
  {
    // Table files of ingesting batches are written here; one left by a crash was never ingested.
    std::error_code ec;
    std::filesystem::remove_all(IngestPath(options.data_dir), ec);
    if (!ec) std::filesystem::create_directory(IngestPath(options.data_dir), ec);
    if (ec) return Status(Code::kIOError, "preparing " + IngestPath(options.data_dir) + ": " + ec.message());
  }
  std::string origin, version;
  Status status = FromRocks(rocks->db->Get(rocksdb::ReadOptions(), rocks->meta, std::string(format::kMetaOrigin), &origin), "reading origin");
  if (status.ok()) {
    status = FromRocks(rocks->db->Get(rocksdb::ReadOptions(), rocks->meta, std::string(format::kMetaFormatVersion), &version), "reading format version");
  }
  if (!status.ok()) return status;
  // Version 2 differs only in lacking the tree head (its checkpoint is its head): it is upgraded
  // in place once recovered.
  const bool upgrade_from_2 = version == "2";
  if (version != std::to_string(format::kFormatVersion) && !upgrade_from_2) {
    return Status(Code::kCorruption, "store format version " + version + ", this build reads " +
                                         std::to_string(format::kFormatVersion) + " (and upgrades 2)");
  }
  if (origin != verifier->name) return Status(Code::kCorruption, "log key name differs from the origin");
  auto impl = std::make_unique<Impl>(std::move(*rocks), origin, std::move(*verifier),
                                     std::move(log_key->key), std::move(options));
  status = impl->Recover(allow_empty);
  if (status.ok() && upgrade_from_2) status = impl->UpgradeFrom2();
  if (!status.ok()) return status;
  impl->Start();
  return std::unique_ptr<EventStore>(new EventStore(std::move(impl)));
}

EventStore::EventStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EventStore::~EventStore() = default;

void EventStore::Submit(std::string signed_event, AppendCallback done) {
  auto work = std::make_unique<Work>();
  work->bytes = std::move(signed_event);
  work->done_event = std::move(done);
  impl_->Submit(std::move(work));
}

void EventStore::SubmitRoster(std::string signed_roster, RosterCallback done) {
  auto work = std::make_unique<Work>();
  work->is_roster = true;
  work->bytes = std::move(signed_roster);
  work->done_roster = std::move(done);
  impl_->Submit(std::move(work));
}

Result<Receipt> EventStore::Append(std::string signed_event) {
  std::promise<Result<Receipt>> promise;
  auto future = promise.get_future();
  Submit(std::move(signed_event), [&promise](Result<Receipt> result) { promise.set_value(std::move(result)); });
  return future.get();
}

Result<std::vector<Receipt>> EventStore::AppendRoster(std::string signed_roster) {
  std::promise<Result<std::vector<Receipt>>> promise;
  auto future = promise.get_future();
  SubmitRoster(std::move(signed_roster),
               [&promise](Result<std::vector<Receipt>> result) { promise.set_value(std::move(result)); });
  return future.get();
}

Status EventStore::Close() { return impl_->Close(); }
const std::string& EventStore::origin() const { return impl_->origin(); }
const crypto::VerifierKey& EventStore::log_key() const { return impl_->log_key(); }
std::uint64_t EventStore::size() const { return impl_->size(); }
std::string EventStore::checkpoint() const { return impl_->checkpoint(); }
bool EventStore::WaitForCheckpoint(std::uint64_t tree_size, std::chrono::milliseconds timeout) const {
  return impl_->WaitForCheckpoint(tree_size, timeout);
}
Result<std::string> EventStore::ReadEntry(std::uint64_t index) const {
  if (index >= impl_->size()) return Status(Code::kNotFound, "no entry at index " + std::to_string(index));
  return impl_->ReadEntry(index);
}
Result<std::uint64_t> EventStore::FindEventId(const std::string& event_id) const {
  return impl_->FindEventId(event_id);
}
std::vector<v1::ActorRecord> EventStore::Actors() const { return impl_->Actors(); }
std::optional<crypto::Hash> EventStore::TreeNode(std::uint8_t level, std::uint64_t index) const {
  return impl_->TreeNode(level, index);
}

namespace {

// A NodeSource for one proof that keeps the tiles it read: the nodes of a proof below tree level
// 8T + 8 on one side of the path lie in one tile of level T, so a proof of a 10-million-entry tree
// reads a handful of tiles instead of one per node.
class TileMemo {
 public:
  explicit TileMemo(const EventStore::Impl& impl) : impl_(impl) {}
  std::optional<crypto::Hash> Node(std::uint8_t level, std::uint64_t index) {
    const internal::TileFetch fetch = [this](std::uint8_t tile_level, std::uint64_t tile_index) {
      for (const Read& read : reads_) {
        if (read.tile_level == tile_level && read.tile_index == tile_index) return read.bytes;
      }
      reads_.push_back(Read{tile_level, tile_index, impl_.ReadTile(tile_level, tile_index)});
      return reads_.back().bytes;
    };
    if (auto node = impl_.tile_nodes().Node(level, index, fetch)) return node;
    return internal::NodeFromTiles(level, index, fetch);
  }

 private:
  struct Read {
    std::uint8_t tile_level;
    std::uint64_t tile_index;
    std::optional<std::string> bytes;
  };
  const EventStore::Impl& impl_;
  std::vector<Read> reads_;
};

Status NoTreeYet(std::uint64_t tree_size, std::uint64_t size) {
  return Status(Code::kNotFound, "tree_size " + std::to_string(tree_size) + " is beyond the log, which has " +
                                     std::to_string(size) + " entries");
}

}  // namespace

Result<std::vector<crypto::Hash>> EventStore::InclusionProof(std::uint64_t index, std::uint64_t tree_size) const {
  const std::uint64_t size = impl_->size();
  if (tree_size > size) return NoTreeYet(tree_size, size);
  if (index >= tree_size) {
    return Status(Code::kInvalidArgument, "index " + std::to_string(index) + " is not below tree_size " +
                                              std::to_string(tree_size));
  }
  TileMemo memo(*impl_);
  auto proof = crypto::InclusionProofFromNodes(
      index, tree_size, [&memo](std::uint8_t level, std::uint64_t node) { return memo.Node(level, node); });
  if (!proof) return Status(Code::kCorruption, "a tree tile under tree_size " + std::to_string(tree_size) + " is missing");
  return std::move(*proof);
}

Result<std::vector<crypto::Hash>> EventStore::ConsistencyProof(std::uint64_t old_size, std::uint64_t tree_size) const {
  const std::uint64_t size = impl_->size();
  if (tree_size > size) return NoTreeYet(tree_size, size);
  if (old_size == 0 || old_size > tree_size) {
    return Status(Code::kInvalidArgument, "old_size must be from 1 to tree_size " + std::to_string(tree_size) +
                                              ", not " + std::to_string(old_size));
  }
  if (old_size == tree_size) return std::vector<crypto::Hash>{};
  TileMemo memo(*impl_);
  auto proof = crypto::ConsistencyProofFromNodes(
      old_size, tree_size, [&memo](std::uint8_t level, std::uint64_t node) { return memo.Node(level, node); });
  if (!proof) return Status(Code::kCorruption, "a tree tile under tree_size " + std::to_string(tree_size) + " is missing");
  return std::move(*proof);
}

Result<std::string> EventStore::ReadTile(const TileId& tile) const {
  assert(tile.width >= 1 && tile.width <= kTileWidthFull);
  const std::uint64_t size = impl_->size();
  const std::string name = FormatTilePath(tile);
  // Complete nodes on the tile's base level: leaves for level 0 and for entry bundles.
  const std::uint64_t nodes = tile.level < kTileLevelsMax ? size >> (internal::kTileHeight * tile.level) : 0;
  if (tile.index >= nodes / kTileWidthFull + 1 || tile.index * kTileWidthFull + tile.width > nodes) {
    return Status(Code::kNotFound, name + " is beyond the tree of " + std::to_string(size) + " entries");
  }
  if (tile.entries) {
    std::string bundle;
    bool too_long = false;  // AddEntry asserts the limit; a longer entry on disk was not written by us.
    Status status = impl_->ReadEntries(tile.index * kTileWidthFull, tile.width, [&](std::string_view entry) {
      too_long = too_long || entry.size() > constants::entry_bytes_max;
      bundle += static_cast<char>((entry.size() >> 8) & 0xff);
      bundle += static_cast<char>(entry.size() & 0xff);
      bundle.append(entry);
    });
    if (!status.ok()) return status;
    if (too_long) return Status(Code::kCorruption, "an entry of " + name + " is longer than an entry bundle admits");
    return bundle;
  }
  auto stored = impl_->ReadTile(tile.level, tile.index);
  const std::size_t bytes = std::size_t{tile.width} * crypto::kHashBytes;
  if (!stored || stored->size() < bytes) return Status(Code::kCorruption, "stored " + name + " is missing or short");
  stored->resize(bytes);
  return std::move(*stored);
}

std::size_t EventStore::queue_depth() const { return impl_->queue_depth(); }
const RowReader& EventStore::projection_rows() const { return impl_->projection_rows(); }
std::optional<v1::ActorRecord> EventStore::FindActor(const crypto::PublicKey& key) const {
  return impl_->FindActor(key);
}
StoreStats EventStore::stats() const { return impl_->stats(); }
bool EventStore::BackgroundWorkPending() const { return impl_->BackgroundWorkPending(); }

}  // namespace ledger
