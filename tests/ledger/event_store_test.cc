#include "ledger/event_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <rocksdb/db.h>

#include "crypto/merkle.h"
#include "ledger/constants.h"
#include "ledger/signing_context.h"
#include "ledger/format.h"
#include "tests/insider.h"
#include "tests/test_ledger.h"

namespace ledger {
namespace {

using testing_ledger::TestLedger;

class EventStoreTest : public ::testing::Test {
 protected:
  TestLedger t;
  v1::LogEntry Entry(std::uint64_t index) {
    auto bytes = t.store().ReadEntry(index);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    v1::LogEntry entry;
    EXPECT_TRUE(entry.ParseFromString(*bytes));
    return entry;
  }
  // The RFC 6962 leaf hash of stored entry bytes, as the next entry's previous_hash holds it.
  static std::string LeafHashBytes(const std::string& entry_bytes) {
    return std::string(crypto::AsBytes(crypto::LeafHash(entry_bytes)));
  }
  // Asserts that a rejected append left the log exactly as it was.
  void ExpectRejected(const Result<Receipt>& result, Code code, std::uint64_t size_before) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), code) << result.status().ToString();
    EXPECT_EQ(t.store().size(), size_before);
  }
};

TEST_F(EventStoreTest, NewLedgerHoldsOnlyGenesis) {
  EXPECT_EQ(t.store().size(), 1u);
  v1::LogEntry genesis = Entry(0);
  EXPECT_EQ(genesis.index(), 0u);
  EXPECT_EQ(genesis.previous_hash(), std::string(32, '\0'));
  v1::Event event;
  ASSERT_TRUE(event.ParseFromString(genesis.signed_event().event()));
  EXPECT_EQ(event.genesis().crypto_suite(), "ed25519-sha256");
  EXPECT_EQ(event.genesis().first_admin().name(), "admin");
}

TEST_F(EventStoreTest, AppendAssignsNextIndexAndLinksChain) {
  auto receipt = t.Append(TestLedger::Document("d1"), t.admin());
  ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  EXPECT_EQ(receipt->index, 1u);
  EXPECT_FALSE(receipt->duplicate);
  auto genesis_bytes = t.store().ReadEntry(0);
  auto entry_bytes = t.store().ReadEntry(1);
  EXPECT_EQ(Entry(1).previous_hash(), LeafHashBytes(*genesis_bytes));
  EXPECT_EQ(receipt->entry_hash, crypto::LeafHash(*entry_bytes));
}

TEST_F(EventStoreTest, StoredEventBytesAreExactlyTheSignedBytes) {
  v1::Event event = TestLedger::Document("d1");
  std::string signed_event = SignEvent(event, t.admin());
  v1::SignedEvent envelope;
  ASSERT_TRUE(envelope.ParseFromString(signed_event));
  ASSERT_TRUE(t.store().Append(signed_event).ok());
  EXPECT_EQ(Entry(1).signed_event().event(), envelope.event());
  EXPECT_EQ(Entry(1).signed_event().signature(), envelope.signature());
}

TEST_F(EventStoreTest, CheckpointIsSignedNoteOfSizeAndRoot) {
  ASSERT_TRUE(t.Append(TestLedger::Document("d1"), t.admin()).ok());
  auto text = crypto::OpenNote(t.store().checkpoint(), t.store().log_key());
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  auto checkpoint = crypto::ParseCheckpoint(*text);
  ASSERT_TRUE(checkpoint.ok());
  EXPECT_EQ(checkpoint->origin, "test-ledger");
  EXPECT_EQ(checkpoint->size, 2u);
  crypto::Hash leaf0 = crypto::LeafHash(*t.store().ReadEntry(0));
  crypto::Hash leaf1 = crypto::LeafHash(*t.store().ReadEntry(1));
  EXPECT_EQ(checkpoint->root, crypto::NodeHash(leaf0, leaf1));
  EXPECT_EQ(t.store().checkpoint().find("\n\n\xe2\x80\x94 test-ledger "), text->size() - 1);
}

TEST_F(EventStoreTest, ResubmittingSameBytesReturnsOriginalReceipt) {
  std::string signed_event = SignEvent(TestLedger::Document("d1"), t.admin());
  auto first = t.store().Append(signed_event);
  auto again = t.store().Append(signed_event);
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(again->index, first->index);
  EXPECT_EQ(again->entry_hash, first->entry_hash);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(t.store().size(), 2u);
}

