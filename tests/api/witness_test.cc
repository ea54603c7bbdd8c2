// Witnesses over real loopback: the real `witness` binary (tools/witness_main.cc) and ledgerd
// in-process (api::Server with an api::WitnessSubmitter). C2SP tlog-witness, tlog-cosignature.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "api/server.h"
#include "api/witness_submitter.h"
#include "crypto/cosignature.h"
#include "crypto/merkle.h"
#include "crypto/note.h"
#include "tests/test_ledger.h"
#include "tests/tools/subprocess.h"

namespace api {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using testing_ledger::TestLedger;
using testing_tools::Subprocess;

constexpr const char* kWitnessName = "witness.test/w1";

struct Response {
  unsigned status = 0;
  std::string content_type;
  std::string body;
};

Response Send(std::uint16_t port, http::verb verb, const std::string& target,
              const std::string& body = "") {
  boost::asio::io_context io;
  boost::asio::ip::tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(resolver.resolve("127.0.0.1", std::to_string(port)));
  http::request<http::string_body> request{verb, target, 11};
  request.set(http::field::host, "127.0.0.1");
  request.body() = body;
  request.prepare_payload();
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  beast::error_code ignored;
  stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  return {response.result_int(), std::string(response[http::field::content_type]),
          response.body()};
}

// An add-checkpoint body: "old N", the proof, a blank line, the note.
std::string AddCheckpointBody(std::uint64_t old_size, const std::vector<crypto::Hash>& proof,
                              const std::string& note) {
  std::string body = "old " + std::to_string(old_size) + "\n";
  for (const crypto::Hash& hash : proof) body += crypto::Base64Encode(crypto::AsBytes(hash)) + "\n";
  return body + "\n" + note;
}

std::string TextOf(const std::string& note) { return note.substr(0, note.rfind("\n\n") + 1); }

std::uint64_t SizeOf(const std::string& note) {
  return crypto::ParseCheckpoint(TextOf(note)).value().size;
}

// Appends document events until the store's checkpoint covers them all.
void AppendDocuments(TestLedger* t, const crypto::SecretKey& key, const std::string& prefix,
                     int count) {
  for (int i = 0; i < count; ++i) {
    auto receipt = t->Append(TestLedger::Document(prefix + std::to_string(i)), key);
    ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  }
  ASSERT_NO_FATAL_FAILURE(t->WaitForFullCheckpoint());
  ASSERT_EQ(SizeOf(t->store().checkpoint()), t->store().size());
}

class WitnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    officer_ = t.Register("finance-city", ledger::v1::ROLE_FINANCE_OFFICER);
    key_file_ = keys_.path() + "/witness.key";
    ASSERT_TRUE(crypto::WriteKeyFiles(key_file_, kWitnessName, witness_key_).ok());
    cosigner_ = crypto::ParseCosignerKey(
                    crypto::FormatCosignerKey(kWitnessName, witness_key_.public_key()))
                    .value();
    log_key_ = crypto::FormatVerifierKey(t.store().log_key().name, t.store().log_key().key);
  }
  void TearDown() override {
    if (server_) server_->Stop();
    if (submitter_) submitter_->Stop();
  }

  // Starts the witness binary on witness_data_ and learns its port from its announcement.
  void StartWitness() {
    witness_ = std::make_unique<Subprocess>(std::vector<std::string>{
        WITNESS_PATH, "--data", witness_data_.path(), "--listen", "127.0.0.1:0", "--key",
        key_file_, "--log", std::string(testing_ledger::kOrigin) + "=" + log_key_});
    ASSERT_TRUE(witness_->started());
    const std::string announced = " on http://127.0.0.1:";
    std::string out, err;
    bool timed_out = false;
    while (err.find(announced) == std::string::npos || err.back() != '\n') {
      ASSERT_TRUE(witness_->ReadSome(&out, &err, std::chrono::seconds(30), &timed_out)) << err;
      ASSERT_FALSE(timed_out) << err;
    }
    EXPECT_NE(err.find("cosigner key " + crypto::FormatCosignerKey(kWitnessName,
                                                                   witness_key_.public_key())),
              std::string::npos)
        << err;
    witness_port_ = static_cast<std::uint16_t>(
        std::stoi(err.substr(err.find(announced) + announced.size())));
  }

  void StopWitness() {
    witness_->Signal(SIGTERM);
    witness_->Wait();
    witness_.reset();
  }

  // ledgerd in-process, submitting to the witness.
  void StartLedgerd() {
    WitnessConfig config = ParseWitnessFlag("http://127.0.0.1:" + std::to_string(witness_port_) +
                                            "," + crypto::FormatCosignerKey(
                                                      kWitnessName, witness_key_.public_key()))
                               .value();
    submitter_ = std::make_unique<WitnessSubmitter>(&t.store(), std::vector<WitnessConfig>{config});
    ServerOptions options;
    options.port = 0;
    options.threads = 2;
    options.witnesses = submitter_.get();
    server_ = std::make_unique<Server>(&t.store(), options);
    ASSERT_TRUE(server_->Start().ok());
    submitter_->Start();
  }

  // Polls GET /checkpoint until it carries a cosignature over the store's current checkpoint.
  std::string WaitForCosignedCheckpoint() {
    const std::string text = TextOf(t.store().checkpoint());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    Response response;
    while (std::chrono::steady_clock::now() < deadline) {
      response = Send(server_->port(), http::verb::get, "/checkpoint");
      if (response.status == 200 && TextOf(response.body) == text &&
          crypto::FindCosignature(response.body, cosigner_).ok()) {
        return response.body;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "no cosigned checkpoint before the deadline; last: " << response.body;
    return "";
  }

  Response AddCheckpoint(const std::string& body) {
    return Send(witness_port_, http::verb::post, "/add-checkpoint", body);
  }

  TestLedger t;
  crypto::SecretKey officer_ = crypto::SecretKey::Generate();
  crypto::SecretKey witness_key_ = crypto::SecretKey::Generate();
  crypto::CosignerKey cosigner_;
  testing_ledger::TempDir keys_;
  testing_ledger::TempDir witness_data_;
  std::string key_file_;
  std::string log_key_;
  std::unique_ptr<Subprocess> witness_;
  std::uint16_t witness_port_ = 0;
  std::unique_ptr<WitnessSubmitter> submitter_;
  std::unique_ptr<Server> server_;
};

TEST_F(WitnessTest, CheckpointIsServedWithAVerifyingCosignature) {
  ASSERT_NO_FATAL_FAILURE(StartWitness());
  ASSERT_NO_FATAL_FAILURE(StartLedgerd());
  const std::string served = WaitForCosignedCheckpoint();
  // The log's own signature still opens the note, and the cosignature is over its very text.
  ledger::Result<std::string> text = crypto::OpenNote(served, t.store().log_key());
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, TextOf(t.store().checkpoint()));
  ledger::Result<crypto::FoundCosignature> found = crypto::FindCosignature(served, cosigner_);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(served, t.store().checkpoint() + found->line);
}

