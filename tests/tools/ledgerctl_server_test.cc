// `ledgerctl --server URL --key KEY` as a script runs it: an in-process ledgerd (api::Server on
// loopback, port 0) over a test ledger, and the real ledgerctl binary talking to it over HTTP or
// HTTPS only (the server holds the store open), judged by exit code (tools/cli.h), stdout and
// stderr.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/server.h"
#include "crypto/hash.h"
#include "crypto/note.h"
#include "ledger/event_store.h"
#include "ledger/ledger.pb.h"
#include "tests/fund_events.h"
#include "tests/test_ledger.h"
#include "tests/tls_certificate.h"
#include "tests/tools/subprocess.h"

namespace {

using namespace testing_ledger::funds;
using testing_ledger::MakeCertificate;
using testing_ledger::TempDir;
using testing_ledger::TestLedger;
using testing_tools::Finished;

using testing_tools::kExitFailed;
using testing_tools::kExitIoError;
using testing_tools::kExitOk;
using testing_tools::kExitUsage;

class LedgerctlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    officer_ = ledger_.Register("finance-wuyuan", ledger::v1::ROLE_FINANCE_OFFICER, kWuyuan);
    const crypto::SecretKey auditor = ledger_.Register("auditor-1", ledger::v1::ROLE_AUDITOR);
    for (const Event& event : Reference()) ASSERT_TRUE(ledger_.Append(event, ledger_.admin()).ok());
    ASSERT_TRUE(crypto::WriteKeyFiles(OfficerKey(), "finance-wuyuan", officer_).ok());
    ASSERT_TRUE(crypto::WriteKeyFiles(AuditorKey(), "auditor-1", auditor).ok());
    ASSERT_TRUE(crypto::WriteKeyFiles(StrangerKey(), "stranger", crypto::SecretKey::Generate()).ok());
    api::ServerOptions options;  // Authenticates with the store's actors.
    options.port = 0;
    options.threads = 2;
    Configure(&options);
    server_ = std::make_unique<api::Server>(&ledger_.store(), options);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override { server_->Stop(); }

  // Changes the server's options before it starts (LedgerctlTlsTest serves HTTPS).
  virtual void Configure(api::ServerOptions*) {}
  virtual std::string Scheme() const { return "http"; }

  static Finished Run(std::vector<std::string> args) {
    args.insert(args.begin(), LEDGERCTL_PATH);
    return testing_tools::RunToCompletion(args);
  }

  std::string Url() const { return Scheme() + "://127.0.0.1:" + std::to_string(server_->port()); }
  std::string Path(const std::string& name) const { return files_.path() + "/" + name; }
  std::string OfficerKey() const { return Path("officer.key"); }
  std::string AuditorKey() const { return Path("auditor.key"); }
  std::string StrangerKey() const { return Path("stranger.key"); }

