#include "crypto/signing.h"

#include <sodium.h>

#include <cassert>
#include <cstring>

namespace crypto {
namespace {

static_assert(crypto_sign_ed25519_PUBLICKEYBYTES == kPublicKeyBytes);
static_assert(crypto_sign_ed25519_BYTES == kSignatureBytes);
static_assert(crypto_sign_ed25519_SEEDBYTES == kSeedBytes);
static_assert(crypto_sign_ed25519_SECRETKEYBYTES == 64);

const unsigned char* BytePointer(std::string_view data) {
  static const unsigned char kEmpty = 0;
  if (data.empty()) return &kEmpty;
  return reinterpret_cast<const unsigned char*>(data.data());
}

template <std::size_t N>
std::optional<std::array<std::uint8_t, N>> ArrayFromBytes(std::string_view bytes) {
  if (bytes.size() != N) return std::nullopt;
  std::array<std::uint8_t, N> out;
  std::memcpy(out.data(), bytes.data(), N);
  return out;
}

}  // namespace

std::optional<PublicKey> PublicKeyFromBytes(std::string_view bytes) {
  return ArrayFromBytes<kPublicKeyBytes>(bytes);
}

std::optional<Signature> SignatureFromBytes(std::string_view bytes) {
  return ArrayFromBytes<kSignatureBytes>(bytes);
}

SecretKey SecretKey::Generate() {
  std::array<std::uint8_t, kSeedBytes> seed;
  randombytes_buf(seed.data(), seed.size());
  std::optional<SecretKey> key =
      FromSeed(std::string_view(reinterpret_cast<const char*>(seed.data()), seed.size()));
  Wipe(seed.data(), seed.size());
  assert(key.has_value());  // The seed has the right length by construction.
  return std::move(*key);
}

std::optional<SecretKey> SecretKey::FromSeed(std::string_view seed) {
  if (seed.size() != kSeedBytes) return std::nullopt;
  SecretKey key;
  int rc = crypto_sign_ed25519_seed_keypair(key.public_key_.data(), key.secret_.data(),
                                            BytePointer(seed));
  assert(rc == 0);  // Every 32-byte seed is a valid Ed25519 key.
  (void)rc;
  // libsodium's expanded key is seed || public key; seed() and Sign() rely on that layout.
  assert(std::memcmp(key.secret_.data(), seed.data(), kSeedBytes) == 0);
  assert(std::memcmp(key.secret_.data() + kSeedBytes, key.public_key_.data(), kPublicKeyBytes) ==
         0);
  return key;
}

SecretKey::SecretKey(SecretKey&& other) noexcept
    : secret_(other.secret_), public_key_(other.public_key_) {
  Wipe(other.secret_.data(), other.secret_.size());
  Wipe(other.public_key_.data(), other.public_key_.size());
}

SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
  if (this != &other) {
    secret_ = other.secret_;
    public_key_ = other.public_key_;
    Wipe(other.secret_.data(), other.secret_.size());
    Wipe(other.public_key_.data(), other.public_key_.size());
  }
  return *this;
}

SecretKey::~SecretKey() { Wipe(secret_.data(), secret_.size()); }

std::string_view SecretKey::seed() const {
  return {reinterpret_cast<const char*>(secret_.data()), kSeedBytes};
}

Signature SecretKey::Sign(std::string_view message) const {
  Signature signature;
  unsigned long long signature_length = 0;
  int rc = crypto_sign_ed25519_detached(signature.data(), &signature_length, BytePointer(message),
                                        message.size(), secret_.data());
  assert(rc == 0);  // Ed25519 signing has no failure mode.
  assert(signature_length == kSignatureBytes);
  (void)rc;
  return signature;
}

bool Verify(const PublicKey& key, std::string_view message, const Signature& signature) {
  return crypto_sign_ed25519_verify_detached(signature.data(), BytePointer(message), message.size(),
                                             key.data()) == 0;
}

bool Verify(std::string_view key, std::string_view message, std::string_view signature) {
  std::optional<PublicKey> public_key = PublicKeyFromBytes(key);
  std::optional<Signature> signature_bytes = SignatureFromBytes(signature);
  if (!public_key || !signature_bytes) return false;
  return Verify(*public_key, message, *signature_bytes);
}

void Wipe(void* bytes, std::size_t length) {
  if (length == 0) return;
  sodium_memzero(bytes, length);
}

// sodium_init() is itself idempotent, but a function-local static makes the one call
// thread-safe and lets every later call skip libsodium's own locking.
bool Initialize() {
  static const bool initialized = sodium_init() >= 0;
  return initialized;
}

}  // namespace crypto
