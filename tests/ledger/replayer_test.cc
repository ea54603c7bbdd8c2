// Rebuilding projections from the log, and their digest.
#include "ledger/replayer.h"

#include <gtest/gtest.h>

#include "ledger/funds_query.h"
#include "replay/verifier.h"
#include "tests/fund_events.h"
#include "tests/insider.h"
#include "tests/test_ledger.h"
#include "tests/verify_ledger.h"

namespace {

using namespace testing_ledger::funds;
using testing_ledger::Insider;
using testing_ledger::TestLedger;

// A closed ledger holding reference data, a plan, an arrival, two payments and a reversal.
class ReplayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::SecretKey officer = ledger_.Register("finance-wuyuan", ledger::v1::ROLE_FINANCE_OFFICER, kWuyuan);
    for (const Event& event : Reference()) ASSERT_TRUE(ledger_.Append(event, ledger_.admin()).ok());
    for (const Event& event : {Plan("plan-1", 10'000'000), Arrival("arrival-1", "plan-1", 6'000'000),
                               PayUnit("pay-1", 1'589'000), PayUnit("pay-2", 2'270'000),
                               Reverse("rev-1", "pay-1", 589'000)}) {
      auto receipt = ledger_.Append(event, officer);
      ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
    }
    ledger_.Close();
  }

  crypto::Hash Stored() {
    auto digest = ledger::StoredProjectionDigest(ledger_.dir());
    EXPECT_TRUE(digest.ok()) << digest.status().ToString();
    return digest.ok() ? *digest : crypto::Hash{};
  }

  TestLedger ledger_;
};

TEST_F(ReplayerTest, RebuildReproducesTheStoredProjectionsExactly) {
  const crypto::Hash before = Stored();
  auto report = ledger::RebuildProjections(ledger_.dir());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->entries, 12u);
  EXPECT_EQ(report->digest, before);
  EXPECT_EQ(Stored(), before);
}

TEST_F(ReplayerTest, VerifyReplaysToTheSameDigest) {
  auto report = testing_ledger::VerifyLedger(ledger_.dir());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_TRUE(report->ok()) << report->problem.ToString();
  EXPECT_EQ(report->projection_digest, Stored());
}

TEST_F(ReplayerTest, RebuildRepairsForgedProjectionRows) {
  const crypto::Hash before = Stored();
  Insider(ledger_.dir()).PutProjectionRow("funds/cell/2025-central/150821/R4", "forged");
  EXPECT_NE(Stored(), before);
  ASSERT_TRUE(ledger::RebuildProjections(ledger_.dir()).ok());
  EXPECT_EQ(Stored(), before);
  ledger_.Open();
  auto balance = ledger::QueryBalance(ledger_.store().projection_rows(), {});
  ASSERT_TRUE(balance.ok());
  EXPECT_EQ(balance->available(), 6'000'000 - 1'589'000 - 2'270'000 + 589'000);
}

TEST_F(ReplayerTest, RebuildRefusesAnOpenLedger) {
  ledger_.Open();
  auto report = ledger::RebuildProjections(ledger_.dir());
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("stop ledgerd first"), std::string::npos) << report.status().ToString();
}

TEST_F(ReplayerTest, AnUnfinishedRebuildKeepsTheLedgerClosed) {
  Insider(ledger_.dir()).PutMeta(ledger::format::kMetaRebuilding, "1");
  auto store = ledger::EventStore::Open({ledger_.dir(), 1, {}});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().message(), "a projection rebuild did not finish: run ledgerctl rebuild again");
  ASSERT_TRUE(ledger::RebuildProjections(ledger_.dir()).ok());
  EXPECT_TRUE(ledger::EventStore::Open({ledger_.dir(), 1, {}}).ok());
}

TEST_F(ReplayerTest, DigestCoversEveryRowOfBothFamilies) {
  const crypto::Hash before = Stored();
  Insider(ledger_.dir()).PutProjectionRow("funds/zzz-extra", "");
  EXPECT_NE(Stored(), before);
}

}  // namespace
