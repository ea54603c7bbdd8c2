// The HTTP load of `ledgerctl bench`: requests signed before the timed phase, sent to one
// ledgerd over keep-alive connections (optionally pipelined), with each answer's latency and the
// clients' own CPU time. Used against ledgerd's server started in the bench's process and against
// a running ledgerd (`bench --server`). docs/bench.md.
//
// RunHttpLoad runs one thread per connection; the functions are otherwise not synchronised.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/signing.h"
#include "ledger/status.h"

namespace tools {

// Requests one connection may have written before reading their answers (`--pipeline`). The
// client writes the whole batch before reading, so the batch (about 700 bytes a request) and its
// answers must fit the sockets' buffers; 64 keeps both far below the kernel's default 128 KiB.
inline constexpr std::size_t kHttpPipelineMax = 64;
// Connections of one load (`--connections`): one client thread each.
inline constexpr std::size_t kHttpConnectionsMax = 1024;

// The exact bytes of one HTTP/1.1 keep-alive request signed by `key` for the ledger `origin` at
// `timestamp_ms` (api/request_auth.h). `host` is the Host header's value.
std::string SignedRequestBytes(const crypto::SecretKey& key, std::string_view origin, std::string_view host,
                               std::string_view method, std::string_view target, std::int64_t timestamp_ms,
                               std::string_view body);

struct HttpLoadOptions {
  std::string host;  // An IP address or a name, and the port, of the server.
  std::string port;
  std::size_t pipeline = 1;  // 1..kHttpPipelineMax requests written back to back per batch.
  int expected_status = 200;  // Any other answer ends the load with an error.
  // > 0: a connection sends no new batch after this many seconds from the start; 0: every
  // request is sent.
  double seconds = 0;
};

struct HttpLoadResult {
  std::uint64_t answered = 0;  // Answers with the expected status.
  double seconds = 0;          // Wall time from the first write to the last answer.
  // From the write of a request's batch to the read of its answer (so with pipelining it
  // includes waiting behind the requests before it in the batch).
  std::vector<double> latencies_ms;
  double client_cpu_seconds = 0;   // The client threads' CPU time, summed.
  double process_cpu_seconds = 0;  // getrusage(RUSAGE_SELF) over the same wall time.
  // `seconds` was given and some connection sent all its requests before the time was up.
  bool ran_out = false;
};

// Connects one client per element of `requests` (all connected before the clock starts), then
// each sends its requests in order in batches of `pipeline` and reads the batch's answers in
// order. Errors: kUnavailable if a connection cannot be made; kIOError if a connection fails
// midway, an answer does not parse, a step takes over constants::http_client_timeout_seconds, or
// an answer's status is not the expected one (the message quotes it).
ledger::Result<HttpLoadResult> RunHttpLoad(const HttpLoadOptions& options,
                                           std::vector<std::vector<std::string>> requests);

// CPU time of the calling thread, and of the whole process (user + system), in seconds.
double ThreadCpuSeconds();
double ProcessCpuSeconds();

}  // namespace tools
