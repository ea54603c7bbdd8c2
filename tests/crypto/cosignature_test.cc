// Cosignatures (C2SP tlog-cosignature v1.0, Ed25519 cosignature/v1) and cosigner keys.
//
// The worked example of docs/crypto.md ("Witnesses") is reproduced byte for byte; the published
// cosignature line of tlog-cosignature.md is decoded (its witness key is not published, so its
// signature cannot be checked).

#include "crypto/cosignature.h"

#include <gtest/gtest.h>

#include <string>

namespace crypto {
namespace {

using ledger::Code;

// RFC 8032 section 7.1 TEST 1: public, never for real use.
constexpr std::string_view kSeedHex =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr std::string_view kWitnessName = "witness.example/w1";
// The checkpoint text of docs/crypto.md's "a signed checkpoint" example.
constexpr std::string_view kCheckpointText =
    "audit.example/ledger\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n";
constexpr std::uint64_t kTime = 1767225600;  // 2026-01-01T00:00:00Z.

// The worked example, computed independently with Python's hashlib and `openssl pkeyutl -sign
// -rawin` (docs/crypto.md shows the commands' inputs).
constexpr std::uint32_t kWorkedKeyId = 0xeb762cc2;
constexpr std::string_view kWorkedVerifierKey =
    "witness.example/w1+eb762cc2+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea";
constexpr std::string_view kWorkedTimeAndSignatureHex =
    "000000006955b900"
    "0d13c136d227a2a6b0fb279a16ecfbc332a7d345236fafc926d021f3963b360c"
    "757ee2e9d5a129f816997a63e455244e1e5782b613ebbe222a95813ee4d3a40d";
constexpr std::string_view kWorkedLine =
    "\xE2\x80\x94 witness.example/w1 63YswgAAAABpVbkADRPBNtInoqaw+yeaFuz7wzKn00Ujb6/JJtAh85Y7Ngx1"
    "fuLp1aEp+BaZemPkVSROHleCthPrviIqlYE+5NOkDQ==\n";

class CosignatureTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(Initialize()); }
  static SecretKey Key() { return *SecretKey::FromSeed(*HexDecode(kSeedHex)); }
  static CosignerKey Cosigner() {
    return ParseCosignerKey(FormatCosignerKey(kWitnessName, Key().public_key())).value();
  }
  static std::string CosignedNote(std::string_view text, std::uint64_t time) {
    return std::string(text) + "\n" + Cosign(text, time, kWitnessName, Key());
  }
};

// --- Keys ---------------------------------------------------------------------------------------

TEST_F(CosignatureTest, KeyIdUsesAlgorithmByte04) {
  // SHA-256("witness.example/w1" || 0a || 04 || public key)[:4], computed independently:
  // printf 'witness.example/w1\n\x04' + key | sha256sum.
  EXPECT_EQ(CosignerKeyId(kWitnessName, Key().public_key()), kWorkedKeyId);
  EXPECT_NE(CosignerKeyId(kWitnessName, Key().public_key()),
            KeyId(kWitnessName, Key().public_key()));
}

TEST_F(CosignatureTest, FormatsWorkedExampleKey) {
  EXPECT_EQ(FormatCosignerKey(kWitnessName, Key().public_key()), kWorkedVerifierKey);
}

TEST_F(CosignatureTest, ParsesWorkedExampleKey) {
  ledger::Result<CosignerKey> key = ParseCosignerKey(kWorkedVerifierKey);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->name, kWitnessName);
  EXPECT_EQ(key->key_id, kWorkedKeyId);
  EXPECT_EQ(key->key, Key().public_key());
}

TEST_F(CosignatureTest, NoteVerifierKeyIsNotACosignerKey) {
  // The same key pair announced with algorithm 0x01 (a log key) is refused.
  ledger::Result<CosignerKey> key =
      ParseCosignerKey(FormatVerifierKey(kWitnessName, Key().public_key()));
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), Code::kInvalidArgument);
}

TEST_F(CosignatureTest, ManglingsOfCosignerKeyAreRejected) {
  const std::string good(kWorkedVerifierKey);
  for (const std::string& bad : {
           std::string("witness.example/w1"),                       // No '+'.
           good.substr(0, good.rfind('+')),                         // No key.
           "x" + good,                                              // Name changed: id mismatch.
           good.substr(0, good.size() - 2) + "A=",                  // Key changed.
           good.substr(0, good.size() - 1),                         // Bad base64.
       }) {
    ledger::Result<CosignerKey> key = ParseCosignerKey(bad);
    ASSERT_FALSE(key.ok()) << bad;
    EXPECT_EQ(key.status().code(), Code::kInvalidArgument) << bad;
  }
  // Upper-case hex in the key id.
  EXPECT_FALSE(
      ParseCosignerKey("witness.example/w1+EB762CC2+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea")
          .ok());
}

// --- Signing and verifying ---------------------------------------------------------------------

