// Signed notes, note key formats, key files and tlog checkpoints.
//
// Published vectors come from golang.org/x/mod/sumdb/note (note.go's package example and
// note_test.go) and from C2SP tlog-checkpoint.md.

#include "crypto/note.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace crypto {
namespace {

using ledger::Code;

constexpr std::string_view kPeterVerifierKey =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr std::string_view kPeterSignerKey =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr std::string_view kEnochVerifierKey =
    "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
constexpr std::string_view kText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr std::string_view kPeterSignature =
    "\xE2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6Ryy"
    "BwJnAM=\n";
constexpr std::string_view kEnochSignature =
    "\xE2\x80\x94 EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1"
    "RvMc+QQ=\n";

std::string Cat(std::string_view a, std::string_view b = "", std::string_view c = "",
                std::string_view d = "") {
  return std::string(a) + std::string(b) + std::string(c) + std::string(d);
}

class NoteTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(Initialize()); }

  static VerifierKey Peter() { return ParseVerifierKey(kPeterVerifierKey).value(); }
  static VerifierKey Enoch() { return ParseVerifierKey(kEnochVerifierKey).value(); }
  static VerifierKey VerifierFor(std::string_view name, const SecretKey& key) {
    return ParseVerifierKey(FormatVerifierKey(name, key.public_key())).value();
  }
  // The published, Peter-signed note.
  static std::string PeterNote() { return Cat(kText, "\n", kPeterSignature); }
};

// --- Key ids and key text ----------------------------------------------------------------------

TEST_F(NoteTest, PublishedVerifierKeyParses) {
  ledger::Result<VerifierKey> key = ParseVerifierKey(kPeterVerifierKey);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->name, "PeterNeumann");
  EXPECT_EQ(key->key_id, 0xc74f20a3u);
}

TEST_F(NoteTest, KeyIdOfPublishedKeyMatches) {
  EXPECT_EQ(KeyId("PeterNeumann", Peter().key), 0xc74f20a3u);
  EXPECT_EQ(KeyId("EnochRoot", Enoch().key), 0xaf0cfe78u);
}

TEST_F(NoteTest, KeyIdDependsOnName) {
  EXPECT_NE(KeyId("PeterNeuman", Peter().key), 0xc74f20a3u);
}

TEST_F(NoteTest, FormatVerifierKeyReproducesPublishedKey) {
  EXPECT_EQ(FormatVerifierKey("PeterNeumann", Peter().key), kPeterVerifierKey);
}

TEST_F(NoteTest, PublishedSignerKeyMatchesVerifierKey) {
  ledger::Result<NamedSecretKey> signer = ParseSignerKey(kPeterSignerKey);
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  EXPECT_EQ(signer->name, "PeterNeumann");
  EXPECT_EQ(signer->key.public_key(), Peter().key);
}

TEST_F(NoteTest, FormatSignerKeyReproducesPublishedKey) {
  ledger::Result<NamedSecretKey> signer = ParseSignerKey(kPeterSignerKey);
  ASSERT_TRUE(signer.ok());
  EXPECT_EQ(FormatSignerKey(signer->name, signer->key), kPeterSignerKey);
}

TEST_F(NoteTest, GeneratedSignerKeyRoundTrips) {
  const SecretKey key = SecretKey::Generate();
  ledger::Result<NamedSecretKey> parsed = ParseSignerKey(FormatSignerKey("example.com/log", key));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->name, "example.com/log");
  EXPECT_EQ(parsed->key.seed(), key.seed());
  EXPECT_EQ(parsed->key.public_key(), key.public_key());
}

// note_test.go TestNewVerifier: every proper substring and every single-byte increment fails.
TEST_F(NoteTest, EveryManglingOfVerifierKeyIsRejected) {
  const std::string key(kPeterVerifierKey);
  for (std::size_t i = 0; i <= key.size(); ++i) {
    for (std::size_t j = i + 1; j <= key.size(); ++j) {
      if (i == 0 && j == key.size()) continue;
      EXPECT_EQ(ParseVerifierKey(key.substr(i, j - i)).status().code(), Code::kInvalidArgument)
          << key.substr(i, j - i);
    }
  }
  for (std::size_t i = 0; i < key.size(); ++i) {
    std::string mangled = key;
    ++mangled[i];
    EXPECT_EQ(ParseVerifierKey(mangled).status().code(), Code::kInvalidArgument) << mangled;
  }
}

