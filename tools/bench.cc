// `ledgerctl bench`: the ledger's throughput, latency, memory and disk figures, each printed
// beside the machine limit it is bounded by, measured in the same run. See docs/bench.md.
#include <pthread.h>
#include <malloc.h>
#include <sys/resource.h>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <rocksdb/db.h>
#include <time.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <latch>
#include <mutex>
#include <thread>

#include "crypto/signing.h"
#include "ledger/constants.h"
#include "ledger/event_signer.h"
#include "ledger/event_store.h"
#include "ledger/log_reader.h"
#include "replay/verifier.h"
#include "api/request_auth.h"
#include "api/server.h"
#include "crypto/hash.h"
#include "tools/bench_funds.h"
#include "tools/bench_transparency.h"
#include "tools/cli.h"
#include "tools/commands.h"

namespace tools {

namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kOrigin = "bench-ledger";
constexpr std::size_t kSubmitters = 64;
// Events signed ahead of a timed round; bounds the bench's own memory on a 10-million run.
constexpr std::size_t kRoundEventsMax = 100'000;
constexpr double kLimitSeconds = 1.5;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

unsigned Cores() { return std::max(1u, std::thread::hardware_concurrency()); }

// Ed25519 verifications per second with every core verifying.
double MeasureVerifyLimit() {
  crypto::SecretKey key = crypto::SecretKey::Generate();
  const std::string message(200, 'm');
  const crypto::Signature signature = key.Sign(message);
  std::atomic<std::uint64_t> total{0};
  std::vector<std::thread> threads;
  auto start = Clock::now();
  for (unsigned t = 0; t < Cores(); ++t) {
    threads.emplace_back([&] {
      pthread_setname_np(pthread_self(), "bench-limit");
      std::uint64_t n = 0;
      while (Seconds(Clock::now() - start) < kLimitSeconds) {
        for (int i = 0; i < 64; ++i) n += crypto::Verify(key.public_key(), message, signature) ? 1 : 0;
      }
      total += n;
    });
  }
  for (auto& thread : threads) thread.join();
  return static_cast<double>(total) / Seconds(Clock::now() - start);
}

// Synced single-write batches per second into a plain RocksDB on the same disk.
double MeasureSyncedWriteLimit(const std::string& dir) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(options, dir, &raw).ok()) return 0;
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  std::uint64_t n = 0;
  auto start = Clock::now();
  while (Seconds(Clock::now() - start) < kLimitSeconds) {
    rocksdb::WriteBatch batch;
    batch.Put("key" + std::to_string(n), std::string(300, 'v')).PermitUncheckedError();
    if (!db->Write(sync, &batch).ok()) return 0;
    ++n;
  }
  double rate = static_cast<double>(n) / Seconds(Clock::now() - start);
  db->Close().PermitUncheckedError();
  return rate;
}

struct Bench {
  std::string dir;
  std::uint64_t events = 200'000;
  std::uint64_t roster_events = 200'000;
  std::size_t window = 8;  // Appends each submitter keeps in flight.
  bool http = true;        // Also signed appends over HTTP (--no-http skips them).
  double resident_after_appends_mib = 0;
  crypto::SecretKey admin = crypto::SecretKey::Generate();
  std::vector<crypto::SecretKey> officers;
  std::unique_ptr<ledger::EventStore> store;
  std::uint64_t next_id = 0;
  google::protobuf::Struct figures;
  std::vector<std::string> lines;

  void Figure(const std::string& name, double value) {
    (*figures.mutable_fields())[name].set_number_value(value);
  }
  void Line(const std::string& text) { lines.push_back(text); }

  ledger::v1::Event NextEvent() { return MakeEvent(next_id++); }

  static ledger::v1::Event MakeEvent(std::uint64_t id) {
    ledger::v1::Event event;
    event.set_origin(kOrigin);
    event.set_event_id("bench-" + std::to_string(id));
    event.set_timestamp_ms(NowMs());
    auto* doc = event.mutable_document_filed();
    doc->set_document_number("巴财社〔2025〕" + std::to_string(id) + "号");
    doc->set_title("就业补助资金拨付凭证");
    doc->set_sha256(std::string(crypto::AsBytes(crypto::Sha256(event.event_id()))));
    return event;
  }

