// RFC 6962 / RFC 9162 Merkle trees: roots, proofs, verification, CompactTree and MemoryTree.
//
// Published vectors: the RFC 6962 test set used by certificate-transparency and
// transparency-dev/merkle (proof/verify_test.go), and the proof shapes of transparency-dev/merkle
// proof/proof_test.go. Property tests compare against a direct transcription of the RFC 6962
// definitions (MTH, PATH, PROOF) written here over plain leaf vectors.

#include "crypto/merkle.h"

#include <gtest/gtest.h>

#include <bit>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "crypto/signing.h"

namespace crypto {
namespace {

using Proof = std::vector<Hash>;

Hash H(std::string_view hex) { return *HashFromBytes(*HexDecode(hex)); }

// --- A reference transcription of RFC 6962 section 2.1, over leaf hashes ---------------------

using Leaves = std::span<const Hash>;

std::size_t LargestPowerOfTwoBelow(std::size_t n) {
  std::size_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

Hash ReferenceRoot(Leaves d) {
  if (d.empty()) return EmptyTreeHash();
  if (d.size() == 1) return d[0];
  const std::size_t k = LargestPowerOfTwoBelow(d.size());
  return NodeHash(ReferenceRoot(d.first(k)), ReferenceRoot(d.subspan(k)));
}

Proof ReferencePath(std::size_t m, Leaves d) {
  if (d.size() == 1) return {};
  const std::size_t k = LargestPowerOfTwoBelow(d.size());
  Proof path = m < k ? ReferencePath(m, d.first(k)) : ReferencePath(m - k, d.subspan(k));
  path.push_back(m < k ? ReferenceRoot(d.subspan(k)) : ReferenceRoot(d.first(k)));
  return path;
}

Proof ReferenceSubproof(std::size_t m, Leaves d, bool b) {
  if (m == d.size()) return b ? Proof{} : Proof{ReferenceRoot(d)};
  const std::size_t k = LargestPowerOfTwoBelow(d.size());
  Proof proof = m <= k ? ReferenceSubproof(m, d.first(k), b)
                       : ReferenceSubproof(m - k, d.subspan(k), false);
  proof.push_back(m <= k ? ReferenceRoot(d.subspan(k)) : ReferenceRoot(d.first(k)));
  return proof;
}

// --- Fixtures ----------------------------------------------------------------------------------

// Every complete node of a tree, computed level by level from the leaves.
class NodeTable {
 public:
  explicit NodeTable(std::vector<Hash> leaves) {
    levels_.push_back(std::move(leaves));
    while (levels_.back().size() > 1) {
      const std::vector<Hash>& below = levels_.back();
      std::vector<Hash> above;
      for (std::size_t i = 0; i + 1 < below.size(); i += 2) {
        above.push_back(NodeHash(below[i], below[i + 1]));
      }
      levels_.push_back(std::move(above));
    }
  }

  const std::vector<Hash>& leaves() const { return levels_[0]; }
  const Hash& Node(int level, std::uint64_t index) const { return levels_.at(level).at(index); }
  std::size_t NodeCount(std::uint64_t size) const {
    std::size_t count = 0;
    for (std::uint64_t level_size = size; level_size > 0; level_size /= 2) count += level_size;
    return count;
  }

  // The nodes of the tree of the first `size` leaves: a node that is not complete within it is
  // missing, so reading one would fail the test.
  NodeSource Source(std::uint64_t size) const {
    return [this, size](std::uint8_t level, std::uint64_t index) -> std::optional<Hash> {
      if (level >= levels_.size() || level >= 63) return std::nullopt;
      if (((index + 1) << level) > size) return std::nullopt;
      return levels_[level][index];
    };
  }

 private:
  std::vector<std::vector<Hash>> levels_;
};

// The RFC 6962 test set's leaves.
std::vector<Hash> Rfc6962TestLeaves() {
  const std::string data[] = {
      "",
      std::string("\x00", 1),
      "\x10",
      "\x20\x21",
      "\x30\x31",
      "\x40\x41\x42\x43",
      "\x50\x51\x52\x53\x54\x55\x56\x57",
      "\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
  };
  std::vector<Hash> leaves;
  for (const std::string& leaf : data) leaves.push_back(LeafHash(leaf));
  return leaves;
}

std::vector<Hash> NumberedLeaves(std::size_t count) {
  std::vector<Hash> leaves;
  for (std::size_t i = 0; i < count; ++i) leaves.push_back(LeafHash("leaf " + std::to_string(i)));
  return leaves;
}

// Published roots of the RFC 6962 test set for sizes 1..8.
const std::vector<Hash>& PublishedRoots() {
  static const std::vector<Hash> roots = {
      H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
      H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
      H("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
      H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
      H("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
      H("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
      H("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
      H("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
  };
  return roots;
}

struct PublishedInclusion {
  std::uint64_t index;
  std::uint64_t size;
  Proof proof;
};

// verify_test.go inclusionProofs (its leaf numbers are 1-based; these indexes are 0-based).
const std::vector<PublishedInclusion>& PublishedInclusions() {
  static const std::vector<PublishedInclusion> vectors = {
      {0, 1, {}},
      {0, 8,
       {H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")}},
      {5, 8,
       {H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
        H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")}},
      {2, 3, {H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")}},
      {1, 5,
       {H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")}},
  };
  return vectors;
}

struct PublishedConsistency {
  std::uint64_t old_size;
  std::uint64_t new_size;
  Proof proof;
};

// verify_test.go consistencyProofs.
const std::vector<PublishedConsistency>& PublishedConsistencies() {
  static const std::vector<PublishedConsistency> vectors = {
      {1, 1, {}},
      {1, 8,
       {H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")}},
      {6, 8,
       {H("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
        H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")}},
      {2, 5,
       {H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")}},
      {6, 7,
       {H("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        H("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
        H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")}},
  };
  return vectors;
}

class MerkleTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(Initialize()); }

  static const NodeTable& TestSet() {
    static const NodeTable table(Rfc6962TestLeaves());
    return table;
  }
  static const NodeTable& Big() {
    static const NodeTable table(NumberedLeaves(kPropertySizeMax));
    return table;
  }
  static std::vector<Hash> Prefix(const NodeTable& table, std::size_t size) {
    return {table.leaves().begin(), table.leaves().begin() + static_cast<std::ptrdiff_t>(size)};
  }
  static Hash Root(const NodeTable& table, std::uint64_t size) {
    return *RootFromNodes(size, table.Source(size));
  }
  static Hash FlipBit(Hash hash, std::size_t bit) {
    hash[(bit / 8) % kHashBytes] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    return hash;
  }

  static constexpr std::uint64_t kPropertySizeMax = 300;
};

// --- Roots -------------------------------------------------------------------------------------

TEST_F(MerkleTest, EmptyTreeRootIsSha256OfNothing) {
  EXPECT_EQ(*RootFromNodes(0, TestSet().Source(0)),
            H("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
}

TEST_F(MerkleTest, RootFromNodesMatchesPublishedRoots) {
  for (std::uint64_t size = 1; size <= 8; ++size) {
    EXPECT_EQ(*RootFromNodes(size, TestSet().Source(size)), PublishedRoots()[size - 1]) << size;
  }
}

TEST_F(MerkleTest, MemoryTreeMatchesPublishedRoots) {
  for (std::uint64_t size = 1; size <= 8; ++size) {
    EXPECT_EQ(MemoryTree(Prefix(TestSet(), size)).Root(), PublishedRoots()[size - 1]) << size;
  }
}

TEST_F(MerkleTest, CompactTreeMatchesPublishedRoots) {
  CompactTree tree;
  for (std::uint64_t size = 1; size <= 8; ++size) {
    tree.Append(TestSet().leaves()[size - 1], [](const CompactTree::Node&) {});
    EXPECT_EQ(tree.Root(), PublishedRoots()[size - 1]) << size;
  }
}

TEST_F(MerkleTest, EmptyMemoryTree) {
  MemoryTree tree({});
  EXPECT_EQ(tree.size(), 0u);
  EXPECT_EQ(tree.Root(), EmptyTreeHash());
}

TEST_F(MerkleTest, EmptyCompactTree) {
  CompactTree tree;
  EXPECT_EQ(tree.size(), 0u);
  EXPECT_EQ(tree.Root(), EmptyTreeHash());
}

TEST_F(MerkleTest, RootFromNodesFailsOnMissingNode) {
  NodeSource none = [](std::uint8_t, std::uint64_t) -> std::optional<Hash> {
    return std::nullopt;
  };
  EXPECT_EQ(RootFromNodes(5, none), std::nullopt);
}

// --- Published proofs --------------------------------------------------------------------------

TEST_F(MerkleTest, InclusionProofFromNodesMatchesPublishedProofs) {
  for (const PublishedInclusion& v : PublishedInclusions()) {
    EXPECT_EQ(*InclusionProofFromNodes(v.index, v.size, TestSet().Source(v.size)), v.proof)
        << v.index << " in " << v.size;
  }
}

TEST_F(MerkleTest, MemoryTreeInclusionProofMatchesPublishedProofs) {
  for (const PublishedInclusion& v : PublishedInclusions()) {
    EXPECT_EQ(MemoryTree(Prefix(TestSet(), v.size)).InclusionProof(v.index), v.proof)
        << v.index << " in " << v.size;
  }
}

// One buffer reused across leaves and trees holds exactly each proof, whatever it held before.
TEST_F(MerkleTest, MemoryTreeInclusionProofIntoABufferReplacesItsContents) {
  std::vector<Hash> buffer(40, Hash{});
  for (const PublishedInclusion& v : PublishedInclusions()) {
    MemoryTree(Prefix(TestSet(), v.size)).InclusionProof(v.index, &buffer);
    EXPECT_EQ(buffer, v.proof) << v.index << " in " << v.size;
  }
}

TEST_F(MerkleTest, PublishedInclusionProofsVerify) {
  for (const PublishedInclusion& v : PublishedInclusions()) {
    EXPECT_TRUE(VerifyInclusion(v.index, v.size, TestSet().leaves()[v.index], v.proof,
                                PublishedRoots()[v.size - 1]))
        << v.index << " in " << v.size;
  }
}

TEST_F(MerkleTest, ConsistencyProofFromNodesMatchesPublishedProofs) {
  for (const PublishedConsistency& v : PublishedConsistencies()) {
    EXPECT_EQ(*ConsistencyProofFromNodes(v.old_size, v.new_size, TestSet().Source(v.new_size)),
              v.proof)
        << v.old_size << " to " << v.new_size;
  }
}

TEST_F(MerkleTest, PublishedConsistencyProofsVerify) {
  for (const PublishedConsistency& v : PublishedConsistencies()) {
    EXPECT_TRUE(VerifyConsistency(v.old_size, v.new_size, PublishedRoots()[v.old_size - 1],
                                  PublishedRoots()[v.new_size - 1], v.proof))
        << v.old_size << " to " << v.new_size;
  }
}

// verify_test.go corruptInclusionProof: every probe must fail.
TEST_F(MerkleTest, CorruptedPublishedInclusionProofsFail) {
  const Hash garbage{};
  for (const PublishedInclusion& v : PublishedInclusions()) {
    const Hash& leaf = TestSet().leaves()[v.index];
    const Hash& root = PublishedRoots()[v.size - 1];
    const auto fails = [&](std::uint64_t index, std::uint64_t size, const Hash& leaf_hash,
                           const Proof& proof, const Hash& root_hash, const char* what) {
      EXPECT_FALSE(VerifyInclusion(index, size, leaf_hash, proof, root_hash))
          << what << ": " << v.index << " in " << v.size;
    };
    fails(v.index - 1, v.size, leaf, v.proof, root, "index - 1");
    fails(v.index + 1, v.size, leaf, v.proof, root, "index + 1");
    fails(v.index ^ 2, v.size, leaf, v.proof, root, "index ^ 2");
    fails(v.index, v.size * 2, leaf, v.proof, root, "size * 2");
    fails(v.index, v.size / 2, leaf, v.proof, root, "size / 2");
    fails(v.index, v.size, LeafHash("WrongLeaf"), v.proof, root, "wrong leaf");
    fails(v.index, v.size, leaf, v.proof, EmptyTreeHash(), "empty root");
    Proof longer = v.proof;
    longer.push_back(garbage);
    fails(v.index, v.size, leaf, longer, root, "trailing garbage");
    longer.back() = root;
    fails(v.index, v.size, leaf, longer, root, "trailing root");
    Proof prefixed = v.proof;
    prefixed.insert(prefixed.begin(), root);
    fails(v.index, v.size, leaf, prefixed, root, "preceding root");
    if (!v.proof.empty()) {
      fails(v.index, v.size, leaf, Proof(v.proof.begin(), v.proof.end() - 1), root, "removed");
    }
    for (std::size_t i = 0; i < v.proof.size(); ++i) {
      Proof flipped = v.proof;
      flipped[i][0] ^= 8;
      fails(v.index, v.size, leaf, flipped, root, "flipped bit 3");
    }
  }
}

// verify_test.go corruptConsistencyProof, for the non-trivial published proofs.
TEST_F(MerkleTest, CorruptedPublishedConsistencyProofsFail) {
  const Hash garbage{};
  for (const PublishedConsistency& v : PublishedConsistencies()) {
    if (v.proof.empty()) continue;
    const Hash& root1 = PublishedRoots()[v.old_size - 1];
    const Hash& root2 = PublishedRoots()[v.new_size - 1];
    const auto fails = [&](std::uint64_t size1, std::uint64_t size2, const Hash& r1,
                           const Hash& r2, const Proof& proof, const char* what) {
      EXPECT_FALSE(VerifyConsistency(size1, size2, r1, r2, proof))
          << what << ": " << v.old_size << " to " << v.new_size;
    };
    fails(v.old_size - 1, v.new_size, root1, root2, v.proof, "size1 - 1");
    fails(v.old_size + 1, v.new_size, root1, root2, v.proof, "size1 + 1");
    fails(v.old_size ^ 2, v.new_size, root1, root2, v.proof, "size1 ^ 2");
    fails(v.old_size, v.new_size * 2, root1, root2, v.proof, "size2 * 2");
    fails(v.old_size, v.new_size / 2, root1, root2, v.proof, "size2 / 2");
    fails(v.old_size, v.new_size, LeafHash("WrongRoot"), root2, v.proof, "wrong root1");
    fails(v.old_size, v.new_size, root1, LeafHash("WrongRoot"), v.proof, "wrong root2");
    fails(v.old_size, v.new_size, root2, root1, v.proof, "swapped roots");
    fails(v.old_size, v.new_size, root1, root2, {}, "empty proof");
    for (const Hash& extra : {garbage, root1, root2}) {
      Proof longer = v.proof;
      longer.push_back(extra);
      fails(v.old_size, v.new_size, root1, root2, longer, "trailing hash");
      Proof prefixed = v.proof;
      prefixed.insert(prefixed.begin(), extra);
      fails(v.old_size, v.new_size, root1, root2, prefixed, "preceding hash");
    }
    Proof repeated = v.proof;
    repeated.insert(repeated.begin(), v.proof[0]);
    fails(v.old_size, v.new_size, root1, root2, repeated, "preceding proof[0]");
    fails(v.old_size, v.new_size, root1, root2, Proof(v.proof.begin(), v.proof.end() - 1),
          "truncated");
    for (std::size_t i = 0; i < v.proof.size(); ++i) {
      Proof flipped = v.proof;
      flipped[i][0] ^= 16;
      fails(v.old_size, v.new_size, root1, root2, flipped, "flipped bit 4");
    }
  }
}

// --- The worked example of C2SP merkle-tree.md ------------------------------------------------
//
// C2SP merkle-tree.md ("Example") names the nodes of a 7-entry tree a..g (leaves), h..l and the
// root, and lists proofs by those names; it gives no hash values. Here the entries are the first
// seven of the RFC 6962 test set and every named node is hashed exactly as the example defines it.

class C2spMerkleTreeExample : public MerkleTest {
 protected:
  void SetUp() override {
    MerkleTest::SetUp();
    const std::vector<Hash>& leaves = TestSet().leaves();
    a = leaves[0], b = leaves[1], c = leaves[2], d = leaves[3], e = leaves[4], f = leaves[5], g = leaves[6];
    h = NodeHash(a, b), i = NodeHash(c, d), j = NodeHash(e, f);
    k = NodeHash(h, i), l = NodeHash(j, g);
    root = NodeHash(k, l);
  }
  Hash a, b, c, d, e, f, g, h, i, j, k, l, root;
};

TEST_F(C2spMerkleTreeExample, RootIsTheNamedRoot) {
  EXPECT_EQ(Root(TestSet(), 7), root);
  EXPECT_EQ(root, PublishedRoots()[6]);  // The same tree as the RFC 6962 set's size 7.
}

TEST_F(C2spMerkleTreeExample, InclusionProofsAreTheNamedNodes) {
  EXPECT_EQ(*InclusionProofFromNodes(0, 7, TestSet().Source(7)), (Proof{b, i, l}));
  EXPECT_EQ(*InclusionProofFromNodes(3, 7, TestSet().Source(7)), (Proof{c, h, l}));
  EXPECT_EQ(*InclusionProofFromNodes(4, 7, TestSet().Source(7)), (Proof{f, g, k}));
  EXPECT_EQ(*InclusionProofFromNodes(6, 7, TestSet().Source(7)), (Proof{j, k}));
}

TEST_F(C2spMerkleTreeExample, ConsistencyProofsAreTheNamedNodes) {
  EXPECT_EQ(*ConsistencyProofFromNodes(3, 7, TestSet().Source(7)), (Proof{c, d, h, l}));
  EXPECT_EQ(*ConsistencyProofFromNodes(4, 7, TestSet().Source(7)), (Proof{l}));
  EXPECT_EQ(*ConsistencyProofFromNodes(6, 7, TestSet().Source(7)), (Proof{j, g, k}));
}

TEST_F(C2spMerkleTreeExample, NamedProofsVerify) {
  EXPECT_TRUE(VerifyInclusion(4, 7, e, Proof{f, g, k}, root));
  EXPECT_TRUE(VerifyConsistency(3, 7, Root(TestSet(), 3), root, Proof{c, d, h, l}));
  EXPECT_TRUE(VerifyConsistency(4, 7, k, root, Proof{l}));
}

// --- Published proof shapes (proof_test.go) ----------------------------------------------------

// One proof element: a stored node, or (several ids) an ephemeral node hashed from them the way
// proof_test.go's Rehash does: fold from the first id, each next id being the left sibling.
struct Element {
  std::vector<std::pair<int, std::uint64_t>> ids;
};

Proof Expand(const NodeTable& table, const std::vector<Element>& elements) {
  Proof proof;
  for (const Element& element : elements) {
    Hash hash = table.Node(element.ids[0].first, element.ids[0].second);
    for (std::size_t i = 1; i < element.ids.size(); ++i) {
      hash = NodeHash(table.Node(element.ids[i].first, element.ids[i].second), hash);
    }
    proof.push_back(hash);
  }
  return proof;
}

struct InclusionShape {
  std::uint64_t size;
  std::uint64_t index;
  std::vector<Element> elements;
};

TEST_F(MerkleTest, InclusionProofsHavePublishedShapes) {
  const std::vector<InclusionShape> shapes = {
      {1, 0, {}},
      {2, 0, {{{{0, 1}}}}},
      {2, 1, {{{{0, 0}}}}},
      {3, 1, {{{{0, 0}}}, {{{0, 2}}}}},
      {7, 0, {{{{0, 1}}}, {{{1, 1}}}, {{{0, 6}, {1, 2}}}}},
      {7, 1, {{{{0, 0}}}, {{{1, 1}}}, {{{0, 6}, {1, 2}}}}},
      {7, 2, {{{{0, 3}}}, {{{1, 0}}}, {{{0, 6}, {1, 2}}}}},
      {7, 3, {{{{0, 2}}}, {{{1, 0}}}, {{{0, 6}, {1, 2}}}}},
      {7, 4, {{{{0, 5}}}, {{{0, 6}}}, {{{2, 0}}}}},
      {7, 5, {{{{0, 4}}}, {{{0, 6}}}, {{{2, 0}}}}},
      {7, 6, {{{{1, 2}}}, {{{2, 0}}}}},
      {4, 2, {{{{0, 3}}}, {{{1, 0}}}}},
      {5, 3, {{{{0, 2}}}, {{{1, 0}}}, {{{0, 4}}}}},
      {6, 3, {{{{0, 2}}}, {{{1, 0}}}, {{{1, 2}}}}},
      {6, 4, {{{{0, 5}}}, {{{2, 0}}}}},
      {15, 10, {{{{0, 11}}}, {{{1, 4}}}, {{{0, 14}, {1, 6}}}, {{{3, 0}}}}},
      {31, 24, {{{{0, 25}}}, {{{1, 13}}}, {{{0, 30}, {1, 14}}}, {{{3, 2}}}, {{{4, 0}}}}},
      {95, 81,
       {{{{0, 80}}}, {{{1, 41}}}, {{{2, 21}}}, {{{0, 94}, {1, 46}, {2, 22}}}, {{{4, 4}}},
        {{{6, 0}}}}},
  };
  for (const InclusionShape& shape : shapes) {
    EXPECT_EQ(*InclusionProofFromNodes(shape.index, shape.size, Big().Source(shape.size)),
              Expand(Big(), shape.elements))
        << shape.index << " in " << shape.size;
  }
}

struct ConsistencyShape {
  std::uint64_t old_size;
  std::uint64_t new_size;
  std::vector<Element> elements;
};

TEST_F(MerkleTest, ConsistencyProofsHavePublishedShapes) {
  const std::vector<ConsistencyShape> shapes = {
      {1, 2, {{{{0, 1}}}}},
      {1, 4, {{{{0, 1}}}, {{{1, 1}}}}},
      {1, 6, {{{{0, 1}}}, {{{1, 1}}}, {{{1, 2}}}}},
      {2, 3, {{{{0, 2}}}}},
      {2, 8, {{{{1, 1}}}, {{{2, 1}}}}},
      {3, 7, {{{{0, 2}}}, {{{0, 3}}}, {{{1, 0}}}, {{{0, 6}, {1, 2}}}}},
      {4, 7, {{{{0, 6}, {1, 2}}}}},
      {5, 7, {{{{0, 4}}}, {{{0, 5}}}, {{{0, 6}}}, {{{2, 0}}}}},
      {6, 7, {{{{1, 2}}}, {{{0, 6}}}, {{{2, 0}}}}},
      {7, 8, {{{{0, 6}}}, {{{0, 7}}}, {{{1, 2}}}, {{{2, 0}}}}},
      {1, 1, {}},
      {2, 2, {}},
      {3, 3, {}},
      {4, 4, {}},
      {5, 5, {}},
      {7, 7, {}},
      {8, 8, {}},
      {2, 4, {{{{1, 1}}}}},
      {3, 5, {{{{0, 2}}}, {{{0, 3}}}, {{{1, 0}}}, {{{0, 4}}}}},
      {3, 6, {{{{0, 2}}}, {{{0, 3}}}, {{{1, 0}}}, {{{1, 2}}}}},
      {4, 6, {{{{1, 2}}}}},
      {1, 7, {{{{0, 1}}}, {{{1, 1}}}, {{{0, 6}, {1, 2}}}}},
      {10, 15, {{{{1, 4}}}, {{{1, 5}}}, {{{0, 14}, {1, 6}}}, {{{3, 0}}}}},
      {24, 31, {{{{3, 2}}}, {{{0, 30}, {1, 14}, {2, 6}}}, {{{4, 0}}}}},
      {81, 95,
       {{{{0, 80}}}, {{{0, 81}}}, {{{1, 41}}}, {{{2, 21}}}, {{{0, 94}, {1, 46}, {2, 22}}},
        {{{4, 4}}}, {{{6, 0}}}}},
  };
  for (const ConsistencyShape& shape : shapes) {
    EXPECT_EQ(*ConsistencyProofFromNodes(shape.old_size, shape.new_size,
                                         Big().Source(shape.new_size)),
              Expand(Big(), shape.elements))
        << shape.old_size << " to " << shape.new_size;
  }
}

// --- Verification edge cases (verify_test.go TestVerifyInclusion / TestVerifyConsistency) -----

TEST_F(MerkleTest, SingleLeafTreeNeedsEmptyInclusionProof) {
  const Hash leaf = LeafHash("data");
  EXPECT_TRUE(VerifyInclusion(0, 1, leaf, {}, leaf));
  EXPECT_FALSE(VerifyInclusion(0, 1, leaf, {}, EmptyTreeHash()));
  EXPECT_FALSE(VerifyInclusion(0, 1, EmptyTreeHash(), {}, leaf));
}

TEST_F(MerkleTest, InclusionIndexOutsideTreeFails) {
  const Hash leaf = LeafHash("data");
  EXPECT_FALSE(VerifyInclusion(0, 0, leaf, {}, leaf));
  EXPECT_FALSE(VerifyInclusion(1, 0, leaf, {}, leaf));
  EXPECT_FALSE(VerifyInclusion(1, 1, leaf, {}, leaf));
  EXPECT_FALSE(VerifyInclusion(2, 1, leaf, {}, leaf));
}

TEST_F(MerkleTest, EqualSizesNeedEqualRootsAndEmptyProof) {
  const Hash root1 = LeafHash("1");
  const Hash root2 = LeafHash("2");
  EXPECT_TRUE(VerifyConsistency(0, 0, root1, root1, {}));
  EXPECT_TRUE(VerifyConsistency(1, 1, root2, root2, {}));
  EXPECT_FALSE(VerifyConsistency(0, 0, root1, root2, {}));
  EXPECT_FALSE(VerifyConsistency(1, 1, root1, root2, {}));
  const Proof one{EmptyTreeHash()};
  EXPECT_FALSE(VerifyConsistency(0, 0, EmptyTreeHash(), EmptyTreeHash(), one));
  EXPECT_FALSE(VerifyConsistency(1, 1, EmptyTreeHash(), EmptyTreeHash(), one));
}

TEST_F(MerkleTest, EmptyOldTreeNeedsEmptyProof) {
  EXPECT_TRUE(VerifyConsistency(0, 1, LeafHash("1"), LeafHash("2"), {}));
  EXPECT_FALSE(VerifyConsistency(0, 1, EmptyTreeHash(), EmptyTreeHash(), Proof{EmptyTreeHash()}));
}

TEST_F(MerkleTest, ShrinkingTreeFails) {
  EXPECT_FALSE(VerifyConsistency(1, 0, LeafHash("1"), LeafHash("2"), {}));
  EXPECT_FALSE(VerifyConsistency(2, 1, LeafHash("1"), LeafHash("2"), {}));
}

TEST_F(MerkleTest, GrowingTreeNeedsNonEmptyProof) {
  EXPECT_FALSE(VerifyConsistency(1, 2, LeafHash("1"), LeafHash("2"), {}));
}

// --- Properties over every tree up to kPropertySizeMax leaves -----------------------------------

TEST_F(MerkleTest, RootsAgreeForEverySize) {
  CompactTree compact;
  for (std::uint64_t size = 0; size <= kPropertySizeMax; ++size) {
    if (size > 0) compact.Append(Big().leaves()[size - 1], [](const CompactTree::Node&) {});
    const Hash root = Root(Big(), size);
    ASSERT_EQ(root, ReferenceRoot(Leaves(Big().leaves()).first(size))) << size;
    ASSERT_EQ(MemoryTree(Prefix(Big(), size)).Root(), root) << size;
    ASSERT_EQ(compact.Root(), root) << size;
  }
}

TEST_F(MerkleTest, EveryInclusionProofVerifiesAndMatchesMemoryTree) {
  for (std::uint64_t size = 1; size <= kPropertySizeMax; ++size) {
    const NodeSource source = Big().Source(size);
    const MemoryTree tree(Prefix(Big(), size));
    const Hash root = Root(Big(), size);
    for (std::uint64_t index = 0; index < size; ++index) {
      std::optional<Proof> proof = InclusionProofFromNodes(index, size, source);
      ASSERT_TRUE(proof.has_value()) << index << " in " << size;
      ASSERT_EQ(tree.InclusionProof(index), *proof) << index << " in " << size;
      ASSERT_TRUE(VerifyInclusion(index, size, Big().leaves()[index], *proof, root))
          << index << " in " << size;
    }
  }
}

TEST_F(MerkleTest, EveryConsistencyProofVerifies) {
  std::vector<Hash> roots;
  for (std::uint64_t size = 0; size <= kPropertySizeMax; ++size) roots.push_back(Root(Big(), size));
  for (std::uint64_t new_size = 1; new_size <= kPropertySizeMax; ++new_size) {
    const NodeSource source = Big().Source(new_size);
    for (std::uint64_t old_size = 1; old_size <= new_size; ++old_size) {
      std::optional<Proof> proof = ConsistencyProofFromNodes(old_size, new_size, source);
      ASSERT_TRUE(proof.has_value()) << old_size << " to " << new_size;
      ASSERT_TRUE(VerifyConsistency(old_size, new_size, roots[old_size], roots[new_size], *proof))
          << old_size << " to " << new_size;
    }
  }
}

// The RFC's own recursion, transcribed above, is the definition "other implementations" follow.
TEST_F(MerkleTest, ProofsEqualRfc6962Definitions) {
  constexpr std::uint64_t kSizeMax = 64;
  for (std::uint64_t size = 1; size <= kSizeMax; ++size) {
    const Leaves leaves = Leaves(Big().leaves()).first(size);
    const NodeSource source = Big().Source(size);
    for (std::uint64_t m = 0; m < size; ++m) {
      ASSERT_EQ(*InclusionProofFromNodes(m, size, source), ReferencePath(m, leaves))
          << m << " in " << size;
      ASSERT_EQ(*ConsistencyProofFromNodes(m + 1, size, source),
                ReferenceSubproof(m + 1, leaves, true))
          << m + 1 << " to " << size;
    }
  }
}

// Flipping any bit of any proof element must break the proof; sampled over sizes and bits.
TEST_F(MerkleTest, FlippedBitInInclusionProofFails) {
  for (std::uint64_t size : {2, 3, 5, 7, 8, 13, 64, 100, 255, 256, 257, 300}) {
    const Hash root = Root(Big(), size);
    for (std::uint64_t index = 0; index < size; index += 1 + size / 16) {
      const Proof proof = *InclusionProofFromNodes(index, size, Big().Source(size));
      for (std::size_t i = 0; i < proof.size(); ++i) {
        Proof bad = proof;
        bad[i] = FlipBit(bad[i], (index * 31 + i * 7) % 256);
        EXPECT_FALSE(VerifyInclusion(index, size, Big().leaves()[index], bad, root))
            << index << " in " << size << ", element " << i;
      }
    }
  }
}

TEST_F(MerkleTest, FlippedBitInConsistencyProofFails) {
  for (std::uint64_t new_size : {2, 3, 5, 7, 8, 13, 64, 100, 255, 256, 257, 300}) {
    const Hash new_root = Root(Big(), new_size);
    for (std::uint64_t old_size = 1; old_size < new_size; old_size += 1 + new_size / 16) {
      const Hash old_root = Root(Big(), old_size);
      const Proof proof = *ConsistencyProofFromNodes(old_size, new_size, Big().Source(new_size));
      for (std::size_t i = 0; i < proof.size(); ++i) {
        Proof bad = proof;
        bad[i] = FlipBit(bad[i], (old_size * 31 + i * 7) % 256);
        EXPECT_FALSE(VerifyConsistency(old_size, new_size, old_root, new_root, bad))
            << old_size << " to " << new_size << ", element " << i;
      }
    }
  }
}

TEST_F(MerkleTest, ProofsFailOnMissingNode) {
  NodeSource none = [](std::uint8_t, std::uint64_t) -> std::optional<Hash> {
    return std::nullopt;
  };
  EXPECT_EQ(InclusionProofFromNodes(2, 5, none), std::nullopt);
  EXPECT_EQ(ConsistencyProofFromNodes(3, 5, none), std::nullopt);
}

// --- CompactTree -------------------------------------------------------------------------------

TEST_F(MerkleTest, AppendReportsEveryCompleteNodeExactlyOnce) {
  CompactTree tree;
  std::map<std::pair<int, std::uint64_t>, Hash> reported;
  std::size_t reports = 0;
  for (const Hash& leaf : Big().leaves()) {
    tree.Append(leaf, [&](const CompactTree::Node& node) {
      ++reports;
      reported[{node.level, node.index}] = node.hash;
    });
  }
  EXPECT_EQ(reports, Big().NodeCount(kPropertySizeMax));
  EXPECT_EQ(reported.size(), reports);  // No node reported twice.
  for (const auto& [id, hash] : reported) {
    EXPECT_EQ(hash, Big().Node(id.first, id.second)) << id.first << "," << id.second;
  }
}

TEST_F(MerkleTest, AppendReportsLeafFirstThenEachLevelUp) {
  CompactTree tree;
  for (std::uint64_t size = 0; size < kPropertySizeMax; ++size) {
    std::vector<CompactTree::Node> nodes;
    tree.Append(Big().leaves()[size],
                [&](const CompactTree::Node& node) { nodes.push_back(node); });
    // Appending leaf `size` completes one node per trailing one bit of `size`, plus the leaf.
    ASSERT_EQ(nodes.size(), 1u + static_cast<std::size_t>(std::countr_one(size))) << size;
    for (std::size_t level = 0; level < nodes.size(); ++level) {
      EXPECT_EQ(nodes[level].level, level) << size;
      EXPECT_EQ(nodes[level].index, size >> level) << size;
    }
  }
}

TEST_F(MerkleTest, CompactTreeSizeCountsAppends) {
  CompactTree tree;
  for (int i = 0; i < 5; ++i) tree.Append(Big().leaves()[i], [](const CompactTree::Node&) {});
  EXPECT_EQ(tree.size(), 5u);
}

TEST_F(MerkleTest, CompactTreeRootEqualsRootFromReportedNodes) {
  CompactTree tree;
  std::map<std::pair<int, std::uint64_t>, Hash> stored;
  const NodeSource source = [&stored](std::uint8_t level,
                                      std::uint64_t index) -> std::optional<Hash> {
    auto found = stored.find({level, index});
    if (found == stored.end()) return std::nullopt;
    return found->second;
  };
  for (const Hash& leaf : Big().leaves()) {
    tree.Append(leaf, [&](const CompactTree::Node& node) {
      stored[{node.level, node.index}] = node.hash;
    });
    ASSERT_EQ(tree.Root(), *RootFromNodes(tree.size(), source)) << tree.size();
  }
}

TEST_F(MerkleTest, FromNodesRestoresAnEqualTree) {
  CompactTree original;
  for (std::uint64_t size = 0; size < kPropertySizeMax; ++size) {
    std::optional<CompactTree> restored = CompactTree::FromNodes(size, Big().Source(size));
    ASSERT_TRUE(restored.has_value()) << size;
    ASSERT_EQ(restored->size(), size);
    ASSERT_EQ(restored->Root(), original.Root()) << size;
    // Equal trees also grow equally: the next append completes the same nodes.
    std::vector<std::pair<int, std::uint64_t>> from_original;
    std::vector<std::pair<int, std::uint64_t>> from_restored;
    original.Append(Big().leaves()[size], [&](const CompactTree::Node& node) {
      from_original.emplace_back(node.level, node.index);
    });
    restored->Append(Big().leaves()[size], [&](const CompactTree::Node& node) {
      from_restored.emplace_back(node.level, node.index);
    });
    ASSERT_EQ(from_restored, from_original) << size;
    ASSERT_EQ(restored->Root(), original.Root()) << size + 1;
  }
}

TEST_F(MerkleTest, FromNodesFailsOnMissingNode) {
  NodeSource none = [](std::uint8_t, std::uint64_t) -> std::optional<Hash> {
    return std::nullopt;
  };
  EXPECT_FALSE(CompactTree::FromNodes(6, none).has_value());
}

TEST_F(MerkleTest, FromNodesOfEmptyTreeReadsNothing) {
  NodeSource none = [](std::uint8_t, std::uint64_t) -> std::optional<Hash> {
    return std::nullopt;
  };
  std::optional<CompactTree> tree = CompactTree::FromNodes(0, none);
  ASSERT_TRUE(tree.has_value());
  EXPECT_EQ(tree->Root(), EmptyTreeHash());
}

}  // namespace
}  // namespace crypto