// note_test.go: a 33-byte key and an unknown algorithm, each with a matching key id.
TEST_F(NoteTest, VerifierKeyWithWrongLengthOrAlgorithmIsRejected) {
  EXPECT_EQ(ParseVerifierKey(
                "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
                .status()
                .code(),
            Code::kInvalidArgument);
  EXPECT_EQ(
      ParseVerifierKey("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
          .status()
          .code(),
      Code::kInvalidArgument);
}

TEST_F(NoteTest, VerifierKeyWithUpperCaseKeyIdIsRejected) {
  EXPECT_EQ(
      ParseVerifierKey("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
          .status()
          .code(),
      Code::kInvalidArgument);
}

// note_test.go TestNewSigner.
TEST_F(NoteTest, EveryManglingOfSignerKeyIsRejected) {
  const std::string key(kPeterSignerKey);
  for (std::size_t i = 0; i <= key.size(); ++i) {
    for (std::size_t j = i + 1; j <= key.size(); ++j) {
      if (i == 0 && j == key.size()) continue;
      EXPECT_EQ(ParseSignerKey(key.substr(i, j - i)).status().code(), Code::kInvalidArgument)
          << key.substr(i, j - i);
    }
  }
  for (std::size_t i = 0; i < key.size(); ++i) {
    std::string mangled = key;
    ++mangled[i];
    EXPECT_EQ(ParseSignerKey(mangled).status().code(), Code::kInvalidArgument) << mangled;
  }
}

TEST_F(NoteTest, ValidKeyNames) {
  EXPECT_TRUE(IsValidKeyName("PeterNeumann"));
  EXPECT_TRUE(IsValidKeyName("example.com/log42"));
  EXPECT_TRUE(IsValidKeyName("\xE5\xB7\xB4\xE5\xBD\xA6\xE6\xB7\x96\xE5\xB0\x94"));  // 巴彦淖尔
}

TEST_F(NoteTest, InvalidKeyNames) {
  EXPECT_FALSE(IsValidKeyName(""));
  EXPECT_FALSE(IsValidKeyName("a+b"));
  EXPECT_FALSE(IsValidKeyName("a b"));
  EXPECT_FALSE(IsValidKeyName("a\tb"));
  EXPECT_FALSE(IsValidKeyName("a\nb"));
  EXPECT_FALSE(IsValidKeyName("a\x01" "b"));
  EXPECT_FALSE(IsValidKeyName("a\xC2\xA0" "b"));      // U+00A0 NO-BREAK SPACE.
  EXPECT_FALSE(IsValidKeyName("a\xE3\x80\x80" "b"));  // U+3000 IDEOGRAPHIC SPACE.
  EXPECT_FALSE(IsValidKeyName("a\xE2\x80\x83" "b"));  // U+2003 EM SPACE.
  EXPECT_FALSE(IsValidKeyName("a\xFF" "b"));          // Not UTF-8.
  EXPECT_FALSE(IsValidKeyName("a\xC0\xAF" "b"));      // Overlong '/'.
  EXPECT_FALSE(IsValidKeyName("a\xED\xA0\x80" "b"));  // Surrogate U+D800.
}

// --- Signed notes ------------------------------------------------------------------------------

// note_test.go TestSign: Ed25519 is deterministic, so the published note is reproduced exactly.
TEST_F(NoteTest, SignNoteReproducesPublishedNote) {
  ledger::Result<NamedSecretKey> signer = ParseSignerKey(kPeterSignerKey);
  ASSERT_TRUE(signer.ok());
  EXPECT_EQ(SignNote(kText, signer->name, signer->key), PeterNote());
}

TEST_F(NoteTest, OpenPublishedNote) {
  ledger::Result<std::string> text = OpenNote(PeterNote(), Peter());
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, kText);
}

TEST_F(NoteTest, ParsePublishedDoublySignedNote) {
  ledger::Result<ParsedNote> note = ParseNote(Cat(kText, "\n", kPeterSignature, kEnochSignature));
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  EXPECT_EQ(note->text, kText);
  ASSERT_EQ(note->signatures.size(), 2u);
  EXPECT_EQ(note->signatures[0].name, "PeterNeumann");
  EXPECT_EQ(note->signatures[0].key_id, 0xc74f20a3u);
  EXPECT_EQ(note->signatures[0].signature.size(), kSignatureBytes);
  EXPECT_EQ(note->signatures[1].name, "EnochRoot");
  EXPECT_EQ(note->signatures[1].key_id, 0xaf0cfe78u);
}

TEST_F(NoteTest, OpenIgnoresOtherSigners) {
  const std::string note = Cat(kText, "\n", kPeterSignature, kEnochSignature);
  EXPECT_TRUE(OpenNote(note, Peter()).ok());
  EXPECT_TRUE(OpenNote(note, Enoch()).ok());
}

TEST_F(NoteTest, SignedNoteOpensWithItsKey) {
  const SecretKey key = SecretKey::Generate();
  const std::string note = SignNote("line one\n\nline three\n", "example.com/log", key);
  ledger::Result<std::string> text = OpenNote(note, VerifierFor("example.com/log", key));
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, "line one\n\nline three\n");
}

TEST_F(NoteTest, TamperedTextIsBadSignature) {
  std::string note = PeterNote();
  note[3] = 'X';  // "If yXu think ..."
  EXPECT_EQ(OpenNote(note, Peter()).status().code(), Code::kBadSignature);
}

// note_test.go TestOpen "Invalid signature": four base64 characters inserted in the signature.
TEST_F(NoteTest, CorruptedPublishedSignatureIsBadSignature) {
  const std::string note = Cat(kText, "\n", kPeterSignature.substr(0, 60),
                               Cat("ABCD", kPeterSignature.substr(60)));
  EXPECT_EQ(OpenNote(note, Peter()).status().code(), Code::kBadSignature);
}

TEST_F(NoteTest, OneBadLineByTheKeyFailsTheNote) {
  const std::string bad = Cat(kPeterSignature.substr(0, 60), "ABCD", kPeterSignature.substr(60));
  const std::string note = Cat(kText, "\n", kPeterSignature, bad);
  EXPECT_EQ(OpenNote(note, Peter()).status().code(), Code::kBadSignature);
}

TEST_F(NoteTest, WrongKeyIsUnknownSigner) {
  const VerifierKey stranger = VerifierFor("PeterNeumann", SecretKey::Generate());
  EXPECT_EQ(OpenNote(PeterNote(), stranger).status().code(), Code::kUnknownSigner);
  EXPECT_EQ(OpenNote(PeterNote(), Enoch()).status().code(), Code::kUnknownSigner);
}

// note_test.go TestOpen "Invalid encoded message syntax".
TEST_F(NoteTest, PublishedMalformedNotesAreRejected) {
  const std::string bad_messages[] = {
      Cat(kText),
      Cat(kText, "\n"),
      Cat(kText, "\n", kPeterSignature.substr(0, kPeterSignature.size() - 1)),
      Cat("\x01", kText, "\n", kPeterSignature),
      Cat("\xff", kText, "\n", kPeterSignature),
      Cat(kText, "\n",
          "\xE2\x80\x94 Bad Name "
          "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6Ryy"
          "BwJnAM="),
      Cat(kText, "\n", kPeterSignature, "Unexpected line.\n"),
  };
  for (const std::string& message : bad_messages) {
    EXPECT_EQ(ParseNote(message).status().code(), Code::kMalformed) << message;
    EXPECT_EQ(OpenNote(message, Peter()).status().code(), Code::kMalformed) << message;
  }
}

// The text is everything up to the last blank line, so it always ends in '\n'; text that does
// not end in a newline leaves no blank line before the signature.
TEST_F(NoteTest, TextWithoutFinalNewlineIsRejected) {
  EXPECT_EQ(ParseNote(Cat("no newline", kPeterSignature)).status().code(), Code::kMalformed);
}

TEST_F(NoteTest, BadBase64SignatureIsRejected) {
  EXPECT_EQ(ParseNote(Cat(kText, "\n", "\xE2\x80\x94 PeterNeumann x08go!!!\n")).status().code(),
            Code::kMalformed);
}

TEST_F(NoteTest, SignatureShorterThanKeyIdIsRejected) {
  // "AAAA" decodes to three bytes: not even a key id.
  EXPECT_EQ(ParseNote(Cat(kText, "\n", "\xE2\x80\x94 PeterNeumann AAAA\n")).status().code(),
            Code::kMalformed);
}

TEST_F(NoteTest, PlainDashIsNotASignatureLine) {
  const std::string line = Cat("- ", kPeterSignature.substr(4));
  EXPECT_EQ(ParseNote(Cat(kText, "\n", line)).status().code(), Code::kMalformed);
}

TEST_F(NoteTest, CarriageReturnIsRejected) {
  EXPECT_EQ(ParseNote(Cat("If you think\r\n", "\n", kPeterSignature)).status().code(),
            Code::kMalformed);
}

// note_test.go: 101 signatures are too many (the reference bound).
TEST_F(NoteTest, TooManySignaturesAreRejected) {
  std::string note = Cat(kText, "\n");
  for (int i = 0; i < 101; ++i) note += kPeterSignature;
  EXPECT_EQ(ParseNote(note).status().code(), Code::kMalformed);
}

TEST_F(NoteTest, SixteenSignaturesAreAccepted) {
  std::string note = Cat(kText, "\n");
  for (int i = 0; i < 16; ++i) note += kPeterSignature;
  ledger::Result<ParsedNote> parsed = ParseNote(note);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->signatures.size(), 16u);
}

