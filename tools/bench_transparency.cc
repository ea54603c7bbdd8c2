#include "tools/bench_transparency.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "api/handlers.h"
#include "crypto/hash.h"
#include "crypto/signing.h"
#include "ledger/constants.h"
#include "ledger/event_signer.h"
#include "ledger/event_store.h"
#include "ledger/tile_path.h"
#include "tools/cli.h"

namespace tools {
namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kOrigin = "bench-transparency";
// Requests of each kind timed, after as many untimed ones to warm the caches the way a serving
// ledger's are warm.
constexpr std::size_t kSamples = 5'000;
// Rosters the builder keeps in flight: enough to overlap checking one with committing another.
constexpr std::size_t kRostersInFlight = 3;
// Waiting for RocksDB's background work after the build: polled this often, for at most this long.
constexpr auto kSettlePoll = std::chrono::milliseconds(100);
constexpr auto kSettleMax = std::chrono::seconds(600);

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return values[static_cast<std::size_t>(p * static_cast<double>(values.size() - 1))];
}

std::string SignedRoster(const crypto::SecretKey& admin, std::uint64_t first, std::uint64_t count) {
  std::vector<ledger::v1::Event> events;
  events.reserve(count);
  for (std::uint64_t id = first; id < first + count; ++id) {
    ledger::v1::Event event;
    event.set_origin(kOrigin);
    event.set_event_id("doc-" + std::to_string(id));
    event.set_timestamp_ms(NowMs());
    auto* doc = event.mutable_document_filed();
    doc->set_document_number("巴财社〔2025〕" + std::to_string(id) + "号");
    doc->set_title("就业补助资金拨付凭证");
    doc->set_sha256(std::string(crypto::AsBytes(crypto::Sha256(event.event_id()))));
    events.push_back(std::move(event));
  }
  ledger::v1::RosterHeader header;
  header.set_origin(kOrigin);
  header.set_roster_id("roster-" + std::to_string(first));
  header.set_timestamp_ms(NowMs());
  return ledger::SignRoster(header, events, admin);
}

// Appends rosters of roster_events_max events until the log holds `entries`.
ledger::Status Build(ledger::EventStore* store, const crypto::SecretKey& admin, std::uint64_t entries) {
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t in_flight = 0;
  ledger::Status failure;
  for (std::uint64_t next = store->size(); next < entries;) {
    const std::uint64_t count = std::min<std::uint64_t>(ledger::constants::roster_events_max, entries - next);
    std::string roster = SignedRoster(admin, next, count);
    next += count;
    std::unique_lock<std::mutex> lock(mutex);
    changed.wait(lock, [&] { return in_flight < kRostersInFlight; });
    if (!failure.ok()) break;
    ++in_flight;
    lock.unlock();
    store->SubmitRoster(std::move(roster), [&](ledger::Result<std::vector<ledger::Receipt>> receipts) {
      std::lock_guard<std::mutex> guard(mutex);
      if (!receipts.ok() && failure.ok()) failure = receipts.status();
      --in_flight;
      changed.notify_all();
    });
  }
  std::unique_lock<std::mutex> lock(mutex);
  changed.wait(lock, [&] { return in_flight == 0; });
  return failure;
}

// Server-side time of each GET, through the API's handlers; the answer must be 200.
ledger::Result<std::vector<double>> Time(api::Api& api, const std::vector<std::string>& targets) {
  std::vector<double> micros;
  micros.reserve(targets.size());
  for (const std::string& target : targets) {
    api::HttpResponse response;
    const Clock::time_point start = Clock::now();
    api.Handle(api::HttpRequest{"GET", target, "", {}}, [&response](api::HttpResponse r) { response = std::move(r); });
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    if (response.status != 200) {
      return ledger::Status(ledger::Code::kInvalidArgument, "GET " + target + " answered " +
                                                                std::to_string(response.status) + ": " + response.body);
    }
  }
  return micros;
}

}  // namespace

