// EventStore's transparency reads (InclusionProof, ConsistencyProof, ReadTile) on a real store of
// 300 entries, checked only against tests/rfc9162.h: a client written from RFC 6962 / RFC 9162 and
// C2SP tlog-tiles that computes every leaf hash and root itself from the exact stored entries.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "crypto/note.h"
#include "ledger/event_signer.h"
#include "ledger/format.h"
#include "tests/insider.h"
#include "tests/rfc9162.h"
#include "tests/test_ledger.h"

namespace {

using ledger::Code;
using ledger::TileId;
using rfc9162::Bytes;
using testing_ledger::TestLedger;

constexpr std::uint64_t kEntries = 300;  // A full level-0 tile, a partial one of 44, and 1/0.p/1.

std::vector<Bytes> AsBytes(const std::vector<crypto::Hash>& hashes) {
  std::vector<Bytes> out;
  for (const crypto::Hash& hash : hashes) out.emplace_back(crypto::AsBytes(hash));
  return out;
}

class ProofsTest : public ::testing::Test {
 protected:
  // One ledger for the suite: genesis, then two rosters (199 and 100 events), so the partial
  // tiles were rewritten as the log grew. Leaf hashes and roots come from the stored entries.
  static void SetUpTestSuite() {
    ledger_ = new TestLedger();
    for (const auto& [first, count] : {std::pair{1, 199}, std::pair{200, 100}}) {
      std::vector<ledger::v1::Event> events;
      for (int i = first; i < first + count; ++i) events.push_back(TestLedger::Document("doc-" + std::to_string(i)));
      ledger::v1::RosterHeader header;
      header.set_origin(testing_ledger::kOrigin);
      header.set_roster_id("roster-" + std::to_string(first));
      header.set_timestamp_ms(testing_ledger::kTime);
      auto receipts = ledger_->store().AppendRoster(ledger::SignRoster(header, events, ledger_->admin()));
      ASSERT_TRUE(receipts.ok()) << receipts.status().ToString();
    }
    ASSERT_EQ(ledger_->store().size(), kEntries);
    ASSERT_NO_FATAL_FAILURE(ledger_->WaitForFullCheckpoint());
    leaves_ = new std::vector<Bytes>();
    roots_ = new std::vector<Bytes>{rfc9162::Sha256("")};
    for (std::uint64_t i = 0; i < kEntries; ++i) {
      auto entry = ledger_->store().ReadEntry(i);
      ASSERT_TRUE(entry.ok());
      leaves_->push_back(rfc9162::LeafHash(*entry));
      roots_->push_back(rfc9162::Mth(*leaves_, 0, leaves_->size()));
    }
  }
  static void TearDownTestSuite() {
    delete ledger_;
    delete leaves_;
    delete roots_;
  }

  static ledger::EventStore& store() { return ledger_->store(); }
  static const std::vector<Bytes>& leaves() { return *leaves_; }
  static const Bytes& root(std::uint64_t size) { return (*roots_)[size]; }
  static Bytes Concat(std::size_t begin, std::size_t end) {
    Bytes out;
    for (std::size_t i = begin; i < end; ++i) out += leaves()[i];
    return out;
  }