// --- Key files ---------------------------------------------------------------------------------

class KeyFileTest : public NoteTest {
 protected:
  void SetUp() override {
    NoteTest::SetUp();
    std::string pattern = ::testing::TempDir() + "crypto_key_file_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    directory_ = pattern;
    path_ = directory_ + "/ledger.key";
  }
  void TearDown() override {
    ::unlink(path_.c_str());
    ::unlink((path_ + ".pub").c_str());
    ::rmdir(directory_.c_str());
  }

  static mode_t Mode(const std::string& path) {
    struct stat info {};
    EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
    return info.st_mode & 07777;
  }
  static std::string Contents(const std::string& path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
  }

  std::string directory_;
  std::string path_;
};

TEST_F(KeyFileTest, WritesSecretFileWithMode0600) {
  ASSERT_TRUE(WriteKeyFiles(path_, "example.com/log", SecretKey::Generate()).ok());
  EXPECT_EQ(Mode(path_), 0600u);
}

TEST_F(KeyFileTest, WritesPublicFileWithMode0644) {
  ASSERT_TRUE(WriteKeyFiles(path_, "example.com/log", SecretKey::Generate()).ok());
  EXPECT_EQ(Mode(path_ + ".pub"), 0644u);
}

TEST_F(KeyFileTest, FilesHoldOneKeyLineEach) {
  const SecretKey key = SecretKey::Generate();
  ASSERT_TRUE(WriteKeyFiles(path_, "example.com/log", key).ok());
  EXPECT_EQ(Contents(path_), FormatSignerKey("example.com/log", key) + "\n");
  EXPECT_EQ(Contents(path_ + ".pub"),
            FormatVerifierKey("example.com/log", key.public_key()) + "\n");
}