ledger::Result<TransparencyBenchResult> RunTransparencyBench(const std::string& dir, std::uint64_t entries) {
  crypto::SecretKey admin = crypto::SecretKey::Generate();
  ledger::CreateOptions create;
  create.data_dir = dir;
  create.origin = kOrigin;
  create.first_admin.set_name("bench-admin");
  create.first_admin.set_public_key(std::string(crypto::AsBytes(admin.public_key())));
  create.first_admin.set_role(ledger::v1::ROLE_ADMIN);
  // A log this bench built before (--dir kept) is measured again as it is, with no new appends.
  const bool reuse = std::filesystem::exists(ledger::DatabasePath(dir));
  if (!reuse) {
    if (auto s = ledger::EventStore::Create(create); !s.ok()) return s;
  }
  auto store = ledger::EventStore::Open({dir, 0, {}});
  if (!store.ok()) return store.status();

  TransparencyBenchResult result;
  const Clock::time_point build_start = Clock::now();
  if (!reuse) {
    if (auto s = Build(store->get(), admin, entries); !s.ok()) return s;
  }
  const double build_seconds = std::chrono::duration<double>(Clock::now() - build_start).count();
  const std::uint64_t size = (*store)->size();
  result.entries = size;
  result.build_per_second = reuse ? 0 : static_cast<double>(size - 1) / build_seconds;
  // A log serving auditors has long finished compacting what it appended; one just bulk-loaded
  // has not, and its compactions would take the cores from the timed requests.
  const Clock::time_point settle_start = Clock::now();
  while ((*store)->BackgroundWorkPending() && Clock::now() - settle_start < kSettleMax) {
    std::this_thread::sleep_for(kSettlePoll);
  }
  result.settle_seconds = std::chrono::duration<double>(Clock::now() - settle_start).count();
  if (size < ledger::kTileWidthFull) return ledger::Status(ledger::Code::kInvalidArgument, "the log needs a full tile");

  // Requests as an auditor's client makes them: proofs against trees of the recent half of the
  // log, any entry; tiles anywhere.
  std::mt19937_64 random(42);
  std::vector<std::string> inclusion, consistency, tiles;
  for (std::size_t i = 0; i < 2 * kSamples; ++i) {
    const std::uint64_t tree_size = size / 2 + random() % (size - size / 2) + 1;
    inclusion.push_back("/v1/proofs/inclusion?index=" + std::to_string(random() % tree_size) +
                        "&tree_size=" + std::to_string(tree_size));
    consistency.push_back("/v1/proofs/consistency?old_size=" + std::to_string(random() % tree_size + 1) +
                          "&tree_size=" + std::to_string(tree_size));
    tiles.push_back("/" + ledger::FormatTilePath(ledger::TileId{false, 0, random() % (size / ledger::kTileWidthFull),
                                                                ledger::kTileWidthFull}));
  }
  {
    constexpr int kHashes = 200'000;
    crypto::Hash hash{};
    const Clock::time_point start = Clock::now();
    for (int i = 0; i < kHashes; ++i) hash = crypto::NodeHash(hash, hash);
    result.node_hash_ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count() / kHashes;
    volatile unsigned char keep = hash[0];  // The loop's result is used, so it is not optimised away.
    (void)keep;
  }
  api::Api api(store->get(), [](const api::HttpRequest&) -> ledger::Result<crypto::PublicKey> {
    return ledger::Status(ledger::Code::kBadSignature, "the bench signs nothing");
  });
  struct Phase {
    const std::vector<std::string>* targets;
    double* p50;
    double* p99;
  };
  for (const Phase& phase : {Phase{&inclusion, &result.inclusion_p50_us, &result.inclusion_p99_us},
                             Phase{&consistency, &result.consistency_p50_us, &result.consistency_p99_us},
                             Phase{&tiles, &result.tile_p50_us, &result.tile_p99_us}}) {
    const std::vector<std::string> warm(phase.targets->begin(), phase.targets->begin() + kSamples);
    const std::vector<std::string> timed(phase.targets->begin() + kSamples, phase.targets->end());
    if (auto w = Time(api, warm); !w.ok()) return w.status();
    auto micros = Time(api, timed);
    if (!micros.ok()) return micros.status();
    *phase.p50 = Percentile(*micros, 0.50);
    *phase.p99 = Percentile(*micros, 0.99);
  }
  if (auto s = (*store)->Close(); !s.ok()) return s;
  return result;
}

}  // namespace tools
