// ledgerctl as an operator runs it: the real binary in a child process, in a temporary
// directory, judged by its exit code (tools/cli.h), stdout and stderr.
#include <sys/stat.h>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "crypto/hash.h"
#include "crypto/note.h"
#include "ledger/event_store.h"
#include "ledger/format.h"
#include "ledger/log_reader.h"
#include "ledger/replayer.h"
#include "tests/insider.h"
#include "tests/test_ledger.h"
#include "tests/tools/subprocess.h"

namespace {

using testing_ledger::TempDir;
using testing_tools::Finished;

using testing_tools::kExitFailed;
using testing_tools::kExitIoError;
using testing_tools::kExitOk;
using testing_tools::kExitUsage;

constexpr const char* kOrigin = "ledgerctl-test";
constexpr const char* kCommands[] = {"keygen", "init", "append", "roster", "get",
                                     "tail",   "verify", "export", "demo", "bench"};

using testing_ledger::Insider;

class LedgerctlTest : public ::testing::Test {
 protected:
  static Finished Run(std::vector<std::string> args) {
    args.insert(args.begin(), LEDGERCTL_PATH);
    return testing_tools::RunToCompletion(args);
  }

  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }
  std::string Data() const { return Path("ledger"); }
  std::string AdminKey() const { return Path("admin.key"); }

  void WriteFile(const std::string& name, const std::string& text) const {
    std::ofstream(Path(name), std::ios::binary) << text;
  }
  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  static unsigned Mode(const std::string& path) {
    struct stat info {};
    EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
    return info.st_mode & 07777;
  }

  // An admin key pair in admin.key(.pub) and a ledger in Data() whose first admin it is.
  void InitLedger() {
    Finished keygen = Run({"keygen", "--name", "admin", "--out", AdminKey()});
    ASSERT_EQ(keygen.exit_code, kExitOk) << keygen.err;
    Finished init = Run({"init", "--data", Data(), "--origin", kOrigin, "--admin", AdminKey() + ".pub"});
    ASSERT_EQ(init.exit_code, kExitOk) << init.err;
  }

  // A document_filed event in the proto3 JSON mapping, with every defaulted field explicit so
  // the same file always signs to the same bytes.
  static std::string DocumentJson(const std::string& event_id) {
    return R"({"event_id":")" + event_id + R"(","timestamp_ms":"1735689601000",)" +
           R"("document_filed":{"document_number":"临财社〔2025〕3号","title":"通知",)" +
           R"("sha256":")" + Sha256Base64(event_id) + R"(","region_code":"150802"}})";
  }
  static std::string Sha256Base64(const std::string& text) {
    return crypto::Base64Encode(crypto::AsBytes(crypto::Sha256(text)));
  }

  // Appends DocumentJson(event_id) signed by the admin; returns the run.
  Finished AppendDocument(const std::string& event_id) {
    WriteFile(event_id + ".json", DocumentJson(event_id));
    return Run({"append", "--data", Data(), "--key", AdminKey(), Path(event_id + ".json")});
  }

  // Entry `index` of the ledger, read as an auditor would.
  std::string EntryBytes(std::uint64_t index) const {
    auto reader = ledger::LogReader::Open(Data());
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return "";
    auto bytes = (*reader)->Read(index);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    return bytes.ok() ? *bytes : "";
  }
  std::string EntryHashHex(std::uint64_t index) const {
    return crypto::HexEncode(crypto::AsBytes(crypto::LeafHash(EntryBytes(index))));
  }
  std::uint64_t EndIndex() const {
    auto reader = ledger::LogReader::Open(Data());
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return 0;
    auto end = (*reader)->EndIndex();
    EXPECT_TRUE(end.ok()) << end.status().ToString();
    return end.ok() ? *end : 0;
  }

  TempDir dir_;
};

// --- keygen ---------------------------------------------------------------------------------

