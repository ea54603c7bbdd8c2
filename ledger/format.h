// On-disk format constants: column families, key encodings and metadata keys.
// The prose specification with worked examples is docs/formats.md; keep the two in step.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/hash.h"

namespace ledger::format {

// Bumped only with a migration; a store of another version is refused at open.
inline constexpr std::uint32_t kFormatVersion = 3;  // 2: the projections family (fund flows); 3: tree_head.

// Column families.
inline constexpr std::string_view kEntriesFamily = "entries";   // index -> LogEntry bytes
inline constexpr std::string_view kTreeFamily = "tree";         // tile (level, index) -> hashes
inline constexpr std::string_view kEventIdsFamily = "event_ids";  // event id -> index
inline constexpr std::string_view kActorsFamily = "actors";     // public key -> ActorRecord bytes
// Domain projections' rows, each projection under its own "name/" prefix (docs/funds.md).
inline constexpr std::string_view kProjectionsFamily = "projections";
// Every family but RocksDB's default, in the order stores open them.
inline constexpr std::array<std::string_view, 5> kFamilies = {
    kEntriesFamily, kTreeFamily, kEventIdsFamily, kActorsFamily, kProjectionsFamily};
// The default family holds metadata under these keys.
inline constexpr std::string_view kMetaFormatVersion = "format_version";  // decimal text
inline constexpr std::string_view kMetaOrigin = "origin";
inline constexpr std::string_view kMetaLogKey = "log_key";          // verifier key text
inline constexpr std::string_view kMetaCheckpoint = "checkpoint";   // latest signed note
// The durable tree head, written with every batch: 8-byte big-endian size, then the 32-byte
// RFC 6962 root. The signed checkpoint follows it at most once a second, so it may be smaller.
inline constexpr std::string_view kMetaTreeHead = "tree_head";
// Present while `ledgerctl rebuild` replaces the projections; a store holding it refuses to open.
inline constexpr std::string_view kMetaRebuilding = "projections_rebuilding";

// Entry keys and event-id values: 8-byte big-endian index, so keys sort in log order.
std::string EncodeIndex(std::uint64_t index);
std::optional<std::uint64_t> DecodeIndex(std::string_view bytes);

// The kMetaTreeHead value: 8-byte big-endian size, then the 32-byte root.
struct TreeHead {
  std::uint64_t size = 0;
  crypto::Hash root{};
};
std::string EncodeTreeHead(std::uint64_t size, const crypto::Hash& root);
std::optional<TreeHead> DecodeTreeHead(std::string_view bytes);

// Tree keys: 1 byte tile level, then the 8-byte big-endian tile index. The value is the tile:
// the concatenated 32-byte hashes of tree level 8 * tile level, indexes 256 * index onwards
// (C2SP tlog-tiles; 256 hashes when full, fewer in the rightmost tile of a level).
std::string EncodeTileKey(std::uint8_t tile_level, std::uint64_t tile_index);
// Under this tile-level byte, the key of level-0 tile K holds its middle row: the hashes of tree
// level 4 with indexes 16K onwards (16 when the tile is full). Derived from the tile, kept so a
// proof computes a node of level 5 to 7 from at most 8 of them instead of up to 128 leaf hashes.
inline constexpr std::uint8_t kMidRowTileLevel = 0x80;

}  // namespace ledger::format