  // Signs `count` events spread over the submitters, on all cores (not timed).
  std::vector<std::vector<std::string>> SignRound(std::size_t count) {
    std::vector<std::vector<std::string>> per_submitter(kSubmitters);
    const std::uint64_t first_id = next_id;
    next_id += count;
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < Cores(); ++t) {
      threads.emplace_back([&, t] {
        pthread_setname_np(pthread_self(), "bench-sign");
        for (std::size_t s = t; s < kSubmitters; s += Cores()) {
          for (std::size_t i = s; i < count; i += kSubmitters) {
            per_submitter[s].push_back(ledger::SignEvent(MakeEvent(first_id + i), officers[s]));
          }
        }
      });
    }
    for (auto& thread : threads) thread.join();
    return per_submitter;
  }

  ledger::Status Setup();
  ledger::Status SignedAppends(double verify_limit, double* peak_rate);
  ledger::Status LatencyAtHalfLoad(double peak_rate);
  ledger::Status Verification(double verify_limit);
  ledger::Status Rosters(double verify_limit);
  ledger::Status MemoryAndDisk();
  ledger::Status Funds(std::uint64_t fund_events);
  ledger::Status Transparency(std::uint64_t entries);
  ledger::Status HttpAppends(double in_process_rate);
};

ledger::Status Bench::Setup() {
  ledger::CreateOptions create;
  create.data_dir = dir + "/ledger";
  create.origin = kOrigin;
  create.first_admin.set_name("bench-admin");
  create.first_admin.set_public_key(std::string(crypto::AsBytes(admin.public_key())));
  create.first_admin.set_role(ledger::v1::ROLE_ADMIN);
  if (auto s = ledger::EventStore::Create(create); !s.ok()) return s;
  auto store_or = ledger::EventStore::Open({create.data_dir, 0, {}});
  if (!store_or.ok()) return store_or.status();
  store = std::move(*store_or);
  std::vector<ledger::v1::Event> registrations;
  for (std::size_t i = 0; i < kSubmitters; ++i) {
    officers.push_back(crypto::SecretKey::Generate());
    ledger::v1::Event event;
    event.set_origin(kOrigin);
    event.set_event_id("register-officer-" + std::to_string(i));
    event.set_timestamp_ms(NowMs());
    auto* actor = event.mutable_register_actor()->mutable_actor();
    actor->set_name("officer-" + std::to_string(i));
    actor->set_public_key(std::string(crypto::AsBytes(officers.back().public_key())));
    actor->set_role(ledger::v1::ROLE_FINANCE_OFFICER);
    registrations.push_back(event);
  }
  ledger::v1::RosterHeader header;
  header.set_origin(kOrigin);
  header.set_roster_id("officers");
  header.set_timestamp_ms(NowMs());
  auto receipts = store->AppendRoster(ledger::SignRoster(header, registrations, admin));
  return receipts.ok() ? ledger::Status::Ok() : receipts.status();
}

// Runs one thread per submitter, each keeping up to `window` appends in flight (the next is
// submitted when an earlier one is acknowledged), optionally paced to `rate_per_submitter`
// appends per second. Records each append's latency from submission to durable receipt.
struct RoundResult {
  double seconds = 0;
  std::uint64_t appended = 0;
  std::vector<double> latencies_ms;
  ledger::Status failure;
};

struct Submitter {
  std::mutex mutex;
  std::condition_variable acked;
  std::size_t in_flight = 0;
  std::vector<double> latencies_ms;
  ledger::Status failure;
};

