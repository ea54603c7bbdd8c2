#include "ledger/funds_query.h"

#include <chrono>

#include "ledger/format.h"
#include "ledger/funds_rows.h"

namespace ledger {

namespace {

Status Undecodable(std::string_view key) {
  return Status(Code::kCorruption, "row " + std::string(key) + " does not decode");
}

bool Matches(const CellFilter& filter, const std::array<std::string, 3>& cell) {
  return (filter.fund.empty() || filter.fund == cell[0]) &&
         (filter.region.empty() || filter.region == cell[1]) &&
         (filter.program.empty() || filter.program == cell[2]);
}

void Add(const v1::CellTotals& t, Balance* balance) {
  balance->planned += t.planned();
  balance->received += t.received();
  balance->disbursed += t.disbursed();
  balance->recovered += t.recovered();
  balance->transferred_in += t.transferred_in();
  balance->transferred_out += t.transferred_out();
  ++balance->cells;
}

// Every row under `prefix`, decoded as Message, in key order.
template <typename Message>
Result<std::vector<Message>> ListRows(const RowReader& rows, const std::string& prefix) {
  std::vector<Message> out;
  Status decode = Status::Ok();
  Status scan = rows.Scan(prefix, funds_rows::PrefixEnd(prefix), [&](std::string_view key, std::string_view value) {
    Message message;
    if (!message.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      decode = Undecodable(key);
      return false;
    }
    out.push_back(std::move(message));
    return true;
  });
  if (!scan.ok()) return scan;
  if (!decode.ok()) return decode;
  return out;
}

}  // namespace

Result<Balance> QueryBalance(const RowReader& rows, const CellFilter& filter,
                             std::optional<std::uint64_t> tree_size) {
  if (!tree_size) {  // The head: one rollup row.
    const std::string key = funds_rows::RollupKey(filter.fund, filter.region, filter.program);
    auto bytes = rows.Get(key);
    if (!bytes.ok()) {
      if (bytes.status().code() == Code::kNotFound) return Balance{};
      return bytes.status();
    }
    v1::CellTotals totals;
    if (!totals.ParseFromString(*bytes)) return Undecodable(key);
    Balance balance;
    Add(totals, &balance);
    balance.cells = totals.cells();
    return balance;
  }
  // Cells sort by fund first: a fund narrows the scan to its own cells.
  const std::string prefix = funds_rows::CellRowKey(filter.fund.empty() ? "" : filter.fund + "/");
  Balance balance;
  Status failure = Status::Ok();
  Status scan = rows.Scan(prefix, funds_rows::PrefixEnd(prefix), [&](std::string_view key, std::string_view) {
    std::string_view cell = key.substr(funds_rows::CellRowKey("").size());
    if (!Matches(filter, funds_rows::SplitCellKey(cell))) return true;
    v1::CellTotals totals;
    {
      // The cell's totals after its last money event before entry `tree_size`.
      const std::string from = funds_rows::CellAtPrefix(cell);
      auto last = rows.Last(from, from + format::EncodeIndex(*tree_size));
      if (!last.ok()) {
        if (last.status().code() == Code::kNotFound) return true;  // No money yet then.
        failure = last.status();
        return false;
      }
      if (!totals.ParseFromString(last->second)) {
        failure = Undecodable(last->first);
        return false;
      }
    }
    Add(totals, &balance);
    return true;
  });
  if (!scan.ok()) return scan;
  if (!failure.ok()) return failure;
  return balance;
}

std::optional<int> DaysBetween(const std::string& a, const std::string& b) {
  auto parse = [](const std::string& date) -> std::optional<std::chrono::sys_days> {
    if (date.size() != 10) return std::nullopt;
    int y = 0, m = 0, d = 0;
    if (std::sscanf(date.c_str(), "%4d-%2d-%2d", &y, &m, &d) != 3) return std::nullopt;
    std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(m)),
                                    std::chrono::day(static_cast<unsigned>(d))};
    if (!ymd.ok()) return std::nullopt;
    return std::chrono::sys_days(ymd);
  };
  auto from = parse(a);
  auto to = parse(b);
  if (!from || !to) return std::nullopt;
  return static_cast<int>((*to - *from).count());
}

std::optional<int> PlanArrival::days_to_full() const {
  if (!full() || plan.full_arrival().empty()) return std::nullopt;
  return DaysBetween(plan.document_date(), plan.full_arrival());
}

