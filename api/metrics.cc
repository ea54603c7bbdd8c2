#include "api/metrics.h"

#include <sstream>

#include "api/witness_submitter.h"

namespace api {
namespace {

// The first commit-write bucket /metrics reports on its own: 2^6 us (64 us). Faster writes are
// counted in it; no disk syncs faster.
constexpr std::size_t kCommitWriteFirstReported = 24;

}  // namespace

void Metrics::CountRequest(int status) {
  const std::size_t index = status >= 100 && status < 600 ? static_cast<std::size_t>(status / 100 - 1) : 5;
  requests_by_class_[index].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::CountAppend(const ledger::Status& status, std::size_t events, double seconds) {
  if (status.ok()) {
    appended_events_.fetch_add(events, std::memory_order_relaxed);
  } else {
    const std::size_t code = static_cast<std::size_t>(status.code());
    if (code < rejections_.size()) rejections_[code].fetch_add(1, std::memory_order_relaxed);
  }
  std::size_t bucket = 0;
  while (bucket < kLatencyBuckets.size() && seconds > kLatencyBuckets[bucket]) ++bucket;
  latency_[bucket].fetch_add(1, std::memory_order_relaxed);
  latency_count_.fetch_add(1, std::memory_order_relaxed);
  latency_micros_sum_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

namespace {

// A Prometheus label value: backslash, double quote and line feed escaped.
std::string LabelValue(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string Metrics::Render(const ledger::EventStore& store, const WitnessSubmitter* witnesses) const {
  std::ostringstream out;
  out << "# HELP ledger_http_requests_total HTTP requests answered, by status class.\n"
      << "# TYPE ledger_http_requests_total counter\n";
  static constexpr const char* kClasses[] = {"1xx", "2xx", "3xx", "4xx", "5xx", "other"};
  for (std::size_t i = 0; i < requests_by_class_.size(); ++i) {
    out << "ledger_http_requests_total{class=\"" << kClasses[i] << "\"} " << requests_by_class_[i].load() << "\n";
  }
  out << "# HELP ledger_appended_events_total Events appended through the API, durable.\n"
      << "# TYPE ledger_appended_events_total counter\n"
      << "ledger_appended_events_total " << appended_events_.load() << "\n";
  out << "# HELP ledger_rejections_total Appends rejected, by reason (ledger/status.h codes).\n"
      << "# TYPE ledger_rejections_total counter\n";
  for (std::size_t code = 1; code < rejections_.size(); ++code) {
    out << "ledger_rejections_total{code=\"" << ledger::CodeName(static_cast<ledger::Code>(code)) << "\"} "
        << rejections_[code].load() << "\n";
  }
  out << "# HELP ledger_append_seconds Time from an append request to its durable receipt or rejection.\n"
      << "# TYPE ledger_append_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    cumulative += latency_[i].load();
    out << "ledger_append_seconds_bucket{le=\"" << kLatencyBuckets[i] << "\"} " << cumulative << "\n";
  }
  cumulative += latency_.back().load();
  out << "ledger_append_seconds_bucket{le=\"+Inf\"} " << cumulative << "\n"
      << "ledger_append_seconds_sum " << static_cast<double>(latency_micros_sum_.load()) / 1e6 << "\n"
      << "ledger_append_seconds_count " << latency_count_.load() << "\n";
  out << "# HELP ledger_queue_depth Appends waiting to be checked or sequenced.\n"
      << "# TYPE ledger_queue_depth gauge\n"
      << "ledger_queue_depth " << store.queue_depth() << "\n";
  out << "# HELP ledger_log_size Durable entries in the log.\n"
      << "# TYPE ledger_log_size gauge\n"
      << "ledger_log_size " << store.size() << "\n";
  const ledger::StoreStats stats = store.stats();
  out << "# HELP ledger_group_commit_entries Entries per synced group commit.\n"
      << "# TYPE ledger_group_commit_entries histogram\n";
  cumulative = 0;
  for (std::size_t i = 0; i < stats.batch_sizes.size(); ++i) {
    cumulative += stats.batch_sizes[i];
    if (i + 1 < stats.batch_sizes.size()) {
      out << "ledger_group_commit_entries_bucket{le=\"" << (std::uint64_t{1} << i) << "\"} " << cumulative << "\n";
    }
  }
  out << "ledger_group_commit_entries_bucket{le=\"+Inf\"} " << cumulative << "\n"
      << "ledger_group_commit_entries_sum " << stats.entries << "\n"
      << "ledger_group_commit_entries_count " << stats.batches << "\n";
  // The store's quarter-power-of-two buckets, summed into powers of two from 64 us to 0.5 s.
  out << "# HELP ledger_commit_write_seconds Time a group commit's synced RocksDB write took.\n"
      << "# TYPE ledger_commit_write_seconds histogram\n";
  cumulative = 0;
  for (std::size_t i = 0; i + 1 < stats.commit_writes.size(); ++i) {
    cumulative += stats.commit_writes[i];
    if (i % 4 == 0 && i >= kCommitWriteFirstReported) {
      out << "ledger_commit_write_seconds_bucket{le=\"" << ledger::CommitWriteBucketMicros(i) / 1e6 << "\"} "
          << cumulative << "\n";
    }
  }
  cumulative += stats.commit_writes.back();
  out << "ledger_commit_write_seconds_bucket{le=\"+Inf\"} " << cumulative << "\n"
      << "ledger_commit_write_seconds_sum " << stats.commit_write_seconds << "\n"
      << "ledger_commit_write_seconds_count " << cumulative << "\n";
  out << "# HELP ledger_checkpoints_signed_total Checkpoints signed since ledgerd started (at most one a second).\n"
      << "# TYPE ledger_checkpoints_signed_total counter\n"
      << "ledger_checkpoints_signed_total " << stats.checkpoints << "\n";
  if (witnesses != nullptr) {
    out << "# HELP ledger_witness_cosigned_size Size of the latest checkpoint each witness cosigned (0: none yet).\n"
        << "# TYPE ledger_witness_cosigned_size gauge\n";
    for (const auto& [name, size] : witnesses->CosignedSizes()) {
      out << "ledger_witness_cosigned_size{witness=\"" << LabelValue(name) << "\"} " << size << "\n";
    }
  }
  out << "# HELP ledger_verification_entries_verified Entries the background verification of the stored log has checked.\n"
      << "# TYPE ledger_verification_entries_verified gauge\n"
      << "ledger_verification_entries_verified " << verify_verified_.load() << "\n"
      << "# HELP ledger_verification_entries_total Entries it verifies: the signed checkpoint's while it runs, every stored one at the end.\n"
      << "# TYPE ledger_verification_entries_total gauge\n"
      << "ledger_verification_entries_total " << verify_total_.load() << "\n"
      << "# HELP ledger_verification_state 1 for the state the background verification is in.\n"
      << "# TYPE ledger_verification_state gauge\n";
  static constexpr const char* kStates[] = {"not_run", "running", "passed", "failed", "stopped"};
  const int state = verify_state_.load();
  for (int i = 0; i < 5; ++i) {
    out << "ledger_verification_state{state=\"" << kStates[i] << "\"} " << (i == state ? 1 : 0) << "\n";
  }
  if (state == static_cast<int>(VerifyState::kFailed)) {
    out << "# HELP ledger_verification_first_bad_index The first entry that failed verification.\n"
        << "# TYPE ledger_verification_first_bad_index gauge\n"
        << "ledger_verification_first_bad_index " << verify_first_bad_.load() << "\n";
  }
  return out.str();
}

}  // namespace api