TEST_F(CosignatureTest, SignedMessageIsHeaderTimeAndText) {
  EXPECT_EQ(CosignedMessage(kCheckpointText, kTime),
            "cosignature/v1\ntime 1767225600\n" + std::string(kCheckpointText));
  EXPECT_EQ(CosignedMessage(kCheckpointText, 0), "cosignature/v1\ntime 0\n" +
                                                     std::string(kCheckpointText));
}

TEST_F(CosignatureTest, ReproducesWorkedExampleLine) {
  EXPECT_EQ(Cosign(kCheckpointText, kTime, kWitnessName, Key()), kWorkedLine);
}

TEST_F(CosignatureTest, WorkedExampleLineCarriesKeyIdTimeAndSignature) {
  ledger::Result<ParsedNote> note =
      ParseNote(std::string(kCheckpointText) + "\n" + std::string(kWorkedLine));
  ASSERT_TRUE(note.ok());
  ASSERT_EQ(note->signatures.size(), 1u);
  EXPECT_EQ(note->signatures[0].key_id, kWorkedKeyId);
  EXPECT_EQ(HexEncode(note->signatures[0].signature), kWorkedTimeAndSignatureHex);
  // The Ed25519 signature over the message verifies with the plain primitive too.
  EXPECT_TRUE(Verify(AsBytes(Key().public_key()), CosignedMessage(kCheckpointText, kTime),
                     note->signatures[0].signature.substr(8)));
}

TEST_F(CosignatureTest, FindsAndVerifiesCosignature) {
  ledger::Result<FoundCosignature> found =
      FindCosignature(CosignedNote(kCheckpointText, kTime), Cosigner());
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->time_seconds, kTime);
  EXPECT_EQ(found->line, Cosign(kCheckpointText, kTime, kWitnessName, Key()));
}

TEST_F(CosignatureTest, CosignatureOverAnotherCheckpointFails) {
  const std::string other =
      "audit.example/ledger\n9\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n";
  const std::string line = Cosign(kCheckpointText, kTime, kWitnessName, Key());
  ledger::Result<FoundCosignature> found = FindCosignature(other + "\n" + line, Cosigner());
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().code(), Code::kBadSignature);
}

TEST_F(CosignatureTest, ChangedTimeFails) {
  ledger::Result<ParsedNote> note = ParseNote(CosignedNote(kCheckpointText, kTime));
  ASSERT_TRUE(note.ok());
  NoteSignature signature = note->signatures[0];
  signature.signature[7] ^= 1;  // Last byte of the big-endian time.
  ledger::Result<std::uint64_t> time = VerifyCosignature(kCheckpointText, signature, Cosigner());
  ASSERT_FALSE(time.ok());
  EXPECT_EQ(time.status().code(), Code::kBadSignature);
}

TEST_F(CosignatureTest, TimeAboveTwoToThe63IsMalformed) {
  ledger::Result<ParsedNote> note = ParseNote(CosignedNote(kCheckpointText, kTime));
  ASSERT_TRUE(note.ok());
  NoteSignature signature = note->signatures[0];
  signature.signature[0] = static_cast<char>(0x80);
  ledger::Result<std::uint64_t> time = VerifyCosignature(kCheckpointText, signature, Cosigner());
  ASSERT_FALSE(time.ok());
  EXPECT_EQ(time.status().code(), Code::kMalformed);
}

TEST_F(CosignatureTest, WrongLengthIsMalformed) {
  NoteSignature signature{std::string(kWitnessName), Cosigner().key_id, std::string(64, 'x')};
  ledger::Result<std::uint64_t> time = VerifyCosignature(kCheckpointText, signature, Cosigner());
  ASSERT_FALSE(time.ok());
  EXPECT_EQ(time.status().code(), Code::kMalformed);
}

TEST_F(CosignatureTest, LogSignatureIsNotACosignature) {
  // A plain note signature by the same key pair has the 0x01 key id: not this cosigner's line.
  const std::string note = SignNote(kCheckpointText, kWitnessName, Key());
  ledger::Result<FoundCosignature> found = FindCosignature(note, Cosigner());
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().code(), Code::kUnknownSigner);
}

TEST_F(CosignatureTest, OtherLinesAreIgnored) {
  const std::string note = SignNote(kCheckpointText, "audit.example/ledger", Key()) +
                           Cosign(kCheckpointText, kTime, kWitnessName, Key());
  ledger::Result<FoundCosignature> found = FindCosignature(note, Cosigner());
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->time_seconds, kTime);
}

TEST_F(CosignatureTest, DecodesPublishedCosignatureLine) {
  // tlog-cosignature.md's example: key id 8d66cf3f, time 1679315147 (its "time" line).
  const std::string note =
      "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
      "\xE2\x80\x94 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZ"
      "CB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n";
  ledger::Result<ParsedNote> parsed = ParseNote(note);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->signatures.size(), 1u);
  EXPECT_EQ(parsed->signatures[0].key_id, 0x8d66cf3fu);
  ASSERT_EQ(parsed->signatures[0].signature.size(), 72u);
  EXPECT_EQ(HexEncode(parsed->signatures[0].signature.substr(0, 8)), "000000006418" "50cb");
  EXPECT_EQ(0x641850cbu, 1679315147u);
}

}  // namespace
}  // namespace crypto
