// Sealing (secretbox) and keyed hashing (HMAC-SHA-256) of personal data.

#include "crypto/seal.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "crypto/signing.h"

namespace crypto {
namespace {

class SealTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(Initialize()); }

  static std::string Hex(const Hash& hash) { return HexEncode(AsBytes(hash)); }
  // A key whose bytes are 0x00, 0x01, ..., 0x1f.
  static SealKey CountingKey() {
    SealKey key;
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i);
    return key;
  }
  static void IncrementByte(std::string& bytes, std::size_t index) {
    bytes[index] = static_cast<char>(bytes[index] + 1);
  }
};

TEST_F(SealTest, RoundTrip) {
  SealKey key = NewSealKey();
  std::string sealed = Seal(key, "张三 11010519491231002X");
  EXPECT_EQ(sealed.size(), kSealOverheadBytes + std::strlen("张三 11010519491231002X"));
  EXPECT_EQ(Unseal(key, sealed), "张三 11010519491231002X");
}

TEST_F(SealTest, EmptyPlaintextRoundTrips) {
  SealKey key = NewSealKey();
  std::string sealed = Seal(key, "");
  EXPECT_EQ(sealed.size(), kSealOverheadBytes);
  EXPECT_EQ(Unseal(key, sealed), "");
}

TEST_F(SealTest, SealingTwiceGivesDifferentBytes) {
  SealKey key = NewSealKey();
  EXPECT_NE(Seal(key, "same text"), Seal(key, "same text"));
}

TEST_F(SealTest, CiphertextDoesNotContainPlaintext) {
  std::string sealed = Seal(NewSealKey(), "11010519491231002X");
  EXPECT_EQ(sealed.find("11010519491231002X"), std::string::npos);
}

TEST_F(SealTest, EveryTamperedByteFails) {
  SealKey key = NewSealKey();
  const std::string sealed = Seal(key, "personal data");
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    std::string tampered = sealed;
    IncrementByte(tampered, i);
    EXPECT_EQ(Unseal(key, tampered), std::nullopt) << "byte " << i;
  }
}

TEST_F(SealTest, TruncatedFails) {
  SealKey key = NewSealKey();
  const std::string sealed = Seal(key, "personal data");
  EXPECT_EQ(Unseal(key, sealed.substr(0, sealed.size() - 1)), std::nullopt);
  EXPECT_EQ(Unseal(key, sealed.substr(0, kSealOverheadBytes - 1)), std::nullopt);
  EXPECT_EQ(Unseal(key, ""), std::nullopt);
}

TEST_F(SealTest, WrongKeyFails) {
  const std::string sealed = Seal(NewSealKey(), "personal data");
  EXPECT_EQ(Unseal(NewSealKey(), sealed), std::nullopt);
}

// The key of RFC 4231 test case 2 ("Jefe") zero-padded to 32 bytes: HMAC pads short keys with
// zeros, so this key gives that test case's answer, 5bdcc146...3843, over its message. Ours is
// 0x00 || message (empty context); the expected value is from
//   printf '\x00what do ya want for nothing?' |
//     openssl dgst -sha256 -mac HMAC -macopt hexkey:4a656665 followed by 56 zeros
TEST_F(SealTest, KeyedHashWithEmptyContextKnownAnswer) {
  SealKey key{};
  std::memcpy(key.data(), "Jefe", 4);
  EXPECT_EQ(Hex(KeyedHash(key, "", "what do ya want for nothing?")),
            "6882ec3e66248227aedbf4c2f567b563b5668a12dc6c5560333e28bfa72d3672");
}

// printf 'subject\x0011010519491231002X' | openssl dgst -sha256 -mac HMAC
//   -macopt hexkey:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
TEST_F(SealTest, KeyedHashWithContextKnownAnswer) {
  EXPECT_EQ(Hex(KeyedHash(CountingKey(), "subject", "11010519491231002X")),
            "b96e132533d6249ff5fd74a5b96fa94275842ca181a452d4c44dd5d1749262ce");
}

TEST_F(SealTest, KeyedHashDependsOnKey) {
  EXPECT_NE(KeyedHash(CountingKey(), "subject", "11010519491231002X"),
            KeyedHash(NewSealKey(), "subject", "11010519491231002X"));
}

TEST_F(SealTest, KeyedHashDependsOnContext) {
  EXPECT_NE(KeyedHash(CountingKey(), "subject", "11010519491231002X"),
            KeyedHash(CountingKey(), "account", "11010519491231002X"));
}

// The 0x00 separator keeps ("ab", "c") and ("a", "bc") apart.
TEST_F(SealTest, KeyedHashSeparatesContextFromMessage) {
  EXPECT_NE(KeyedHash(CountingKey(), "ab", "c"), KeyedHash(CountingKey(), "a", "bc"));
}

}  // namespace
}  // namespace crypto
