#include "api/server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>

#include <thread>
#include <vector>

#include "ledger/constants.h"

namespace api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kIoTimeout = std::chrono::seconds(30);
constexpr std::size_t kRequestBodyMax = 64 * 1024;

http::response<http::string_body> Respond(const http::request<http::string_body>& request,
                                          ledger::EventStore* store) {
  http::response<http::string_body> response{http::status::ok, request.version()};
  response.set(http::field::server, "ledgerd");
  response.set(http::field::content_type, "text/plain; charset=utf-8");
  response.keep_alive(request.keep_alive());
  const std::string target(request.target());
  if (request.method() != http::verb::get) {
    response.result(http::status::method_not_allowed);
    response.body() = "only GET is served here\n";
  } else if (target == "/healthz") {
    response.body() = "ok\n";
  } else if (target == "/checkpoint") {
    response.body() = store->checkpoint();
  } else if (target == "/v1/log-key") {
    response.body() = crypto::FormatVerifierKey(store->log_key().name, store->log_key().key) + "\n";
  } else {
    response.result(http::status::not_found);
    response.body() = "not found\n";
  }
  response.prepare_payload();
  return response;
}

// One connection: read a request, answer it, repeat while keep-alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ledger::EventStore* store) : stream_(std::move(socket)), store_(store) {}
  void Run() { asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); }); }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(kRequestBodyMax);
    stream_.expires_after(kIoTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnRead(ec); });
  }
  void OnRead(beast::error_code ec) {
    if (ec) return Close();
    response_ = Respond(parser_->get(), store_);
    stream_.expires_after(kIoTimeout);
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code wec, std::size_t) {
      if (wec || !self->response_.keep_alive()) return self->Close();
      self->Read();
    });
  }
  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  ledger::EventStore* store_;
};

}  // namespace

class Server::Impl {
 public:
  Impl(ledger::EventStore* store, ServerOptions options)
      : store_(store), options_(std::move(options)), acceptor_(asio::make_strand(io_)) {}

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
      std::make_shared<Session>(std::move(socket), store_)->Run();
      Accept();
    });
  }

  ledger::EventStore* store_;
  ServerOptions options_;
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
