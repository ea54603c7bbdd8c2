#include "ledger/event_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "crypto/merkle.h"
#include "ledger/actors.h"
#include "ledger/constants.h"
#include "ledger/event_check.h"
#include "ledger/event_signer.h"
#include "ledger/format.h"
#include "ledger/rocks_impl.h"

namespace ledger {

using internal::FromRocks;
using internal::OpenMode;
using internal::OpenRocks;
using internal::RocksHandles;

std::string DatabasePath(const std::string& data_dir) { return data_dir + "/db"; }
std::string LogKeyPath(const std::string& data_dir) { return data_dir + "/log.key"; }
std::string LogPublicKeyPath(const std::string& data_dir) { return data_dir + "/log.pub"; }

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
  std::string bytes;
  EventStore::AppendCallback done_event;
  EventStore::RosterCallback done_roster;
  // Filled by the check stage.
  Status check_status;
  std::vector<CheckedEvent> events;
  std::size_t weight() const { return is_roster ? constants::roster_events_max : 1; }
};

// An entry built into the current batch, not yet durable.
struct PendingEntry {
  std::string event_bytes;
  crypto::Hash entry_hash;
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
        actors_(rocks_.actors) {}

  ~Impl() { Close().IgnoreError(); }

  Status Recover();
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
  Result<std::string> ReadEntry(std::uint64_t index) const;
  Result<std::uint64_t> FindEventId(const std::string& event_id) const;
  std::vector<v1::ActorRecord> Actors() const {
    std::lock_guard<std::mutex> lock(published_mutex_);
    return published_actors_;
  }
  std::optional<crypto::Hash> TreeNode(std::uint8_t level, std::uint64_t index) const;
  std::size_t queue_depth() const { return queued_.load(std::memory_order_relaxed); }

 private:
  void CheckLoop();
  void SequenceLoop();
  void Check(Work* work) const;
  // Sequences one checked work item into `batch`; on rejection replies at once.
  void Sequence(Work* work, rocksdb::WriteBatch* batch);
  Status Admit(const std::vector<CheckedEvent>& events, std::vector<Receipt>* duplicates);
  Status ApplyAll(const std::vector<CheckedEvent>& events, rocksdb::WriteBatch* batch);
  Receipt AddEntry(const CheckedEvent& event, rocksdb::WriteBatch* batch);
  Status CommitBatch(rocksdb::WriteBatch* batch);
  void Reply(Work* work, Status status, std::vector<Receipt> receipts);
  Result<Receipt> ReceiptOf(std::uint64_t index) const;

  RocksHandles rocks_;
  const std::string origin_;
  const crypto::VerifierKey log_verifier_;
  const crypto::SecretKey log_key_;
  const StoreOptions options_;

  // Owned by the sequencer thread (and Recover, before it starts).
  ActorRegistry actors_;
  crypto::CompactTree tree_;
  crypto::Hash previous_hash_{};
  std::uint64_t next_index_ = 0;
  std::unordered_map<std::string, std::uint64_t> batch_event_ids_;
  std::unordered_map<std::uint64_t, PendingEntry> batch_entries_;
  std::vector<std::pair<Work*, std::vector<Receipt>>> batch_replies_;
  bool failed_ = false;  // A write failed: the store accepts nothing more until reopened.

  // Published after each durable batch, for readers on other threads.
  mutable std::mutex published_mutex_;
  std::string checkpoint_;
  std::vector<v1::ActorRecord> published_actors_;
  std::atomic<std::uint64_t> durable_size_{0};

  // Pipeline.
  std::mutex queue_mutex_;
  std::condition_variable check_ready_;
  std::condition_variable sequence_ready_;
  std::deque<std::unique_ptr<Work>> check_queue_;
  std::deque<std::unique_ptr<Work>> sequence_queue_;
  std::size_t checking_ = 0;  // Work items taken by check workers, not yet handed on.
  bool stopping_ = false;
  std::atomic<std::size_t> queued_{0};
  std::vector<std::thread> checkers_;
  std::thread sequencer_;
  std::mutex close_mutex_;
  bool closed_ = false;
};

