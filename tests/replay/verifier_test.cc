#include "replay/verifier.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "crypto/merkle.h"
#include "ledger/format.h"
#include "ledger/signing_context.h"
#include "tests/insider.h"
#include "tests/test_ledger.h"

namespace replay {
namespace {

using ledger::Code;
using ledger::v1::LogEntry;
using testing_ledger::Insider;
using testing_ledger::TestLedger;

// A ledger of 10 entries: genesis, an officer's registration, eight documents by the officer.
class VerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    officer_ = std::make_unique<crypto::SecretKey>(t.Register("officer", ledger::v1::ROLE_FINANCE_OFFICER));
    for (int i = 0; i < 8; ++i) {
      ASSERT_TRUE(t.Append(TestLedger::Document("d" + std::to_string(i)), *officer_).ok());
    }
    ASSERT_EQ(t.store().size(), 10u);
    log_key_ = t.store().log_key();
    t.Close();
  }

  VerifyReport Verify() {
    VerifyOptions options;
    options.data_dir = t.dir();
    options.log_key = log_key_;
    options.threads = 2;
    auto report = VerifyLog(options);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return *report;
  }

  void ExpectFirstBad(std::uint64_t index, Code code) {
    VerifyReport report = Verify();
    ASSERT_FALSE(report.ok());
    ASSERT_TRUE(report.first_bad_index.has_value()) << report.problem.ToString();
    EXPECT_EQ(*report.first_bad_index, index) << report.problem.ToString();
    EXPECT_EQ(report.problem.code(), code) << report.problem.ToString();
  }

  // Rewrites previous_hash of entries from..end so the linear chain looks intact again.
  void Relink(Insider& insider, std::uint64_t from, std::uint64_t end) {
    for (std::uint64_t i = from; i < end; ++i) {
      LogEntry entry = insider.Read(i);
      entry.set_previous_hash(std::string(crypto::AsBytes(crypto::LeafHash(insider.ReadBytes(i - 1)))));
      insider.Write(i, entry);
    }
  }

  TestLedger t;
  std::unique_ptr<crypto::SecretKey> officer_;
  crypto::VerifierKey log_key_;
};

TEST_F(VerifierTest, IntactLogVerifies) {
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok()) << report.problem.ToString();
  EXPECT_EQ(report.entries_verified, 10u);
  EXPECT_EQ(report.checkpoint_size, 10u);
}

// The log signs at most one checkpoint a second: entries stored after the signed checkpoint are
// verified like the rest and counted apart, and the root is the one the checkpoint signs.
TEST_F(VerifierTest, EntriesAfterTheCheckpointAreVerifiedAndCountedApart) {
  Insider insider(t.dir());
  insider.ResignCheckpoint(t.dir(), 7);
  crypto::CompactTree tree;
  for (std::uint64_t i = 0; i < 7; ++i) tree.Append(crypto::LeafHash(insider.ReadBytes(i)), [](const auto&) {});
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok()) << report.problem.ToString();
  EXPECT_EQ(report.entries_verified, 10u);
  EXPECT_EQ(report.checkpoint_size, 7u);
  EXPECT_EQ(report.entries_after_checkpoint, 3u);
  EXPECT_EQ(report.root, tree.Root());
}

TEST_F(VerifierTest, RewrittenEventBytesAreReportedAtTheirIndex) {
  Insider insider(t.dir());
  LogEntry entry = insider.Read(5);
  ledger::v1::Event event;
  ASSERT_TRUE(event.ParseFromString(entry.signed_event().event()));
  event.mutable_document_filed()->set_title("insider's edit");
  entry.mutable_signed_event()->set_event(event.SerializeAsString());
  insider.Write(5, entry);
  ExpectFirstBad(5, Code::kBadSignature);
}

TEST_F(VerifierTest, RewriteWithRelinkedChainAndResignedCheckpointIsStillFound) {
  {
    Insider insider(t.dir());
    LogEntry entry = insider.Read(5);
    std::string event = entry.signed_event().event();
    event[event.size() - 1] ^= 0x01;
    entry.mutable_signed_event()->set_event(event);
    insider.Write(5, entry);
    Relink(insider, 6, 10);
    insider.ResignCheckpoint(t.dir(), 10);
  }
  ExpectFirstBad(5, Code::kBadSignature);
}

TEST_F(VerifierTest, RewrittenUnsignedFieldIsReportedAtItsIndex) {
  // sequenced_ms is the ledger's, not the signer's: the event's signature still verifies, but
  // the entry's hash changes, so entry 5 no longer links to it.
  Insider insider(t.dir());
  LogEntry entry = insider.Read(4);
  entry.set_sequenced_ms(entry.sequenced_ms() + 1);
  insider.Write(4, entry);
  ExpectFirstBad(4, Code::kCorruption);
}

TEST_F(VerifierTest, RewrittenLinkIsReportedAtItsIndex) {
  Insider insider(t.dir());
  LogEntry entry = insider.Read(5);
  entry.set_previous_hash(std::string(32, '\x07'));
  insider.Write(5, entry);
  ExpectFirstBad(5, Code::kCorruption);
}

TEST_F(VerifierTest, DroppedEntryIsReportedAtItsIndex) {
  Insider(t.dir()).Delete(5);
  ExpectFirstBad(5, Code::kCorruption);
}

