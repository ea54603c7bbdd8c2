#include "tools/cli.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <sstream>

#include "crypto/hash.h"

namespace tools {

int ExitCodeFor(const ledger::Status& status) {
  switch (status.code()) {
    case ledger::Code::kOk: return kExitOk;
    case ledger::Code::kIOError:
    case ledger::Code::kNotFound:
    case ledger::Code::kUnavailable: return kExitIoError;
    case ledger::Code::kInvalidArgument: return kExitUsage;
    default: return kExitFailed;
  }
}

std::optional<Args> Args::Parse(const std::vector<std::string>& argv,
                                const std::vector<std::string>& switches) {
  Args args;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg.size() > 2 && arg.rfind("--", 0) == 0) {
      std::string name = arg.substr(2);
      std::string value;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      } else if (std::find(switches.begin(), switches.end(), name) != switches.end()) {
        value = "true";
      } else if (i + 1 < argv.size()) {
        value = argv[++i];
      } else {
        std::cerr << "error: --" << name << " needs a value\n";
        return std::nullopt;
      }
      args.flags_[name] = value;
    } else {
      args.positional_.push_back(arg);
    }
  }
  return args;
}

std::optional<std::string> Args::Get(const std::string& name) const {
  auto it = flags_.find(name);
  if (it == flags_.end()) return std::nullopt;
  return it->second;
}

std::string Args::GetOr(const std::string& name, const std::string& fallback) const {
  return Get(name).value_or(fallback);
}

bool Args::Has(const std::string& name) const { return flags_.count(name) != 0; }

bool Args::OnlyKnown(const std::vector<std::string>& known) const {
  bool ok = true;
  for (const auto& [name, value] : flags_) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::cerr << "error: unknown flag --" << name << "\n";
      ok = false;
    }
  }
  return ok;
}

Progress::Progress(std::string label, std::uint64_t total)
    : label_(std::move(label)),
      total_(total),
      enabled_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

void Progress::Update(std::uint64_t done) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100) && done < total_) return;
  last_draw_ = now;
  double seconds = std::chrono::duration<double>(now - start_).count();
  double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  double left = rate > 0 && total_ > done ? static_cast<double>(total_ - done) / rate : 0;
  std::fprintf(stderr, "\r%s %llu/%llu (%.1f%%) %.0f/s, %.0fs left   ", label_.c_str(),
               static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_),
               total_ ? 100.0 * static_cast<double>(done) / static_cast<double>(total_) : 100.0,
               rate, left);
  std::fflush(stderr);
}

void Progress::Finish() {
  if (!enabled_) return;
  Update(total_);
  std::fprintf(stderr, "\n");
}

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<std::uint64_t> ParseUint(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

ledger::Result<std::string> ReadInput(const std::string& path, std::size_t limit) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return ledger::Status(ledger::Code::kNotFound, "cannot open " + path);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (text.size() > limit) {
    return ledger::Status(ledger::Code::kTooLarge,
                          path + " is larger than " + std::to_string(limit) + " bytes");
  }
  return text;
}

std::string RandomId() {
  std::random_device device;
  std::string bytes(16, '\0');
  for (char& c : bytes) c = static_cast<char>(device() & 0xff);
  return crypto::HexEncode(bytes);
}

}  // namespace tools
