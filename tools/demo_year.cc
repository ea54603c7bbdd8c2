#include "tools/demo_year.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstring>
#include <random>
#include <set>

#include "tools/demo_identities.h"

namespace tools::demo {

// ---- Reference data ------------------------------------------------------------------------

// Weights: roughly each region's share of the city's population and of its subsidy work.
const std::array<RegionInfo, kRegionCount> kRegions = {{
    {"150800", "巴彦淖尔市", "Bayannur City (city level)", "finance-150800-bayannur", "巴", 10},
    {"150802", "临河区", "Linhe District", "finance-150802-linhe", "临", 30},
    {"150821", "五原县", "Wuyuan County", "finance-150821-wuyuan", "五", 13},
    {"150822", "磴口县", "Dengkou County", "finance-150822-dengkou", "磴", 6},
    {"150823", "乌拉特前旗", "Urad Front Banner", "finance-150823-urad-front", "乌前", 14},
    {"150824", "乌拉特中旗", "Urad Middle Banner", "finance-150824-urad-middle", "乌中", 7},
    {"150825", "乌拉特后旗", "Urad Rear Banner", "finance-150825-urad-rear", "乌后", 4},
    {"150826", "杭锦后旗", "Hanggin Rear Banner", "finance-150826-hanggin-rear", "杭后", 14},
}};

std::size_t RegionIndex(const std::string& code) {
  for (std::size_t i = 0; i < kRegions.size(); ++i) {
    if (code == kRegions[i].code) return i;
  }
  assert(false && "not a demo region");
  return 0;
}

namespace {
constexpr const char* kNational = "财社〔2023〕181号《就业补助资金管理办法》";
}  // namespace

// Shares: central, regional (自治区), city, county. The plan's programs lean on local money; the
// national categories on the central and regional transfers.
const std::array<ProgramInfo, kProgramCount> kPrograms = {{
    {"R1", "创业带动就业补贴", "Venture employment subsidy", "《巴彦淖尔市就业促进行动实施方案》二、鼓励创业带动就业",
     {0, 60, 0, 40}},
    {"R2", "职业技能培训补贴", "Vocational skills training subsidy",
     "《巴彦淖尔市就业促进行动实施方案》三、落实培训补贴政策；财社〔2023〕181号", {70, 30, 0, 0}},
    {"R3", "中小企业人才储备计划补贴", "SME talent reserve subsidy",
     "《巴彦淖尔市就业促进行动实施方案》四、实施高校毕业生留河套工程", {0, 50, 50, 0}},
    {"R4", "就业见习补贴", "Employment internship subsidy",
     "《巴彦淖尔市就业促进行动实施方案》四、就业见习补贴；财社〔2023〕181号", {60, 0, 0, 40}},
    {"R5", "园区帮工计划就业创业服务帮工补助", "Industrial-park placement assistance",
     "《巴彦淖尔市就业促进行动实施方案》五、实施园区帮工计划", {0, 0, 50, 50}},
    {"N-JOB-INTRO", "职业介绍补贴", "Job placement subsidy", kNational, {100, 0, 0, 0}},
    {"N-SOCIAL-INSURANCE", "社会保险补贴", "Social insurance subsidy", kNational, {70, 30, 0, 0}},
    {"N-PUBLIC-POST", "公益性岗位补贴", "Public-welfare post subsidy", kNational, {50, 30, 0, 20}},
    {"N-ONE-TIME-HIRING", "一次性吸纳就业补贴", "One-time hiring subsidy", kNational, {100, 0, 0, 0}},
}};

const std::vector<FundInfo>& Funds() {
  static const std::vector<FundInfo> funds = [] {
    std::vector<FundInfo> list = {
        {"2025-central-employment", "2025年中央财政就业补助资金", ledger::v1::SOURCE_LEVEL_CENTRAL,
         "财社〔2024〕158号"},
        {"2025-regional-employment", "2025年自治区就业补助资金", ledger::v1::SOURCE_LEVEL_REGIONAL,
         "内财社〔2025〕45号"},
        {"2025-city-employment", "2025年巴彦淖尔市本级就业补助资金", ledger::v1::SOURCE_LEVEL_CITY,
         "巴财预〔2025〕2号"},
    };
    for (int region = 1; region < kRegionCount; ++region) {
      const RegionInfo& info = kRegions[static_cast<std::size_t>(region)];
      list.push_back({FundCode(kCounty, region), std::string("2025年") + info.name_zh + "本级就业补助资金",
                      ledger::v1::SOURCE_LEVEL_COUNTY, std::string(info.doc_prefix) + "财预〔2025〕1号"});
    }
    return list;
  }();
  return funds;
}

std::string FundCode(Level level, int region) {
  switch (level) {
    case kCentral: return "2025-central-employment";
    case kRegional: return "2025-regional-employment";
    case kCity: return "2025-city-employment";
    default: break;
  }
  if (region == kCityLevel) return "2025-city-employment";
  return std::string("2025-county-") + kRegions[static_cast<std::size_t>(region)].code;
}

// [GK] The minimum wage is the autonomous region's; the plan sets R1, R3 and R4; the city's
// human-resources bureau sets the amounts the plan leaves open (R5) and the national categories'.
const std::array<RateInfo, 15> kRates = {{
    {"min_wage_category_1", 227000, "fen_per_month", "2024-12-01", "内政办发〔2024〕46号"},
    {"r1_venture_tranche", 2000000, "fen", "2025-01-01", "巴政办发〔2025〕8号"},
    {"r2_class_hour", 1500, "fen_per_hour", "2025-01-01", "内人社办发〔2024〕88号"},
    {"r2_contract_uplift", 500, "per_mille", "2025-01-01", "巴政办发〔2025〕8号"},
    {"r3_talent_reserve_monthly", 70000, "fen_per_month", "2023-01-01", "巴人社发〔2023〕12号"},
    {"r3_talent_reserve_monthly", 100000, "fen_per_month", "2025-01-01", "巴政办发〔2025〕8号"},
    {"r4_internship_share", 700, "per_mille", "2025-01-01", "巴政办发〔2025〕8号"},
    {"r4_internship_share_retained", 1000, "per_mille", "2025-01-01", "巴政办发〔2025〕8号"},
    {"r4_retention_threshold", 500, "per_mille", "2025-01-01", "巴政办发〔2025〕8号"},
    {"r5_placement", 50000, "fen", "2025-03-01", "巴人社发〔2025〕15号"},
    {"n_job_intro", 20000, "fen", "2025-01-01", "巴人社发〔2025〕6号"},
    {"n_public_post_monthly", 150000, "fen_per_month", "2025-01-01", "巴人社发〔2025〕6号"},
    {"n_social_insurance_post_monthly", 85000, "fen_per_month", "2025-01-01", "巴人社发〔2025〕6号"},
    {"n_social_insurance_flexible_monthly", 60000, "fen_per_month", "2025-01-01", "巴人社发〔2025〕6号"},
    {"n_one_time_hiring", 100000, "fen", "2025-01-01", "巴人社发〔2025〕6号"},
}};

std::int64_t RateValue(const char* parameter) {
  const RateInfo* found = nullptr;
  for (const RateInfo& rate : kRates) {
    if (std::strcmp(rate.parameter, parameter) == 0) found = &rate;  // The table is in date order.
  }
  assert(found != nullptr);
  return found->value;
}

// ---- Dates -----------------------------------------------------------------------------------

std::string Date(int month, int day) {
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02d-%02d", kYear, month, day);
  return text;
}

std::string Month(int month) { return Date(month, 1).substr(0, 7); }

std::chrono::sys_days ParseDate(const std::string& date) {
  int year = 0, month = 0, day = 0;
  const int fields = std::sscanf(date.c_str(), "%4d-%2d-%2d", &year, &month, &day);
  assert(fields == 3);
  (void)fields;
  const std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                                        std::chrono::day(static_cast<unsigned>(day))};
  assert(ymd.ok());
  return std::chrono::sys_days(ymd);
}

