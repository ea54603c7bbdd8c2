// Crash safety of the event store, end to end: a writer process (tests/tools/crash_writer.cc)
// appends single events and rosters with many appends in flight and is killed with SIGKILL at a
// random moment; the reopened ledger must hold every acknowledged append at its acknowledged
// index, hold each roster whole or not at all, and verify from genesis. Runs repeat on the same
// ledger, so each recovery is also tested by the next run's appends and kill.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "crypto/note.h"
#include "ledger/event_store.h"
#include "ledger/log_reader.h"
#include "replay/verifier.h"
#include "tests/test_ledger.h"
#include "tests/tools/subprocess.h"

namespace {

using testing_ledger::TempDir;
using testing_ledger::TestLedger;
using testing_tools::Subprocess;

// Fixed, and printed with every failure, so a failing sequence of kill points can be replayed.
constexpr std::uint32_t kSeed = 20250101;
constexpr int kRuns = 15;
// Acknowledgements to wait for before the kill: from the very first one to several group
// commits' worth, so kills land in every stage of the pipeline.
constexpr std::size_t kAcksBeforeKillMin = 1;
constexpr std::size_t kAcksBeforeKillMax = 400;
// As in crash_writer.cc.
constexpr std::size_t kRosterEvents = 20;
// A writer that reports nothing for this long is hung, not slow.
constexpr auto kWriterSilenceMax = std::chrono::seconds(30);

// What the writers reported, over all runs.
struct Reported {
  std::map<std::string, std::uint64_t> acks;  // Event id -> acknowledged index.
  std::set<std::string> rosters;              // Roster ids announced before submission.
};

// Accepts the ids the writer makes (and the genesis entry's): for "r<run>-<m>-<k>" sets
// `roster_id` to "r<run>-<m>" and `k`; for "e<run>-<n>" and "genesis" leaves `roster_id` empty.
bool ParseEventId(const std::string& id, std::string* roster_id, std::size_t* k) {
  unsigned run = 0, number = 0, position = 0;
  if (id == "genesis") return true;
  if (std::sscanf(id.c_str(), "e%u-%u", &run, &number) == 2) {
    return id == "e" + std::to_string(run) + "-" + std::to_string(number);
  }
  if (std::sscanf(id.c_str(), "r%u-%u-%u", &run, &number, &position) == 3) {
    *roster_id = "r" + std::to_string(run) + "-" + std::to_string(number);
    *k = position;
    return id == *roster_id + "-" + std::to_string(position) && position < kRosterEvents;
  }
  return false;
}

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_path_ = keys_.path() + "/admin.key";
    ledger::Status status = crypto::WriteKeyFiles(key_path_, "admin", t.admin());
    ASSERT_TRUE(status.ok()) << status.ToString();
    log_key_ = t.store().log_key();
    t.Close();  // The writer process needs the database lock.
  }

  // Starts a writer for `run`, reads its reports until it has acknowledged `acks_wanted`
  // appends, then kills it with SIGKILL.
  void RunAndKillWriter(int run, std::size_t acks_wanted) {
    Subprocess writer({CRASH_WRITER_PATH, t.dir(), key_path_, std::to_string(run)},
                      {.capture_stderr = false});
    ASSERT_TRUE(writer.started());
    std::string out, unused_err;
    std::size_t acks = 0;
    std::size_t parsed = 0;  // Bytes of `out` already handled.
    while (acks < acks_wanted) {
      bool timed_out = false;
      bool open = writer.ReadSome(&out, &unused_err, kWriterSilenceMax, &timed_out);
      ASSERT_FALSE(timed_out) << "writer silent for 30 s after " << acks << " acks";
      for (std::size_t end; (end = out.find('\n', parsed)) != std::string::npos; parsed = end + 1) {
        ASSERT_NO_FATAL_FAILURE(HandleLine(out.substr(parsed, end - parsed), &acks));
      }
      if (!open) {
        int status = writer.Wait();
        FAIL() << "writer ended by itself after " << acks << " acks, wait status " << status;
      }
    }
    int status = writer.Kill();
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "wait status " << status;
  }

  void HandleLine(const std::string& line, std::size_t* acks) {
    char id[256];
    unsigned long long index = 0;
    if (std::sscanf(line.c_str(), "ack %255s %llu", id, &index) == 2) {
      auto [it, fresh] = reported_.acks.emplace(id, index);
      ASSERT_TRUE(fresh) << "event id " << id << " acknowledged twice";
      ++*acks;
    } else if (std::sscanf(line.c_str(), "roster %255s", id) == 1) {
      reported_.rosters.insert(id);
    } else {
      FAIL() << "writer reported: " << line;
    }
  }

  // Every acknowledged append is where its receipt said, in a log at least that long.
  void ExpectAcknowledgedAppendsKept() {
    std::uint64_t end = 0;
    for (const auto& [event_id, index] : reported_.acks) {
      auto found = t.store().FindEventId(event_id);
      ASSERT_TRUE(found.ok()) << "acknowledged " << event_id << " at " << index << " is lost: "
                              << found.status().ToString();
      EXPECT_EQ(*found, index) << event_id;
      end = std::max(end, index + 1);
    }
    EXPECT_GE(t.store().size(), end);
  }

  // Walks the whole log: each entry is stored under its index, its event id leads back to it,
  // it is one of the writer's, and every roster present is whole and contiguous. A roster that
  // was announced but is absent has none of its event ids indexed either.
  void ExpectEveryRosterWholeOrAbsent() {
    std::map<std::string, std::map<std::size_t, std::uint64_t>> rosters;  // id -> k -> index
    for (std::uint64_t index = 0; index < t.store().size(); ++index) {
      auto bytes = t.store().ReadEntry(index);
      ASSERT_TRUE(bytes.ok()) << "entry " << index << ": " << bytes.status().ToString();
      ledger::v1::LogEntry entry;
      ledger::v1::Event event;
      ASSERT_TRUE(entry.ParseFromString(*bytes)) << index;
      ASSERT_TRUE(event.ParseFromString(entry.signed_event().event())) << index;
      ASSERT_EQ(entry.index(), index);
      auto found = t.store().FindEventId(event.event_id());
      ASSERT_TRUE(found.ok()) << event.event_id() << ": " << found.status().ToString();
      EXPECT_EQ(*found, index) << event.event_id();
      std::string roster_id;
      std::size_t k = 0;
      ASSERT_TRUE(ParseEventId(event.event_id(), &roster_id, &k)) << "not the writer's: " << event.event_id();
      if (!roster_id.empty()) rosters[roster_id][k] = index;
    }
    for (const auto& [roster_id, entries] : rosters) {
      ASSERT_EQ(entries.size(), kRosterEvents) << "roster " << roster_id << " is partly in the log";
      for (const auto& [k, index] : entries) {
        EXPECT_EQ(index, entries.at(0) + k) << "roster " << roster_id << " event " << k;
      }
    }
    for (const std::string& roster_id : reported_.rosters) {
      if (rosters.count(roster_id) != 0) continue;
      rosters_lost_.insert(roster_id);
      for (std::size_t k = 0; k < kRosterEvents; ++k) {
        std::string event_id = roster_id + "-" + std::to_string(k);
        EXPECT_EQ(ledger::CodeName(t.store().FindEventId(event_id).status().code()), "not_found")
            << event_id << " is indexed but its roster is not in the log";
      }
    }
  }

  // The closed ledger verifies from genesis, and holds no entry beyond its checkpoint.
  void ExpectLogVerifies(std::uint64_t size) {
    replay::VerifyOptions options;
    options.data_dir = t.dir();
    options.log_key = log_key_;
    options.threads = 2;
    auto report = replay::VerifyLog(options);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_TRUE(report->ok()) << "at " << report->first_bad_index.value_or(0) << ": "
                              << report->problem.ToString();
    EXPECT_EQ(report->entries_verified, size);
    EXPECT_EQ(report->checkpoint_size, size);
    auto reader = ledger::LogReader::Open(t.dir());
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    auto end = (*reader)->EndIndex();
    ASSERT_TRUE(end.ok()) << end.status().ToString();
    EXPECT_EQ(*end, size);
  }

  TestLedger t;
  TempDir keys_;
  std::string key_path_;
  crypto::VerifierKey log_key_;
  Reported reported_;
  std::set<std::string> rosters_lost_;  // Announced but killed before durable: the "none" case.
};

