// C2SP tlog-cosignature v1.0 (Ed25519 "cosignature/v1") signatures by witnesses over
// tlog-checkpoint bodies, and the cosigner verifier key format. docs/crypto.md, "Witnesses".
//
// Formats:
//   cosigner key id:   first 4 bytes (big-endian) of SHA-256(NAME || 0x0A || 0x04 || public key)
//   cosigner key:      NAME+<8 hex key id>+<base64(0x04 || 32-byte Ed25519 public key)>
//   signed message:    "cosignature/v1\n" "time " <decimal seconds, no leading zero> "\n" TEXT
//                      where TEXT is the whole checkpoint note text (ending in '\n')
//   signature line:    "— NAME base64(4-byte key id || 8-byte big-endian time || 64-byte sig)\n"
// A witness's secret key is an ordinary signer key (crypto/note.h): the same Ed25519 key pair,
// announced with the 0x04 algorithm byte. All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/note.h"
#include "crypto/signing.h"
#include "ledger/status.h"

namespace crypto {

// The signed-note signature type of Ed25519 cosignature/v1 (tlog-cosignature).
inline constexpr std::uint8_t kAlgorithmCosignatureV1 = 0x04;
// tlog-cosignature: "[the timestamp] MUST NOT exceed 2^63 - 1".
inline constexpr std::uint64_t kCosignatureTimeMax = (std::uint64_t{1} << 63) - 1;

std::uint32_t CosignerKeyId(std::string_view name, const PublicKey& key);

// A witness's public key, matched by name and key id.
struct CosignerKey {
  std::string name;
  std::uint32_t key_id = 0;
  PublicKey key{};
};

std::string FormatCosignerKey(std::string_view name, const PublicKey& key);
// kInvalidArgument naming what is wrong: shape, name, key id hex, base64, an algorithm byte
// other than 0x04, a key that is not 32 bytes, or a key id that does not match name and key.
ledger::Result<CosignerKey> ParseCosignerKey(std::string_view text);

// The exact bytes a cosignature signs. `checkpoint_text` is the note text (ends in '\n').
std::string CosignedMessage(std::string_view checkpoint_text, std::uint64_t time_seconds);

// A signature line (ending in '\n') cosigning `checkpoint_text` at `time_seconds`
// (<= kCosignatureTimeMax) with `key`, named `name`.
std::string Cosign(std::string_view checkpoint_text, std::uint64_t time_seconds,
                   std::string_view name, const SecretKey& key);

// Checks one parsed note signature (crypto::ParseNote) as a cosignature by `cosigner` over
// `checkpoint_text`. Returns the cosignature's time. kUnknownSigner if the line is not by this
// cosigner (name or key id differ), kMalformed if its bytes are not 8 + 64 long or the time
// exceeds kCosignatureTimeMax, kBadSignature if it does not verify.
ledger::Result<std::uint64_t> VerifyCosignature(std::string_view checkpoint_text,
                                                const NoteSignature& signature,
                                                const CosignerKey& cosigner);

// The cosignature by `cosigner` among a note's signature lines (a checkpoint note carrying
// cosignatures, or the text of a checkpoint followed by "\n" and an add-checkpoint response).
// Returns the line (ending in '\n') and its time. kUnknownSigner if no line is by this
// cosigner; kBadSignature/kMalformed as above if one is but fails.
struct FoundCosignature {
  std::string line;
  std::uint64_t time_seconds = 0;
};
ledger::Result<FoundCosignature> FindCosignature(std::string_view note,
                                                 const CosignerKey& cosigner);

}  // namespace crypto