// Each event is submitted twice before either is answered, so the second finds the first in
// the batch being built or the batch being written (never yet in the database's id index).
TEST_F(EventStoreTest, ResubmittingBeforeTheOriginalIsDurableReturnsItsReceipt) {
  constexpr int kEvents = 200;
  std::vector<std::promise<Result<Receipt>>> answers(2 * kEvents);
  for (int i = 0; i < kEvents; ++i) {
    std::string signed_event = SignEvent(TestLedger::Document("pending-" + std::to_string(i)), t.admin());
    for (int copy = 0; copy < 2; ++copy) {
      t.store().Submit(signed_event, [&answers, slot = 2 * i + copy](Result<Receipt> receipt) {
        answers[slot].set_value(std::move(receipt));
      });
    }
  }
  std::set<std::uint64_t> indexes;
  for (int i = 0; i < kEvents; ++i) {
    Result<Receipt> first = answers[2 * i].get_future().get();
    Result<Receipt> second = answers[2 * i + 1].get_future().get();
    ASSERT_TRUE(first.ok() && second.ok());
    EXPECT_FALSE(first->duplicate);
    EXPECT_TRUE(second->duplicate);
    EXPECT_EQ(second->index, first->index);
    EXPECT_EQ(second->entry_hash, first->entry_hash);
    indexes.insert(first->index);
  }
  EXPECT_EQ(indexes.size(), static_cast<std::size_t>(kEvents));
  EXPECT_EQ(t.store().size(), 1u + kEvents);
}

// 2,000 appends submitted at once take the check workers tens of milliseconds: while that
// backlog lasts, the sequencer waits for batch_fill_events checked appends before it builds a
// batch, instead of writing a batch of whatever few were ready.
TEST_F(EventStoreTest, AppendsQueuedFasterThanTheyAreCheckedFillABatch) {
  constexpr std::size_t kEvents = 2000;
  static_assert(kEvents > 2 * constants::batch_fill_events);
  std::vector<std::string> signed_events;
  for (std::size_t i = 0; i < kEvents; ++i) {
    signed_events.push_back(SignEvent(TestLedger::Document("fill-" + std::to_string(i)), t.admin()));
  }
  const StoreStats before = t.store().stats();
  std::mutex mutex;
  std::condition_variable all_answered;
  std::size_t answered = 0;
  std::size_t accepted = 0;
  for (std::string& signed_event : signed_events) {
    t.store().Submit(std::move(signed_event), [&](Result<Receipt> receipt) {
      std::lock_guard<std::mutex> lock(mutex);
      ++answered;
      if (receipt.ok()) ++accepted;
      if (answered == kEvents) all_answered.notify_one();
    });
  }
  {
    std::unique_lock<std::mutex> lock(mutex);
    all_answered.wait(lock, [&] { return answered == kEvents; });
  }
  EXPECT_EQ(accepted, kEvents);
  EXPECT_EQ(t.store().size(), 1u + kEvents);
  const StoreStats after = t.store().stats();
  EXPECT_EQ(after.entries - before.entries, kEvents);
  // batch_sizes[i] counts batches of 2^(i-1) + 1 to 2^i entries. A batch built as soon as one
  // chunk was ready held what the workers checked during one commit: on a 2-core machine 13 to 26
  // of these batches held 32 entries or fewer. Filled, only the last few do, once the backlog
  // is gone.
  static_assert(constants::batch_fill_events > 64);
  std::uint64_t small_batches = 0;  // 32 entries or fewer.
  std::uint64_t large_batches = 0;  // More than 64 entries.
  for (std::size_t bucket = 0; bucket < after.batch_sizes.size(); ++bucket) {
    const std::uint64_t batches = after.batch_sizes[bucket] - before.batch_sizes[bucket];
    if (bucket <= 5) small_batches += batches;
    if (bucket >= 7) large_batches += batches;
  }
  EXPECT_LE(small_batches, 10u);
  EXPECT_GE(large_batches, 1u);
}

// Every group commit's synced write is counted once, in the bucket of its duration.
TEST_F(EventStoreTest, EachCommitWriteIsCountedByItsDuration) {
  const StoreStats before = t.store().stats();
  ASSERT_TRUE(t.Append(TestLedger::Document("timed-1"), t.admin()).ok());
  ASSERT_TRUE(t.Append(TestLedger::Document("timed-2"), t.admin()).ok());
  const StoreStats after = t.store().stats();
  std::uint64_t counted = 0;
  for (std::size_t i = 0; i < after.commit_writes.size(); ++i) counted += after.commit_writes[i] - before.commit_writes[i];
  EXPECT_EQ(after.batches - before.batches, 2u);
  EXPECT_EQ(counted, 2u);
  EXPECT_GT(after.commit_write_seconds, before.commit_write_seconds);
}

TEST(CommitWriteBucketTest, BucketsAreQuarterPowersOfTwoOfMicroseconds) {
  EXPECT_EQ(CommitWriteBucket(0), 0u);
  EXPECT_EQ(CommitWriteBucket(1), 0u);
  EXPECT_EQ(CommitWriteBucket(2), 4u);          // 2^(4/4) us.
  EXPECT_EQ(CommitWriteBucket(2.01), 5u);       // Above 2 us: the next bucket, up to 2^(5/4).
  EXPECT_EQ(CommitWriteBucket(1000), 40u);      // 2^(39/4) = 861 < 1000 <= 2^(40/4) = 1024.
  EXPECT_EQ(CommitWriteBucket(1e7), StoreStats::kCommitWriteBuckets - 1);  // 10 s: the last.
  EXPECT_DOUBLE_EQ(CommitWriteBucketMicros(40), 1024);
}