  // A document of the officer's region in the proto3 JSON mapping, written to `id`.json.
  std::string WriteDocument(const std::string& id) const {
    std::ofstream(Path(id + ".json"), std::ios::binary) << DocumentJson(id);
    return Path(id + ".json");
  }
  static std::string DocumentJson(const std::string& id) {
    return R"({"event_id":")" + id + R"(","timestamp_ms":"1735689601000",)" +
           R"("document_filed":{"document_number":"五财社〔2025〕3号","title":"通知",)" +
           R"("sha256":")" + crypto::Base64Encode(crypto::AsBytes(crypto::Sha256(id))) +
           R"(","region_code":")" + kWuyuan + R"("}})";
  }

  // The receipt line `ledgerctl append` prints for entry `index` (as the local append does).
  std::string ReceiptLine(std::uint64_t index, bool duplicate) {
    auto bytes = ledger_.store().ReadEntry(index);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    const std::string hash = bytes.ok() ? crypto::HexEncode(crypto::AsBytes(crypto::LeafHash(*bytes))) : "";
    return R"({"index":)" + std::to_string(index) + R"(,"entry_hash":")" + hash + R"(","duplicate":)" +
           (duplicate ? "true" : "false") + "}\n";
  }

  // The event id of entry `index` of the store.
  std::string EventIdAt(std::uint64_t index) {
    auto bytes = ledger_.store().ReadEntry(index);
    if (!bytes.ok()) return "(" + bytes.status().ToString() + ")";
    ledger::v1::LogEntry entry;
    ledger::v1::Event event;
    if (!entry.ParseFromString(*bytes) || !event.ParseFromString(entry.signed_event().event())) return "(garbled)";
    return event.event_id();
  }

  // An amount of the answer of `ledgerctl get /v1/balances?...`: `field` of ledger.api.v1.Balance,
  // an int64 JSON string, or 0 when the field is absent (proto3 JSON leaves zeros out).
  static std::int64_t BalanceField(const std::string& json, const std::string& field) {
    const std::string key = "\"" + field + "\":\"";
    const std::size_t at = json.find(key);
    if (at == std::string::npos) return 0;
    return std::stoll(json.substr(at + key.size()));
  }

  TestLedger ledger_;
  TempDir files_;
  crypto::SecretKey officer_ = crypto::SecretKey::Generate();
  std::unique_ptr<api::Server> server_;
};

TEST_F(LedgerctlServerTest, AppendPostsTheSignedEventAndPrintsTheReceipt) {
  const std::uint64_t index = ledger_.store().size();
  Finished run = Run({"append", "--server", Url(), "--key", OfficerKey(), WriteDocument("doc-1")});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(ledger_.store().size(), index + 1);
  EXPECT_EQ(EventIdAt(index), "doc-1");
  EXPECT_EQ(run.out, ReceiptLine(index, false));
  EXPECT_EQ(run.err, "");
}

TEST_F(LedgerctlServerTest, ResubmittedFileGetsTheOriginalReceiptMarkedDuplicate) {
  const std::uint64_t index = ledger_.store().size();
  ASSERT_EQ(Run({"append", "--server", Url(), "--key", OfficerKey(), WriteDocument("doc-1")}).exit_code, kExitOk);
  Finished run = Run({"append", "--server", Url(), "--key", OfficerKey(), Path("doc-1.json")});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(run.out, ReceiptLine(index, true));
  EXPECT_EQ(ledger_.store().size(), index + 1);
}

TEST_F(LedgerctlServerTest, AppendRefusedByTheApiPrintsItsCodeAndDetail) {
  const std::uint64_t size = ledger_.store().size();
  Finished run = Run({"append", "--server", Url(), "--key", AuditorKey(), WriteDocument("doc-1")});
  EXPECT_EQ(run.exit_code, kExitFailed);  // An auditor may not call POST /v1/events.
  EXPECT_EQ(run.err, "error: role_not_allowed: role auditor may not call POST /v1/events\n");
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(ledger_.store().size(), size);
}

TEST_F(LedgerctlServerTest, AppendSignedForTheGivenOriginIsRefusedByAnotherLedger) {
  Finished run = Run({"append", "--server", Url(), "--key", OfficerKey(), "--origin", "another-ledger",
                      WriteDocument("doc-1")});
  EXPECT_EQ(run.exit_code, kExitFailed);
  EXPECT_EQ(run.err.rfind("error: bad_signature: ", 0), 0u) << run.err;
}

TEST_F(LedgerctlServerTest, AppendWithTheLedgersOriginGivenNeedsNoFetch) {
  const std::uint64_t index = ledger_.store().size();
  Finished run = Run({"append", "--server", Url(), "--key", OfficerKey(), "--origin", testing_ledger::kOrigin,
                      WriteDocument("doc-1")});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(run.out, ReceiptLine(index, false));
}

