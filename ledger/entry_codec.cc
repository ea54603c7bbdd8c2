#include "ledger/entry_codec.h"

namespace ledger {

namespace {

// Protobuf wire format: tag = field number << 3 | wire type (0 varint, 2 length-delimited).
constexpr char kIndexTag = (1 << 3) | 0;
constexpr char kPreviousHashTag = (2 << 3) | 2;
constexpr char kSequencedTag = (3 << 3) | 0;
constexpr char kSignedEventTag = (4 << 3) | 2;

void AppendVarint(std::uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

}  // namespace

std::string EncodeLogEntryHead(std::uint64_t index, const crypto::Hash& previous_hash,
                               std::int64_t sequenced_ms, std::size_t signed_event_size) {
  std::string out;
  out.reserve(64);
  if (index != 0) {
    out.push_back(kIndexTag);
    AppendVarint(index, &out);
  }
  out.push_back(kPreviousHashTag);
  AppendVarint(previous_hash.size(), &out);
  out.append(crypto::AsBytes(previous_hash));
  if (sequenced_ms != 0) {
    out.push_back(kSequencedTag);
    // int64 varints encode negative values as their two's complement in 10 bytes.
    AppendVarint(static_cast<std::uint64_t>(sequenced_ms), &out);
  }
  if (signed_event_size != 0) {
    out.push_back(kSignedEventTag);
    AppendVarint(signed_event_size, &out);
  }
  return out;
}

std::string EncodeLogEntry(std::uint64_t index, const crypto::Hash& previous_hash,
                           std::int64_t sequenced_ms, std::string_view signed_event_bytes) {
  std::string out = EncodeLogEntryHead(index, previous_hash, sequenced_ms, signed_event_bytes.size());
  out.append(signed_event_bytes);
  return out;
}

}  // namespace ledger
