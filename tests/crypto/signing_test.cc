// Ed25519 keys and signatures.

#include "crypto/signing.h"

#include <gtest/gtest.h>

#include <string>

#include "crypto/hash.h"

namespace crypto {
namespace {

// RFC 8032 section 7.1, TEST 1.
constexpr std::string_view kRfc8032Seed =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr std::string_view kRfc8032PublicKey =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr std::string_view kRfc8032EmptyMessageSignature =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

class SigningTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(Initialize()); }

  static SecretKey Rfc8032Key() { return *SecretKey::FromSeed(*HexDecode(kRfc8032Seed)); }
};

TEST_F(SigningTest, InitializeIsIdempotent) {
  EXPECT_TRUE(Initialize());
  EXPECT_TRUE(Initialize());
}

TEST_F(SigningTest, Rfc8032Test1PublicKeyFromSeed) {
  EXPECT_EQ(HexEncode(AsBytes(Rfc8032Key().public_key())), kRfc8032PublicKey);
}

TEST_F(SigningTest, Rfc8032Test1SignatureOfEmptyMessage) {
  EXPECT_EQ(HexEncode(AsBytes(Rfc8032Key().Sign(""))), kRfc8032EmptyMessageSignature);
}

TEST_F(SigningTest, Rfc8032Test1SignatureVerifies) {
  const PublicKey key = *PublicKeyFromBytes(*HexDecode(kRfc8032PublicKey));
  const Signature signature = *SignatureFromBytes(*HexDecode(kRfc8032EmptyMessageSignature));
  EXPECT_TRUE(Verify(key, "", signature));
}

TEST_F(SigningTest, SeedIsTheSeedGiven) {
  EXPECT_EQ(HexEncode(Rfc8032Key().seed()), kRfc8032Seed);
}

TEST_F(SigningTest, FromSeedRejectsWrongLength) {
  EXPECT_FALSE(SecretKey::FromSeed(std::string(31, 'a')).has_value());
  EXPECT_FALSE(SecretKey::FromSeed(std::string(33, 'a')).has_value());
}

TEST_F(SigningTest, GeneratedKeySignsAndVerifies) {
  const SecretKey key = SecretKey::Generate();
  EXPECT_TRUE(Verify(key.public_key(), "payment 42", key.Sign("payment 42")));
}

TEST_F(SigningTest, GeneratedKeysDiffer) {
  EXPECT_NE(SecretKey::Generate().public_key(), SecretKey::Generate().public_key());
}

TEST_F(SigningTest, GeneratedKeyRebuildsFromItsSeed) {
  const SecretKey key = SecretKey::Generate();
  const SecretKey copy = *SecretKey::FromSeed(key.seed());
  EXPECT_EQ(copy.public_key(), key.public_key());
  EXPECT_EQ(copy.Sign("m"), key.Sign("m"));
}

TEST_F(SigningTest, EveryFlippedSignatureBitFails) {
  const SecretKey key = Rfc8032Key();
  const Signature good = key.Sign("payment 42");
  for (std::size_t bit = 0; bit < 8 * kSignatureBytes; ++bit) {
    Signature bad = good;
    bad[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    EXPECT_FALSE(Verify(key.public_key(), "payment 42", bad)) << "bit " << bit;
  }
}

TEST_F(SigningTest, FlippedMessageBitFails) {
  const SecretKey key = Rfc8032Key();
  const Signature signature = key.Sign("payment 42");
  EXPECT_FALSE(Verify(key.public_key(), "payment 43", signature));
}

TEST_F(SigningTest, OtherKeyFails) {
  const SecretKey key = Rfc8032Key();
  const SecretKey other = SecretKey::Generate();
  EXPECT_FALSE(Verify(other.public_key(), "m", key.Sign("m")));
}

TEST_F(SigningTest, VerifyBytesRejectsWrongLengths) {
  const SecretKey key = Rfc8032Key();
  const std::string signature(AsBytes(key.Sign("m")));
  const std::string public_key(AsBytes(key.public_key()));
  EXPECT_TRUE(Verify(public_key, "m", signature));
  EXPECT_FALSE(Verify(public_key.substr(1), "m", signature));
  EXPECT_FALSE(Verify(public_key, "m", signature.substr(1)));
  EXPECT_FALSE(Verify(public_key, "m", signature + "x"));
}

TEST_F(SigningTest, MovedKeyKeepsSigning) {
  SecretKey key = Rfc8032Key();
  SecretKey moved = std::move(key);
  EXPECT_EQ(HexEncode(AsBytes(moved.Sign(""))), kRfc8032EmptyMessageSignature);
}

TEST_F(SigningTest, MoveAssignedKeyKeepsSigning) {
  SecretKey target = SecretKey::Generate();
  target = Rfc8032Key();
  EXPECT_EQ(HexEncode(AsBytes(target.public_key())), kRfc8032PublicKey);
}

TEST_F(SigningTest, WipeZeroesBytes) {
  std::string secret = "secret";
  Wipe(secret.data(), secret.size());
  EXPECT_EQ(secret, std::string(6, '\0'));
}

}  // namespace
}  // namespace crypto
