// The offline audit bundle as an auditor uses it: `ledgerctl export --data` of a real ledger
// (RocksDB in a temporary directory), then `ledgerctl verify --bundle` of the files, damaged or
// not, judged by exit code (tools/cli.h) and stdout. The --server export is in
// ledgerctl_server_test.cc.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "crypto/hash.h"
#include "crypto/note.h"
#include "ledger/event_signer.h"
#include "ledger/event_store.h"
#include "ledger/log_reader.h"
#include "tests/test_ledger.h"
#include "tests/tools/subprocess.h"

namespace {

using testing_ledger::TempDir;
using testing_ledger::TestLedger;
using testing_tools::Finished;

using testing_tools::kExitFailed;
using testing_tools::kExitForked;
using testing_tools::kExitIoError;
using testing_tools::kExitOk;
using testing_tools::kExitUsage;

// A ledger of 300 entries (genesis, an officer's registration, a roster of 298 documents), so its
// bundle has one full entry bundle (entries 0..255) and one partial (256..299, 44 entries).
class LedgerctlBundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    officer_ = ledger_.Register("officer", ledger::v1::ROLE_FINANCE_OFFICER);
    std::vector<ledger::v1::Event> documents;
    for (int i = 0; i < 298; ++i) documents.push_back(TestLedger::Document("d" + std::to_string(i)));
    auto receipts = ledger_.AppendRoster(documents, officer_);
    ASSERT_TRUE(receipts.ok()) << receipts.status().ToString();
    ASSERT_EQ(ledger_.store().size(), 300u);
    ledger_.Close();
  }

  static Finished Run(std::vector<std::string> args) {
    args.insert(args.begin(), LEDGERCTL_PATH);
    return testing_tools::RunToCompletion(args);
  }

  std::string Path(const std::string& name) const { return files_.path() + "/" + name; }
  std::string LogKey() const { return ledger::LogPublicKeyPath(ledger_.dir()); }

  Finished Export(const std::string& data, const std::string& out) {
    return Run({"export", "--data", data, "--out", Path(out)});
  }
  Finished VerifyBundle(const std::string& bundle, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"verify", "--bundle", Path(bundle), "--log-key", LogKey()};
    args.insert(args.end(), more.begin(), more.end());
    return Run(args);
  }

  // The signed checkpoint stored in `data`, and its parsed body.
  static std::string StoredCheckpoint(const std::string& data) {
    auto reader = ledger::LogReader::Open(data);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    return reader.ok() ? (*reader)->checkpoint() : "";
  }
  static crypto::Checkpoint Parsed(const std::string& note) {
    auto parsed = crypto::ParseNote(note);
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    auto checkpoint = crypto::ParseCheckpoint(parsed.ok() ? parsed->text : "");
    EXPECT_TRUE(checkpoint.ok()) << checkpoint.status().ToString();
    return checkpoint.ok() ? *checkpoint : crypto::Checkpoint{};
  }
  static std::string Base64(const crypto::Hash& hash) { return crypto::Base64Encode(crypto::AsBytes(hash)); }

  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  static void WriteFile(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  }

  // Appends documents `ids` signed by the officer to the ledger in `data` (closed again after).
  void AppendDocuments(const std::string& data, const std::vector<std::string>& ids) {
    auto store = ledger::EventStore::Open({data, 1, {}});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (const std::string& id : ids) {
      auto receipt = (*store)->Append(ledger::SignEvent(TestLedger::Document(id), officer_));
      ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
    }
    ASSERT_TRUE((*store)->Close().ok());
  }

  TestLedger ledger_;
  TempDir files_;
  crypto::SecretKey officer_ = crypto::SecretKey::Generate();
};

TEST_F(LedgerctlBundleTest, ExportWritesTheCheckpointAndEntryBundlesOfEveryEntry) {
  Finished run = Export(ledger_.dir(), "bundle");
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  const std::string checkpoint = StoredCheckpoint(ledger_.dir());
  EXPECT_EQ(run.out, "wrote " + Path("bundle") + ": 300 entries of 'test-ledger', root " +
                         Base64(Parsed(checkpoint).root) + "\n");
  std::vector<std::string> files;
  for (const auto& item : std::filesystem::recursive_directory_iterator(Path("bundle"))) {
    if (item.is_regular_file()) files.push_back(std::filesystem::relative(item.path(), Path("bundle")).string());
  }
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"README", "checkpoint", "log.pub", "tile/entries/000",
                                             "tile/entries/001.p/44"}));
  EXPECT_EQ(ReadFile(Path("bundle/checkpoint")), checkpoint);
  EXPECT_EQ(ReadFile(Path("bundle/log.pub")), ReadFile(LogKey()));
  // Entry 0 opens the first entry bundle: its length, big-endian, then its exact stored bytes.
  auto reader = ledger::LogReader::Open(ledger_.dir());
  ASSERT_TRUE(reader.ok());
  auto genesis = (*reader)->Read(0);
  ASSERT_TRUE(genesis.ok());
  const std::string tile = ReadFile(Path("bundle/tile/entries/000"));
  ASSERT_GE(tile.size(), 2 + genesis->size());
  EXPECT_EQ(static_cast<unsigned char>(tile[0]) * 256u + static_cast<unsigned char>(tile[1]), genesis->size());
  EXPECT_EQ(tile.substr(2, genesis->size()), *genesis);
}

