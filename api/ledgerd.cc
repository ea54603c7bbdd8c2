// ledgerd: serves a ledger over HTTP or HTTPS.
// `ledgerd --data DIR --listen HOST:PORT [--tls-cert FILE --tls-key FILE] [--no-verify]
//  [--witness URL,COSIGNER_KEY]...`.
// At start it verifies the stored log in the background (progress in /metrics).
// SIGTERM or SIGINT: stop accepting, finish accepted appends, close the store, exit 0.
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "api/server.h"
#include "api/witness_submitter.h"
#include "ledger/constants.h"
#include "ledger/vault.h"
#include "crypto/signing.h"
#include "ledger/event_store.h"

namespace {

int Usage() {
  std::cerr << "usage: ledgerd [--data DIR] [--listen HOST:PORT] [--tls-cert FILE --tls-key FILE] [--no-verify]\n"
               "               [--witness URL,COSIGNER_KEY]...\n"
               "  --data DIR          ledger data directory (default ./data)\n"
               "  --listen HOST:PORT  address to serve on (default 127.0.0.1:8080)\n"
               "  --tls-cert FILE     serve HTTPS with this PEM certificate chain\n"
               "  --tls-key FILE      and this PEM private key\n"
               "  --no-verify         skip the background verification of the stored log at start\n"
               "  --witness URL,KEY   submit each new checkpoint to this C2SP tlog-witness\n"
               "                      (http://HOST:PORT[/PREFIX]) and serve its verified\n"
               "                      cosignature (KEY: NAME+ID+base64(0x04||key)) with\n"
               "                      GET /checkpoint; repeatable\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data = "./data";
  std::string listen = "127.0.0.1:8080";
  std::string tls_cert, tls_key;
  bool verify = true;
  std::vector<api::WitnessConfig> witnesses;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      Usage();
      return 0;
    }
    if (arg == "--no-verify") {
      verify = false;
      continue;
    }
    if (i + 1 >= argc) return Usage();
    if (arg == "--data") data = argv[++i];
    else if (arg == "--listen") listen = argv[++i];
    else if (arg == "--tls-cert") tls_cert = argv[++i];
    else if (arg == "--tls-key") tls_key = argv[++i];
    else if (arg == "--witness") {
      ledger::Result<api::WitnessConfig> witness = api::ParseWitnessFlag(argv[++i]);
      if (!witness.ok()) {
        std::cerr << "error: " << witness.status().ToString() << "\n";
        return 2;
      }
      if (witnesses.size() == ledger::constants::witnesses_max) {
        std::cerr << "error: at most " << ledger::constants::witnesses_max << " witnesses\n";
        return 2;
      }
      witnesses.push_back(std::move(*witness));
    }
    else return Usage();
  }
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return Usage();
  if (tls_cert.empty() != tls_key.empty()) return Usage();
  api::ServerOptions options;
  options.tls_cert_file = tls_cert;
  options.tls_key_file = tls_key;
  options.host = listen.substr(0, colon);
  try {
    options.port = static_cast<std::uint16_t>(std::stoul(listen.substr(colon + 1)));
  } catch (const std::exception&) {
    return Usage();
  }
  if (!crypto::Initialize()) return 3;

  // Block the signals in every thread; the main thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto store = ledger::EventStore::Open({data, 0, {}});
  if (!store.ok()) {
    std::cerr << "error: " << store.status().ToString() << "\n";
    return 3;
  }
  // The personal-data vault beside the log (DIR/vault, DIR/vault.key), created on first use.
  auto vault = ledger::Vault::Open(data);
  if (!vault.ok()) {
    std::cerr << "error: " << vault.status().ToString() << "\n";
    return 3;
  }
  options.vault = vault->get();
  options.verify_log = verify;
  options.data_dir = data;
  api::WitnessSubmitter submitter(store->get(), std::move(witnesses));
  options.witnesses = &submitter;
  api::Server server(store->get(), options);
  if (auto s = server.Start(); !s.ok()) {
    std::cerr << "error: " << s.ToString() << "\n";
    return 3;
  }
  submitter.Start();
  std::cerr << "ledgerd: serving '" << (*store)->origin() << "' (" << (*store)->size()
            << " entries) on " << (tls_cert.empty() ? "http" : "https") << "://" << options.host << ":" << server.port() << "\n";
  int signal = 0;
  sigwait(&signals, &signal);
  std::cerr << "ledgerd: signal " << signal << ", shutting down\n";
  server.Stop();
  submitter.Stop();
  if (auto s = (*store)->Close(); !s.ok()) {
    std::cerr << "error: " << s.ToString() << "\n";
    return 3;
  }
  return 0;
}