  static TestLedger* ledger_;
  static std::vector<Bytes>* leaves_;
  static std::vector<Bytes>* roots_;  // roots_[n] = MTH of the first n entries.
};

TestLedger* ProofsTest::ledger_ = nullptr;
std::vector<Bytes>* ProofsTest::leaves_ = nullptr;
std::vector<Bytes>* ProofsTest::roots_ = nullptr;

TEST_F(ProofsTest, CheckpointRootIsTheSpecRootOfTheStoredEntries) {
  auto checkpoint = crypto::ParseCheckpoint(*crypto::OpenNote(store().checkpoint(), store().log_key()));
  ASSERT_TRUE(checkpoint.ok());
  EXPECT_EQ(checkpoint->size, kEntries);
  EXPECT_EQ(Bytes(crypto::AsBytes(checkpoint->root)), root(kEntries));
}

TEST_F(ProofsTest, EveryInclusionProofOfEveryTreeUpTo300Verifies) {
  for (std::uint64_t size = 1; size <= kEntries; ++size) {
    for (std::uint64_t index = 0; index < size; ++index) {
      auto proof = store().InclusionProof(index, size);
      ASSERT_TRUE(proof.ok()) << index << " " << size << " " << proof.status().ToString();
      ASSERT_TRUE(rfc9162::VerifyInclusion(index, size, leaves()[index], AsBytes(*proof), root(size)))
          << index << " in " << size;
    }
  }
}

TEST_F(ProofsTest, EveryConsistencyProofBetweenSizesUpTo300Verifies) {
  for (std::uint64_t size = 2; size <= kEntries; ++size) {
    for (std::uint64_t old_size = 1; old_size < size; ++old_size) {
      auto proof = store().ConsistencyProof(old_size, size);
      ASSERT_TRUE(proof.ok()) << old_size << " " << size << " " << proof.status().ToString();
      ASSERT_TRUE(rfc9162::VerifyConsistency(old_size, size, root(old_size), root(size), AsBytes(*proof)))
          << old_size << " to " << size;
    }
  }
}

TEST_F(ProofsTest, ConsistencyProofBetweenEqualSizesIsEmpty) {
  for (std::uint64_t size = 1; size <= kEntries; ++size) {
    auto proof = store().ConsistencyProof(size, size);
    ASSERT_TRUE(proof.ok());
    EXPECT_TRUE(proof->empty()) << size;
  }
}

TEST_F(ProofsTest, AFlippedBitInAnyInclusionProofHashFails) {
  for (std::uint64_t size = 1; size <= kEntries; ++size) {
    for (std::uint64_t index = 0; index < size; ++index) {
      const std::vector<Bytes> proof = AsBytes(*store().InclusionProof(index, size));
      for (std::size_t k = 0; k < proof.size(); ++k) {
        std::vector<Bytes> bad = proof;
        bad[k] = rfc9162::FlipBit(bad[k], (index * 31 + k * 7 + size) % 256);
        ASSERT_FALSE(rfc9162::VerifyInclusion(index, size, leaves()[index], bad, root(size)))
            << index << " in " << size << ", hash " << k;
      }
    }
  }
}

TEST_F(ProofsTest, AFlippedBitInAnyConsistencyProofHashFails) {
  for (std::uint64_t size = 2; size <= kEntries; ++size) {
    for (std::uint64_t old_size = 1; old_size < size; ++old_size) {
      const std::vector<Bytes> proof = AsBytes(*store().ConsistencyProof(old_size, size));
      for (std::size_t k = 0; k < proof.size(); ++k) {
        std::vector<Bytes> bad = proof;
        bad[k] = rfc9162::FlipBit(bad[k], (old_size * 31 + k * 7 + size) % 256);
        ASSERT_FALSE(rfc9162::VerifyConsistency(old_size, size, root(old_size), root(size), bad))
            << old_size << " to " << size << ", hash " << k;
      }
    }
  }
}

TEST_F(ProofsTest, EveryBitOfTheLargestProofsMatters) {
  const std::vector<Bytes> inclusion = AsBytes(*store().InclusionProof(137, kEntries));
  const std::vector<Bytes> consistency = AsBytes(*store().ConsistencyProof(137, kEntries));
  for (std::size_t k = 0; k < inclusion.size(); ++k) {
    for (std::size_t bit = 0; bit < 256; ++bit) {
      std::vector<Bytes> bad = inclusion;
      bad[k] = rfc9162::FlipBit(bad[k], bit);
      ASSERT_FALSE(rfc9162::VerifyInclusion(137, kEntries, leaves()[137], bad, root(kEntries))) << k << " " << bit;
    }
  }
  for (std::size_t k = 0; k < consistency.size(); ++k) {
    for (std::size_t bit = 0; bit < 256; ++bit) {
      std::vector<Bytes> bad = consistency;
      bad[k] = rfc9162::FlipBit(bad[k], bit);
      ASSERT_FALSE(rfc9162::VerifyConsistency(137, kEntries, root(137), root(kEntries), bad)) << k << " " << bit;
    }
  }
}

TEST_F(ProofsTest, ProofArgumentsOutsideTheTreeAreTypedErrors) {
  EXPECT_EQ(store().InclusionProof(kEntries, kEntries).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(store().InclusionProof(0, 0).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(store().InclusionProof(0, kEntries + 1).status().code(), Code::kNotFound);
  EXPECT_EQ(store().ConsistencyProof(0, 5).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(store().ConsistencyProof(6, 5).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(store().ConsistencyProof(1, kEntries + 1).status().code(), Code::kNotFound);
  EXPECT_EQ(store().ConsistencyProof(1, UINT64_MAX).status().code(), Code::kNotFound);
}

// --- Tiles -----------------------------------------------------------------------------------

TEST_F(ProofsTest, FullLevelZeroTileIsTheFirst256LeafHashes) {
  auto tile = store().ReadTile(TileId{false, 0, 0, 256});
  ASSERT_TRUE(tile.ok());
  EXPECT_EQ(*tile, Concat(0, 256));
}

TEST_F(ProofsTest, RightmostPartialTileHoldsTheRemainingLeafHashes) {
  auto tile = store().ReadTile(TileId{false, 0, 1, 44});
  ASSERT_TRUE(tile.ok());
  EXPECT_EQ(*tile, Concat(256, 300));
}

TEST_F(ProofsTest, PartialTileOfAnEarlierTreeIsServedAfterItsTileBecameFull) {
  // Tile 0/000 was partial at sizes 1 and 200 (the checkpoints before the second roster).
  EXPECT_EQ(*store().ReadTile(TileId{false, 0, 0, 1}), Concat(0, 1));
  EXPECT_EQ(*store().ReadTile(TileId{false, 0, 0, 200}), Concat(0, 200));
}

TEST_F(ProofsTest, LevelOneTileHoldsTheRootOfTheFullLevelZeroTile) {
  EXPECT_EQ(*store().ReadTile(TileId{false, 1, 0, 1}), rfc9162::Mth(leaves(), 0, 256));
}

TEST_F(ProofsTest, TilesBeyondTheTreeAreNotFound) {
  EXPECT_EQ(store().ReadTile(TileId{false, 0, 1, 256}).status().code(), Code::kNotFound);
  EXPECT_EQ(store().ReadTile(TileId{false, 0, 1, 45}).status().code(), Code::kNotFound);
  EXPECT_EQ(store().ReadTile(TileId{false, 0, 2, 1}).status().code(), Code::kNotFound);
  EXPECT_EQ(store().ReadTile(TileId{false, 1, 0, 2}).status().code(), Code::kNotFound);
  EXPECT_EQ(store().ReadTile(TileId{false, 2, 0, 1}).status().code(), Code::kNotFound);
  EXPECT_EQ(store().ReadTile(TileId{false, 63, 0, 1}).status().code(), Code::kNotFound);
  EXPECT_EQ(store().ReadTile(TileId{false, 0, UINT64_MAX, 1}).status().code(), Code::kNotFound);
  EXPECT_EQ(store().ReadTile(TileId{true, 0, 1, 45}).status().code(), Code::kNotFound);
}

// Splits an entry bundle into its entries: each a 2-byte big-endian length, then the bytes.
std::vector<std::string> ParseBundle(const std::string& bundle) {
  std::vector<std::string> entries;
  for (std::size_t at = 0; at < bundle.size();) {
    EXPECT_LE(at + 2, bundle.size());
    const std::size_t length = (static_cast<unsigned char>(bundle[at]) << 8) | static_cast<unsigned char>(bundle[at + 1]);
    EXPECT_LE(at + 2 + length, bundle.size());
    entries.push_back(bundle.substr(at + 2, length));
    at += 2 + length;
  }
  return entries;
}

TEST_F(ProofsTest, FullEntryBundleHoldsTheExactStoredEntries) {
  auto bundle = store().ReadTile(TileId{true, 0, 0, 256});
  ASSERT_TRUE(bundle.ok());
  const std::vector<std::string> entries = ParseBundle(*bundle);
  ASSERT_EQ(entries.size(), 256u);
  for (std::uint64_t i = 0; i < 256; ++i) EXPECT_EQ(entries[i], *store().ReadEntry(i)) << i;
}

TEST_F(ProofsTest, EachEntryOfAPartialBundleHashesToItsLevelZeroTileHash) {
  const std::vector<std::string> entries = ParseBundle(*store().ReadTile(TileId{true, 0, 1, 44}));
  const Bytes tile = *store().ReadTile(TileId{false, 0, 1, 44});
  ASSERT_EQ(entries.size(), 44u);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(rfc9162::LeafHash(entries[i]), tile.substr(i * 32, 32)) << i;
  }
}

// Appends `count` documents from `first` in one roster.
void AppendDocuments(TestLedger* ledger, std::uint64_t first, std::uint64_t count) {
  std::vector<ledger::v1::Event> events;
  for (std::uint64_t i = first; i < first + count; ++i) events.push_back(TestLedger::Document("doc-" + std::to_string(i)));
  ledger::v1::RosterHeader header;
  header.set_origin(testing_ledger::kOrigin);
  header.set_roster_id("roster-" + std::to_string(first));
  header.set_timestamp_ms(testing_ledger::kTime);
  ASSERT_TRUE(ledger->store().AppendRoster(ledger::SignRoster(header, events, ledger->admin())).ok());
}

// Every inclusion proof of the tree of the whole log verifies against the spec's root.
void ExpectEveryInclusionProofVerifies(TestLedger* ledger) {
  const std::uint64_t size = ledger->store().size();
  std::vector<Bytes> leaves;
  for (std::uint64_t i = 0; i < size; ++i) leaves.push_back(rfc9162::LeafHash(*ledger->store().ReadEntry(i)));
  const Bytes root = rfc9162::Mth(leaves, 0, size);
  for (std::uint64_t index = 0; index < size; ++index) {
    auto proof = ledger->store().InclusionProof(index, size);
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    EXPECT_TRUE(rfc9162::VerifyInclusion(index, size, leaves[index], AsBytes(*proof), root)) << index;
  }
}

// A level-0 tile's middle row (its level-4 nodes) grows across batches and reopens: the store
// recomputes the rightmost one from its tile at open, and proofs taken from it still verify.
TEST(MiddleRowTest, ProofsVerifyAfterTheStoreReopenedInsideATile) {
  TestLedger ledger;
  ASSERT_NO_FATAL_FAILURE(AppendDocuments(&ledger, 1, 40));  // Tile 0 holds 41: two full groups of 16.
  ledger.Reopen();
  ASSERT_NO_FATAL_FAILURE(AppendDocuments(&ledger, 41, 250));  // Into tile 1.
  ledger.Reopen();
  ASSERT_NO_FATAL_FAILURE(AppendDocuments(&ledger, 291, 7));
  ASSERT_EQ(ledger.store().size(), 298u);
  ExpectEveryInclusionProofVerifies(&ledger);
}

// Stores from before middle rows were kept have none: proofs come from the tiles alone.
TEST(MiddleRowTest, ProofsVerifyWithoutMiddleRows) {
  TestLedger ledger;
  ASSERT_NO_FATAL_FAILURE(AppendDocuments(&ledger, 1, 299));
  ledger.Close();
  {
    testing_ledger::Insider insider(ledger.dir());
    insider.DeleteTree(ledger::format::kMidRowTileLevel, 0);
    insider.DeleteTree(ledger::format::kMidRowTileLevel, 1);
  }
  ledger.Open();
  ExpectEveryInclusionProofVerifies(&ledger);
}

// The middle row is read: a node of level 5 to 7 is computed from it, not from the tile.
TEST(MiddleRowTest, NodesAboveLevelFourComeFromTheMiddleRow) {
  TestLedger ledger;
  ASSERT_NO_FATAL_FAILURE(AppendDocuments(&ledger, 1, 299));
  auto before = ledger.store().InclusionProof(255, 256);
  ASSERT_TRUE(before.ok());
  ledger.Close();
  {
    // An insider swaps the first two level-4 nodes of tile 0's middle row.
    testing_ledger::Insider insider(ledger.dir());
    std::string row = insider.ReadTree(ledger::format::kMidRowTileLevel, 0);
    ASSERT_EQ(row.size(), 16u * 32);
    insider.WriteTree(ledger::format::kMidRowTileLevel, 0, row.substr(32, 32) + row.substr(0, 32) + row.substr(64));
  }
  ledger.Open();
  auto after = ledger.store().InclusionProof(255, 256);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 8u);
  // Entry 255's siblings: node (k, (255 >> k) - 1) of each level k. Only the level-7 one, over
  // level-4 nodes 0 to 7, covers the swapped pair.
  for (std::size_t level = 0; level < 7; ++level) EXPECT_EQ((*after)[level], (*before)[level]) << level;
  EXPECT_NE((*after)[7], (*before)[7]);
}

// A log with full level-1 tiles (65,536 entries each), whose upper nodes proofs take from
// internal::TileNodeCache: a sample of proofs against trees on both sides of the first full
// level-1 tile verifies.
TEST(LargeProofsTest, ProofsOfALogWithAFullLevelOneTileVerify) {
  TestLedger ledger;
  constexpr std::uint64_t kSize = 70'000;
  for (std::uint64_t first = 1; first < kSize;) {
    const std::uint64_t count = std::min<std::uint64_t>(10'000, kSize - first);
    ASSERT_NO_FATAL_FAILURE(AppendDocuments(&ledger, first, count));
    first += count;
  }
  ASSERT_EQ(ledger.store().size(), kSize);
  std::vector<Bytes> leaves;
  for (std::uint64_t i = 0; i < kSize; ++i) leaves.push_back(rfc9162::LeafHash(*ledger.store().ReadEntry(i)));
  for (std::uint64_t size : {65'535, 65'536, 65'537, 69'999, 70'000}) {
    const Bytes root = rfc9162::Mth(leaves, 0, size);
    for (std::uint64_t index : {0, 1, 255, 256, 30'000, 65'535}) {
      if (index >= size) continue;
      auto proof = ledger.store().InclusionProof(index, size);
      ASSERT_TRUE(proof.ok());
      EXPECT_TRUE(rfc9162::VerifyInclusion(index, size, leaves[index], AsBytes(*proof), root)) << index << " in " << size;
    }
    for (std::uint64_t old_size : {1, 256, 4'097, 65'535, 65'536, 65'537}) {
      if (old_size >= size) continue;
      auto proof = ledger.store().ConsistencyProof(old_size, size);
      ASSERT_TRUE(proof.ok());
      EXPECT_TRUE(rfc9162::VerifyConsistency(old_size, size, rfc9162::Mth(leaves, 0, old_size), root, AsBytes(*proof)))
          << old_size << " to " << size;
    }
  }
  EXPECT_EQ(*ledger.store().ReadTile(TileId{false, 1, 0, 256}), [&] {
    Bytes tile;
    for (std::uint64_t k = 0; k < 256; ++k) tile += rfc9162::Mth(leaves, 256 * k, 256 * (k + 1));
    return tile;
  }());
}

}  // namespace