TEST_F(LedgerctlBundleTest, VerifyBundlePassesAndPrintsTheSizeAndRoot) {
  ASSERT_EQ(Export(ledger_.dir(), "bundle").exit_code, kExitOk);
  Finished data = Run({"verify", "--data", ledger_.dir()});
  ASSERT_EQ(data.exit_code, kExitOk) << data.out << data.err;
  Finished run = VerifyBundle("bundle");
  EXPECT_EQ(run.exit_code, kExitOk) << run.out << run.err;
  // The same three lines verify --data prints: size, root, projection digest.
  EXPECT_EQ(run.out, data.out);
  EXPECT_EQ(run.out.rfind("ok: 300 entries verified\nroot: " + Base64(Parsed(StoredCheckpoint(ledger_.dir())).root) +
                              "\nprojection digest: ",
                          0),
            0u)
      << run.out;
}

TEST_F(LedgerctlBundleTest, ExportRefusesAnExistingOut) {
  std::filesystem::create_directories(Path("bundle"));
  Finished run = Export(ledger_.dir(), "bundle");
  EXPECT_EQ(run.exit_code, kExitUsage);
  EXPECT_EQ(run.err, "error: invalid_argument: " + Path("bundle") + " already exists; the export writes a new directory\n");
  EXPECT_TRUE(std::filesystem::is_empty(Path("bundle")));
}

TEST_F(LedgerctlBundleTest, OneFlippedByteIsReportedAtItsEntrysIndex) {
  ASSERT_EQ(Export(ledger_.dir(), "bundle").exit_code, kExitOk);
  // Entry 260 is the fifth of the partial bundle; flip the last byte of its stored bytes.
  const std::string path = Path("bundle/tile/entries/001.p/44");
  std::string tile = ReadFile(path);
  std::size_t at = 0;
  for (int i = 0; i < 4; ++i) at += 2 + static_cast<unsigned char>(tile[at]) * 256u + static_cast<unsigned char>(tile[at + 1]);
  const std::size_t length = static_cast<unsigned char>(tile[at]) * 256u + static_cast<unsigned char>(tile[at + 1]);
  tile[at + 2 + length - 1] ^= 0x01;
  WriteFile(path, tile);
  Finished run = VerifyBundle("bundle");
  EXPECT_EQ(run.exit_code, kExitFailed);
  EXPECT_EQ(run.out.rfind("FAILED at index 260: ", 0), 0u) << run.out;
  EXPECT_NE(run.out.find("\nentries verified before it: 260\n"), std::string::npos) << run.out;
}

TEST_F(LedgerctlBundleTest, AMissingEntryBundleIsReportedAtItsFirstEntry) {
  ASSERT_EQ(Export(ledger_.dir(), "bundle").exit_code, kExitOk);
  std::filesystem::remove(Path("bundle/tile/entries/001.p/44"));
  Finished run = VerifyBundle("bundle");
  EXPECT_EQ(run.exit_code, kExitFailed);
  EXPECT_EQ(run.out,
            "FAILED at index 256: corruption: entry bundle tile/entries/001.p/44 (entries 256 to 299) is missing\n"
            "entries verified before it: 256\n");
}

TEST_F(LedgerctlBundleTest, ATruncatedEntryBundleIsReportedAtTheEntryCutShort) {
  ASSERT_EQ(Export(ledger_.dir(), "bundle").exit_code, kExitOk);
  const std::string path = Path("bundle/tile/entries/000");
  WriteFile(path, ReadFile(path).substr(0, ReadFile(path).size() - 10));
  Finished run = VerifyBundle("bundle");
  EXPECT_EQ(run.exit_code, kExitFailed);
  EXPECT_EQ(run.out.rfind("FAILED at index 255: corruption: entry bundle tile/entries/000 is cut short: entry 255 is "
                          "incomplete (",
                          0),
            0u)
      << run.out;
  EXPECT_NE(run.out.find("\nentries verified before it: 255\n"), std::string::npos) << run.out;
}

TEST_F(LedgerctlBundleTest, ACheckpointSignedByAnotherKeyIsRefused) {
  ASSERT_EQ(Export(ledger_.dir(), "bundle").exit_code, kExitOk);
  // The same checkpoint body, signed by a key of the same name that is not the log's.
  auto parsed = crypto::ParseNote(ReadFile(Path("bundle/checkpoint")));
  ASSERT_TRUE(parsed.ok());
  WriteFile(Path("bundle/checkpoint"), crypto::SignNote(parsed->text, "test-ledger", crypto::SecretKey::Generate()));
  Finished run = VerifyBundle("bundle");
  EXPECT_EQ(run.exit_code, kExitFailed);
  EXPECT_EQ(run.out.rfind("FAILED at index -: unknown_signer: stored checkpoint: ", 0), 0u) << run.out;
}

