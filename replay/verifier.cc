#include "replay/verifier.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <thread>

#include "crypto/merkle.h"
#include "ledger/actors.h"
#include "ledger/constants.h"
#include "ledger/event_check.h"
#include "ledger/log_reader.h"
#include "ledger/replayer.h"

namespace replay {

using ledger::Code;
using ledger::Status;

namespace {

// What the parallel stage learns about one stored entry.
struct Decoded {
  std::uint64_t key_index = 0;
  std::string bytes;
  ledger::v1::LogEntry entry;
  bool parsed = false;  // The bytes decoded as a LogEntry.
  crypto::Hash entry_hash{};
  ledger::Status status;  // Decoding or signature failure.
  ledger::v1::Event decoded;
  ledger::CheckedEvent event;  // Points at `decoded` and into `entry`.
};

void DecodeAndCheck(Decoded* d, const std::string& origin, ledger::RosterSignatureCache* cache) {
  d->entry_hash = crypto::LeafHash(d->bytes);
  if (!d->entry.ParseFromString(d->bytes)) {
    d->status = Status(Code::kMalformed, "entry bytes do not decode as ledger.v1.LogEntry");
    return;
  }
  d->parsed = true;
  auto checked = ledger::CheckStoredEnvelope(d->entry.signed_event(), origin, cache, &d->decoded);
  if (!checked.ok()) {
    d->status = checked.status();
    return;
  }
  d->event = std::move(*checked);
}

class Walker {
 public:
  Walker(const VerifyOptions& options, const EntrySource* reader, std::string origin,
         std::uint64_t checkpoint_size, std::optional<std::uint64_t> prefix_size, ledger::Replayer* replayer,
         VerifyReport* report)
      : reader_(reader),
        origin_(std::move(origin)),
        checkpoint_size_(checkpoint_size),
        report_(report),
        replayer_(replayer),
        prefix_size_(prefix_size) {
    if (prefix_size_ == 0u) report_->prefix_root = crypto::EmptyTreeHash();
    if (checkpoint_size_ == 0) checkpoint_root_ = crypto::EmptyTreeHash();
    threads_ = options.threads != 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  }

  // Decodes and checks signatures of a window on all cores. Touches no walker state but the
  // (synchronised) roster signature cache, so it runs beside VerifySequential.
  void ParallelCheck(std::vector<Decoded>& window) {
    std::vector<std::thread> workers;
    const std::size_t n = window.size();
    // Workers take chunks of consecutive entries as they finish the last: the walker's thread
    // shares the cores with them, so equal fixed slices would leave one worker idle at the end.
    std::atomic<std::size_t> next_chunk{0};
    for (std::size_t t = 0; t < threads_; ++t) {
      workers.emplace_back([&] {
        pthread_setname_np(pthread_self(), "verify-check");
        for (;;) {
          const std::size_t begin = next_chunk.fetch_add(ledger::constants::verify_chunk_entries);
          if (begin >= n) return;
          const std::size_t end = std::min(n, begin + ledger::constants::verify_chunk_entries);
          for (std::size_t i = begin; i < end; ++i) DecodeAndCheck(&window[i], origin_, &cache_);
        }
      });
    }
    for (auto& worker : workers) worker.join();
  }

  // Walks a checked window in log order; false once a problem is found.
  bool VerifySequential(std::vector<Decoded>& window) {
    for (Decoded& d : window) {
      if (!VerifyOne(d)) return false;
    }
    // The projections' invariants hold after every window, as after every committed batch.
    Status status = replayer_->EndBatch();
    if (!status.ok()) return Fail(next_ == 0 ? 0 : next_ - 1, status);
    return true;
  }

  bool Fail(std::uint64_t index, Status status) {
    report_->first_bad_index = index;
    report_->problem = std::move(status);
    return false;
  }

  std::uint64_t next() const { return next_; }
  // The recomputed root of the checkpoint's tree, once the walk has passed its size.
  const std::optional<crypto::Hash>& checkpoint_root() const { return checkpoint_root_; }
  const crypto::CompactTree& tree() const { return tree_; }

 private:

  bool VerifyOne(Decoded& d) {
    const std::uint64_t index = next_;
    if (d.key_index != index) {
      return Fail(index, Status(Code::kCorruption, "entry " + std::to_string(index) +
                                                       " is missing (next stored entry is " +
                                                       std::to_string(d.key_index) + ")"));
    }
    if (!d.parsed) {
      return Fail(index, d.status);
    }
    if (d.entry.index() != index) {
      return Fail(index, Status(Code::kCorruption, "entry stored at index " + std::to_string(index) +
                                                       " says it is entry " +
                                                       std::to_string(d.entry.index())));
    }
    previous_link_ = d.entry.previous_hash();
    if (d.entry.previous_hash() != crypto::AsBytes(previous_hash_)) return BrokenLink(index);
    if (!d.status.ok()) return Fail(index, d.status);
    // The same actor registry and domain rules as the append path, writing the projections'
    // rows into a scratch store for their digest.
    if (Status status = replayer_->Apply(d.event, index); !status.ok()) return Fail(index, status);
    tree_.Append(d.entry_hash, [](const crypto::CompactTree::Node&) {});
    previous_hash_ = d.entry_hash;
    ++next_;
    if (prefix_size_ == next_) report_->prefix_root = tree_.Root();
    if (checkpoint_size_ == next_) checkpoint_root_ = tree_.Root();
    return true;
  }

  // Entry `index` does not link to the entry before it: either that entry's bytes or this link
  // was altered. The leaf hash recorded at commit time says which, unless it was altered too.
  bool BrokenLink(std::uint64_t index) {
    if (index > 0) {
      auto recorded = reader_->RecordedLeafHash(index - 1);
      if (recorded && *recorded != crypto::AsBytes(previous_hash_) && *recorded == previous_link_) {
        return Fail(index - 1, Status(Code::kCorruption,
                                      "entry " + std::to_string(index - 1) +
                                          " was altered after commit: its hash differs from the one "
                                          "recorded then and linked by entry " + std::to_string(index)));
      }
    }
    return Fail(index, Status(Code::kCorruption,
                              "previous_hash does not match the hash of entry " +
                                  (index == 0 ? std::string("-1 (zeros)") : std::to_string(index - 1))));
  }

