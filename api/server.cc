#include "api/server.h"

#include "api/request_auth.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include "ledger/constants.h"
#include "replay/verifier.h"

namespace api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// What the server's sessions share: whether it is shutting down, and how many requests are in
// flight (read, not yet answered on the wire), so Stop can wait for them.
class Drain {
 public:
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  void Begin() { stopping_.store(true, std::memory_order_release); }
  void Started() {
    std::lock_guard lock(mu_);
    ++in_flight_;
  }
  void Finished() {
    std::lock_guard lock(mu_);
    if (--in_flight_ == 0) idle_.notify_all();
  }
  // True if every request in flight was answered before `deadline`.
  bool WaitIdle(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mu_);
    return idle_.wait_until(lock, deadline, [this] { return in_flight_ == 0; });
  }
  // A call into the Api whose callback has not finished yet (an append waits in the store).
  void CallStarted() {
    std::lock_guard lock(mu_);
    ++calls_;
  }
  // The callback's last touch of the server.
  void CallFinished() {
    std::lock_guard lock(mu_);
    if (--calls_ == 0) idle_.notify_all();
  }
  // Waits, without a deadline, until every callback has run: the store runs each one (with the
  // receipt, or with the refusal if it is closing), and none may outlive the io_context.
  void WaitCallsDone() {
    std::unique_lock lock(mu_);
    idle_.wait(lock, [this] { return calls_ == 0; });
  }

 private:
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable idle_;  // in_flight_ or calls_ reached zero.
  std::size_t in_flight_ = 0;
  std::size_t calls_ = 0;
};