TEST_F(EventStoreTest, SameIdWithOtherBytesIsRejected) {
  ASSERT_TRUE(t.Append(TestLedger::Document("d1"), t.admin()).ok());
  v1::Event other = TestLedger::Document("d1");
  other.mutable_document_filed()->set_title("另一个标题");
  ExpectRejected(t.Append(other, t.admin()), Code::kDuplicateId, 2);
}

TEST_F(EventStoreTest, WrongOriginIsRejected) {
  v1::Event event = TestLedger::Document("d1");
  event.set_origin("another-ledger");
  ExpectRejected(t.Append(event, t.admin()), Code::kWrongOrigin, 1);
}

TEST_F(EventStoreTest, BadSignatureIsRejected) {
  std::string signed_event = SignEvent(TestLedger::Document("d1"), t.admin());
  v1::SignedEvent envelope;
  ASSERT_TRUE(envelope.ParseFromString(signed_event));
  std::string signature = envelope.signature();
  signature[10] ^= 0x01;
  envelope.set_signature(signature);
  ExpectRejected(t.store().Append(envelope.SerializeAsString()), Code::kBadSignature, 1);
}

TEST_F(EventStoreTest, SignatureOverOtherBytesIsRejected) {
  v1::Event event = TestLedger::Document("d1");
  std::string signed_event = SignEvent(event, t.admin());
  v1::SignedEvent envelope;
  ASSERT_TRUE(envelope.ParseFromString(signed_event));
  event.mutable_document_filed()->set_title("改过的标题");
  envelope.set_event(event.SerializeAsString());
  ExpectRejected(t.store().Append(envelope.SerializeAsString()), Code::kBadSignature, 1);
}

TEST_F(EventStoreTest, UnknownSignerIsRejected) {
  crypto::SecretKey stranger = crypto::SecretKey::Generate();
  ExpectRejected(t.Append(TestLedger::Document("d1"), stranger), Code::kUnknownSigner, 1);
}

TEST_F(EventStoreTest, RevokedSignerIsRejectedAfterRevocation) {
  crypto::SecretKey officer = t.Register("officer", v1::ROLE_FINANCE_OFFICER);
  ASSERT_TRUE(t.Append(TestLedger::Document("before"), officer).ok());
  ASSERT_TRUE(t.Revoke(officer, "revoke-officer").ok());
  ExpectRejected(t.Append(TestLedger::Document("after"), officer), Code::kRevokedSigner, 4);
}

TEST_F(EventStoreTest, RoleNotAllowedIsRejected) {
  crypto::SecretKey officer = t.Register("officer", v1::ROLE_FINANCE_OFFICER);
  v1::Event event = TestLedger::NewEvent("register-mallory");
  crypto::SecretKey mallory = crypto::SecretKey::Generate();
  *event.mutable_register_actor()->mutable_actor() =
      TestLedger::Actor("mallory", mallory, v1::ROLE_ADMIN);
  ExpectRejected(t.Append(event, officer), Code::kRoleNotAllowed, 2);
}

TEST_F(EventStoreTest, EventOutsideSignerRegionIsRejected) {
  crypto::SecretKey officer = t.Register("officer-wuyuan", v1::ROLE_FINANCE_OFFICER, "150821");
  ASSERT_TRUE(t.Append(TestLedger::Document("own", "150821"), officer).ok());
  ExpectRejected(t.Append(TestLedger::Document("other", "150802"), officer), Code::kScopeNotAllowed, 3);
}

TEST_F(EventStoreTest, OversizedEventIsRejected) {
  v1::Event event = TestLedger::Document("big");
  event.mutable_document_filed()->set_title(std::string(constants::event_bytes_max, 'x'));
  ExpectRejected(t.Append(event, t.admin()), Code::kTooLarge, 1);
}

TEST_F(EventStoreTest, GarbageBytesAreMalformed) {
  ExpectRejected(t.store().Append("\xff\xff\xff not a protobuf"), Code::kMalformed, 1);
}

TEST_F(EventStoreTest, EventWithoutIdIsMalformed) {
  ExpectRejected(t.Append(TestLedger::Document(""), t.admin()), Code::kMalformed, 1);
}

TEST_F(EventStoreTest, SecondGenesisIsRejected) {
  v1::Event event = TestLedger::NewEvent("genesis-2");
  event.mutable_genesis()->set_crypto_suite("ed25519-sha256");
  ExpectRejected(t.Append(event, t.admin()), Code::kInvalidEvent, 1);
}

TEST_F(EventStoreTest, RegisteringAKeyTwiceIsRejected) {
  crypto::SecretKey officer = t.Register("officer", v1::ROLE_FINANCE_OFFICER);
  v1::Event event = TestLedger::NewEvent("register-again");
  *event.mutable_register_actor()->mutable_actor() =
      TestLedger::Actor("officer-2", officer, v1::ROLE_AUDITOR);
  ExpectRejected(t.Append(event, t.admin()), Code::kInvalidEvent, 2);
}

