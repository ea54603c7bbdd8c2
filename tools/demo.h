// The demo ledger: a fresh Bayannur ledger with its actors and a few signed events, so a
// newcomer sees the whole path (keys, genesis, actor registration, single events, a roster,
// a revocation and a refused signature) in one command. Fund flows join it in a later issue.
#pragma once

#include <iosfwd>
#include <string>

#include "ledger/status.h"

namespace tools {

inline constexpr const char* kDemoOrigin = "bayannur-employment-ledger-demo";

// Builds the demo in `data_dir` (which must not hold a ledger). Writes every actor's secret key to
// `data_dir`/keys/NAME.key (mode 0600) and NAME.key.pub. Narrates to `out`.
ledger::Status BuildDemo(const std::string& data_dir, std::ostream& out);

}  // namespace tools