// One connection. Requests are read one after another (HTTP/1.1 pipelining) while fewer than
// http_pipeline_max, holding under http_pipeline_bytes_max of bodies, wait for their answers;
// answers are written in request order as they become ready. `Stream` is beast::tcp_stream, or
// an ssl_stream over one (TLS, after its handshake); a read and a write may be outstanding at
// once, never two of either.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  // A whole request must arrive within `timeout` (a client sending one byte a second is cut
  // off), and a response be taken within it.
  template <typename... StreamArgs>
  Session(Api* api, Drain* drain, std::chrono::milliseconds timeout, StreamArgs&&... stream_args)
      : stream_(std::forward<StreamArgs>(stream_args)...),
        api_(api),
        drain_(drain),
        timeout_(timeout),
        read_deadline_(stream_.get_executor()) {}

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

  // A request read and not yet answered on the wire, in request order.
  struct Slot {
    std::optional<HttpResponse> answer;
    std::size_t body_bytes = 0;
    unsigned version = 11;
    bool keep_alive = false;
  };

  bool MayReadMore() const {
    return !reading_ && !read_closed_ && slots_.size() < ledger::constants::http_pipeline_max &&
           body_bytes_ < ledger::constants::http_pipeline_bytes_max;
  }

  void Read() {
    if (!MayReadMore()) return;
    reading_ = true;
    parser_.emplace();
    parser_->body_limit(ledger::constants::http_body_bytes_max);
    parser_->header_limit(ledger::constants::http_header_bytes_max);
    // The stream's own timer is for writes; reads have the session's deadline, which runs only
    // while no request waits for its answer (waiting for an append is not the client's delay).
    beast::get_lowest_layer(stream_).expires_never();
    if (slots_.empty()) ArmReadDeadline();
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    reading_ = false;
    DisarmReadDeadline();
    if (abandoned_) return;
    if (ec == http::error::body_limit) {
      read_closed_ = true;  // The rest of the body is still on the wire: answer, then close.
      return Answer(Push(0, parser_->get().version(), false), Api::Problem(ledger::Status(ledger::Code::kTooLarge,
                                                                    "request body is larger than " +
                                                                        std::to_string(ledger::constants::http_body_bytes_max) +
                                                                        " bytes")));
    }
    if (ec) {
      read_closed_ = true;  // End of stream or timeout: write what is pending, then close.
      if (slots_.empty()) Close();
      return;
    }
    http::request<http::string_body> request = parser_->release();
    const bool keep_alive = request.keep_alive() && !drain_->stopping();
    if (!keep_alive) read_closed_ = true;
    HttpRequest call;
    call.method = std::string(request.method_string());
    call.target = std::string(request.target());
    call.body = std::move(request.body());
    const std::uint64_t seq = Push(call.body.size(), request.version(), keep_alive);
    for (const auto& field : request) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      if (!call.headers.emplace(name, std::string(field.value())).second && name.rfind("x-ledger-", 0) == 0) {
        Answer(seq, Api::Problem(ledger::Status(ledger::Code::kMalformed, "header " + name + " is given twice")));
        return Read();
      }
    }
    if (drain_->stopping()) {
      HttpResponse busy = Api::Problem(ledger::Status(ledger::Code::kUnavailable, "the server is shutting down"));
      busy.headers.emplace_back("Retry-After", "1");
      return Answer(seq, std::move(busy));
    }
    // A handler that answers at once (reads) answers on this thread, inside Handle: no hand-off.
    // Appends answer later from the store's threads, through the connection's strand.
    handling_thread_.store(std::this_thread::get_id(), std::memory_order_relaxed);
    // An append's callback runs on the store's thread and may be its last to touch the server:
    // it gives its reference to the session away to the posted answer, and counts as a call
    // until it has let go of the strand too. Stop waits for every call (Drain::WaitCallsDone),
    // however long the store takes, before the io_context (which ~Session and the strand need)
    // is destroyed.
    drain_->CallStarted();
    api_->Handle(std::move(call), [self = this->shared_from_this(), seq](HttpResponse response) mutable {
      std::shared_ptr<Session> session = std::move(self);
      Drain* drain = session->drain_;
      if (session->handling_thread_.load(std::memory_order_relaxed) == std::this_thread::get_id()) {
        session->Answer(seq, std::move(response));
        return drain->CallFinished();
      }
      {
        auto executor = session->stream_.get_executor();
        asio::post(executor, [session = std::move(session), seq, response = std::move(response)]() mutable {
          session->Answer(seq, std::move(response));
        });
      }
      drain->CallFinished();
    });
    handling_thread_.store(std::thread::id(), std::memory_order_relaxed);
    Read();
  }

  // Queues a slot for a request just read; returns its sequence number.
  std::uint64_t Push(std::size_t body_bytes, unsigned version, bool keep_alive) {
    drain_->Started();
    slots_.push_back(Slot{std::nullopt, body_bytes, version, keep_alive});
    body_bytes_ += body_bytes;
    return first_seq_ + slots_.size() - 1;
  }

  void Answer(std::uint64_t seq, HttpResponse answer) {
    if (abandoned_) return;  // The connection is gone; its slots were released.
    slots_[seq - first_seq_].answer = std::move(answer);
    WriteNext();
  }

  // Writes the oldest answer if it is ready and no write is outstanding.
  // Writes every ready answer at the front, in order, in one write: pipelined answers that are
  // ready together cost one send.
  void WriteNext() {
    if (writing_ || slots_.empty() || !slots_.front().answer) return;
    writing_ = true;
    wire_.clear();
    writing_count_ = 0;
    for (Slot& slot : slots_) {
      if (!slot.answer) break;
      Serialize(slot, &wire_);
      ++writing_count_;
      if (!slot.keep_alive) break;  // Nothing after the last answer of the connection.
    }
    beast::get_lowest_layer(stream_).expires_after(timeout_);
    asio::async_write(stream_, asio::buffer(wire_), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      self->OnWrite(ec);
    });
  }

  // An HTTP/1.x response with a Content-Length body. The header fields are the server's own and
  // the handlers' (fixed names, values without line breaks), so no field needs escaping.
  static void Serialize(Slot& slot, std::string* out) {
    HttpResponse& answer = *slot.answer;
    const auto status = static_cast<http::status>(answer.status);
    out->append(slot.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
    const beast::string_view reason = http::obsolete_reason(status);
    out->append(std::to_string(answer.status)).append(" ").append(reason.data(), reason.size()).append("\r\n");
    out->append("Server: ledgerd\r\nContent-Type: ").append(answer.content_type).append("\r\n");
    for (const auto& [name, value] : answer.headers) out->append(name).append(": ").append(value).append("\r\n");
    out->append("Content-Length: ").append(std::to_string(answer.body.size())).append("\r\n");
    if (slot.version == 10 && slot.keep_alive) out->append("Connection: keep-alive\r\n");
    if (slot.version != 10 && !slot.keep_alive) out->append("Connection: close\r\n");
    out->append("\r\n").append(answer.body);
    answer = {};
  }

  void OnWrite(beast::error_code ec) {
    writing_ = false;
    bool keep_alive = true;
    for (std::size_t i = 0; i < writing_count_; ++i) {
      keep_alive = slots_.front().keep_alive;
      body_bytes_ -= slots_.front().body_bytes;
      slots_.pop_front();
      ++first_seq_;
      drain_->Finished();
    }
    wire_.clear();
    if (wire_.capacity() > kWireKeepBytes) wire_.shrink_to_fit();  // A roster's receipts: let go.
    if (ec || !keep_alive) {
      read_closed_ = true;
      return Abandon();
    }
    if (slots_.empty() && read_closed_) return Close();
    if (slots_.empty() && reading_) ArmReadDeadline();  // The next request is the client's to send.
    Read();
    WriteNext();
  }

  // The connection is done: answers still pending are never written; release their slots as
  // they arrive so Stop does not wait for them.
  void Abandon() {
    abandoned_ = true;
    for (std::size_t i = 0; i < slots_.size(); ++i) drain_->Finished();
    slots_.clear();
    Close();
  }

  // A request must arrive whole within `timeout_` of the read deadline being armed; otherwise
  // the socket is closed, and the outstanding read fails.
  void ArmReadDeadline() {
    const std::uint64_t generation = ++deadline_generation_;
    read_deadline_.expires_after(timeout_);
    read_deadline_.async_wait([self = this->shared_from_this(), generation](beast::error_code ec) {
      if (ec || generation != self->deadline_generation_) return;  // Disarmed or re-armed.
      beast::error_code ignored;
      beast::get_lowest_layer(self->stream_).socket().close(ignored);
    });
  }
  void DisarmReadDeadline() {
    ++deadline_generation_;
    read_deadline_.cancel();
  }

  void Close() {
    DisarmReadDeadline();
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
  Drain* drain_;
  std::chrono::milliseconds timeout_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string wire_;  // The answers being written.
  std::size_t writing_count_ = 0;  // Slots at the front whose answers wire_ holds.
  static constexpr std::size_t kWireKeepBytes = 64 << 10;
  std::deque<Slot> slots_;
  std::uint64_t first_seq_ = 0;  // Sequence number of slots_.front().
  std::size_t body_bytes_ = 0;   // Request bodies of the slots.
  bool reading_ = false;
  bool writing_ = false;
  bool read_closed_ = false;  // No more requests will be read.
  bool abandoned_ = false;
  // The thread inside Api::Handle for this connection, while it is; else a default id.
  std::atomic<std::thread::id> handling_thread_{};
  asio::steady_timer read_deadline_;
  std::uint64_t deadline_generation_ = 0;
};

}  // namespace

