// `ledgerctl bench`'s command line, and `bench --server` against the real ledgerd binary on
// loopback with a tiny workload: what it sent must be in the log, each event exactly once. No
// figure is judged: nothing here depends on timing.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "crypto/note.h"
#include "ledger/ledger.pb.h"
#include "tests/test_ledger.h"
#include "tests/tools/subprocess.h"

namespace {

using testing_ledger::TempDir;
using testing_ledger::TestLedger;
using testing_tools::Finished;
using testing_tools::kExitIoError;
using testing_tools::kExitOk;
using testing_tools::kExitUsage;
using testing_tools::Subprocess;

double UnixSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A number of `bench --json`'s object; NaN if it is missing.
double JsonFigure(const std::string& json, const std::string& name) {
  const std::string key = "\"" + name + "\":";
  const std::size_t at = json.find(key);
  if (at == std::string::npos) return std::nan("");
  return std::stod(json.substr(at + key.size()));
}

Finished Ledgerctl(std::vector<std::string> args) {
  args.insert(args.begin(), LEDGERCTL_PATH);
  return testing_tools::RunToCompletion(args);
}

TEST(BenchFlagsTest, ServerNeedsTheAdminKey) {
  Finished run = Ledgerctl({"bench", "--server", "http://127.0.0.1:1"});
  EXPECT_EQ(run.exit_code, kExitUsage);
  EXPECT_EQ(run.err, "error: --server needs --key ADMIN_KEY (it registers the bench's officers)\n");
}

TEST(BenchFlagsTest, PipelineDepthIsOneToSixtyFour) {
  for (const char* depth : {"0", "65", "x"}) {
    Finished run = Ledgerctl({"bench", "--server", "http://127.0.0.1:1", "--key", "k", "--pipeline", depth});
    EXPECT_EQ(run.exit_code, kExitUsage) << depth;
    EXPECT_NE(run.err.find("--pipeline 1 to 64"), std::string::npos) << run.err;
  }
}

TEST(BenchFlagsTest, InProcessFlagsAreRefusedWithServer) {
  Finished run = Ledgerctl({"bench", "--server", "http://127.0.0.1:1", "--key", "k", "--window", "8"});
  EXPECT_EQ(run.exit_code, kExitUsage);
  Finished balance_query = Ledgerctl({"bench", "--balance-query", "region=150802", "--events", "0"});
  EXPECT_EQ(balance_query.exit_code, kExitUsage);
}

TEST(BenchFlagsTest, HttpsServerIsAUsageError) {
  Finished run = Ledgerctl({"bench", "--server", "https://127.0.0.1:1", "--key", "k"});
  EXPECT_EQ(run.exit_code, kExitUsage);
}

// The half-load phase's timeline: one line per append, each acknowledged during the run and
// no slower than the run was long. A tiny in-process run (its figures are not judged).
TEST(BenchLatencyLogTest, HasALinePerHalfLoadAppend) {
  TempDir dir;
  const std::string log = dir.path() + "/latencies.txt";
  const double started = UnixSeconds();
  Finished run = Ledgerctl({"bench", "--events", "2000", "--roster-events", "0", "--fund-events", "0",
                            "--proof-entries", "0", "--no-http", "--dir", dir.path() + "/bench",
                            "--latency-log", log, "--json"});
  const double ended = UnixSeconds();
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  std::ifstream in(log);
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header, "# acked_unix_seconds latency_ms");
  std::size_t lines = 0;
  double acked = 0;
  double latency_ms = 0;
  while (in >> acked >> latency_ms) {
    ++lines;
    EXPECT_GE(acked, started);
    EXPECT_LE(acked, ended);
    EXPECT_GT(latency_ms, 0);
    EXPECT_LE(latency_ms, (ended - started) * 1000);
  }
  EXPECT_TRUE(in.eof());  // Every line parsed.
  EXPECT_EQ(lines, static_cast<std::size_t>(JsonFigure(run.out, "half_load_events")));
  EXPECT_GT(lines, 0u);
}