TEST_F(EventStoreTest, LastAdminCannotBeRevoked) {
  EXPECT_EQ(t.Revoke(t.admin(), "revoke-admin").code(), Code::kInvalidEvent);
  EXPECT_EQ(t.store().size(), 1u);
}

TEST_F(EventStoreTest, RosterBecomesOneEntryPerEventEachProvableAlone) {
  crypto::SecretKey officer = t.Register("officer", v1::ROLE_FINANCE_OFFICER);
  std::vector<v1::Event> events;
  for (int i = 0; i < 5; ++i) events.push_back(TestLedger::Document("r" + std::to_string(i)));
  auto receipts = t.AppendRoster(events, officer);
  ASSERT_TRUE(receipts.ok()) << receipts.status().ToString();
  ASSERT_EQ(receipts->size(), 5u);
  EXPECT_EQ(receipts->front().index, 2u);
  EXPECT_EQ(receipts->back().index, 6u);
  for (std::uint64_t i = 0; i < 5; ++i) {
    v1::LogEntry entry = Entry(2 + i);
    const v1::RosterProof& proof = entry.signed_event().roster();
    v1::RosterHeader header;
    ASSERT_TRUE(header.ParseFromString(proof.header()));
    EXPECT_EQ(header.event_count(), 5u);
    EXPECT_EQ(proof.leaf_index(), i);
    EXPECT_TRUE(crypto::Verify(officer.public_key(), RosterSigningMessage(proof.header()),
                               *crypto::SignatureFromBytes(proof.signature())));
    std::vector<crypto::Hash> path;
    for (const std::string& h : proof.audit_path()) path.push_back(*crypto::HashFromBytes(h));
    EXPECT_TRUE(crypto::VerifyInclusion(i, 5, crypto::LeafHash(entry.signed_event().event()), path,
                                        *crypto::HashFromBytes(header.events_root())));
  }
}

TEST_F(EventStoreTest, RosterWithOneBadEventWritesNothing) {
  crypto::SecretKey officer = t.Register("officer", v1::ROLE_FINANCE_OFFICER, "150821");
  std::vector<v1::Event> events = {TestLedger::Document("r0", "150821"),
                                   TestLedger::Document("r1", "150802"),  // Outside scope.
                                   TestLedger::Document("r2", "150821")};
  auto receipts = t.AppendRoster(events, officer);
  ASSERT_FALSE(receipts.ok());
  EXPECT_EQ(receipts.status().code(), Code::kScopeNotAllowed);
  EXPECT_NE(receipts.status().message().find("roster event 1"), std::string::npos);
  EXPECT_EQ(t.store().size(), 2u);
  EXPECT_EQ(t.store().FindEventId("r0").status().code(), Code::kNotFound);
}

TEST_F(EventStoreTest, RosterWithRepeatedIdIsRejected) {
  auto receipts = t.AppendRoster({TestLedger::Document("r0"), TestLedger::Document("r0")}, t.admin());
  ASSERT_FALSE(receipts.ok());
  EXPECT_EQ(receipts.status().code(), Code::kDuplicateId);
  EXPECT_EQ(t.store().size(), 1u);
}

TEST_F(EventStoreTest, RosterResubmittedReturnsOriginalReceipts) {
  std::vector<v1::Event> events = {TestLedger::Document("r0"), TestLedger::Document("r1")};
  auto first = t.AppendRoster(events, t.admin());
  auto again = t.AppendRoster(events, t.admin());
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ((*again)[1].index, (*first)[1].index);
  EXPECT_TRUE((*again)[1].duplicate);
  EXPECT_EQ(t.store().size(), 3u);
}

TEST_F(EventStoreTest, RosterIdStoredEarlierIsFoundPastTheFirstLookupChunk) {
  // The sequencer looks ids up event_id_lookup_chunk at a time; the stored one is the last.
  std::vector<v1::Event> events;
  for (std::size_t i = 0; i <= 3 * constants::event_id_lookup_chunk; ++i) {
    events.push_back(TestLedger::Document("c" + std::to_string(i)));
  }
  ASSERT_TRUE(t.Append(events.back(), t.admin()).ok());
  t.Reopen();  // Read from the database, not from a batch still in memory.
  auto receipts = t.AppendRoster(events, t.admin());
  ASSERT_FALSE(receipts.ok());
  EXPECT_EQ(receipts.status().code(), Code::kDuplicateId);
  EXPECT_EQ(receipts.status().message(), "roster mixes events already in the log with new ones");
  EXPECT_EQ(t.store().size(), 2u);
}

TEST_F(EventStoreTest, RosterWithTamperedEventFailsRootCheck) {
  std::vector<v1::Event> events = {TestLedger::Document("r0"), TestLedger::Document("r1")};
  v1::RosterHeader header;
  header.set_origin(testing_ledger::kOrigin);
  v1::SignedRoster roster;
  ASSERT_TRUE(roster.ParseFromString(SignRoster(header, events, t.admin())));
  v1::Event changed = TestLedger::Document("r1");
  changed.mutable_document_filed()->set_title("被改动");
  *roster.mutable_events(1) = changed.SerializeAsString();
  auto receipts = t.store().AppendRoster(roster.SerializeAsString());
  ASSERT_FALSE(receipts.ok());
  EXPECT_EQ(receipts.status().code(), Code::kBadSignature);
  EXPECT_EQ(t.store().size(), 1u);
}

