// crash_writer: the child process of tests/tools/crash_test.cc. Opens an existing ledger and
// appends to it until it is killed, reporting every acknowledged receipt on stdout the moment
// its callback runs, so the parent knows exactly what the store promised before the kill.
//
//   usage: crash_writer DATA_DIR KEY_FILE RUN
//
// Appends are documents signed by KEY_FILE (an actor already registered: the writer registers
// nothing), kept kInFlightMax at a time; every kRosterEvery-th submission is a roster of
// kRosterEvents events instead of a single event. Event ids carry RUN so they stay unique across
// runs on one ledger:
//   e<RUN>-<n>             single event number n
//   r<RUN>-<m>-<k>         event k of roster "r<RUN>-<m>"
// Output lines, each block written with one write(2) (well under PIPE_BUF, so never interleaved):
//   roster <roster id>         just before the roster is submitted
//   ack <event id> <index>     after the receipt (a roster's kRosterEvents lines in one write)
//   fail <event id> <status>   an append was refused; the writer exits 1
// Exit codes: 1 refused append or failed write, 2 usage, 3 the ledger or key cannot be read.
// It never exits 0: it stops only when killed.
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/hash.h"
#include "crypto/note.h"
#include "crypto/signing.h"
#include "ledger/event_signer.h"
#include "ledger/event_store.h"

namespace {

// Appends submitted and not yet answered: enough to fill the store's group commits.
constexpr std::size_t kInFlightMax = 32;
// Every kRosterEvery-th submission is a roster, so about one append in three is a roster event.
constexpr std::uint64_t kRosterEvery = 8;
constexpr std::size_t kRosterEvents = 20;
// Signer clock for every event: fixed, so an event's bytes depend only on its id.
constexpr std::int64_t kTimestampMs = 1735689600000;  // 2025-01-01T00:00:00Z.

// Writes all of `text` to stdout, or exits: a writer that cannot report is of no use.
void Report(std::string_view text) {
  while (!text.empty()) {
    ssize_t written = ::write(STDOUT_FILENO, text.data(), text.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) ::_exit(1);
    text.remove_prefix(static_cast<std::size_t>(written));
  }
}

[[noreturn]] void Refused(const std::string& event_id, const ledger::Status& status) {
  Report("fail " + event_id + " " + status.ToString() + "\n");
  ::_exit(1);
}

// Bounds the appends in flight: Acquire before a submission, Release in its callback.
class InFlight {
 public:
  void Acquire() {
    std::unique_lock<std::mutex> lock(mutex_);
    released_.wait(lock, [this] { return count_ < kInFlightMax; });
    ++count_;
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --count_;
    }
    released_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable released_;
  std::size_t count_ = 0;
};

ledger::v1::Event Document(const std::string& origin, const std::string& event_id) {
  ledger::v1::Event event;
  event.set_origin(origin);
  event.set_event_id(event_id);
  event.set_timestamp_ms(kTimestampMs);
  auto* document = event.mutable_document_filed();
  document->set_document_number("crash-" + event_id);
  document->set_title("crash test document");
  document->set_sha256(std::string(crypto::AsBytes(crypto::Sha256(event_id))));
  return event;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: crash_writer DATA_DIR KEY_FILE RUN\n");
    return 2;
  }
  const std::string data_dir = argv[1];
  const std::string run = argv[3];
  if (!crypto::Initialize()) return 3;
  auto key = crypto::ReadSignerKeyFile(argv[2]);
  if (!key.ok()) {
    std::fprintf(stderr, "crash_writer: %s\n", key.status().ToString().c_str());
    return 3;
  }
  // A batch holding a roster writes its entries as an ingested table file, one of singles
  // only as a WriteBatch: kills land in both paths and between a file and its WriteBatch.
  ledger::StoreOptions options{data_dir, 0, {}};
  options.ingest_entries_min = kRosterEvents;
  auto store = ledger::EventStore::Open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "crash_writer: %s\n", store.status().ToString().c_str());
    return 3;
  }
  const std::string origin = (*store)->origin();
  InFlight in_flight;

  for (std::uint64_t n = 0;; ++n) {
    in_flight.Acquire();
    if (n % kRosterEvery != kRosterEvery - 1) {
      std::string event_id = "e" + run + "-" + std::to_string(n);
      std::string signed_event = ledger::SignEvent(Document(origin, event_id), key->key);
      (*store)->Submit(std::move(signed_event),
                       [&in_flight, event_id](ledger::Result<ledger::Receipt> receipt) {
                         if (!receipt.ok()) Refused(event_id, receipt.status());
                         Report("ack " + event_id + " " + std::to_string(receipt->index) + "\n");
                         in_flight.Release();
                       });
      continue;
    }
    const std::string roster_id = "r" + run + "-" + std::to_string(n / kRosterEvery);
    std::vector<ledger::v1::Event> events;
    std::vector<std::string> event_ids;
    for (std::size_t k = 0; k < kRosterEvents; ++k) {
      event_ids.push_back(roster_id + "-" + std::to_string(k));
      events.push_back(Document(origin, event_ids.back()));
    }
    ledger::v1::RosterHeader header;
    header.set_origin(origin);
    header.set_roster_id(roster_id);
    header.set_timestamp_ms(kTimestampMs);
    std::string signed_roster = ledger::SignRoster(header, events, key->key);
    Report("roster " + roster_id + "\n");
    (*store)->SubmitRoster(
        std::move(signed_roster),
        [&in_flight, roster_id, event_ids](ledger::Result<std::vector<ledger::Receipt>> receipts) {
          if (!receipts.ok()) Refused(roster_id, receipts.status());
          if (receipts->size() != event_ids.size()) {
            Refused(roster_id, ledger::Status(ledger::Code::kCorruption, "receipt count differs"));
          }
          std::string lines;
          for (std::size_t k = 0; k < event_ids.size(); ++k) {
            lines += "ack " + event_ids[k] + " " + std::to_string((*receipts)[k].index) + "\n";
          }
          Report(lines);
          in_flight.Release();
        });
  }
}