std::string AddDays(const std::string& date, int days) {
  const std::chrono::year_month_day ymd{ParseDate(date) + std::chrono::days(days)};
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return text;
}

std::string PayDate(int period) { return period < 12 ? Date(period + 1, 20) : Date(12, 28); }

std::string Padded(std::size_t value, int width) {
  std::string text = std::to_string(value);
  if (static_cast<int>(text.size()) < width) text.insert(0, static_cast<std::size_t>(width) - text.size(), '0');
  return text;
}

// ---- The year --------------------------------------------------------------------------------

bool Year::HasStarters(int region, int month) const {
  return std::any_of(persons.begin(), persons.end(),
                     [&](const Person& p) { return p.region == region && p.start_month == month; });
}

std::vector<std::size_t> Year::Starters(int region, int month) const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < persons.size(); ++i) {
    if (persons[i].region == region && persons[i].start_month == month) out.push_back(i);
  }
  return out;
}

const std::vector<std::size_t>& Year::Payments(int region, int program, int period) const {
  static const std::vector<std::size_t> kNone;
  auto it = rosters.find({region, program, period});
  return it == rosters.end() ? kNone : it->second;
}

const std::vector<std::string>& Year::FundsFor(int region, int program) const {
  static const std::vector<std::string> kNone;
  auto it = funds_for.find({region, program});
  return it == funds_for.end() ? kNone : it->second;
}