TEST_F(EventStoreTest, RosterOverLimitIsTooLarge) {
  std::vector<v1::Event> events;
  for (std::size_t i = 0; i <= constants::roster_events_max; ++i) {
    events.push_back(TestLedger::NewEvent("e" + std::to_string(i)));
    events.back().mutable_revoke_actor();
  }
  auto receipts = t.AppendRoster(events, t.admin());
  ASSERT_FALSE(receipts.ok());
  EXPECT_EQ(receipts.status().code(), Code::kTooLarge);
}

TEST_F(EventStoreTest, ReopenKeepsEntriesCheckpointAndActors) {
  crypto::SecretKey officer = t.Register("officer", v1::ROLE_FINANCE_OFFICER);
  ASSERT_TRUE(t.Append(TestLedger::Document("d1"), officer).ok());
  ASSERT_NO_FATAL_FAILURE(t.WaitForFullCheckpoint());
  std::string checkpoint = t.store().checkpoint();
  t.Reopen();
  EXPECT_EQ(t.store().size(), 3u);
  EXPECT_EQ(t.store().checkpoint(), checkpoint);
  EXPECT_EQ(t.store().Actors().size(), 2u);
  auto receipt = t.Append(TestLedger::Document("d2"), officer);
  ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  EXPECT_EQ(receipt->index, 3u);
  EXPECT_EQ(Entry(3).previous_hash(), LeafHashBytes(*t.store().ReadEntry(2)));
}

TEST_F(EventStoreTest, LargeBatchEntriesAreOneTableFileInTheLastLevel) {
  crypto::SecretKey officer = t.Register("officer", v1::ROLE_FINANCE_OFFICER);
  t.ReopenWithIngestEntriesMin(5);
  std::vector<v1::Event> events;
  for (int i = 0; i < 5; ++i) events.push_back(TestLedger::Document("r" + std::to_string(i)));
  auto receipts = t.AppendRoster(events, officer);
  ASSERT_TRUE(receipts.ok()) << receipts.status().ToString();
  for (std::uint64_t i = 2; i <= 6; ++i) {
    EXPECT_EQ(Entry(i).previous_hash(), LeafHashBytes(*t.store().ReadEntry(i - 1)));
    EXPECT_EQ(Entry(i).signed_event().roster().leaf_index(), i - 2);
  }
  t.Close();
  std::vector<rocksdb::LiveFileMetaData> ingested;
  for (const auto& file : testing_ledger::Insider(t.dir()).EntryFiles()) {
    if (file.smallestkey == format::EncodeIndex(2)) ingested.push_back(file);
  }
  ASSERT_EQ(ingested.size(), 1u);
  EXPECT_EQ(ingested[0].largestkey, format::EncodeIndex(6));
  EXPECT_EQ(ingested[0].level, rocksdb::Options().num_levels - 1);
}

TEST_F(EventStoreTest, BatchBelowTheIngestSizeIsWrittenInItsWriteBatch) {
  crypto::SecretKey officer = t.Register("officer", v1::ROLE_FINANCE_OFFICER);
  t.ReopenWithIngestEntriesMin(6);
  std::vector<v1::Event> events;
  for (int i = 0; i < 5; ++i) events.push_back(TestLedger::Document("r" + std::to_string(i)));
  ASSERT_TRUE(t.AppendRoster(events, officer).ok());
  t.Close();
  for (const auto& file : testing_ledger::Insider(t.dir()).EntryFiles()) {
    EXPECT_EQ(file.level, 0) << file.name;  // Flushed from the memtable at close.
  }
}

// A crash after a batch's table file was ingested and before its WriteBatch was durable leaves
// entries past the tree head; they were never acknowledged, and the next open deletes them.
TEST_F(EventStoreTest, EntriesPastTheTreeHeadAreDeletedAtOpen) {
  crypto::SecretKey officer = t.Register("officer", v1::ROLE_FINANCE_OFFICER);
  const std::string last = *t.store().ReadEntry(1);
  t.Close();
  {
    testing_ledger::Insider insider(t.dir());
    insider.Write(2, last);
    insider.Write(3, last);
  }
  t.Open();
  EXPECT_EQ(t.store().size(), 2u);
  EXPECT_EQ(t.store().ReadEntry(2).status().code(), Code::kNotFound);
  EXPECT_EQ(t.store().ReadEntry(3).status().code(), Code::kNotFound);
  auto receipt = t.Append(TestLedger::Document("d1"), officer);
  ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  EXPECT_EQ(receipt->index, 2u);
  EXPECT_EQ(Entry(2).previous_hash(), LeafHashBytes(last));
  EXPECT_EQ(t.store().ReadEntry(3).status().code(), Code::kNotFound);
}