TEST_F(LedgerctlTest, KeygenWritesSecretKeyMode0600AndVerifierKeyBesideIt) {
  Finished run = Run({"keygen", "--name", "officer-1", "--out", Path("officer.key")});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(Mode(Path("officer.key")), 0600u);
  EXPECT_EQ(Mode(Path("officer.key.pub")), 0644u);
  auto secret = crypto::ReadSignerKeyFile(Path("officer.key"));
  ASSERT_TRUE(secret.ok()) << secret.status().ToString();
  EXPECT_EQ(secret->name, "officer-1");
  const std::string verifier = crypto::FormatVerifierKey("officer-1", secret->key.public_key());
  EXPECT_EQ(ReadFile(Path("officer.key.pub")), verifier + "\n");
  EXPECT_EQ(run.out, verifier + "\n");
}

TEST_F(LedgerctlTest, KeygenRefusesToOverwriteAnExistingKey) {
  ASSERT_EQ(Run({"keygen", "--name", "first", "--out", Path("k.key")}).exit_code, kExitOk);
  const std::string secret = ReadFile(Path("k.key"));
  const std::string verifier = ReadFile(Path("k.key.pub"));
  Finished run = Run({"keygen", "--name", "second", "--out", Path("k.key")});
  EXPECT_EQ(run.exit_code, kExitUsage);  // kInvalidArgument.
  EXPECT_NE(run.err.find("already exists; refusing to overwrite"), std::string::npos) << run.err;
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(ReadFile(Path("k.key")), secret);
  EXPECT_EQ(ReadFile(Path("k.key.pub")), verifier);
}

// --- append ---------------------------------------------------------------------------------

TEST_F(LedgerctlTest, AppendRefusesAGroupReadableKeyAndAppendsNothing) {
  ASSERT_NO_FATAL_FAILURE(InitLedger());
  ASSERT_EQ(::chmod(AdminKey().c_str(), 0644), 0);
  Finished run = AppendDocument("doc-1");
  EXPECT_EQ(run.exit_code, kExitUsage);  // kInvalidArgument.
  EXPECT_NE(run.err.find("is group- or world-readable"), std::string::npos) << run.err;
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(EndIndex(), 1u);
}

TEST_F(LedgerctlTest, AppendPrintsTheReceiptOfEntry1) {
  ASSERT_NO_FATAL_FAILURE(InitLedger());
  Finished run = AppendDocument("doc-1");
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(run.out, R"({"index":1,"entry_hash":")" + EntryHashHex(1) + R"(","duplicate":false})" "\n");
}

TEST_F(LedgerctlTest, ResubmittedFileGetsTheOriginalReceiptMarkedDuplicate) {
  ASSERT_NO_FATAL_FAILURE(InitLedger());
  ASSERT_EQ(AppendDocument("doc-1").exit_code, kExitOk);
  Finished run = Run({"append", "--data", Data(), "--key", AdminKey(), Path("doc-1.json")});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(run.out, R"({"index":1,"entry_hash":")" + EntryHashHex(1) + R"(","duplicate":true})" "\n");
  EXPECT_EQ(EndIndex(), 2u);
}

TEST_F(LedgerctlTest, AppendToALedgerOpenElsewhereIsAnIoError) {
  ASSERT_NO_FATAL_FAILURE(InitLedger());
  auto holder = ledger::EventStore::Open({Data(), 1, {}});  // As a running ledgerd holds it.
  ASSERT_TRUE(holder.ok()) << holder.status().ToString();
  Finished run = AppendDocument("doc-1");
  EXPECT_EQ(run.exit_code, kExitIoError) << run.err;
  EXPECT_EQ(run.err.rfind("error: io_error: ", 0), 0u) << run.err;
  EXPECT_EQ(run.out, "");
  EXPECT_EQ((*holder)->size(), 1u);
}

TEST_F(LedgerctlTest, MalformedJsonIsRejectedWithExit1) {
  ASSERT_NO_FATAL_FAILURE(InitLedger());
  WriteFile("bad.json", R"({"event_id":"doc-1","document_filed":)");
  Finished run = Run({"append", "--data", Data(), "--key", AdminKey(), Path("bad.json")});
  EXPECT_EQ(run.exit_code, kExitFailed);  // kMalformed.
  EXPECT_EQ(run.err.rfind("error: malformed: event JSON: ", 0), 0u) << run.err;
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(EndIndex(), 1u);
}

