// Fund flows against a real store: every rule and rejection with exact amounts, and the
// queries that read the projection back.
#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "ledger/funds.h"
#include "ledger/funds_query.h"
#include "ledger/log_reader.h"
#include "tests/fund_events.h"
#include "tests/test_ledger.h"

namespace {

using ledger::Code;
using ledger::v1::Event;
using testing_ledger::TestLedger;

using namespace testing_ledger::funds;

class FundsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    city_ = ledger_.Register("finance-city", ledger::v1::ROLE_FINANCE_OFFICER);
    wuyuan_ = ledger_.Register("finance-wuyuan", ledger::v1::ROLE_FINANCE_OFFICER, kWuyuan);
    for (const Event& event : Reference()) Admin(event);
  }

  void Admin(const Event& event) {
    auto receipt = ledger_.Append(event, ledger_.admin());
    ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  }
  void Ok(const Event& event) {
    auto receipt = ledger_.Append(event, wuyuan_);
    ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  }
  // Appends `event` by the Wuyuan officer and expects the rejection, with nothing written.
  ledger::Status Refused(const Event& event, const crypto::SecretKey* key = nullptr) {
    const std::uint64_t size = ledger_.store().size();
    auto receipt = ledger_.Append(event, key ? *key : wuyuan_);
    EXPECT_FALSE(receipt.ok());
    EXPECT_EQ(ledger_.store().size(), size);
    return receipt.ok() ? ledger::Status::Ok() : receipt.status();
  }
  ledger::Balance Balance(const ledger::CellFilter& filter = {},
                          std::optional<std::uint64_t> size = std::nullopt) {
    auto balance = ledger::QueryBalance(ledger_.store().projection_rows(), filter, size);
    EXPECT_TRUE(balance.ok()) << balance.status().ToString();
    return balance.ok() ? *balance : ledger::Balance{};
  }
  // Plans 100,000.00 yuan for Wuyuan's R4, of which 60,000.00 arrive.
  void Fund60k() {
    Ok(Plan("plan-1", 10'000'000));
    Ok(Arrival("arrival-1", "plan-1", 6'000'000));
  }

  TestLedger ledger_;
  crypto::SecretKey city_ = crypto::SecretKey::Generate();
  crypto::SecretKey wuyuan_ = crypto::SecretKey::Generate();
};

TEST_F(FundsTest, PlanArrivalAndDisbursementMoveTheBalance) {
  Fund60k();
  Ok(PayUnit("pay-1", 1'589'000));
  ledger::Balance b = Balance({kFund, kWuyuan, "R4"});
  EXPECT_EQ(b.planned, 10'000'000);
  EXPECT_EQ(b.received, 6'000'000);
  EXPECT_EQ(b.disbursed, 1'589'000);
  EXPECT_EQ(b.available(), 4'411'000);
  EXPECT_EQ(b.outstanding(), 4'000'000);
  EXPECT_EQ(b.cells, 1u);
}

TEST_F(FundsTest, OverdraftIsRefusedNamingWhatIsAvailable) {
  Ok(Plan("plan-1", 1'200'000));
  Ok(Arrival("arrival-1", "plan-1", 1'200'000));
  ledger::Status status = Refused(PayUnit("pay-1", 1'589'000));
  EXPECT_EQ(status.code(), Code::kOverdraft);
  EXPECT_EQ(status.message(), "150821/R4 of fund 2025-central has 12,000.00 yuan available, disbursement asks 15,890.00");
  EXPECT_EQ(Balance().disbursed, 0);
}

TEST_F(FundsTest, DisbursementOfMoneyNotYetArrivedIsAnOverdraft) {
  Ok(Plan("plan-1", 10'000'000));
  ledger::Status status = Refused(PayUnit("pay-1", 100));
  EXPECT_EQ(status.code(), Code::kOverdraft);
  EXPECT_EQ(status.message(), "150821/R4 of fund 2025-central has 0.00 yuan available, disbursement asks 1.00");
}

