// Ed25519 keys, signatures and the crypto suite a ledger records in its genesis entry.
//
// SecretKey owns secret material in memory it wipes on destruction; it is move-only. Signing and
// verification are safe from any number of threads at once (SecretKey::Sign is const).
// Algorithms stay behind this interface so a later suite (SM2 + SM3 through OpenSSL) can be added
// without touching callers: they name a suite, never an algorithm.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "crypto/hash.h"

namespace crypto {

// The only suite today. Recorded by name in a ledger's genesis entry.
inline constexpr std::string_view kSuiteEd25519Sha256 = "ed25519-sha256";

inline constexpr std::size_t kPublicKeyBytes = 32;
inline constexpr std::size_t kSignatureBytes = 64;
inline constexpr std::size_t kSeedBytes = 32;

using PublicKey = std::array<std::uint8_t, kPublicKeyBytes>;
using Signature = std::array<std::uint8_t, kSignatureBytes>;

// PublicKey and Hash are the same type: crypto/hash.h's AsBytes views either.
inline std::string_view AsBytes(const Signature& signature) {
  return {reinterpret_cast<const char*>(signature.data()), signature.size()};
}
std::optional<PublicKey> PublicKeyFromBytes(std::string_view bytes);
std::optional<Signature> SignatureFromBytes(std::string_view bytes);

class SecretKey {
 public:
  // A fresh key from the OS's secure random source.
  static SecretKey Generate();
  // The key whose 32-byte seed is `seed`; nullopt if the length is wrong.
  static std::optional<SecretKey> FromSeed(std::string_view seed);

  SecretKey(SecretKey&& other) noexcept;
  SecretKey& operator=(SecretKey&& other) noexcept;
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;
  ~SecretKey();  // Wipes the secret bytes.

  const PublicKey& public_key() const { return public_key_; }
  // The 32-byte seed, for writing a key file. The view dies with the key.
  std::string_view seed() const;

  // Ed25519 signature over exactly `message`.
  Signature Sign(std::string_view message) const;

 private:
  SecretKey() = default;
  std::array<std::uint8_t, 64> secret_{};  // libsodium's expanded key: seed || public key.
  PublicKey public_key_{};
};

// True only if `signature` is a valid Ed25519 signature by `key` over exactly `message`.
bool Verify(const PublicKey& key, std::string_view message, const Signature& signature);
bool Verify(std::string_view key, std::string_view message, std::string_view signature);

// Wipes `bytes` in a way the compiler will not elide.
void Wipe(void* bytes, std::size_t length);

// Must be called once before any other function here (initialises libsodium); idempotent and
// thread-safe. Returns false if libsodium cannot initialise.
bool Initialize();

}  // namespace crypto
