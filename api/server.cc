#include "api/server.h"

#include "api/request_auth.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>

#include <algorithm>
#include <cctype>
#include <thread>
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
// number of connections.
class Session : public std::enable_shared_from_this<Session> {
 public:
  // A whole request must arrive within `timeout` (a client sending one byte a second is cut
  // off), and a response be taken within it.
  Session(tcp::socket socket, Api* api, std::chrono::milliseconds timeout)
      : stream_(std::move(socket)), api_(api), timeout_(timeout) {}
  void Run() { asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); }); }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(ledger::constants::http_body_bytes_max);
    parser_->header_limit(ledger::constants::http_header_bytes_max);
    stream_.expires_after(timeout_);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnRead(ec); });
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
    stream_.expires_never();  // An append may wait for its batch; the answer comes back below.
    api_->Handle(std::move(call), [self = shared_from_this()](HttpResponse response) {
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
    stream_.expires_after(timeout_);
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || !self->keep_alive_) return self->Close();
      self->Read();
    });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
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
                                  const std::string bytes(crypto::AsBytes(key));
                                  for (const auto& record : store->Actors()) {
                                    if (record.actor().public_key() == bytes && !record.has_revoked_index()) {
                                      return ledger::Status::Ok();
                                    }
                                  }
                                  return ledger::Status(ledger::Code::kUnknownSigner,
                                                        "the request's signing key is not a registered, unrevoked actor");
                                });
  }

  ledger::Status Start() {
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
      std::make_shared<Session>(std::move(socket), &api_, options_.io_timeout)->Run();
      Accept();
    });
  }

  ServerOptions options_;
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