TEST_F(FundsTest, ArrivalBeyondThePlanIsRefused) {
  Ok(Plan("plan-1", 10'000'000));
  Ok(Arrival("arrival-1", "plan-1", 9'000'000));
  ledger::Status status = Refused(Arrival("arrival-2", "plan-1", 1'000'001));
  EXPECT_EQ(status.code(), Code::kOverdraft);
  EXPECT_EQ(status.message(), "plan 'plan-1' has 10,000.00 yuan still to arrive, the arrival is 10,000.01");
}

TEST_F(FundsTest, MoneyCannotArriveBeforeItsBudgetDocument) {
  Ok(Plan("plan-1", 10'000'000));
  ledger::Status status = Refused(Arrival("arrival-1", "plan-1", 100, "2025-01-09"));
  EXPECT_EQ(status.code(), Code::kInvalidEvent);
  EXPECT_EQ(status.message(), "money cannot arrive (2025-01-09) before its budget document is issued (2025-01-10)");
}

TEST_F(FundsTest, AReaderBesideTheRunningLedgerSeesTheBalance) {
  Fund60k();
  auto reader = ledger::LogReader::Open(ledger_.dir());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto balance = ledger::QueryBalance((*reader)->projection_rows(), {"", kWuyuan, ""});
  ASSERT_TRUE(balance.ok()) << balance.status().ToString();
  EXPECT_EQ(balance->received, 6'000'000);
}

TEST_F(FundsTest, ArrivalAgainstAnUnknownPlanIsRefused) {
  EXPECT_EQ(Refused(Arrival("arrival-1", "no-such-plan", 100)).code(), Code::kUnknownReference);
}

TEST_F(FundsTest, UnknownFundProgramOrRegionIsRefused) {
  EXPECT_EQ(Refused(Plan("p1", 100, kWuyuan, "R4", "no-fund")).message(), "unknown fund 'no-fund'");
  EXPECT_EQ(Refused(Plan("p2", 100, kWuyuan, "R9")).message(), "unknown program 'R9'");
  EXPECT_EQ(Refused(Plan("p3", 100, "150899"), &city_).message(), "unknown region '150899'");
  EXPECT_EQ(Refused(Plan("p4", 100, kWuyuan, "R9")).code(), Code::kUnknownReference);
}

TEST_F(FundsTest, AmountsMustBePositiveAndSane) {
  EXPECT_EQ(Refused(Plan("p1", 0)).code(), Code::kInvalidAmount);
  EXPECT_EQ(Refused(Plan("p2", -5)).code(), Code::kInvalidAmount);
  ledger::Status huge = Refused(Plan("p3", 100'000'000'000'001));
  EXPECT_EQ(huge.code(), Code::kInvalidAmount);
  EXPECT_EQ(huge.message(),
            "planned amount of 1,000,000,000,000.01 yuan is beyond the ledger's limit of 1,000,000,000,000.00");
}

