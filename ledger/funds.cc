#include "ledger/funds.h"

#include <cassert>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ledger/constants.h"
#include "ledger/format.h"
#include "ledger/funds_rows.h"
#include "ledger/identifiers.h"

namespace ledger {

bool IsFundsReferenceEvent(v1::Event::BodyCase kind) {
  switch (kind) {
    case v1::Event::kFundDefined:
    case v1::Event::kProgramDefined:
    case v1::Event::kRegionDefined:
    case v1::Event::kRateSet:
      return true;
    default:
      return false;
  }
}

bool IsFundsMoneyEvent(v1::Event::BodyCase kind) {
  switch (kind) {
    case v1::Event::kAllocationPlanned:
    case v1::Event::kFundsReceived:
    case v1::Event::kDisbursement:
    case v1::Event::kReversal:
    case v1::Event::kProgramTransfer:
    case v1::Event::kPersonRegistered:
      return true;
    default:
      return false;
  }
}

std::string_view FundsEventRegion(const v1::Event& event) {
  switch (event.body_case()) {
    case v1::Event::kAllocationPlanned: return event.allocation_planned().region_code();
    case v1::Event::kFundsReceived: return event.funds_received().region_code();
    case v1::Event::kDisbursement: return event.disbursement().region_code();
    case v1::Event::kReversal: return event.reversal().region_code();
    case v1::Event::kProgramTransfer: return event.program_transfer().region_code();
    case v1::Event::kPersonRegistered: return event.person_registered().region_code();
    default: return {};
  }
}

std::string FormatYuan(std::int64_t fen) {
  const bool negative = fen < 0;
  // Magnitude in unsigned arithmetic: INT64_MIN has no positive int64.
  std::uint64_t magnitude = negative ? 0 - static_cast<std::uint64_t>(fen) : static_cast<std::uint64_t>(fen);
  std::string whole = std::to_string(magnitude / 100);
  std::string grouped;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (i != 0 && (whole.size() - i) % 3 == 0) grouped += ',';
    grouped += whole[i];
  }
  const unsigned cents = static_cast<unsigned>(magnitude % 100);
  return (negative ? "-" : "") + grouped + "." + static_cast<char>('0' + cents / 10) +
         static_cast<char>('0' + cents % 10);
}

namespace {

using funds_rows::CellKey;

Status Invalid(std::string message) { return Status(Code::kInvalidEvent, std::move(message)); }

bool IsCode(std::string_view code) {
  if (code.empty() || code.size() > constants::code_bytes_max) return false;
  for (char c : code) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Status CheckCode(std::string_view what, std::string_view code) {
  if (IsCode(code)) return Status::Ok();
  return Invalid(std::string(what) + " '" + std::string(code.substr(0, constants::code_bytes_max)) +
                 "' must be 1 to " + std::to_string(constants::code_bytes_max) +
                 " characters of A-Z a-z 0-9 . _ -");
}

Status CheckText(std::string_view what, std::string_view text, bool required) {
  if (required && text.empty()) return Invalid(std::string(what) + " is required");
  if (text.size() > constants::text_bytes_max) {
    return Status(Code::kTooLarge, std::string(what) + " is longer than " +
                                       std::to_string(constants::text_bytes_max) + " bytes");
  }
  return Status::Ok();
}

bool IsDigits(std::string_view text) {
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return !text.empty();
}

int ParseDigits(std::string_view text) {
  int value = 0;
  for (char c : text) value = value * 10 + (c - '0');
  return value;
}

bool IsLeap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

// "YYYY-MM-DD", a real calendar date between 2000 and 2100.
bool IsDate(std::string_view date) {
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return false;
  if (!IsDigits(date.substr(0, 4)) || !IsDigits(date.substr(5, 2)) || !IsDigits(date.substr(8, 2))) {
    return false;
  }
  const int year = ParseDigits(date.substr(0, 4));
  const int month = ParseDigits(date.substr(5, 2));
  const int day = ParseDigits(date.substr(8, 2));
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 2000 || year > 2100 || month < 1 || month > 12 || day < 1) return false;
  return day <= kDays[month - 1] + (month == 2 && IsLeap(year) ? 1 : 0);
}

bool IsMonth(std::string_view month) {
  return month.size() == 7 && IsDate(std::string(month) + "-01");
}

Status CheckDate(std::string_view what, std::string_view date) {
  if (IsDate(date)) return Status::Ok();
  return Invalid(std::string(what) + " '" + std::string(date.substr(0, 16)) +
                 "' is not a date YYYY-MM-DD between 2000 and 2100");
}

Status CheckAmount(std::string_view what, std::int64_t amount) {
  if (amount <= 0) {
    return Status(Code::kInvalidAmount, std::string(what) + " must be more than 0 fen, got " +
                                            std::to_string(amount));
  }
  if (amount > constants::amount_fen_max) {
    return Status(Code::kInvalidAmount, std::string(what) + " of " + FormatYuan(amount) +
                                            " yuan is beyond the ledger's limit of " +
                                            FormatYuan(constants::amount_fen_max));
  }
  return Status::Ok();
}

bool IsHex(std::string_view text, std::size_t size) {
  if (text.size() != size) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Plain-struct mirrors of the row messages: the hot path adds integers and converts to protobuf
// only when it writes a row.
struct Totals {
  std::int64_t planned = 0, received = 0, disbursed = 0, recovered = 0, transferred_in = 0,
               transferred_out = 0;
  std::uint64_t events = 0;
  std::uint64_t cells = 0;  // Rollups only.

  // Adds (now - before), field by field.
  void AddDifference(const Totals& now, const Totals& before) {
    planned += now.planned - before.planned;
    received += now.received - before.received;
    disbursed += now.disbursed - before.disbursed;
    recovered += now.recovered - before.recovered;
    transferred_in += now.transferred_in - before.transferred_in;
    transferred_out += now.transferred_out - before.transferred_out;
    events += now.events - before.events;
  }

  v1::CellTotals ToRow() const {
    v1::CellTotals row;
    row.set_planned(planned);
    row.set_received(received);
    row.set_disbursed(disbursed);
    row.set_recovered(recovered);
    row.set_transferred_in(transferred_in);
    row.set_transferred_out(transferred_out);
    row.set_events(events);
    row.set_cells(cells);
    return row;
  }
  static Totals FromRow(const v1::CellTotals& row) {
    return {row.planned(), row.received(), row.disbursed(), row.recovered(), row.transferred_in(),
            row.transferred_out(), row.events(), row.cells()};
  }
};

// The book's accounts of one cell, each on its normal side (docs/funds.md).
struct Accounts {
  std::int64_t planned = 0, available = 0, disbursed = 0, recovered = 0;

  v1::CellAccounts ToRow() const {
    v1::CellAccounts row;
    row.set_planned(planned);
    row.set_available(available);
    row.set_disbursed(disbursed);
    row.set_recovered(recovered);
    return row;
  }
  static Accounts FromRow(const v1::CellAccounts& row) {
    return {row.planned(), row.available(), row.disbursed(), row.recovered()};
  }
};

struct Cell {
  Totals totals;
  Accounts accounts;
  bool dirty = false;  // Touched in the batch being built: its current rows are rewritten.
  // The totals its rollups include: those of the last batch end (rollups add the difference).
  Totals rolled_up;
  bool in_rollups = false;
};

struct Month {
  Totals totals;  // disbursed, recovered and events only.
  bool dirty = false;
};

struct Paid {
  std::uint64_t index = 0;
  const std::string* cell = nullptr;  // Key in State::cells (map keys do not move).
  std::int64_t amount = 0;
  std::int64_t recovered = 0;
  std::string payee;
};

}  // namespace

struct FundsProjection::State {
  // Reference data.
  std::map<std::string, v1::FundDefined> funds;
  std::map<std::string, v1::ProgramDefined> programs;
  std::map<std::string, v1::RegionDefined> regions;
  std::map<std::string, v1::RateSet> rates;  // Key: parameter/effective_from.

