#include "api/server.h"

#include "api/request_auth.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>

#include <algorithm>
#include <cctype>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include "ledger/constants.h"

namespace api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// One connection: read a request, answer it, repeat while keep-alive. One request at a time per
// connection (pipelined requests wait in the socket buffer), so queues stay bounded by the
// number of connections. `Stream` is beast::tcp_stream, or an ssl_stream over one (TLS, after
// its handshake).
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  // A whole request must arrive within `timeout` (a client sending one byte a second is cut
  // off), and a response be taken within it.
  template <typename... StreamArgs>
  Session(Api* api, std::chrono::milliseconds timeout, StreamArgs&&... stream_args)
      : stream_(std::forward<StreamArgs>(stream_args)...), api_(api), timeout_(timeout) {}

  void Run() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        beast::get_lowest_layer(self->stream_).expires_after(self->timeout_);
        self->stream_.async_handshake(asio::ssl::stream_base::server, [self](beast::error_code ec) {
          if (ec) return;  // Not TLS, or no certificate it trusts: nothing to answer.
          self->Read();
        });
      } else {
        self->Read();
      }
    });
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  void Read() {
    parser_.emplace();
    parser_->body_limit(ledger::constants::http_body_bytes_max);
    parser_->header_limit(ledger::constants::http_header_bytes_max);
    beast::get_lowest_layer(stream_).expires_after(timeout_);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      keep_alive_ = false;
      return Write(Api::Problem(ledger::Status(ledger::Code::kTooLarge,
                                               "request body is larger than " +
                                                   std::to_string(ledger::constants::http_body_bytes_max) + " bytes")));
    }
    if (ec) return Close();
    http::request<http::string_body> request = parser_->release();
    keep_alive_ = request.keep_alive();
    version_ = request.version();
    HttpRequest call;
    call.method = std::string(request.method_string());
    call.target = std::string(request.target());
    call.body = std::move(request.body());
    for (const auto& field : request) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      if (!call.headers.emplace(name, std::string(field.value())).second && name.rfind("x-ledger-", 0) == 0) {
        return Write(Api::Problem(ledger::Status(ledger::Code::kMalformed, "header " + name + " is given twice")));
      }
    }
    beast::get_lowest_layer(stream_).expires_never();  // An append may wait for its batch.
    api_->Handle(std::move(call), [self = this->shared_from_this()](HttpResponse response) {
      asio::post(self->stream_.get_executor(),
                 [self, response = std::move(response)]() mutable { self->Write(std::move(response)); });
    });
  }

  void Write(HttpResponse answer) {
    response_ = {};
    response_.version(version_);
    response_.result(static_cast<http::status>(answer.status));
    response_.set(http::field::server, "ledgerd");
    response_.set(http::field::content_type, answer.content_type);
    for (const auto& [name, value] : answer.headers) response_.set(name, value);
    response_.keep_alive(keep_alive_);
    response_.body() = std::move(answer.body);
    response_.prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(timeout_);
    http::async_write(stream_, response_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || !self->keep_alive_) return self->Close();
      self->Read();
    });
  }

  void Close() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(timeout_);
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  Stream stream_;
  Api* api_;
  std::chrono::milliseconds timeout_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  bool keep_alive_ = false;
  unsigned version_ = 11;
};

}  // namespace

class Server::Impl {
 public:
  Impl(ledger::EventStore* store, ServerOptions options)
      : options_(std::move(options)),
        authenticator_(store->origin(), ledger::constants::request_skew_ms_max,
                       ledger::constants::replay_cache_entries_max),
        api_(store, options_.authenticate ? options_.authenticate
                                          : [this, store](const HttpRequest& request) { return Authenticate(store, request); }),
        acceptor_(asio::make_strand(io_)) {}

  // Checks the request's signature headers; only registered, unrevoked actors' signatures are
  // remembered in the replay cache (anyone else could fill it).
  ledger::Result<crypto::PublicKey> Authenticate(ledger::EventStore* store, const HttpRequest& request) {
    auto header = [&](std::string_view name) {
      std::string lower(name);
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      auto it = request.headers.find(lower);
      return it == request.headers.end() ? std::string() : it->second;
    };
    const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch()).count();
    return authenticator_.Check(request.method, request.target, request.body, header(kKeyHeader),
                                header(kTimestampHeader), header(kSignatureHeader), now,
                                [store](const crypto::PublicKey& key) {
                                  auto record = store->FindActor(key);
                                  if (record && !record->has_revoked_index()) return ledger::Status::Ok();
                                  return ledger::Status(ledger::Code::kUnknownSigner,
                                                        "the request's signing key is not a registered, unrevoked actor");
                                });
  }

  ledger::Status Start() {
    if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
      if (ledger::Status s = LoadTls(); !s.ok()) return s;
    }
    beast::error_code ec;
    auto address = asio::ip::make_address(options_.host, ec);
    if (ec) return ledger::Status(ledger::Code::kInvalidArgument, "bad listen host: " + ec.message());
    tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return ledger::Status(ledger::Code::kIOError, "listening on " + options_.host + ": " + ec.message());
    Accept();
    std::size_t threads = options_.threads ? options_.threads : std::max(1u, std::thread::hardware_concurrency());
    for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
    return ledger::Status::Ok();
  }

  // TLS 1.2 and 1.3 only, with the certificate chain and key from PEM files.
  ledger::Status LoadTls() {
    if (options_.tls_cert_file.empty() || options_.tls_key_file.empty()) {
      return ledger::Status(ledger::Code::kInvalidArgument, "TLS needs both a certificate and a key file");
    }
    tls_.emplace(asio::ssl::context::tls_server);
    tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                      asio::ssl::context::single_dh_use);
    beast::error_code ec;
    tls_->use_certificate_chain_file(options_.tls_cert_file, ec);
    if (ec) return ledger::Status(ledger::Code::kInvalidArgument, "TLS certificate " + options_.tls_cert_file + ": " + ec.message());
    tls_->use_private_key_file(options_.tls_key_file, asio::ssl::context::pem, ec);
    if (ec) return ledger::Status(ledger::Code::kInvalidArgument, "TLS key " + options_.tls_key_file + ": " + ec.message());
    return ledger::Status::Ok();
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  void Stop() {
    asio::post(acceptor_.get_executor(), [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
    });
    io_.stop();
    for (auto& thread : threads_) thread.join();
    threads_.clear();
  }

 private:
  void Accept() {
    acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;  // Closed.
      if (tls_) {
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(&api_, options_.io_timeout, std::move(socket), *tls_)
            ->Run();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(&api_, options_.io_timeout, std::move(socket))->Run();
      }
      Accept();
    });
  }

  ServerOptions options_;
  std::optional<asio::ssl::context> tls_;
  RequestAuthenticator authenticator_;
  Api api_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
};

Server::Server(ledger::EventStore* store, ServerOptions options)
    : impl_(std::make_unique<Impl>(store, std::move(options))) {}
Server::~Server() { Stop(); }
ledger::Status Server::Start() { return impl_->Start(); }
std::uint16_t Server::port() const { return impl_->port(); }
void Server::Stop() { impl_->Stop(); }

}  // namespace api
