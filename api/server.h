// The ledger's HTTP server (Boost.Beast). This first version serves the public, read-only
// transparency surface: /healthz, /checkpoint and /v1/log-key. The signed REST API (issue 4)
// grows from here.
//
// Server runs its own I/O threads; Start/Stop may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ledger/event_store.h"
#include "ledger/status.h"

namespace api {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::size_t threads = 0;  // 0 = one per core.
};

class Server {
 public:
  Server(ledger::EventStore* store, ServerOptions options);
  ~Server();
  // Binds and starts serving. kIOError if the address cannot be bound.
  ledger::Status Start();
  // The bound port (useful with port 0).
  std::uint16_t port() const;
  // Stops accepting, closes connections, joins the I/O threads. Idempotent.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace api
