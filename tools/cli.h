// Small command-line helpers shared by ledgerctl's commands: flag parsing, progress display and
// exit codes (documented in docs/ledgerctl.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/status.h"

namespace tools {

// Exit codes of ledgerctl; stable, scripts depend on them.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailed = 1,    // Verification found a problem, or the ledger rejected an append.
  kExitUsage = 2,     // Bad command line.
  kExitIoError = 3,   // A file or the store could not be opened, read or written.
  kExitForked = 4,    // verify --since: the log does not extend the checkpoint kept (forked or rewritten).
};

// Maps a Status to an exit code.
int ExitCodeFor(const ledger::Status& status);

// Parsed "--name value" flags, "--switch" booleans and positional arguments.
class Args {
 public:
  // `switches` lists flags that take no value. Returns nullopt and prints to stderr on error.
  static std::optional<Args> Parse(const std::vector<std::string>& argv,
                                   const std::vector<std::string>& switches);
  std::optional<std::string> Get(const std::string& name) const;
  std::string GetOr(const std::string& name, const std::string& fallback) const;
  bool Has(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  // Flags given but not in `known`; prints them and returns false if any.
  bool OnlyKnown(const std::vector<std::string>& known) const;

 private:
  std::map<std::string, std::string> flags_;
  std::vector<std::string> positional_;
};

// Progress of a long operation on stderr: done/total, rate and time left, redrawn at most
// ten times a second; silent when stderr is not a terminal.
class Progress {
 public:
  Progress(std::string label, std::uint64_t total);
  void Update(std::uint64_t done);
  void Finish();

 private:
  std::string label_;
  std::uint64_t total_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

std::int64_t NowMs();
// A non-negative decimal integer: digits only, no sign, no overflow; nullopt otherwise.
std::optional<std::uint64_t> ParseUint(std::string_view text);
// Reads a whole file or "-" for stdin, at most `limit` bytes.
ledger::Result<std::string> ReadInput(const std::string& path, std::size_t limit);
// A random 128-bit identifier in lower-case hex.
std::string RandomId();

}  // namespace tools