TEST_F(LedgerctlTest, UnknownJsonFieldIsRejectedWithExit1) {
  ASSERT_NO_FATAL_FAILURE(InitLedger());
  WriteFile("unknown.json", R"({"event_id":"doc-1","colour":"red","document_filed":{"title":"t"}})");
  Finished run = Run({"append", "--data", Data(), "--key", AdminKey(), Path("unknown.json")});
  EXPECT_EQ(run.exit_code, kExitFailed);  // kMalformed.
  EXPECT_EQ(run.err.rfind("error: malformed: event JSON: ", 0), 0u) << run.err;
  EXPECT_NE(run.err.find("colour"), std::string::npos) << run.err;
  EXPECT_EQ(EndIndex(), 1u);
}

// --- get ------------------------------------------------------------------------------------

TEST_F(LedgerctlTest, GetPrintsTheEntryWithItsHashAndDecodedEvent) {
  ASSERT_NO_FATAL_FAILURE(InitLedger());
  ASSERT_EQ(AppendDocument("doc-1").exit_code, kExitOk);
  Finished run = Run({"get", "--data", Data(), "1"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  const std::string previous_hash =
      crypto::Base64Encode(crypto::AsBytes(crypto::LeafHash(EntryBytes(0))));
  const std::string head = R"({"entry_hash":")" + EntryHashHex(1) +
                           R"(","entry":{"index":"1","previous_hash":")" + previous_hash + R"(",)";
  const std::string tail = std::string(R"(,"event":{"origin":")") + kOrigin +
                           R"(","event_id":"doc-1","timestamp_ms":"1735689601000",)" +
                           R"("document_filed":{"document_number":"临财社〔2025〕3号","title":"通知",)" +
                           R"("sha256":")" + Sha256Base64("doc-1") + R"(","region_code":"150802"}}})" + "\n";
  EXPECT_EQ(run.out.substr(0, head.size()), head) << run.out;
  ASSERT_GE(run.out.size(), tail.size());
  EXPECT_EQ(run.out.substr(run.out.size() - tail.size()), tail) << run.out;
}

TEST_F(LedgerctlTest, GetPastTheEndIsNotFound) {
  ASSERT_NO_FATAL_FAILURE(InitLedger());
  Finished run = Run({"get", "--data", Data(), "1"});
  EXPECT_EQ(run.exit_code, kExitIoError);  // kNotFound.
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err.rfind("error: not_found: ", 0), 0u) << run.err;
}

// --- verify ---------------------------------------------------------------------------------

TEST_F(LedgerctlTest, VerifyAcceptsAnIntactLedgerAndPrintsItsRoot) {
  ASSERT_NO_FATAL_FAILURE(InitLedger());
  ASSERT_EQ(AppendDocument("doc-1").exit_code, kExitOk);
  auto log_key = crypto::ReadVerifierKeyFile(ledger::LogPublicKeyPath(Data()));
  ASSERT_TRUE(log_key.ok()) << log_key.status().ToString();
  auto reader = ledger::LogReader::Open(Data());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto text = crypto::OpenNote((*reader)->checkpoint(), *log_key);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  auto checkpoint = crypto::ParseCheckpoint(*text);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status().ToString();
  reader->reset();
  auto digest = ledger::StoredProjectionDigest(Data());
  ASSERT_TRUE(digest.ok()) << digest.status().ToString();
  Finished run = Run({"verify", "--data", Data()});
  EXPECT_EQ(run.exit_code, kExitOk) << run.out << run.err;
  EXPECT_EQ(run.out, "ok: 2 entries verified\nroot: " +
                         crypto::Base64Encode(crypto::AsBytes(checkpoint->root)) +
                         "\nprojection digest: " + crypto::HexEncode(crypto::AsBytes(*digest)) + "\n");
}

