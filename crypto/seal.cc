#include "crypto/seal.h"

#include <sodium.h>

#include <cassert>

namespace crypto {
namespace {

static_assert(crypto_secretbox_KEYBYTES == kSealKeyBytes);
static_assert(crypto_secretbox_NONCEBYTES == kSealNonceBytes);
static_assert(crypto_secretbox_MACBYTES == kSealTagBytes);
static_assert(crypto_auth_hmacsha256_BYTES == kHashBytes);

const unsigned char* BytePointer(std::string_view data) {
  static const unsigned char kEmpty = 0;
  if (data.empty()) return &kEmpty;
  return reinterpret_cast<const unsigned char*>(data.data());
}

unsigned char* BytePointer(std::string& data) {
  return reinterpret_cast<unsigned char*>(data.data());
}

}  // namespace

SealKey NewSealKey() {
  SealKey key;
  crypto_secretbox_keygen(key.data());
  return key;
}

std::string Seal(const SealKey& key, std::string_view plaintext) {
  std::string sealed(kSealOverheadBytes + plaintext.size(), '\0');
  unsigned char* nonce = BytePointer(sealed);
  // 24 random bytes: the chance of two seals under one key sharing a nonce is negligible.
  randombytes_buf(nonce, kSealNonceBytes);
  int rc = crypto_secretbox_easy(nonce + kSealNonceBytes, BytePointer(plaintext), plaintext.size(),
                                 nonce, key.data());
  assert(rc == 0);  // Sealing has no failure mode.
  (void)rc;
  return sealed;
}

std::optional<std::string> Unseal(const SealKey& key, std::string_view sealed) {
  if (sealed.size() < kSealOverheadBytes) return std::nullopt;
  const unsigned char* nonce = BytePointer(sealed);
  std::string plaintext(sealed.size() - kSealOverheadBytes, '\0');
  // An empty std::string still has a writable buffer (its terminator), so data() is valid.
  if (crypto_secretbox_open_easy(BytePointer(plaintext), nonce + kSealNonceBytes,
                                 sealed.size() - kSealNonceBytes, nonce, key.data()) != 0) {
    return std::nullopt;
  }
  return plaintext;
}

Hash KeyedHash(const SealKey& key, std::string_view context, std::string_view message) {
  assert(context.find('\0') == std::string_view::npos);  // The separator must be unambiguous.
  static const unsigned char kSeparator = 0x00;
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, key.data(), key.size());
  crypto_auth_hmacsha256_update(&state, BytePointer(context), context.size());
  crypto_auth_hmacsha256_update(&state, &kSeparator, 1);
  crypto_auth_hmacsha256_update(&state, BytePointer(message), message.size());
  Hash out;
  crypto_auth_hmacsha256_final(&state, out.data());
  // The state holds the key's inner and outer pads, as secret as the key.
  sodium_memzero(&state, sizeof(state));
  return out;
}

}  // namespace crypto