  const EntrySource* reader_;
  std::string previous_link_;  // previous_hash of the entry being checked.
  const std::string origin_;
  const std::uint64_t checkpoint_size_;
  VerifyReport* report_;
  std::size_t threads_;
  ledger::RosterSignatureCache cache_;
  ledger::Replayer* replayer_;
  crypto::CompactTree tree_;
  crypto::Hash previous_hash_{};
  std::uint64_t next_ = 0;
  const std::optional<std::uint64_t> prefix_size_;
  std::optional<crypto::Hash> checkpoint_root_;
};

}  // namespace

StoreSource::StoreSource(const ledger::LogReader* reader) : reader_(reader), origin_(reader->origin()) {}

const std::string& StoreSource::checkpoint() const { return reader_->checkpoint(); }

ledger::Status StoreSource::Scan(std::uint64_t from,
                                 const std::function<bool(std::uint64_t, std::string_view)>& visit) const {
  return reader_->Scan(from, visit);
}

std::optional<std::string> StoreSource::RecordedLeafHash(std::uint64_t index) const {
  return reader_->RecordedLeafHash(index);
}

ledger::Result<VerifyReport> VerifyLog(const VerifyOptions& options) {
  auto reader = ledger::LogReader::Open(options.data_dir);
  if (!reader.ok()) return reader.status();
  return VerifyEntries(StoreSource(reader->get()), options);
}

ledger::Result<VerifyReport> VerifyEntries(const EntrySource& source, const VerifyOptions& options,
                                           std::optional<std::uint64_t> prefix_size) {
  VerifyReport report;
  auto text = crypto::OpenNote(source.checkpoint(), options.log_key);
  if (!text.ok()) {
    report.problem = Status(text.status().code(), "stored checkpoint: " + text.status().message());
    return report;
  }
  auto checkpoint = crypto::ParseCheckpoint(*text);
  if (!checkpoint.ok()) {
    report.problem = Status(Code::kCorruption, "stored checkpoint: " + checkpoint.status().message());
    return report;
  }
  const std::optional<std::string> stored_origin = source.origin();
  if ((stored_origin && checkpoint->origin != *stored_origin) || checkpoint->origin != options.log_key.name) {
    report.problem = Status(Code::kWrongOrigin, "checkpoint origin '" + checkpoint->origin +
                                                    "' differs from the ledger's or the log key's");
    return report;
  }
  report.checkpoint_size = checkpoint->size;
  report.origin = checkpoint->origin;
  if (prefix_size && *prefix_size > checkpoint->size) {
    return Status(Code::kInvalidArgument, "prefix size " + std::to_string(*prefix_size) +
                                              " exceeds the checkpoint's size " + std::to_string(checkpoint->size));
  }

  auto replayer = ledger::Replayer::Scratch(options.log_key);
  if (!replayer.ok()) return replayer.status();
  Walker walker(options, &source, checkpoint->origin, checkpoint->size, prefix_size, replayer->get(), &report);
  // Reads the next window of stored entries, by key, after the previous window.
  std::uint64_t from = 0;
  bool exhausted = false;
  Status damage;  // The source's own data is damaged after the entries read so far.
  auto read_window = [&](std::vector<Decoded>* window) {
    window->clear();
    if (exhausted) return Status::Ok();
    Status s = source.Scan(from, [&](std::uint64_t key_index, std::string_view bytes) {
      Decoded& d = window->emplace_back();
      d.key_index = key_index;
      d.bytes.assign(bytes);
      return window->size() < ledger::constants::verify_window_entries;
    });
    exhausted = window->size() < ledger::constants::verify_window_entries;
    if (!window->empty()) from = window->back().key_index + 1;
    if (s.code() == Code::kCorruption) {
      damage = std::move(s);
      exhausted = true;
      return Status::Ok();
    }
    return s;
  };
  // Two windows in flight: workers check the signatures of one while this thread reads the next
  // from the source, then walks the chain, actors and tree of the first while they check the next.
  std::vector<Decoded> windows[2];
  Status status = read_window(&windows[0]);
  if (!status.ok()) return status;
  auto checking = std::async(std::launch::async, [&] { walker.ParallelCheck(windows[0]); });
  for (int k = 0; !windows[k % 2].empty(); ++k) {
    std::vector<Decoded>& current = windows[k % 2];
    std::vector<Decoded>& next = windows[(k + 1) % 2];
    status = read_window(&next);  // `next` was walked in the previous round: free to refill.
    if (!status.ok()) {
      checking.wait();
      return status;
    }
    checking.wait();
    checking = std::async(std::launch::async, [&walker, &next] { walker.ParallelCheck(next); });
    bool good = walker.VerifySequential(current);
    if (options.progress) options.progress(walker.next(), checkpoint->size);
    if (!good) break;
    if (options.stop_requested && options.stop_requested()) {
      checking.wait();
      report.entries_verified = walker.next();
      report.problem = Status(Code::kUnavailable, "verification stopped after entry " + std::to_string(walker.next()));
      return report;
    }
  }
  checking.wait();
  report.entries_verified = walker.next();
  if (walker.checkpoint_root()) report.root = *walker.checkpoint_root();
  if (!report.ok()) return report;
  if (!damage.ok()) {
    walker.Fail(walker.next(), damage);
    return report;
  }
  if (walker.next() < checkpoint->size) {
    walker.Fail(walker.next(), Status(Code::kCorruption,
                                      "log ends at entry " + std::to_string(walker.next()) +
                                          " but the signed checkpoint covers " +
                                          std::to_string(checkpoint->size) + " entries"));
    return report;
  }
  if (!crypto::ConstantTimeEqual(report.root, checkpoint->root)) {
    report.problem = Status(Code::kCorruption, "recomputed Merkle root differs from the signed checkpoint");
    return report;
  }
  report.entries_after_checkpoint = walker.next() - checkpoint->size;
  auto digest = (*replayer)->Digest();
  if (!digest.ok()) return digest.status();
  report.projection_digest = *digest;
  return report;
}

}  // namespace replay