class Server::Impl {
 public:
  Impl(ledger::EventStore* store, ServerOptions options)
      : options_(std::move(options)),
        store_(store),
        authenticator_(store->origin(), ledger::constants::request_skew_ms_max,
                       ledger::constants::replay_cache_entries_max),
        api_(store, options_.authenticate ? options_.authenticate
                                          : [this, store](const HttpRequest& request) { return Authenticate(store, request); },
             options_.vault),
        acceptor_(asio::make_strand(io_)) {
    api_.SetWitnesses(options_.witnesses);
  }

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
    if (options_.verify_log) StartVerification(store_);
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

  // Verifies the stored log up to its checkpoint at start, on its own thread, reporting into the
  // metrics; the store's own log key is the key it trusts.
  void StartVerification(ledger::EventStore* store) {
    Metrics& metrics = api_.metrics();
    metrics.SetVerifyProgress(0, store->size());
    metrics.SetVerifyState(Metrics::VerifyState::kRunning);
    replay::VerifyOptions verify;
    verify.data_dir = options_.data_dir;
    verify.log_key = store->log_key();
    verify.threads = ledger::constants::background_verify_threads;
    verify.progress = [&metrics](std::uint64_t done, std::uint64_t total) { metrics.SetVerifyProgress(done, total); };
    verify.stop_requested = [this] { return stop_verification_.load(std::memory_order_relaxed); };
    verifier_ = std::thread([&metrics, verify = std::move(verify)] {
      auto report = replay::VerifyLog(verify);
      if (!report.ok()) {
        std::cerr << "ledgerd: background verification could not read the log: " << report.status().ToString() << "\n";
        return metrics.SetVerifyState(Metrics::VerifyState::kFailed, 0);
      }
      // Entries stored after the checkpoint (signed at most once a second) are verified too.
      metrics.SetVerifyProgress(report->entries_verified,
                                std::max(report->entries_verified, report->checkpoint_size));
      if (report->ok()) return metrics.SetVerifyState(Metrics::VerifyState::kPassed);
      if (report->problem.code() == ledger::Code::kUnavailable && !report->first_bad_index) {
        return metrics.SetVerifyState(Metrics::VerifyState::kStopped);
      }
      const std::uint64_t bad = report->first_bad_index.value_or(report->entries_verified);
      std::cerr << "ledgerd: THE STORED LOG FAILED VERIFICATION at entry " << bad << ": "
                << report->problem.ToString() << "\n";
      metrics.SetVerifyState(Metrics::VerifyState::kFailed, bad);
    });
  }