namespace {

// How many of each kind the year holds, city-wide. Tuned so the year makes about 100,000
// disbursements; docs/demo.md gives the resulting figures.
constexpr int kPublicPostPeople = 2000;     // Paid N-PUBLIC-POST and N-SOCIAL-INSURANCE monthly.
constexpr int kTalentReservePeople = 1500;  // R3, monthly.
constexpr int kFlexiblePeople = 800;        // N-SOCIAL-INSURANCE for flexible employment, monthly.
constexpr int kVentures = 180;              // R1, a first tranche; every fifth a second one.
constexpr int kHostUnits = 600;             // R4, monthly for six months.
constexpr int kEmployers = 1200;            // N-ONE-TIME-HIRING.
constexpr int kAgencies = 36;               // R5 and N-JOB-INTRO.
constexpr int kSchools = 14;                // R2.
constexpr int kTrainingClasses = 400;
constexpr int kParkPlacements = 6000;       // R5, per placement.
constexpr int kJobIntroductions = 18000;    // N-JOB-INTRO, per placement.
constexpr int kHires = 6000;                // N-ONE-TIME-HIRING, per hire.

// `total` split over the regions by weight, each at least 1; the remainder goes to 临河区.
std::array<int, kRegionCount> SplitByWeight(int total) {
  int weights = 0;
  for (const RegionInfo& region : kRegions) weights += region.weight;
  std::array<int, kRegionCount> out{};
  int assigned = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = std::max(1, total * kRegions[i].weight / weights);
    assigned += out[i];
  }
  out[1] += total - assigned;
  return out;
}

std::int64_t CeilTo(std::int64_t value, std::int64_t step) { return (value + step - 1) / step * step; }

class YearBuilder {
 public:
  explicit YearBuilder(std::uint64_t seed) : random_(seed) {}
  Year Build();