TEST_F(WitnessTest, MetricsGiveTheSizeEachWitnessCosigned) {
  ASSERT_NO_FATAL_FAILURE(StartWitness());
  ASSERT_NO_FATAL_FAILURE(StartLedgerd());
  const std::string served = WaitForCosignedCheckpoint();
  const Response metrics = Send(server_->port(), http::verb::get, "/metrics");
  ASSERT_EQ(metrics.status, 200u);
  EXPECT_NE(metrics.body.find("\nledger_witness_cosigned_size{witness=\"" + std::string(kWitnessName) + "\"} " +
                              std::to_string(SizeOf(served)) + "\n"),
            std::string::npos)
      << metrics.body;
}

TEST_F(WitnessTest, LaterCheckpointIsCosignedWithAConsistencyProof) {
  ASSERT_NO_FATAL_FAILURE(StartWitness());
  ASSERT_NO_FATAL_FAILURE(StartLedgerd());
  WaitForCosignedCheckpoint();
  const std::uint64_t first_size = t.store().size();
  ASSERT_NO_FATAL_FAILURE(AppendDocuments(&t, officer_, "later-", 5));
  const std::string served = WaitForCosignedCheckpoint();
  EXPECT_EQ(SizeOf(served), first_size + 5);
  // The witness now holds the new size: old 0 is stale.
  Response stale = AddCheckpoint(AddCheckpointBody(0, {}, t.store().checkpoint()));
  EXPECT_EQ(stale.status, 409u);
  EXPECT_EQ(stale.body, std::to_string(first_size + 5) + "\n");
}

TEST_F(WitnessTest, StaleOldSizeGets409WithTheWitnessSize) {
  ASSERT_NO_FATAL_FAILURE(StartWitness());
  const std::string note = t.store().checkpoint();
  Response first = AddCheckpoint(AddCheckpointBody(0, {}, note));
  ASSERT_EQ(first.status, 200u) << first.body;
  Response again = AddCheckpoint(AddCheckpointBody(0, {}, note));
  EXPECT_EQ(again.status, 409u);
  EXPECT_EQ(again.content_type, "text/x.tlog.size");
  EXPECT_EQ(again.body, std::to_string(SizeOf(note)) + "\n");
}

