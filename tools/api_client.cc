#include "tools/api_client.h"

#include <google/protobuf/util/json_util.h>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>

#include "api/request_auth.h"
#include "crypto/note.h"
#include "ledger/api.pb.h"
#include "ledger/constants.h"
#include "tools/cli.h"

namespace tools {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using ledger::Code;
using ledger::Status;

constexpr std::chrono::seconds kTimeout{ledger::constants::http_client_timeout_seconds};
// How much of an answer without problem details an error message quotes.
constexpr std::size_t kQuotedBodyBytesMax = 200;

Status BadUrl(std::string_view url, const std::string& why) {
  return Status(Code::kInvalidArgument, "--server '" + std::string(url) + "': " + why);
}

bool HasSpaceOrControl(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte <= 0x20 || byte == 0x7f;
  });
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Splits "HOST[:PORT]" or "[IPV6][:PORT]" into `url`.
Status ParseAuthority(std::string_view url, std::string_view authority, ServerUrl* out) {
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return BadUrl(url, "an IPv6 address needs its closing ']'");
    out->host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return BadUrl(url, "expected ':PORT' after ']'");
    if (!after.empty()) port = after.substr(1);
  } else {
    const std::size_t colon = authority.find(':');
    if (colon != std::string_view::npos && authority.find(':', colon + 1) != std::string_view::npos) {
      return BadUrl(url, "an IPv6 address goes in brackets: http://[::1]:8080");
    }
    out->host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out->host.empty()) return BadUrl(url, "no host");
  if (port.empty()) {
    out->port = out->tls ? "443" : "80";
    return Status::Ok();
  }
  std::optional<std::uint64_t> number = ParseUint(port);
  if (!number || *number == 0 || *number > 65535) return BadUrl(url, "the port must be a number from 1 to 65535");
  out->port = std::to_string(*number);
  return Status::Ok();
}

// A signed request of ours, as Beast sends it.
http::request<http::string_body> BuildRequest(const ServerUrl& url, std::string_view method, std::string target,
                                              std::string_view body) {
  http::request<http::string_body> request;
  request.method_string(beast::string_view(method.data(), method.size()));
  request.target(target);
  request.version(11);
  const bool ipv6 = url.host.find(':') != std::string::npos;
  request.set(http::field::host, (ipv6 ? "[" + url.host + "]" : url.host) + ":" + url.port);
  request.set(http::field::user_agent, "ledgerctl");
  if (!body.empty()) request.set(http::field::content_type, "application/json");
  request.body() = std::string(body);
  request.keep_alive(false);
  request.prepare_payload();
  return request;
}

std::string Describe(const ServerUrl& url) {
  const bool ipv6 = url.host.find(':') != std::string::npos;
  return std::string(url.tls ? "https://" : "http://") + (ipv6 ? "[" + url.host + "]" : url.host) + ":" + url.port +
         url.prefix;
}

// Runs the asynchronous operation `start` begins to completion on `io` and returns its error.
// Beast's stream timeouts (expires_after) apply to asynchronous operations only, hence this
// rather than the blocking calls.
template <typename Start>
beast::error_code Complete(asio::io_context& io, Start start) {
  beast::error_code result = asio::error::would_block;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  return result;
}

Status TransportError(Code code, const ServerUrl& url, const std::string& step, const beast::error_code& ec) {
  const std::string why = ec == beast::error::timeout
                              ? "timed out after " + std::to_string(kTimeout.count()) + " s"
                              : ec.message();
  return Status(code, step + " " + Describe(url) + ": " + why);
}

// Connects `stream` (its lowest layer) to the first of `endpoints` that answers.
template <typename Stream>
Status Connect(asio::io_context& io, Stream& stream, const tcp::resolver::results_type& endpoints,
               const ServerUrl& url) {
  beast::tcp_stream& tcp_stream = beast::get_lowest_layer(stream);
  tcp_stream.expires_after(kTimeout);
  beast::error_code ec =
      Complete(io, [&](auto handler) { tcp_stream.async_connect(endpoints, std::move(handler)); });
  if (ec) return TransportError(Code::kUnavailable, url, "cannot connect to", ec);
  return Status::Ok();
}