 private:
  void MakePeople();
  Person MakePerson(int region, Cohort cohort, int start_month);
  std::vector<int> MakeUnits(int total, const char* authority_and_type, std::array<std::vector<int>, kRegionCount>* pools);
  void Pay(int region, int program, int period, std::int64_t amount_fen, int person, int unit,
           std::int64_t reversible_part_fen, std::vector<std::pair<std::string, std::string>> facts = {});
  void PayPeople();
  void PayVentures();
  void PayInternships();
  void PayTraining();
  void PayPerPlacement(int program, int total, int first_period, const char* rate, const char* fact,
                       const std::vector<const char*>& kinds, const std::array<std::vector<int>, kRegionCount>& pool);
  void IndexRosters();
  void MakePlans();
  std::size_t AddDocument(std::string id, std::string number, std::string title, std::string date, int county);
  void AddPlan(std::size_t document, Level level, int region, int program, std::int64_t amount_fen);
  void MakeArrivals();

  std::mt19937_64 random_;
  Year year_;
  std::set<std::string> id_numbers_;
  std::set<std::string> bank_cards_;
  std::uint32_t next_organization_ = 11'500'000;
  std::array<std::vector<int>, kRegionCount> ventures_, hosts_, employers_, agencies_, schools_;
};

Year YearBuilder::Build() {
  MakePeople();
  MakeUnits(kVentures, "91", &ventures_);
  MakeUnits(kHostUnits, "91", &hosts_);
  MakeUnits(kEmployers, "91", &employers_);
  MakeUnits(kAgencies, "91", &agencies_);
  MakeUnits(kSchools, "52", &schools_);  // Private training schools: civil-affairs registered.
  PayPeople();
  PayVentures();
  PayInternships();
  PayTraining();
  PayPerPlacement(kPlacementHelp, kParkPlacements, 3, "r5_placement", "placed",
                  {"graduate_within_2_years", "long_term_unemployed", "employment_difficulty"}, agencies_);
  PayPerPlacement(kJobIntroduction, kJobIntroductions, 1, "n_job_intro", "placed",
                  {"rural_labour", "registered_unemployed", "graduate_within_2_years"}, agencies_);
  PayPerPlacement(kOneTimeHiring, kHires, 2, "n_one_time_hiring", "hired",
                  {"graduate_within_2_years", "registered_unemployed"}, employers_);
  IndexRosters();
  MakePlans();
  MakeArrivals();
  return std::move(year_);
}

void YearBuilder::MakePeople() {
  const auto posts = SplitByWeight(kPublicPostPeople);
  const auto reserve = SplitByWeight(kTalentReservePeople);
  const auto flexible = SplitByWeight(kFlexiblePeople);
  for (int region = 0; region < kRegionCount; ++region) {
    const auto r = static_cast<std::size_t>(region);
    // Most public-welfare posts are filled in January, more in April and July.
    for (int i = 0; i < posts[r]; ++i) {
      year_.persons.push_back(MakePerson(region, Cohort::kPublicPost, i % 20 < 14 ? 1 : i % 20 < 17 ? 4 : 7));
    }
    for (int i = 0; i < reserve[r]; ++i) year_.persons.push_back(MakePerson(region, Cohort::kTalentReserve, 1 + i % 6));
    for (int i = 0; i < flexible[r]; ++i) year_.persons.push_back(MakePerson(region, Cohort::kFlexible, 1 + i % 4));
  }
}

Person YearBuilder::MakePerson(int region, Cohort cohort, int start_month) {
  Person person;
  person.region = region;
  person.cohort = cohort;
  person.start_month = start_month;
  // Born where they live; the city level's people in any county.
  const int home = region == kCityLevel ? Uniform(random_, 1, kRegionCount - 1) : region;
  const int born_from = cohort == Cohort::kTalentReserve ? 1999 : cohort == Cohort::kFlexible ? 1970 : 1966;
  const int born_to = cohort == Cohort::kTalentReserve ? 2003 : cohort == Cohort::kFlexible ? 1995 : 1985;
  int sequence = 0;
  do {
    sequence = Uniform(random_, 0, 999);
    person.data.id_number = ResidentId(kRegions[static_cast<std::size_t>(home)].code, Uniform(random_, born_from, born_to),
                                       Uniform(random_, 1, 12), Uniform(random_, 1, 28), sequence);
  } while (!id_numbers_.insert(person.data.id_number).second);
  person.data.name = PersonName(random_, sequence % 2 == 0);  // GB 11643: even = female.
  do {
    person.data.bank_account = BankCardNumber(random_);
  } while (!bank_cards_.insert(person.data.bank_account).second);
  return person;
}

