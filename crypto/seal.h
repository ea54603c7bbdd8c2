// Sealing of personal data and keyed hashing for pseudonymous identifiers.
//
// Seal is libsodium's secretbox (XSalsa20-Poly1305) with a fresh random nonce per call; KeyedHash
// is HMAC-SHA-256. Every function is safe to call from any thread once crypto::Initialize()
// (crypto/signing.h) has succeeded. Keys are plain arrays: a caller holding one in a temporary
// wipes it with crypto::Wipe when done.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/hash.h"

namespace crypto {

inline constexpr std::size_t kSealKeyBytes = 32;
inline constexpr std::size_t kSealNonceBytes = 24;
inline constexpr std::size_t kSealTagBytes = 16;  // Poly1305 authenticator.
// A sealed text is this much longer than its plaintext.
inline constexpr std::size_t kSealOverheadBytes = kSealNonceBytes + kSealTagBytes;

using SealKey = std::array<std::uint8_t, kSealKeyBytes>;

// A fresh key from the OS's secure random source.
SealKey NewSealKey();

// nonce[24] || secretbox(plaintext). Sealing the same text twice gives different bytes.
std::string Seal(const SealKey& key, std::string_view plaintext);
// The plaintext, or nullopt if `sealed` is too short, was altered or was sealed under another
// key. The returned string may hold personal data: callers wipe it when it is secret.
std::optional<std::string> Unseal(const SealKey& key, std::string_view sealed);

// HMAC-SHA-256 under `key` of context || 0x00 || message. The context names the purpose
// ("subject", "account") so one key never yields the same hash for two purposes; it must not
// contain 0x00, which keeps the split between context and message unambiguous.
Hash KeyedHash(const SealKey& key, std::string_view context, std::string_view message);

}  // namespace crypto