void Submit(ledger::EventStore* store, std::vector<std::string>& events, std::size_t window,
            double rate, Submitter* self) {
  auto start = Clock::now();
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (rate > 0) {
      std::this_thread::sleep_until(
          start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(i / rate)));
    }
    {
      std::unique_lock<std::mutex> lock(self->mutex);
      self->acked.wait(lock, [&] { return self->in_flight < window; });
      if (!self->failure.ok()) break;
      ++self->in_flight;
    }
    auto t0 = Clock::now();
    // A full window refills when half of it is acknowledged: one wake-up per window/2 receipts
    // rather than one per receipt (as a client pipelining requests would).
    const std::size_t refill_at = window / 2;
    store->Submit(std::move(events[i]), [self, t0, refill_at](ledger::Result<ledger::Receipt> receipt) {
      double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      std::lock_guard<std::mutex> lock(self->mutex);
      self->latencies_ms.push_back(ms);
      if (!receipt.ok()) self->failure = receipt.status();
      --self->in_flight;
      if (self->in_flight <= refill_at || !self->failure.ok()) self->acked.notify_one();
    });
  }
  std::unique_lock<std::mutex> lock(self->mutex);
  self->acked.wait(lock, [&] { return self->in_flight == 0; });
}

RoundResult RunRound(ledger::EventStore* store, std::vector<std::vector<std::string>> work,
                     std::size_t window, double rate_per_submitter) {
  RoundResult result;
  std::vector<Submitter> submitters(work.size());
  std::latch ready(static_cast<std::ptrdiff_t>(work.size()) + 1);
  std::vector<std::thread> threads;
  for (std::size_t s = 0; s < work.size(); ++s) {
    threads.emplace_back([&, s] {
      pthread_setname_np(pthread_self(), "bench-submit");
      ready.arrive_and_wait();
      Submit(store, work[s], window, rate_per_submitter, &submitters[s]);
    });
  }
  ready.arrive_and_wait();
  auto start = Clock::now();
  for (auto& thread : threads) thread.join();
  result.seconds = Seconds(Clock::now() - start);
  for (Submitter& submitter : submitters) {
    result.appended += submitter.latencies_ms.size();
    result.latencies_ms.insert(result.latencies_ms.end(), submitter.latencies_ms.begin(),
                               submitter.latencies_ms.end());
    if (!submitter.failure.ok()) result.failure = submitter.failure;
  }
  return result;
}

// Resident memory now, in MiB, after returning freed heap pages to the OS.
double ResidentMib() {
  ::malloc_trim(0);
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // "VmRSS: N kB"
  }
  return 0;
}

double Percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  std::size_t k = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return values[k];
}

std::string Fixed(double value, int digits = 0) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

ledger::Status Bench::SignedAppends(double verify_limit, double* peak_rate) {
  double seconds = 0;
  std::uint64_t appended = 0;
  Progress progress("signed appends", events);
  while (appended < events) {
    std::size_t count = static_cast<std::size_t>(std::min<std::uint64_t>(kRoundEventsMax, events - appended));
    RoundResult round = RunRound(store.get(), SignRound(count), window, 0);
    if (!round.failure.ok()) return round.failure;
    seconds += round.seconds;
    appended += round.appended;
    progress.Update(appended);
  }
  progress.Finish();
  resident_after_appends_mib = ResidentMib();  // The open ledger; the bench's events are freed.
  *peak_rate = static_cast<double>(appended) / seconds;
  Figure("signed_appends_per_second", *peak_rate);
  Figure("signed_appends_ratio_to_verify_limit", *peak_rate / verify_limit);
  Line("signed appends, 64 submitters x " + std::to_string(window) + " in flight, durable before ack: " +
       Fixed(*peak_rate) + " events/s = " + Fixed(*peak_rate / verify_limit, 2) + " x verify limit " +
       Fixed(verify_limit) + "/s measured just before (target >= 0.75)");
  return ledger::Status::Ok();
}

ledger::Status Bench::LatencyAtHalfLoad(double peak_rate) {
  const double rate = peak_rate / 2;
  const std::size_t count = static_cast<std::size_t>(std::min(rate * 4, static_cast<double>(kRoundEventsMax)));
  RoundResult round = RunRound(store.get(), SignRound(count), window, rate / kSubmitters);
  if (!round.failure.ok()) return round.failure;
  double p50 = Percentile(round.latencies_ms, 0.50);
  double p99 = Percentile(round.latencies_ms, 0.99);
  Figure("half_load_rate_per_second", static_cast<double>(round.appended) / round.seconds);
  Figure("half_load_p50_ms", p50);
  Figure("half_load_p99_ms", p99);
  Line("latency at half of peak (" + Fixed(static_cast<double>(round.appended) / round.seconds) +
       " events/s offered " + Fixed(rate) + "): p50 " + Fixed(p50, 2) + " ms, p99 " + Fixed(p99, 2) +
       " ms (target p99 < 10 ms)");
  return ledger::Status::Ok();
}