std::vector<int> YearBuilder::MakeUnits(int total, const char* authority_and_type,
                                        std::array<std::vector<int>, kRegionCount>* pools) {
  const auto split = SplitByWeight(total);
  std::vector<int> made;
  for (int region = 0; region < kRegionCount; ++region) {
    const RegionInfo& info = kRegions[static_cast<std::size_t>(region)];
    for (int i = 0; i < split[static_cast<std::size_t>(region)]; ++i) {
      next_organization_ += static_cast<std::uint32_t>(Uniform(random_, 1, 9973));
      Unit unit;
      unit.region = region;
      unit.credit_code = CreditCode(authority_and_type, info.code, next_organization_);
      // A basic account at a bank in Inner Mongolia: 20 digits, unique per unit.
      unit.bank_account = std::string("1505") + info.code + Padded(year_.units.size() + 1, 10);
      (*pools)[static_cast<std::size_t>(region)].push_back(static_cast<int>(year_.units.size()));
      made.push_back(static_cast<int>(year_.units.size()));
      year_.units.push_back(std::move(unit));
    }
  }
  return made;
}

void YearBuilder::Pay(int region, int program, int period, std::int64_t amount_fen, int person, int unit,
                      std::int64_t reversible_part_fen, std::vector<std::pair<std::string, std::string>> facts) {
  Payment payment;
  payment.region = region;
  payment.program = program;
  payment.period = period;
  payment.amount_fen = amount_fen;
  payment.person = person;
  payment.unit = unit;
  payment.reversible_part_fen = reversible_part_fen;
  payment.facts = std::move(facts);
  year_.payments.push_back(std::move(payment));
}

void YearBuilder::PayPeople() {
  const std::int64_t post = RateValue("n_public_post_monthly");
  const std::int64_t post_insurance = RateValue("n_social_insurance_post_monthly");
  const std::int64_t reserve = RateValue("r3_talent_reserve_monthly");
  const std::int64_t flexible = RateValue("n_social_insurance_flexible_monthly");
  for (std::size_t i = 0; i < year_.persons.size(); ++i) {
    const Person& person = year_.persons[i];
    const int index = static_cast<int>(i);
    for (int month = person.start_month; month <= 12; ++month) {
      switch (person.cohort) {
        case Cohort::kPublicPost:
          Pay(person.region, kPublicPost, month, post, index, -1, post);
          Pay(person.region, kSocialInsurance, month, post_insurance, index, -1, post_insurance,
              {{"insured_as", "public_welfare_post"}});
          break;
        case Cohort::kTalentReserve:
          Pay(person.region, kTalentReserve, month, reserve, index, -1, reserve);
          break;
        case Cohort::kFlexible:
          Pay(person.region, kSocialInsurance, month, flexible, index, -1, flexible,
              {{"insured_as", "flexible_employment"}});
          break;
      }
    }
  }
}

// R1: 20,000 yuan once a venture has employed 3 or more for a year; again after 3 years of normal
// running without fewer employees. Reviewed quarterly, paid in March, June, September, November.
void YearBuilder::PayVentures() {
  const std::int64_t tranche = RateValue("r1_venture_tranche");
  static constexpr int kReviewMonths[] = {3, 6, 9, 11};
  for (int region = 0; region < kRegionCount; ++region) {
    const auto& pool = ventures_[static_cast<std::size_t>(region)];
    for (std::size_t i = 0; i < pool.size(); ++i) {
      const int employees = Uniform(random_, 3, 12);
      Pay(region, kVenture, kReviewMonths[i % 4], tranche, -1, pool[i], tranche,
          {{"tranche", "1"}, {"employees", std::to_string(employees)},
           {"insured_months", std::to_string(Uniform(random_, 12, 30))}});
      if (i % 5 == 0) {
        Pay(region, kVenture, i % 2 == 0 ? 5 : 10, tranche, -1, pool[i], tranche,
            {{"tranche", "2"}, {"employees", std::to_string(employees + Uniform(random_, 0, 4))},
             {"operating_years", std::to_string(Uniform(random_, 3, 6))}});
      }
    }
  }
}

