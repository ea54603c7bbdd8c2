// The fund-flow part of `ledgerctl bench`: builds a ledger of `events` money events (plans,
// arrivals, disbursements by roster, reversals), then measures a projection rebuild beside a raw
// scan of the same log, and balance queries at the head and as of past tree sizes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "crypto/signing.h"
#include "ledger/event_store.h"
#include "ledger/status.h"

namespace tools {

struct FundsBenchResult {
  std::uint64_t entries = 0;
  double append_per_second = 0;   // Roster appends of disbursements, durable.
  double scan_per_second = 0;     // Raw RocksDB scan of the entries.
  double rebuild_per_second = 0;  // Decode, replay and write every projection row.
  double head_p50_us = 0, head_p99_us = 0;    // QueryBalance at the head.
  double as_of_p50_us = 0, as_of_p99_us = 0;  // QueryBalance as of a random past tree size.
};

// The request-target of balance query `i` over HTTP: the same mix of filters as the in-process
// queries (the city, a region, a program, a region's program, one cell), at the head.
std::string BalanceTargetFor(std::size_t i);

// Runs with the funded ledger open after the in-process queries, before it is closed (the bench
// serves it over HTTP for the balance load). `admin` is the ledger's first admin.
using FundsLedgerPhase = std::function<ledger::Status(ledger::EventStore& store, const crypto::SecretKey& admin)>;

// `with_open_ledger` may be empty.
ledger::Result<FundsBenchResult> RunFundsBench(const std::string& dir, std::uint64_t events,
                                               const FundsLedgerPhase& with_open_ledger = {});

}  // namespace tools
