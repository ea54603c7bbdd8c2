// HTTPS end to end: a self-signed certificate made for the test, the server on loopback, a client
// that trusts only that certificate.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

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

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using testing_ledger::TempDir;
using testing_ledger::TestLedger;

// Writes a P-256 key and a self-signed certificate for 127.0.0.1 (CN and IP SAN) as PEM files.
bool MakeCertificate(const std::string& cert_path, const std::string& key_path) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  bool ok = key != nullptr && cert != nullptr;
  if (ok) {
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "IP:127.0.0.1");
    ok = san != nullptr && X509_add_ext(cert, san, -1) == 1 && X509_sign(cert, key, EVP_sha256()) > 0;
    X509_EXTENSION_free(san);
  }
  if (ok) {
    FILE* cert_file = std::fopen(cert_path.c_str(), "w");
    FILE* key_file = std::fopen(key_path.c_str(), "w");
    ok = cert_file && key_file && PEM_write_X509(cert_file, cert) == 1 &&
         PEM_write_PrivateKey(key_file, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    if (cert_file) std::fclose(cert_file);
    if (key_file) std::fclose(key_file);
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return ok;
}

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
