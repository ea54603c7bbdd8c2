#include "ledger/format.h"

#include <algorithm>

namespace ledger::format {

namespace {
void AppendBigEndian64(std::uint64_t value, std::string* out) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}
}  // namespace

std::string EncodeIndex(std::uint64_t index) {
  std::string key;
  key.reserve(8);
  AppendBigEndian64(index, &key);
  return key;
}

std::optional<std::uint64_t> DecodeIndex(std::string_view bytes) {
  if (bytes.size() != 8) return std::nullopt;
  std::uint64_t value = 0;
  for (unsigned char c : bytes) value = (value << 8) | c;
  return value;
}

std::string EncodeTreeHead(std::uint64_t size, const crypto::Hash& root) {
  std::string value = EncodeIndex(size);
  value.append(crypto::AsBytes(root));
  return value;
}

std::optional<TreeHead> DecodeTreeHead(std::string_view bytes) {
  if (bytes.size() != 8 + crypto::kHashBytes) return std::nullopt;
  TreeHead head;
  head.size = *DecodeIndex(bytes.substr(0, 8));
  std::copy(bytes.begin() + 8, bytes.end(), head.root.begin());
  return head;
}

std::string EncodeTileKey(std::uint8_t level, std::uint64_t index) {
  std::string key;
  key.reserve(9);
  key.push_back(static_cast<char>(level));
  AppendBigEndian64(index, &key);
  return key;
}

}  // namespace ledger::format