// ---------------------------------------------------------------------------------------------
// Recovery.

Status EventStore::Impl::Recover() {
  std::string note;
  rocksdb::Status rs = rocks_.db->Get(rocksdb::ReadOptions(), rocks_.meta,
                                      std::string(format::kMetaCheckpoint), &note);
  if (rs.IsNotFound()) {
    // A ledger being created: nothing appended yet.
    return Status::Ok();
  }
  if (!rs.ok()) return FromRocks(rs, "reading the checkpoint");
  auto text = crypto::OpenNote(note, log_verifier_);
  if (!text.ok()) return Status(Code::kCorruption, "stored checkpoint: " + text.status().message());
  auto checkpoint = crypto::ParseCheckpoint(*text);
  if (!checkpoint.ok()) return Status(Code::kCorruption, "stored checkpoint: " + checkpoint.status().message());
  auto tree = crypto::CompactTree::FromNodes(
      checkpoint->size, [this](std::uint8_t level, std::uint64_t index) { return TreeNode(level, index); });
  if (!tree || !crypto::ConstantTimeEqual(tree->Root(), checkpoint->root)) {
    return Status(Code::kCorruption, "stored Merkle tree does not match the stored checkpoint of size " +
                                         std::to_string(checkpoint->size));
  }
  tree_ = std::move(*tree);
  next_index_ = checkpoint->size;
  if (next_index_ > 0) {
    auto last = ReadEntry(next_index_ - 1);
    if (!last.ok()) return Status(Code::kCorruption, "last entry: " + last.status().message());
    previous_hash_ = crypto::LeafHash(*last);
    if (!crypto::ConstantTimeEqual(previous_hash_, *TreeNode(0, next_index_ - 1))) {
      return Status(Code::kCorruption, "last entry does not match its leaf hash");
    }
  }
  std::unique_ptr<rocksdb::Iterator> it(rocks_.db->NewIterator(rocksdb::ReadOptions(), rocks_.actors));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    v1::ActorRecord record;
    if (!record.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return Status(Code::kCorruption, "actor record does not decode");
    }
    actors_.Load(std::move(record));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading actors");
  checkpoint_ = note;
  published_actors_ = actors_.List();
  durable_size_.store(next_index_, std::memory_order_release);
  return Status::Ok();
}

void EventStore::Impl::Start() {
  std::size_t threads = options_.check_threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = std::min(threads, constants::check_threads_max);
  for (std::size_t i = 0; i < threads; ++i) checkers_.emplace_back([this] { CheckLoop(); });
  sequencer_ = std::thread([this] { SequenceLoop(); });
}

// ---------------------------------------------------------------------------------------------
// Submission and the check stage.

void EventStore::Impl::Submit(std::unique_ptr<Work> work) {
  const std::size_t weight = work->weight();
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    if (stopping_) {
      Reply(work.get(), Status(Code::kUnavailable, "the ledger is shutting down"), {});
      return;
    }
    if (queued_.load(std::memory_order_relaxed) + weight > constants::append_queue_max) {
      Reply(work.get(), Status(Code::kBusy, "append queue is full; retry later"), {});
      return;
    }
    queued_.fetch_add(weight, std::memory_order_relaxed);
    work->queued = true;
    check_queue_.push_back(std::move(work));
  }
  check_ready_.notify_one();
  // Ownership of the work item now lies with the pipeline; it is freed after its reply.
}