TEST_F(FundsTest, PartialReversalReturnsMoneyToTheProgram) {
  Fund60k();
  Ok(PayUnit("pay-1", 1'589'000));
  Ok(Reverse("rev-1", "pay-1", 589'000));
  ledger::Balance b = Balance();
  EXPECT_EQ(b.disbursed, 1'589'000);
  EXPECT_EQ(b.recovered, 589'000);
  EXPECT_EQ(b.net_disbursed(), 1'000'000);
  EXPECT_EQ(b.available(), 5'000'000);
}

TEST_F(FundsTest, ReversalOfMoreThanWasPaidIsRefused) {
  Fund60k();
  Ok(PayUnit("pay-1", 1'589'000));
  Ok(Reverse("rev-1", "pay-1", 1'000'000));
  ledger::Status status = Refused(Reverse("rev-2", "pay-1", 589'001));
  EXPECT_EQ(status.code(), Code::kInvalidAmount);
  EXPECT_EQ(status.message(), "disbursement 'pay-1' paid 15,890.00 yuan of which 10,000.00 is already "
                              "recovered; the reversal asks 5,890.01");
}

TEST_F(FundsTest, ReversalOfAReversalIsRefused) {
  Fund60k();
  Ok(PayUnit("pay-1", 1'589'000));
  Ok(Reverse("rev-1", "pay-1", 100));
  ledger::Status status = Refused(Reverse("rev-2", "rev-1", 100));
  EXPECT_EQ(status.code(), Code::kInvalidEvent);
  EXPECT_EQ(status.message(), "event 'rev-1' is a reversal; a reversal cannot be reversed");
}

TEST_F(FundsTest, UnitCodeWithAWrongCheckCharacterIsRefused) {
  Fund60k();
  ledger::Status status = Refused(PayUnit("pay-1", 100, "R4", kWuyuan, "91350200MA2YJ1XR9H"));
  EXPECT_EQ(status.code(), Code::kInvalidIdentifier);
}

TEST_F(FundsTest, DisbursementOutsideTheOfficersRegionIsRefused) {
  Ok(Plan("plan-1", 10'000'000));
  EXPECT_EQ(Refused(PayUnit("pay-1", 100, "R4", kLinhe)).code(), Code::kScopeNotAllowed);
}

TEST_F(FundsTest, OfficersRecordMoneyAndAdminsReferenceDataOnly) {
  EXPECT_EQ(Refused(Program("R5", "园区帮工计划"), &city_).code(), Code::kRoleNotAllowed);
  EXPECT_EQ(Refused(Plan("plan-1", 100), &ledger_.admin()).code(), Code::kRoleNotAllowed);
}

TEST_F(FundsTest, ReferenceDataIsDefinedOnce) {
  const std::uint64_t size = ledger_.store().size();
  Event again = Program("R4", "就业见习补贴");
  again.set_event_id("program-R4-again");
  auto receipt = ledger_.Append(again, ledger_.admin());
  ASSERT_FALSE(receipt.ok());
  EXPECT_EQ(receipt.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(ledger_.store().size(), size);
}

TEST_F(FundsTest, APersonIsPaidOnlyToTheirOwnAccount) {
  Fund60k();
  Ok(Person("person-1"));
  Event pay = PayUnit("pay-1", 100'000, "R4");
  pay.mutable_disbursement()->set_subject_id(kSubject);
  pay.mutable_disbursement()->set_account_ref("ffffffffffffffffffffffffffffffff");
  EXPECT_EQ(Refused(pay).code(), Code::kInvalidEvent);
  pay.mutable_disbursement()->set_account_ref(kAccount);
  Ok(pay);
}

TEST_F(FundsTest, APersonIsRegisteredOnce) {
  Ok(Person("person-1"));
  EXPECT_EQ(Refused(Person("person-2")).code(), Code::kAlreadyExists);
}

TEST_F(FundsTest, AReadOfPersonalDataIsLoggedInThePersonsHistory) {
  Ok(Person("person-1"));
  auto receipt = ledger_.Append(PersonRead("read-1"), wuyuan_);
  ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  auto history = ledger::QueryPayeeHistory(ledger_.store().projection_rows(), kSubject);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ(history->back(), receipt->index);
}

TEST_F(FundsTest, AReadOfAnUnregisteredPersonIsAnUnknownReference) {
  EXPECT_EQ(Refused(PersonRead("read-1")).code(), Code::kUnknownReference);
}

TEST_F(FundsTest, AReadMustNameThePersonsOwnRegion) {
  Ok(Person("person-1"));
  const crypto::SecretKey auditor = ledger_.Register("auditor", ledger::v1::ROLE_AUDITOR);
  EXPECT_EQ(Refused(PersonRead("read-1", kSubject, kLinhe), &auditor).code(), Code::kInvalidEvent);
}

TEST_F(FundsTest, AnOfficerOfAnotherRegionMayNotReadAPerson) {
  Ok(Person("person-1"));
  const crypto::SecretKey linhe = ledger_.Register("finance-linhe", ledger::v1::ROLE_FINANCE_OFFICER, kLinhe);
  EXPECT_EQ(Refused(PersonRead("read-1"), &linhe).code(), Code::kScopeNotAllowed);
}

TEST_F(FundsTest, AnInspectorMayNotReadAPerson) {
  Ok(Person("person-1"));
  const crypto::SecretKey inspector = ledger_.Register("inspector", ledger::v1::ROLE_INSPECTOR);
  EXPECT_EQ(Refused(PersonRead("read-1"), &inspector).code(), Code::kRoleNotAllowed);
}

TEST_F(FundsTest, TwoOfficersRacingForTheLastYuanOneWins) {
  Fund60k();
  std::promise<ledger::Result<ledger::Receipt>> first, second;
  ledger_.store().Submit(ledger::SignEvent(PayUnit("pay-a", 6'000'000), wuyuan_),
                         [&](ledger::Result<ledger::Receipt> r) { first.set_value(std::move(r)); });
  ledger_.store().Submit(ledger::SignEvent(PayUnit("pay-b", 6'000'000), city_),
                         [&](ledger::Result<ledger::Receipt> r) { second.set_value(std::move(r)); });
  auto a = first.get_future().get();
  auto b = second.get_future().get();
  EXPECT_NE(a.ok(), b.ok());
  const ledger::Status& loser = a.ok() ? b.status() : a.status();
  EXPECT_EQ(loser.code(), Code::kOverdraft);
  EXPECT_EQ(Balance().disbursed, 6'000'000);
  EXPECT_EQ(Balance().available(), 0);
}

TEST_F(FundsTest, ARosterWithOneOverdraftWritesNothing) {
  Fund60k();
  const std::uint64_t size = ledger_.store().size();
  std::vector<Event> roster = {PayUnit("pay-1", 3'000'000), PayUnit("pay-2", 3'000'000),
                               PayUnit("pay-3", 1)};
  auto receipts = ledger_.AppendRoster(roster, wuyuan_);
  ASSERT_FALSE(receipts.ok());
  EXPECT_EQ(receipts.status().code(), Code::kOverdraft);
  EXPECT_EQ(receipts.status().message(),
            "roster event 2: 150821/R4 of fund 2025-central has 0.00 yuan available, disbursement asks 0.01");
  EXPECT_EQ(ledger_.store().size(), size);
  EXPECT_EQ(Balance().disbursed, 0);
  roster.pop_back();
  ASSERT_TRUE(ledger_.AppendRoster(roster, wuyuan_).ok());
  EXPECT_EQ(Balance().available(), 0);
}

TEST_F(FundsTest, BalanceAsOfAPastTreeSize) {
  Fund60k();
  const std::uint64_t before_payment = ledger_.store().size();
  Ok(PayUnit("pay-1", 1'589'000));
  ledger::Balance then = Balance({}, before_payment);
  EXPECT_EQ(then.disbursed, 0);
  EXPECT_EQ(then.received, 6'000'000);
  ledger::Balance before_plan = Balance({}, before_payment - 2);
  EXPECT_EQ(before_plan.planned, 0);
  EXPECT_EQ(before_plan.cells, 0u);
  EXPECT_EQ(Balance({}, ledger_.store().size()).disbursed, 1'589'000);
}

TEST_F(FundsTest, BalancesCombineFundsRegionsAndPrograms) {
  Ok(Plan("plan-1", 1'000));
  Ok(Plan("plan-2", 2'000, kWuyuan, "R3"));
  ASSERT_TRUE(ledger_.Append(Plan("plan-3", 4'000, kLinhe, "R3"), city_).ok());
  EXPECT_EQ(Balance().planned, 7'000);
  EXPECT_EQ(Balance({"", kWuyuan, ""}).planned, 3'000);
  EXPECT_EQ(Balance({"", "", "R3"}).planned, 6'000);
  EXPECT_EQ(Balance({kFund, kLinhe, "R3"}).planned, 4'000);
  EXPECT_EQ(Balance({"other-fund", "", ""}).cells, 0u);
}

TEST_F(FundsTest, TheHeadRollupEqualsTheSumOfItsCells) {
  Fund60k();
  Ok(Plan("plan-2", 2'000, kWuyuan, "R3"));
  Ok(PayUnit("pay-1", 1'000));
  ASSERT_TRUE(ledger_.Append(Plan("plan-3", 4'000, kLinhe, "R3"), city_).ok());
  ASSERT_FALSE(ledger_.Append(PayUnit("pay-2", 1, "R3", kLinhe), city_).ok());  // Rolled back.
  const std::uint64_t size = ledger_.store().size();
  for (const ledger::CellFilter& filter : std::vector<ledger::CellFilter>{
           {}, {"", kWuyuan, ""}, {"", "", "R3"}, {kFund, "", ""}, {kFund, kLinhe, "R3"}, {"", kLinhe, "R4"}}) {
    ledger::Balance head = Balance(filter);
    ledger::Balance summed = Balance(filter, size);
    EXPECT_EQ(head.planned, summed.planned);
    EXPECT_EQ(head.received, summed.received);
    EXPECT_EQ(head.disbursed, summed.disbursed);
    EXPECT_EQ(head.cells, summed.cells);
  }
  EXPECT_EQ(Balance().cells, 3u);
  EXPECT_EQ(Balance().planned, 10'006'000);
}

TEST_F(FundsTest, PlansReportHowTheirMoneyArrived) {
  Ok(Plan("plan-1", 10'000'000));
  Ok(Arrival("arrival-1", "plan-1", 4'000'000, "2025-01-20"));
  Ok(Arrival("arrival-2", "plan-1", 6'000'000, "2025-03-01"));
  Ok(Plan("plan-2", 500));
  auto plans = ledger::QueryPlans(ledger_.store().projection_rows(), {});
  ASSERT_TRUE(plans.ok());
  ASSERT_EQ(plans->size(), 2u);
  const ledger::PlanArrival& full = (*plans)[0];
  EXPECT_EQ(full.plan_event_id, "plan-1");
  EXPECT_TRUE(full.full());
  EXPECT_EQ(full.plan.arrivals(), 2u);
  EXPECT_EQ(full.plan.first_arrival(), "2025-01-20");
  EXPECT_EQ(full.plan.full_arrival(), "2025-03-01");
  EXPECT_EQ(full.days_to_full(), 50);  // 2025-01-10 to 2025-03-01.
  EXPECT_FALSE((*plans)[1].full());
  EXPECT_EQ((*plans)[1].days_to_full(), std::nullopt);
}

TEST_F(FundsTest, PayeeHistoryListsEveryEntryInLogOrder) {
  Fund60k();
  auto pay1 = ledger_.Append(PayUnit("pay-1", 1'000), wuyuan_);
  auto pay2 = ledger_.Append(PayUnit("pay-2", 2'000), wuyuan_);
  auto rev = ledger_.Append(Reverse("rev-1", "pay-1", 500), wuyuan_);
  ASSERT_TRUE(pay1.ok() && pay2.ok() && rev.ok());
  auto history = ledger::QueryPayeeHistory(ledger_.store().projection_rows(), kUnit);
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(*history, (std::vector<std::uint64_t>{pay1->index, pay2->index, rev->index}));
}

TEST_F(FundsTest, MonthlyTotalsPerProgram) {
  Fund60k();
  Ok(PayUnit("pay-1", 1'000));
  Ok(PayUnit("pay-2", 2'000));
  Ok(Reverse("rev-1", "pay-1", 500));
  auto months = ledger::QueryMonthlyTotals(ledger_.store().projection_rows(), "R4");
  ASSERT_TRUE(months.ok());
  ASSERT_EQ(months->size(), 2u);
  EXPECT_EQ((*months)[0].month, "2025-03");
  EXPECT_EQ((*months)[0].disbursed, 3'000);
  EXPECT_EQ((*months)[0].events, 2u);
  EXPECT_EQ((*months)[1].month, "2025-04");
  EXPECT_EQ((*months)[1].recovered, 500);
}

TEST_F(FundsTest, ProgramTransferMovesAvailableMoney) {
  Fund60k();
  Ok(Plan("plan-r3", 100, kWuyuan, "R3"));
  Event transfer = New("transfer-1");
  auto* t = transfer.mutable_program_transfer();
  t->set_fund_code(kFund);
  t->set_region_code(kWuyuan);
  t->set_from_program("R4");
  t->set_to_program("R3");
  t->set_amount_fen(1'000'000);
  t->set_approval_document("五财社〔2025〕20号");
  t->set_value_date("2025-05-01");
  Ok(transfer);
  EXPECT_EQ(Balance({"", "", "R4"}).available(), 5'000'000);
  EXPECT_EQ(Balance({"", "", "R3"}).available(), 1'000'000);
  t->set_amount_fen(5'000'001);
  transfer.set_event_id("transfer-2");
  EXPECT_EQ(Refused(transfer).code(), Code::kOverdraft);
}

TEST_F(FundsTest, TheBookBalances) {
  Fund60k();
  Ok(PayUnit("pay-1", 1'589'000));
  Ok(Reverse("rev-1", "pay-1", 89'000));
  auto book = ledger::QueryBook(ledger_.store().projection_rows());
  ASSERT_TRUE(book.ok());
  EXPECT_EQ(book->debits(), 10'000'000 + 6'000'000 + 1'589'000 + 89'000);
  EXPECT_EQ(book->credits(), book->debits());
  EXPECT_EQ(book->postings(), 4u);
}

TEST_F(FundsTest, StateSurvivesAReopenWithoutReplay) {
  Ok(Plan("plan-1", 1'200'000));
  Ok(Arrival("arrival-1", "plan-1", 1'200'000));
  Ok(PayUnit("pay-1", 200'000));
  ledger_.Reopen();
  EXPECT_EQ(Balance().available(), 1'000'000);
  ledger::Status status = Refused(PayUnit("pay-2", 1'000'001));
  EXPECT_EQ(status.message(), "150821/R4 of fund 2025-central has 10,000.00 yuan available, disbursement asks 10,000.01");
  Ok(Reverse("rev-1", "pay-1", 200'000));  // Disbursements are remembered across the reopen.
}

TEST_F(FundsTest, RateInForceOnADate) {
  Event rate = New("rate-1");
  auto* r = rate.mutable_rate_set();
  r->set_parameter("min_wage_category_1");
  r->set_value(227'000);
  r->set_unit("fen_per_month");
  r->set_effective_from("2024-12-01");
  r->set_document_number("内政办发〔2024〕46号");
  Admin(rate);
  rate.set_event_id("rate-2");
  r->set_value(238'000);
  r->set_effective_from("2025-12-01");
  Admin(rate);
  const auto& rows = ledger_.store().projection_rows();
  EXPECT_EQ(ledger::RateOn(rows, "min_wage_category_1", "2025-06-30")->value(), 227'000);
  EXPECT_EQ(ledger::RateOn(rows, "min_wage_category_1", "2025-12-01")->value(), 238'000);
  EXPECT_EQ(ledger::RateOn(rows, "min_wage_category_1", "2024-11-30").status().code(), Code::kNotFound);
}

TEST(FormatYuanTest, GroupsThousandsAndKeepsTwoDecimals) {
  EXPECT_EQ(ledger::FormatYuan(0), "0.00");
  EXPECT_EQ(ledger::FormatYuan(5), "0.05");
  EXPECT_EQ(ledger::FormatYuan(1'589'000), "15,890.00");
  EXPECT_EQ(ledger::FormatYuan(-123'456'789), "-1,234,567.89");
  EXPECT_EQ(ledger::FormatYuan(INT64_MIN), "-92,233,720,368,547,758.08");
}

}  // namespace