TEST_F(VerifierTest, SwappedEntriesAreReportedAtTheFirst) {
  {
    Insider insider(t.dir());
    std::string three = insider.ReadBytes(3);
    std::string seven = insider.ReadBytes(7);
    insider.Write(3, seven);
    insider.Write(7, three);
  }
  ExpectFirstBad(3, Code::kCorruption);
}

TEST_F(VerifierTest, ReplacedSignatureIsReportedAtItsIndex) {
  Insider insider(t.dir());
  LogEntry six = insider.Read(6);
  LogEntry seven = insider.Read(7);
  six.mutable_signed_event()->set_signature(seven.signed_event().signature());
  insider.Write(6, six);
  ExpectFirstBad(6, Code::kBadSignature);
}

TEST_F(VerifierTest, ForgedActorRegistrationAtTheTailIsReported) {
  {
    Insider insider(t.dir());
    crypto::SecretKey forger = crypto::SecretKey::Generate();
    ledger::v1::Event event = TestLedger::NewEvent("register-forger");
    *event.mutable_register_actor()->mutable_actor() =
        TestLedger::Actor("forger", forger, ledger::v1::ROLE_ADMIN);
    ledger::v1::SignedEvent signed_event;
    ASSERT_TRUE(signed_event.ParseFromString(ledger::SignEvent(event, forger)));
    LogEntry entry;
    entry.set_index(10);
    entry.set_previous_hash(std::string(crypto::AsBytes(crypto::LeafHash(insider.ReadBytes(9)))));
    entry.set_sequenced_ms(testing_ledger::kTime);
    *entry.mutable_signed_event() = signed_event;
    insider.Write(10, entry);
    insider.ResignCheckpoint(t.dir(), 11);
  }
  ExpectFirstBad(10, Code::kUnknownSigner);
}

TEST_F(VerifierTest, EntryBeyondTheCheckpointIsReported) {
  {
    Insider insider(t.dir());
    LogEntry entry = insider.Read(9);
    entry.set_index(10);
    insider.Write(10, entry);
  }
  ExpectFirstBad(10, Code::kCorruption);
}

TEST_F(VerifierTest, TruncatedTailIsReportedWhereTheLogEnds) {
  {
    Insider insider(t.dir());
    insider.Delete(8);
    insider.Delete(9);
  }
  ExpectFirstBad(8, Code::kCorruption);
}

TEST_F(VerifierTest, EntryBySignerAfterRevocationIsReported) {
  // The insider re-appends, after a revocation, an event the revoked officer signed earlier.
  t.Open();
  ASSERT_TRUE(t.Revoke(*officer_, "revoke-officer").ok());
  t.Close();
  {
    Insider insider(t.dir());
    ledger::v1::Event event = TestLedger::Document("late");
    ledger::v1::SignedEvent signed_event;
    ASSERT_TRUE(signed_event.ParseFromString(ledger::SignEvent(event, *officer_)));
    LogEntry entry;
    entry.set_index(11);
    entry.set_previous_hash(std::string(crypto::AsBytes(crypto::LeafHash(insider.ReadBytes(10)))));
    *entry.mutable_signed_event() = signed_event;
    insider.Write(11, entry);
    insider.ResignCheckpoint(t.dir(), 12);
  }
  ExpectFirstBad(11, Code::kRevokedSigner);
}

TEST_F(VerifierTest, CheckpointUnderAnotherKeyIsRejected) {
  VerifyOptions options;
  options.data_dir = t.dir();
  crypto::SecretKey other = crypto::SecretKey::Generate();
  auto other_key = crypto::ParseVerifierKey(crypto::FormatVerifierKey(testing_ledger::kOrigin, other.public_key()));
  ASSERT_TRUE(other_key.ok());
  options.log_key = *other_key;
  auto report = VerifyLog(options);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->ok());
  EXPECT_FALSE(report->first_bad_index.has_value());
}

class VerifierRosterTest : public ::testing::Test {
 protected:
  TestLedger t;
};

TEST_F(VerifierRosterTest, RosterEntriesVerifyAndATamperedPathIsReported) {
  std::vector<ledger::v1::Event> events;
  for (int i = 0; i < 7; ++i) events.push_back(TestLedger::Document("r" + std::to_string(i)));
  ASSERT_TRUE(t.AppendRoster(events, t.admin()).ok());
  crypto::VerifierKey log_key = t.store().log_key();
  t.Close();
  VerifyOptions options;
  options.data_dir = t.dir();
  options.log_key = log_key;
  auto report = VerifyLog(options);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->problem.ToString();
  EXPECT_EQ(report->entries_verified, 8u);
  {
    Insider insider(t.dir());
    LogEntry entry = insider.Read(4);
    std::string hash = entry.signed_event().roster().audit_path(0);
    hash[0] ^= 0x01;
    entry.mutable_signed_event()->mutable_roster()->set_audit_path(0, hash);
    insider.Write(4, entry);
  }
  report = VerifyLog(options);
  ASSERT_TRUE(report.ok());
  ASSERT_TRUE(report->first_bad_index.has_value());
  EXPECT_EQ(*report->first_bad_index, 4u);
  EXPECT_EQ(report->problem.code(), Code::kBadSignature);
}

}  // namespace
}  // namespace replay