void EventStore::Impl::Check(Work* work) const {
  if (work->is_roster) {
    auto events = CheckSignedRoster(work->bytes, origin_);
    if (events.ok()) {
      work->events = std::move(*events);
    } else {
      work->check_status = events.status();
    }
  } else {
    auto event = CheckSignedEvent(work->bytes, origin_);
    if (event.ok()) {
      work->events.push_back(std::move(*event));
    } else {
      work->check_status = event.status();
    }
  }
  work->bytes.clear();
  work->bytes.shrink_to_fit();
}

void EventStore::Impl::CheckLoop() {
  std::vector<std::unique_ptr<Work>> chunk;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(queue_mutex_);
      check_ready_.wait(lock, [this] { return stopping_ || !check_queue_.empty(); });
      if (check_queue_.empty()) return;  // Stopping and drained.
      while (!check_queue_.empty() && chunk.size() < constants::check_chunk_max) {
        chunk.push_back(std::move(check_queue_.front()));
        check_queue_.pop_front();
        if (chunk.back()->is_roster) break;  // A roster is a chunk of its own.
      }
      checking_ += chunk.size();
    }
    for (auto& work : chunk) Check(work.get());
    {
      std::lock_guard<std::mutex> lock(queue_mutex_);
      for (auto& work : chunk) sequence_queue_.push_back(std::move(work));
      checking_ -= chunk.size();
    }
    chunk.clear();
    sequence_ready_.notify_one();
  }
}

// ---------------------------------------------------------------------------------------------
// The sequencer.

void EventStore::Impl::SequenceLoop() {
  std::vector<std::unique_ptr<Work>> group;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(queue_mutex_);
      sequence_ready_.wait(lock, [this] {
        return !sequence_queue_.empty() || (stopping_ && check_queue_.empty() && checking_ == 0);
      });
      if (sequence_queue_.empty()) return;  // Stopping and everything accepted is done.
      std::size_t events = 0;
      while (!sequence_queue_.empty()) {
        std::size_t next = sequence_queue_.front()->events.size();
        if (!group.empty() && events + next > constants::commit_batch_entries_max) break;
        events += next;
        group.push_back(std::move(sequence_queue_.front()));
        sequence_queue_.pop_front();
      }
    }
    rocksdb::WriteBatch batch;
    for (auto& work : group) Sequence(work.get(), &batch);
    Status status = batch_replies_.empty() ? Status::Ok() : CommitBatch(&batch);
    for (auto& [work, receipts] : batch_replies_) {
      Reply(work, status, status.ok() ? std::move(receipts) : std::vector<Receipt>{});
    }
    batch_replies_.clear();
    batch_event_ids_.clear();
    batch_entries_.clear();
    group.clear();
  }
}

void EventStore::Impl::Sequence(Work* work, rocksdb::WriteBatch* batch) {
  if (!work->check_status.ok()) return Reply(work, work->check_status, {});
  if (failed_) return Reply(work, Status(Code::kUnavailable, "an earlier write failed; reopen the ledger"), {});
  std::vector<Receipt> receipts;
  Status status = Admit(work->events, &receipts);
  if (!status.ok()) return Reply(work, status, {});
  if (!receipts.empty()) return Reply(work, Status::Ok(), std::move(receipts));  // Resubmission.
  status = ApplyAll(work->events, batch);
  if (!status.ok()) return Reply(work, status, {});
  receipts.reserve(work->events.size());
  for (const CheckedEvent& event : work->events) receipts.push_back(AddEntry(event, batch));
  batch_replies_.emplace_back(work, std::move(receipts));
}

