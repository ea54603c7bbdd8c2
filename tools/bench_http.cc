#include "tools/bench_http.h"

#include <pthread.h>
#include <sys/resource.h>
#include <time.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <chrono>
#include <latch>
#include <mutex>
#include <thread>

#include "api/request_auth.h"
#include "ledger/constants.h"

namespace tools {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using ledger::Code;
using ledger::Status;

constexpr std::chrono::seconds kTimeout{ledger::constants::http_client_timeout_seconds};
// How much of an unexpected answer's body an error quotes.
constexpr std::size_t kQuotedBodyBytesMax = 300;

// Runs the asynchronous operation `start` begins to completion on `io` and returns its error
// (Beast's stream timeouts apply to asynchronous operations only).
template <typename Start>
beast::error_code Complete(asio::io_context& io, Start start) {
  beast::error_code result = asio::error::would_block;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  return result;
}

// One client connection and what it measured.
struct Client {
  asio::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  std::vector<double> latencies_ms;
  double cpu_seconds = 0;
  bool ran_out = false;
  Status failure;

  // Sends `requests` in batches of `pipeline`, reading each batch's answers in order, until
  // all are sent or `deadline` passes.
  void Run(const std::vector<std::string>& requests, const HttpLoadOptions& options, Clock::time_point deadline) {
    const double cpu_start = ThreadCpuSeconds();
    std::string batch;
    std::size_t next = 0;
    while (next < requests.size() && failure.ok()) {
      if (options.seconds > 0 && Clock::now() >= deadline) break;
      const std::size_t end = std::min(requests.size(), next + options.pipeline);
      batch.clear();
      for (std::size_t i = next; i < end; ++i) batch += requests[i];
      const auto written_at = Clock::now();
      stream.expires_after(kTimeout);
      beast::error_code ec =
          Complete(io, [&](auto handler) { asio::async_write(stream, asio::buffer(batch), std::move(handler)); });
      if (ec) {
        failure = Status(Code::kIOError, "HTTP client: writing requests: " + ec.message());
        break;
      }
      for (std::size_t i = next; i < end && failure.ok(); ++i) ReadAnswer(options.expected_status, written_at);
      next = end;
    }
    ran_out = options.seconds > 0 && next == requests.size() && Clock::now() < deadline;
    cpu_seconds = ThreadCpuSeconds() - cpu_start;
  }

  void ReadAnswer(int expected_status, Clock::time_point written_at) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(ledger::constants::http_client_response_bytes_max);
    stream.expires_after(kTimeout);
    beast::error_code ec =
        Complete(io, [&](auto handler) { http::async_read(stream, buffer, parser, std::move(handler)); });
    if (ec) {
      failure = Status(Code::kIOError, "HTTP client: reading an answer: " + ec.message());
      return;
    }
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - written_at).count());
    const auto& response = parser.get();
    if (static_cast<int>(response.result_int()) != expected_status) {
      failure = Status(Code::kIOError, "HTTP " + std::to_string(response.result_int()) + " where " +
                                           std::to_string(expected_status) + " was expected: " +
                                           response.body().substr(0, kQuotedBodyBytesMax));
    }
  }
};

}  // namespace

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

std::string SignedRequestBytes(const crypto::SecretKey& key, std::string_view origin, std::string_view host,
                               std::string_view method, std::string_view target, std::int64_t timestamp_ms,
                               std::string_view body) {
  const api::RequestSignature signature = api::SignRequest(key, origin, method, target, timestamp_ms, body);
  std::string bytes;
  bytes.reserve(256 + target.size() + body.size());
  bytes.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(host);
  bytes.append("\r\nUser-Agent: ledgerctl-bench\r\n");
  bytes.append(api::kKeyHeader).append(": ").append(signature.key_b64).append("\r\n");
  bytes.append(api::kTimestampHeader).append(": ").append(signature.timestamp).append("\r\n");
  bytes.append(api::kSignatureHeader).append(": ").append(signature.signature_b64).append("\r\n");
  if (!body.empty()) bytes.append("Content-Type: application/json\r\n");
  bytes.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n").append(body);
  return bytes;
}

ledger::Result<HttpLoadResult> RunHttpLoad(const HttpLoadOptions& options,
                                           std::vector<std::vector<std::string>> requests) {
  if (options.pipeline == 0 || options.pipeline > kHttpPipelineMax || requests.empty() ||
      requests.size() > kHttpConnectionsMax) {
    return Status(Code::kInvalidArgument, "pipeline depth 1 to " + std::to_string(kHttpPipelineMax) + ", 1 to " +
                                              std::to_string(kHttpConnectionsMax) + " connections");
  }
  std::vector<std::unique_ptr<Client>> clients;
  {
    asio::io_context io;
    tcp::resolver resolver(io);
    beast::error_code ec;
    const auto endpoints = resolver.resolve(options.host, options.port, ec);
    if (ec) return Status(Code::kUnavailable, "cannot resolve " + options.host + ": " + ec.message());
    for (std::size_t c = 0; c < requests.size(); ++c) {
      clients.push_back(std::make_unique<Client>());
      Client& client = *clients.back();
      client.stream.expires_after(kTimeout);
      ec = Complete(client.io, [&](auto handler) { client.stream.async_connect(endpoints, std::move(handler)); });
      if (ec) {
        return Status(Code::kUnavailable, "cannot connect to " + options.host + ":" + options.port + ": " + ec.message());
      }
      client.stream.socket().set_option(tcp::no_delay(true), ec);
    }
  }
  std::latch ready(static_cast<std::ptrdiff_t>(clients.size()) + 1);
  Clock::time_point deadline;
  std::vector<std::thread> threads;
  for (std::size_t c = 0; c < clients.size(); ++c) {
    threads.emplace_back([&, c] {
      pthread_setname_np(pthread_self(), "bench-http");
      ready.arrive_and_wait();
      clients[c]->Run(requests[c], options, deadline);
    });
  }
  const double cpu_before = ProcessCpuSeconds();
  const auto start = Clock::now();
  deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.seconds));
  ready.arrive_and_wait();  // `deadline` is written before any client reads it.
  for (auto& thread : threads) thread.join();
  HttpLoadResult result;
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.process_cpu_seconds = ProcessCpuSeconds() - cpu_before;
  for (auto& client : clients) {
    if (!client->failure.ok()) return client->failure;
    result.answered += client->latencies_ms.size();
    result.latencies_ms.insert(result.latencies_ms.end(), client->latencies_ms.begin(), client->latencies_ms.end());
    result.client_cpu_seconds += client->cpu_seconds;
    result.ran_out = result.ran_out || client->ran_out;
  }
  return result;
}

}  // namespace tools