TEST_F(WitnessTest, AnswerIsOneCosignatureLineThatVerifies) {
  ASSERT_NO_FATAL_FAILURE(StartWitness());
  const std::string note = t.store().checkpoint();
  Response answer = AddCheckpoint(AddCheckpointBody(0, {}, note));
  ASSERT_EQ(answer.status, 200u) << answer.body;
  ASSERT_EQ(answer.body.rfind("\xE2\x80\x94 witness.test/w1 ", 0), 0u) << answer.body;
  EXPECT_EQ(answer.body.find('\n'), answer.body.size() - 1);
  ledger::Result<crypto::FoundCosignature> found =
      crypto::FindCosignature(TextOf(note) + "\n" + answer.body, cosigner_);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->line, answer.body);
}

TEST_F(WitnessTest, RestartedWitnessStillKnowsTheSize) {
  ASSERT_NO_FATAL_FAILURE(StartWitness());
  const std::string note = t.store().checkpoint();
  ASSERT_EQ(AddCheckpoint(AddCheckpointBody(0, {}, note)).status, 200u);
  // Killed, not asked to stop: what it answered must already be on disk.
  witness_->Kill();
  witness_.reset();
  ASSERT_NO_FATAL_FAILURE(StartWitness());
  Response again = AddCheckpoint(AddCheckpointBody(0, {}, note));
  EXPECT_EQ(again.status, 409u);
  EXPECT_EQ(again.body, std::to_string(SizeOf(note)) + "\n");
}

TEST_F(WitnessTest, ForkedCheckpointIsRefusedAndNotCosigned) {
  // Two copies of one ledger, each extended with different events.
  t.Close();
  testing_ledger::TempDir fork_parent;
  const std::string fork_dir = fork_parent.path() + "/fork";
  std::filesystem::copy(t.dir(), fork_dir, std::filesystem::copy_options::recursive);
  t.Open();
  auto fork_store = ledger::EventStore::Open({fork_dir, 2, {}});
  ASSERT_TRUE(fork_store.ok()) << fork_store.status().ToString();
  ASSERT_NO_FATAL_FAILURE(AppendDocuments(&t, officer_, "ours-", 1));
  for (int i = 0; i < 2; ++i) {
    auto receipt = (*fork_store)->Append(
        ledger::SignEvent(TestLedger::Document("theirs-" + std::to_string(i)), officer_));
    ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  }
  ASSERT_TRUE((*fork_store)->WaitForCheckpoint((*fork_store)->size(), std::chrono::seconds(30)));
  const std::string ours = t.store().checkpoint();
  const std::string theirs = (*fork_store)->checkpoint();
  ASSERT_EQ(SizeOf(theirs), SizeOf(ours) + 1);

  ASSERT_NO_FATAL_FAILURE(StartWitness());
  ASSERT_EQ(AddCheckpoint(AddCheckpointBody(0, {}, ours)).status, 200u);
  // The fork's own proof from our size to its size: it cannot link to our root.
  auto nodes = [&](std::uint8_t level, std::uint64_t index) {
    return (*fork_store)->TreeNode(level, index);
  };
  std::vector<crypto::Hash> proof =
      crypto::ConsistencyProofFromNodes(SizeOf(ours), SizeOf(theirs), nodes).value();
  Response refused = AddCheckpoint(AddCheckpointBody(SizeOf(ours), proof, theirs));
  EXPECT_EQ(refused.status, 422u);
  EXPECT_EQ(refused.body.find("\xE2\x80\x94"), std::string::npos) << refused.body;
  // The witness still holds our checkpoint's size.
  Response held = AddCheckpoint(AddCheckpointBody(0, {}, ours));
  EXPECT_EQ(held.status, 409u);
  EXPECT_EQ(held.body, std::to_string(SizeOf(ours)) + "\n");
  ASSERT_TRUE((*fork_store)->Close().ok());
}

TEST_F(WitnessTest, UnknownOriginIs404AndForeignSignatureIs403) {
  ASSERT_NO_FATAL_FAILURE(StartWitness());
  const std::string text = TextOf(t.store().checkpoint());
  crypto::SecretKey stranger = crypto::SecretKey::Generate();
  // Same origin, signed by a key the witness does not trust.
  const std::string forged = crypto::SignNote(text, testing_ledger::kOrigin, stranger);
  EXPECT_EQ(AddCheckpoint(AddCheckpointBody(0, {}, forged)).status, 403u);
  crypto::Checkpoint other = crypto::ParseCheckpoint(text).value();
  other.origin = "other.example/log";
  const std::string unknown =
      crypto::SignNote(crypto::FormatCheckpoint(other), "other.example/log", stranger);
  EXPECT_EQ(AddCheckpoint(AddCheckpointBody(0, {}, unknown)).status, 404u);
}

TEST_F(WitnessTest, ProofFromZeroMustBeEmpty) {
  ASSERT_NO_FATAL_FAILURE(StartWitness());
  const std::string note = t.store().checkpoint();
  crypto::Hash extra{};
  EXPECT_EQ(AddCheckpoint(AddCheckpointBody(0, {extra}, note)).status, 422u);
}

