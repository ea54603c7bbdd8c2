// internal::TileNodeCache: nodes of upper tiles, kept across proofs, must equal the nodes
// NodeFromTiles recomputes from the same tile; what a tile does not hold is left to it.
#include <gtest/gtest.h>

#include <map>

#include "ledger/tiles_impl.h"

namespace ledger::internal {
namespace {

class TileNodeCacheTest : public ::testing::Test {
 protected:
  TileNodeCacheTest() {
    for (std::uint64_t i = 0; i < 256; ++i) full_ += std::string(crypto::AsBytes(crypto::Sha256(std::to_string(i))));
    tiles_[{1, 3}] = full_;
    tiles_[{1, 4}] = full_.substr(0, 100 * 32);  // Partial.
    tiles_[{0, 0}] = full_;
  }
  TileFetch Fetch() {
    return [this](std::uint8_t level, std::uint64_t index) -> std::optional<std::string> {
      ++reads_;
      auto it = tiles_.find({level, index});
      if (it == tiles_.end()) return std::nullopt;
      return it->second;
    };
  }

  std::string full_;
  std::map<std::pair<int, std::uint64_t>, std::string> tiles_;
  int reads_ = 0;
  TileNodeCache cache_;
};

TEST_F(TileNodeCacheTest, EveryNodeOfAFullUpperTileEqualsTheRecomputedNode) {
  for (std::uint8_t level = 8; level < 16; ++level) {
    const std::uint64_t per_tile = 256 >> (level - 8);
    for (std::uint64_t index = 3 * per_tile; index < 4 * per_tile; ++index) {
      auto cached = cache_.Node(level, index, Fetch());
      ASSERT_TRUE(cached.has_value()) << int(level) << " " << index;
      EXPECT_EQ(*cached, *NodeFromTiles(level, index, Fetch())) << int(level) << " " << index;
    }
  }
}

TEST_F(TileNodeCacheTest, AFullTileIsReadOnce) {
  ASSERT_TRUE(cache_.Node(15, 7, Fetch()).has_value());
  ASSERT_TRUE(cache_.Node(8, 3 * 256 + 9, Fetch()).has_value());
  ASSERT_TRUE(cache_.Node(12, 3 * 16 + 2, Fetch()).has_value());
  EXPECT_EQ(reads_, 1);
}

TEST_F(TileNodeCacheTest, CompleteNodesOfAPartialTileEqualTheRecomputedNodes) {
  for (std::uint8_t level = 8; level < 16; ++level) {
    const std::uint64_t per_tile = 256 >> (level - 8);
    for (std::uint64_t index = 4 * per_tile; index < 4 * per_tile + (100 >> (level - 8)); ++index) {
      auto cached = cache_.Node(level, index, Fetch());
      ASSERT_TRUE(cached.has_value()) << int(level) << " " << index;
      EXPECT_EQ(*cached, *NodeFromTiles(level, index, Fetch())) << int(level) << " " << index;
    }
  }
}

TEST_F(TileNodeCacheTest, ANodeBeyondAPartialTileIsLeftToTheCaller) {
  EXPECT_FALSE(cache_.Node(8, 4 * 256 + 100, Fetch()).has_value());
  EXPECT_FALSE(cache_.Node(10, 4 * 64 + 25, Fetch()).has_value());  // Hashes 100..103.
  EXPECT_FALSE(cache_.Node(15, 4 * 2, Fetch()).has_value());
}

TEST_F(TileNodeCacheTest, ATileThatGrewIsReadAgainForItsNewNodes) {
  ASSERT_EQ(*cache_.Node(8, 4 * 256 + 99, Fetch()), *NodeFromTiles(8, 4 * 256 + 99, Fetch()));
  tiles_[{1, 4}] = full_.substr(0, 200 * 32);
  const int reads_before = reads_;
  ASSERT_TRUE(cache_.Node(14, 4 * 4 + 2, Fetch()).has_value());  // Hashes 128..191: complete now.
  EXPECT_EQ(*cache_.Node(14, 4 * 4 + 2, Fetch()), *NodeFromTiles(14, 4 * 4 + 2, Fetch()));
  EXPECT_EQ(reads_, reads_before + 2);  // The cache's read, then NodeFromTiles' own.
}

TEST_F(TileNodeCacheTest, AbsentAndLevelZeroTilesAreLeftToTheCaller) {
  EXPECT_FALSE(cache_.Node(8, 9 * 256, Fetch()).has_value());  // Tile 1/9 is absent.
  EXPECT_FALSE(cache_.Node(3, 0, Fetch()).has_value());        // Level 0.
}

}  // namespace
}  // namespace ledger::internal
