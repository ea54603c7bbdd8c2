// Keys of the fund-flow projection's rows in the `projections` column family (docs/funds.md
// lists them with their values). Shared by the projection, which writes them, and the queries,
// which read them. Codes never contain '/', so '/' separates the parts of a key unambiguously;
// log indexes are 8-byte big-endian so a cell's or payee's rows sort in log order.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/format.h"

namespace ledger::funds_rows {

inline std::string Join(std::string_view a, std::string_view b) {
  std::string out;
  out.reserve(a.size() + b.size());
  out.append(a).append(b);
  return out;
}

// A cell: one fund's money for one region and program.
inline std::string CellKey(std::string_view fund, std::string_view region, std::string_view program) {
  std::string key;
  key.reserve(fund.size() + region.size() + program.size() + 2);
  key.append(fund).append("/").append(region).append("/").append(program);
  return key;
}
// {fund, region, program}.
inline std::array<std::string, 3> SplitCellKey(std::string_view key) {
  const std::size_t a = key.find('/');
  const std::size_t b = key.find('/', a + 1);
  return {std::string(key.substr(0, a)), std::string(key.substr(a + 1, b - a - 1)),
          std::string(key.substr(b + 1))};
}

inline std::string FundKey(std::string_view code) { return Join("funds/fund/", code); }
inline std::string ProgramKey(std::string_view code) { return Join("funds/program/", code); }
inline std::string RegionKey(std::string_view code) { return Join("funds/region/", code); }
inline std::string RatePrefix() { return "funds/rate/"; }
inline std::string RateKey(std::string_view parameter, std::string_view date) {
  return Join(Join(RatePrefix(), parameter), Join("/", date));
}
// Current totals (CellTotals) and accounts (CellAccounts) of a cell; a fund's source account.
inline std::string CellRowKey(std::string_view cell) { return Join("funds/cell/", cell); }
inline std::string AccountKey(std::string_view cell) { return Join("funds/account/", cell); }
inline std::string SourceKey(std::string_view fund) { return Join("funds/source/", fund); }
// The sum of every cell matching a filter, one row per combination of fund, region and program
// with '*' for "any" (so a balance at the head is one read).
inline std::string RollupPrefix() { return "funds/sum/"; }
inline std::string RollupKey(std::string_view fund, std::string_view region, std::string_view program) {
  return Join(RollupPrefix(), CellKey(fund.empty() ? "*" : fund, region.empty() ? "*" : region,
                                    program.empty() ? "*" : program));
}
// A cell's totals after the entry at `index` (one row per money event that touched it).
inline std::string CellAtPrefix(std::string_view cell) { return Join(Join("funds/cell-at/", cell), "/"); }
inline std::string CellAtKey(std::string_view cell, std::uint64_t index) {
  return Join(CellAtPrefix(cell), format::EncodeIndex(index));
}
// Totals per program, month (of the pay or value date) and region.
inline std::string MonthKeySuffix(std::string_view program, std::string_view month, std::string_view region) {
  return CellKey(program, month, region);
}
inline std::string MonthKey(std::string_view suffix) { return Join("funds/month/", suffix); }
inline std::string PlanKey(std::string_view event_id) { return Join("funds/plan/", event_id); }
inline std::string DisbursementKey(std::string_view event_id) { return Join("funds/disbursement/", event_id); }
inline std::string ReversalKey(std::string_view event_id) { return Join("funds/reversal/", event_id); }
inline std::string PersonKey(std::string_view subject) { return Join("funds/person/", subject); }
// Every entry that concerns a payee (person or unit), value empty.
inline std::string PayeePrefix(std::string_view payee) { return Join(Join("funds/payee/", payee), "/"); }
inline std::string PayeeKey(std::string_view payee, std::uint64_t index) {
  return Join(PayeePrefix(payee), format::EncodeIndex(index));
}
inline std::string BookKey() { return "funds/book"; }

// The first key after every key that begins with `prefix` (which ends in '/').
inline std::string PrefixEnd(std::string prefix) {
  prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

}  // namespace ledger::funds_rows
