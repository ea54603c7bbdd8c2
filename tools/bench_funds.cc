#include "tools/bench_funds.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "crypto/signing.h"
#include "ledger/constants.h"
#include "ledger/event_signer.h"
#include "ledger/event_store.h"
#include "ledger/funds_query.h"
#include "ledger/replayer.h"

namespace tools {

namespace {

using Clock = std::chrono::steady_clock;
using ledger::v1::Event;
constexpr const char* kOrigin = "bench-funds";
constexpr const char* kRegions[] = {"150800", "150802", "150821", "150822",
                                    "150823", "150824", "150825", "150826"};
constexpr const char* kPrograms[] = {"R1", "R2", "R3", "R4", "R5", "N-SOCIAL-INSURANCE"};
constexpr const char* kFunds[] = {"2025-central", "2025-regional"};
constexpr std::size_t kUnits = 1000;
constexpr std::size_t kQueries = 2000;  // Per kind of query, for the percentiles.

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// A unified social credit code with a correct check character (GB 32100-2015).
std::string CreditCode(std::size_t n) {
  static constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  static constexpr int kWeights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
  std::string code = "91150800MA" + std::to_string(1'000'000 + n);  // 17 characters.
  int sum = 0;
  for (std::size_t i = 0; i < 17; ++i) sum += static_cast<int>(kAlphabet.find(code[i])) * kWeights[i];
  code += kAlphabet[static_cast<std::size_t>((31 - sum % 31) % 31)];
  return code;
}

class Builder {
 public:
  explicit Builder(std::string dir) : dir_(std::move(dir)) {}

  ledger::Status Create() {
    ledger::CreateOptions create;
    create.data_dir = dir_;
    create.origin = kOrigin;
    create.first_admin.set_name("admin");
    create.first_admin.set_public_key(std::string(crypto::AsBytes(admin_.public_key())));
    create.first_admin.set_role(ledger::v1::ROLE_ADMIN);
    if (auto s = ledger::EventStore::Create(create); !s.ok()) return s;
    auto store = ledger::EventStore::Open({dir_, 0, {}});
    if (!store.ok()) return store.status();
    store_ = std::move(*store);
    Event officer = New();
    auto* actor = officer.mutable_register_actor()->mutable_actor();
    actor->set_name("finance-city");
    actor->set_public_key(std::string(crypto::AsBytes(officer_.public_key())));
    actor->set_role(ledger::v1::ROLE_FINANCE_OFFICER);
    std::vector<Event> reference = {officer};
    for (const char* code : kRegions) {
      Event e = New();
      e.mutable_region_defined()->set_region_code(code);
      e.mutable_region_defined()->set_name_zh("旗县区");
      reference.push_back(e);
    }
    for (const char* code : kPrograms) {
      Event e = New();
      e.mutable_program_defined()->set_program_code(code);
      e.mutable_program_defined()->set_name_zh("补贴项目");
      reference.push_back(e);
    }
    for (const char* code : kFunds) {
      Event e = New();
      auto* fund = e.mutable_fund_defined();
      fund->set_fund_code(code);
      fund->set_name("2025年就业补助资金");
      fund->set_year(2025);
      fund->set_source_level(ledger::v1::SOURCE_LEVEL_CENTRAL);
      fund->set_document_number("财社〔2025〕1号");
      reference.push_back(e);
    }
    if (auto s = Roster(reference, admin_); !s.ok()) return s;
    // Every cell planned and funded far beyond what the payments take.
    std::vector<Event> money;
    for (const char* fund : kFunds) {
      for (const char* region : kRegions) {
        for (const char* program : kPrograms) {
          Event plan = New();
          auto* p = plan.mutable_allocation_planned();
          p->set_fund_code(fund);
          p->set_region_code(region);
          p->set_program_code(program);
          p->set_amount_fen(10'000'000'000'000);
          p->set_document_number("内财社〔2025〕12号");
          p->set_document_date("2025-01-10");
          money.push_back(plan);
          Event arrival = New();
          auto* a = arrival.mutable_funds_received();
          a->set_plan_event_id(plan.event_id());
          a->set_region_code(region);
          a->set_amount_fen(10'000'000'000'000);
          a->set_value_date("2025-02-01");
          money.push_back(arrival);
        }
      }
    }
    return Roster(money, officer_);
  }

