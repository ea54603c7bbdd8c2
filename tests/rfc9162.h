// A Merkle tree client written only from the specifications, knowing nothing of crypto/merkle.h:
// RFC 6962 section 2.1 (leaf and node hashes, MTH) and the verification algorithms of RFC 9162
// section 2.1.3.2 (inclusion) and 2.1.4.2 (consistency), step by step. Tests check the ledger's
// proofs, roots and tiles against it. Hashes are 32-byte strings; SHA-256 is the only primitive
// taken from the project.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/hash.h"

namespace rfc9162 {

using Bytes = std::string;

inline Bytes Sha256(std::string_view data) { return Bytes(crypto::AsBytes(crypto::Sha256(data))); }
// RFC 6962 2.1: MTH({d}) = SHA-256(0x00 || d); the node of two subtrees is SHA-256(0x01 || l || r).
inline Bytes LeafHash(std::string_view entry) { return Sha256(std::string(1, '\x00') + std::string(entry)); }
inline Bytes NodeHash(const Bytes& left, const Bytes& right) { return Sha256("\x01" + left + right); }

// MTH over the leaf hashes [begin, end): "k is the largest power of two smaller than n".
inline Bytes Mth(const std::vector<Bytes>& leaf_hashes, std::size_t begin, std::size_t end) {
  const std::size_t n = end - begin;
  if (n == 0) return Sha256("");
  if (n == 1) return leaf_hashes[begin];
  std::size_t k = 1;
  while (k * 2 < n) k *= 2;
  return NodeHash(Mth(leaf_hashes, begin, begin + k), Mth(leaf_hashes, begin + k, end));
}

// "right-shift both fn and sn equally until either LSB(fn) is set or fn is 0"
inline void ShiftUntilOddOrZero(std::uint64_t& fn, std::uint64_t& sn) {
  while ((fn & 1) == 0 && fn != 0) {
    fn >>= 1;
    sn >>= 1;
  }
}

// RFC 9162 2.1.3.2.
inline bool VerifyInclusion(std::uint64_t leaf_index, std::uint64_t tree_size, const Bytes& hash,
                            const std::vector<Bytes>& inclusion_path, const Bytes& root_hash) {
  if (leaf_index >= tree_size) return false;                 // 1.
  std::uint64_t fn = leaf_index, sn = tree_size - 1;         // 2.
  Bytes r = hash;                                            // 3.
  for (const Bytes& p : inclusion_path) {                    // 4.
    if (sn == 0) return false;                               // a.
    if ((fn & 1) == 1 || fn == sn) {                         // b.
      r = NodeHash(p, r);
      if ((fn & 1) == 0) ShiftUntilOddOrZero(fn, sn);
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;                                                // c.
    sn >>= 1;
  }
  return sn == 0 && r == root_hash;                          // 5.
}

// RFC 9162 2.1.4.2, for 0 < first < second.
inline bool VerifyConsistency(std::uint64_t first, std::uint64_t second, const Bytes& first_hash,
                              const Bytes& second_hash, std::vector<Bytes> consistency_path) {
  if (consistency_path.empty()) return false;                               // 1.
  if ((first & (first - 1)) == 0) consistency_path.insert(consistency_path.begin(), first_hash);  // 2.
  std::uint64_t fn = first - 1, sn = second - 1;                            // 3.
  while ((fn & 1) == 1) {                                                   // 4.
    fn >>= 1;
    sn >>= 1;
  }
  Bytes fr = consistency_path[0], sr = consistency_path[0];                 // 5.
  for (std::size_t i = 1; i < consistency_path.size(); ++i) {               // 6.
    const Bytes& c = consistency_path[i];
    if (sn == 0) return false;                                              // a.
    if ((fn & 1) == 1 || fn == sn) {                                        // b.
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      if ((fn & 1) == 0) ShiftUntilOddOrZero(fn, sn);
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;                                                               // c.
    sn >>= 1;
  }
  return fr == first_hash && sr == second_hash && sn == 0;                  // 7.
}

// A copy of `hash` with bit `bit` (0..255) flipped.
inline Bytes FlipBit(Bytes hash, std::size_t bit) {
  hash[bit / 8] = static_cast<char>(hash[bit / 8] ^ (1 << (bit % 8)));
  return hash;
}

}  // namespace rfc9162