// Verifies the log as an auditor would: with the ledger closed (an auditor's copy), then reopens
// the ledger for the next phase.
ledger::Status Bench::Verification(double verify_limit) {
  replay::VerifyOptions options;
  options.data_dir = dir + "/ledger";
  options.log_key = store->log_key();
  if (ledger::Status s = store->Close(); !s.ok()) return s;
  store.reset();
  std::optional<Progress> progress;
  options.progress = [&](std::uint64_t done, std::uint64_t total) {
    if (!progress) progress.emplace("verify", total);
    progress->Update(done);
  };
  auto start = Clock::now();
  auto report = replay::VerifyLog(options);
  double seconds = Seconds(Clock::now() - start);
  if (progress) progress->Finish();
  if (!report.ok()) return report.status();
  if (!report->ok()) return report->problem;
  auto reopened = ledger::EventStore::Open({dir + "/ledger", 0, {}});
  if (!reopened.ok()) return reopened.status();
  store = std::move(*reopened);
  double rate = static_cast<double>(report->entries_verified) / seconds;
  Figure("verify_entries_per_second", rate);
  Figure("verify_ratio_to_verify_limit", rate / verify_limit);
  Line("full verification of " + std::to_string(report->entries_verified) +
       " individually signed entries: " + Fixed(rate) + " entries/s = " + Fixed(rate / verify_limit, 2) +
       " x verify limit " + Fixed(verify_limit) + "/s measured just before (target >= 0.9)");
  return ledger::Status::Ok();
}

