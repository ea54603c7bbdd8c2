// ledgerd end to end: the real binary on a real ledger, over real HTTP on loopback.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "api/request_auth.h"
#include "crypto/hash.h"
#include "ledger/event_signer.h"
#include "replay/verifier.h"
#include "tests/test_ledger.h"
#include "tests/verify_ledger.h"
#include "tests/tools/subprocess.h"

namespace api {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using testing_ledger::TestLedger;
using testing_tools::Subprocess;

struct Response {
  unsigned status = 0;
  std::string body;
};

Response Get(std::uint16_t port, const std::string& target) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  stream.connect(resolver.resolve("127.0.0.1", std::to_string(port)));
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, "127.0.0.1");
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  beast::error_code ignored;
  stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  return {response.result_int(), response.body()};
}

class LedgerdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    officer_ = t.Register("finance-city", ledger::v1::ROLE_FINANCE_OFFICER);
    checkpoint_ = t.store().checkpoint();
    log_key_ = crypto::FormatVerifierKey(t.store().log_key().name, t.store().log_key().key);
    t.Close();
    server_ = std::make_unique<Subprocess>(
        std::vector<std::string>{LEDGERD_PATH, "--data", t.dir(), "--listen", "127.0.0.1:0"});
    ASSERT_TRUE(server_->started());
    // ledgerd announces its address on stderr once it listens.
    const std::string announced = "on http://127.0.0.1:";
    std::string out, err;
    bool timed_out = false;
    while (err.find(announced) == std::string::npos || err.back() != '\n') {
      ASSERT_TRUE(server_->ReadSome(&out, &err, std::chrono::seconds(30), &timed_out)) << err;
      ASSERT_FALSE(timed_out) << err;
    }
    port_ = static_cast<std::uint16_t>(std::stoi(err.substr(err.find(announced) + announced.size())));
  }

  TestLedger t;
  crypto::SecretKey officer_ = crypto::SecretKey::Generate();
  std::string checkpoint_;
  std::string log_key_;
  std::unique_ptr<Subprocess> server_;
  std::uint16_t port_ = 0;
};

TEST_F(LedgerdTest, ServesHealth) {
  Response response = Get(port_, "/healthz");
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.body, "ok\n");
}

TEST_F(LedgerdTest, ServesTheSignedCheckpoint) {
  Response response = Get(port_, "/checkpoint");
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.body, checkpoint_);
}

TEST_F(LedgerdTest, ServesTheLogKey) {
  Response response = Get(port_, "/v1/log-key");
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.body, log_key_ + "\n");
}

TEST_F(LedgerdTest, UnknownPathIsNotFound) {
  EXPECT_EQ(Get(port_, "/nothing-here").status, 404u);
}

TEST_F(LedgerdTest, SigtermStopsCleanlyAndLeavesALedgerThatOpens) {
  server_->Signal(SIGTERM);
  int status = server_->Wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  t.Open();
  EXPECT_EQ(t.store().checkpoint(), checkpoint_);
}

// Appends one document over HTTP with a signed request; true when acknowledged (201).
bool AppendOverHttp(std::uint16_t port, const crypto::SecretKey& key, const std::string& id) {
  const std::string event = ledger::SignEvent(TestLedger::Document(id), key);
  const std::string body = "{\"signed_event\":\"" + crypto::Base64Encode(event) + "\"}";
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
  RequestSignature signature = SignRequest(key, testing_ledger::kOrigin, "POST", "/v1/events", now, body);
  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;
  stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return false;
  http::request<http::string_body> request{http::verb::post, "/v1/events", 11};
  request.set(http::field::host, "127.0.0.1");
  request.set(std::string(kKeyHeader), signature.key_b64);
  request.set(std::string(kTimestampHeader), signature.timestamp);
  request.set(std::string(kSignatureHeader), signature.signature_b64);
  request.body() = body;
  request.prepare_payload();
  http::write(stream, request, ec);
  if (ec) return false;
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response, ec);
  return !ec && response.result_int() == 201;
}

TEST_F(LedgerdTest, SigtermDuringLoadKeepsEveryAcknowledgedEvent) {
  std::mutex mutex;
  std::vector<std::string> acknowledged;
  std::atomic<bool> stop{false};
  std::vector<std::thread> submitters;
  for (int s = 0; s < 8; ++s) {
    submitters.emplace_back([&, s] {
      for (int i = 0; !stop; ++i) {
        const std::string id = "doc-" + std::to_string(s) + "-" + std::to_string(i);
        if (!AppendOverHttp(port_, officer_, id)) return;  // The server went away.
        std::lock_guard<std::mutex> lock(mutex);
        acknowledged.push_back(id);
      }
    });
  }
  for (;;) {  // Until the load is well under way.
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (acknowledged.size() >= 40) break;
    }
    std::this_thread::yield();
  }
  server_->Signal(SIGTERM);
  int status = server_->Wait();
  stop = true;
  for (auto& thread : submitters) thread.join();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  auto report = testing_ledger::VerifyLedger(t.dir());
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->problem.ToString();
  t.Open();
  for (const std::string& id : acknowledged) EXPECT_TRUE(t.store().FindEventId(id).ok()) << id;
}

}  // namespace
}  // namespace api
