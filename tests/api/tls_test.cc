// HTTPS end to end: a self-signed certificate made for the test, the server on loopback, a client
// that trusts only that certificate.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <cstdio>

#include "api/request_auth.h"
#include "api/server.h"
#include "tests/test_ledger.h"
#include "tests/tls_certificate.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using testing_ledger::MakeCertificate;
using testing_ledger::TempDir;
using testing_ledger::TestLedger;

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auditor_ = ledger_.Register("auditor", ledger::v1::ROLE_AUDITOR);
    cert_ = certs_.path() + "/cert.pem";
    ASSERT_TRUE(MakeCertificate(cert_, certs_.path() + "/key.pem"));
    api::ServerOptions options;
    options.port = 0;
    options.threads = 2;
    options.tls_cert_file = cert_;
    options.tls_key_file = certs_.path() + "/key.pem";
    server_ = std::make_unique<api::Server>(&ledger_.store(), options);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override { server_->Stop(); }

  // GET over TLS, trusting only the test's certificate; status 0 when the handshake fails.
  int Get(const std::string& target, const crypto::SecretKey* key, std::string* body, bool trust = true) {
    asio::io_context io;
    asio::ssl::context tls(asio::ssl::context::tls_client);
    if (trust) tls.load_verify_file(cert_);
    tls.set_verify_mode(asio::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(io, tls);
    beast::get_lowest_layer(stream).connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    beast::error_code ec;
    stream.handshake(asio::ssl::stream_base::client, ec);
    if (ec) return 0;
    http::request<http::string_body> request{http::verb::get, target, 11};
    request.set(http::field::host, "127.0.0.1");
    if (key != nullptr) {
      const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch()).count();
      auto signature = api::SignRequest(*key, testing_ledger::kOrigin, "GET", target, now, "");
      request.set(std::string(api::kKeyHeader), signature.key_b64);
      request.set(std::string(api::kTimestampHeader), signature.timestamp);
      request.set(std::string(api::kSignatureHeader), signature.signature_b64);
    }
    request.prepare_payload();
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    *body = response.body();
    return static_cast<int>(response.result_int());
  }

  TestLedger ledger_;
  TempDir certs_;
  std::string cert_;
  crypto::SecretKey auditor_ = crypto::SecretKey::Generate();
  std::unique_ptr<api::Server> server_;
};

TEST_F(TlsTest, ServesHealthOverTls) {
  std::string body;
  EXPECT_EQ(Get("/healthz", nullptr, &body), 200);
  EXPECT_EQ(body, "ok\n");
}

TEST_F(TlsTest, ServesSignedRequestsOverTls) {
  std::string body;
  EXPECT_EQ(Get("/v1/actors", &auditor_, &body), 200);
  EXPECT_NE(body.find("\"auditor\""), std::string::npos) << body;
}

TEST_F(TlsTest, AClientThatDoesNotTrustTheCertificateGetsNoAnswer) {
  std::string body;
  EXPECT_EQ(Get("/healthz", nullptr, &body, false), 0);
}

TEST_F(TlsTest, PlainHttpToTheTlsPortGetsNoAnswer) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  http::request<http::string_body> request{http::verb::get, "/healthz", 11};
  request.prepare_payload();
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  beast::error_code ec;
  http::read(stream, buffer, response, ec);
  EXPECT_TRUE(ec) << "a plain HTTP answer came back: " << response.result_int();
}

}  // namespace