  // Disbursements to units in rosters of 10,000, one reversal per 100 (of a payment earlier in
  // the same roster: two rosters are in flight, so their order is not fixed); returns events/s.
  ledger::Result<double> Pay(std::uint64_t count) {
    const std::size_t per_roster = ledger::constants::roster_events_max;
    std::vector<std::string> rosters;
    std::vector<std::string> payments;
    std::mt19937_64 random(42);
    std::vector<Event> roster;
    auto flush = [&] {
      ledger::v1::RosterHeader header;
      header.set_origin(kOrigin);
      header.set_roster_id("roster-" + std::to_string(rosters.size()));
      header.set_timestamp_ms(1'740'000'000'000);
      rosters.push_back(ledger::SignRoster(header, roster, officer_));
      roster.clear();
      payments.clear();
    };
    for (std::uint64_t i = 0; i < count; ++i) {
      Event e = New();
      if (i % 100 == 99 && !payments.empty()) {
        auto* r = e.mutable_reversal();
        const std::string& original = payments[random() % payments.size()];
        r->set_disbursement_event_id(original);
        r->set_region_code(kRegions[std::stoul(original.substr(4)) % 8]);
        r->set_amount_fen(1);
        r->set_reason("不符合条件");
        r->set_value_date("2025-06-15");
      } else {
        auto* d = e.mutable_disbursement();
        const std::size_t n = std::stoul(e.event_id().substr(4));
        d->set_fund_code(kFunds[n % 2]);
        d->set_region_code(kRegions[n % 8]);
        d->set_program_code(kPrograms[n % 6]);
        d->set_amount_fen(158'900);
        d->set_unit_code(units_[n % kUnits]);
        d->set_account_ref("6222020200112233445");
        const int month = 1 + static_cast<int>(i % 12);
        d->set_period("2025-" + std::string(month < 10 ? "0" : "") + std::to_string(month));
        d->set_pay_date(d->period() + "-20");
        d->set_document_number("就见〔2025〕3号");
        payments.push_back(e.event_id());
      }
      roster.push_back(std::move(e));
      if (roster.size() == per_roster) flush();
    }
    if (!roster.empty()) flush();
    auto start = Clock::now();
    ledger::Status failure;
    std::mutex mutex;
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {  // Two in flight: one sequenced while the other commits.
      threads.emplace_back([&] {
        for (std::size_t r = next++; r < rosters.size(); r = next++) {
          auto receipts = store_->AppendRoster(std::move(rosters[r]));
          if (!receipts.ok()) {
            std::lock_guard<std::mutex> lock(mutex);
            failure = receipts.status();
          }
        }
      });
    }
    for (auto& thread : threads) thread.join();
    if (!failure.ok()) return failure;
    return static_cast<double>(count) / Seconds(Clock::now() - start);
  }

  ledger::EventStore& store() { return *store_; }
  const crypto::SecretKey& admin() const { return admin_; }
  ledger::Status Close() { return store_->Close(); }
  ledger::Status Reopen() {
    auto store = ledger::EventStore::Open({dir_, 0, {}});
    if (!store.ok()) return store.status();
    store_ = std::move(*store);
    return ledger::Status::Ok();
  }

 private:
  // Event ids "pay-<n>": n also picks the payment's region, so a reversal can name it.
  Event New() {
    Event event;
    event.set_origin(kOrigin);
    event.set_event_id("pay-" + std::to_string(counter_++));
    event.set_timestamp_ms(1'740'000'000'000);
    return event;
  }
  ledger::Status Roster(const std::vector<Event>& events, const crypto::SecretKey& key) {
    ledger::v1::RosterHeader header;
    header.set_origin(kOrigin);
    header.set_roster_id("setup-" + std::to_string(counter_));
    header.set_timestamp_ms(1'740'000'000'000);
    auto receipts = store_->AppendRoster(ledger::SignRoster(header, events, key));
    return receipts.ok() ? ledger::Status::Ok() : receipts.status();
  }

  std::string dir_;
  crypto::SecretKey admin_ = crypto::SecretKey::Generate();
  crypto::SecretKey officer_ = crypto::SecretKey::Generate();
  std::unique_ptr<ledger::EventStore> store_;
  std::size_t counter_ = 0;
  std::vector<std::string> units_ = [] {
    std::vector<std::string> units;
    for (std::size_t n = 0; n < kUnits; ++n) units.push_back(CreditCode(n));
    return units;
  }();
};

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<std::size_t>(p * static_cast<double>(values.size())))];
}