TEST_F(KeyFileTest, SignerKeyFileRoundTrips) {
  const SecretKey key = SecretKey::Generate();
  ASSERT_TRUE(WriteKeyFiles(path_, "example.com/log", key).ok());
  ledger::Result<NamedSecretKey> read = ReadSignerKeyFile(path_);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->name, "example.com/log");
  EXPECT_EQ(read->key.seed(), key.seed());
}

TEST_F(KeyFileTest, VerifierKeyFileRoundTrips) {
  const SecretKey key = SecretKey::Generate();
  ASSERT_TRUE(WriteKeyFiles(path_, "example.com/log", key).ok());
  ledger::Result<VerifierKey> read = ReadVerifierKeyFile(path_ + ".pub");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->name, "example.com/log");
  EXPECT_EQ(read->key, key.public_key());
  EXPECT_EQ(read->key_id, KeyId("example.com/log", key.public_key()));
}

TEST_F(KeyFileTest, RefusesToOverwriteSecretFile) {
  const SecretKey first = SecretKey::Generate();
  ASSERT_TRUE(WriteKeyFiles(path_, "example.com/log", first).ok());
  const std::string before = Contents(path_);
  EXPECT_EQ(WriteKeyFiles(path_, "example.com/log", SecretKey::Generate()).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Contents(path_), before);
}

