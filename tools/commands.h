// ledgerctl's commands. Each takes the arguments after its name and returns an exit code
// (tools/cli.h). Help texts live beside each command in commands.cc.
#pragma once

#include <string>
#include <vector>

namespace tools {

struct Command {
  const char* name;
  const char* summary;
  const char* usage;  // Full --help text.
  int (*run)(const std::vector<std::string>& args);
};

const std::vector<Command>& Commands();

int RunBench(const std::vector<std::string>& args);  // tools/bench.cc

}  // namespace tools