// Idempotency: an append whose every event id is already in the log with the same bytes gets the
// original receipts in `duplicates`; a reused id with other bytes is rejected.
Status EventStore::Impl::Admit(const std::vector<CheckedEvent>& events,
                               std::vector<Receipt>* duplicates) {
  std::unordered_set<std::string_view> ids_in_unit;
  std::size_t fresh = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const std::string& id = events[i].event.event_id();
    const std::string where = events.size() > 1 ? "roster event " + std::to_string(i) + ": " : "";
    if (!ids_in_unit.insert(id).second) {
      return Status(Code::kDuplicateId, where + "event id '" + id + "' appears twice in the roster");
    }
    std::optional<std::uint64_t> index;
    if (auto it = batch_event_ids_.find(id); it != batch_event_ids_.end()) {
      index = it->second;
    } else {
      auto found = FindEventId(id);
      if (found.ok()) index = *found;
      else if (found.status().code() != Code::kNotFound) return found.status();
    }
    if (!index) {
      ++fresh;
      continue;
    }
    std::string stored_event;
    crypto::Hash entry_hash{};
    if (auto pending = batch_entries_.find(*index); pending != batch_entries_.end()) {
      stored_event = pending->second.event_bytes;
      entry_hash = pending->second.entry_hash;
    } else {
      auto entry = ReadEntry(*index);
      if (!entry.ok()) return entry.status();
      v1::LogEntry parsed;
      if (!parsed.ParseFromString(*entry)) return Status(Code::kCorruption, "entry " + std::to_string(*index) + " does not decode");
      stored_event = parsed.signed_event().event();
      entry_hash = crypto::LeafHash(*entry);
    }
    if (stored_event != events[i].envelope.event()) {
      return Status(Code::kDuplicateId, where + "event id '" + id + "' was used at index " +
                                            std::to_string(*index) + " for different content");
    }
    duplicates->push_back(Receipt{*index, entry_hash, true});
  }
  if (fresh != 0 && !duplicates->empty()) {
    duplicates->clear();
    return Status(Code::kDuplicateId, "roster mixes events already in the log with new ones");
  }
  return Status::Ok();
}

// Authorizes and applies every event of one unit to the actor registry and the projections, all
// or nothing.
Status EventStore::Impl::ApplyAll(const std::vector<CheckedEvent>& events,
                                  rocksdb::WriteBatch* batch) {
  std::vector<Projection*> projections{&actors_};
  projections.insert(projections.end(), options_.projections.begin(), options_.projections.end());
  batch->SetSavePoint();
  for (Projection* projection : projections) projection->SetSavepoint();
  Status status;
  for (std::size_t i = 0; i < events.size() && status.ok(); ++i) {
    const std::uint64_t index = next_index_ + i;
    auto signer = actors_.Authorize(events[i], index);
    if (!signer.ok()) {
      status = signer.status();
    }
    for (std::size_t p = 0; p < projections.size() && status.ok(); ++p) {
      status = projections[p]->Apply(events[i], index, **signer, batch);
    }
    if (!status.ok() && events.size() > 1) {
      status = Status(status.code(), "roster event " + std::to_string(i) + ": " + status.message());
    }
  }
  if (!status.ok()) {
    for (Projection* projection : projections) projection->RollbackToSavepoint();
    batch->RollbackToSavePoint().PermitUncheckedError();
    return status;
  }
  for (Projection* projection : projections) projection->ReleaseSavepoint();
  batch->PopSavePoint().PermitUncheckedError();
  return Status::Ok();
}

Receipt EventStore::Impl::AddEntry(const CheckedEvent& event, rocksdb::WriteBatch* batch) {
  const std::uint64_t index = next_index_++;
  v1::LogEntry entry;
  entry.set_index(index);
  entry.set_previous_hash(std::string(crypto::AsBytes(previous_hash_)));
  entry.set_sequenced_ms(NowMs());
  *entry.mutable_signed_event() = event.envelope;
  const std::string bytes = entry.SerializeAsString();
  const crypto::Hash entry_hash = crypto::LeafHash(bytes);

  const std::string key = format::EncodeIndex(index);
  batch->Put(rocks_.entries, key, bytes).PermitUncheckedError();
  batch->Put(rocks_.event_ids, event.event.event_id(), key).PermitUncheckedError();
  tree_.Append(entry_hash, [&](const crypto::CompactTree::Node& node) {
    batch->Put(rocks_.tree, format::EncodeNodeKey(node.level, node.index), crypto::AsBytes(node.hash))
        .PermitUncheckedError();
  });
  assert(tree_.size() == next_index_);  // The tree has one leaf per entry.
  previous_hash_ = entry_hash;
  batch_event_ids_[event.event.event_id()] = index;
  batch_entries_[index] = PendingEntry{event.envelope.event(), entry_hash};
  return Receipt{index, entry_hash, false};
}

