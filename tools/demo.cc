// The demo year: see tools/demo.h for what it builds and docs/demo.md for what it contains.
//
// How it is built. Everything is decided before the first money event: the people and units, every
// payment of the year (tools/demo_year.cc draws them from a fixed seed), the budget plans sized from
// those payments, and each plan's arrivals (some late, one short). The year then runs as a timeline
// of dated steps in date order, so the log reads like the year it records. Each payment is charged
// to whichever fund of its region and program has the most money arrived and unspent; the demo
// keeps its own mirror of that money and stops with an error before the ledger would refuse a
// roster as an overdraft.
#include "tools/demo.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <ostream>
#include <random>
#include <set>
#include <vector>

#include "crypto/note.h"
#include "ledger/event_signer.h"
#include "ledger/event_store.h"
#include "ledger/funds.h"
#include "ledger/funds_query.h"
#include "ledger/vault.h"
#include "tools/demo_identities.h"
#include "tools/demo_year.h"

namespace tools {

namespace {

using ledger::Code;
using ledger::Status;
using ledger::v1::Event;
using namespace demo;  // NOLINT: the demo's vocabulary (regions, programs, plans, payments).

constexpr const char* kAdmin = "admin";
constexpr const char* kCityOfficer = "finance-city";
// An officer of 杭锦后旗 who is transferred mid-year: revoked, then refused.
constexpr const char* kFormerOfficer = "finance-150826-former";

// Milliseconds since the Unix epoch of 09:00 Beijing time (01:00 UTC) on `date`.
std::int64_t MorningMs(const std::string& date) {
  const std::chrono::sys_days day = ParseDate(date);
  return std::chrono::duration_cast<std::chrono::milliseconds>(day.time_since_epoch()).count() +
         3'600'000;
}

// A step of the year: runs on `date`; steps of one date run in `order`, then as added.
struct Step {
  std::string date;
  int order = 0;
  std::function<Status()> run;
};
enum StepOrder { kAllocations, kArrivals, kRegistrations, kPayments, kReversals, kOfficers, kTransfers };

// Seeds: the same year and the same reversals on every run (docs/demo.md: what differs).
constexpr std::uint64_t kYearSeed = 20250101;
constexpr std::uint64_t kReversalSeed = 20251231;

// A disbursement as later reversals see it.
struct PaidRecord {
  std::string event_id;
  std::string fund;
  int region = 0;
  int program = 0;
  std::int64_t amount_fen = 0;
  std::int64_t reversible_part_fen = 0;
  std::string pay_date;
};

// What the bulk steps appended since the last narrated line.
struct MonthTally {
  std::string month;
  std::uint64_t first_entry = 0;
  std::uint64_t arrivals = 0;
  std::uint64_t persons = 0;
  std::uint64_t disbursements = 0;
  std::uint64_t rosters = 0;
};

// 1234567 -> "1,234,567".
std::string Grouped(std::uint64_t value) {
  std::string digits = std::to_string(value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string RightAligned(const std::string& text, std::size_t width) {
  return text.size() >= width ? text : std::string(width - text.size(), ' ') + text;
}

class Demo {
 public:
  Demo(std::string dir, std::ostream& out) : dir_(std::move(dir)), out_(out) {}
  Status Run();

 private:
  // Setting up: keys, the store, the vault, actors and reference data.
  Status MakeKeys();
  Status CreateLedger();
  Status RegisterActors();
  Status DefineReferenceData();

  // Events and how they are appended.
  Event NewEvent(const std::string& id, const std::string& date);
  Event Document(const std::string& id, const std::string& date, const std::string& number,
                 const std::string& title, const std::string& region);
  Status Append(const std::string& signer, const Event& event);
  Status AppendRoster(const std::string& signer, const std::string& roster_id, const std::string& date,
                      const std::string& title, const std::vector<Event>& events);
  // Prints "entries A-B  what" for the entries appended since `first`.
  void Narrate(std::uint64_t first, const std::string& what);

  // The year's steps.
  void PlanSteps(std::vector<Step>* steps);
  Status FileAllocation(const AllocationDocument& document);
  Status Arrive(const Arrival& arrival);
  Status RegisterPeople(int region, int month);
  Status PayRoster(int region, int program, int period);
  Status Reverse(const std::string& date, int round);
  Status Transfer();
  Status RevokeFormerOfficer();
  Status RefuseOverdraft();

  // The demo's mirror of the money arrived and not yet paid, per cell.
  std::int64_t& Available(const std::string& fund, int region, int program);
  // The fund of a region's program with the most money arrived and not yet paid.
  const std::string& RichestFund(int region, int program);

  // Narration of the year: a line per month for the bulk, a line each for the rest.
  void Flush();
  Status Summarize();
  void PrintRegions(const ledger::RowReader& rows);
  Status PrintPlans(const ledger::RowReader& rows);

  std::string dir_;
  std::ostream& out_;
  std::map<std::string, crypto::SecretKey> keys_;
  std::unique_ptr<ledger::EventStore> store_;
  std::unique_ptr<ledger::Vault> vault_;
  Year year_;
  std::string clock_date_;
  std::int64_t clock_tick_ms_ = 0;
  std::map<std::string, std::int64_t> available_;
  std::vector<PaidRecord> paid_;
  std::set<std::size_t> reversed_;
  std::mt19937_64 random_{kReversalSeed};
  std::array<int, kRegionCount> roster_numbers_{};  // Per region: the last roster document number.
  std::array<int, kRegionCount> recovery_numbers_{};
  std::uint64_t payment_rosters_ = 0;
  std::uint64_t disbursements_ = 0;
  std::uint64_t reversals_ = 0;
  std::uint64_t persons_ = 0;
  MonthTally tally_;
};

// ---- Keys, store, actors, reference data ------------------------------------------------------

Status Demo::MakeKeys() {
  std::vector<std::string> names = {kAdmin, "auditor", "inspector-city", kCityOfficer};
  for (const RegionInfo& region : kRegions) names.emplace_back(region.officer);
  names.emplace_back(kFormerOfficer);
  std::filesystem::create_directories(dir_ + "/keys");
  for (const std::string& name : names) {
    crypto::SecretKey key = crypto::SecretKey::Generate();
    if (Status s = crypto::WriteKeyFiles(dir_ + "/keys/" + name + ".key", name, key); !s.ok()) return s;
    keys_.emplace(name, std::move(key));
  }
  return Status::Ok();
}

Status Demo::CreateLedger() {
  ledger::CreateOptions create;
  create.data_dir = dir_;
  create.origin = kDemoOrigin;
  create.first_admin.set_name(kAdmin);
  create.first_admin.set_public_key(std::string(crypto::AsBytes(keys_.at(kAdmin).public_key())));
  create.first_admin.set_role(ledger::v1::ROLE_ADMIN);
  create.timestamp_ms = MorningMs(Date(1, 2)) - 3'600'000;
  if (Status s = ledger::EventStore::Create(create); !s.ok()) return s;
  out_ << "created ledger '" << kDemoOrigin << "' in " << dir_ << " (log key " << dir_ << "/log.pub)\n";
  out_ << "  entry 0               genesis, signed by the log key, registers admin\n";
  auto store = ledger::EventStore::Open({dir_, 0, {}});
  if (!store.ok()) return store.status();
  store_ = std::move(*store);
  auto vault = ledger::Vault::Open(dir_);
  if (!vault.ok()) return vault.status();
  vault_ = std::move(*vault);
  return Status::Ok();
}

Status Demo::RegisterActors() {
  const std::uint64_t first = store_->size();
  struct Registration {
    std::string name;
    ledger::v1::Role role;
    std::string region;
  };
  std::vector<Registration> registrations = {{"auditor", ledger::v1::ROLE_AUDITOR, ""},
                                             {"inspector-city", ledger::v1::ROLE_INSPECTOR, ""},
                                             {kCityOfficer, ledger::v1::ROLE_FINANCE_OFFICER, ""}};
  for (const RegionInfo& region : kRegions) {
    registrations.push_back({region.officer, ledger::v1::ROLE_FINANCE_OFFICER, region.code});
  }
  registrations.push_back({kFormerOfficer, ledger::v1::ROLE_FINANCE_OFFICER, "150826"});
  for (const Registration& registration : registrations) {
    Event event = NewEvent("register-" + registration.name, Date(1, 2));
    auto* actor = event.mutable_register_actor()->mutable_actor();
    actor->set_name(registration.name);
    actor->set_public_key(std::string(crypto::AsBytes(keys_.at(registration.name).public_key())));
    actor->set_role(registration.role);
    actor->set_region_code(registration.region);
    if (Status s = Append(kAdmin, event); !s.ok()) return s;
  }
  Narrate(first, "admin registers the auditor, an inspector, the city-wide finance officer and one "
                 "finance officer per region (and 杭锦后旗's outgoing officer)");
  return Status::Ok();
}

Status Demo::DefineReferenceData() {
  const std::uint64_t first = store_->size();
  for (const RegionInfo& info : kRegions) {
    Event event = NewEvent(std::string("region-") + info.code, Date(1, 2));
    auto* region = event.mutable_region_defined();
    region->set_region_code(info.code);
    region->set_name_zh(info.name_zh);
    region->set_name_en(info.name_en);
    if (Status s = Append(kAdmin, event); !s.ok()) return s;
  }
  for (const ProgramInfo& info : kPrograms) {
    Event event = NewEvent(std::string("program-") + info.code, Date(1, 2));
    auto* program = event.mutable_program_defined();
    program->set_program_code(info.code);
    program->set_name_zh(info.name_zh);
    program->set_name_en(info.name_en);
    program->set_legal_basis(info.legal_basis);
    if (Status s = Append(kAdmin, event); !s.ok()) return s;
  }
  for (const FundInfo& info : Funds()) {
    Event event = NewEvent("fund-" + info.code, Date(1, 2));
    auto* fund = event.mutable_fund_defined();
    fund->set_fund_code(info.code);
    fund->set_name(info.name);
    fund->set_year(kYear);
    fund->set_source_level(info.level);
    fund->set_document_number(info.document);
    if (Status s = Append(kAdmin, event); !s.ok()) return s;
  }
  for (const RateInfo& info : kRates) {
    Event event = NewEvent(std::string("rate-") + info.parameter + "-" + info.effective_from, Date(1, 2));
    auto* rate = event.mutable_rate_set();
    rate->set_parameter(info.parameter);
    rate->set_value(info.value);
    rate->set_unit(info.unit);
    rate->set_effective_from(info.effective_from);
    rate->set_document_number(info.document);
    if (Status s = Append(kAdmin, event); !s.ok()) return s;
  }
  Narrate(first, "admin records the reference data: " + std::to_string(kRegions.size()) + " regions, " +
                     std::to_string(kPrograms.size()) + " programs, " + std::to_string(Funds().size()) +
                     " funds, " + std::to_string(kRates.size()) + " effective-dated rates");
  return Status::Ok();
}

// ---- Events --------------------------------------------------------------------------------------

Event Demo::NewEvent(const std::string& id, const std::string& date) {
  if (date != clock_date_) {
    clock_date_ = date;
    clock_tick_ms_ = 0;
  }
  Event event;
  event.set_origin(kDemoOrigin);
  event.set_event_id(id);
  event.set_timestamp_ms(MorningMs(date) + clock_tick_ms_);
  clock_tick_ms_ += 250;  // Four events a second: a day's work stays within the day.
  return event;
}

Event Demo::Document(const std::string& id, const std::string& date, const std::string& number,
                     const std::string& title, const std::string& region) {
  Event event = NewEvent(id, date);
  auto* document = event.mutable_document_filed();
  document->set_document_number(number);
  document->set_title(title);
  // A stand-in for the document file's bytes: the demo has no files.
  document->set_sha256(std::string(crypto::AsBytes(crypto::Sha256(number + "\n" + title))));
  document->set_region_code(region);
  return event;
}

Status Demo::Append(const std::string& signer, const Event& event) {
  auto receipt = store_->Append(ledger::SignEvent(event, keys_.at(signer)));
  if (!receipt.ok()) {
    return Status(receipt.status().code(), event.event_id() + ": " + receipt.status().message());
  }
  return Status::Ok();
}

Status Demo::AppendRoster(const std::string& signer, const std::string& roster_id, const std::string& date,
                          const std::string& title, const std::vector<Event>& events) {
  ledger::v1::RosterHeader header;
  header.set_origin(kDemoOrigin);
  header.set_roster_id(roster_id);
  header.set_timestamp_ms(MorningMs(date));
  header.set_title(title);
  auto receipts = store_->AppendRoster(ledger::SignRoster(header, events, keys_.at(signer)));
  if (!receipts.ok()) return Status(receipts.status().code(), roster_id + ": " + receipts.status().message());
  return Status::Ok();
}

void Demo::Narrate(std::uint64_t first, const std::string& what) {
  const std::uint64_t last = store_->size() - 1;
  std::string range = first == last ? "entry " + std::to_string(first)
                                    : "entries " + std::to_string(first) + "-" + std::to_string(last);
  range.resize(std::max<std::size_t>(range.size(), 20), ' ');
  out_ << "  " << range << "  " << what << "\n";
  tally_.first_entry = store_->size();
}

std::int64_t& Demo::Available(const std::string& fund, int region, int program) {
  return available_[fund + "/" + kRegions[static_cast<std::size_t>(region)].code + "/" +
                    kPrograms[static_cast<std::size_t>(program)].code];
}

// ---- The year's steps ----------------------------------------------------------------------------

void Demo::PlanSteps(std::vector<Step>* steps) {
  for (const AllocationDocument& document : year_.documents) {
    steps->push_back({document.date, kAllocations, [this, &document] { return FileAllocation(document); }});
  }
  for (const Arrival& arrival : year_.arrivals) {
    steps->push_back({arrival.date, kArrivals, [this, &arrival] { return Arrive(arrival); }});
  }
  for (int month = 1; month <= 12; ++month) {
    for (int region = 0; region < kRegionCount; ++region) {
      if (!year_.HasStarters(region, month)) continue;
      steps->push_back({Date(month, 6), kRegistrations, [this, region, month] { return RegisterPeople(region, month); }});
    }
    for (int region = 0; region < kRegionCount; ++region) {
      for (int program = 0; program < kProgramCount; ++program) {
        if (year_.Payments(region, program, month).empty()) continue;
        steps->push_back({PayDate(month), kPayments,
                          [this, region, program, month] { return PayRoster(region, program, month); }});
      }
    }
  }
  for (int round = 0; round < 3; ++round) {
    const std::string date = Date(6 + 3 * round, 10);
    steps->push_back({date, kReversals, [this, date, round] { return Reverse(date, round); }});
  }
  steps->push_back({Date(4, 1), kOfficers, [this] { return RevokeFormerOfficer(); }});
  steps->push_back({Date(11, 10), kTransfers, [this] { return Transfer(); }});
  steps->push_back({Date(12, 31), kTransfers, [this] { return RefuseOverdraft(); }});
  std::stable_sort(steps->begin(), steps->end(), [](const Step& a, const Step& b) {
    return a.date != b.date ? a.date < b.date : a.order < b.order;
  });
}

// A budget document: filed by its hash, then its plans as one roster (a document is all or nothing).
Status Demo::FileAllocation(const AllocationDocument& document) {
  Flush();
  const std::uint64_t first = store_->size();
  const std::string region = document.county < 0 ? "" : kRegions[static_cast<std::size_t>(document.county)].code;
  const std::string signer =
      document.county < 0 ? kCityOfficer : kRegions[static_cast<std::size_t>(document.county)].officer;
  if (Status s = Append(signer, Document("doc-" + document.id, document.date, document.number,
                                         document.title, region));
      !s.ok()) {
    return s;
  }
  std::vector<Event> events;
  for (std::size_t index : document.plans) {
    const Plan& plan = year_.plans[index];
    Event event = NewEvent(plan.event_id, document.date);
    auto* allocation = event.mutable_allocation_planned();
    allocation->set_fund_code(plan.fund);
    allocation->set_region_code(kRegions[static_cast<std::size_t>(plan.region)].code);
    allocation->set_program_code(kPrograms[static_cast<std::size_t>(plan.program)].code);
    allocation->set_amount_fen(plan.amount_fen);
    allocation->set_document_number(document.number);
    allocation->set_document_date(document.date);
    events.push_back(std::move(event));
  }
  if (Status s = AppendRoster(signer, "allocation-" + document.id, document.date, document.title, events); !s.ok()) {
    return s;
  }
  Narrate(first, document.number + " " + document.title + " (" + std::to_string(events.size()) +
                     " plans, signed by " + signer + ")");
  return Status::Ok();
}

Status Demo::Arrive(const Arrival& arrival) {
  const Plan& plan = year_.plans[arrival.plan];
  const RegionInfo& region = kRegions[static_cast<std::size_t>(plan.region)];
  Event event = NewEvent(arrival.event_id, arrival.date);
  auto* received = event.mutable_funds_received();
  received->set_plan_event_id(plan.event_id);
  received->set_region_code(region.code);
  received->set_amount_fen(arrival.amount_fen);
  received->set_value_date(arrival.date);
  received->set_voucher_number(arrival.voucher);
  if (Status s = Append(region.officer, event); !s.ok()) return s;
  Available(plan.fund, plan.region, plan.program) += arrival.amount_fen;
  ++tally_.arrivals;
  return Status::Ok();
}

// New people of `region` whose first subsidy month is `month`: their personal data goes to the
// vault, their pseudonyms to the log, in one roster signed by the region's officer.
Status Demo::RegisterPeople(int region, int month) {
  const RegionInfo& info = kRegions[static_cast<std::size_t>(region)];
  std::vector<Event> events;
  for (std::size_t index : year_.Starters(region, month)) {
    Person& person = year_.persons[index];
    auto subject = vault_->Register(person.data);
    if (!subject.ok()) return subject.status();
    person.subject_id = *subject;
    person.account_digest = vault_->AccountDigest(person.data.bank_account);
    person.data = {};  // The demo keeps no personal data once the vault holds it.
    Event event = NewEvent(std::string("person-") + info.code + "-" + Padded(index, 5), Date(month, 6));
    auto* registered = event.mutable_person_registered();
    registered->set_subject_id(person.subject_id);
    registered->set_account_digest(person.account_digest);
    registered->set_region_code(info.code);
    events.push_back(std::move(event));
  }
  persons_ += events.size();
  tally_.persons += events.size();
  return AppendRoster(info.officer, std::string("persons-") + info.code + "-" + Month(month), Date(month, 6),
                      std::string(info.name_zh) + Month(month) + "新增补贴对象登记名册", events);
}

const std::string& Demo::RichestFund(int region, int program) {
  const std::vector<std::string>& funds = year_.FundsFor(region, program);
  assert(!funds.empty());
  const std::string* richest = &funds.front();
  for (const std::string& fund : funds) {
    if (Available(fund, region, program) > Available(*richest, region, program)) richest = &fund;
  }
  return *richest;
}

// One roster: a region's payments of one program for one subsidy month, signed once by the
// region's officer under one roster document number.
Status Demo::PayRoster(int region, int program, int period) {
  const RegionInfo& info = kRegions[static_cast<std::size_t>(region)];
  const ProgramInfo& subsidy = kPrograms[static_cast<std::size_t>(program)];
  const std::string date = PayDate(period);
  const std::string number = std::string(info.doc_prefix) + "人社发〔2025〕" +
                             std::to_string(++roster_numbers_[static_cast<std::size_t>(region)] + 20) + "号";
  const std::string prefix = std::string("pay-") + info.code + "-" + subsidy.code + "-" + Month(period) + "-";
  std::vector<Event> events;
  for (std::size_t index : year_.Payments(region, program, period)) {
    const Payment& payment = year_.payments[index];
    const std::string fund = RichestFund(region, program);
    std::int64_t& available = Available(fund, region, program);
    if (available < payment.amount_fen) {
      return Status(Code::kOverdraft, "the demo's plans leave " + std::string(info.code) + "/" + subsidy.code +
                                          " without money on " + date + " (a bug in tools/demo_year.cc)");
    }
    available -= payment.amount_fen;
    Event event = NewEvent(prefix + Padded(events.size() + 1, 5), date);
    auto* pay = event.mutable_disbursement();
    pay->set_fund_code(fund);
    pay->set_region_code(info.code);
    pay->set_program_code(subsidy.code);
    pay->set_amount_fen(payment.amount_fen);
    if (payment.person >= 0) {
      const Person& person = year_.persons[static_cast<std::size_t>(payment.person)];
      assert(!person.subject_id.empty());  // Registered in the month the subsidy starts.
      pay->set_subject_id(person.subject_id);
      pay->set_account_ref(person.account_digest);
    } else {
      const Unit& unit = year_.units[static_cast<std::size_t>(payment.unit)];
      pay->set_unit_code(unit.credit_code);
      pay->set_account_ref(unit.bank_account);
    }
    pay->set_period(Month(period));
    pay->set_pay_date(date);
    pay->set_document_number(number);
    for (const auto& [name, value] : payment.facts) {
      auto* fact = pay->add_facts();
      fact->set_name(name);
      fact->set_value(value);
    }
    paid_.push_back({event.event_id(), fund, region, program, payment.amount_fen, payment.reversible_part_fen, date});
    events.push_back(std::move(event));
  }
  disbursements_ += events.size();
  tally_.disbursements += events.size();
  ++tally_.rosters;
  ++payment_rosters_;
  return AppendRoster(info.officer, prefix + "roster", date,
                      std::string(info.name_zh) + "2025年" + std::to_string(period) + "月" + subsidy.name_zh +
                          "发放花名册",
                      events);
}

// A round of recoveries (追回) found by review: whole payments made twice or to people not
// entitled, and parts of payments for interns who left early or class hours cut on audit.
Status Demo::Reverse(const std::string& date, int round) {
  Flush();
  struct Finding {
    int program;
    bool partial;
    const char* reason;
  };
  static constexpr Finding kFindings[] = {
      {kPublicPost, false, "重复发放：同一人同月公益性岗位补贴发放两次"},
      {kSocialInsurance, false, "不符合条件：已按月领取基本养老金"},
      {kInternship, true, "见习人员提前离岗，追回多发的见习补贴"},
      {kTraining, true, "培训学时核减，追回多拨的培训补贴"},
      {kTalentReserve, false, "不符合条件：人才储备人员当月已离职"},
      {kOneTimeHiring, false, "不符合条件：劳动合同未满一年即解除"},
  };
  const std::uint64_t first = store_->size();
  std::int64_t recovered = 0;
  for (int n = 0; n < 12; ++n) {
    const Finding& finding = kFindings[n % 6];
    std::size_t index = 0;
    for (int tries = 0;; ++tries) {
      if (tries == 1'000'000) return Status(Code::kNotFound, "no payment left to reverse (a bug in tools/demo.cc)");
      index = static_cast<std::size_t>(Uniform(random_, 0, static_cast<int>(paid_.size()) - 1));
      if (paid_[index].program == finding.program && paid_[index].pay_date < date && reversed_.count(index) == 0) break;
    }
    reversed_.insert(index);
    const PaidRecord& paid = paid_[index];
    const RegionInfo& info = kRegions[static_cast<std::size_t>(paid.region)];
    const std::int64_t amount = finding.partial ? paid.reversible_part_fen : paid.amount_fen;
    Event event = NewEvent("reversal-" + paid.event_id, date);
    auto* reversal = event.mutable_reversal();
    reversal->set_disbursement_event_id(paid.event_id);
    reversal->set_region_code(info.code);
    reversal->set_amount_fen(amount);
    reversal->set_reason(finding.reason);
    reversal->set_value_date(date);
    reversal->set_document_number(std::string(info.doc_prefix) + "人社追〔2025〕" +
                                  std::to_string(++recovery_numbers_[static_cast<std::size_t>(paid.region)]) + "号");
    if (Status s = Append(info.officer, event); !s.ok()) return s;
    Available(paid.fund, paid.region, paid.program) += amount;
    recovered += amount;
    ++reversals_;
  }
  Narrate(first, date + ": review round " + std::to_string(round + 1) + ", 12 reversals (追回) of " +
                     ledger::FormatYuan(recovered) + " yuan: double payments, people not entitled, interns "
                     "who left early, class hours cut");
  return Status::Ok();
}

// 调剂: 乌拉特后旗's public-welfare posts wait for regional money that will not come in full, so
// half of what its training subsidy holds of the regional fund moves there on an approval.
Status Demo::Transfer() {
  Flush();
  constexpr int kRegion = 6;  // 乌拉特后旗
  const RegionInfo& info = kRegions[kRegion];
  const std::string fund = FundCode(kRegional, kRegion);
  const std::string number = std::string(info.doc_prefix) + "财社〔2025〕61号";
  const std::int64_t amount = Available(fund, kRegion, kTraining) / 2 / 100'000 * 100'000;
  if (amount <= 0) return Status(Code::kOverdraft, "nothing to transfer (a bug in tools/demo.cc)");
  const std::uint64_t first = store_->size();
  if (Status s = Append(info.officer, Document("doc-transfer-150825", Date(11, 10), number,
                                               "关于调剂使用2025年自治区就业补助资金的批复", info.code));
      !s.ok()) {
    return s;
  }
  Event event = NewEvent("transfer-150825-R2-N-PUBLIC-POST", Date(11, 10));
  auto* transfer = event.mutable_program_transfer();
  transfer->set_fund_code(fund);
  transfer->set_region_code(info.code);
  transfer->set_from_program(kPrograms[kTraining].code);
  transfer->set_to_program(kPrograms[kPublicPost].code);
  transfer->set_amount_fen(amount);
  transfer->set_approval_document(number);
  transfer->set_value_date(Date(11, 10));
  if (Status s = Append(info.officer, event); !s.ok()) return s;
  Available(fund, kRegion, kTraining) -= amount;
  Available(fund, kRegion, kPublicPost) += amount;
  Narrate(first, std::string(info.name_zh) + " files " + number + " and moves " + ledger::FormatYuan(amount) +
                     " yuan of regional money from R2 to N-PUBLIC-POST (调剂)");
  return Status::Ok();
}

// 杭锦后旗's outgoing officer is revoked; what their key signs afterwards is refused, and so is a
// signature made for another ledger.
Status Demo::RevokeFormerOfficer() {
  Flush();
  const std::uint64_t first = store_->size();
  Event revoke = NewEvent("revoke-finance-150826-former", Date(4, 1));
  revoke.mutable_revoke_actor()->set_public_key(std::string(crypto::AsBytes(keys_.at(kFormerOfficer).public_key())));
  revoke.mutable_revoke_actor()->set_reason("调任其他岗位 (transferred to another post)");
  if (Status s = Append(kAdmin, revoke); !s.ok()) return s;
  Narrate(first, "2025-04-01: admin revokes finance-150826-former");
  auto refused = store_->Append(ledger::SignEvent(
      Document("doc-hanggin-late", Date(4, 2), "杭后财社〔2025〕9号", "撤销后提交的文件", "150826"),
      keys_.at(kFormerOfficer)));
  out_ << "  refused:              " << (refused.ok() ? std::string("ACCEPTED?!") : refused.status().ToString()) << "\n";
  if (refused.ok()) return Status(Code::kCorruption, "a revoked key was accepted");
  Event foreign = Document("doc-foreign", Date(4, 2), "外〔2025〕1号", "另一账本的文件", "150802");
  foreign.set_origin("another-ledger");
  refused = store_->Append(ledger::SignEvent(foreign, keys_.at(kRegions[1].officer)));
  out_ << "  refused:              " << (refused.ok() ? std::string("ACCEPTED?!") : refused.status().ToString()) << "\n";
  if (refused.ok()) return Status(Code::kCorruption, "an event signed for another ledger was accepted");
  tally_.first_entry = store_->size();
  return Status::Ok();
}

// The last word of the year: a payment beyond what has arrived is refused and nothing is written.
Status Demo::RefuseOverdraft() {
  Flush();
  constexpr int kRegion = 6;  // 乌拉特后旗, whose regional money arrived short.
  const std::string fund = FundCode(kRegional, kRegion);
  const Person* payee = nullptr;
  for (const Person& person : year_.persons) {
    if (person.region == kRegion && person.cohort == Cohort::kPublicPost) payee = &person;
  }
  assert(payee != nullptr);
  Event event = NewEvent("pay-150825-N-PUBLIC-POST-refused", Date(12, 31));
  auto* pay = event.mutable_disbursement();
  pay->set_fund_code(fund);
  pay->set_region_code(kRegions[kRegion].code);
  pay->set_program_code(kPrograms[kPublicPost].code);
  pay->set_amount_fen(Available(fund, kRegion, kPublicPost) + 1'000'000);
  pay->set_subject_id(payee->subject_id);
  pay->set_account_ref(payee->account_digest);
  pay->set_period(Month(12));
  pay->set_pay_date(Date(12, 31));
  pay->set_document_number("乌后人社发〔2025〕99号");
  auto refused = store_->Append(ledger::SignEvent(event, keys_.at(kRegions[kRegion].officer)));
  out_ << "  refused:              " << (refused.ok() ? std::string("ACCEPTED?!") : refused.status().ToString()) << "\n";
  if (refused.ok()) return Status(Code::kCorruption, "an overdraft was accepted");
  tally_.first_entry = store_->size();
  return Status::Ok();
}

void Demo::Flush() {
  if (tally_.arrivals + tally_.persons + tally_.disbursements > 0) {
    std::string what = tally_.month + ":";
    if (tally_.arrivals > 0) {
      what += " " + Grouped(tally_.arrivals) + (tally_.arrivals == 1 ? " arrival" : " arrivals") + " (到位),";
    }
    if (tally_.persons > 0) what += " " + Grouped(tally_.persons) + " people registered (vault, then log),";
    if (tally_.disbursements > 0) {
      what += " " + Grouped(tally_.disbursements) + " disbursements in " + Grouped(tally_.rosters) + " rosters,";
    }
    what.pop_back();
    Narrate(tally_.first_entry, what);
  }
  const std::string month = tally_.month;
  tally_ = MonthTally();
  tally_.month = month;
  tally_.first_entry = store_->size();
}

// ---- The summary -------------------------------------------------------------------------------

Status Demo::Summarize() {
  const ledger::RowReader& rows = store_->projection_rows();
  auto book = ledger::QueryBook(rows);
  auto city = ledger::QueryBalance(rows, {});
  auto months = ledger::QueryMonthlyTotals(rows, "");
  if (!book.ok()) return book.status();
  if (!city.ok()) return city.status();
  if (!months.ok()) return months.status();
  std::uint64_t money_events = 0;
  for (const ledger::MonthTotal& month : *months) money_events += month.events;
  if (book->debits() != book->credits() || money_events != disbursements_ + reversals_) {
    return Status(Code::kCorruption, "the ledger's figures disagree with what the demo appended");
  }
  out_ << "\nthe year as the ledger reports it (ledger/funds_query.h over its projection rows):\n";
  out_ << "  entries " << Grouped(store_->size()) << "; " << Grouped(persons_)
       << " people registered (names, ID numbers and bank accounts only in " << dir_ << "/vault)\n";
  out_ << "  " << Grouped(disbursements_) << " disbursements in " << Grouped(payment_rosters_) << " rosters, "
       << reversals_ << " reversals, 1 program transfer\n";
  out_ << "  book: debits = credits = " << ledger::FormatYuan(book->debits()) << " yuan in "
       << Grouped(book->postings()) << " postings\n";
  out_ << "  city-wide, yuan: planned " << ledger::FormatYuan(city->planned) << ", received "
       << ledger::FormatYuan(city->received) << ", disbursed " << ledger::FormatYuan(city->disbursed)
       << ", recovered " << ledger::FormatYuan(city->recovered) << ", available "
       << ledger::FormatYuan(city->available()) << "\n";
  PrintRegions(rows);
  return PrintPlans(rows);
}

void Demo::PrintRegions(const ledger::RowReader& rows) {
  out_ << "  region" << RightAligned("planned", 16) << RightAligned("received", 16) << RightAligned("net disbursed", 16)
       << RightAligned("available", 16) << "  (yuan)\n";
  for (const RegionInfo& info : kRegions) {
    auto balance = ledger::QueryBalance(rows, {"", info.code, ""});
    if (!balance.ok()) continue;
    out_ << "  " << info.code << RightAligned(ledger::FormatYuan(balance->planned), 16)
         << RightAligned(ledger::FormatYuan(balance->received), 16)
         << RightAligned(ledger::FormatYuan(balance->net_disbursed()), 16)
         << RightAligned(ledger::FormatYuan(balance->available()), 16) << "  " << info.name_zh << "\n";
  }
}

// 足额到位: how many plans arrived in full, which took longer than the Budget Law's 30 days, and
// which fell short.
Status Demo::PrintPlans(const ledger::RowReader& rows) {
  auto plans = ledger::QueryPlans(rows, {});
  if (!plans.ok()) return plans.status();
  std::map<std::pair<std::string, std::string>, std::pair<int, int>> late;  // {document, region} -> {plans, days}
  std::vector<const ledger::PlanArrival*> short_plans;
  std::size_t full = 0;
  for (const ledger::PlanArrival& plan : *plans) {
    if (!plan.full()) {
      short_plans.push_back(&plan);
      continue;
    }
    ++full;
    const int days = plan.days_to_full().value_or(0);
    if (days <= 30) continue;
    auto& entry = late[{plan.plan.document_date() + "  " + plan.plan.document_number(), plan.plan.region_code()}];
    ++entry.first;
    entry.second = std::max(entry.second, days);
  }
  out_ << "  plans: " << plans->size() << ", " << full << " arrived in full; these took more than 30 days:\n";
  for (const auto& [key, value] : late) {
    const std::string plural = value.first == 1 ? " plan " : " plans";
    out_ << "    " << key.first << "  " << key.second << "  " << value.first << plural << " in full after "
         << value.second << " days  " << kRegions[RegionIndex(key.second)].name_zh << "\n";
  }
  for (const ledger::PlanArrival* plan : short_plans) {
    out_ << "  short of its plan at year end: " << plan->plan.document_number() << " " << plan->plan.fund_code()
         << " " << plan->plan.region_code() << " " << plan->plan.program_code() << ": planned "
         << ledger::FormatYuan(plan->plan.planned()) << ", received " << ledger::FormatYuan(plan->plan.received())
         << ", short " << ledger::FormatYuan(plan->plan.planned() - plan->plan.received()) << " yuan  "
         << kRegions[RegionIndex(plan->plan.region_code())].name_zh << "\n";
  }
  return Status::Ok();
}

Status Demo::Run() {
  if (Status s = MakeKeys(); !s.ok()) return s;
  if (Status s = CreateLedger(); !s.ok()) return s;
  if (Status s = RegisterActors(); !s.ok()) return s;
  if (Status s = DefineReferenceData(); !s.ok()) return s;
  year_ = BuildYear(kYearSeed);
  std::vector<Step> steps;
  PlanSteps(&steps);
  tally_.first_entry = store_->size();
  for (const Step& step : steps) {
    if (step.date.substr(0, 7) != tally_.month) {
      Flush();
      tally_.month = step.date.substr(0, 7);
    }
    if (Status s = step.run(); !s.ok()) return s;
  }
  Flush();
  if (Status s = Summarize(); !s.ok()) return s;
  out_ << "latest checkpoint:\n" << store_->checkpoint();
  out_ << "keys: " << dir_ << "/keys/ holds admin.key, auditor.key, inspector-city.key, finance-city.key and "
          "one officer's key per region (finance-150800-bayannur.key ... finance-150826-hanggin-rear.key); "
          "finance-150826-former.key is revoked\n";
  return store_->Close();
}

}  // namespace

ledger::Status BuildDemo(const std::string& data_dir, std::ostream& out) {
  return Demo(data_dir, out).Run();
}

}  // namespace tools
