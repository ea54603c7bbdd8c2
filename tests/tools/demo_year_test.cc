// The demo's year as data (tools/demo_year.h) and the fake identities it is made of
// (tools/demo_identities.h): well-formed, reproducible, and sized as docs/demo.md says.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>

#include "ledger/identifiers.h"
#include "tools/demo_identities.h"
#include "tools/demo_year.h"

namespace {

using namespace tools::demo;  // NOLINT: the vocabulary under test.

TEST(DemoIdentitiesTest, ResidentIdMatchesTheDomainExample) {
  // docs: 11010519491231002X passes GB 11643-1999.
  EXPECT_EQ(ResidentId("110105", 1949, 12, 31, 2), "11010519491231002X");
  EXPECT_EQ(ResidentIdCheck("11010519491231002"), 'X');
}

TEST(DemoIdentitiesTest, CreditCodeCheckMatchesTheDomainExamples) {
  EXPECT_EQ(CreditCodeCheck("91350200MA2YJ1XR9"), 'G');
  EXPECT_EQ(CreditCodeCheck("91350200776049653"), 'A');
  // 77604965-3 is a valid GB 11714 organization code: CreditCode computes that 3 itself.
  EXPECT_EQ(CreditCode("91", "350200", 77604965), "91350200776049653A");
}

TEST(DemoIdentitiesTest, BankCardNumbersHave19DigitsAndALuhnCheck) {
  std::mt19937_64 random(7);
  for (int i = 0; i < 1000; ++i) {
    const std::string card = BankCardNumber(random);
    ASSERT_EQ(card.size(), 19u);
    int sum = 0;
    for (std::size_t d = 0; d < card.size(); ++d) {
      int digit = card[card.size() - 1 - d] - '0';
      if (d % 2 == 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
      sum += digit;
    }
    EXPECT_EQ(sum % 10, 0) << card;
  }
}

TEST(DemoIdentitiesTest, NamesAreOneToFourChineseCharacters) {
  std::mt19937_64 random(11);
  for (int i = 0; i < 1000; ++i) {
    const std::string name = PersonName(random, i % 2 == 0);
    EXPECT_GE(name.size(), 6u) << name;  // Two CJK characters of three bytes each, at least.
    EXPECT_LE(name.size(), 12u) << name;
    EXPECT_EQ(name.size() % 3, 0u) << name;
  }
}

TEST(DemoIdentitiesTest, UniformIsTheSameForTheSameSeed) {
  std::mt19937_64 a(42), b(42);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(Uniform(a, -5, 1000), Uniform(b, -5, 1000));
}

class DemoYearTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { year_ = new Year(BuildYear(20250101)); }
  static void TearDownTestSuite() {
    delete year_;
    year_ = nullptr;
  }
  static Year* year_;
};
Year* DemoYearTest::year_ = nullptr;

TEST_F(DemoYearTest, EveryIdentifierPassesTheLedgersChecksAndIsUnique) {
  std::set<std::string> ids, cards, codes;
  for (const Person& person : year_->persons) {
    ASSERT_TRUE(ledger::ValidateResidentId(person.data.id_number).ok());
    EXPECT_TRUE(ids.insert(person.data.id_number).second);
    EXPECT_TRUE(cards.insert(person.data.bank_account).second);
    EXPECT_FALSE(person.data.name.empty());
  }
  for (const Unit& unit : year_->units) {
    ASSERT_TRUE(ledger::ValidateCreditCode(unit.credit_code).ok()) << unit.credit_code;
    EXPECT_TRUE(codes.insert(unit.credit_code).second) << unit.credit_code;
  }
  EXPECT_GE(year_->persons.size(), 3000u);
  EXPECT_LE(year_->persons.size(), 6000u);
}

TEST_F(DemoYearTest, TheSameSeedGivesTheSameYear) {
  const Year again = BuildYear(20250101);
  ASSERT_EQ(again.payments.size(), year_->payments.size());
  for (std::size_t i = 0; i < again.payments.size(); ++i) {
    ASSERT_EQ(again.payments[i].amount_fen, year_->payments[i].amount_fen) << i;
    ASSERT_EQ(again.payments[i].facts, year_->payments[i].facts) << i;
  }
  ASSERT_EQ(again.persons.size(), year_->persons.size());
  for (std::size_t i = 0; i < again.persons.size(); ++i) ASSERT_EQ(again.persons[i].data, year_->persons[i].data);
  ASSERT_EQ(again.plans.size(), year_->plans.size());
  for (std::size_t i = 0; i < again.plans.size(); ++i) ASSERT_EQ(again.plans[i].amount_fen, year_->plans[i].amount_fen);
}

TEST_F(DemoYearTest, AboutOneHundredThousandPaymentsAtThePlansRates) {
  EXPECT_GE(year_->payments.size(), 95'000u);
  EXPECT_LE(year_->payments.size(), 105'000u);
  std::map<int, std::set<std::int64_t>> amounts;
  for (const Payment& payment : year_->payments) {
    amounts[payment.program].insert(payment.amount_fen);
    EXPECT_GE(payment.period, 1);
    EXPECT_LE(payment.period, 12);
    EXPECT_NE(payment.person < 0, payment.unit < 0);  // A person or a unit, never both.
  }
  EXPECT_EQ(amounts[kTalentReserve], std::set<std::int64_t>{100000});  // 1,000 yuan a month.
  EXPECT_EQ(amounts[kVenture], std::set<std::int64_t>{2000000});       // 20,000 yuan a tranche.
  for (std::int64_t amount : amounts[kInternship]) {
    EXPECT_TRUE(amount % 158900 == 0 || amount % 227000 == 0) << amount;  // 70% or 100% of 2,270 yuan.
  }
}

TEST_F(DemoYearTest, PlansCoverEveryRegionsProgramsAndOnePlanArrivesShort) {
  std::map<std::size_t, std::int64_t> arrived;
  for (const Arrival& arrival : year_->arrivals) arrived[arrival.plan] += arrival.amount_fen;
  std::size_t short_plans = 0;
  for (std::size_t i = 0; i < year_->plans.size(); ++i) {
    EXPECT_LE(arrived[i], year_->plans[i].amount_fen);
    if (arrived[i] < year_->plans[i].amount_fen) {
      ++short_plans;
      EXPECT_EQ(i, year_->short_plan);
    }
  }
  EXPECT_EQ(short_plans, 1u);
  for (int region = 0; region < kRegionCount; ++region) {
    for (int program = 0; program < kProgramCount; ++program) {
      EXPECT_FALSE(year_->FundsFor(region, program).empty()) << region << " " << program;
    }
  }
}

}  // namespace