Result<std::vector<PlanArrival>> QueryPlans(const RowReader& rows, const CellFilter& filter) {
  const std::string prefix = funds_rows::PlanKey("");
  std::vector<PlanArrival> out;
  Status decode = Status::Ok();
  Status scan = rows.Scan(prefix, funds_rows::PrefixEnd(prefix), [&](std::string_view key, std::string_view value) {
    PlanArrival arrival;
    if (!arrival.plan.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      decode = Undecodable(key);
      return false;
    }
    if (!Matches(filter, {arrival.plan.fund_code(), arrival.plan.region_code(), arrival.plan.program_code()})) {
      return true;
    }
    arrival.plan_event_id = std::string(key.substr(prefix.size()));
    out.push_back(std::move(arrival));
    return true;
  });
  if (!scan.ok()) return scan;
  if (!decode.ok()) return decode;
  return out;
}

Result<std::vector<std::uint64_t>> QueryPayeeHistory(const RowReader& rows, const std::string& payee) {
  const std::string prefix = funds_rows::PayeePrefix(payee);
  std::vector<std::uint64_t> out;
  Status decode = Status::Ok();
  Status scan = rows.Scan(prefix, funds_rows::PrefixEnd(prefix), [&](std::string_view key, std::string_view) {
    auto index = format::DecodeIndex(key.substr(prefix.size()));
    if (!index) {
      decode = Undecodable(key);
      return false;
    }
    out.push_back(*index);
    return true;
  });
  if (!scan.ok()) return scan;
  if (!decode.ok()) return decode;
  return out;
}

Result<std::vector<MonthTotal>> QueryMonthlyTotals(const RowReader& rows, const std::string& program) {
  const std::string prefix = funds_rows::MonthKey(program.empty() ? "" : program + "/");
  std::vector<MonthTotal> out;
  Status decode = Status::Ok();
  Status scan = rows.Scan(prefix, funds_rows::PrefixEnd(prefix), [&](std::string_view key, std::string_view value) {
    v1::CellTotals totals;
    if (!totals.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      decode = Undecodable(key);
      return false;
    }
    auto parts = funds_rows::SplitCellKey(key.substr(funds_rows::MonthKey("").size()));
    out.push_back({parts[0], parts[1], parts[2], totals.disbursed(), totals.recovered(), totals.events()});
    return true;
  });
  if (!scan.ok()) return scan;
  if (!decode.ok()) return decode;
  return out;
}

Result<v1::BookRow> QueryBook(const RowReader& rows) {
  auto bytes = rows.Get(funds_rows::BookKey());
  if (!bytes.ok()) {
    if (bytes.status().code() == Code::kNotFound) return v1::BookRow();
    return bytes.status();
  }
  v1::BookRow book;
  if (!book.ParseFromString(*bytes)) return Undecodable(funds_rows::BookKey());
  return book;
}

Result<std::vector<v1::FundDefined>> ListFunds(const RowReader& rows) {
  return ListRows<v1::FundDefined>(rows, funds_rows::FundKey(""));
}
Result<std::vector<v1::ProgramDefined>> ListPrograms(const RowReader& rows) {
  return ListRows<v1::ProgramDefined>(rows, funds_rows::ProgramKey(""));
}
Result<std::vector<v1::RegionDefined>> ListRegions(const RowReader& rows) {
  return ListRows<v1::RegionDefined>(rows, funds_rows::RegionKey(""));
}
Result<std::vector<v1::RateSet>> ListRates(const RowReader& rows, const std::string& parameter) {
  return ListRows<v1::RateSet>(rows, parameter.empty() ? funds_rows::RatePrefix()
                                                       : funds_rows::RateKey(parameter, ""));
}

Result<v1::RateSet> RateOn(const RowReader& rows, const std::string& parameter, const std::string& date) {
  const std::string from = funds_rows::RateKey(parameter, "");
  // Dates sort as text: the last key <= parameter/date is the rate in force; the bound is
  // exclusive, so end just after the date.
  auto last = rows.Last(from, from + date + '\x01');
  if (!last.ok()) {
    if (last.status().code() == Code::kNotFound) {
      return Status(Code::kNotFound, "no rate " + parameter + " is in force on " + date);
    }
    return last.status();
  }
  v1::RateSet rate;
  if (!rate.ParseFromString(last->second)) return Undecodable(last->first);
  return rate;
}

}  // namespace ledger