TEST_F(CrashTest, SigkillDuringAppendsKeepsEveryAcknowledgedAppendAndWholeRosters) {
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  std::mt19937 random(kSeed);
  std::uniform_int_distribution<std::size_t> acks_before_kill(kAcksBeforeKillMin, kAcksBeforeKillMax);
  std::uint64_t size = 0;
  for (int run = 0; run < kRuns; ++run) {
    const std::size_t acks_wanted = acks_before_kill(random);
    SCOPED_TRACE("run " + std::to_string(run) + ", kill after " + std::to_string(acks_wanted) +
                 " acks");
    ASSERT_NO_FATAL_FAILURE(RunAndKillWriter(run, acks_wanted));
    ASSERT_NO_FATAL_FAILURE(t.Open());
    ASSERT_NO_FATAL_FAILURE(ExpectAcknowledgedAppendsKept());
    ASSERT_NO_FATAL_FAILURE(ExpectEveryRosterWholeOrAbsent());
    size = t.store().size();
    t.Close();
    ASSERT_NO_FATAL_FAILURE(ExpectLogVerifies(size));
    if (HasFailure()) return;
  }
  RecordProperty("entries", std::to_string(size));
  RecordProperty("acknowledged", std::to_string(reported_.acks.size()));
  RecordProperty("rosters_lost_in_flight", std::to_string(rosters_lost_.size()));
}

}  // namespace
