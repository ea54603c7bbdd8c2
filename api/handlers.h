// The REST API's routes and handlers, apart from the transport: a request comes in as
// HttpRequest, an answer leaves through a callback (appends answer once their entry is durable).
// Routes are declared in one table (handlers.cc) with who may call them; docs/api.md lists them.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "api/metrics.h"
#include "crypto/signing.h"
#include "ledger/event_store.h"
#include "ledger/status.h"
#include "ledger/vault.h"

namespace api {

struct HttpRequest {
  std::string method;  // "GET", "POST", …
  std::string target;  // Path and query exactly as sent.
  std::string body;
  std::map<std::string, std::string> headers;  // Lower-case names.
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Verifies a request's signature headers and returns the signer's key (api/request_auth.h).
using Authenticate = std::function<ledger::Result<crypto::PublicKey>(const HttpRequest&)>;

class WitnessSubmitter;

class Api {
 public:
  // `vault` (may be null: no personal-data routes) outlives the Api.
  Api(ledger::EventStore* store, Authenticate authenticate, ledger::Vault* vault = nullptr);

  // Answers `request` through `done`, exactly once, possibly from another thread.
  void Handle(HttpRequest request, std::function<void(HttpResponse)> done);

  // The problem+json answer for a rejection (RFC 9457), with the code's HTTP status.
  static HttpResponse Problem(const ledger::Status& status);
  static int HttpStatus(ledger::Code code);
  // (method, path) of every route; a path ending in '/' is a prefix.
  static std::vector<std::pair<std::string, std::string>> RouteList();
  Metrics& metrics() { return metrics_; }
  // GET /checkpoint appends the cosignatures `witnesses` holds for the checkpoint it serves.
  // Call before the first Handle; `witnesses` (may be null: none) outlives the Api.
  void SetWitnesses(const WitnessSubmitter* witnesses) { witnesses_ = witnesses; }

 private:
  ledger::EventStore* store_;
  ledger::Vault* vault_;
  Authenticate authenticate_;
  Metrics metrics_;
  const WitnessSubmitter* witnesses_ = nullptr;
};

}  // namespace api
