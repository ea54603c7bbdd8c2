// ledgerctl as a client of a running ledgerd (`--server URL`): the server URL, one HTTP or HTTPS
// connection per request, requests signed by the scheme of api/request_auth.h (docs/api.md), and
// problem details turned back into a ledger::Status.
//
// Synchronous from the caller's side (Boost.Beast over Asio): connecting (with the TLS handshake),
// sending and receiving each get constants::http_client_timeout_seconds (resolving a name is left
// to the system resolver and its own timeouts). HTTPS is TLS 1.2 or 1.3 over OpenSSL, and the
// server's certificate is always verified, with its host name or IP address: there is no way to
// turn that off. Not synchronised: one thread at a time per ApiClient.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/signing.h"
#include "ledger/event_store.h"
#include "ledger/status.h"

namespace tools {

// http[s]://HOST[:PORT][/PREFIX], as given to --server.
struct ServerUrl {
  bool tls = false;    // https://
  std::string host;    // A name, an IPv4 address, or an IPv6 address without its brackets.
  std::string port;    // Decimal, 1..65535; "80" (http) or "443" (https) when the URL names none.
  std::string prefix;  // "" or "/PREFIX" without a trailing '/'; put before every request path.
};

// Errors: kInvalidArgument naming what is wrong.
ledger::Result<ServerUrl> ParseServerUrl(std::string_view url);

// What the server answered.
struct HttpAnswer {
  int status = 0;
  std::string content_type;
  std::string body;
};

// The Status a non-2xx answer stands for: the problem's `code` (ledger::CodeFromName) and
// `detail`. An answer without problem details, or with a code this build does not know (a newer
// server), is kIOError naming the HTTP status, the code if any and the start of the body.
ledger::Status StatusFromAnswer(const HttpAnswer& answer);

// The receipts of a 2xx answer to POST /v1/events (AppendResponse, one receipt) or POST
// /v1/rosters (RosterResponse, one per event), as the store gives them. kIOError if the body is not
// that JSON or an entry hash is not 32 bytes of base64.
ledger::Result<ledger::Receipt> ReceiptFromAppendAnswer(std::string_view body);
ledger::Result<std::vector<ledger::Receipt>> ReceiptsFromRosterAnswer(std::string_view body);

// A signed-request client of one ledgerd. Each request goes on a connection of its own, closed
// after the answer: a command sends one or two requests, and a fresh connection can never be one
// the server is closing for idleness, so no request needs resending (a resent signed request
// would be a replay).
class ApiClient {
 public:
  // `key` signs every request; it is held by reference and must outlive the client.
  ApiClient(ServerUrl url, const crypto::SecretKey& key) : url_(std::move(url)), key_(key) {}
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  // Requests are signed for `origin` instead of the one Origin() would fetch; empty: fetch it.
  void SetOrigin(std::string origin) { origin_ = std::move(origin); }

  // HTTPS only: the server's certificate must chain to a certificate of this PEM file (one or
  // more CA or self-signed certificates) instead of the system's default trust store. Empty:
  // the default store.
  void SetTrustedCertificates(std::string pem_file) { trusted_certificates_file_ = std::move(pem_file); }

  // The ledger's origin: fetched once, unsigned, from GET /v1/log-key, whose verifier key is
  // named after the origin (crypto::ParseVerifierKey). Errors: as Send, and kIOError if the
  // answer is not a verifier key.
  ledger::Result<std::string> Origin();

  // Sends one request signed for Origin() at the current time and returns the body of a 2xx
  // answer. `path` is the origin-form target ("/v1/balances?region=150821"); the URL's prefix is
  // put before it, and the target as sent is the one signed. Errors: a non-2xx answer as
  // StatusFromAnswer; kUnavailable if the server's name does not resolve, it cannot be reached or
  // a step times out, or (HTTPS) the server's certificate does not verify for the URL's host;
  // kNotFound if the trusted certificates file cannot be read; kIOError if the connection fails
  // midway or the answer does not parse or exceeds constants::http_client_response_bytes_max.
  ledger::Result<std::string> Call(std::string_view method, std::string_view path, std::string_view body = {});

 private:
  // Sends one request (signed when `sign`) and reads its answer, whatever its status.
  ledger::Result<HttpAnswer> Exchange(std::string_view method, std::string_view path, std::string_view body,
                                      bool sign);

  const ServerUrl url_;
  const crypto::SecretKey& key_;
  std::string origin_;  // Empty until fetched or set.
  std::string trusted_certificates_file_;
};

}  // namespace tools