TEST_F(LedgerctlTest, RebuildPrintsTheDigestVerifyPrints) {
  ASSERT_NO_FATAL_FAILURE(InitLedger());
  ASSERT_EQ(AppendDocument("doc-1").exit_code, kExitOk);
  Finished verify = Run({"verify", "--data", Data()});
  ASSERT_EQ(verify.exit_code, kExitOk) << verify.out << verify.err;
  Finished rebuild = Run({"rebuild", "--data", Data()});
  ASSERT_EQ(rebuild.exit_code, kExitOk) << rebuild.out << rebuild.err;
  const std::string line = verify.out.substr(verify.out.find("projection digest: "));
  EXPECT_NE(rebuild.out.find(line), std::string::npos) << rebuild.out;
}

TEST_F(LedgerctlTest, VerifyFailsWhenStoredProjectionsDifferFromTheLog) {
  ASSERT_NO_FATAL_FAILURE(InitLedger());
  ASSERT_EQ(AppendDocument("doc-1").exit_code, kExitOk);
  Insider(Data()).PutProjectionRow("funds/book", "forged");
  Finished run = Run({"verify", "--data", Data()});
  EXPECT_EQ(run.exit_code, kExitFailed) << run.out << run.err;
  EXPECT_NE(run.out.find("FAILED: the stored projections differ from the log's replay"), std::string::npos)
      << run.out;
  ASSERT_EQ(Run({"rebuild", "--data", Data()}).exit_code, kExitOk);
  EXPECT_EQ(Run({"verify", "--data", Data()}).exit_code, kExitOk);
}

TEST_F(LedgerctlTest, VerifyNamesTheFirstBadIndexOfATamperedLedger) {
  ASSERT_NO_FATAL_FAILURE(InitLedger());
  for (const char* id : {"doc-1", "doc-2", "doc-3"}) ASSERT_EQ(AppendDocument(id).exit_code, kExitOk);
  Insider(Data()).Delete(2);
  Finished run = Run({"verify", "--data", Data()});
  EXPECT_EQ(run.exit_code, kExitFailed);
  EXPECT_EQ(run.out.rfind("FAILED at index 2: corruption: ", 0), 0u) << run.out;
  EXPECT_NE(run.out.find("\nentries verified before it: 2\n"), std::string::npos) << run.out;
}

TEST_F(LedgerctlTest, VerifyOfAMissingLedgerIsAnIoError) {
  Finished run = Run({"verify", "--data", Path("nothing-here")});
  EXPECT_EQ(run.exit_code, kExitIoError);  // kNotFound: no log.pub.
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err.rfind("error: not_found: ", 0), 0u) << run.err;
}

// --- demo: tests/tools/demo_test.cc checks the demo ledger (it takes seconds to build) ----------

// --- the command line -----------------------------------------------------------------------

TEST_F(LedgerctlTest, UnknownCommandIsAUsageError) {
  Finished run = Run({"frobnicate"});
  EXPECT_EQ(run.exit_code, kExitUsage);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err.rfind("error: unknown command 'frobnicate'\n", 0), 0u) << run.err;
}

TEST_F(LedgerctlTest, UnknownFlagIsAUsageError) {
  Finished run = Run({"verify", "--data", Data(), "--colour", "red"});
  EXPECT_EQ(run.exit_code, kExitUsage);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err, "error: unknown flag --colour\n");
}

TEST_F(LedgerctlTest, MissingRequiredFlagIsAUsageError) {
  Finished run = Run({"verify"});
  EXPECT_EQ(run.exit_code, kExitUsage);
  EXPECT_EQ(run.err, "error: --data is required (see --help)\n");
}

TEST_F(LedgerctlTest, NonNumericThreadsIsAUsageError) {
  ASSERT_NO_FATAL_FAILURE(InitLedger());
  Finished run = Run({"verify", "--data", Data(), "--threads", "abc"});
  EXPECT_EQ(run.exit_code, kExitUsage) << run.err;
  EXPECT_EQ(run.out, "");
}

