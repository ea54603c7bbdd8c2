// The demo's 2025 for Bayannur, as data: the reference tables (regions, programs, funds, rates),
// and a year drawn from a fixed seed: the people and units subsidies go to, every payment of the
// year, the budget plans sized from those payments and how each plan's money arrives. Nothing
// here touches a ledger or a vault; tools/demo.cc appends it. docs/demo.md describes the year.
//
// BuildYear is a pure function of its seed: the same seed gives the same year on every platform.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ledger/ledger.pb.h"
#include "ledger/vault.h"

namespace tools::demo {

inline constexpr int kYear = 2025;

// ---- Reference data ----

struct RegionInfo {
  const char* code;
  const char* name_zh;
  const char* name_en;
  const char* officer;     // Key name of the region's finance officer.
  const char* doc_prefix;  // Abbreviation that opens the region's document numbers.
  int weight;              // Share of the city's subsidies, roughly by population.
};
inline constexpr int kRegionCount = 8;
inline constexpr int kCityLevel = 0;  // 150800: the city's own (市本级) budget.
extern const std::array<RegionInfo, kRegionCount> kRegions;
// The index in kRegions of a region code; asserts that it is one.
std::size_t RegionIndex(const std::string& code);

enum ProgramIndex {
  kVenture,          // R1
  kTraining,         // R2
  kTalentReserve,    // R3
  kInternship,       // R4
  kPlacementHelp,    // R5
  kJobIntroduction,  // N-JOB-INTRO
  kSocialInsurance,  // N-SOCIAL-INSURANCE
  kPublicPost,       // N-PUBLIC-POST
  kOneTimeHiring,    // N-ONE-TIME-HIRING
  kProgramCount
};
enum Level { kCentral, kRegional, kCity, kCounty, kLevelCount };

struct ProgramInfo {
  const char* code;
  const char* name_zh;
  const char* name_en;
  const char* legal_basis;
  std::array<int, kLevelCount> share_percent;  // How the levels fund it; sums to 100.
};
extern const std::array<ProgramInfo, kProgramCount> kPrograms;

struct FundInfo {
  std::string code;
  std::string name;
  ledger::v1::SourceLevel level;
  std::string document;
};
// The central, regional and city funds, then one county fund per county.
const std::vector<FundInfo>& Funds();
// The fund of `level` that pays in `region` (the city's own budget pays for 150800's county share).
std::string FundCode(Level level, int region);

struct RateInfo {
  const char* parameter;
  std::int64_t value;
  const char* unit;
  const char* effective_from;
  const char* document;
};
extern const std::array<RateInfo, 15> kRates;
// The value of `parameter` in force in 2025 (the latest entry of kRates).
std::int64_t RateValue(const char* parameter);

// ---- Dates ----

std::string Date(int month, int day);          // "2025-MM-DD"
std::string Month(int month);                  // "2025-MM"
std::chrono::sys_days ParseDate(const std::string& date);
std::string AddDays(const std::string& date, int days);
// The pay date of a subsidy month: the 20th of the next month; December is paid on 12-28.
std::string PayDate(int period);
// `value` in decimal, zero-padded to `width` digits.
std::string Padded(std::size_t value, int width);

// ---- The year ----

enum class Cohort { kPublicPost, kTalentReserve, kFlexible };

struct Person {
  int region = 0;
  Cohort cohort = Cohort::kPublicPost;
  int start_month = 1;              // First subsidy month.
  ledger::PersonalData data;        // Until the vault holds it.
  std::string subject_id;           // Once registered.
  std::string account_digest;
};

struct Unit {
  int region = 0;
  std::string credit_code;
  std::string bank_account;
};

struct Payment {
  int region = 0;
  int program = 0;
  int period = 1;                   // Subsidy month 1-12.
  std::int64_t amount_fen = 0;
  int person = -1;                  // Index into Year::persons, or
  int unit = -1;                    // into Year::units.
  std::int64_t reversible_part_fen = 0;  // What a partial recovery would claw back.
  std::vector<std::pair<std::string, std::string>> facts;
};

struct Plan {
  std::string event_id;
  std::string fund;
  int region = 0;
  int program = 0;
  std::int64_t amount_fen = 0;
  std::size_t document = 0;  // Index into Year::documents.
};

// One budget document and the plans it allocates. `county` is the region index of a county's own
// document, or -1 for the city's documents (which pass on central, regional and city money).
struct AllocationDocument {
  std::string id;
  std::string number;
  std::string title;
  std::string date;
  int county = -1;
  std::vector<std::size_t> plans;
};

struct Arrival {
  std::string event_id;
  std::size_t plan = 0;
  std::string date;
  std::int64_t amount_fen = 0;
  std::string voucher;
};

struct Year {
  std::vector<Person> persons;
  std::vector<Unit> units;
  std::vector<Payment> payments;
  std::vector<Plan> plans;
  std::vector<AllocationDocument> documents;
  std::vector<Arrival> arrivals;  // In date order.
  std::size_t short_plan = 0;  // The plan that never arrives in full.

  bool HasStarters(int region, int month) const;
  std::vector<std::size_t> Starters(int region, int month) const;
  // Indexes into `payments` of one roster: a region's program for one subsidy month.
  const std::vector<std::size_t>& Payments(int region, int program, int period) const;
  // Codes of the funds that plan money for a region's program.
  const std::vector<std::string>& FundsFor(int region, int program) const;

  std::map<std::array<int, 3>, std::vector<std::size_t>> rosters;  // {region, program, period}
  std::map<std::pair<int, int>, std::vector<std::string>> funds_for;
};

Year BuildYear(std::uint64_t seed);

}  // namespace tools::demo
