// The ledger's HTTP server (Boost.Beast): asynchronous connections on a pool of I/O threads,
// each request read whole under a timeout and a body limit, then answered by api::Api
// (api/handlers.h), whose route table says who may call what. A connection may pipeline up to
// constants::http_pipeline_max requests; answers leave in request order. docs/api.md.
//
// Server runs its own I/O threads; Start/Stop may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "api/handlers.h"
#include "ledger/constants.h"
#include "ledger/event_store.h"
#include "ledger/status.h"

namespace api {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::size_t threads = 0;  // 0 = one per core.
  // A request must arrive whole, and a response be taken, within this time.
  std::chrono::milliseconds io_timeout{ledger::constants::http_io_timeout_seconds * 1000};
  // HTTPS when both are set: PEM certificate chain and private key (TLS 1.2 or 1.3).
  std::string tls_cert_file;
  std::string tls_key_file;
  // Checks a signed request's headers; unset: the scheme of api/request_auth.h against the
  // store's actors, with a replay cache.
  Authenticate authenticate;
  // The ledger's personal-data vault (ledger/vault.h), for /v1/persons; null serves none.
  ledger::Vault* vault = nullptr;
  // Verify the whole stored log in the background from Start (replay/verifier.h, on
  // constants::background_verify_threads), with its progress in /metrics; a failure makes
  // /readyz answer 503. Stop interrupts it.
  bool verify_log = false;
  std::string data_dir;  // The store's data directory; needed by verify_log.
  // Witness cosignatures appended to GET /checkpoint (api/witness_submitter.h); null: none.
  // The caller starts and stops the submitter; it outlives the Server.
  const WitnessSubmitter* witnesses = nullptr;
};

class Server {
 public:
  Server(ledger::EventStore* store, ServerOptions options);
  ~Server();
  // Binds and starts serving. kIOError if the address cannot be bound.
  ledger::Status Start();
  // The bound port (useful with port 0).
  std::uint16_t port() const;
  // Stops accepting; answers the requests already read (appends once durable; later requests get
  // 503), waiting at most constants::http_drain_seconds for the answers to be written; then waits
  // for every append still in the store to call back (the store always does, if only to refuse
  // it when closing), closes connections, joins the I/O threads. Idempotent.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace api
