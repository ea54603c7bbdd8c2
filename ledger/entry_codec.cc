#include "ledger/entry_codec.h"

#include "ledger/constants.h"

namespace ledger {

namespace {

// Protobuf wire format: a field's tag is its number << 3 | its wire type.
constexpr int kVarint = 0;
constexpr int kLengthDelimited = 2;
constexpr char Tag(int field, int wire_type) { return static_cast<char>((field << 3) | wire_type); }
// v1::LogEntry.
constexpr char kIndexTag = Tag(1, kVarint);
constexpr char kPreviousHashTag = Tag(2, kLengthDelimited);
constexpr char kSequencedTag = Tag(3, kVarint);
constexpr char kSignedEventTag = Tag(4, kLengthDelimited);
// v1::SignedEvent.
constexpr char kEventTag = Tag(1, kLengthDelimited);
constexpr char kPublicKeyTag = Tag(2, kLengthDelimited);
constexpr char kSignatureTag = Tag(3, kLengthDelimited);
constexpr char kRosterTag = Tag(4, kLengthDelimited);
// v1::RosterProof.
constexpr char kHeaderTag = Tag(1, kLengthDelimited);
constexpr char kRosterSignatureTag = Tag(2, kLengthDelimited);
constexpr char kLeafIndexTag = Tag(3, kVarint);
constexpr char kAuditPathTag = Tag(4, kLengthDelimited);
// The largest varint: 10 bytes for 64 bits.
constexpr std::size_t kVarintBytesMax = 10;

void AppendVarint(std::uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

std::size_t VarintSize(std::uint64_t value) {
  std::size_t size = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++size;
  }
  return size;
}

// A length-delimited field: tag, length, bytes.
void AppendField(char tag, std::string_view bytes, std::string* out) {
  out->push_back(tag);
  AppendVarint(bytes.size(), out);
  out->append(bytes);
}

std::size_t FieldSize(std::size_t bytes) { return 1 + VarintSize(bytes) + bytes; }

}  // namespace

std::size_t AppendSignedEventEnvelope(std::string_view event, std::string_view public_key,
                                      std::string_view signature, std::string* out) {
  AppendField(kEventTag, event, out);
  const std::size_t event_at = out->size() - event.size();
  AppendField(kPublicKeyTag, public_key, out);
  AppendField(kSignatureTag, signature, out);
  return event_at;
}

std::size_t AppendRosterEventEnvelope(std::string_view event, std::string_view public_key,
                                      std::string_view header, std::string_view signature,
                                      std::uint64_t leaf_index, const std::vector<crypto::Hash>& audit_path,
                                      std::string* out) {
  // Fields in number order; proto3 omits empty bytes and a zero leaf_index.
  AppendField(kEventTag, event, out);
  const std::size_t event_at = out->size() - event.size();
  if (!public_key.empty()) AppendField(kPublicKeyTag, public_key, out);
  std::size_t proof_size = (header.empty() ? 0 : FieldSize(header.size())) +
                           (signature.empty() ? 0 : FieldSize(signature.size())) +
                           (leaf_index == 0 ? 0 : 1 + VarintSize(leaf_index)) +
                           audit_path.size() * FieldSize(crypto::kHashBytes);
  out->push_back(kRosterTag);
  AppendVarint(proof_size, out);
  if (!header.empty()) AppendField(kHeaderTag, header, out);
  if (!signature.empty()) AppendField(kRosterSignatureTag, signature, out);
  if (leaf_index != 0) {
    out->push_back(kLeafIndexTag);
    AppendVarint(leaf_index, out);
  }
  for (const crypto::Hash& hash : audit_path) AppendField(kAuditPathTag, crypto::AsBytes(hash), out);
  return event_at;
}

std::size_t RosterEventEnvelopeOverhead(std::size_t public_key_size, std::size_t header_size,
                                        std::size_t signature_size, std::size_t path_hashes) {
  // The event's tag and length, the key, the proof's tag and length, then the proof's fields.
  return 1 + kVarintBytesMax + FieldSize(public_key_size) + 1 + kVarintBytesMax + FieldSize(header_size) +
         FieldSize(signature_size) + 1 + kVarintBytesMax + path_hashes * FieldSize(crypto::kHashBytes);
}

// Index, previous hash, time, and the envelope's tag and length (3 bytes up to entry_bytes_max).
static_assert((1 + 10) + (1 + 1 + 32) + (1 + 10) + (1 + 3) <= constants::entry_head_bytes_max);

std::string EncodeLogEntryHead(std::uint64_t index, const crypto::Hash& previous_hash,
                               std::int64_t sequenced_ms, std::size_t signed_event_size) {
  std::string out;
  out.reserve(constants::entry_head_bytes_max);
  if (index != 0) {
    out.push_back(kIndexTag);
    AppendVarint(index, &out);
  }
  AppendField(kPreviousHashTag, crypto::AsBytes(previous_hash), &out);
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