// R4: 70% of the category-1 minimum wage per intern-month, 100% for a unit that retained half its
// interns or more; six-month internships starting March to July.
void YearBuilder::PayInternships() {
  const std::int64_t wage = RateValue("min_wage_category_1");
  for (int region = 0; region < kRegionCount; ++region) {
    for (int unit : hosts_[static_cast<std::size_t>(region)]) {
      const int interns = Uniform(random_, 1, 6);
      const int start = Uniform(random_, 3, 7);
      const bool retained = Uniform(random_, 0, 9) < 3;
      const std::int64_t share = RateValue(retained ? "r4_internship_share_retained" : "r4_internship_share");
      const std::int64_t per_intern = wage * share / 1000;
      for (int month = start; month < start + 6 && month <= 12; ++month) {
        Pay(region, kInternship, month, per_intern * interns, -1, unit, per_intern,
            {{"interns", std::to_string(interns)}, {"share_per_mille", std::to_string(share)}});
      }
    }
  }
}

// R2: per class hour, 50% more for each trainee who signed a contract of a year or more within six
// months; one payment per class to the school that ran it.
void YearBuilder::PayTraining() {
  const std::int64_t hour = RateValue("r2_class_hour");
  const std::int64_t uplift = RateValue("r2_contract_uplift");
  static constexpr int kHours[] = {40, 56, 64, 80, 120};
  const auto classes = SplitByWeight(kTrainingClasses);
  for (int region = 0; region < kRegionCount; ++region) {
    const auto& pool = schools_[static_cast<std::size_t>(region)];
    for (int i = 0; i < classes[static_cast<std::size_t>(region)]; ++i) {
      const int trainees = Uniform(random_, 20, 50);
      const int hours = kHours[Uniform(random_, 0, 4)];
      const int contracted = Uniform(random_, 0, trainees / 3);
      const std::int64_t amount = hour * hours * trainees + hour * uplift / 1000 * hours * contracted;
      const int school = pool[static_cast<std::size_t>(Uniform(random_, 0, static_cast<int>(pool.size()) - 1))];
      Pay(region, kTraining, Uniform(random_, 2, 12), amount, -1, school, amount / 10 / 100 * 100,
          {{"trainees", std::to_string(trainees)}, {"class_hours", std::to_string(hours)},
           {"contracted_trainees", std::to_string(contracted)}});
    }
  }
}

void YearBuilder::PayPerPlacement(int program, int total, int first_period, const char* rate, const char* fact,
                                  const std::vector<const char*>& kinds,
                                  const std::array<std::vector<int>, kRegionCount>& pool) {
  const std::int64_t amount = RateValue(rate);
  const auto split = SplitByWeight(total);
  const int months = 13 - first_period;
  for (int region = 0; region < kRegionCount; ++region) {
    const auto& units = pool[static_cast<std::size_t>(region)];
    for (int i = 0; i < split[static_cast<std::size_t>(region)]; ++i) {
      const int unit = units[static_cast<std::size_t>(Uniform(random_, 0, static_cast<int>(units.size()) - 1))];
      const char* kind = kinds[static_cast<std::size_t>(Uniform(random_, 0, static_cast<int>(kinds.size()) - 1))];
      Pay(region, program, first_period + i % months, amount, -1, unit, amount, {{fact, kind}});
    }
  }
}

void YearBuilder::IndexRosters() {
  for (std::size_t i = 0; i < year_.payments.size(); ++i) {
    const Payment& payment = year_.payments[i];
    year_.rosters[{payment.region, payment.program, payment.period}].push_back(i);
  }
}

