// ledgerd's background verification of its stored log (ServerOptions::verify_log): progress and
// outcome in /metrics, and /readyz refusing a log that failed.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <string>

#include "api/server.h"
#include "tests/insider.h"
#include "tests/test_ledger.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using testing_ledger::Insider;
using testing_ledger::TestLedger;

constexpr int kDocuments = 20;

class VerificationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < kDocuments; ++i) {
      ledger::v1::Event event = TestLedger::NewEvent("doc-" + std::to_string(i));
      event.mutable_document_filed()->set_document_number("巴财社〔2025〕" + std::to_string(i) + "号");
      event.mutable_document_filed()->set_sha256(std::string(32, 'd'));
      ASSERT_TRUE(ledger_.Append(event, ledger_.admin()).ok());
    }
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  void Serve() {
    api::ServerOptions options;
    options.port = 0;
    options.threads = 2;
    options.verify_log = true;
    options.data_dir = ledger_.dir();
    server_ = std::make_unique<api::Server>(&ledger_.store(), options);
    ASSERT_TRUE(server_->Start().ok());
  }
  std::pair<int, std::string> Get(const std::string& target) {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    http::request<http::empty_body> request{http::verb::get, target, 11};
    request.set(http::field::host, "127.0.0.1");
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    return {static_cast<int>(response.result_int()), response.body()};
  }
  // The metrics once the verification is no longer running (polled; it ends in well under the
  // guard's time on 21 entries).
  std::string MetricsWhenDone() {
    const auto guard = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    std::string metrics;
    do {
      metrics = Get("/metrics").second;
    } while (metrics.find("ledger_verification_state{state=\"running\"} 1") != std::string::npos &&
             std::chrono::steady_clock::now() < guard);
    return metrics;
  }
  static bool Has(const std::string& metrics, const std::string& line) {
    return metrics.find("\n" + line + "\n") != std::string::npos;
  }

  TestLedger ledger_;
  std::unique_ptr<api::Server> server_;
};

TEST_F(VerificationTest, AnIntactLogPassesWithEveryEntryCounted) {
  Serve();
  const std::string metrics = MetricsWhenDone();
  const std::string size = std::to_string(kDocuments + 1);
  EXPECT_TRUE(Has(metrics, "ledger_verification_state{state=\"passed\"} 1")) << metrics;
  EXPECT_TRUE(Has(metrics, "ledger_verification_entries_verified " + size)) << metrics;
  EXPECT_TRUE(Has(metrics, "ledger_verification_entries_total " + size)) << metrics;
  EXPECT_EQ(Get("/readyz").first, 200);
}

TEST_F(VerificationTest, ARewrittenEntryFailsAtItsIndexAndTheServerIsNotReady) {
  ledger_.Close();
  {
    Insider insider(ledger_.dir());
    ledger::v1::LogEntry entry = insider.Read(7);
    entry.set_sequenced_ms(entry.sequenced_ms() + 1);  // Entry 8 no longer links to it.
    insider.Write(7, entry);
  }
  ledger_.Open();
  Serve();
  const std::string metrics = MetricsWhenDone();
  EXPECT_TRUE(Has(metrics, "ledger_verification_state{state=\"failed\"} 1")) << metrics;
  EXPECT_TRUE(Has(metrics, "ledger_verification_first_bad_index 7")) << metrics;
  auto [status, body] = Get("/readyz");
  EXPECT_EQ(status, 503);
  EXPECT_NE(body.find("the stored log failed verification at entry 7"), std::string::npos) << body;
}

TEST_F(VerificationTest, WithoutVerificationTheStateIsNotRun) {
  api::ServerOptions options;
  options.port = 0;
  server_ = std::make_unique<api::Server>(&ledger_.store(), options);
  ASSERT_TRUE(server_->Start().ok());
  EXPECT_TRUE(Has(Get("/metrics").second, "ledger_verification_state{state=\"not_run\"} 1"));
}

}  // namespace
