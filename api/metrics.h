// Prometheus metrics of ledgerd (text exposition format 0.0.4), served at GET /metrics.
// Counters are atomics: recording from any thread costs a few relaxed increments.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "ledger/event_store.h"
#include "ledger/status.h"

namespace api {

class WitnessSubmitter;

class Metrics {
 public:
  // One answered HTTP request with its status.
  void CountRequest(int status);
  // One append (an event or a roster of `events`), accepted or rejected, `seconds` from the
  // request's arrival to the durable receipt or the rejection.
  void CountAppend(const ledger::Status& status, std::size_t events, double seconds);
  // The background verification of the stored log (ServerOptions::verify_log).
  enum class VerifyState : int { kNotRun = 0, kRunning, kPassed, kFailed, kStopped };
  void SetVerifyProgress(std::uint64_t verified, std::uint64_t total) {
    verify_verified_.store(verified, std::memory_order_relaxed);
    verify_total_.store(total, std::memory_order_relaxed);
  }
  void SetVerifyState(VerifyState state, std::uint64_t first_bad_index = 0) {
    verify_first_bad_.store(first_bad_index, std::memory_order_relaxed);
    verify_state_.store(static_cast<int>(state), std::memory_order_release);
  }
  VerifyState verify_state() const { return static_cast<VerifyState>(verify_state_.load(std::memory_order_acquire)); }
  std::uint64_t verify_first_bad_index() const { return verify_first_bad_.load(std::memory_order_relaxed); }

  // Every metric, with the store's gauges and commit counters read now, and each witness's
  // cosigned size when `witnesses` is not null.
  std::string Render(const ledger::EventStore& store, const WitnessSubmitter* witnesses = nullptr) const;

  // Upper bounds of the append latency histogram, in seconds.
  static constexpr std::array<double, 11> kLatencyBuckets = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05,
                                                             0.1,   0.2,   0.5,   1.0,  5.0};

 private:
  static constexpr std::size_t kCodes = static_cast<std::size_t>(ledger::Code::kReplayedRequest) + 1;
  std::array<std::atomic<std::uint64_t>, 6> requests_by_class_{};  // 1xx..5xx, other.
  std::atomic<std::uint64_t> appended_events_{0};
  std::array<std::atomic<std::uint64_t>, kCodes> rejections_{};
  std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size() + 1> latency_{};  // Last: +Inf.
  std::atomic<std::uint64_t> latency_count_{0};
  std::atomic<std::uint64_t> latency_micros_sum_{0};
  std::atomic<int> verify_state_{0};
  std::atomic<std::uint64_t> verify_verified_{0};
  std::atomic<std::uint64_t> verify_total_{0};
  std::atomic<std::uint64_t> verify_first_bad_{0};
};

}  // namespace api
