#include "ledger/tiles_impl.h"

#include <algorithm>
#include <array>
#include <cassert>

#include "ledger/constants.h"
#include "ledger/format.h"

namespace ledger::internal {

namespace {

// The root of `count` (a power of two) consecutive 32-byte hashes of `row` from `offset`; nullopt
// if the row is too short.
std::optional<crypto::Hash> RootOfRow(const std::string& row, std::uint64_t offset, std::uint64_t count) {
  if (row.size() < (offset + count) * crypto::kHashBytes) return std::nullopt;
  std::array<crypto::Hash, kTileWidth / 2> nodes;
  for (std::uint64_t i = 0; i < count; ++i) {
    auto hash = crypto::HashFromBytes(std::string_view(row).substr((offset + i) * crypto::kHashBytes, crypto::kHashBytes));
    assert(hash.has_value());  // The substring has exactly 32 bytes.
    nodes[i] = *hash;
  }
  for (std::uint64_t width = count; width > 1; width /= 2) {
    for (std::uint64_t i = 0; i < width / 2; ++i) nodes[i] = crypto::NodeHash(nodes[2 * i], nodes[2 * i + 1]);
  }
  return nodes[0];
}

}  // namespace

std::optional<crypto::Hash> NodeFromTiles(std::uint8_t level, std::uint64_t index, const TileFetch& fetch) {
  const int tile_level = level / kTileHeight;
  const int height = level % kTileHeight;  // Levels above the tile's base.
  if (height > 0 && index > (UINT64_MAX >> height)) return std::nullopt;
  if (tile_level == 0 && height > kMidRowLevel) {
    const std::uint64_t first = index << (height - kMidRowLevel);  // First level-4 node under it.
    auto row = fetch(format::kMidRowTileLevel, first / kMidRowWidth);
    if (row) {
      if (auto node = RootOfRow(*row, first % kMidRowWidth, std::uint64_t{1} << (height - kMidRowLevel))) return node;
    }
    // No middle row (a store from before they were kept), or a short one: the tile has it all.
  }
  const std::uint64_t first = index << height;  // First base node under (level, index).
  const std::uint64_t count = std::uint64_t{1} << height;
  const std::uint64_t offset = first % kTileWidth;
  auto tile = fetch(static_cast<std::uint8_t>(tile_level), first / kTileWidth);
  if (!tile) return std::nullopt;
  return RootOfRow(*tile, offset, count);
}

std::optional<crypto::Hash> TileNodeCache::Node(std::uint8_t level, std::uint64_t index, const TileFetch& fetch) {
  const int tile_level = level / kTileHeight;
  const int height = level % kTileHeight;
  if (tile_level == 0) return std::nullopt;
  const std::uint64_t per_tile = kTileWidth >> height;  // Nodes of this level in one tile.
  const std::uint64_t tile_index = index / per_tile;
  const std::uint64_t offset = index % per_tile;
  const std::uint64_t end = (offset + 1) << height;  // The node covers tile hashes [end - 2^height, end).
  const std::uint64_t key = (std::uint64_t{static_cast<std::uint8_t>(tile_level)} << 56) | tile_index;
  const std::size_t slot = 512 - (512 >> height) + offset;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = tiles_.find(key); it != tiles_.end() && end <= it->second->width) return it->second->nodes[slot];
  }
  if (tile_index >= (std::uint64_t{1} << 56)) return std::nullopt;  // No tree is that large.
  // Absent, or kept narrower than this node needs: the tile has grown since (or never held it).
  auto tile = fetch(static_cast<std::uint8_t>(tile_level), tile_index);
  if (!tile || tile->size() % crypto::kHashBytes != 0 || tile->size() < end * crypto::kHashBytes) return std::nullopt;
  auto kept = std::make_shared<Tile>();
  kept->width = std::min<std::uint64_t>(tile->size() / crypto::kHashBytes, kTileWidth);
  for (std::uint64_t i = 0; i < kept->width; ++i) {
    kept->nodes[i] = *crypto::HashFromBytes(std::string_view(*tile).substr(i * crypto::kHashBytes, crypto::kHashBytes));
  }
  // Level r of the tile has width >> r complete nodes; each is computed once.
  for (int r = 1; r < kTileHeight; ++r) {
    const std::size_t below = 512 - (512 >> (r - 1)), at = 512 - (512 >> r);
    for (std::size_t i = 0; i < (kept->width >> r); ++i) {
      kept->nodes[at + i] = crypto::NodeHash(kept->nodes[below + 2 * i], kept->nodes[below + 2 * i + 1]);
    }
  }
  const crypto::Hash node = kept->nodes[slot];
  std::lock_guard<std::mutex> lock(mutex_);
  // Forgetting costs only recomputation; the tiles worth keeping come back at once.
  if (tiles_.size() >= constants::tile_node_cache_tiles_max) tiles_.clear();
  tiles_.insert_or_assign(key, std::move(kept));
  return node;
}

