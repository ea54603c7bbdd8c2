#include "crypto/merkle.h"

#include <array>
#include <bit>
#include <cassert>
#include <utility>

namespace crypto {
namespace {

// A tree of up to 2^64 - 1 leaves has nodes on levels 0..63.
constexpr int kLevelsMax = 64;

// RFC 6962 section 2.1: "k is the largest power of 2 smaller than n" (n > 1).
std::uint64_t SplitPoint(std::uint64_t size) {
  assert(size > 1);
  return std::bit_floor(size - 1);
}

// MTH(D[begin : begin + size]) from complete nodes: the perfect subtrees of the range (one per set
// bit of `size`, largest first) folded from the right, as the RFC's recursion does. Every range
// the RFC's PATH and PROOF recursions produce starts at a multiple of 2^ceil(log2 size), which is
// what makes each of those subtrees a stored node.
std::optional<Hash> RangeHash(std::uint64_t begin, std::uint64_t size, const NodeSource& nodes) {
  assert(size > 0);
  std::array<Hash, kLevelsMax> parts;
  int count = 0;
  std::uint64_t offset = begin;
  for (int level = kLevelsMax - 1; level >= 0; --level) {
    if (((size >> level) & 1) == 0) continue;
    assert(offset % (std::uint64_t{1} << level) == 0);  // The subtree is a node.
    std::optional<Hash> node = nodes(static_cast<std::uint8_t>(level), offset >> level);
    if (!node) return std::nullopt;
    parts[count++] = *node;
    offset += std::uint64_t{1} << level;
  }
  Hash root = parts[count - 1];
  for (int i = count - 2; i >= 0; --i) root = NodeHash(parts[i], root);
  return root;
}

// RFC 6962 section 2.1.1 PATH(index, D[begin : begin + size]), appended to `proof`. Only the
// first ragged sibling costs more than one node read: below it every subtree is perfect.
bool AppendPath(std::uint64_t index, std::uint64_t begin, std::uint64_t size,
                const NodeSource& nodes, std::vector<Hash>* proof) {
  assert(index < size);
  if (size == 1) return true;
  const std::uint64_t split = SplitPoint(size);
  std::optional<Hash> sibling;
  if (index < split) {
    if (!AppendPath(index, begin, split, nodes, proof)) return false;
    sibling = RangeHash(begin + split, size - split, nodes);
  } else {
    if (!AppendPath(index - split, begin + split, size - split, nodes, proof)) return false;
    sibling = RangeHash(begin, split, nodes);
  }
  if (!sibling) return false;
  proof->push_back(*sibling);
  return true;
}

// RFC 6962 section 2.1.2 SUBPROOF(old_size, D[begin : begin + size], whole), appended to
// `proof`. `whole` is true while D[0 : old_size] is known to the verifier as the old root.
bool AppendSubproof(std::uint64_t old_size, std::uint64_t begin, std::uint64_t size, bool whole,
                    const NodeSource& nodes, std::vector<Hash>* proof) {
  assert(0 < old_size && old_size <= size);
  if (old_size == size) {
    if (whole) return true;
    std::optional<Hash> subtree = RangeHash(begin, size, nodes);
    if (!subtree) return false;
    proof->push_back(*subtree);
    return true;
  }
  const std::uint64_t split = SplitPoint(size);
  std::optional<Hash> sibling;
  if (old_size <= split) {
    if (!AppendSubproof(old_size, begin, split, whole, nodes, proof)) return false;
    sibling = RangeHash(begin + split, size - split, nodes);
  } else {
    if (!AppendSubproof(old_size - split, begin + split, size - split, false, nodes, proof)) {
      return false;
    }
    sibling = RangeHash(begin, split, nodes);
  }
  if (!sibling) return false;
  proof->push_back(*sibling);
  return true;
}

// RFC 9162: "right-shift both fn and sn equally until either LSB(fn) is set or fn is 0".
void ShiftWhileEven(std::uint64_t* fn, std::uint64_t* sn) {
  while ((*fn & 1) == 0 && *fn != 0) {
    *fn >>= 1;
    *sn >>= 1;
  }
}

}  // namespace

bool VerifyInclusion(std::uint64_t index, std::uint64_t size, const Hash& leaf_hash,
                     std::span<const Hash> proof, const Hash& root) {
  if (index >= size) return false;
  std::uint64_t fn = index;
  std::uint64_t sn = size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return false;  // The proof is longer than the path.
    if ((fn & 1) == 1 || fn == sn) {
      r = NodeHash(p, r);
      ShiftWhileEven(&fn, &sn);
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool VerifyConsistency(std::uint64_t old_size, std::uint64_t new_size, const Hash& old_root,
                       const Hash& new_root, std::span<const Hash> proof) {
  if (old_size > new_size) return false;
  if (old_size == new_size) return proof.empty() && old_root == new_root;
  if (old_size == 0) return proof.empty();  // The empty tree is a prefix of every tree.
  if (proof.empty()) return false;
  // RFC 9162 section 2.1.4.2, step 2: a power-of-two old tree is a node of the new tree, so the
  // proof omits it and the verifier starts from old_root instead.
  std::size_t next = 0;
  Hash fr = old_root;
  if (!std::has_single_bit(old_size)) fr = proof[next++];
  Hash sr = fr;
  std::uint64_t fn = old_size - 1;
  std::uint64_t sn = new_size - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  for (; next < proof.size(); ++next) {
    const Hash& c = proof[next];
    if (sn == 0) return false;  // The proof is longer than the path.
    if ((fn & 1) == 1 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      ShiftWhileEven(&fn, &sn);
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && fr == old_root && sr == new_root;
}

std::optional<Hash> RootFromNodes(std::uint64_t size, const NodeSource& nodes) {
  if (size == 0) return EmptyTreeHash();
  return RangeHash(0, size, nodes);
}

std::optional<std::vector<Hash>> InclusionProofFromNodes(std::uint64_t index, std::uint64_t size,
                                                         const NodeSource& nodes) {
  assert(index < size);
  std::vector<Hash> proof;
  if (!AppendPath(index, 0, size, nodes, &proof)) return std::nullopt;
  return proof;
}

std::optional<std::vector<Hash>> ConsistencyProofFromNodes(std::uint64_t old_size,
                                                           std::uint64_t new_size,
                                                           const NodeSource& nodes) {
  assert(0 < old_size && old_size <= new_size);
  std::vector<Hash> proof;
  if (!AppendSubproof(old_size, 0, new_size, true, nodes, &proof)) return std::nullopt;
  return proof;
}

std::optional<CompactTree> CompactTree::FromNodes(std::uint64_t size, const NodeSource& nodes) {
  CompactTree tree;
  std::uint64_t offset = 0;
  for (int level = kLevelsMax - 1; level >= 0; --level) {
    if (((size >> level) & 1) == 0) continue;
    std::optional<Hash> node = nodes(static_cast<std::uint8_t>(level), offset >> level);
    if (!node) return std::nullopt;
    tree.edge_.push_back(*node);
    offset += std::uint64_t{1} << level;
  }
  assert(offset == size);
  tree.size_ = size;
  return tree;
}

// Appending leaf number size_ completes the node at level L exactly when bits 0..L-1 of size_ are
// all set: those are the perfect subtrees at the right end of the edge, merged like a carry.
void CompactTree::Append(const Hash& leaf_hash,
                         const std::function<void(const Node&)>& completed) {
  assert(edge_.size() == static_cast<std::size_t>(std::popcount(size_)));
  assert(size_ < UINT64_MAX);  // The level-64 node cannot exist.
  Hash hash = leaf_hash;
  std::uint8_t level = 0;
  completed(Node{level, size_, hash});
  while (((size_ >> level) & 1) == 1) {
    hash = NodeHash(edge_.back(), hash);
    edge_.pop_back();
    ++level;
    completed(Node{level, size_ >> level, hash});
  }
  edge_.push_back(hash);
  ++size_;
  assert(edge_.size() == static_cast<std::size_t>(std::popcount(size_)));
}

Hash CompactTree::Root() const {
  if (edge_.empty()) return EmptyTreeHash();
  Hash root = edge_.back();
  for (std::size_t i = edge_.size() - 1; i-- > 0;) root = NodeHash(edge_[i], root);
  return root;
}

MemoryTree::MemoryTree(std::vector<Hash> leaf_hashes) {
  levels_.push_back(std::move(leaf_hashes));
  while (levels_.back().size() > 1) {
    const std::vector<Hash>& below = levels_.back();
    std::vector<Hash> above;
    above.reserve((below.size() + 1) / 2);
    for (std::size_t i = 0; i + 1 < below.size(); i += 2) {
      above.push_back(NodeHash(below[i], below[i + 1]));
    }
    if (below.size() % 2 == 1) above.push_back(below.back());  // Carried up unchanged.
    levels_.push_back(std::move(above));
  }
}

std::uint64_t MemoryTree::size() const { return levels_.front().size(); }

const Hash& MemoryTree::Root() const {
  static const Hash kEmptyRoot = EmptyTreeHash();
  if (levels_.front().empty()) return kEmptyRoot;
  assert(levels_.back().size() == 1);
  return levels_.back().front();
}

// The sibling at each level, bottom up; a node carried up unchanged has none at that level,
// exactly as the RFC's PATH skips a level for the ragged right edge.
std::vector<Hash> MemoryTree::InclusionProof(std::uint64_t index) const {
  std::vector<Hash> proof;
  InclusionProof(index, &proof);
  return proof;
}

void MemoryTree::InclusionProof(std::uint64_t index, std::vector<Hash>* proof) const {
  assert(index < size());
  proof->clear();
  proof->reserve(levels_.size());
  for (std::size_t level = 0; level + 1 < levels_.size(); ++level) {
    const std::uint64_t sibling = index ^ 1;
    if (sibling < levels_[level].size()) proof->push_back(levels_[level][sibling]);
    index >>= 1;
  }
}

}  // namespace crypto
