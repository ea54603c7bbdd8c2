// Submits ledgerd's checkpoints to C2SP tlog-witness witnesses and keeps their cosignatures, so
// that GET /checkpoint can serve the log's checkpoint with them appended (docs/crypto.md,
// "Witnesses").
//
// One background thread looks for a new checkpoint every constants::witness_poll_interval_ms
// (never touching the append path, so a slow or dead witness cannot delay an append) and asks
// each witness in turn: POST <url>/add-checkpoint with "old M", the consistency proof from M to
// the checkpoint's size (crypto::ConsistencyProofFromNodes over EventStore::TreeNode) and the
// checkpoint note. M starts at 0; a 409 text/x.tlog.size answer teaches the witness's size and
// the submission is retried once at once. A returned cosignature is kept only if it verifies
// with the configured cosigner key over exactly the submitted checkpoint. At most one
// submission per witness is in flight (one thread), and a witness is always sent the latest
// checkpoint (older ones are skipped, never queued). Plain HTTP only.
//
// Thread-safe: Cosignatures may be called from any thread while the submitter runs.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "crypto/cosignature.h"
#include "ledger/event_store.h"
#include "ledger/status.h"

namespace api {

// http://HOST:PORT[/PREFIX] and the witness's cosigner key: ledgerd's --witness URL,KEY.
struct WitnessConfig {
  std::string host;
  std::string port;
  std::string prefix;  // "" or "/PREFIX" without a trailing '/'.
  crypto::CosignerKey key;
};

// Parses "URL,COSIGNER_KEY". kInvalidArgument naming what is wrong (an https:// URL included:
// the submitter speaks plain HTTP).
ledger::Result<WitnessConfig> ParseWitnessFlag(std::string_view text);

class WitnessSubmitter {
 public:
  // `store` outlives the submitter. At most constants::witnesses_max witnesses.
  WitnessSubmitter(ledger::EventStore* store, std::vector<WitnessConfig> witnesses);
  ~WitnessSubmitter();  // Stops.
  WitnessSubmitter(const WitnessSubmitter&) = delete;
  WitnessSubmitter& operator=(const WitnessSubmitter&) = delete;

  void Start();
  // Stops the thread after the submission in flight (bounded by witness timeouts). Idempotent.
  void Stop();

  // The verified cosignature lines (each ending in '\n') of the witnesses that cosigned exactly
  // `checkpoint_text`, in the order the witnesses were configured; "" if none.
  std::string Cosignatures(std::string_view checkpoint_text) const;

  // Each witness's cosigner key name and the size of the latest checkpoint it cosigned (0 before
  // the first), in configured order: GET /metrics shows how far each lags the log.
  std::vector<std::pair<std::string, std::uint64_t>> CosignedSizes() const;

 private:
  struct State {
    WitnessConfig config;
    std::uint64_t known_size = 0;    // The size the witness last cosigned, as we believe.
    std::string cosigned_text;       // The checkpoint text `cosignature` covers.
    std::string cosignature;         // Its verified line.
    std::uint64_t cosigned_size = 0;  // Its size.
    std::chrono::steady_clock::time_point retry_after{};
  };
  void Run();
  // One add-checkpoint exchange (with one retry after a 409 that teaches the size).
  void Submit(State* state, const std::string& note, const crypto::Checkpoint& checkpoint,
              const std::string& text);

  ledger::EventStore* const store_;
  std::vector<State> states_;  // Written by the thread; cosignature fields under mutex_.
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // Guarded by mutex_.
  std::thread thread_;
};

}  // namespace api