Status TileWriter::Load(std::uint64_t size, const TileFetch& fetch) {
  partials_.clear();
  for (int tile_level = 0; (size >> (kTileHeight * tile_level)) > 0; ++tile_level) {
    const std::uint64_t nodes = size >> (kTileHeight * tile_level);  // Complete base nodes.
    Partial partial;
    partial.tile_index = nodes / kTileWidth;
    const std::uint64_t width = nodes % kTileWidth;
    if (width > 0) {
      auto tile = fetch(static_cast<std::uint8_t>(tile_level), partial.tile_index);
      if (!tile || tile->size() < width * crypto::kHashBytes) {
        return Status(Code::kCorruption, "partial tile " + std::to_string(tile_level) + "/" +
                                             std::to_string(partial.tile_index) + " is missing or short");
      }
      partial.hashes = tile->substr(0, width * crypto::kHashBytes);
    }
    partials_.push_back(std::move(partial));
  }
  // The rightmost level-0 tile's middle row, recomputed from the tile (a store from before
  // middle rows were kept has none to read).
  mid_row_ = Partial();
  mid_row_.tile_index = size / kTileWidth;
  if (!partials_.empty()) {
    const std::string& leaves = partials_[0].hashes;
    const std::uint64_t per_node = std::uint64_t{1} << kMidRowLevel;
    for (std::uint64_t i = 0; (i + 1) * per_node * crypto::kHashBytes <= leaves.size(); ++i) {
      mid_row_.hashes.append(crypto::AsBytes(*RootOfRow(leaves, i * per_node, per_node)));
    }
  }
  return Status::Ok();
}

// Appends `hash` to `row` (whose next node is `index`); a row that reaches `width` hashes is
// written under `key_level` at once and the next row begins.
void TileWriter::Extend(TileWriter::Partial* row, std::uint8_t key_level, std::uint64_t width, std::uint64_t index,
                        const crypto::Hash& hash, rocksdb::WriteBatch* batch) {
  // Nodes of one level complete in index order, so each lands at the end of its row.
  assert(index == row->tile_index * width + row->hashes.size() / crypto::kHashBytes);
  (void)index;
  row->hashes.append(crypto::AsBytes(hash));
  row->dirty = true;
  if (row->hashes.size() == width * crypto::kHashBytes) {
    batch->Put(family_, format::EncodeTileKey(key_level, row->tile_index), row->hashes).PermitUncheckedError();
    row->tile_index += 1;
    row->hashes.clear();
    row->dirty = false;
  }
}

void TileWriter::Add(const crypto::CompactTree::Node& node, rocksdb::WriteBatch* batch) {
  if (node.level == kMidRowLevel) {
    return Extend(&mid_row_, format::kMidRowTileLevel, kMidRowWidth, node.index, node.hash, batch);
  }
  if (node.level % kTileHeight != 0) return;
  const std::size_t tile_level = node.level / kTileHeight;
  if (partials_.size() <= tile_level) partials_.resize(tile_level + 1);
  Extend(&partials_[tile_level], static_cast<std::uint8_t>(tile_level), kTileWidth, node.index, node.hash, batch);
}

void TileWriter::Flush(rocksdb::WriteBatch* batch) {
  if (mid_row_.dirty) {
    batch->Put(family_, format::EncodeTileKey(format::kMidRowTileLevel, mid_row_.tile_index), mid_row_.hashes)
        .PermitUncheckedError();
    mid_row_.dirty = false;
  }
  for (std::size_t tile_level = 0; tile_level < partials_.size(); ++tile_level) {
    Partial& partial = partials_[tile_level];
    if (!partial.dirty) continue;
    batch->Put(family_, format::EncodeTileKey(static_cast<std::uint8_t>(tile_level), partial.tile_index),
               partial.hashes)
        .PermitUncheckedError();
    partial.dirty = false;
  }
}

}  // namespace ledger::internal