// The same with the entries in an ingested table file, as the crash leaves them: the next large
// batch is ingested in their place.
TEST_F(EventStoreTest, IngestedEntriesPastTheTreeHeadAreDeletedAtOpen) {
  crypto::SecretKey officer = t.Register("officer", v1::ROLE_FINANCE_OFFICER);
  const std::string last = *t.store().ReadEntry(1);
  t.Close();
  testing_ledger::Insider(t.dir()).IngestEntries(2, {last, last}, t.dir() + "/orphans.sst");
  t.ReopenWithIngestEntriesMin(2);
  EXPECT_EQ(t.store().ReadEntry(2).status().code(), Code::kNotFound);
  auto receipts = t.AppendRoster({TestLedger::Document("r0"), TestLedger::Document("r1")}, officer);
  ASSERT_TRUE(receipts.ok()) << receipts.status().ToString();
  EXPECT_EQ(receipts->front().index, 2u);
  EXPECT_EQ(Entry(2).previous_hash(), LeafHashBytes(last));
  EXPECT_EQ(Entry(3).signed_event().roster().leaf_index(), 1u);
  EXPECT_EQ(t.store().ReadEntry(4).status().code(), Code::kNotFound);
}

TEST_F(EventStoreTest, TableFilesACrashLeftUningestedAreRemovedAtOpen) {
  t.Close();
  const std::string leftover = t.dir() + "/ingest/2.sst";
  std::ofstream(leftover) << "half a table file";
  ASSERT_TRUE(std::filesystem::exists(leftover));
  t.Open();
  EXPECT_FALSE(std::filesystem::exists(leftover));
  EXPECT_TRUE(std::filesystem::is_directory(t.dir() + "/ingest"));
}

// --- checkpoint cadence: at most one signed checkpoint per interval -------------------------

std::uint64_t SignedSize(const EventStore& store) {
  auto text = crypto::OpenNote(store.checkpoint(), store.log_key());
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  return crypto::ParseCheckpoint(*text).value().size;
}

TEST_F(EventStoreTest, BatchesWithinTheIntervalWaitForTheNextCheckpoint) {
  t.ReopenWithCheckpointInterval(std::chrono::hours(1));
  crypto::SecretKey officer = t.Register("officer", v1::ROLE_FINANCE_OFFICER);  // Signed at once.
  ASSERT_TRUE(t.Append(TestLedger::Document("d1"), officer).ok());
  ASSERT_TRUE(t.Append(TestLedger::Document("d2"), officer).ok());
  EXPECT_EQ(t.store().size(), 4u);
  EXPECT_EQ(SignedSize(t.store()), 2u);
  EXPECT_EQ(t.store().stats().checkpoints, 1u);
  EXPECT_FALSE(t.store().WaitForCheckpoint(4, std::chrono::milliseconds(0)));
}

TEST_F(EventStoreTest, CloseSignsTheHeadTheIntervalHeldBack) {
  t.ReopenWithCheckpointInterval(std::chrono::hours(1));
  crypto::SecretKey officer = t.Register("officer", v1::ROLE_FINANCE_OFFICER);
  ASSERT_TRUE(t.Append(TestLedger::Document("d1"), officer).ok());
  ASSERT_EQ(SignedSize(t.store()), 2u);
  t.Reopen();
  EXPECT_EQ(SignedSize(t.store()), 3u);
  EXPECT_EQ(t.store().stats().checkpoints, 0u);  // Signed by Close, before this open.
}

TEST_F(EventStoreTest, AnIdleLogSignsItsHeadOnceTheIntervalPasses) {
  t.ReopenWithCheckpointInterval(std::chrono::milliseconds(50));
  crypto::SecretKey officer = t.Register("officer", v1::ROLE_FINANCE_OFFICER);
  ASSERT_TRUE(t.Append(TestLedger::Document("d1"), officer).ok());
  // No further append comes: the committer signs the head by itself.
  EXPECT_TRUE(t.store().WaitForCheckpoint(3, std::chrono::seconds(30)));
  EXPECT_EQ(SignedSize(t.store()), 3u);
  EXPECT_EQ(t.store().stats().checkpoints, 2u);
}

// A crash after a batch and before its checkpoint leaves the stored checkpoint behind the stored
// tree head; the next open signs the head, byte for byte the checkpoint it would have signed.
TEST_F(EventStoreTest, OpenSignsAHeadACrashLeftUnsignedWithTheSameBytes) {
  crypto::SecretKey officer = t.Register("officer", v1::ROLE_FINANCE_OFFICER);
  const std::string behind = t.store().checkpoint();
  ASSERT_TRUE(t.Append(TestLedger::Document("d1"), officer).ok());
  ASSERT_NO_FATAL_FAILURE(t.WaitForFullCheckpoint());
  const std::string head = t.store().checkpoint();
  t.Close();
  testing_ledger::Insider(t.dir()).PutMeta(format::kMetaCheckpoint, behind);
  t.Open();
  EXPECT_EQ(t.store().size(), 3u);
  EXPECT_EQ(t.store().checkpoint(), head);
}

