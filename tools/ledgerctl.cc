// ledgerctl: the operator's and auditor's command-line tool. `ledgerctl --help` lists commands,
// `ledgerctl COMMAND --help` explains one; exit codes are in docs/ledgerctl.md.
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "crypto/signing.h"
#include "tools/cli.h"
#include "tools/commands.h"

namespace {

void PrintUsage(std::ostream& out) {
  out << "usage: ledgerctl COMMAND [flags]\n\n"
         "The audit ledger of Bayannur's employment subsidy funds.\n\ncommands:\n";
  for (const tools::Command& command : tools::Commands()) {
    out << "  " << command.name << std::string(12 - std::strlen(command.name), ' ')
        << command.summary << "\n";
  }
  out << "\n`ledgerctl COMMAND --help` explains a command. Exit codes: 0 ok, 1 verification failed\n"
         "or append rejected, 2 usage error, 3 file or store error, 4 the log was forked or rewritten\n"
         "since a checkpoint kept (verify --bundle --since).\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (!crypto::Initialize()) {
    std::cerr << "error: libsodium failed to initialise\n";
    return tools::kExitIoError;
  }
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    PrintUsage(argc < 2 ? std::cerr : std::cout);
    return argc < 2 ? tools::kExitUsage : tools::kExitOk;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  for (const tools::Command& command : tools::Commands()) {
    if (command.name != std::string(argv[1])) continue;
    for (const std::string& arg : args) {
      if (arg == "--help" || arg == "-h") {
        std::cout << command.usage;
        return tools::kExitOk;
      }
    }
    return command.run(args);
  }
  std::cerr << "error: unknown command '" << argv[1] << "'\n\n";
  PrintUsage(std::cerr);
  return tools::kExitUsage;
}
