// The demo ledger: a year (2025) of Bayannur's employment-subsidy money, so a newcomer sees the
// whole path in one command: keys, genesis, actors, reference data, budget plans and their
// arrivals (some late, one short), about 100,000 disbursements paid by roster to people (by
// pseudonym; their personal data goes to the vault) and to units, reversals, a program transfer,
// a revocation, and three appends the ledger refuses. docs/demo.md describes the year and the
// figures it prints; tools/demo_year.h holds the year as data.
#pragma once

#include <iosfwd>
#include <string>

#include "ledger/status.h"

namespace tools {

inline constexpr const char* kDemoOrigin = "bayannur-employment-ledger-demo";

// Builds the demo in `data_dir` (which must not hold a ledger). Writes every actor's secret key to
// `data_dir`/keys/NAME.key (mode 0600) and NAME.key.pub, and registers the year's people in the
// vault at `data_dir`/vault. Narrates to `out` and ends with a summary read back from the ledger.
// The year is the same on every run; keys, signatures and the vault's pseudonyms are not.
ledger::Status BuildDemo(const std::string& data_dir, std::ostream& out);

}  // namespace tools