  // Money: totals and accounts per cell (fund/region/program), source accounts per fund, the
  // book's totals, and totals per program/month/region.
  std::map<std::string, Cell> cells;
  std::map<std::string, std::int64_t> sources;
  v1::BookRow book;
  bool book_dirty = false;
  std::map<std::string, Month> months;
  std::map<std::string, Totals> rollups;  // Key: RollupKey suffix; written at batch end.

  // What later events cite.
  std::unordered_map<std::string, v1::PlanRow> plans;
  std::unordered_map<std::string, Paid> disbursements;
  std::unordered_set<std::string> reversals;
  std::unordered_map<std::string, v1::PersonRow> persons;

  // Keys of the cells, sources and months touched in the batch being built.
  std::vector<std::string> dirty_cells;
  std::set<std::string> dirty_sources;
  std::vector<std::string> dirty_months;
  std::string key_buffer;  // Reused to build cell and month keys without allocating.

  // Undo journal while a savepoint is set: each entry restores one value.
  bool recording = false;
  std::vector<std::function<void()>> undo;

  State() { disbursements.reserve(1 << 16); }

  template <typename Map>
  void Remember(Map& map, const std::string& key) {
    if (!recording) return;
    auto it = map.find(key);
    if (it == map.end()) {
      undo.emplace_back([&map, key] { map.erase(key); });
    } else {
      undo.emplace_back([&map, key, old = it->second] { map[key] = old; });
    }
  }
  void RememberSet(std::unordered_set<std::string>& set, const std::string& key) {
    if (recording) undo.emplace_back([&set, key] { set.erase(key); });
  }
  void RememberBook() {
    if (recording) undo.emplace_back([this, old = book] { book = old; });
  }

  // A debit and a credit of `amount`: `debit_normal` accounts grow with debits, the others
  // with credits. The caller has checked that the book's totals cannot overflow.
  void Post(std::int64_t* debit, bool debit_is_debit_normal, std::int64_t* credit,
            bool credit_is_debit_normal, std::int64_t amount) {
    RememberBook();
    *debit += debit_is_debit_normal ? amount : -amount;
    *credit += credit_is_debit_normal ? -amount : amount;
    book.set_debits(book.debits() + amount);
    book.set_credits(book.credits() + amount);
    book.set_postings(book.postings() + 1);
    book_dirty = true;
  }

  Status CheckBookRoom(std::int64_t amount) const {
    std::int64_t sum = 0;
    if (__builtin_add_overflow(book.debits(), amount, &sum)) {
      return Status(Code::kInvalidAmount, "the book's total would overflow int64");
    }
    return Status::Ok();
  }

  Status CheckCell(const std::string& fund, const std::string& region, const std::string& program) const {
    if (funds.count(fund) == 0) return Status(Code::kUnknownReference, "unknown fund '" + fund + "'");
    if (regions.count(region) == 0) return Status(Code::kUnknownReference, "unknown region '" + region + "'");
    if (programs.count(program) == 0) {
      return Status(Code::kUnknownReference, "unknown program '" + program + "'");
    }
    return Status::Ok();
  }

  const std::string& BuildCellKey(std::string_view fund, std::string_view region, std::string_view program) {
    key_buffer.clear();
    key_buffer.append(fund).append("/").append(region).append("/").append(program);
    return key_buffer;
  }