ledger::Status Bench::Rosters(double verify_limit) {
  const std::size_t per_roster = ledger::constants::roster_events_max;
  const std::size_t rosters = std::max<std::size_t>(1, roster_events / per_roster);
  std::vector<std::string> signed_rosters;
  for (std::size_t r = 0; r < rosters; ++r) {
    std::vector<ledger::v1::Event> roster;
    for (std::size_t i = 0; i < per_roster; ++i) roster.push_back(NextEvent());
    ledger::v1::RosterHeader header;
    header.set_origin(kOrigin);
    header.set_roster_id("roster-" + std::to_string(r));
    header.set_timestamp_ms(NowMs());
    signed_rosters.push_back(ledger::SignRoster(header, roster, officers[r % kSubmitters]));
  }
  std::atomic<std::size_t> next{0};
  ledger::Status failure;
  std::mutex mutex;
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (std::size_t r = next++; r < rosters; r = next++) {
        auto receipts = store->AppendRoster(std::move(signed_rosters[r]));
        if (!receipts.ok()) {
          std::lock_guard<std::mutex> lock(mutex);
          failure = receipts.status();
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  double seconds = Seconds(Clock::now() - start);
  if (!failure.ok()) return failure;
  double rate = static_cast<double>(rosters * per_roster) / seconds;
  Figure("roster_events_per_second", rate);
  Figure("roster_ratio_to_verify_limit", rate / verify_limit);
  Line("roster appends (" + std::to_string(rosters) + " rosters of " + std::to_string(per_roster) +
       " events, one signature each): " + Fixed(rate) + " events/s durable (target >= 150000)");
  return ledger::Status::Ok();
}

ledger::Status Bench::Funds(std::uint64_t fund_events) {
  auto result = RunFundsBench(dir + "/funds", fund_events);
  if (!result.ok()) return result.status();
  const FundsBenchResult& r = *result;
  Figure("fund_entries", static_cast<double>(r.entries));
  Figure("fund_roster_events_per_second", r.append_per_second);
  Figure("rebuild_events_per_second", r.rebuild_per_second);
  Figure("raw_scan_entries_per_second", r.scan_per_second);
  Figure("balance_head_p50_us", r.head_p50_us);
  Figure("balance_head_p99_us", r.head_p99_us);
  Figure("balance_as_of_p50_us", r.as_of_p50_us);
  Figure("balance_as_of_p99_us", r.as_of_p99_us);
  Line("fund flows: " + std::to_string(r.entries) + " entries (disbursements and reversals by roster, " +
       Fixed(r.append_per_second) + " events/s durable)");
  Line("projection rebuild: " + Fixed(r.rebuild_per_second) + " events/s = " +
       Fixed(r.rebuild_per_second / r.scan_per_second, 2) + " x raw RocksDB scan of the same log " +
       Fixed(r.scan_per_second) + " entries/s (target >= 500000 events/s)");
  Line("balance query at the head: p50 " + Fixed(r.head_p50_us, 1) + " us, p99 " + Fixed(r.head_p99_us, 1) +
       " us (target < 50 us); as of a random past index: p50 " + Fixed(r.as_of_p50_us, 1) + " us, p99 " +
       Fixed(r.as_of_p99_us, 1) + " us (target < 5 ms on 1 million events)");
  return ledger::Status::Ok();
}

// CPU time of the calling thread, in seconds.
ledger::Status Bench::Transparency(std::uint64_t entries) {
  auto result = RunTransparencyBench(dir + "/transparency", entries);
  if (!result.ok()) return result.status();
  const TransparencyBenchResult& r = *result;
  Figure("transparency_entries", static_cast<double>(r.entries));
  Figure("inclusion_proof_p50_us", r.inclusion_p50_us);
  Figure("inclusion_proof_p99_us", r.inclusion_p99_us);
  Figure("consistency_proof_p50_us", r.consistency_p50_us);
  Figure("consistency_proof_p99_us", r.consistency_p99_us);
  Figure("full_tile_p50_us", r.tile_p50_us);
  Figure("full_tile_p99_us", r.tile_p99_us);
  Figure("node_hash_ns", r.node_hash_ns);
  Line("transparency: " + std::to_string(r.entries) + " entries built by roster at " + Fixed(r.build_per_second) +
       " events/s; served in process through the API handlers (one node hash costs " + Fixed(r.node_hash_ns) +
       " ns on this machine now):");
  Line("  inclusion proof p50 " + Fixed(r.inclusion_p50_us, 1) + " us, p99 " + Fixed(r.inclusion_p99_us, 1) +
       " us; consistency proof p50 " + Fixed(r.consistency_p50_us, 1) + " us, p99 " + Fixed(r.consistency_p99_us, 1) +
       " us (target p99 < 200 us at 10 million)");
  Line("  full tile (8,192 bytes) p50 " + Fixed(r.tile_p50_us, 1) + " us, p99 " + Fixed(r.tile_p99_us, 1) +
       " us (target p99 < 100 us at 10 million)");
  return ledger::Status::Ok();
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Signed appends over HTTP: ledgerd's server in this process on loopback, 64 keep-alive
// connections, each with one request in flight (the server answers one request per connection
// at a time). Events and request signatures are made before the timed phase.
ledger::Status Bench::HttpAppends(double in_process_rate) {
  namespace asio = boost::asio;
  namespace beast = boost::beast;
  namespace http = beast::http;
  api::ServerOptions options;
  options.port = 0;
  api::Server server(store.get(), options);
  if (auto s = server.Start(); !s.ok()) return s;
  const std::size_t count = static_cast<std::size_t>(std::min<std::uint64_t>(events, kRoundEventsMax));
  std::vector<std::vector<std::string>> work = SignRound(count);
  std::vector<std::vector<http::request<http::string_body>>> requests(kSubmitters);
  const std::int64_t now = NowMs();
  for (std::size_t s = 0; s < kSubmitters; ++s) {
    for (std::string& event : work[s]) {
      http::request<http::string_body> request{http::verb::post, "/v1/events", 11};
      request.set(http::field::host, "127.0.0.1");
      request.keep_alive(true);
      request.body() = "{\"signed_event\":\"" + crypto::Base64Encode(event) + "\"}";
      auto signature = api::SignRequest(officers[s], kOrigin, "POST", "/v1/events", now, request.body());
      request.set(std::string(api::kKeyHeader), signature.key_b64);
      request.set(std::string(api::kTimestampHeader), signature.timestamp);
      request.set(std::string(api::kSignatureHeader), signature.signature_b64);
      request.prepare_payload();
      requests[s].push_back(std::move(request));
    }
  }
  std::vector<std::vector<double>> latencies(kSubmitters);
  std::vector<double> client_cpu(kSubmitters, 0);
  std::atomic<std::uint64_t> acknowledged{0};
  std::mutex mutex;
  ledger::Status failure;
  std::latch ready(static_cast<std::ptrdiff_t>(kSubmitters) + 1);
  std::vector<std::thread> threads;
  for (std::size_t s = 0; s < kSubmitters; ++s) {
    threads.emplace_back([&, s] {
      pthread_setname_np(pthread_self(), "bench-http");
      asio::io_context io;
      beast::tcp_stream stream(io);
      beast::error_code ec;
      stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()), ec);
      beast::flat_buffer buffer;
      ready.arrive_and_wait();
      const double cpu_start = ThreadCpuSeconds();
      for (auto& request : requests[s]) {
        if (ec) break;
        auto t0 = Clock::now();
        http::write(stream, request, ec);
        http::response<http::string_body> response;
        if (!ec) http::read(stream, buffer, response, ec);
        if (!ec && response.result_int() != 201) {
          std::lock_guard<std::mutex> lock(mutex);
          failure = ledger::Status(ledger::Code::kIOError, "HTTP " + std::to_string(response.result_int()) + ": " + response.body());
          break;
        }
        latencies[s].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        ++acknowledged;
      }
      client_cpu[s] = ThreadCpuSeconds() - cpu_start;
      if (ec) {
        std::lock_guard<std::mutex> lock(mutex);
        failure = ledger::Status(ledger::Code::kIOError, "HTTP client: " + ec.message());
      }
    });
  }
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  ready.arrive_and_wait();
  auto start = Clock::now();
  for (auto& thread : threads) thread.join();
  const double seconds = Seconds(Clock::now() - start);
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  server.Stop();
  if (!failure.ok()) return failure;
  auto cpu = [](const rusage& r) {
    return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
           static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
  };
  const double process_cpu = cpu(after) - cpu(before);
  double client = 0;
  for (double c : client_cpu) client += c;
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  const double rate = static_cast<double>(acknowledged.load()) / seconds;
  const double p99 = Percentile(all, 0.99);
  Figure("http_appends_per_second", rate);
  Figure("http_ratio_to_in_process", rate / in_process_rate);
  Figure("http_p99_ms", p99);
  Figure("http_client_cpu_share", process_cpu > 0 ? client / process_cpu : 0);
  Line("signed appends over HTTP, 64 keep-alive connections, one request each in flight: " + Fixed(rate) +
       " events/s = " + Fixed(rate / in_process_rate, 2) + " x the in-process rate " + Fixed(in_process_rate) +
       "/s (target >= 0.7); p99 " + Fixed(p99, 1) + " ms; the bench's HTTP clients took " +
       Fixed(process_cpu > 0 ? 100 * client / process_cpu : 0) + "% of the process's CPU in that phase");
  return ledger::Status::Ok();
}

ledger::Status Bench::MemoryAndDisk() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  double peak_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;
  std::uint64_t disk = 0;
  for (const auto& file : std::filesystem::recursive_directory_iterator(dir + "/ledger")) {
    if (file.is_regular_file()) disk += file.file_size();
  }
  std::uint64_t entry_bytes = 0, entries = 0;
  auto reader = ledger::LogReader::Open(dir + "/ledger");
  if (!reader.ok()) return reader.status();
  ledger::Status status = (*reader)->Scan(0, [&](std::uint64_t, std::string_view bytes) {
    entry_bytes += bytes.size();
    ++entries;
    return true;
  });
  if (!status.ok()) return status;
  Figure("peak_rss_mib", peak_mib);
  Figure("disk_bytes", static_cast<double>(disk));
  Figure("entry_bytes", static_cast<double>(entry_bytes));
  Figure("disk_ratio_to_entry_bytes", entry_bytes ? static_cast<double>(disk) / static_cast<double>(entry_bytes) : 0);
  Figure("resident_after_appends_mib", resident_after_appends_mib);
  Line("memory: peak resident " + Fixed(peak_mib) + " MiB for the whole process, including the bench's own signed events;"
       " " + Fixed(resident_after_appends_mib) + " MiB resident with the ledger open after the appends, the bench's "
       "events freed (target < 512)");
  Line("disk: " + Fixed(static_cast<double>(disk) / 1048576.0, 1) + " MiB for " + std::to_string(entries) +
       " entries of " + Fixed(static_cast<double>(entry_bytes) / 1048576.0, 1) + " MiB = " +
       Fixed(entry_bytes ? static_cast<double>(disk) / static_cast<double>(entry_bytes) : 0, 2) +
       " x entry bytes (target < 2)");
  return ledger::Status::Ok();
}

}  // namespace