// Sends `request` on a connected `stream` and reads the answer, whatever its status.
template <typename Stream>
ledger::Result<HttpAnswer> Transact(asio::io_context& io, Stream& stream, const ServerUrl& url,
                                    const http::request<http::string_body>& request) {
  beast::tcp_stream& tcp_stream = beast::get_lowest_layer(stream);
  tcp_stream.expires_after(kTimeout);
  const beast::error_code write_error =
      Complete(io, [&](auto handler) { http::async_write(stream, request, std::move(handler)); });
  // A server may answer (413) and stop reading before the body is all sent: the write then
  // fails and the answer is still there to read, so a write error is reported only when no
  // answer follows.
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(ledger::constants::http_client_response_bytes_max);
  tcp_stream.expires_after(kTimeout);
  beast::error_code ec =
      Complete(io, [&](auto handler) { http::async_read(stream, buffer, parser, std::move(handler)); });
  if (ec && write_error) return TransportError(Code::kIOError, url, "cannot send the request to", write_error);
  if (ec == beast::error::timeout) return TransportError(Code::kUnavailable, url, "no answer from", ec);
  if (ec) return TransportError(Code::kIOError, url, "cannot read the answer of", ec);
  // The answer is complete by its length, so the connection is closed without a TLS
  // close_notify, which would cost a round trip for nothing.
  beast::error_code ignored;
  tcp_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  http::response<http::string_body> response = parser.release();
  return HttpAnswer{static_cast<int>(response.result_int()), std::string(response[http::field::content_type]),
                    std::move(response.body())};
}

// A TLS client context that trusts the certificates of `trusted_file` (PEM), or the system's
// default store when it is empty, and always verifies the server (TLS 1.2 and 1.3 only).
Status ConfigureTls(const std::string& trusted_file, asio::ssl::context* tls) {
  tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  tls->set_verify_mode(asio::ssl::verify_peer);
  beast::error_code ec;
  if (!trusted_file.empty()) {
    tls->load_verify_file(trusted_file, ec);
    if (ec) {
      return Status(Code::kNotFound, "cannot read trusted certificates from " + trusted_file + ": " + ec.message());
    }
    return Status::Ok();
  }
  tls->set_default_verify_paths(ec);
  if (ec) return Status(Code::kIOError, "cannot load the system's trusted certificates: " + ec.message());
  return Status::Ok();
}

// Makes the handshake check the certificate against the URL's host: an IP address against the
// certificate's IP addresses, a name against its DNS names (and sent as SNI, RFC 6066).
Status ExpectHost(const ServerUrl& url, SSL* ssl) {
  beast::error_code not_an_address;
  (void)asio::ip::make_address(url.host, not_an_address);
  bool ok = false;
  if (not_an_address) {
    ok = SSL_set_tlsext_host_name(ssl, url.host.c_str()) == 1 && SSL_set1_host(ssl, url.host.c_str()) == 1;
  } else {
    ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url.host.c_str()) == 1;
  }
  if (!ok) return Status(Code::kInvalidArgument, "cannot check a TLS certificate against the host '" + url.host + "'");
  return Status::Ok();
}

ledger::Result<ledger::Receipt> ReceiptFrom(const ledger::api::v1::Receipt& in) {
  std::optional<std::string> hash = crypto::Base64Decode(in.entry_hash());
  ledger::Receipt out;
  if (!hash || hash->size() != out.entry_hash.size()) {
    return Status(Code::kIOError, "the server's receipt has an entry hash that is not 32 bytes of base64");
  }
  std::copy(hash->begin(), hash->end(), out.entry_hash.begin());
  out.index = in.index();
  out.duplicate = in.duplicate();
  return out;
}

template <typename Message>
Status ParseAnswer(std::string_view body, Message* message) {
  if (!google::protobuf::util::JsonStringToMessage(std::string(body), message).ok()) {
    return Status(Code::kIOError, "the server's answer is not a " + message->GetTypeName() + ": " +
                                      std::string(body.substr(0, kQuotedBodyBytesMax)));
  }
  return Status::Ok();
}

}  // namespace

ledger::Result<ledger::Receipt> ReceiptFromAppendAnswer(std::string_view body) {
  ledger::api::v1::AppendResponse answer;
  if (Status s = ParseAnswer(body, &answer); !s.ok()) return s;
  return ReceiptFrom(answer.receipt());
}

ledger::Result<std::vector<ledger::Receipt>> ReceiptsFromRosterAnswer(std::string_view body) {
  ledger::api::v1::RosterResponse answer;
  if (Status s = ParseAnswer(body, &answer); !s.ok()) return s;
  std::vector<ledger::Receipt> receipts;
  for (const ledger::api::v1::Receipt& receipt : answer.receipts()) {
    auto decoded = ReceiptFrom(receipt);
    if (!decoded.ok()) return decoded.status();
    receipts.push_back(*decoded);
  }
  return receipts;
}