// Each region's program is planned from what it will pay: the first tranches of the central and
// regional money cover the first half year with 10% to spare, everything else the whole year
// with 6% and one payment to spare. Amounts are whole thousands of yuan.
void YearBuilder::MakePlans() {
  // {periods 1-6, year, largest payment}
  std::map<std::pair<int, int>, std::array<std::int64_t, 3>> demand;
  for (const Payment& payment : year_.payments) {
    auto& cell = demand[{payment.region, payment.program}];
    if (payment.period <= 6) cell[0] += payment.amount_fen;
    cell[1] += payment.amount_fen;
    cell[2] = std::max(cell[2], payment.amount_fen);
  }
  const std::size_t central_1 = AddDocument("central-1", "巴财社〔2025〕3号",
                                            "关于提前下达2025年中央财政就业补助资金的通知", Date(1, 10), -1);
  std::array<std::size_t, kRegionCount> county{};
  for (int region = 1; region < kRegionCount; ++region) {
    const RegionInfo& info = kRegions[static_cast<std::size_t>(region)];
    county[static_cast<std::size_t>(region)] =
        AddDocument(std::string("county-") + info.code, std::string(info.doc_prefix) + "财社〔2025〕" + std::to_string(2 + region) + "号",
                    std::string("关于下达2025年") + info.name_zh + "本级就业补助资金的通知", Date(1, 15), region);
  }
  const std::size_t regional_1 = AddDocument("regional-1", "巴财社〔2025〕6号",
                                             "关于下达2025年自治区就业补助资金的通知", Date(1, 20), -1);
  const std::size_t city = AddDocument("city", "巴财社〔2025〕9号", "关于下达2025年市本级就业补助资金的通知",
                                       Date(1, 24), -1);
  const std::size_t central_2 = AddDocument("central-2", "巴财社〔2025〕41号",
                                            "关于下达2025年第二批中央财政就业补助资金的通知", Date(6, 20), -1);
  const std::size_t regional_2 = AddDocument("regional-2", "巴财社〔2025〕52号",
                                             "关于下达2025年第二批自治区就业补助资金的通知", Date(7, 15), -1);
  const std::array<std::array<std::size_t, 2>, 2> tranches = {{{central_1, central_2}, {regional_1, regional_2}}};
  for (const auto& [cell, amounts] : demand) {
    const auto [region, program] = cell;
    std::array<int, kLevelCount> share = kPrograms[static_cast<std::size_t>(program)].share_percent;
    if (region == kCityLevel) {
      share[kCity] += share[kCounty];
      share[kCounty] = 0;
    }
    // The year's money of a fund also covers one more of the largest payment, so what is left of
    // the margin is never scattered over the funds in pieces too small for a payment (R1 pays
    // 20,000 yuan at once).
    const std::int64_t largest = amounts[2];
    auto part = [&](int percent_of_share, std::int64_t base, int level) {
      const std::int64_t spare = percent_of_share > 100 ? largest : 0;
      return CeilTo(base * share[static_cast<std::size_t>(level)] * percent_of_share / 10000 + spare, 100000);
    };
    for (int level : {kCentral, kRegional}) {
      if (share[static_cast<std::size_t>(level)] == 0) continue;
      const std::int64_t first = part(110, amounts[0], level);
      const std::int64_t second = std::max(part(106, amounts[1], level) - first, part(5, amounts[1], level));
      const auto& documents = tranches[static_cast<std::size_t>(level)];
      if (first > 0) AddPlan(documents[0], static_cast<Level>(level), region, program, first);
      AddPlan(documents[1], static_cast<Level>(level), region, program, second);
    }
    if (share[kCity] > 0) AddPlan(city, kCity, region, program, part(106, amounts[1], kCity));
    if (share[kCounty] > 0) {
      AddPlan(county[static_cast<std::size_t>(region)], kCounty, region, program, part(106, amounts[1], kCounty));
    }
  }
}