  // The cell at `key`, created if new, remembered for rollback and marked dirty.
  std::map<std::string, Cell>::iterator TouchCell(const std::string& key) {
    auto it = cells.find(key);
    if (it == cells.end()) {
      it = cells.emplace(key, Cell{}).first;
      if (recording) undo.emplace_back([this, key] { cells.erase(key); });
    } else if (recording) {
      undo.emplace_back([cell = &it->second, old = it->second] { *cell = old; });
    }
    if (!it->second.dirty) {
      it->second.dirty = true;
      dirty_cells.push_back(it->first);
    }
    return it;
  }

  void WriteCellHistory(const std::string& key, const Cell& cell, std::uint64_t index, RowWriter* rows) {
    if (rows != nullptr) rows->Put(funds_rows::CellAtKey(key, index), cell.totals.ToRow().SerializeAsString());
  }

  void TouchMonth(std::string_view program, std::string_view date, std::string_view region,
                  std::int64_t disbursed, std::int64_t recovered) {
    key_buffer.clear();
    key_buffer.append(program).append("/").append(date.substr(0, 7)).append("/").append(region);
    auto it = months.find(key_buffer);
    if (it == months.end()) {
      it = months.emplace(key_buffer, Month{}).first;
      if (recording) undo.emplace_back([this, key = key_buffer] { months.erase(key); });
    } else if (recording) {
      undo.emplace_back([month = &it->second, old = it->second] { *month = old; });
    }
    Month& month = it->second;
    if (!month.dirty) {
      month.dirty = true;
      dirty_months.push_back(it->first);
    }
    month.totals.disbursed += disbursed;
    month.totals.recovered += recovered;
    ++month.totals.events;
  }