int RunBench(const std::vector<std::string>& argv) {
  auto args = Args::Parse(argv, {"json", "no-http"});
  if (!args || !args->OnlyKnown({"events", "roster-events", "fund-events", "proof-entries", "window", "dir", "json",
                                  "no-http"})) {
    return kExitUsage;
  }
  Bench bench;
  auto events = ParseUint(args->GetOr("events", "200000"));
  auto roster_events = ParseUint(args->GetOr("roster-events", "200000"));
  auto fund_events = ParseUint(args->GetOr("fund-events", "1000000"));
  auto proof_entries = ParseUint(args->GetOr("proof-entries", "1000000"));
  auto window = ParseUint(args->GetOr("window", "8"));
  if (!events || !roster_events || !fund_events || !proof_entries || !window || *window == 0 || *window > 4096 ||
      (*proof_entries > 0 && *proof_entries < ledger::kTileWidthFull)) {
    std::cerr << "error: --events, --roster-events, --fund-events and --proof-entries (0, or at least 256) take "
                 "integers, --window 1 to 4096\n";
    return kExitUsage;
  }
  bench.events = *events;
  bench.roster_events = *roster_events;
  bench.window = static_cast<std::size_t>(*window);
  bench.http = !args->Has("no-http");
  bool temporary = !args->Has("dir");
  bench.dir = args->GetOr("dir", (std::filesystem::temp_directory_path() / ("ledger-bench-" + RandomId())).string());
  std::filesystem::create_directories(bench.dir);

  double verify_limit = MeasureVerifyLimit();
  double write_limit = MeasureSyncedWriteLimit(bench.dir + "/limit");
  bench.Figure("cores", Cores());
  bench.Figure("verify_limit_per_second", verify_limit);
  bench.Figure("synced_batch_writes_per_second", write_limit);
  bench.Line("machine: " + std::to_string(Cores()) + " cores; Ed25519 verify limit " + Fixed(verify_limit) +
             "/s on all cores; synced RocksDB batch writes " + Fixed(write_limit) + "/s");

  double peak = 0;
  ledger::Status status = bench.Setup();
  // A shared machine's speed drifts (a 2-vCPU VM may share a physical core with a neighbour), so
  // each ratio is taken against the limit measured just before its phase.
  if (bench.events > 0) {  // --events 0 measures rosters alone.
    double limit = MeasureVerifyLimit();
    bench.Figure("verify_limit_before_appends_per_second", limit);
    if (status.ok()) status = bench.SignedAppends(limit, &peak);
    if (status.ok()) status = bench.LatencyAtHalfLoad(peak);
    if (status.ok() && bench.http) status = bench.HttpAppends(peak);
    limit = MeasureVerifyLimit();
    bench.Figure("verify_limit_before_verify_per_second", limit);
    if (status.ok()) status = bench.Verification(limit);
  }
  if (bench.roster_events > 0 && status.ok()) status = bench.Rosters(verify_limit);
  if (status.ok()) status = bench.store->Close();
  if (status.ok()) status = bench.MemoryAndDisk();
  if (status.ok() && *fund_events > 0) status = bench.Funds(*fund_events);
  if (status.ok() && *proof_entries > 0) status = bench.Transparency(*proof_entries);
  if (temporary) std::filesystem::remove_all(bench.dir);
  if (!status.ok()) {
    std::cerr << "error: " << status.ToString() << "\n";
    return ExitCodeFor(status);
  }
  if (args->Has("json")) {
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(bench.figures, &json);
    std::cout << json << "\n";
  } else {
    for (const std::string& line : bench.lines) std::cout << line << "\n";
  }
  return kExitOk;
}

}  // namespace tools