std::size_t YearBuilder::AddDocument(std::string id, std::string number, std::string title, std::string date,
                                     int county) {
  year_.documents.push_back({std::move(id), std::move(number), std::move(title), std::move(date), county, {}});
  return year_.documents.size() - 1;
}

void YearBuilder::AddPlan(std::size_t document, Level level, int region, int program, std::int64_t amount_fen) {
  AllocationDocument& doc = year_.documents[document];
  Plan plan;
  plan.event_id = "plan-" + doc.id + "-" + kRegions[static_cast<std::size_t>(region)].code + "-" +
                  kPrograms[static_cast<std::size_t>(program)].code;
  plan.fund = FundCode(level, region);
  plan.region = region;
  plan.program = program;
  plan.amount_fen = amount_fen;
  plan.document = document;
  auto& funds = year_.funds_for[{region, program}];
  if (std::find(funds.begin(), funds.end(), plan.fund) == funds.end()) funds.push_back(plan.fund);
  doc.plans.push_back(year_.plans.size());
  year_.plans.push_back(std::move(plan));
}

// Most plans arrive in full within 6 to 27 days of their document, every fifth in two parts. Four
// arrive late: the second central tranche in 乌拉特前旗, the second regional tranche in 乌拉特中旗
// and (in two parts) in 杭锦后旗, the city's money in 磴口县. One never arrives in full: the second
// regional tranche of 乌拉特后旗's public-welfare posts stops at 60%.
void YearBuilder::MakeArrivals() {
  for (std::size_t i = 0; i < year_.plans.size(); ++i) {
    const Plan& plan = year_.plans[i];
    const AllocationDocument& document = year_.documents[plan.document];
    const std::int64_t amount = plan.amount_fen;
    std::vector<std::pair<int, std::int64_t>> parts;  // {days after the document, amount}
    if (document.id == "central-2" && plan.region == 4) {
      parts = {{49, amount}};
    } else if (document.id == "regional-2" && plan.region == 5) {
      parts = {{52, amount}};
    } else if (document.id == "regional-2" && plan.region == 7) {
      parts = {{20, amount * 40 / 100}, {45, amount - amount * 40 / 100}};
    } else if (document.id == "city" && plan.region == 3) {
      parts = {{38, amount}};
    } else if (document.id == "regional-2" && plan.region == 6 && plan.program == kPublicPost) {
      parts = {{25, amount * 60 / 100}};
      year_.short_plan = i;
    } else {
      const int days = 6 + static_cast<int>(i * 7 % 17);
      if (i % 5 == 0) {
        parts = {{std::max(3, days - 3), amount / 2}, {days + 5, amount - amount / 2}};
      } else {
        parts = {{days, amount}};
      }
    }
    for (std::size_t n = 0; n < parts.size(); ++n) {
      Arrival arrival;
      arrival.event_id = plan.event_id + "-arrival-" + std::to_string(n + 1);
      arrival.plan = i;
      arrival.date = AddDays(document.date, parts[n].first);
      arrival.amount_fen = parts[n].second;
      year_.arrivals.push_back(std::move(arrival));
    }
  }
  std::stable_sort(year_.arrivals.begin(), year_.arrivals.end(),
                   [](const Arrival& a, const Arrival& b) { return a.date < b.date; });
  std::array<int, kRegionCount> vouchers{};
  for (Arrival& arrival : year_.arrivals) {
    const int region = year_.plans[arrival.plan].region;
    arrival.voucher = std::string("GK-2025-") + kRegions[static_cast<std::size_t>(region)].code + "-" +
                      Padded(static_cast<std::size_t>(++vouchers[static_cast<std::size_t>(region)]), 4);
  }
}

}  // namespace

Year BuildYear(std::uint64_t seed) { return YearBuilder(seed).Build(); }

}  // namespace tools::demo