TEST_F(WitnessTest, SubmitterLearnsTheWitnessSizeFrom409) {
  // The witness already holds this size (an earlier ledgerd run); the submitter starts from 0.
  ASSERT_NO_FATAL_FAILURE(StartWitness());
  const std::uint64_t held = SizeOf(t.store().checkpoint());
  ASSERT_EQ(AddCheckpoint(AddCheckpointBody(0, {}, t.store().checkpoint())).status, 200u);
  ASSERT_NO_FATAL_FAILURE(AppendDocuments(&t, officer_, "after-", 3));
  ASSERT_NO_FATAL_FAILURE(StartLedgerd());
  const std::string served = WaitForCosignedCheckpoint();
  EXPECT_EQ(SizeOf(served), held + 3);
}

TEST_F(WitnessTest, CosignatureOfAnOlderCheckpointIsNotServed) {
  ASSERT_NO_FATAL_FAILURE(StartWitness());
  ASSERT_NO_FATAL_FAILURE(StartLedgerd());
  WaitForCosignedCheckpoint();
  // The witness goes away; the next checkpoint is served with the log's signature alone.
  witness_->Kill();
  witness_.reset();
  ASSERT_NO_FATAL_FAILURE(AppendDocuments(&t, officer_, "unwitnessed-", 1));
  Response response = Send(server_->port(), http::verb::get, "/checkpoint");
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.body, t.store().checkpoint());
}

TEST_F(WitnessTest, LedgerdBinaryWithWitnessFlagServesTheCosignature) {
  ASSERT_NO_FATAL_FAILURE(StartWitness());
  const std::string expected_text = TextOf(t.store().checkpoint());
  const crypto::VerifierKey log_key = t.store().log_key();
  t.Close();
  Subprocess ledgerd(std::vector<std::string>{
      LEDGERD_PATH, "--data", t.dir(), "--listen", "127.0.0.1:0", "--no-verify", "--witness",
      "http://127.0.0.1:" + std::to_string(witness_port_) + "," +
          crypto::FormatCosignerKey(kWitnessName, witness_key_.public_key())});
  ASSERT_TRUE(ledgerd.started());
  const std::string announced = "on http://127.0.0.1:";
  std::string out, err;
  bool timed_out = false;
  while (err.find(announced) == std::string::npos || err.back() != '\n') {
    ASSERT_TRUE(ledgerd.ReadSome(&out, &err, std::chrono::seconds(30), &timed_out)) << err;
    ASSERT_FALSE(timed_out) << err;
  }
  const auto port =
      static_cast<std::uint16_t>(std::stoi(err.substr(err.find(announced) + announced.size())));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  Response response;
  while (std::chrono::steady_clock::now() < deadline) {
    response = Send(port, http::verb::get, "/checkpoint");
    if (crypto::FindCosignature(response.body, cosigner_).ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(crypto::FindCosignature(response.body, cosigner_).ok()) << response.body;
  ledger::Result<std::string> text = crypto::OpenNote(response.body, log_key);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, expected_text);
  ledgerd.Signal(SIGTERM);
  EXPECT_EQ(ledgerd.Wait(), 0);
}

TEST(WitnessFlagTest, ParsesUrlAndCosignerKey) {
  const std::string key =
      "witness.example/w1+eb762cc2+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea";
  ledger::Result<WitnessConfig> config = ParseWitnessFlag("http://127.0.0.1:7380/w/," + key);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->host, "127.0.0.1");
  EXPECT_EQ(config->port, "7380");
  EXPECT_EQ(config->prefix, "/w");
  EXPECT_EQ(config->key.name, "witness.example/w1");
  EXPECT_EQ(config->key.key_id, 0xeb762cc2u);
  EXPECT_EQ(ParseWitnessFlag("http://witness.example," + key)->port, "80");
}

TEST(WitnessFlagTest, RefusesHttpsAndNoteKeys) {
  const std::string key =
      "witness.example/w1+eb762cc2+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea";
  EXPECT_EQ(ParseWitnessFlag("https://127.0.0.1:7380," + key).status().code(),
            ledger::Code::kInvalidArgument);
  EXPECT_EQ(ParseWitnessFlag("http://127.0.0.1:7380").status().code(),
            ledger::Code::kInvalidArgument);
  // The same key with the note algorithm byte 0x01 is a log key, not a cosigner key.
  EXPECT_EQ(ParseWitnessFlag("http://127.0.0.1:7380,audit.example/ledger+3973ddb3+"
                             "AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea")
                .status()
                .code(),
            ledger::Code::kInvalidArgument);
}

}  // namespace
}  // namespace api