TEST_F(KeyFileTest, InvalidNameWritesNothing) {
  EXPECT_EQ(WriteKeyFiles(path_, "bad name", SecretKey::Generate()).code(),
            Code::kInvalidArgument);
  EXPECT_NE(::access(path_.c_str(), F_OK), 0);
}

TEST_F(KeyFileTest, GroupReadableSecretFileIsRefused) {
  ASSERT_TRUE(WriteKeyFiles(path_, "example.com/log", SecretKey::Generate()).ok());
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  ledger::Result<NamedSecretKey> read = ReadSignerKeyFile(path_);
  EXPECT_EQ(read.status().code(), Code::kInvalidArgument);
  EXPECT_NE(read.status().message().find("group- or world-readable; chmod 600"),
            std::string::npos)
      << read.status().message();
}

TEST_F(KeyFileTest, GroupWritableSecretFileIsRefused) {
  ASSERT_TRUE(WriteKeyFiles(path_, "example.com/log", SecretKey::Generate()).ok());
  ASSERT_EQ(::chmod(path_.c_str(), 0620), 0);
  EXPECT_EQ(ReadSignerKeyFile(path_).status().code(), Code::kInvalidArgument);
}

TEST_F(KeyFileTest, MissingSecretFileIsNotFound) {
  EXPECT_EQ(ReadSignerKeyFile(path_).status().code(), Code::kNotFound);
}

TEST_F(KeyFileTest, MissingVerifierFileIsNotFound) {
  EXPECT_EQ(ReadVerifierKeyFile(path_ + ".pub").status().code(), Code::kNotFound);
}

TEST_F(KeyFileTest, GarbledSecretFileIsInvalidArgument) {
  {
    std::ofstream file(path_);
    file << "PRIVATE+KEY+example.com/log+00000000+AAAA\n";
  }
  ASSERT_EQ(::chmod(path_.c_str(), 0600), 0);
  EXPECT_EQ(ReadSignerKeyFile(path_).status().code(), Code::kInvalidArgument);
}

// --- Checkpoints -------------------------------------------------------------------------------

// The note text of the example in C2SP tlog-checkpoint.md.
constexpr std::string_view kPublishedCheckpoint =
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

class CheckpointTest : public NoteTest {
 protected:
  static ledger::Code ParseCode(std::string_view text) {
    return ParseCheckpoint(text).status().code();
  }
  static std::string RootBase64() { return Base64Encode(AsBytes(Sha256("root"))); }
};

