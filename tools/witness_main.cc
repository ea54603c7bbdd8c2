// witness: a minimal C2SP tlog-witness for tests and trials (tools/witness.h).
// `witness --data DIR --listen HOST:PORT --key WITNESS.key --log ORIGIN=LOG_VERIFIER_KEY ...`
// Serves POST /add-checkpoint over plain HTTP, one connection at a time (each closed after its
// answer), and announces "witness: cosigner key KEY on http://HOST:PORT" on stderr once it listens.
// The witness's name is its key file's key name. Stops on SIGTERM or SIGINT.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "crypto/note.h"
#include "crypto/signing.h"
#include "ledger/constants.h"
#include "tools/witness.h"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

int Usage() {
  std::cerr << "usage: witness --data DIR --listen HOST:PORT --key WITNESS.key "
               "--log ORIGIN=LOG_VERIFIER_KEY [--log ...]\n"
               "  --data DIR      where the latest cosigned checkpoint of each log is kept\n"
               "  --listen        address to serve POST /add-checkpoint on (port 0: any)\n"
               "  --key FILE      the witness's signer key file (ledgerctl keygen); its name\n"
               "                  names the witness\n"
               "  --log O=KEY     a log to witness: its origin and its verifier key\n";
  return 2;
}

std::uint64_t NowSeconds() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

// Reads one request and answers it; errors (timeouts, resets) just end the connection.
void Serve(tcp::socket socket, tools::Witness* witness) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  http::request_parser<http::string_body> parser;
  parser.body_limit(ledger::constants::witness_request_bytes_max);
  stream.expires_after(std::chrono::seconds(ledger::constants::witness_timeout_seconds));
  beast::error_code ec;
  http::read(stream, buffer, parser, ec);
  http::response<http::string_body> response;
  if (ec == http::error::body_limit) {
    response.result(http::status::payload_too_large);
  } else if (ec) {
    return;
  } else if (parser.get().target() != "/add-checkpoint") {
    response.result(http::status::not_found);
  } else if (parser.get().method() != http::verb::post) {
    response.result(http::status::method_not_allowed);
  } else {
    tools::WitnessAnswer answer = witness->AddCheckpoint(parser.get().body(), NowSeconds());
    response.result(static_cast<unsigned>(answer.status));
    response.set(http::field::content_type, answer.content_type);
    response.body() = std::move(answer.body);
  }
  response.version(11);
  response.keep_alive(false);
  response.prepare_payload();
  stream.expires_after(std::chrono::seconds(ledger::constants::witness_timeout_seconds));
  http::write(stream, response, ec);
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
}

}  // namespace

int main(int argc, char** argv) {
  std::string data, listen, key_file;
  std::vector<std::string> logs;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      Usage();
      return 0;
    }
    if (i + 1 >= argc) return Usage();
    if (arg == "--data") data = argv[++i];
    else if (arg == "--listen") listen = argv[++i];
    else if (arg == "--key") key_file = argv[++i];
    else if (arg == "--log") logs.push_back(argv[++i]);
    else return Usage();
  }
  const std::size_t colon = listen.rfind(':');
  if (data.empty() || key_file.empty() || logs.empty() || colon == std::string::npos) {
    return Usage();
  }
  if (!crypto::Initialize()) return 3;
  std::vector<crypto::VerifierKey> log_keys;
  for (const std::string& log : logs) {
    const std::size_t equals = log.find('=');
    if (equals == std::string::npos) return Usage();
    ledger::Result<crypto::VerifierKey> key = crypto::ParseVerifierKey(log.substr(equals + 1));
    if (!key.ok() || key->name != log.substr(0, equals)) {
      std::cerr << "error: --log " << log << ": "
                << (key.ok() ? "the key's name is not the origin" : key.status().ToString())
                << "\n";
      return 2;
    }
    log_keys.push_back(std::move(*key));
  }
  ledger::Result<crypto::NamedSecretKey> key = crypto::ReadSignerKeyFile(key_file);
  if (!key.ok()) {
    std::cerr << "error: " << key.status().ToString() << "\n";
    return 3;
  }
  auto witness = tools::Witness::Open(data, key->name, std::move(key->key), std::move(log_keys));
  if (!witness.ok()) {
    std::cerr << "error: " << witness.status().ToString() << "\n";
    return 3;
  }
  boost::asio::io_context io;
  tcp::acceptor acceptor(io);
  beast::error_code ec;
  const std::string host = listen.substr(0, colon);
  unsigned long port = 0;
  try {
    port = std::stoul(listen.substr(colon + 1));
  } catch (const std::exception&) {
    return Usage();
  }
  const tcp::endpoint endpoint(boost::asio::ip::make_address(host, ec),
                               static_cast<std::uint16_t>(port));
  if (ec || port > 65535) return Usage();
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::cerr << "error: listen on " << listen << ": " << ec.message() << "\n";
    return 3;
  }
  std::cerr << "witness: cosigner key " << (*witness)->CosignerKeyText() << " on http://" << host
            << ":" << acceptor.local_endpoint().port() << std::endl;
  // One connection at a time: a test witness needs no concurrency, and Witness serialises
  // add-checkpoint anyway. SIGTERM's default action ends the process; every answer already
  // given was persisted before it left.
  while (true) {
    tcp::socket socket(io);
    acceptor.accept(socket, ec);
    if (ec) continue;
    Serve(std::move(socket), witness->get());
  }
}
