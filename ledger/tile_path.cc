#include "ledger/tile_path.h"

#include <cassert>
#include <cctype>
#include <charconv>
#include <vector>

namespace ledger {
namespace {

// A decimal without sign or leading zeros (except "0" itself), at most `max`.
std::optional<std::uint64_t> ParseDecimal(std::string_view text, std::uint64_t max) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

bool IsThreeDigits(std::string_view text) {
  return text.size() == 3 && std::isdigit(static_cast<unsigned char>(text[0])) &&
         std::isdigit(static_cast<unsigned char>(text[1])) && std::isdigit(static_cast<unsigned char>(text[2]));
}

// "x001/x234/067" -> 1234067. The groups are split at '/' already.
std::optional<std::uint64_t> ParseIndex(const std::vector<std::string_view>& groups) {
  if (groups.empty()) return std::nullopt;
  std::uint64_t index = 0;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    std::string_view group = groups[i];
    const bool last = i + 1 == groups.size();
    if (!last) {
      if (group.empty() || group[0] != 'x') return std::nullopt;
      group.remove_prefix(1);
    }
    if (!IsThreeDigits(group)) return std::nullopt;
    // A leading group of zeros is not canonical: 5 is "005", never "x000/005".
    if (i == 0 && !last && group == "000") return std::nullopt;
    const std::uint64_t digits = static_cast<std::uint64_t>((group[0] - '0') * 100 + (group[1] - '0') * 10 + (group[2] - '0'));
    if (index > (UINT64_MAX - digits) / 1000) return std::nullopt;
    index = index * 1000 + digits;
  }
  return index;
}

}  // namespace

std::string FormatTileIndex(std::uint64_t index) {
  std::string groups[7];  // 2^64 has 20 digits: at most 7 groups.
  int count = 0;
  do {
    const unsigned digits = static_cast<unsigned>(index % 1000);
    index /= 1000;
    groups[count++] = {static_cast<char>('0' + digits / 100), static_cast<char>('0' + digits / 10 % 10),
                       static_cast<char>('0' + digits % 10)};
  } while (index > 0);
  std::string out;
  for (int i = count - 1; i >= 0; --i) {
    if (i > 0) out += 'x';
    out += groups[i];
    if (i > 0) out += '/';
  }
  return out;
}

std::string FormatTilePath(const TileId& tile) {
  assert(tile.width >= 1 && tile.width <= kTileWidthFull);
  std::string path = tile.entries ? "tile/entries/" : "tile/" + std::to_string(tile.level) + "/";
  path += FormatTileIndex(tile.index);
  if (!tile.full()) path += ".p/" + std::to_string(tile.width);
  return path;
}

std::optional<TileId> ParseTilePath(std::string_view path) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t slash = path.find('/', start);
    parts.push_back(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (parts.size() < 2) return std::nullopt;
  TileId tile;
  if (parts[0] == "entries") {
    tile.entries = true;
  } else {
    auto level = ParseDecimal(parts[0], kTilePathLevelMax);
    if (!level) return std::nullopt;
    tile.level = static_cast<std::uint8_t>(*level);
  }
  parts.erase(parts.begin());
  // A partial tile: the last index group carries ".p", and the width follows.
  if (parts.size() >= 2 && parts[parts.size() - 2].ends_with(".p")) {
    auto width = ParseDecimal(parts.back(), kTileWidthFull - 1);
    if (!width || *width == 0) return std::nullopt;
    tile.width = static_cast<std::uint32_t>(*width);
    parts.pop_back();
    parts.back().remove_suffix(2);
  }
  auto index = ParseIndex(parts);
  if (!index) return std::nullopt;
  tile.index = *index;
  return tile;
}

}  // namespace ledger
