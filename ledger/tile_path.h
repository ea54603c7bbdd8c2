// C2SP tlog-tiles resource names (https://c2sp.org/tlog-tiles): the Merkle tree tiles
// `tile/<L>/<N>[.p/<W>]` and the entry bundles `tile/entries/<N>[.p/<W>]`, where N is written in
// zero-padded groups of three digits, all but the last prefixed with 'x' (1234067 is
// `x001/x234/067`) and `.p/<W>` marks a partial tile of W (1..255) hashes or entries.
// docs/transparency.md explains what ledgerd serves at these paths. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ledger {

// Hashes in a full tile and entries in a full entry bundle (tile height 8).
inline constexpr std::uint32_t kTileWidthFull = 256;
// Tile levels a tree of at most 2^64 - 1 entries has (8 tree levels each).
inline constexpr std::uint32_t kTileLevelsMax = 8;
// The largest level the path grammar admits ("between 0 and 63").
inline constexpr std::uint32_t kTilePathLevelMax = 63;

// One tile or entry bundle: `width` hashes (or entries) from index * 256; 256 means full.
struct TileId {
  bool entries = false;  // An entry bundle (tile/entries/…); `level` is then 0.
  std::uint8_t level = 0;
  std::uint64_t index = 0;
  std::uint32_t width = kTileWidthFull;

  bool full() const { return width == kTileWidthFull; }
  bool operator==(const TileId&) const = default;
};

// "tile/0/x001/x234/067.p/5", "tile/entries/000". Requires 1 <= width <= 256.
std::string FormatTilePath(const TileId& tile);
// "x001/x234/067": the index part alone.
std::string FormatTileIndex(std::uint64_t index);

// Parses what follows "tile/": "<L>/<N>[.p/<W>]" or "entries/<N>[.p/<W>]". Only the canonical
// spelling parses: no leading zeros in L or W, N in exactly 3-digit groups with no leading
// all-zero group, L <= 63, 1 <= W <= 255. nullopt otherwise.
std::optional<TileId> ParseTilePath(std::string_view path);

}  // namespace ledger