Status EventStore::Impl::CommitBatch(rocksdb::WriteBatch* batch) {
  crypto::Checkpoint checkpoint{origin_, next_index_, tree_.Root(), {}};
  std::string note = crypto::SignNote(crypto::FormatCheckpoint(checkpoint), log_verifier_.name, log_key_);
  batch->Put(rocks_.meta, std::string(format::kMetaCheckpoint), note).PermitUncheckedError();
  rocksdb::WriteOptions write_options;
  write_options.sync = true;  // Acknowledged means durable.
  Status status = FromRocks(rocks_.db->Write(write_options, batch), "committing a batch");
  if (!status.ok()) {
    // In-memory state is ahead of the disk now; refuse everything until a restart recovers.
    failed_ = true;
    return status;
  }
  std::lock_guard<std::mutex> lock(published_mutex_);
  checkpoint_ = std::move(note);
  published_actors_ = actors_.List();
  durable_size_.store(next_index_, std::memory_order_release);
  return Status::Ok();
}

void EventStore::Impl::Reply(Work* work, Status status, std::vector<Receipt> receipts) {
  if (work->queued) queued_.fetch_sub(work->weight(), std::memory_order_relaxed);
  if (work->is_roster) {
    if (status.ok()) work->done_roster(std::move(receipts));
    else work->done_roster(std::move(status));
  } else {
    if (status.ok()) work->done_event(receipts.front());
    else work->done_event(std::move(status));
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

std::optional<crypto::Hash> EventStore::Impl::TreeNode(std::uint8_t level, std::uint64_t index) const {
  std::string value;
  rocksdb::Status rs = rocks_.db->Get(rocksdb::ReadOptions(), rocks_.tree, format::EncodeNodeKey(level, index), &value);
  if (!rs.ok()) return std::nullopt;
  return crypto::HashFromBytes(value);
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
  if (sequencer_.joinable()) sequencer_.join();
  return rocks_.Close();
}

// ---------------------------------------------------------------------------------------------
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
  auto store = Open(store_options);
  if (!store.ok()) return store.status();
  auto receipt = (*store)->Append(std::move(signed_genesis));
  if (!receipt.ok()) return Status(receipt.status().code(), "genesis: " + receipt.status().message());
  assert(receipt->index == 0);  // Genesis is entry 0 of a new ledger.
  return (*store)->Close();
}

Result<std::unique_ptr<EventStore>> EventStore::Open(StoreOptions options) {
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
  std::string origin, version;
  Status status = FromRocks(rocks->db->Get(rocksdb::ReadOptions(), rocks->meta, std::string(format::kMetaOrigin), &origin), "reading origin");
  if (status.ok()) {
    status = FromRocks(rocks->db->Get(rocksdb::ReadOptions(), rocks->meta, std::string(format::kMetaFormatVersion), &version), "reading format version");
  }
  if (!status.ok()) return status;
  if (version != std::to_string(format::kFormatVersion)) {
    return Status(Code::kCorruption, "store format version " + version + ", this build reads " +
                                         std::to_string(format::kFormatVersion));
  }
  if (origin != verifier->name) return Status(Code::kCorruption, "log key name differs from the origin");
  auto impl = std::make_unique<Impl>(std::move(*rocks), origin, std::move(*verifier),
                                     std::move(log_key->key), std::move(options));
  status = impl->Recover();
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
std::size_t EventStore::queue_depth() const { return impl_->queue_depth(); }

}  // namespace ledger
