// SHA-256, RFC 6962 Merkle hashing primitives, constant-time comparison and text encodings.
//
// All functions are pure and safe to call from any thread. Hashes always cover the exact bytes
// given: callers pass stored bytes, never a re-serialization.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace crypto {

inline constexpr std::size_t kHashBytes = 32;
using Hash = std::array<std::uint8_t, kHashBytes>;

// SHA-256 of `data`.
Hash Sha256(std::string_view data);

// Incremental SHA-256 for messages assembled from pieces (no copy into one buffer).
class Sha256Builder {
 public:
  Sha256Builder();
  ~Sha256Builder();
  Sha256Builder(const Sha256Builder&) = delete;
  Sha256Builder& operator=(const Sha256Builder&) = delete;

  Sha256Builder& Update(std::string_view data);
  // Finishes the hash; the builder must not be used afterwards.
  Hash Finish();

 private:
  alignas(16) unsigned char state_[128];  // crypto_hash_sha256_state (104 bytes) fits.
};

// RFC 6962 section 2.1: leaf hash = SHA-256(0x00 || leaf), node hash = SHA-256(0x01 || left || right).
Hash LeafHash(std::string_view leaf);
// The leaf hash of the concatenation head || tail, without copying them into one buffer.
Hash LeafHash(std::string_view head, std::string_view tail);
Hash NodeHash(const Hash& left, const Hash& right);
// Merkle tree hash of the empty tree: SHA-256 of the empty string.
Hash EmptyTreeHash();

// Compares two byte strings in time independent of their contents (lengths are not secret).
bool ConstantTimeEqual(std::string_view a, std::string_view b);
bool ConstantTimeEqual(const Hash& a, const Hash& b);

// Views a hash as bytes.
inline std::string_view AsBytes(const Hash& hash) {
  return {reinterpret_cast<const char*>(hash.data()), hash.size()};
}
// Copies exactly 32 bytes into a Hash; nullopt if `bytes` has another length.
std::optional<Hash> HashFromBytes(std::string_view bytes);

// Standard base64 with padding (RFC 4648 section 4), as signed notes and checkpoints use.
std::string Base64Encode(std::string_view bytes);
// nullopt on any character outside the alphabet, bad padding or trailing garbage.
std::optional<std::string> Base64Decode(std::string_view text);

// Lower-case hex.
std::string HexEncode(std::string_view bytes);
std::optional<std::string> HexDecode(std::string_view text);

}  // namespace crypto