  Status ApplyFund(const v1::FundDefined& fund, RowWriter* rows);
  Status ApplyProgram(const v1::ProgramDefined& program, RowWriter* rows);
  Status ApplyRegion(const v1::RegionDefined& region, RowWriter* rows);
  Status ApplyRate(const v1::RateSet& rate, RowWriter* rows);
  Status ApplyAllocation(const v1::Event& event, std::uint64_t index, RowWriter* rows);
  Status ApplyArrival(const v1::FundsReceived& arrival, std::uint64_t index, RowWriter* rows);
  Status ApplyDisbursement(const v1::Event& event, std::uint64_t index, RowWriter* rows);
  Status ApplyReversal(const v1::Event& event, std::uint64_t index, RowWriter* rows);
  Status ApplyTransfer(const v1::ProgramTransfer& transfer, std::uint64_t index, RowWriter* rows);
  Status ApplyPerson(const v1::PersonRegistered& person, std::uint64_t index, RowWriter* rows);
  Status ApplyPersonRead(const v1::PersonalDataRead& read, std::uint64_t index, RowWriter* rows);
  Status CheckInvariants() const;
};

FundsProjection::FundsProjection() : state_(std::make_unique<State>()) {}
FundsProjection::~FundsProjection() = default;

Status FundsProjection::Apply(const CheckedEvent& checked, std::uint64_t index,
                              const v1::ActorRecord& /*signer*/, RowWriter* rows) {
  const v1::Event& event = *checked.event;
  State& s = *state_;
  switch (event.body_case()) {
    case v1::Event::kFundDefined: return s.ApplyFund(event.fund_defined(), rows);
    case v1::Event::kProgramDefined: return s.ApplyProgram(event.program_defined(), rows);
    case v1::Event::kRegionDefined: return s.ApplyRegion(event.region_defined(), rows);
    case v1::Event::kRateSet: return s.ApplyRate(event.rate_set(), rows);
    case v1::Event::kAllocationPlanned: return s.ApplyAllocation(event, index, rows);
    case v1::Event::kFundsReceived: return s.ApplyArrival(event.funds_received(), index, rows);
    case v1::Event::kDisbursement: return s.ApplyDisbursement(event, index, rows);
    case v1::Event::kReversal: return s.ApplyReversal(event, index, rows);
    case v1::Event::kProgramTransfer: return s.ApplyTransfer(event.program_transfer(), index, rows);
    case v1::Event::kPersonRegistered: return s.ApplyPerson(event.person_registered(), index, rows);
    case v1::Event::kPersonalDataRead: return s.ApplyPersonRead(event.personal_data_read(), index, rows);
    default: return Status::Ok();
  }
}

// ---- Reference data ----

Status FundsProjection::State::ApplyFund(const v1::FundDefined& fund, RowWriter* rows) {
  if (Status s = CheckCode("fund code", fund.fund_code()); !s.ok()) return s;
  if (Status s = CheckText("fund name", fund.name(), true); !s.ok()) return s;
  if (Status s = CheckText("fund document number", fund.document_number(), true); !s.ok()) return s;
  if (fund.year() < 2000 || fund.year() > 2100) {
    return Invalid("fund year " + std::to_string(fund.year()) + " is not between 2000 and 2100");
  }
  if (fund.source_level() == v1::SOURCE_LEVEL_UNSPECIFIED || !v1::SourceLevel_IsValid(fund.source_level())) {
    return Invalid("fund source level must be central, regional, city or county");
  }
  if (funds.count(fund.fund_code()) != 0) {
    return Status(Code::kAlreadyExists, "fund '" + fund.fund_code() + "' is already defined");
  }
  Remember(funds, fund.fund_code());
  funds[fund.fund_code()] = fund;
  if (rows != nullptr) rows->Put(funds_rows::FundKey(fund.fund_code()), fund.SerializeAsString());
  return Status::Ok();
}

Status FundsProjection::State::ApplyProgram(const v1::ProgramDefined& program, RowWriter* rows) {
  if (Status s = CheckCode("program code", program.program_code()); !s.ok()) return s;
  if (Status s = CheckText("program Chinese name", program.name_zh(), true); !s.ok()) return s;
  if (Status s = CheckText("program English name", program.name_en(), false); !s.ok()) return s;
  if (Status s = CheckText("program legal basis", program.legal_basis(), false); !s.ok()) return s;
  if (programs.count(program.program_code()) != 0) {
    return Status(Code::kAlreadyExists, "program '" + program.program_code() + "' is already defined");
  }
  Remember(programs, program.program_code());
  programs[program.program_code()] = program;
  if (rows != nullptr) rows->Put(funds_rows::ProgramKey(program.program_code()), program.SerializeAsString());
  return Status::Ok();
}

Status FundsProjection::State::ApplyRegion(const v1::RegionDefined& region, RowWriter* rows) {
  if (region.region_code().size() != 6 || !IsDigits(region.region_code())) {
    return Invalid("region code '" + region.region_code().substr(0, 16) + "' must be six digits");
  }
  if (Status s = CheckText("region Chinese name", region.name_zh(), true); !s.ok()) return s;
  if (Status s = CheckText("region English name", region.name_en(), false); !s.ok()) return s;
  if (regions.count(region.region_code()) != 0) {
    return Status(Code::kAlreadyExists, "region " + region.region_code() + " is already defined");
  }
  Remember(regions, region.region_code());
  regions[region.region_code()] = region;
  if (rows != nullptr) rows->Put(funds_rows::RegionKey(region.region_code()), region.SerializeAsString());
  return Status::Ok();
}

Status FundsProjection::State::ApplyRate(const v1::RateSet& rate, RowWriter* rows) {
  if (Status s = CheckCode("rate parameter", rate.parameter()); !s.ok()) return s;
  if (Status s = CheckDate("rate effective date", rate.effective_from()); !s.ok()) return s;
  if (Status s = CheckText("rate document number", rate.document_number(), true); !s.ok()) return s;
  static const std::set<std::string, std::less<>> kUnits = {"fen", "fen_per_month", "fen_per_hour",
                                                            "per_mille"};
  if (kUnits.count(rate.unit()) == 0) {
    return Invalid("rate unit '" + rate.unit().substr(0, 32) +
                   "' must be fen, fen_per_month, fen_per_hour or per_mille");
  }
  if (rate.value() < 0 || rate.value() > constants::amount_fen_max) {
    return Status(Code::kInvalidAmount, "rate value " + std::to_string(rate.value()) + " is out of range");
  }
  const std::string key = rate.parameter() + "/" + rate.effective_from();
  if (rates.count(key) != 0) {
    return Status(Code::kAlreadyExists, "rate " + rate.parameter() + " already has a value from " +
                                            rate.effective_from());
  }
  Remember(rates, key);
  rates[key] = rate;
  if (rows != nullptr) rows->Put(funds_rows::RateKey(rate.parameter(), rate.effective_from()), rate.SerializeAsString());
  return Status::Ok();
}

// ---- Money ----

Status FundsProjection::State::ApplyAllocation(const v1::Event& event, std::uint64_t index, RowWriter* rows) {
  const v1::AllocationPlanned& plan = event.allocation_planned();
  if (Status s = CheckCell(plan.fund_code(), plan.region_code(), plan.program_code()); !s.ok()) return s;
  if (Status s = CheckAmount("planned amount", plan.amount_fen()); !s.ok()) return s;
  if (Status s = CheckText("budget document number", plan.document_number(), true); !s.ok()) return s;
  if (Status s = CheckDate("budget document date", plan.document_date()); !s.ok()) return s;
  if (Status s = CheckBookRoom(plan.amount_fen()); !s.ok()) return s;

  auto cell = TouchCell(BuildCellKey(plan.fund_code(), plan.region_code(), plan.program_code()));
  Remember(sources, plan.fund_code());
  dirty_sources.insert(plan.fund_code());
  Post(&cell->second.accounts.planned, true, &sources[plan.fund_code()], false, plan.amount_fen());
  cell->second.totals.planned += plan.amount_fen();
  ++cell->second.totals.events;

  v1::PlanRow row;
  row.set_fund_code(plan.fund_code());
  row.set_region_code(plan.region_code());
  row.set_program_code(plan.program_code());
  row.set_planned(plan.amount_fen());
  row.set_document_number(plan.document_number());
  row.set_document_date(plan.document_date());
  row.set_index(index);
  Remember(plans, event.event_id());
  plans[event.event_id()] = row;
  if (rows != nullptr) rows->Put(funds_rows::PlanKey(event.event_id()), row.SerializeAsString());
  WriteCellHistory(cell->first, cell->second, index, rows);
  return Status::Ok();
}

Status FundsProjection::State::ApplyArrival(const v1::FundsReceived& arrival, std::uint64_t index,
                                            RowWriter* rows) {
  auto plan_it = plans.find(arrival.plan_event_id());
  if (plan_it == plans.end()) {
    return Status(Code::kUnknownReference,
                  "no allocation plan has event id '" + arrival.plan_event_id().substr(0, 128) + "'");
  }
  const v1::PlanRow& plan = plan_it->second;
  if (arrival.region_code() != plan.region_code()) {
    return Invalid("plan '" + arrival.plan_event_id() + "' is for region " + plan.region_code() +
                   ", the arrival names " + arrival.region_code().substr(0, 16));
  }
  if (Status s = CheckAmount("arrived amount", arrival.amount_fen()); !s.ok()) return s;
  if (Status s = CheckDate("arrival value date", arrival.value_date()); !s.ok()) return s;
  if (Status s = CheckText("voucher number", arrival.voucher_number(), false); !s.ok()) return s;
  if (arrival.value_date() < plan.document_date()) {  // Dates YYYY-MM-DD sort as text.
    return Invalid("money cannot arrive (" + arrival.value_date() + ") before its budget document is issued (" +
                   plan.document_date() + ")");
  }
  const std::int64_t outstanding = plan.planned() - plan.received();
  if (arrival.amount_fen() > outstanding) {
    return Status(Code::kOverdraft, "plan '" + arrival.plan_event_id() + "' has " + FormatYuan(outstanding) +
                                        " yuan still to arrive, the arrival is " +
                                        FormatYuan(arrival.amount_fen()));
  }
  if (Status s = CheckBookRoom(arrival.amount_fen()); !s.ok()) return s;

  auto cell = TouchCell(BuildCellKey(plan.fund_code(), plan.region_code(), plan.program_code()));
  Post(&cell->second.accounts.available, true, &cell->second.accounts.planned, true, arrival.amount_fen());
  cell->second.totals.received += arrival.amount_fen();
  ++cell->second.totals.events;

  Remember(plans, arrival.plan_event_id());
  v1::PlanRow& row = plans[arrival.plan_event_id()];
  row.set_received(row.received() + arrival.amount_fen());
  row.set_arrivals(row.arrivals() + 1);
  if (row.first_arrival().empty()) row.set_first_arrival(arrival.value_date());
  if (row.received() == row.planned()) row.set_full_arrival(arrival.value_date());
  if (rows != nullptr) rows->Put(funds_rows::PlanKey(arrival.plan_event_id()), row.SerializeAsString());
  WriteCellHistory(cell->first, cell->second, index, rows);
  return Status::Ok();
}

namespace {
v1::DisbursementRow ToRow(const Paid& paid) {
  v1::DisbursementRow row;
  auto cell = funds_rows::SplitCellKey(*paid.cell);
  row.set_index(paid.index);
  row.set_fund_code(cell[0]);
  row.set_region_code(cell[1]);
  row.set_program_code(cell[2]);
  row.set_amount(paid.amount);
  row.set_recovered(paid.recovered);
  row.set_payee(paid.payee);
  return row;
}
}  // namespace

Status FundsProjection::State::ApplyDisbursement(const v1::Event& event, std::uint64_t index,
                                                 RowWriter* rows) {
  const v1::Disbursement& pay = event.disbursement();
  if (Status s = CheckCell(pay.fund_code(), pay.region_code(), pay.program_code()); !s.ok()) return s;
  if (Status s = CheckAmount("disbursed amount", pay.amount_fen()); !s.ok()) return s;
  const std::string* payee = nullptr;
  switch (pay.payee_case()) {
    case v1::Disbursement::kSubjectId: {
      auto person = persons.find(pay.subject_id());
      if (person == persons.end()) {
        return Status(Code::kUnknownReference,
                      "no person is registered as subject '" + pay.subject_id().substr(0, 64) + "'");
      }
      if (pay.account_ref() != person->second.account_digest()) {
        return Invalid("a person is paid only to their own registered account: account_ref is not "
                       "the account digest registered for subject " + pay.subject_id());
      }
      payee = &pay.subject_id();
      break;
    }
    case v1::Disbursement::kUnitCode: {
      if (Status s = ValidateCreditCode(pay.unit_code()); !s.ok()) return s;
      if (pay.account_ref().empty() || pay.account_ref().size() > 64) {
        return Invalid("a unit's payment names its bank account in account_ref (1 to 64 characters)");
      }
      payee = &pay.unit_code();
      break;
    }
    case v1::Disbursement::PAYEE_NOT_SET:
      return Invalid("a disbursement names its payee: subject_id (a person) or unit_code (a unit)");
  }
  if (!IsMonth(pay.period())) {
    return Invalid("period '" + pay.period().substr(0, 16) + "' is not a month YYYY-MM");
  }
  if (Status s = CheckDate("pay date", pay.pay_date()); !s.ok()) return s;
  if (Status s = CheckText("document number", pay.document_number(), true); !s.ok()) return s;
  if (static_cast<std::size_t>(pay.facts_size()) > constants::facts_max) {
    return Status(Code::kTooLarge, "a disbursement carries at most " + std::to_string(constants::facts_max) + " facts");
  }
  for (const v1::Fact& fact : pay.facts()) {
    if (Status s = CheckCode("fact name", fact.name()); !s.ok()) return s;
    if (Status s = CheckText("fact value", fact.value(), false); !s.ok()) return s;
  }

  auto cell_it = cells.find(BuildCellKey(pay.fund_code(), pay.region_code(), pay.program_code()));
  const std::int64_t available = cell_it == cells.end() ? 0 : cell_it->second.accounts.available;
  if (pay.amount_fen() > available) {
    return Status(Code::kOverdraft, pay.region_code() + "/" + pay.program_code() + " of fund " +
                                        pay.fund_code() + " has " + FormatYuan(available) +
                                        " yuan available, disbursement asks " + FormatYuan(pay.amount_fen()));
  }
  if (Status s = CheckBookRoom(pay.amount_fen()); !s.ok()) return s;

  auto cell = TouchCell(cell_it->first);
  Post(&cell->second.accounts.disbursed, true, &cell->second.accounts.available, true, pay.amount_fen());
  cell->second.totals.disbursed += pay.amount_fen();
  ++cell->second.totals.events;
  TouchMonth(pay.program_code(), pay.pay_date(), pay.region_code(), pay.amount_fen(), 0);

  Remember(disbursements, event.event_id());
  Paid& paid = disbursements[event.event_id()];
  paid = Paid{index, &cell->first, pay.amount_fen(), 0, *payee};
  if (rows != nullptr) {
    rows->Put(funds_rows::DisbursementKey(event.event_id()), ToRow(paid).SerializeAsString());
    rows->Put(funds_rows::PayeeKey(*payee, index), {});
  }
  WriteCellHistory(cell->first, cell->second, index, rows);
  return Status::Ok();
}

Status FundsProjection::State::ApplyReversal(const v1::Event& event, std::uint64_t index, RowWriter* rows) {
  const v1::Reversal& reversal = event.reversal();
  const std::string& original = reversal.disbursement_event_id();
  auto it = disbursements.find(original);
  if (it == disbursements.end()) {
    if (reversals.count(original) != 0) {
      return Invalid("event '" + original + "' is a reversal; a reversal cannot be reversed");
    }
    return Status(Code::kUnknownReference, "no disbursement has event id '" + original.substr(0, 128) + "'");
  }
  const Paid& paid = it->second;
  const std::string paid_region = funds_rows::SplitCellKey(*paid.cell)[1];
  if (reversal.region_code() != paid_region) {
    return Invalid("disbursement '" + original + "' was paid in region " + paid_region +
                   ", the reversal names " + reversal.region_code().substr(0, 16));
  }
  if (Status s = CheckAmount("reversed amount", reversal.amount_fen()); !s.ok()) return s;
  if (Status s = CheckText("reversal reason", reversal.reason(), true); !s.ok()) return s;
  if (Status s = CheckText("document number", reversal.document_number(), false); !s.ok()) return s;
  if (Status s = CheckDate("reversal value date", reversal.value_date()); !s.ok()) return s;
  const std::int64_t unrecovered = paid.amount - paid.recovered;
  if (reversal.amount_fen() > unrecovered) {
    return Status(Code::kInvalidAmount, "disbursement '" + original + "' paid " + FormatYuan(paid.amount) +
                                            " yuan of which " + FormatYuan(paid.recovered) +
                                            " is already recovered; the reversal asks " +
                                            FormatYuan(reversal.amount_fen()));
  }
  if (Status s = CheckBookRoom(reversal.amount_fen()); !s.ok()) return s;

  auto cell = TouchCell(*paid.cell);
  Post(&cell->second.accounts.available, true, &cell->second.accounts.recovered, false, reversal.amount_fen());
  cell->second.totals.recovered += reversal.amount_fen();
  ++cell->second.totals.events;
  const auto parts = funds_rows::SplitCellKey(cell->first);
  TouchMonth(parts[2], reversal.value_date(), parts[1], 0, reversal.amount_fen());

  Remember(disbursements, original);
  Paid& row = disbursements[original];
  row.recovered += reversal.amount_fen();
  RememberSet(reversals, event.event_id());
  reversals.insert(event.event_id());
  if (rows != nullptr) {
    rows->Put(funds_rows::DisbursementKey(original), ToRow(row).SerializeAsString());
    rows->Put(funds_rows::ReversalKey(event.event_id()), format::EncodeIndex(index));
    rows->Put(funds_rows::PayeeKey(row.payee, index), {});
  }
  WriteCellHistory(cell->first, cell->second, index, rows);
  return Status::Ok();
}

Status FundsProjection::State::ApplyTransfer(const v1::ProgramTransfer& transfer, std::uint64_t index,
                                             RowWriter* rows) {
  if (Status s = CheckCell(transfer.fund_code(), transfer.region_code(), transfer.from_program()); !s.ok()) return s;
  if (Status s = CheckCell(transfer.fund_code(), transfer.region_code(), transfer.to_program()); !s.ok()) return s;
  if (transfer.from_program() == transfer.to_program()) {
    return Invalid("a transfer moves money between two different programs");
  }
  if (Status s = CheckAmount("transferred amount", transfer.amount_fen()); !s.ok()) return s;
  if (Status s = CheckText("approval document", transfer.approval_document(), true); !s.ok()) return s;
  if (Status s = CheckDate("transfer value date", transfer.value_date()); !s.ok()) return s;
  const std::string from_key = funds_rows::CellKey(transfer.fund_code(), transfer.region_code(), transfer.from_program());
  const std::string to_key = funds_rows::CellKey(transfer.fund_code(), transfer.region_code(), transfer.to_program());
  auto from_it = cells.find(from_key);
  const std::int64_t available = from_it == cells.end() ? 0 : from_it->second.accounts.available;
  if (transfer.amount_fen() > available) {
    return Status(Code::kOverdraft, transfer.region_code() + "/" + transfer.from_program() + " of fund " +
                                        transfer.fund_code() + " has " + FormatYuan(available) +
                                        " yuan available, the transfer asks " + FormatYuan(transfer.amount_fen()));
  }
  if (Status s = CheckBookRoom(transfer.amount_fen()); !s.ok()) return s;

  auto from = TouchCell(from_key);
  auto to = TouchCell(to_key);  // std::map: `from` stays valid.
  Post(&to->second.accounts.available, true, &from->second.accounts.available, true, transfer.amount_fen());
  from->second.totals.transferred_out += transfer.amount_fen();
  ++from->second.totals.events;
  to->second.totals.transferred_in += transfer.amount_fen();
  ++to->second.totals.events;
  WriteCellHistory(from->first, from->second, index, rows);
  WriteCellHistory(to->first, to->second, index, rows);
  return Status::Ok();
}

Status FundsProjection::State::ApplyPerson(const v1::PersonRegistered& person, std::uint64_t index,
                                           RowWriter* rows) {
  if (person.subject_id().size() != 33 || person.subject_id()[0] != 's' ||
      !IsHex(std::string_view(person.subject_id()).substr(1), 32)) {
    return Invalid("subject id must be 's' and 32 lower-case hex digits (a pseudonym, never an ID number)");
  }
  if (!IsHex(person.account_digest(), 32)) {
    return Invalid("account digest must be 32 lower-case hex digits (a pseudonym, never an account number)");
  }
  if (regions.count(person.region_code()) == 0) {
    return Status(Code::kUnknownReference, "unknown region '" + person.region_code().substr(0, 16) + "'");
  }
  if (persons.count(person.subject_id()) != 0) {
    return Status(Code::kAlreadyExists, "subject " + person.subject_id() + " is already registered");
  }
  v1::PersonRow row;
  row.set_index(index);
  row.set_account_digest(person.account_digest());
  row.set_region_code(person.region_code());
  Remember(persons, person.subject_id());
  persons[person.subject_id()] = row;
  if (rows != nullptr) {
    rows->Put(funds_rows::PersonKey(person.subject_id()), row.SerializeAsString());
    rows->Put(funds_rows::PayeeKey(person.subject_id(), index), {});
  }
  return Status::Ok();
}

// A read of a registered person's data, by a reader of their region (the actor registry checked
// the signer's scope against the region named); it joins the person's history.
Status FundsProjection::State::ApplyPersonRead(const v1::PersonalDataRead& read, std::uint64_t index,
                                               RowWriter* rows) {
  if (Status s = CheckText("purpose", read.purpose(), true); !s.ok()) return s;
  auto person = persons.find(read.subject_id());
  if (person == persons.end()) {
    return Status(Code::kUnknownReference, "subject '" + read.subject_id().substr(0, 40) + "' is not registered");
  }
  if (person->second.region_code() != read.region_code()) {
    return Status(Code::kInvalidEvent, "subject " + read.subject_id() + " is registered in region " +
                                           person->second.region_code() + ", not '" +
                                           read.region_code().substr(0, 16) + "'");
  }
  if (rows != nullptr) rows->Put(funds_rows::PayeeKey(read.subject_id(), index), {});
  return Status::Ok();
}

// ---- Batches, invariants, savepoints ----

Status FundsProjection::EndBatch(RowWriter* rows) {
  State& s = *state_;
  if (Status status = s.CheckInvariants(); !status.ok()) return status;
  std::set<std::string> dirty_rollups;
  for (const std::string& key : s.dirty_cells) {
    auto it = s.cells.find(key);
    if (it == s.cells.end()) continue;  // Created by an event that was rolled back.
    Cell& cell = it->second;
    cell.dirty = false;
    // The eight rollups the cell belongs to take its change since the last batch end.
    const auto parts = funds_rows::SplitCellKey(key);
    for (int mask = 0; mask < 8; ++mask) {
      std::string rollup = funds_rows::RollupKey(mask & 1 ? parts[0] : "", mask & 2 ? parts[1] : "",
                                                 mask & 4 ? parts[2] : "");
      Totals& sum = s.rollups[rollup];
      sum.AddDifference(cell.totals, cell.rolled_up);
      if (!cell.in_rollups) ++sum.cells;
      dirty_rollups.insert(std::move(rollup));
    }
    cell.rolled_up = cell.totals;
    cell.in_rollups = true;
    if (rows == nullptr) continue;
    rows->Put(funds_rows::CellRowKey(key), cell.totals.ToRow().SerializeAsString());
    rows->Put(funds_rows::AccountKey(key), cell.accounts.ToRow().SerializeAsString());
  }
  if (rows != nullptr) {
    for (const std::string& key : dirty_rollups) rows->Put(key, s.rollups[key].ToRow().SerializeAsString());
  }
  for (const std::string& fund : s.dirty_sources) {
    auto it = s.sources.find(fund);
    if (it == s.sources.end() || rows == nullptr) continue;
    v1::SourceAccount source;
    source.set_allocated(it->second);
    rows->Put(funds_rows::SourceKey(fund), source.SerializeAsString());
  }
  for (const std::string& key : s.dirty_months) {
    auto it = s.months.find(key);
    if (it == s.months.end()) continue;
    it->second.dirty = false;
    if (rows == nullptr) continue;
    v1::CellTotals month;
    month.set_disbursed(it->second.totals.disbursed);
    month.set_recovered(it->second.totals.recovered);
    month.set_events(it->second.totals.events);
    rows->Put(funds_rows::MonthKey(key), month.SerializeAsString());
  }
  if (s.book_dirty && rows != nullptr) rows->Put(funds_rows::BookKey(), s.book.SerializeAsString());
  s.book_dirty = false;
  s.dirty_cells.clear();
  s.dirty_sources.clear();
  s.dirty_months.clear();
  return Status::Ok();
}

// The book balances; no account is below zero on its normal side; each cell's accounts agree
// with its gross totals; no region's program has paid out more than it received.
Status FundsProjection::State::CheckInvariants() const {
  if (book.debits() != book.credits()) {
    return Status(Code::kCorruption, "debits " + FormatYuan(book.debits()) + " != credits " +
                                         FormatYuan(book.credits()));
  }
  std::map<std::string, std::int64_t> planned_by_fund;
  std::map<std::string, std::int64_t> net_by_region_program;  // received + in - out - paid + recovered
  for (const auto& [key, cell] : cells) {
    const Totals& t = cell.totals;
    const Accounts& a = cell.accounts;
    if (a.planned < 0 || a.available < 0 || a.disbursed < 0 || a.recovered < 0) {
      return Status(Code::kCorruption, "an account of " + key + " is below zero");
    }
    const std::int64_t available = t.received + t.transferred_in - t.transferred_out - t.disbursed + t.recovered;
    if (a.planned != t.planned - t.received || a.available != available || a.disbursed != t.disbursed ||
        a.recovered != t.recovered) {
      return Status(Code::kCorruption, "the accounts of " + key + " disagree with its totals");
    }
    auto parts = funds_rows::SplitCellKey(key);
    planned_by_fund[parts[0]] += t.planned;
    net_by_region_program[parts[1] + "/" + parts[2]] += available;
  }
  for (const auto& [fund, allocated] : sources) {
    if (allocated != planned_by_fund[fund]) {
      return Status(Code::kCorruption, "fund " + fund + " allocated " + FormatYuan(allocated) +
                                           " but its cells plan " + FormatYuan(planned_by_fund[fund]));
    }
  }
  for (const auto& [key, net] : net_by_region_program) {
    if (net < 0) return Status(Code::kCorruption, key + " has paid out more than it received");
  }
  return Status::Ok();
}

void FundsProjection::SetSavepoint() {
  assert(!state_->recording);
  state_->recording = true;
  state_->undo.clear();
}

void FundsProjection::RollbackToSavepoint() {
  assert(state_->recording);
  for (auto it = state_->undo.rbegin(); it != state_->undo.rend(); ++it) (*it)();
  state_->undo.clear();
  state_->recording = false;
}

void FundsProjection::ReleaseSavepoint() {
  assert(state_->recording);
  state_->undo.clear();
  state_->recording = false;
}

// ---- Loading stored rows ----

namespace {
template <typename Message>
Status LoadRows(const RowReader& rows, const std::string& prefix,
                const std::function<void(std::string_view suffix, Message&&)>& take) {
  Status decode = Status::Ok();
  Status scan = rows.Scan(prefix, funds_rows::PrefixEnd(prefix), [&](std::string_view key, std::string_view value) {
    Message message;
    if (!message.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      decode = Status(Code::kCorruption, "row " + std::string(key) + " does not decode");
      return false;
    }
    take(key.substr(prefix.size()), std::move(message));
    return true;
  });
  return scan.ok() ? decode : scan;
}
}  // namespace

Status FundsProjection::Load(const RowReader& rows) {
  State& s = *state_;
  Status failure = Status::Ok();
  using namespace funds_rows;
  Status status = LoadRows<v1::FundDefined>(rows, FundKey(""), [&](std::string_view k, v1::FundDefined&& m) {
    s.funds.emplace(std::string(k), std::move(m));
  });
  if (status.ok()) {
    status = LoadRows<v1::ProgramDefined>(rows, ProgramKey(""), [&](std::string_view k, v1::ProgramDefined&& m) {
      s.programs.emplace(std::string(k), std::move(m));
    });
  }
  if (status.ok()) {
    status = LoadRows<v1::RegionDefined>(rows, RegionKey(""), [&](std::string_view k, v1::RegionDefined&& m) {
      s.regions.emplace(std::string(k), std::move(m));
    });
  }
  if (status.ok()) {
    status = LoadRows<v1::RateSet>(rows, RatePrefix(), [&](std::string_view k, v1::RateSet&& m) {
      s.rates.emplace(std::string(k), std::move(m));
    });
  }
  if (status.ok()) {
    status = LoadRows<v1::CellTotals>(rows, CellRowKey(""), [&](std::string_view k, v1::CellTotals&& m) {
      Cell& cell = s.cells[std::string(k)];
      cell.totals = Totals::FromRow(m);
      cell.rolled_up = cell.totals;
      cell.in_rollups = true;
    });
  }
  if (status.ok()) {
    const std::string prefix = RollupPrefix();
    status = LoadRows<v1::CellTotals>(rows, prefix, [&](std::string_view k, v1::CellTotals&& m) {
      s.rollups[prefix + std::string(k)] = Totals::FromRow(m);
    });
  }
  if (status.ok()) {
    status = LoadRows<v1::CellAccounts>(rows, AccountKey(""), [&](std::string_view k, v1::CellAccounts&& m) {
      s.cells[std::string(k)].accounts = Accounts::FromRow(m);
    });
  }
  if (status.ok()) {
    status = LoadRows<v1::SourceAccount>(rows, SourceKey(""), [&](std::string_view k, v1::SourceAccount&& m) {
      s.sources[std::string(k)] = m.allocated();
    });
  }
  if (status.ok()) {
    status = LoadRows<v1::CellTotals>(rows, MonthKey(""), [&](std::string_view k, v1::CellTotals&& m) {
      s.months[std::string(k)].totals = Totals::FromRow(m);
    });
  }
  if (status.ok()) {
    status = LoadRows<v1::PlanRow>(rows, PlanKey(""), [&](std::string_view k, v1::PlanRow&& m) {
      s.plans.emplace(std::string(k), std::move(m));
    });
  }
  if (status.ok()) {
    status = LoadRows<v1::DisbursementRow>(rows, DisbursementKey(""), [&](std::string_view k, v1::DisbursementRow&& m) {
      auto cell = s.cells.find(CellKey(m.fund_code(), m.region_code(), m.program_code()));
      if (cell == s.cells.end()) {
        failure = Status(Code::kCorruption, "disbursement row " + std::string(k) + " names a cell with no row");
        return;
      }
      s.disbursements[std::string(k)] = Paid{m.index(), &cell->first, m.amount(), m.recovered(), m.payee()};
    });
  }
  if (status.ok()) {
    status = rows.Scan(ReversalKey(""), PrefixEnd(ReversalKey("")), [&](std::string_view k, std::string_view) {
      s.reversals.emplace(k.substr(ReversalKey("").size()));
      return true;
    });
  }
  if (status.ok()) {
    status = LoadRows<v1::PersonRow>(rows, PersonKey(""), [&](std::string_view k, v1::PersonRow&& m) {
      s.persons.emplace(std::string(k), std::move(m));
    });
  }
  if (status.ok()) {
    auto book = rows.Get(BookKey());
    if (book.ok()) {
      if (!s.book.ParseFromString(*book)) return Status(Code::kCorruption, "book row does not decode");
    } else if (book.status().code() != Code::kNotFound) {
      status = book.status();
    }
  }
  if (!status.ok()) return status;
  if (!failure.ok()) return failure;
  return s.CheckInvariants();
}

}  // namespace ledger