TEST_F(EventStoreTest, CheckpointLargerThanTheStoredTreeHeadIsCorruption) {
  crypto::SecretKey officer = t.Register("officer", v1::ROLE_FINANCE_OFFICER);
  auto two = crypto::ParseCheckpoint(*crypto::OpenNote(t.store().checkpoint(), t.store().log_key()));
  ASSERT_TRUE(two.ok());
  ASSERT_TRUE(t.Append(TestLedger::Document("d1"), officer).ok());
  ASSERT_NO_FATAL_FAILURE(t.WaitForFullCheckpoint());
  t.Close();
  // An insider rolls the tree head back to two entries beside the checkpoint of three.
  testing_ledger::Insider(t.dir()).PutMeta(format::kMetaTreeHead, format::EncodeTreeHead(two->size, two->root));
  auto store = EventStore::Open({t.dir(), 2, {}});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kCorruption);
  EXPECT_EQ(store.status().message(), "stored checkpoint of size 3 is larger than the stored tree of size 2");
}

// Version 2 stores had no tree head; opening one writes it and marks the store version 3.
TEST_F(EventStoreTest, OpeningAVersion2StoreUpgradesItToVersion3) {
  crypto::SecretKey officer = t.Register("officer", v1::ROLE_FINANCE_OFFICER);
  ASSERT_TRUE(t.Append(TestLedger::Document("d1"), officer).ok());
  ASSERT_NO_FATAL_FAILURE(t.WaitForFullCheckpoint());
  t.Close();
  {
    testing_ledger::Insider insider(t.dir());
    insider.PutMeta(format::kMetaFormatVersion, "2");
    insider.DeleteMeta(format::kMetaTreeHead);
  }
  t.Open();
  EXPECT_EQ(t.store().size(), 3u);
  ASSERT_TRUE(t.Append(TestLedger::Document("d2"), officer).ok());
  t.Close();
  testing_ledger::Insider insider(t.dir());
  EXPECT_EQ(insider.GetMeta(format::kMetaFormatVersion), "3");
  auto head = format::DecodeTreeHead(insider.GetMeta(format::kMetaTreeHead));
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->size, 4u);
}