  // Stops accepting, answers the requests in flight (new requests on open connections get 503),
  // waits up to http_drain_seconds for those answers to be written, then closes everything.
  void Stop() {
    drain_.Begin();
    asio::post(acceptor_.get_executor(), [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
    });
    if (!threads_.empty()) {
      drain_.WaitIdle(std::chrono::steady_clock::now() + std::chrono::seconds(ledger::constants::http_drain_seconds));
    }
    // Answers not written by now are dropped with their connections, but an append still in the
    // store will call back into a session, its strand and the drain: wait for it, so that no
    // callback outlives the server (the store answers every accepted append, even when closing).
    drain_.WaitCallsDone();
    io_.stop();
    for (auto& thread : threads_) thread.join();
    threads_.clear();
    stop_verification_.store(true);
    if (verifier_.joinable()) verifier_.join();
  }

 private:
  void Accept() {
    acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;  // Closed.
      // Answers go out as soon as they are written: with Nagle's algorithm on, an answer written
      // while the last one was unacknowledged waited for the client's delayed ACK (40 ms on
      // Linux), and pipelined appends over HTTP took 50 ms at p50 with the machine half idle.
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);  // Best effort: only latency depends on it.
      if (tls_) {
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(&api_, &drain_, options_.io_timeout, std::move(socket), *tls_)
            ->Run();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(&api_, &drain_, options_.io_timeout, std::move(socket))->Run();
      }
      Accept();
    });
  }

  ServerOptions options_;
  ledger::EventStore* store_;
  Drain drain_;
  std::thread verifier_;
  std::atomic<bool> stop_verification_{false};
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
