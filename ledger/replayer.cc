#include "ledger/replayer.h"

#include <rocksdb/write_batch.h>

#include <chrono>
#include <filesystem>
#include <random>

#include "ledger/constants.h"
#include "ledger/event_store.h"
#include "ledger/format.h"
#include "ledger/funds.h"
#include "ledger/rocks_impl.h"

namespace ledger {

namespace {

void AppendLength(crypto::Sha256Builder* hash, std::size_t size) {
  const std::uint32_t n = static_cast<std::uint32_t>(size);
  const char bytes[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                         static_cast<char>(n)};
  hash->Update(std::string_view(bytes, 4));
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

Result<crypto::Hash> ProjectionDigest(const RowReader& actors, const RowReader& projections) {
  crypto::Sha256Builder hash;
  for (auto [name, rows] : {std::pair<std::string_view, const RowReader*>{format::kActorsFamily, &actors},
                            {format::kProjectionsFamily, &projections}}) {
    AppendLength(&hash, name.size());
    hash.Update(name);
    std::uint64_t count = 0;
    Status status = rows->Scan({}, {}, [&](std::string_view key, std::string_view value) {
      AppendLength(&hash, key.size());
      hash.Update(key);
      AppendLength(&hash, value.size());
      hash.Update(value);
      ++count;
      return true;
    });
    if (!status.ok()) return status;
    // The row count ends each family, so rows cannot move from one family to the other.
    hash.Update(format::EncodeIndex(count));
  }
  return hash.Finish();
}

Status DecodeStoredEvent(std::string_view entry_bytes, v1::LogEntry* entry, v1::Event* event, CheckedEvent* out) {
  if (!entry->ParseFromArray(entry_bytes.data(), static_cast<int>(entry_bytes.size()))) {
    return Status(Code::kCorruption, "entry does not decode");
  }
  const v1::SignedEvent& envelope = entry->signed_event();
  auto key = crypto::PublicKeyFromBytes(envelope.public_key());
  if (!key) return Status(Code::kCorruption, "public key is not 32 bytes");
  out->signer = *key;
  out->event_bytes = envelope.event();  // A view of `entry`, which the caller keeps with `out`.
  if (!event->ParseFromString(envelope.event())) return Status(Code::kCorruption, "event does not decode");
  out->event = event;
  return Status::Ok();
}

class Replayer::Impl {
 public:
  Impl(internal::RocksHandles rocks, const crypto::VerifierKey& log_key, std::string scratch_dir)
      : rocks_(std::move(rocks)), scratch_dir_(std::move(scratch_dir)), actors_(log_key) {}
  ~Impl() {
    rocks_.Close().IgnoreError();
    if (!scratch_dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(scratch_dir_, ignored);
    }
  }

  Status Apply(const CheckedEvent& event, std::uint64_t index) {
    auto signer = actors_.Authorize(event, index);
    if (!signer.ok()) return signer.status();
    internal::BatchRows actor_rows(&batch_, rocks_.actors);
    internal::BatchRows rows(&batch_, rocks_.projections);
    Status status = actors_.Apply(event, index, **signer, &actor_rows);
    if (status.ok()) status = funds_.Apply(event, index, **signer, &rows);
    return status;
  }

  Status EndBatch(bool sync) {
    internal::BatchRows rows(&batch_, rocks_.projections);
    Status status = funds_.EndBatch(&rows);
    if (!status.ok()) return status;
    rocksdb::WriteOptions write;
    write.disableWAL = !sync;
    write.sync = sync;
    status = internal::FromRocks(rocks_.db->Write(write, &batch_), "writing projection rows");
    batch_.Clear();
    return status;
  }

  Result<crypto::Hash> Digest() const {
    return ProjectionDigest(internal::FamilyRows(rocks_.db.get(), rocks_.actors),
                            internal::FamilyRows(rocks_.db.get(), rocks_.projections));
  }

  // Makes unsynced rows durable (the WAL was skipped, so the memtables are flushed), then
  // compacts them: the rebuild wrote them with compactions off, and queries should not meet
  // dozens of overlapping files.
  Status Persist() {
    rocksdb::FlushOptions flush;
    flush.wait = true;
    Status status = internal::FromRocks(rocks_.db->Flush(flush, {rocks_.actors, rocks_.projections}),
                                        "flushing projection rows");
    rocksdb::CompactRangeOptions compact;
    compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
    for (auto* family : {rocks_.actors, rocks_.projections}) {
      if (status.ok()) {
        status = internal::FromRocks(rocks_.db->CompactRange(compact, family, nullptr, nullptr),
                                     "compacting projection rows");
      }
    }
    return status;
  }

  internal::RocksHandles& rocks() { return rocks_; }
  const ActorRegistry& actors() const { return actors_; }

 private:
  internal::RocksHandles rocks_;
  std::string scratch_dir_;
  ActorRegistry actors_;
  FundsProjection funds_;
  rocksdb::WriteBatch batch_;
};

Replayer::Replayer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Replayer::~Replayer() = default;

Result<std::unique_ptr<Replayer>> Replayer::Scratch(const crypto::VerifierKey& log_key) {
  std::string pattern = (std::filesystem::temp_directory_path() / "ledger-replay-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return Status(Code::kIOError, "creating a scratch folder for the replay");
  }
  auto rocks = internal::OpenRocks(pattern + "/db", internal::OpenMode::kCreate);
  if (!rocks.ok()) {
    std::filesystem::remove_all(pattern);
    return rocks.status();
  }
  return std::unique_ptr<Replayer>(new Replayer(std::make_unique<Impl>(std::move(*rocks), log_key, pattern)));
}

Status Replayer::Apply(const CheckedEvent& event, std::uint64_t index) { return impl_->Apply(event, index); }
Status Replayer::EndBatch() { return impl_->EndBatch(false); }
Result<crypto::Hash> Replayer::Digest() const { return impl_->Digest(); }
const ActorRegistry& Replayer::actors() const { return impl_->actors(); }

Result<RebuildReport> RebuildProjections(const std::string& data_dir,
                                         const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  auto log_key = crypto::ReadVerifierKeyFile(LogPublicKeyPath(data_dir));
  if (!log_key.ok()) return log_key.status();
  auto opened = internal::OpenRocks(DatabasePath(data_dir), internal::OpenMode::kRebuild);
  if (!opened.ok()) {
    return Status(opened.status().code(),
                  opened.status().message() + " (rebuild needs the ledger closed: stop ledgerd first)");
  }
  Replayer::Impl replay(std::move(*opened), *log_key, "");
  internal::RocksHandles& h = replay.rocks();
  std::string note;
  Status status = internal::FromRocks(
      h.db->Get(rocksdb::ReadOptions(), h.meta, std::string(format::kMetaCheckpoint), &note), "reading the checkpoint");
  if (!status.ok()) return status;
  auto text = crypto::OpenNote(note, *log_key);
  if (!text.ok()) return Status(Code::kCorruption, "stored checkpoint: " + text.status().message());
  auto checkpoint = crypto::ParseCheckpoint(*text);
  if (!checkpoint.ok()) return checkpoint.status();
  RebuildReport report;
  report.entries = checkpoint->size;

  // The raw scan rate of the same entries, the floor a rebuild cannot beat.
  auto scan_start = std::chrono::steady_clock::now();
  {
    std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(internal::SequentialScan(), h.entries));
    for (it->SeekToFirst(); it->Valid(); it->Next()) report.entry_bytes += it->value().size();
    if (!it->status().ok()) return internal::FromRocks(it->status(), "scanning entries");
  }
  report.scan_seconds = Seconds(scan_start);

  // Mark the projections as being rebuilt (synced) before discarding them.
  rocksdb::WriteOptions synced;
  synced.sync = true;
  status = internal::FromRocks(h.db->Put(synced, h.meta, std::string(format::kMetaRebuilding), "1"),
                               "marking the rebuild");
  if (status.ok()) status = internal::RecreateFamily(&h, &h.actors);
  if (status.ok()) status = internal::RecreateFamily(&h, &h.projections);
  if (!status.ok()) return status;

  auto start = std::chrono::steady_clock::now();
  // One thread: a reader thread handing decoded events over measured slower on two cores (the
  // allocator's cross-thread frees cost more than the overlap saved).
  std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(internal::SequentialScan(), h.entries));
  std::uint64_t next = 0;
  v1::LogEntry entry;
  v1::Event decoded;
  CheckedEvent event;
  for (it->SeekToFirst(); it->Valid() && next < report.entries; it->Next(), ++next) {
    status = DecodeStoredEvent(it->value().ToStringView(), &entry, &decoded, &event);
    if (!status.ok()) return Status(Code::kCorruption, "entry " + std::to_string(next) + ": " + status.message());
    const std::uint64_t index = entry.index();
    if (index != next) {
      return Status(Code::kCorruption, "entry stored at " + std::to_string(next) + " says it is " + std::to_string(index));
    }
    status = replay.Apply(event, index);
    if (!status.ok()) {
      return Status(Code::kCorruption, "entry " + std::to_string(index) + " breaks a rule on replay: " +
                                           status.ToString() + " (run ledgerctl verify)");
    }
    if ((next + 1) % constants::rebuild_batch_entries == 0) {
      status = replay.EndBatch(false);
      if (!status.ok()) return status;
      if (progress) progress(next + 1, report.entries);
    }
  }
  if (!it->status().ok()) return internal::FromRocks(it->status(), "reading entries");
  if (next != report.entries) {
    return Status(Code::kCorruption, "the log ends at entry " + std::to_string(next) + ", its checkpoint says " +
                                         std::to_string(report.entries));
  }
  status = replay.EndBatch(false);
  if (status.ok()) status = replay.Persist();
  if (!status.ok()) return status;
  report.rebuild_seconds = Seconds(start);
  if (progress) progress(report.entries, report.entries);
  status = internal::FromRocks(h.db->Delete(synced, h.meta, std::string(format::kMetaRebuilding)),
                               "finishing the rebuild");
  if (!status.ok()) return status;
  auto digest = replay.Digest();
  if (!digest.ok()) return digest.status();
  report.digest = *digest;
  return report;
}

Result<crypto::Hash> StoredProjectionDigest(const std::string& data_dir) {
  auto rocks = internal::OpenRocks(DatabasePath(data_dir), internal::OpenMode::kSecondary);
  if (!rocks.ok()) return rocks.status();
  return ProjectionDigest(internal::FamilyRows(rocks->db.get(), rocks->actors),
                          internal::FamilyRows(rocks->db.get(), rocks->projections));
}

}  // namespace ledger