TEST_F(EventStoreTest, ConcurrentSubmittersLoseNothingAndDuplicateNothing) {
  constexpr int kThreads = 16;
  constexpr int kPerThread = 50;
  std::vector<std::thread> threads;
  std::mutex mutex;
  std::set<std::uint64_t> indexes;
  std::atomic<int> failures{0};
  for (int t_id = 0; t_id < kThreads; ++t_id) {
    threads.emplace_back([&, t_id] {
      for (int i = 0; i < kPerThread; ++i) {
        // Every event is submitted twice: the second must come back as the same receipt.
        std::string signed_event =
            SignEvent(TestLedger::Document(std::to_string(t_id) + "-" + std::to_string(i)), t.admin());
        auto first = t.store().Append(signed_event);
        auto second = t.store().Append(signed_event);
        if (!first.ok() || !second.ok() || first->index != second->index) {
          ++failures;
          continue;
        }
        std::lock_guard<std::mutex> lock(mutex);
        indexes.insert(first->index);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(indexes.size(), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(t.store().size(), 1u + kThreads * kPerThread);
  EXPECT_EQ(*indexes.begin(), 1u);
  EXPECT_EQ(*indexes.rbegin(), static_cast<std::uint64_t>(kThreads * kPerThread));
}

TEST_F(EventStoreTest, ClosedStoreRefusesAppends) {
  ASSERT_TRUE(t.store().Close().ok());
  auto receipt = t.Append(TestLedger::Document("late"), t.admin());
  ASSERT_FALSE(receipt.ok());
  EXPECT_EQ(receipt.status().code(), Code::kUnavailable);
}

TEST(EventStoreCreateTest, OriginMustBeAKeyName) {
  testing_ledger::TempDir dir;
  crypto::SecretKey admin = crypto::SecretKey::Generate();
  EXPECT_EQ(EventStore::Create(TestLedger::Create(dir.path(), "has space", admin)).code(),
            Code::kInvalidArgument);
}

TEST(EventStoreCreateTest, ExistingLedgerIsNotOverwritten) {
  TestLedger t;
  EXPECT_EQ(EventStore::Create(TestLedger::Create(t.dir(), "again", t.admin())).code(),
            Code::kInvalidArgument);
}

}  // namespace
}  // namespace ledger

namespace ledger {
namespace {

// Entries cross tile boundaries (256 per tile) over several batches and a reopen; every node the
// store serves from its tiles must give proofs that verify against the signed checkpoint.
TEST(EventStoreTreeTest, ProofsFromStoredTilesVerifyAcrossTileBoundaries) {
  TestLedger t;
  for (int roster = 0; roster < 3; ++roster) {
    std::vector<v1::Event> events;
    for (int i = 0; i < 200; ++i) {
      events.push_back(TestLedger::Document(std::to_string(roster) + "-" + std::to_string(i)));
    }
    ASSERT_TRUE(t.AppendRoster(events, t.admin()).ok());
    if (roster == 1) t.Reopen();
  }
  ASSERT_EQ(t.store().size(), 601u);
  auto text = crypto::OpenNote(t.store().checkpoint(), t.store().log_key());
  ASSERT_TRUE(text.ok());
  auto checkpoint = crypto::ParseCheckpoint(*text);
  ASSERT_TRUE(checkpoint.ok());
  auto nodes = [&](std::uint8_t level, std::uint64_t index) { return t.store().TreeNode(level, index); };
  EXPECT_EQ(crypto::RootFromNodes(601, nodes), checkpoint->root);
  for (std::uint64_t index : {0ull, 255ull, 256ull, 511ull, 512ull, 600ull}) {
    auto proof = crypto::InclusionProofFromNodes(index, 601, nodes);
    ASSERT_TRUE(proof.has_value()) << index;
    EXPECT_TRUE(crypto::VerifyInclusion(index, 601, crypto::LeafHash(*t.store().ReadEntry(index)), *proof,
                                        checkpoint->root))
        << index;
  }
  auto consistency = crypto::ConsistencyProofFromNodes(300, 601, nodes);
  ASSERT_TRUE(consistency.has_value());
  EXPECT_TRUE(crypto::VerifyConsistency(300, 601, *crypto::RootFromNodes(300, nodes), checkpoint->root,
                                        *consistency));
}

TEST(EventStoreTreeTest, NodeBeyondTheTreeIsAbsent) {
  TestLedger t;
  EXPECT_FALSE(t.store().TreeNode(0, 1).has_value());
  EXPECT_FALSE(t.store().TreeNode(1, 0).has_value());
  EXPECT_TRUE(t.store().TreeNode(0, 0).has_value());
}

}  // namespace
}  // namespace ledger

namespace ledger {
namespace {

TEST(EventStoreActorTest, LogKeyCannotBeRegisteredAsActor) {
  TestLedger t;
  v1::Event event = TestLedger::NewEvent("register-log-key");
  v1::Actor* actor = event.mutable_register_actor()->mutable_actor();
  actor->set_name("sneaky");
  actor->set_public_key(std::string(crypto::AsBytes(t.store().log_key().key)));
  actor->set_role(v1::ROLE_ADMIN);
  auto receipt = t.Append(event, t.admin());
  ASSERT_FALSE(receipt.ok());
  EXPECT_EQ(receipt.status().code(), Code::kInvalidEvent);
  EXPECT_EQ(t.store().size(), 1u);
}

TEST(EventStoreActorTest, RegionAdminRegistersOnlyWithinItsRegion) {
  TestLedger t;
  crypto::SecretKey county_admin = t.Register("admin-150821", v1::ROLE_ADMIN, "150821");
  crypto::SecretKey officer = crypto::SecretKey::Generate();
  v1::Event inside = TestLedger::NewEvent("register-inside");
  *inside.mutable_register_actor()->mutable_actor() =
      TestLedger::Actor("officer-150821", officer, v1::ROLE_FINANCE_OFFICER, "150821");
  EXPECT_TRUE(t.Append(inside, county_admin).ok());
  crypto::SecretKey city_officer = crypto::SecretKey::Generate();
  v1::Event city_wide = TestLedger::NewEvent("register-city-wide");
  *city_wide.mutable_register_actor()->mutable_actor() =
      TestLedger::Actor("officer-city", city_officer, v1::ROLE_FINANCE_OFFICER);
  auto receipt = t.Append(city_wide, county_admin);
  ASSERT_FALSE(receipt.ok());
  EXPECT_EQ(receipt.status().code(), Code::kScopeNotAllowed);
  EXPECT_EQ(t.store().size(), 3u);
}

TEST(EventStoreCreateTest, StoreWithoutGenesisIsRefusedAtOpen) {
  // A store whose genesis never landed, as a crash between init's metadata write and its genesis
  // would leave: made here by deleting the checkpoint of a fresh ledger.
  testing_ledger::TempDir empty;
  crypto::SecretKey admin = crypto::SecretKey::Generate();
  ASSERT_TRUE(EventStore::Create(TestLedger::Create(empty.path(), "half", admin)).ok());
  testing_ledger::Insider(empty.path()).DeleteMeta(format::kMetaCheckpoint);
  auto store = EventStore::Open({empty.path(), 1, {}});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kCorruption);
}

}  // namespace
}  // namespace ledger

namespace ledger {
namespace {

TEST(EventStoreCallbackTest, RefusalCallbackMaySubmitAgain) {
  TestLedger t;
  ASSERT_TRUE(t.store().Close().ok());
  std::promise<Code> inner_code;
  std::string event = SignEvent(TestLedger::Document("d1"), t.admin());
  t.store().Submit(event, [&](Result<Receipt> outer) {
    EXPECT_EQ(outer.status().code(), Code::kUnavailable);
    t.store().Submit(event, [&](Result<Receipt> inner) { inner_code.set_value(inner.status().code()); });
  });
  EXPECT_EQ(inner_code.get_future().get(), Code::kUnavailable);
}

}  // namespace
}  // namespace ledger
