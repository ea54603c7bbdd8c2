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

}  // namespace

struct FundsProjection::State {
  // Reference data.
  std::map<std::string, v1::FundDefined> funds;
  std::map<std::string, v1::ProgramDefined> programs;
  std::map<std::string, v1::RegionDefined> regions;
  std::map<std::string, v1::RateSet> rates;  // Key: parameter/effective_from.

  // Money: gross totals and the book's accounts per cell (fund/region/program), source
  // accounts per fund, and the book's own totals.
  struct Cell {
    v1::CellTotals totals;
    v1::CellAccounts accounts;
  };
  std::map<std::string, Cell> cells;
  std::map<std::string, std::int64_t> sources;
  v1::BookRow book;
  std::map<std::string, v1::CellTotals> months;  // Key: program/YYYY-MM/region.

  // What later events cite.
  std::unordered_map<std::string, v1::PlanRow> plans;
  std::unordered_map<std::string, v1::DisbursementRow> disbursements;
  std::unordered_set<std::string> reversals;
  std::unordered_map<std::string, v1::PersonRow> persons;

  // Current-total rows rewritten at the end of the batch.
  std::set<std::string> dirty_cells;
  std::set<std::string> dirty_sources;
  std::set<std::string> dirty_months;

  // Undo journal while a savepoint is set: each entry restores one value.
  bool recording = false;
  std::vector<std::function<void()>> undo;

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
    *debit += debit_is_debit_normal ? amount : -amount;
    *credit += credit_is_debit_normal ? -amount : amount;
    book.set_debits(book.debits() + amount);
    book.set_credits(book.credits() + amount);
    book.set_postings(book.postings() + 1);
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

  Cell& TouchCell(const std::string& key) {
    Remember(cells, key);
    dirty_cells.insert(key);
    return cells[key];
  }

  void WriteCellHistory(const std::string& key, std::uint64_t index, RowWriter* rows) {
    if (rows != nullptr) rows->Put(funds_rows::CellAtKey(key, index), cells[key].totals.SerializeAsString());
  }