// The filter of query `i`: the whole city, a region, a program, a region's program, one cell.
ledger::CellFilter FilterFor(std::size_t i) {
  switch (i % 5) {
    case 0: return {};
    case 1: return {"", kRegions[i % 8], ""};
    case 2: return {"", "", kPrograms[i % 6]};
    case 3: return {"", kRegions[i % 8], kPrograms[i % 6]};
    default: return {kFunds[i % 2], kRegions[i % 8], kPrograms[i % 6]};
  }
}

}  // namespace

std::string BalanceTargetFor(std::size_t i) {
  const ledger::CellFilter filter = FilterFor(i);
  std::string query;
  auto add = [&](const char* name, const std::string& value) {
    if (!value.empty()) query += (query.empty() ? "?" : "&") + std::string(name) + "=" + value;
  };
  add("fund", filter.fund);
  add("region", filter.region);
  add("program", filter.program);
  return "/v1/balances" + query;
}

ledger::Result<FundsBenchResult> RunFundsBench(const std::string& dir, std::uint64_t events,
                                               const FundsLedgerPhase& with_open_ledger) {
  FundsBenchResult result;
  Builder builder(dir);
  if (auto s = builder.Create(); !s.ok()) return s;
  auto rate = builder.Pay(events);
  if (!rate.ok()) return rate.status();
  result.append_per_second = *rate;
  result.entries = builder.store().size();
  if (auto s = builder.Close(); !s.ok()) return s;

  auto rebuild = ledger::RebuildProjections(dir);
  if (!rebuild.ok()) return rebuild.status();
  result.scan_per_second = static_cast<double>(rebuild->entries) / rebuild->scan_seconds;
  result.rebuild_per_second = static_cast<double>(rebuild->entries) / rebuild->rebuild_seconds;

  if (auto s = builder.Reopen(); !s.ok()) return s;
  const ledger::RowReader& rows = builder.store().projection_rows();
  std::mt19937_64 random(7);
  std::vector<double> head, as_of;
  for (std::size_t i = 0; i < kQueries; ++i) {
    auto start = Clock::now();
    auto balance = ledger::QueryBalance(rows, FilterFor(i));
    head.push_back(Seconds(Clock::now() - start) * 1e6);
    if (!balance.ok()) return balance.status();
    const std::uint64_t size = 1 + random() % result.entries;
    start = Clock::now();
    balance = ledger::QueryBalance(rows, FilterFor(i), size);
    as_of.push_back(Seconds(Clock::now() - start) * 1e6);
    if (!balance.ok()) return balance.status();
  }
  result.head_p50_us = Percentile(head, 0.50);
  result.head_p99_us = Percentile(head, 0.99);
  result.as_of_p50_us = Percentile(as_of, 0.50);
  result.as_of_p99_us = Percentile(as_of, 0.99);
  if (with_open_ledger) {
    if (auto s = with_open_ledger(builder.store(), builder.admin()); !s.ok()) return s;
  }
  if (auto s = builder.Close(); !s.ok()) return s;
  return result;
}

}  // namespace tools
