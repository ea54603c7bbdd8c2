// LogReader: read-only access to a ledger's data directory, trusting nothing derived.
//
// The verifier, `ledgerctl get` and `ledgerctl tail` read through it. It opens RocksDB as a
// secondary instance (a running ledgerd keeps writing; the reader sees the log as of its open) and exposes only
// the raw entries, the stored checkpoint and the origin: everything else an auditor recomputes.
// Not synchronised: one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/projection.h"
#include "ledger/status.h"

namespace ledger {

class LogReader {
 public:
  static Result<std::unique_ptr<LogReader>> Open(const std::string& data_dir);
  ~LogReader();

  const std::string& origin() const { return origin_; }
  // The stored signed checkpoint note (not yet verified: the caller checks it against a key).
  const std::string& checkpoint() const { return checkpoint_; }
  // The exact stored bytes of entry `index`; kNotFound if absent.
  Result<std::string> Read(std::uint64_t index) const;
  // Calls `visit(key_index, bytes)` for every stored entry with key >= `from`, in key order,
  // until it returns false. Keys that do not decode as an index are reported as kCorruption.
  Status Scan(std::uint64_t from,
              const std::function<bool(std::uint64_t key_index, std::string_view bytes)>& visit) const;
  // The leaf hash recorded for entry `index` when it was committed (the tree's level-0 node).
  // Derived data, which an insider may also have changed: the verifier uses it only to say
  // which side of a broken chain link was altered.
  std::optional<std::string> RecordedLeafHash(std::uint64_t index) const;
  // One past the largest stored entry key (0 if none).
  Result<std::uint64_t> EndIndex() const;
  // The stored rows of the domain projections (ledger/funds_query.h reads them), as of the
  // reader's open. Derived data: `ledgerctl verify` checks them against a replay of the log.
  const RowReader& projection_rows() const;

 private:
  struct Rocks;
  LogReader() = default;
  std::unique_ptr<Rocks> rocks_;
  std::string origin_;
  std::string checkpoint_;
};

}  // namespace ledger
