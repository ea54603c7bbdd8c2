// The transparency part of `ledgerctl bench`: builds a log of `entries` entries by roster, then
// measures what ledgerd's handlers spend serving an inclusion proof, a consistency proof and a
// full tile (GET /v1/proofs/…, GET /tile/0/N through api::Api, in process: no network).
#pragma once

#include <cstdint>
#include <string>

#include "ledger/status.h"

namespace tools {

struct TransparencyBenchResult {
  std::uint64_t entries = 0;
  double build_per_second = 0;  // Roster appends that built the log, durable (0: --dir reused).
  double settle_seconds = 0;    // Waited after the build for RocksDB's compactions to finish.
  double inclusion_p50_us = 0, inclusion_p99_us = 0;
  double consistency_p50_us = 0, consistency_p99_us = 0;
  double tile_p50_us = 0, tile_p99_us = 0;  // Full level-0 tiles (8,192 bytes).
  // The machine's limit: one RFC 6962 node hash (SHA-256 of 65 bytes), measured just before the
  // proofs. A proof from tiles costs some hundreds of them (docs/bench.md).
  double node_hash_ns = 0;
};

ledger::Result<TransparencyBenchResult> RunTransparencyBench(const std::string& dir, std::uint64_t entries);

}  // namespace tools