TEST_F(LedgerctlBundleTest, VerifyBundleNeedsTheAuditorsLogKey) {
  ASSERT_EQ(Export(ledger_.dir(), "bundle").exit_code, kExitOk);
  Finished run = Run({"verify", "--bundle", Path("bundle")});
  EXPECT_EQ(run.exit_code, kExitUsage);
  EXPECT_EQ(run.out, "");
}

TEST_F(LedgerctlBundleTest, SinceAnOlderCheckpointOfTheSameLogPasses) {
  const std::string old_checkpoint = StoredCheckpoint(ledger_.dir());
  WriteFile(Path("old-checkpoint"), old_checkpoint);
  ASSERT_NO_FATAL_FAILURE(AppendDocuments(ledger_.dir(), {"later-1", "later-2"}));
  ASSERT_EQ(Export(ledger_.dir(), "bundle").exit_code, kExitOk);
  Finished run = VerifyBundle("bundle", {"--since", Path("old-checkpoint")});
  EXPECT_EQ(run.exit_code, kExitOk) << run.out << run.err;
  EXPECT_EQ(run.out.rfind("ok: 302 entries verified\n", 0), 0u) << run.out;
  EXPECT_NE(run.out.find("\nconsistent with the checkpoint kept: size 300, root " +
                         Base64(Parsed(old_checkpoint).root) + "\n"),
            std::string::npos)
      << run.out;
}

TEST_F(LedgerctlBundleTest, SinceTheCheckpointOfAForkIsReportedAsAFork) {
  // Two copies of one ledger (same log key, same origin, same first 300 entries) that then
  // record different events: the auditor kept a checkpoint of one and is handed the other.
  const std::string fork = Path("fork");
  std::filesystem::copy(ledger_.dir(), fork, std::filesystem::copy_options::recursive);
  ASSERT_NO_FATAL_FAILURE(AppendDocuments(ledger_.dir(), {"honest-1"}));
  ASSERT_NO_FATAL_FAILURE(AppendDocuments(fork, {"forged-1", "forged-2"}));
  const crypto::Checkpoint kept = Parsed(StoredCheckpoint(ledger_.dir()));
  WriteFile(Path("kept-checkpoint"), StoredCheckpoint(ledger_.dir()));
  ASSERT_EQ(Export(fork, "bundle").exit_code, kExitOk);
  const crypto::Checkpoint forked = Parsed(StoredCheckpoint(fork));
  Finished run = VerifyBundle("bundle", {"--since", Path("kept-checkpoint")});
  EXPECT_EQ(run.exit_code, kExitForked) << run.out << run.err;
  const std::size_t at = run.out.find("FORKED or REWRITTEN since the checkpoint kept: it has size 301 and root " +
                                      Base64(kept.root) + ", but the first 301 entries of the bundle's log (size 302, root " +
                                      Base64(forked.root) + ") have root ");
  EXPECT_NE(at, std::string::npos) << run.out;
  EXPECT_EQ(run.out.rfind("ok: 302 entries verified\n", 0), 0u) << run.out;  // Each copy alone verifies.
}

TEST_F(LedgerctlBundleTest, SinceANewerCheckpointSaysTheBundleIsOlder) {
  ASSERT_EQ(Export(ledger_.dir(), "bundle").exit_code, kExitOk);
  ASSERT_NO_FATAL_FAILURE(AppendDocuments(ledger_.dir(), {"later-1"}));
  WriteFile(Path("newer-checkpoint"), StoredCheckpoint(ledger_.dir()));
  Finished run = VerifyBundle("bundle", {"--since", Path("newer-checkpoint")});
  EXPECT_EQ(run.exit_code, kExitFailed);
  EXPECT_NE(run.out.find("\nFAILED: the bundle (size 300) is older than the checkpoint kept (size 301, root " +
                         Base64(Parsed(StoredCheckpoint(ledger_.dir())).root) + "): export a newer bundle\n"),
            std::string::npos)
      << run.out;
}

TEST_F(LedgerctlBundleTest, SinceACheckpointNotSignedByTheLogKeyIsRefused) {
  ASSERT_EQ(Export(ledger_.dir(), "bundle").exit_code, kExitOk);
  auto parsed = crypto::ParseNote(StoredCheckpoint(ledger_.dir()));
  ASSERT_TRUE(parsed.ok());
  WriteFile(Path("other-checkpoint"), crypto::SignNote(parsed->text, "test-ledger", crypto::SecretKey::Generate()));
  Finished run = VerifyBundle("bundle", {"--since", Path("other-checkpoint")});
  EXPECT_EQ(run.exit_code, kExitFailed);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err.rfind("error: unknown_signer: --since " + Path("other-checkpoint") + ": ", 0), 0u) << run.err;
}

}  // namespace
