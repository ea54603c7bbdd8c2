// A minimal C2SP tlog-witness: verifies and cosigns checkpoints of the logs it is configured
// with, keeping the latest cosigned checkpoint per origin on disk. The `witness` binary
// (tools/witness_main.cc) serves it over HTTP; the tests use it to witness ledgerd.
//
// POST /add-checkpoint body (tlog-witness):
//   "old " decimal "\n"  *( base64(32-byte hash) "\n" )  "\n"  checkpoint note
// Answers, in the order the checks run: 400 (body malformed, old > size), 404 (origin not
// configured), 403 (no valid signature by the log's key), 409 with "N\n" as
// text/x.tlog.size (old is not N, the size last cosigned), 409 (old == size, other root),
// 422 (the consistency proof does not verify; from 0 it must be empty), 500 (could not persist),
// 200 with one cosignature line. The new checkpoint is durable (written to a temporary file,
// fsynced, renamed over DIR/<hex SHA-256 of origin>.checkpoint, directory fsynced) before 200 is
// answered, and the check and the write happen under one lock, so no two answers race.
//
// Thread-safe: AddCheckpoint may be called from any number of threads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/cosignature.h"
#include "crypto/note.h"
#include "ledger/status.h"

namespace tools {

struct WitnessAnswer {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class Witness {
 public:
  // `dir` must exist. Reads the stored checkpoint of each configured log. kInvalidArgument if
  // two logs share an origin or the name is not a valid key name; kCorruption if a stored file
  // does not hold a checkpoint of its origin; kIOError if it cannot be read.
  static ledger::Result<std::unique_ptr<Witness>> Open(std::string dir, std::string name,
                                                       crypto::SecretKey key,
                                                       std::vector<crypto::VerifierKey> logs);

  // Answers one add-checkpoint request body; `now_seconds` is the cosignature's time.
  WitnessAnswer AddCheckpoint(std::string_view body, std::uint64_t now_seconds);
  // The witness's verifier key (crypto::FormatCosignerKey).
  std::string CosignerKeyText() const;

 private:
  struct Log {
    crypto::VerifierKey key;
    std::uint64_t size = 0;
    crypto::Hash root{};
  };
  Witness(std::string dir, std::string name, crypto::SecretKey key)
      : dir_(std::move(dir)), name_(std::move(name)), key_(std::move(key)) {}
  std::string PathOf(std::string_view origin) const;
  ledger::Status Persist(std::string_view origin, std::string_view note) const;

  const std::string dir_;
  const std::string name_;
  const crypto::SecretKey key_;
  std::mutex mutex_;
  std::map<std::string, Log, std::less<>> logs_;  // By origin. Guarded by mutex_.
};

}  // namespace tools