TEST_F(CheckpointTest, PublishedCheckpointParses) {
  ledger::Result<Checkpoint> checkpoint = ParseCheckpoint(kPublishedCheckpoint);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status().ToString();
  EXPECT_EQ(checkpoint->origin, "example.com/behind-the-sofa");
  EXPECT_EQ(checkpoint->size, 20852163u);
  EXPECT_EQ(Base64Encode(AsBytes(checkpoint->root)),
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=");
  EXPECT_TRUE(checkpoint->extensions.empty());
}

TEST_F(CheckpointTest, FormatReproducesPublishedCheckpoint) {
  ledger::Result<Checkpoint> checkpoint = ParseCheckpoint(kPublishedCheckpoint);
  ASSERT_TRUE(checkpoint.ok());
  EXPECT_EQ(FormatCheckpoint(*checkpoint), kPublishedCheckpoint);
}

TEST_F(CheckpointTest, FormatWritesExtensionLines) {
  Checkpoint checkpoint{"o", 0, EmptyTreeHash(), {"ext one", "ext2"}};
  EXPECT_EQ(FormatCheckpoint(checkpoint),
            "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next one\next2\n");
}

TEST_F(CheckpointTest, ExtensionLinesRoundTrip) {
  Checkpoint checkpoint{"example.com/log", 7, Sha256("root"), {"a", "b c"}};
  ledger::Result<Checkpoint> parsed = ParseCheckpoint(FormatCheckpoint(checkpoint));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->extensions, checkpoint.extensions);
  EXPECT_EQ(parsed->root, checkpoint.root);
}

TEST_F(CheckpointTest, LargestSizeParses) {
  ledger::Result<Checkpoint> parsed =
      ParseCheckpoint(Cat("o\n18446744073709551615\n", RootBase64(), "\n"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->size, UINT64_MAX);
}

TEST_F(CheckpointTest, ZeroSizeParses) {
  ledger::Result<Checkpoint> parsed = ParseCheckpoint(Cat("o\n0\n", RootBase64(), "\n"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->size, 0u);
}

TEST_F(CheckpointTest, NonCanonicalSizesAreRejected) {
  for (std::string_view size : {"01", "00", "+1", "-1", " 1", "1 ", "", "1e3", "0x10",
                                "18446744073709551616", "99999999999999999999"}) {
    EXPECT_EQ(ParseCode(Cat("o\n", size, "\n", RootBase64() + "\n")), Code::kMalformed) << size;
  }
}

TEST_F(CheckpointTest, MissingRootIsRejected) {
  EXPECT_EQ(ParseCode("o\n1\n"), Code::kMalformed);
}

TEST_F(CheckpointTest, EmptyRootLineIsRejected) {
  EXPECT_EQ(ParseCode("o\n1\n\n"), Code::kMalformed);
}

TEST_F(CheckpointTest, Root31BytesIsRejected) {
  EXPECT_EQ(ParseCode(Cat("o\n1\n", Base64Encode(std::string(31, 'r')), "\n")), Code::kMalformed);
}

TEST_F(CheckpointTest, Root33BytesIsRejected) {
  EXPECT_EQ(ParseCode(Cat("o\n1\n", Base64Encode(std::string(33, 'r')), "\n")), Code::kMalformed);
}

TEST_F(CheckpointTest, RootNotBase64IsRejected) {
  EXPECT_EQ(ParseCode("o\n1\nnot base64 at all!\n"), Code::kMalformed);
}

TEST_F(CheckpointTest, EmptyOriginIsRejected) {
  EXPECT_EQ(ParseCode(Cat("\n1\n", RootBase64(), "\n")), Code::kMalformed);
}

TEST_F(CheckpointTest, EmptyExtensionLineIsRejected) {
  EXPECT_EQ(ParseCode(Cat("o\n1\n", RootBase64(), "\n\next\n")), Code::kMalformed);
}

TEST_F(CheckpointTest, MissingFinalNewlineIsRejected) {
  EXPECT_EQ(ParseCode(Cat("o\n1\n", RootBase64())), Code::kMalformed);
}

TEST_F(CheckpointTest, SignedCheckpointOpensAndParses) {
  const SecretKey key = SecretKey::Generate();
  const Checkpoint checkpoint{"example.com/log", 5, Sha256("root"), {}};
  const std::string note = SignNote(FormatCheckpoint(checkpoint), "example.com/log", key);
  ledger::Result<std::string> text = OpenNote(note, VerifierFor("example.com/log", key));
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  ledger::Result<Checkpoint> parsed = ParseCheckpoint(*text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->origin, checkpoint.origin);
  EXPECT_EQ(parsed->size, checkpoint.size);
  EXPECT_EQ(parsed->root, checkpoint.root);
}

}  // namespace
}  // namespace crypto
