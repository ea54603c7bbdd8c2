// SHA-256, RFC 6962 leaf/node hashing, constant-time comparison and the text encodings.

#include "crypto/hash.h"

#include <gtest/gtest.h>

#include <string>

#include "crypto/signing.h"

namespace crypto {
namespace {

class HashTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(Initialize()); }

  static std::string Hex(const Hash& hash) { return HexEncode(AsBytes(hash)); }
};

// FIPS 180-2, appendix B.1: the one-block message "abc".
TEST_F(HashTest, Sha256OneBlockKnownAnswer) {
  EXPECT_EQ(Hex(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// FIPS 180-2, appendix B.2: a two-block message.
TEST_F(HashTest, Sha256TwoBlockKnownAnswer) {
  EXPECT_EQ(Hex(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_F(HashTest, Sha256OfEmptyString) {
  EXPECT_EQ(Hex(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_F(HashTest, BuilderOverPiecesEqualsOneShot) {
  Sha256Builder builder;
  builder.Update("abcdbcdecdefdefg").Update("").Update("efghfghighijhijkijkljklmklmnlmnomnopnopq");
  EXPECT_EQ(builder.Finish(), Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"));
}

// transparency-dev/merkle rfc6962_test.go: the empty leaf differs from the empty tree.
TEST_F(HashTest, LeafHashOfEmptyLeaf) {
  EXPECT_EQ(Hex(LeafHash("")), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
}

TEST_F(HashTest, LeafHashOfTwoPartsIsTheLeafHashOfTheirConcatenation) {
  EXPECT_EQ(LeafHash("L123", "456"), LeafHash("L123456"));
}

// transparency-dev/merkle rfc6962_test.go: SHA-256(0x00 || "L123456").
TEST_F(HashTest, LeafHashPrefixesZeroByte) {
  EXPECT_EQ(Hex(LeafHash("L123456")),
            "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56");
}

// The RFC 6962 test set's tree of leaves "" and "\x00" has root fac54203... (published).
TEST_F(HashTest, NodeHashOfTwoLeavesIsPublishedRoot) {
  EXPECT_EQ(Hex(NodeHash(LeafHash(""), LeafHash(std::string(1, '\0')))),
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125");
}

TEST_F(HashTest, NodeHashDependsOnOrder) {
  const Hash a = LeafHash("a");
  const Hash b = LeafHash("b");
  EXPECT_NE(NodeHash(a, b), NodeHash(b, a));
}

TEST_F(HashTest, EmptyTreeHashIsSha256OfNothing) {
  EXPECT_EQ(Hex(EmptyTreeHash()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_F(HashTest, ConstantTimeEqualComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEqual("abc", "abc"));
  EXPECT_TRUE(ConstantTimeEqual("", ""));
  EXPECT_FALSE(ConstantTimeEqual("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEqual("", "a"));
}

TEST_F(HashTest, ConstantTimeEqualOnHashes) {
  Hash a = Sha256("x");
  Hash b = a;
  EXPECT_TRUE(ConstantTimeEqual(a, b));
  b[31] ^= 1;
  EXPECT_FALSE(ConstantTimeEqual(a, b));
}

TEST_F(HashTest, HashFromBytesNeedsExactly32Bytes) {
  const Hash hash = Sha256("x");
  EXPECT_EQ(HashFromBytes(AsBytes(hash)), hash);
  EXPECT_EQ(HashFromBytes(std::string(31, 'a')), std::nullopt);
  EXPECT_EQ(HashFromBytes(std::string(33, 'a')), std::nullopt);
  EXPECT_EQ(HashFromBytes(""), std::nullopt);
}

// RFC 4648 section 10 test vectors.
TEST_F(HashTest, Base64EncodesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
}

TEST_F(HashTest, Base64DecodesRfc4648Vectors) {
  EXPECT_EQ(Base64Decode(""), "");
  EXPECT_EQ(Base64Decode("Zg=="), "f");
  EXPECT_EQ(Base64Decode("Zm8="), "fo");
  EXPECT_EQ(Base64Decode("Zm9v"), "foo");
  EXPECT_EQ(Base64Decode("Zm9vYg=="), "foob");
  EXPECT_EQ(Base64Decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(Base64Decode("Zm9vYmFy"), "foobar");
}

TEST_F(HashTest, Base64RoundTripsEveryByteValueAndLength) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (std::size_t length = 0; length <= bytes.size(); ++length) {
    const std::string prefix = bytes.substr(0, length);
    EXPECT_EQ(Base64Decode(Base64Encode(prefix)), prefix) << "length " << length;
  }
}

TEST_F(HashTest, Base64RejectsMalformedText) {
  EXPECT_EQ(Base64Decode("Zg"), std::nullopt);            // Missing padding.
  EXPECT_EQ(Base64Decode("Zg="), std::nullopt);           // Short padding.
  EXPECT_EQ(Base64Decode("Zg==="), std::nullopt);         // Extra padding.
  EXPECT_EQ(Base64Decode("Zh=="), std::nullopt);          // Non-zero padding bits.
  EXPECT_EQ(Base64Decode("Zm9v!A=="), std::nullopt);      // Outside the alphabet.
  EXPECT_EQ(Base64Decode("Zm9-"), std::nullopt);          // URL-safe alphabet.
  EXPECT_EQ(Base64Decode("Zg==Zg=="), std::nullopt);      // Data after padding.
  EXPECT_EQ(Base64Decode(" Zm9v"), std::nullopt);         // Whitespace.
  EXPECT_EQ(Base64Decode("Zm9v\n"), std::nullopt);        // Trailing newline.
  EXPECT_EQ(Base64Decode(std::string("Zm9v\0", 5)), std::nullopt);
}

TEST_F(HashTest, HexEncodesLowerCase) {
  EXPECT_EQ(HexEncode(std::string("\x00\xff\x10\xab", 4)), "00ff10ab");
  EXPECT_EQ(HexEncode(""), "");
}

TEST_F(HashTest, HexRoundTripsEveryByteValue) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  EXPECT_EQ(HexDecode(HexEncode(bytes)), bytes);
}

TEST_F(HashTest, HexRejectsMalformedText) {
  EXPECT_EQ(HexDecode("0"), std::nullopt);    // Odd length.
  EXPECT_EQ(HexDecode("0g"), std::nullopt);   // Not a digit.
  EXPECT_EQ(HexDecode("AB"), std::nullopt);   // Upper case is not the canonical spelling.
  EXPECT_EQ(HexDecode(" 00"), std::nullopt);  // Whitespace.
  EXPECT_EQ(HexDecode("00 "), std::nullopt);
  EXPECT_EQ(HexDecode(""), "");
}

}  // namespace
}  // namespace crypto