// std::stoull would accept "-1" and wrap it; the parser takes digits only.
TEST_F(LedgerctlTest, NegativeIndexIsAUsageError) {
  ASSERT_NO_FATAL_FAILURE(InitLedger());
  Finished run = Run({"get", "--data", Data(), "-1"});
  EXPECT_EQ(run.exit_code, kExitUsage) << run.err;
  EXPECT_EQ(run.err, "error: INDEX must be a non-negative integer (see --help)\n");
}

TEST_F(LedgerctlTest, NoCommandPrintsUsageToStderrAsAUsageError) {
  Finished run = Run({});
  EXPECT_EQ(run.exit_code, kExitUsage);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err.rfind("usage: ledgerctl COMMAND [flags]\n", 0), 0u) << run.err;
}

TEST_F(LedgerctlTest, HelpListsEveryCommand) {
  Finished run = Run({"--help"});
  EXPECT_EQ(run.exit_code, kExitOk);
  EXPECT_EQ(run.out.rfind("usage: ledgerctl COMMAND [flags]\n", 0), 0u) << run.out;
  for (const char* command : kCommands) {
    EXPECT_NE(run.out.find(std::string("\n  ") + command + " "), std::string::npos) << command;
  }
}

TEST_F(LedgerctlTest, EveryCommandExplainsItselfOnHelp) {
  for (const char* command : kCommands) {
    SCOPED_TRACE(command);
    Finished run = Run({command, "--help"});
    EXPECT_EQ(run.exit_code, kExitOk) << run.err;
    EXPECT_EQ(run.out.rfind(std::string("usage: ledgerctl ") + command + " ", 0), 0u) << run.out;
    EXPECT_EQ(run.err, "");
  }
}

// --- roster from CSV ----------------------------------------------------------------------------

TEST_F(LedgerctlTest, RosterCsvWithBadRowsAppendsNothing) {
  InitLedger();
  const std::uint64_t end = EndIndex();
  WriteFile("march.csv", "\xEF\xBB\xBF资金,地区,项目,领取人,账户,金额(元)\r\n"
                         "2025-central,150821,R4,91350200MA2YJ1XR9G,6222020200112233445,12.345\r\n"
                         "2025-central,150821,R4,91350200MA2YJ1XR9G,6222020200112233445,1589\r\n");
  Finished run = Run({"roster", "--data", Data(), "--key", AdminKey(), "--roster-id", "r1", "--period", "2025-03",
                      "--pay-date", "2025-03-20", "--document", "五就见〔2025〕3号", Path("march.csv")});
  EXPECT_EQ(run.exit_code, kExitFailed);
  EXPECT_EQ(run.err, "error: line 2: amount '12.345' has more than two decimals: the ledger counts whole fen\n"
                     "error: malformed: " + Path("march.csv") + ": 1 problem on 1 line; nothing was signed\n");
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(EndIndex(), end);
}

TEST_F(LedgerctlTest, RosterCsvThatPassesItsChecksMeetsTheLedgersRules) {
  InitLedger();
  const std::uint64_t end = EndIndex();
  // Well-formed, so it is signed and offered to the ledger, which refuses it whole: an admin signs
  // no disbursements.
  WriteFile("march.txt", "资金,地区,项目,领取人,账户,金额(元),所属期,发放日期,文号,事件编号\n"
                         "2025-central,150821,R4,91350200MA2YJ1XR9G,6222020200112233445,1589,2025-03,2025-03-20,"
                         "五就见〔2025〕3号,pay-1\n");
  Finished run = Run({"roster", "--data", Data(), "--key", AdminKey(), "--format", "csv", Path("march.txt")});
  EXPECT_EQ(run.exit_code, kExitFailed);
  EXPECT_EQ(run.err, "error: role_not_allowed: role admin may not sign disbursement events\n");
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(EndIndex(), end);
}

TEST_F(LedgerctlTest, RosterFormatMustBeCsvOrJsonl) {
  Finished run = Run({"roster", "--data", Data(), "--key", AdminKey(), "--format", "xlsx", Path("march.xlsx")});
  EXPECT_EQ(run.exit_code, kExitUsage);
  EXPECT_EQ(run.err, "error: --format must be csv or jsonl (see --help)\n");
}

}  // namespace