  void TouchMonth(const std::string& program, std::string_view date, const std::string& region,
                  std::int64_t disbursed, std::int64_t recovered) {
    const std::string key = funds_rows::MonthKeySuffix(program, date.substr(0, 7), region);
    Remember(months, key);
    dirty_months.insert(key);
    v1::CellTotals& month = months[key];
    month.set_disbursed(month.disbursed() + disbursed);
    month.set_recovered(month.recovered() + recovered);
    month.set_events(month.events() + 1);
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
  Status CheckInvariants() const;
};

FundsProjection::FundsProjection() : state_(std::make_unique<State>()) {}
FundsProjection::~FundsProjection() = default;

Status FundsProjection::Apply(const CheckedEvent& checked, std::uint64_t index,
                              const v1::ActorRecord& /*signer*/, RowWriter* rows) {
  const v1::Event& event = checked.event;
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

  const std::string key = CellKey(plan.fund_code(), plan.region_code(), plan.program_code());
  Cell& cell = TouchCell(key);
  Remember(sources, plan.fund_code());
  dirty_sources.insert(plan.fund_code());
  RememberBook();
  std::int64_t& source = sources[plan.fund_code()];
  std::int64_t planned = cell.accounts.planned();
  Post(&planned, true, &source, false, plan.amount_fen());
  cell.accounts.set_planned(planned);
  cell.totals.set_planned(cell.totals.planned() + plan.amount_fen());
  cell.totals.set_events(cell.totals.events() + 1);

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
  WriteCellHistory(key, index, rows);
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
  const std::int64_t outstanding = plan.planned() - plan.received();
  if (arrival.amount_fen() > outstanding) {
    return Status(Code::kOverdraft, "plan '" + arrival.plan_event_id() + "' has " + FormatYuan(outstanding) +
                                        " yuan still to arrive, the arrival is " +
                                        FormatYuan(arrival.amount_fen()));
  }
  if (Status s = CheckBookRoom(arrival.amount_fen()); !s.ok()) return s;

  const std::string key = CellKey(plan.fund_code(), plan.region_code(), plan.program_code());
  Cell& cell = TouchCell(key);
  RememberBook();
  std::int64_t available = cell.accounts.available();
  std::int64_t planned = cell.accounts.planned();
  Post(&available, true, &planned, true, arrival.amount_fen());
  cell.accounts.set_available(available);
  cell.accounts.set_planned(planned);
  cell.totals.set_received(cell.totals.received() + arrival.amount_fen());
  cell.totals.set_events(cell.totals.events() + 1);

  Remember(plans, arrival.plan_event_id());
  v1::PlanRow& row = plans[arrival.plan_event_id()];
  row.set_received(row.received() + arrival.amount_fen());
  row.set_arrivals(row.arrivals() + 1);
  if (row.first_arrival().empty()) row.set_first_arrival(arrival.value_date());
  if (row.received() == row.planned()) row.set_full_arrival(arrival.value_date());
  if (rows != nullptr) rows->Put(funds_rows::PlanKey(arrival.plan_event_id()), row.SerializeAsString());
  WriteCellHistory(key, index, rows);
  return Status::Ok();
}

Status FundsProjection::State::ApplyDisbursement(const v1::Event& event, std::uint64_t index,
                                                 RowWriter* rows) {
  const v1::Disbursement& pay = event.disbursement();
  if (Status s = CheckCell(pay.fund_code(), pay.region_code(), pay.program_code()); !s.ok()) return s;
  if (Status s = CheckAmount("disbursed amount", pay.amount_fen()); !s.ok()) return s;
  std::string payee;
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
      payee = pay.subject_id();
      break;
    }
    case v1::Disbursement::kUnitCode: {
      if (Status s = ValidateCreditCode(pay.unit_code()); !s.ok()) return s;
      if (pay.account_ref().empty() || pay.account_ref().size() > 64) {
        return Invalid("a unit's payment names its bank account in account_ref (1 to 64 characters)");
      }
      payee = pay.unit_code();
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

  const std::string key = CellKey(pay.fund_code(), pay.region_code(), pay.program_code());
  auto cell_it = cells.find(key);
  const std::int64_t available = cell_it == cells.end() ? 0 : cell_it->second.accounts.available();
  if (pay.amount_fen() > available) {
    return Status(Code::kOverdraft, pay.region_code() + "/" + pay.program_code() + " of fund " +
                                        pay.fund_code() + " has " + FormatYuan(available) +
                                        " yuan available, disbursement asks " + FormatYuan(pay.amount_fen()));
  }
  if (Status s = CheckBookRoom(pay.amount_fen()); !s.ok()) return s;

  Cell& cell = TouchCell(key);
  RememberBook();
  std::int64_t disbursed = cell.accounts.disbursed();
  std::int64_t avail = cell.accounts.available();
  Post(&disbursed, true, &avail, true, pay.amount_fen());
  cell.accounts.set_disbursed(disbursed);
  cell.accounts.set_available(avail);
  cell.totals.set_disbursed(cell.totals.disbursed() + pay.amount_fen());
  cell.totals.set_events(cell.totals.events() + 1);
  TouchMonth(pay.program_code(), pay.pay_date(), pay.region_code(), pay.amount_fen(), 0);

  v1::DisbursementRow row;
  row.set_index(index);
  row.set_fund_code(pay.fund_code());
  row.set_region_code(pay.region_code());
  row.set_program_code(pay.program_code());
  row.set_amount(pay.amount_fen());
  row.set_payee(payee);
  Remember(disbursements, event.event_id());
  disbursements[event.event_id()] = row;
  if (rows != nullptr) {
    rows->Put(funds_rows::DisbursementKey(event.event_id()), row.SerializeAsString());
    rows->Put(funds_rows::PayeeKey(payee, index), {});
  }
  WriteCellHistory(key, index, rows);
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
  const v1::DisbursementRow& paid = it->second;
  if (reversal.region_code() != paid.region_code()) {
    return Invalid("disbursement '" + original + "' was paid in region " + paid.region_code() +
                   ", the reversal names " + reversal.region_code().substr(0, 16));
  }
  if (Status s = CheckAmount("reversed amount", reversal.amount_fen()); !s.ok()) return s;
  if (Status s = CheckText("reversal reason", reversal.reason(), true); !s.ok()) return s;
  if (Status s = CheckText("document number", reversal.document_number(), false); !s.ok()) return s;
  if (Status s = CheckDate("reversal value date", reversal.value_date()); !s.ok()) return s;
  const std::int64_t unrecovered = paid.amount() - paid.recovered();
  if (reversal.amount_fen() > unrecovered) {
    return Status(Code::kInvalidAmount, "disbursement '" + original + "' paid " + FormatYuan(paid.amount()) +
                                            " yuan of which " + FormatYuan(paid.recovered()) +
                                            " is already recovered; the reversal asks " +
                                            FormatYuan(reversal.amount_fen()));
  }
  if (Status s = CheckBookRoom(reversal.amount_fen()); !s.ok()) return s;

  const std::string key = CellKey(paid.fund_code(), paid.region_code(), paid.program_code());
  Cell& cell = TouchCell(key);
  RememberBook();
  std::int64_t available = cell.accounts.available();
  std::int64_t recovered = cell.accounts.recovered();
  Post(&available, true, &recovered, false, reversal.amount_fen());
  cell.accounts.set_available(available);
  cell.accounts.set_recovered(recovered);
  cell.totals.set_recovered(cell.totals.recovered() + reversal.amount_fen());
  cell.totals.set_events(cell.totals.events() + 1);
  TouchMonth(paid.program_code(), reversal.value_date(), paid.region_code(), 0, reversal.amount_fen());

  Remember(disbursements, original);
  v1::DisbursementRow& row = disbursements[original];
  row.set_recovered(row.recovered() + reversal.amount_fen());
  RememberSet(reversals, event.event_id());
  reversals.insert(event.event_id());
  if (rows != nullptr) {
    rows->Put(funds_rows::DisbursementKey(original), row.SerializeAsString());
    rows->Put(funds_rows::ReversalKey(event.event_id()), format::EncodeIndex(index));
    rows->Put(funds_rows::PayeeKey(row.payee(), index), {});
  }
  WriteCellHistory(key, index, rows);
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
  const std::string from_key = CellKey(transfer.fund_code(), transfer.region_code(), transfer.from_program());
  const std::string to_key = CellKey(transfer.fund_code(), transfer.region_code(), transfer.to_program());
  auto from_it = cells.find(from_key);
  const std::int64_t available = from_it == cells.end() ? 0 : from_it->second.accounts.available();
  if (transfer.amount_fen() > available) {
    return Status(Code::kOverdraft, transfer.region_code() + "/" + transfer.from_program() + " of fund " +
                                        transfer.fund_code() + " has " + FormatYuan(available) +
                                        " yuan available, the transfer asks " + FormatYuan(transfer.amount_fen()));
  }
  if (Status s = CheckBookRoom(transfer.amount_fen()); !s.ok()) return s;

  Cell& from = TouchCell(from_key);
  Cell& to = TouchCell(to_key);  // std::map: `from` stays valid.
  RememberBook();
  std::int64_t to_available = to.accounts.available();
  std::int64_t from_available = from.accounts.available();
  Post(&to_available, true, &from_available, true, transfer.amount_fen());
  to.accounts.set_available(to_available);
  from.accounts.set_available(from_available);
  from.totals.set_transferred_out(from.totals.transferred_out() + transfer.amount_fen());
  from.totals.set_events(from.totals.events() + 1);
  to.totals.set_transferred_in(to.totals.transferred_in() + transfer.amount_fen());
  to.totals.set_events(to.totals.events() + 1);
  WriteCellHistory(from_key, index, rows);
  WriteCellHistory(to_key, index, rows);
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

// ---- Batches, invariants, savepoints ----

Status FundsProjection::EndBatch(RowWriter* rows) {
  State& s = *state_;
  if (Status status = s.CheckInvariants(); !status.ok()) return status;
  if (rows != nullptr) {
    for (const std::string& key : s.dirty_cells) {
      auto it = s.cells.find(key);
      if (it == s.cells.end()) continue;  // Created by an event that was rolled back.
      rows->Put(funds_rows::CellRowKey(key), it->second.totals.SerializeAsString());
      rows->Put(funds_rows::AccountKey(key), it->second.accounts.SerializeAsString());
    }
    for (const std::string& fund : s.dirty_sources) {
      auto it = s.sources.find(fund);
      if (it == s.sources.end()) continue;
      v1::SourceAccount source;
      source.set_allocated(it->second);
      rows->Put(funds_rows::SourceKey(fund), source.SerializeAsString());
    }
    for (const std::string& key : s.dirty_months) {
      auto it = s.months.find(key);
      if (it == s.months.end()) continue;
      rows->Put(funds_rows::MonthKey(key), it->second.SerializeAsString());
    }
    if (!s.dirty_cells.empty()) rows->Put(funds_rows::BookKey(), s.book.SerializeAsString());
  }
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
    const v1::CellTotals& t = cell.totals;
    const v1::CellAccounts& a = cell.accounts;
    if (a.planned() < 0 || a.available() < 0 || a.disbursed() < 0 || a.recovered() < 0) {
      return Status(Code::kCorruption, "an account of " + key + " is below zero");
    }
    const std::int64_t available =
        t.received() + t.transferred_in() - t.transferred_out() - t.disbursed() + t.recovered();
    if (a.planned() != t.planned() - t.received() || a.available() != available ||
        a.disbursed() != t.disbursed() || a.recovered() != t.recovered()) {
      return Status(Code::kCorruption, "the accounts of " + key + " disagree with its totals");
    }
    auto parts = funds_rows::SplitCellKey(key);
    planned_by_fund[parts[0]] += t.planned();
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
      s.cells[std::string(k)].totals = std::move(m);
    });
  }
  if (status.ok()) {
    status = LoadRows<v1::CellAccounts>(rows, AccountKey(""), [&](std::string_view k, v1::CellAccounts&& m) {
      s.cells[std::string(k)].accounts = std::move(m);
    });
  }
  if (status.ok()) {
    status = LoadRows<v1::SourceAccount>(rows, SourceKey(""), [&](std::string_view k, v1::SourceAccount&& m) {
      s.sources[std::string(k)] = m.allocated();
    });
  }
  if (status.ok()) {
    status = LoadRows<v1::CellTotals>(rows, MonthKey(""), [&](std::string_view k, v1::CellTotals&& m) {
      s.months.emplace(std::string(k), std::move(m));
    });
  }
  if (status.ok()) {
    status = LoadRows<v1::PlanRow>(rows, PlanKey(""), [&](std::string_view k, v1::PlanRow&& m) {
      s.plans.emplace(std::string(k), std::move(m));
    });
  }
  if (status.ok()) {
    status = LoadRows<v1::DisbursementRow>(rows, DisbursementKey(""), [&](std::string_view k, v1::DisbursementRow&& m) {
      s.disbursements.emplace(std::string(k), std::move(m));
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
  return s.CheckInvariants();
}

}  // namespace ledger