// The floor under the half-load latency is measured in the same run: a plain RocksDB's synced
// writes beside the phase's verification load, each taking some time, the longest no shorter
// than the p99, and an arriving append waiting at least for one whole write; and how much of
// the vCPUs' time the hypervisor took during the peak and half-load phases and the floor.
TEST(BenchLatencyLogTest, PrintsTheMachinesFloorAtHalfLoad) {
  TempDir dir;
  Finished run = Ledgerctl({"bench", "--events", "2000", "--roster-events", "0", "--fund-events", "0",
                            "--proof-entries", "0", "--no-http", "--dir", dir.path() + "/bench", "--json"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  const double p99 = JsonFigure(run.out, "half_load_floor_write_p99_ms");
  const double longest = JsonFigure(run.out, "half_load_floor_write_max_ms");
  const double arrival = JsonFigure(run.out, "half_load_floor_arrival_p99_ms");
  EXPECT_GT(p99, 0) << run.out;
  EXPECT_GE(longest, p99);
  EXPECT_GT(arrival, 0);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/bench/floor"));  // Its store is removed.
  // The hypervisor's share of the vCPUs (steal) in both phases and the floor: 0 on bare metal.
  for (const char* steal : {"signed_appends_steal_share", "half_load_steal_share", "half_load_floor_steal_share"}) {
    EXPECT_GE(JsonFigure(run.out, steal), 0) << steal;
    EXPECT_LT(JsonFigure(run.out, steal), 1) << steal;
  }
}

// The machine's write measurements fail with the store's reason, and the bench stops there.
// Here the limit's scratch RocksDB cannot be created: a file is where its folder would go.
TEST(BenchScratchTest, AnUnusableScratchStoreIsAnIoError) {
  TempDir dir;
  const std::string bench = dir.path() + "/bench";
  std::filesystem::create_directories(bench);
  std::ofstream(bench + "/limit") << "in the way\n";
  Finished run = Ledgerctl({"bench", "--events", "0", "--roster-events", "0", "--fund-events", "0",
                            "--proof-entries", "0", "--no-http", "--dir", bench});
  EXPECT_EQ(run.exit_code, kExitIoError);
  const std::string expected = "error: io_error: the scratch RocksDB in " + bench + "/limit: opening: ";
  EXPECT_EQ(run.err.substr(0, expected.size()), expected) << run.err;
  EXPECT_EQ(run.out, "");
}

class BenchServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::WriteKeyFiles(AdminKey(), "admin", ledger_.admin()).ok());
    size_before_ = ledger_.store().size();
    ledger_.Close();
    ledgerd_ = std::make_unique<Subprocess>(
        std::vector<std::string>{LEDGERD_PATH, "--data", ledger_.dir(), "--listen", "127.0.0.1:0"});
    ASSERT_TRUE(ledgerd_->started());
    const std::string announced = "on http://127.0.0.1:";  // ledgerd's line once it listens.
    std::string out, err;
    bool timed_out = false;
    while (err.find(announced) == std::string::npos || err.back() != '\n') {
      ASSERT_TRUE(ledgerd_->ReadSome(&out, &err, std::chrono::seconds(30), &timed_out)) << err;
      ASSERT_FALSE(timed_out) << err;
    }
    url_ = "http://127.0.0.1:" + err.substr(err.find(announced) + announced.size());
    url_.pop_back();  // The newline.
  }

  // Stops ledgerd and opens its ledger here.
  void StopLedgerd() {
    ledgerd_->Signal(SIGTERM);
    const int status = ledgerd_->Wait();
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    ledger_.Open();
  }

  // Every event appended since SetUp, by kind: event ids of documents, names of registered actors.
  void ReadAppended(std::map<std::string, int>* documents, std::vector<std::string>* actors) {
    for (std::uint64_t i = size_before_; i < ledger_.store().size(); ++i) {
      auto bytes = ledger_.store().ReadEntry(i);
      ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
      ledger::v1::LogEntry entry;
      ledger::v1::Event event;
      ASSERT_TRUE(entry.ParseFromString(*bytes));
      ASSERT_TRUE(event.ParseFromString(entry.signed_event().event()));
      if (event.has_document_filed()) ++(*documents)[event.event_id()];
      if (event.has_register_actor()) actors->push_back(event.register_actor().actor().name());
    }
  }

  std::string AdminKey() const { return files_.path() + "/admin.key"; }

  TestLedger ledger_;
  TempDir files_;
  std::uint64_t size_before_ = 0;
  std::unique_ptr<Subprocess> ledgerd_;
  std::string url_;
};

TEST_F(BenchServerTest, EveryEventSentIsInTheLogExactlyOnce) {
  constexpr int kEvents = 300;
  Finished run = Ledgerctl({"bench", "--server", url_, "--key", AdminKey(), "--events", std::to_string(kEvents),
                            "--pipeline", "4", "--connections", "4", "--balance-seconds", "1"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_NE(run.out.find("signed appends over HTTP, 64 keep-alive connections, pipeline depth 4: 300 events"),
            std::string::npos) << run.out;
  EXPECT_NE(run.out.find("balance queries over HTTP (/v1/balances), 4 connections, pipeline depth 4"),
            std::string::npos) << run.out;
  StopLedgerd();

  std::map<std::string, int> documents;
  std::vector<std::string> actors;
  ReadAppended(&documents, &actors);
  ASSERT_EQ(documents.size(), static_cast<std::size_t>(kEvents));
  // bench-<run id>-<n>, n from 0: every one sent, each once.
  const std::string first = documents.begin()->first;
  const std::string prefix = first.substr(0, first.rfind('-') + 1);
  for (int n = 0; n < kEvents; ++n) {
    auto it = documents.find(prefix + std::to_string(n));
    ASSERT_NE(it, documents.end()) << prefix << n;
    EXPECT_EQ(it->second, 1) << it->first;
  }
  ASSERT_EQ(actors.size(), 64u);
  EXPECT_EQ(actors.front(), prefix + "officer-0");
}

TEST_F(BenchServerTest, AppendsOnlyAndBalancesOnlyRunAlone) {
  Finished appends = Ledgerctl({"bench", "--server", url_, "--key", AdminKey(), "--events", "10", "--balance-seconds", "0"});
  ASSERT_EQ(appends.exit_code, kExitOk) << appends.err;
  EXPECT_EQ(appends.out.find("balance queries"), std::string::npos) << appends.out;
  Finished balances = Ledgerctl({"bench", "--server", url_, "--key", AdminKey(), "--events", "0", "--balance-seconds",
                                 "1", "--connections", "2", "--json"});
  ASSERT_EQ(balances.exit_code, kExitOk) << balances.err;
  EXPECT_NE(balances.out.find("\"http_balance_per_second\""), std::string::npos) << balances.out;
  EXPECT_EQ(balances.out.find("\"http_appends_per_second\""), std::string::npos) << balances.out;
  StopLedgerd();
  std::map<std::string, int> documents;
  std::vector<std::string> actors;
  ReadAppended(&documents, &actors);
  EXPECT_EQ(documents.size(), 10u);
  EXPECT_EQ(actors.size(), 128u);  // Each run registers its own 64 officers.
}

}  // namespace
