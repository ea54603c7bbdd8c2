// RFC 6962 / RFC 9162 Merkle tree mathematics: roots, inclusion and consistency proofs, their
// verification, an append-only compact tree, and an in-memory tree for small batches (rosters).
//
// Vocabulary: a "node" (level L, index N) is the root of the complete subtree of 2^L leaves
// [N * 2^L, (N+1) * 2^L). Level 0 nodes are leaf hashes. Only complete subtrees are nodes; the
// ragged right edge of a tree is hashed on demand. Proofs list hashes in RFC 9162 order (from the
// leaf upwards). All functions are pure; objects are not synchronised (one thread at a time).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "crypto/hash.h"

namespace crypto {

// Hash of the complete node at (level, index), or nullopt if the source cannot supply it (a store
// read failed or the node does not exist).
using NodeSource = std::function<std::optional<Hash>(std::uint8_t level, std::uint64_t index)>;

// RFC 9162 section 2.1.3.2. True only if `proof` proves `leaf_hash` is leaf `index` of the tree
// of `size` leaves whose root is `root`.
bool VerifyInclusion(std::uint64_t index, std::uint64_t size, const Hash& leaf_hash,
                     std::span<const Hash> proof, const Hash& root);

// RFC 9162 section 2.1.4.2. True only if `proof` proves the tree of `new_size` leaves with root
// `new_root` extends the tree of `old_size` leaves with root `old_root`. old_size == new_size
// needs an empty proof and equal roots; old_size == 0 needs an empty proof.
bool VerifyConsistency(std::uint64_t old_size, std::uint64_t new_size, const Hash& old_root,
                       const Hash& new_root, std::span<const Hash> proof);

// Root of the tree of `size` leaves, from complete nodes. nullopt if a node is missing.
std::optional<Hash> RootFromNodes(std::uint64_t size, const NodeSource& nodes);
// Inclusion proof for leaf `index` in the tree of `size` leaves (index < size), O(log size)
// node reads. nullopt if a node is missing.
std::optional<std::vector<Hash>> InclusionProofFromNodes(std::uint64_t index, std::uint64_t size,
                                                         const NodeSource& nodes);
// Consistency proof from `old_size` to `new_size` (0 < old_size <= new_size).
std::optional<std::vector<Hash>> ConsistencyProofFromNodes(std::uint64_t old_size,
                                                           std::uint64_t new_size,
                                                           const NodeSource& nodes);

// The right edge of an append-only tree: the roots of its perfect subtrees, largest first.
// Appending a leaf costs amortised O(1) hashing and reports each node it completes, so a store
// can persist every complete node exactly once.
class CompactTree {
 public:
  struct Node {
    std::uint8_t level;
    std::uint64_t index;
    Hash hash;
  };

  CompactTree() = default;
  // The compact tree of `size` leaves rebuilt from stored nodes. nullopt if a node is missing.
  static std::optional<CompactTree> FromNodes(std::uint64_t size, const NodeSource& nodes);

  std::uint64_t size() const { return size_; }
  // Appends a leaf hash. Calls `completed` for the leaf node (level 0) and for each higher node
  // the append completes, lowest level first.
  void Append(const Hash& leaf_hash, const std::function<void(const Node&)>& completed);
  // Root of the current tree (EmptyTreeHash() when empty).
  Hash Root() const;

 private:
  std::uint64_t size_ = 0;
  std::vector<Hash> edge_;  // Roots of perfect subtrees, largest first; one per set bit of size_.
};

// A whole tree in memory, for batches small enough to hold (a roster of at most
// roster_events_max leaves). Computes the root once; proofs then cost no hashing.
class MemoryTree {
 public:
  explicit MemoryTree(std::vector<Hash> leaf_hashes);
  std::uint64_t size() const;
  const Hash& Root() const;
  // Inclusion proof for leaf `index` (< size()), RFC 9162 order.
  std::vector<Hash> InclusionProof(std::uint64_t index) const;
  // The same into `proof`, replacing what it held: a caller proving every leaf in turn reuses
  // one buffer instead of allocating one per leaf.
  void InclusionProof(std::uint64_t index, std::vector<Hash>* proof) const;

 private:
  // levels_[0] are the leaf hashes; levels_[k+1][i] = NodeHash(levels_[k][2i], levels_[k][2i+1]),
  // and an unpaired last node is carried up unchanged. This equals the RFC 6962 tree.
  std::vector<std::vector<Hash>> levels_;
};

}  // namespace crypto
