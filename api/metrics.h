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

class Metrics {
 public:
  // One answered HTTP request with its status.
  void CountRequest(int status);
  // One append (an event or a roster of `events`), accepted or rejected, `seconds` from the
  // request's arrival to the durable receipt or the rejection.
  void CountAppend(const ledger::Status& status, std::size_t events, double seconds);
  // Every metric, with the store's gauges and commit counters read now.
  std::string Render(const ledger::EventStore& store) const;

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
};

}  // namespace api
