// Private to ledger/: the Merkle tree stored as C2SP tlog-tiles (docs/formats.md, "tree").
//
// A tile at tile level T and index K holds the hashes of the tree nodes at level 8T with indexes
// 256K .. 256K + w - 1, concatenated (w = 256 for a full tile). Tile level 0 holds the entry
// hashes. Every other node is recomputed from the tile below it: node (8T + r, N) is the root of
// the 2^r level-8T hashes under it, at most 128 hashes away. Appends write one full tile per 256
// entries plus the growing rightmost tile of each level once per batch, instead of two keys per
// entry; proofs and tiles are served from the same rows.
#pragma once

#include <rocksdb/write_batch.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "crypto/hash.h"
#include "crypto/merkle.h"
#include "ledger/status.h"

namespace ledger::internal {

inline constexpr int kTileHeight = 8;
inline constexpr std::uint64_t kTileWidth = 256;
static_assert(kTileWidth == (std::uint64_t{1} << kTileHeight));
// A level-0 tile's middle row (format::kMidRowTileLevel): its nodes of tree level 4.
inline constexpr int kMidRowLevel = 4;
inline constexpr std::uint64_t kMidRowWidth = kTileWidth >> kMidRowLevel;

// Reads the stored bytes of tile (level, index); nullopt if absent.
using TileFetch = std::function<std::optional<std::string>(std::uint8_t tile_level, std::uint64_t tile_index)>;

// Hash of the complete node (level, index), recomputed from its tile: for levels 5 to 7 from the
// level-0 tile's middle row when it holds the node's part of level 4, else from the tile itself.
// nullopt if the tile is missing or too short to hold the node (the node is not complete).
std::optional<crypto::Hash> NodeFromTiles(std::uint8_t level, std::uint64_t index, const TileFetch& fetch);

// Every complete node inside the tiles of tile level 1 and above, computed once and kept. Each
// proof of a large tree needs nodes from the few tiles at the top of the tree, and recomputing a
// node at tree level 8T + r from its tile costs 2^r - 1 hashes. A complete node never changes,
// even in a partial tile, so a tile's nodes are kept with the width they were computed at, and a
// node beyond that width reads the (grown) tile again. Level-0 tiles are not kept: there are 256
// times as many, read at random. Bounded by constants::tile_node_cache_tiles_max. Safe for
// concurrent use.
class TileNodeCache {
 public:
  // Hash of node (level, index) if it lies in a tile of tile level >= 1 that holds it, computing
  // and keeping that tile's complete nodes when it is not kept wide enough (`fetch` reads the
  // tile). nullopt otherwise: a level-0 node, or a tile that is absent or too short for the node
  // (the caller then recomputes with NodeFromTiles, which finds it missing too).
  std::optional<crypto::Hash> Node(std::uint8_t level, std::uint64_t index, const TileFetch& fetch);

 private:
  struct Tile {
    std::uint64_t width = 0;  // Hashes of the tile when its nodes were computed.
    // The tile's hashes, then its level-1 nodes, …, then its level-7 nodes: the nodes of level r
    // start at 512 - (512 >> r); the first width >> r of them are set.
    std::array<crypto::Hash, 510> nodes;
  };
  std::mutex mutex_;
  std::unordered_map<std::uint64_t, std::shared_ptr<const Tile>> tiles_;  // (tile level << 56) | tile index
};

// The sequencer's side: receives every completed tree node, keeps the rightmost (partial) tile
// of each tile level in memory and writes tiles into the batch being built. One thread.
class TileWriter {
 public:
  explicit TileWriter(rocksdb::ColumnFamilyHandle* family) : family_(family) {}
  // Resumes a tree of `size` leaves from stored tiles. kCorruption if a partial tile is missing.
  Status Load(std::uint64_t size, const TileFetch& fetch);
  // Records a completed node; nodes on levels that are not multiples of 8 are ignored, but for
  // level 4 (middle rows). A tile or middle row that becomes full is written to `batch` at once.
  void Add(const crypto::CompactTree::Node& node, rocksdb::WriteBatch* batch);
  // Writes every partial tile that grew since the last flush.
  void Flush(rocksdb::WriteBatch* batch);

 private:
  struct Partial {
    std::uint64_t tile_index = 0;
    std::string hashes;  // w * 32 bytes.
    bool dirty = false;
  };
  rocksdb::ColumnFamilyHandle* family_;
  void Extend(Partial* row, std::uint8_t key_level, std::uint64_t width, std::uint64_t index,
              const crypto::Hash& hash, rocksdb::WriteBatch* batch);

  std::vector<Partial> partials_;  // One per tile level.
  Partial mid_row_;  // The middle row of the rightmost level-0 tile.
};

}  // namespace ledger::internal