TEST_F(LedgerctlServerTest, RosterPostsOneSignedRosterAndPrintsAReceiptPerEvent) {
  const std::uint64_t index = ledger_.store().size();
  std::ofstream(Path("roster.jsonl"), std::ios::binary) << DocumentJson("doc-1") << "\n\n" << DocumentJson("doc-2") << "\n";
  Finished run = Run({"roster", "--server", Url(), "--key", OfficerKey(), "--title", "两份通知", Path("roster.jsonl")});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(ledger_.store().size(), index + 2);
  EXPECT_EQ(EventIdAt(index), "doc-1");
  EXPECT_EQ(EventIdAt(index + 1), "doc-2");
  EXPECT_EQ(run.out, ReceiptLine(index, false) + ReceiptLine(index + 1, false));
}

TEST_F(LedgerctlServerTest, GetPrintsTheBodyOfAnAuthenticatedRead) {
  Finished run = Run({"get", "--server", Url(), "--key", AuditorKey(), "/v1/actors"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  for (const char* name : {"\"admin\"", "\"finance-wuyuan\"", "\"auditor-1\""}) {
    EXPECT_NE(run.out.find(name), std::string::npos) << name << " in " << run.out;
  }
  EXPECT_EQ(run.out.back(), '\n');
  EXPECT_EQ(run.err, "");
}

TEST_F(LedgerctlServerTest, GetSendsTheQueryAsGiven) {
  Finished run = Run({"get", "--server", Url(), "--key", AuditorKey(), "/v1/balances?region=150821&program=R4"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_NE(run.out.find(R"("region":"150821")"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(R"("program":"R4")"), std::string::npos) << run.out;
}

TEST_F(LedgerctlServerTest, GetWithAnUnregisteredKeyExitsWithItsCode) {
  Finished run = Run({"get", "--server", Url(), "--key", StrangerKey(), "/v1/actors"});
  EXPECT_EQ(run.exit_code, kExitFailed);  // unknown_signer.
  EXPECT_EQ(run.err, "error: unknown_signer: the request's signing key is not a registered, unrevoked actor\n");
  EXPECT_EQ(run.out, "");
}

TEST_F(LedgerctlServerTest, GetOfAnUnknownPathIsNotFound) {
  Finished run = Run({"get", "--server", Url(), "--key", AuditorKey(), "/v1/nothing"});
  EXPECT_EQ(run.exit_code, kExitIoError);  // not_found, as for a local get past the end.
  EXPECT_EQ(run.err, "error: not_found: no such resource: /v1/nothing\n");
}

TEST_F(LedgerctlServerTest, ServerTogetherWithDataIsAUsageError) {
  const std::vector<std::vector<std::string>> commands = {
      {"append", "--data", Path("ledger"), "--server", Url(), "--key", OfficerKey(), WriteDocument("doc-1")},
      {"roster", "--server", Url(), "--data", Path("ledger"), "--key", OfficerKey(), Path("doc-1.json")},
      {"get", "--server", Url(), "--data", Path("ledger"), "--key", AuditorKey(), "/v1/actors"},
  };
  for (const auto& command : commands) {
    SCOPED_TRACE(command[0]);
    Finished run = Run(command);
    EXPECT_EQ(run.exit_code, kExitUsage);
    EXPECT_EQ(run.err, "error: --server and --data are mutually exclusive (see --help)\n");
    EXPECT_EQ(run.out, "");
  }
}

TEST_F(LedgerctlServerTest, CaWithoutHttpsIsAUsageError) {
  Finished run = Run({"get", "--server", Url(), "--key", AuditorKey(), "--ca", Path("ca.pem"), "/v1/actors"});
  EXPECT_EQ(run.exit_code, kExitUsage);
  EXPECT_EQ(run.err, "error: invalid_argument: --ca names a PEM file of trusted certificates for an https:// server\n");
}

TEST_F(LedgerctlServerTest, PathThatIsNotAnOriginFormTargetIsAUsageError) {
  Finished run = Run({"get", "--server", Url(), "--key", AuditorKey(), "v1/actors"});
  EXPECT_EQ(run.exit_code, kExitUsage);
  EXPECT_EQ(run.out, "");
}

TEST_F(LedgerctlServerTest, ServerThatDoesNotAnswerIsAnIoError) {
  // A port nobody listens on: bound, then closed.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const std::string url = "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
  acceptor.close();
  Finished run = Run({"get", "--server", url, "--key", AuditorKey(), "/v1/actors"});
  EXPECT_EQ(run.exit_code, kExitIoError);  // unavailable.
  EXPECT_EQ(run.err.rfind("error: unavailable: cannot connect to " + url + ": ", 0), 0u) << run.err;
}

TEST_F(LedgerctlServerTest, LocalFormsStillRefuseServerFlags) {
  Finished run = Run({"get", "--data", Path("ledger"), "--key", AuditorKey(), "1"});
  EXPECT_EQ(run.exit_code, kExitUsage);
  EXPECT_EQ(run.err, "error: unknown flag --key\n");
}

// --- Rosters as finance offices keep them: CSV ----------------------------------------------------

class LedgerctlRosterCsvTest : public LedgerctlServerTest {
 protected:
  void SetUp() override {
    LedgerctlServerTest::SetUp();
    // 100,000.00 yuan planned for Wuyuan's R4, 60,000.00 arrived; one person registered.
    ASSERT_TRUE(ledger_.Append(Plan("plan-1", 10'000'000), officer_).ok());
    ASSERT_TRUE(ledger_.Append(Arrival("arrival-1", "plan-1", 6'000'000), officer_).ok());
    ASSERT_TRUE(ledger_.Append(Person("person-1"), officer_).ok());
  }

  std::string WriteFile(const std::string& name, const std::string& text) const {
    std::ofstream(Path(name), std::ios::binary) << text;
    return Path(name);
  }

  // The Wuyuan R4 balance as the API answers it to the auditor.
  std::string Balance() {
    Finished run = Run({"get", "--server", Url(), "--key", AuditorKey(), "/v1/balances?region=150821&program=R4"});
    EXPECT_EQ(run.exit_code, kExitOk) << run.err;
    return run.out;
  }
};

TEST_F(LedgerctlRosterCsvTest, CsvRosterIsAppendedAndTheBalanceMovesByItsExactSum) {
  const std::string before = Balance();
  ASSERT_EQ(BalanceField(before, "available"), 6'000'000) << before;
  const std::uint64_t index = ledger_.store().size();
  // As Excel's "CSV UTF-8" saves it: a byte order mark, CRLF, Chinese headers, other columns.
  const std::string csv = std::string("\xEF\xBB\xBF") +
                          "序号,姓名,资金,地区,项目,领取人,账户,金额(元),备注\r\n" +
                          "1,某公司,2025-central,150821,R4," + kUnit + ",6222020200112233445,1589,\"三月, 见习\"\r\n" +
                          "2,某公司,2025-central,150821,R4," + kUnit + ",6222020200112233445,1589.5,\r\n" +
                          "3,张三,2025-central,150821,R4," + kSubject + "," + kAccount + ",0.01,\r\n";
  Finished run = Run({"roster", "--server", Url(), "--key", OfficerKey(), "--title", "2025年3月就业见习补贴",
                      "--roster-id", "wuyuan-r4-2025-03", "--period", "2025-03", "--pay-date", "2025-03-20",
                      "--document", "五就见〔2025〕3号", WriteFile("march.csv", csv)});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(run.err, "");
  EXPECT_EQ(run.out, ReceiptLine(index, false) + ReceiptLine(index + 1, false) + ReceiptLine(index + 2, false));
  EXPECT_EQ(EventIdAt(index), "wuyuan-r4-2025-03-1");
  EXPECT_EQ(EventIdAt(index + 2), "wuyuan-r4-2025-03-3");
  const std::int64_t sum_fen = 158'900 + 158'950 + 1;
  const std::string after = Balance();
  EXPECT_EQ(BalanceField(after, "disbursed") - BalanceField(before, "disbursed"), sum_fen) << after;
  EXPECT_EQ(BalanceField(before, "available") - BalanceField(after, "available"), sum_fen) << after;
  EXPECT_EQ(BalanceField(after, "received"), BalanceField(before, "received"));

  // The same file again: the same event ids with new timestamps, refused, nothing paid twice.
  Finished again = Run({"roster", "--server", Url(), "--key", OfficerKey(), "--roster-id", "wuyuan-r4-2025-03",
                        "--period", "2025-03", "--pay-date", "2025-03-20", "--document", "五就见〔2025〕3号",
                        Path("march.csv")});
  EXPECT_EQ(again.exit_code, kExitFailed);
  EXPECT_EQ(again.err.rfind("error: duplicate_id: ", 0), 0u) << again.err;
  EXPECT_EQ(ledger_.store().size(), index + 3);
  EXPECT_EQ(BalanceField(Balance(), "disbursed"), BalanceField(after, "disbursed"));
}

TEST_F(LedgerctlRosterCsvTest, CsvWithBadRowsReportsEveryOneAndSendsNothing) {
  const std::uint64_t size = ledger_.store().size();
  const std::string csv = "event_id,fund,region,program,payee,account,amount_yuan,period,pay_date,document_number\n"
                          "pay-1,2025-central,150821,R4," + std::string(kUnit) + ",6222020200112233445,12.345,"
                          "2025-03,2025-03-20,文1\n"
                          "pay-2,2025-central,150821,R4," + kUnit + ",6222020200112233445,100,2025-03,2025-03-20,文1\n"
                          "pay-2,2025-central,150821,R4," + kUnit + ",6222020200112233445,1e3,2025-03,2025-03-20,文1\n";
  Finished run = Run({"roster", "--server", Url(), "--key", OfficerKey(), WriteFile("bad.csv", csv)});
  EXPECT_EQ(run.exit_code, kExitFailed);
  EXPECT_EQ(run.err, "error: line 2: amount '12.345' has more than two decimals: the ledger counts whole fen\n"
                     "error: line 4: amount '1e3' is not yuan written as digits with at most two decimals, like 1589 "
                     "or 1589.50\n"
                     "error: line 4: event id 'pay-2' is also on line 3\n"
                     "error: malformed: " + Path("bad.csv") + ": 3 problems on 2 lines; nothing was signed\n");
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(ledger_.store().size(), size);

  // Checked before any request: against a server that is not there, the answer is the same.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const std::string nowhere = "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
  acceptor.close();
  Finished offline = Run({"roster", "--server", nowhere, "--key", OfficerKey(), Path("bad.csv")});
  EXPECT_EQ(offline.exit_code, kExitFailed);
  EXPECT_EQ(offline.err, run.err);
}

TEST_F(LedgerctlRosterCsvTest, CsvOnlyFlagsWithJsonLinesAreAUsageError) {
  Finished run = Run({"roster", "--server", Url(), "--key", OfficerKey(), "--period", "2025-03",
                      WriteFile("roster.jsonl", DocumentJson("doc-1") + "\n")});
  EXPECT_EQ(run.exit_code, kExitUsage);
  EXPECT_EQ(run.err, "error: --period applies to CSV rosters only (FILE.csv or --format csv) (see --help)\n");
}

// --- export --------------------------------------------------------------------------------------

// Every file of the directory `root`, by its path inside it, with its bytes.
std::map<std::string, std::string> FilesUnder(const std::string& root) {
  std::map<std::string, std::string> files;
  for (const auto& item : std::filesystem::recursive_directory_iterator(root)) {
    if (!item.is_regular_file()) continue;
    std::ifstream in(item.path(), std::ios::binary);
    files[std::filesystem::relative(item.path(), root).string()] =
        std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return files;
}

TEST_F(LedgerctlServerTest, ExportOverTheApiGivesTheBundleExportFromTheDataDirectoryGives) {
  ASSERT_NO_FATAL_FAILURE(ledger_.WaitForFullCheckpoint());
  Finished served = Run({"export", "--server", Url(), "--key", AuditorKey(), "--out", Path("served")});
  ASSERT_EQ(served.exit_code, kExitOk) << served.err;
  // The server holds the store open; --data reads it as a secondary instance beside it.
  Finished local = Run({"export", "--data", ledger_.dir(), "--out", Path("local")});
  ASSERT_EQ(local.exit_code, kExitOk) << local.err;
  const std::map<std::string, std::string> files = FilesUnder(Path("served"));
  EXPECT_EQ(files, FilesUnder(Path("local")));
  EXPECT_EQ(files.at("checkpoint"), ledger_.store().checkpoint());
  EXPECT_EQ(files.count("tile/entries/000.p/" + std::to_string(ledger_.store().size())), 1u);
  Finished verify = Run({"verify", "--bundle", Path("served"), "--log-key", ledger::LogPublicKeyPath(ledger_.dir())});
  EXPECT_EQ(verify.exit_code, kExitOk) << verify.out << verify.err;
}

TEST_F(LedgerctlServerTest, ExportOverTheApiNeedsAnAuditorsKey) {
  Finished run = Run({"export", "--server", Url(), "--key", OfficerKey(), "--out", Path("bundle")});
  EXPECT_EQ(run.exit_code, kExitFailed);
  EXPECT_EQ(run.err.rfind("error: role_not_allowed: entries from 0: ", 0), 0u) << run.err;
  EXPECT_FALSE(std::filesystem::exists(Path("bundle")));
  for (const auto& item : std::filesystem::directory_iterator(files_.path())) {
    EXPECT_EQ(item.path().filename().string().find(".bundle.partial-"), std::string::npos) << item.path();
  }
}

// --- HTTPS ---------------------------------------------------------------------------------------

class LedgerctlTlsTest : public LedgerctlServerTest {
 protected:
  void Configure(api::ServerOptions* options) override {
    ASSERT_TRUE(MakeCertificate(Path("cert.pem"), Path("cert.key")));
    options->tls_cert_file = Path("cert.pem");
    options->tls_key_file = Path("cert.key");
  }
  std::string Scheme() const override { return "https"; }
};

TEST_F(LedgerctlTlsTest, GetOverHttpsWithTheServersCertificateTrusted) {
  Finished run = Run({"get", "--server", Url(), "--key", AuditorKey(), "--ca", Path("cert.pem"), "/v1/actors"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_NE(run.out.find("\"auditor-1\""), std::string::npos) << run.out;
  EXPECT_EQ(run.err, "");
}

TEST_F(LedgerctlTlsTest, AppendOverHttpsWithTheServersCertificateTrusted) {
  const std::uint64_t index = ledger_.store().size();
  Finished run = Run({"append", "--server", Url(), "--key", OfficerKey(), "--ca", Path("cert.pem"),
                      WriteDocument("doc-1")});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(run.out, ReceiptLine(index, false));
}

TEST_F(LedgerctlTlsTest, CertificateTheSystemDoesNotTrustIsRefused) {
  const std::uint64_t size = ledger_.store().size();
  Finished run = Run({"append", "--server", Url(), "--key", OfficerKey(), WriteDocument("doc-1")});
  EXPECT_EQ(run.exit_code, kExitIoError);
  EXPECT_EQ(run.err, "error: unavailable: cannot connect securely to " + Url() +
                         ": the server's certificate is not trusted: self-signed certificate\n");
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(ledger_.store().size(), size);
}

TEST_F(LedgerctlTlsTest, CertificateOtherThanTheTrustedOneIsRefused) {
  ASSERT_TRUE(MakeCertificate(Path("other.pem"), Path("other.key")));
  Finished run = Run({"get", "--server", Url(), "--key", AuditorKey(), "--ca", Path("other.pem"), "/v1/actors"});
  EXPECT_EQ(run.exit_code, kExitIoError);
  EXPECT_EQ(run.err, "error: unavailable: cannot connect securely to " + Url() +
                         ": the server's certificate is not trusted: self-signed certificate\n");
}

TEST_F(LedgerctlTlsTest, CertificateForAnotherHostIsRefused) {
  // The certificate names 127.0.0.1 only; "localhost" reaches the same server.
  const std::string url = "https://localhost:" + std::to_string(server_->port());
  Finished run = Run({"get", "--server", url, "--key", AuditorKey(), "--ca", Path("cert.pem"), "/v1/actors"});
  EXPECT_EQ(run.exit_code, kExitIoError);
  EXPECT_EQ(run.err, "error: unavailable: cannot connect securely to " + url +
                         ": the server's certificate is not trusted: hostname mismatch\n");
}

TEST_F(LedgerctlTlsTest, UnreadableTrustedCertificatesFileIsAFileError) {
  Finished run = Run({"get", "--server", Url(), "--key", AuditorKey(), "--ca", Path("missing.pem"), "/v1/actors"});
  EXPECT_EQ(run.exit_code, kExitIoError);
  EXPECT_EQ(run.err.rfind("error: not_found: cannot read trusted certificates from " + Path("missing.pem") + ": ", 0),
            0u) << run.err;
}

TEST_F(LedgerctlTlsTest, PlainHttpToTheHttpsPortGetsNoAnswer) {
  const std::string url = "http://127.0.0.1:" + std::to_string(server_->port());
  Finished run = Run({"get", "--server", url, "--key", AuditorKey(), "--origin", testing_ledger::kOrigin, "/v1/actors"});
  EXPECT_EQ(run.exit_code, kExitIoError);
  EXPECT_EQ(run.out, "");
}

// The ledgerd binary itself, started with --tls-cert and --tls-key, as an office would run it.
TEST(LedgerctlLedgerdTlsTest, GetFromLedgerdServingHttps) {
  TestLedger ledger;
  TempDir files;
  const crypto::SecretKey auditor = ledger.Register("auditor-1", ledger::v1::ROLE_AUDITOR);
  const std::string key = files.path() + "/auditor.key";
  const std::string cert = files.path() + "/cert.pem";
  ASSERT_TRUE(crypto::WriteKeyFiles(key, "auditor-1", auditor).ok());
  ASSERT_TRUE(MakeCertificate(cert, files.path() + "/cert.key"));
  ledger.Close();  // ledgerd holds the store.
  testing_tools::Subprocess ledgerd({LEDGERD_PATH, "--data", ledger.dir(), "--listen", "127.0.0.1:0", "--tls-cert",
                                     cert, "--tls-key", files.path() + "/cert.key"});
  ASSERT_TRUE(ledgerd.started());
  // ledgerd announces its address on stderr once it listens.
  const std::string announced = "on https://127.0.0.1:";
  std::string out, err;
  bool timed_out = false;
  while (err.find(announced) == std::string::npos || err.back() != '\n') {
    ASSERT_TRUE(ledgerd.ReadSome(&out, &err, std::chrono::seconds(30), &timed_out)) << err;
    ASSERT_FALSE(timed_out) << err;
  }
  const std::string url = "https://127.0.0.1:" + std::to_string(std::stoi(err.substr(err.find(announced) + announced.size())));

  Finished trusted = testing_tools::RunToCompletion({LEDGERCTL_PATH, "get", "--server", url, "--key", key, "--ca", cert,
                                                     "/v1/actors"});
  ASSERT_EQ(trusted.exit_code, kExitOk) << trusted.err;
  EXPECT_NE(trusted.out.find("\"auditor-1\""), std::string::npos) << trusted.out;

  Finished untrusted = testing_tools::RunToCompletion({LEDGERCTL_PATH, "get", "--server", url, "--key", key,
                                                       "/v1/actors"});
  EXPECT_EQ(untrusted.exit_code, kExitIoError);
  EXPECT_EQ(untrusted.err, "error: unavailable: cannot connect securely to " + url +
                               ": the server's certificate is not trusted: self-signed certificate\n");
}

}  // namespace