ledger::Result<ServerUrl> ParseServerUrl(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return BadUrl(url, "expected a URL like http://127.0.0.1:8080");
  const std::string scheme = Lower(url.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") return BadUrl(url, "the scheme must be http:// or https://");
  if (HasSpaceOrControl(url)) return BadUrl(url, "a URL has no spaces or control characters");
  std::string_view rest = url.substr(scheme_end + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) return BadUrl(url, "a server URL has no query or fragment");
  const std::size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos) return BadUrl(url, "a server URL has no user name or password");
  ServerUrl out;
  out.tls = scheme == "https";
  if (Status s = ParseAuthority(url, authority, &out); !s.ok()) return s;
  if (slash != std::string_view::npos) {
    std::string_view prefix = rest.substr(slash);
    while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
    out.prefix = std::string(prefix);
  }
  return out;
}

Status StatusFromAnswer(const HttpAnswer& answer) {
  ledger::api::v1::Problem problem;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // RFC 9457 lets a server add members.
  const bool parsed = google::protobuf::util::JsonStringToMessage(answer.body, &problem, options).ok();
  if (parsed) {
    if (std::optional<Code> code = ledger::CodeFromName(problem.code()); code && *code != Code::kOk) {
      return Status(*code, problem.detail());
    }
  }
  std::string what = "server answered HTTP " + std::to_string(answer.status);
  if (parsed && !problem.code().empty()) {
    return Status(Code::kIOError, what + " with code '" + problem.code() + "', unknown to this ledgerctl: " +
                                      problem.detail());
  }
  const std::string quoted = answer.body.substr(0, kQuotedBodyBytesMax);
  return Status(Code::kIOError, what + " without problem details" + (quoted.empty() ? "" : ": " + quoted));
}

ledger::Result<std::string> ApiClient::Origin() {
  if (!origin_.empty()) return origin_;
  auto answer = Exchange("GET", "/v1/log-key", "", /*sign=*/false);
  if (!answer.ok()) return answer.status();
  if (answer->status / 100 != 2) return StatusFromAnswer(*answer);
  std::string_view text = answer->body;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  auto log_key = crypto::ParseVerifierKey(text);
  if (!log_key.ok()) {
    return Status(Code::kIOError, "GET /v1/log-key of " + Describe(url_) +
                                      " did not answer a verifier key: " + log_key.status().message());
  }
  origin_ = log_key->name;
  return origin_;
}

ledger::Result<std::string> ApiClient::Call(std::string_view method, std::string_view path, std::string_view body) {
  auto answer = Exchange(method, path, body, /*sign=*/true);
  if (!answer.ok()) return answer.status();
  if (answer->status / 100 != 2) return StatusFromAnswer(*answer);
  return std::move(answer->body);
}

ledger::Result<HttpAnswer> ApiClient::Exchange(std::string_view method, std::string_view path, std::string_view body,
                                               bool sign) {
  const std::string target = url_.prefix + std::string(path);
  http::request<http::string_body> request = BuildRequest(url_, method, target, body);
  if (sign) {
    auto origin = Origin();
    if (!origin.ok()) return origin.status();
    const api::RequestSignature signature = api::SignRequest(key_, *origin, method, target, NowMs(), body);
    request.set(std::string(api::kKeyHeader), signature.key_b64);
    request.set(std::string(api::kTimestampHeader), signature.timestamp);
    request.set(std::string(api::kSignatureHeader), signature.signature_b64);
  }

  asio::io_context io;
  beast::error_code ec;
  tcp::resolver resolver(io);
  const tcp::resolver::results_type endpoints = resolver.resolve(url_.host, url_.port, ec);
  if (ec) return TransportError(Code::kUnavailable, url_, "cannot resolve", ec);
  if (!url_.tls) {
    beast::tcp_stream stream(io);
    if (Status s = Connect(io, stream, endpoints, url_); !s.ok()) return s;
    return Transact(io, stream, url_, request);
  }

  asio::ssl::context tls(asio::ssl::context::tls_client);
  if (Status s = ConfigureTls(trusted_certificates_file_, &tls); !s.ok()) return s;
  beast::ssl_stream<beast::tcp_stream> stream(io, tls);
  if (Status s = ExpectHost(url_, stream.native_handle()); !s.ok()) return s;
  if (Status s = Connect(io, stream, endpoints, url_); !s.ok()) return s;
  beast::get_lowest_layer(stream).expires_after(kTimeout);
  ec = Complete(io, [&](auto handler) { stream.async_handshake(asio::ssl::stream_base::client, std::move(handler)); });
  if (ec) {
    const long verified = SSL_get_verify_result(stream.native_handle());
    if (verified != X509_V_OK) {
      return Status(Code::kUnavailable, "cannot connect securely to " + Describe(url_) +
                                            ": the server's certificate is not trusted: " +
                                            X509_verify_cert_error_string(verified));
    }
    return TransportError(Code::kUnavailable, url_, "cannot connect securely to", ec);
  }
  return Transact(io, stream, url_, request);
}

}  // namespace tools
