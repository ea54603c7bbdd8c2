// Questions auditors ask of the fund-flow projection, answered from its stored rows (durable
// state only). Each takes a RowReader: EventStore::projection_rows() for a running ledger, or
// LogReader::projection_rows() beside one. docs/funds.md explains the figures.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ledger/ledger.pb.h"
#include "ledger/projection.h"
#include "ledger/status.h"

namespace ledger {

// Which cells (fund x region x program) a figure sums; an empty field matches every value.
struct CellFilter {
  std::string fund;
  std::string region;
  std::string program;
};

// Sums over the matching cells, in fen.
struct Balance {
  std::int64_t planned = 0;
  std::int64_t received = 0;
  std::int64_t disbursed = 0;
  std::int64_t recovered = 0;
  std::int64_t transferred_in = 0;
  std::int64_t transferred_out = 0;
  std::uint64_t cells = 0;  // Cells that had any money event.

  std::int64_t outstanding() const { return planned - received; }  // Planned, not arrived.
  std::int64_t net_disbursed() const { return disbursed - recovered; }
  std::int64_t available() const {
    return received + transferred_in - transferred_out - disbursed + recovered;
  }
};

// Balances over the cells `filter` matches, at the head, or as of the first `tree_size` entries
// of the log (the state a checkpoint of that size commits to).
Result<Balance> QueryBalance(const RowReader& rows, const CellFilter& filter,
                             std::optional<std::uint64_t> tree_size = std::nullopt);

// 足额到位: one plan and how its money arrived.
struct PlanArrival {
  std::string plan_event_id;
  v1::PlanRow plan;
  bool full() const { return plan.received() == plan.planned(); }
  // Days from the budget document to the arrival that completed it; nullopt until complete.
  std::optional<int> days_to_full() const;
};
Result<std::vector<PlanArrival>> QueryPlans(const RowReader& rows, const CellFilter& filter);

// Log indexes of every entry concerning a payee (a subject id or a unit code), in log order:
// registration, disbursements, reversals.
Result<std::vector<std::uint64_t>> QueryPayeeHistory(const RowReader& rows, const std::string& payee);

// Disbursed and recovered money per program, month and region.
struct MonthTotal {
  std::string program;
  std::string month;  // YYYY-MM of the pay date (disbursements) or value date (recoveries).
  std::string region;
  std::int64_t disbursed = 0;
  std::int64_t recovered = 0;
  std::uint64_t events = 0;
};
// Every month of `program` (empty: of every program), ordered by program, month, region.
Result<std::vector<MonthTotal>> QueryMonthlyTotals(const RowReader& rows, const std::string& program);

// The book's totals: debits, credits and number of postings.
Result<v1::BookRow> QueryBook(const RowReader& rows);

// Reference data, ordered by code.
Result<std::vector<v1::FundDefined>> ListFunds(const RowReader& rows);
Result<std::vector<v1::ProgramDefined>> ListPrograms(const RowReader& rows);
Result<std::vector<v1::RegionDefined>> ListRegions(const RowReader& rows);
// Rates of `parameter` (empty: all), ordered by parameter and date.
Result<std::vector<v1::RateSet>> ListRates(const RowReader& rows, const std::string& parameter);
// The value of `parameter` in force on `date` (the latest effective_from <= date).
Result<v1::RateSet> RateOn(const RowReader& rows, const std::string& parameter, const std::string& date);

// Days between two dates "YYYY-MM-DD" (b - a); nullopt if either is not a date.
std::optional<int> DaysBetween(const std::string& a, const std::string& b);

}  // namespace ledger
