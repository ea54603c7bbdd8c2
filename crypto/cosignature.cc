#include "crypto/cosignature.h"

#include <array>
#include <cassert>
#include <optional>
#include <utility>

namespace crypto {
namespace {

using ledger::Code;
using ledger::Result;
using ledger::Status;

constexpr std::string_view kCosignatureHeader = "cosignature/v1\n";
constexpr std::string_view kSignatureLinePrefix = "\xE2\x80\x94 ";  // U+2014 EM DASH, space.
constexpr std::size_t kKeyIdBytes = 4;
constexpr std::size_t kTimeBytes = 8;
// What follows the key id in a cosignature line: timestamped_signature (tlog-cosignature).
constexpr std::size_t kTimestampedSignatureBytes = kTimeBytes + kSignatureBytes;

Status InvalidKey(std::string_view problem) {
  return Status(Code::kInvalidArgument, "cosigner key: " + std::string(problem));
}

std::string BigEndian(std::uint64_t value, std::size_t bytes) {
  std::string out(bytes, '\0');
  for (std::size_t i = 0; i < bytes; ++i) {
    out[bytes - 1 - i] = static_cast<char>(value & 0xFF);
    value >>= 8;
  }
  return out;
}

std::uint64_t ReadBigEndian(std::string_view bytes) {
  std::uint64_t value = 0;
  for (char c : bytes) value = (value << 8) | static_cast<unsigned char>(c);
  return value;
}

}  // namespace

std::uint32_t CosignerKeyId(std::string_view name, const PublicKey& key) {
  const char header[] = {'\n', static_cast<char>(kAlgorithmCosignatureV1)};
  Sha256Builder builder;
  builder.Update(name).Update(std::string_view(header, sizeof(header))).Update(AsBytes(key));
  const Hash hash = builder.Finish();
  return static_cast<std::uint32_t>(ReadBigEndian(AsBytes(hash).substr(0, kKeyIdBytes)));
}

std::string FormatCosignerKey(std::string_view name, const PublicKey& key) {
  assert(IsValidKeyName(name));
  std::string encoded(1, static_cast<char>(kAlgorithmCosignatureV1));
  encoded.append(AsBytes(key));
  std::string text(name);
  text.append("+")
      .append(HexEncode(BigEndian(CosignerKeyId(name, key), kKeyIdBytes)))
      .append("+")
      .append(Base64Encode(encoded));
  return text;
}

// Splits at the first two '+' only: the base64 alphabet itself contains '+'.
Result<CosignerKey> ParseCosignerKey(std::string_view text) {
  const std::size_t name_end = text.find('+');
  if (name_end == std::string_view::npos) return InvalidKey("not of the form NAME+ID+KEY");
  const std::size_t id_end = text.find('+', name_end + 1);
  if (id_end == std::string_view::npos) return InvalidKey("not of the form NAME+ID+KEY");
  const std::string_view name = text.substr(0, name_end);
  const std::string_view id_hex = text.substr(name_end + 1, id_end - name_end - 1);
  if (!IsValidKeyName(name)) return InvalidKey("invalid key name");
  std::optional<std::string> id = HexDecode(id_hex);
  if (id_hex.size() != 2 * kKeyIdBytes || !id) {
    return InvalidKey("key id is not 8 lower-case hex digits");
  }
  std::optional<std::string> key = Base64Decode(text.substr(id_end + 1));
  if (!key) return InvalidKey("key is not valid base64");
  if (key->empty() || static_cast<std::uint8_t>((*key)[0]) != kAlgorithmCosignatureV1) {
    return InvalidKey("algorithm is not 0x04 (Ed25519 cosignature/v1)");
  }
  std::optional<PublicKey> public_key = PublicKeyFromBytes(std::string_view(*key).substr(1));
  if (!public_key) return InvalidKey("Ed25519 key is not 32 bytes");
  CosignerKey cosigner{std::string(name), static_cast<std::uint32_t>(ReadBigEndian(*id)),
                       *public_key};
  if (CosignerKeyId(cosigner.name, cosigner.key) != cosigner.key_id) {
    return InvalidKey("key id does not match the name and key");
  }
  return cosigner;
}

std::string CosignedMessage(std::string_view checkpoint_text, std::uint64_t time_seconds) {
  std::string message(kCosignatureHeader);
  message.append("time ").append(std::to_string(time_seconds)).append("\n");
  message.append(checkpoint_text);
  return message;
}

std::string Cosign(std::string_view checkpoint_text, std::uint64_t time_seconds,
                   std::string_view name, const SecretKey& key) {
  // Cosigning what no verifier accepts is a caller bug, not bad input.
  assert(time_seconds <= kCosignatureTimeMax);
  assert(!checkpoint_text.empty() && checkpoint_text.back() == '\n');
  assert(IsValidKeyName(name));
  const Signature signature = key.Sign(CosignedMessage(checkpoint_text, time_seconds));
  std::string raw = BigEndian(CosignerKeyId(name, key.public_key()), kKeyIdBytes);
  raw.append(BigEndian(time_seconds, kTimeBytes)).append(AsBytes(signature));
  std::string line(kSignatureLinePrefix);
  line.append(name).append(" ").append(Base64Encode(raw)).append("\n");
  return line;
}

Result<std::uint64_t> VerifyCosignature(std::string_view checkpoint_text,
                                        const NoteSignature& signature,
                                        const CosignerKey& cosigner) {
  if (signature.name != cosigner.name || signature.key_id != cosigner.key_id) {
    return Status(Code::kUnknownSigner, "cosignature: not by " + cosigner.name);
  }
  // NoteSignature::signature holds what follows the key id.
  if (signature.signature.size() != kTimestampedSignatureBytes) {
    return Status(Code::kMalformed, "cosignature: not 8 bytes of time and a 64-byte signature");
  }
  const std::uint64_t time_seconds =
      ReadBigEndian(std::string_view(signature.signature).substr(0, kTimeBytes));
  if (time_seconds > kCosignatureTimeMax) {
    return Status(Code::kMalformed, "cosignature: time exceeds 2^63 - 1");
  }
  if (!Verify(AsBytes(cosigner.key), CosignedMessage(checkpoint_text, time_seconds),
              std::string_view(signature.signature).substr(kTimeBytes))) {
    return Status(Code::kBadSignature, "cosignature by " + cosigner.name + " does not verify");
  }
  return time_seconds;
}

Result<FoundCosignature> FindCosignature(std::string_view note, const CosignerKey& cosigner) {
  Result<ParsedNote> parsed = ParseNote(note);
  if (!parsed.ok()) return parsed.status();
  for (const NoteSignature& signature : parsed->signatures) {
    if (signature.name != cosigner.name || signature.key_id != cosigner.key_id) continue;
    Result<std::uint64_t> time_seconds = VerifyCosignature(parsed->text, signature, cosigner);
    if (!time_seconds.ok()) return time_seconds.status();
    std::string raw = BigEndian(signature.key_id, kKeyIdBytes) + signature.signature;
    std::string line(kSignatureLinePrefix);
    line.append(signature.name).append(" ").append(Base64Encode(raw)).append("\n");
    return FoundCosignature{std::move(line), *time_seconds};
  }
  return Status(Code::kUnknownSigner, "no cosignature by " + cosigner.name);
}

}  // namespace crypto
