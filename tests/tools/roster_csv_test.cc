// Roster CSV files as finance offices export them: encodings, line ends, quoting, Chinese and
// English headers, exact amounts, and every rejection with its line and message.
#include "tools/roster_csv.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ledger/constants.h"

namespace {

using ledger::Code;
using tools::ParseYuan;
using tools::ReadRosterCsv;
using tools::RosterCsv;
using tools::RosterCsvOptions;
using tools::RosterCsvProblem;
using tools::SplitCsv;

constexpr const char* kUnit = "91350200MA2YJ1XR9G";             // Valid credit code (domain.md).
constexpr const char* kUnitAccount = "6222020200112233445";
constexpr const char* kSubject = "s0123456789abcdef0123456789abcdef";
constexpr const char* kDigest = "00112233445566778899aabbccddeeff";

constexpr const char* kEnglishHeader = "event_id,fund,region,program,payee,account,amount_yuan,period,pay_date,document_number";
constexpr const char* kChineseHeader = "事件编号,资金,地区,项目,领取人,账户,金额(元),所属期,发放日期,文号";

// A valid row under either header above, with the event id and amount given.
std::string Row(const std::string& id, const std::string& amount, const std::string& payee = kUnit,
                const std::string& account = kUnitAccount) {
  return id + ",2025-central,150821,R4," + payee + "," + account + "," + amount + ",2025-03,2025-03-20,五就见〔2025〕3号";
}

RosterCsvOptions Options() {
  RosterCsvOptions options;
  options.origin = "test-ledger";
  options.timestamp_ms = 1735689601000;
  return options;
}

RosterCsv Read(const std::string& text, const RosterCsvOptions& options = Options()) {
  return ReadRosterCsv(text, options);
}

std::vector<RosterCsvProblem> Problems(const std::string& text, const RosterCsvOptions& options = Options()) {
  RosterCsv csv = Read(text, options);
  EXPECT_TRUE(csv.events.empty());
  return csv.problems;
}

// Every byte of every event, to compare two readings.
std::vector<std::string> Bytes(const RosterCsv& csv) {
  std::vector<std::string> out;
  for (const auto& event : csv.events) out.push_back(event.SerializeAsString());
  return out;
}

std::string Lines(const std::vector<RosterCsvProblem>& problems) {
  std::string out;
  for (const RosterCsvProblem& problem : problems) out += std::to_string(problem.line) + ": " + problem.message + "\n";
  return out;
}

// --- What a good file becomes --------------------------------------------------------------------

TEST(RosterCsvTest, EnglishHeaderWithoutBomAndLfGivesOneDisbursementPerRow) {
  RosterCsv csv = Read(std::string(kEnglishHeader) + "\n" + Row("pay-1", "1589") + "\n" +
                       Row("pay-2", "0.01", kSubject, kDigest) + "\n");
  ASSERT_EQ(csv.problems.size(), 0u) << Lines(csv.problems);
  ASSERT_EQ(csv.events.size(), 2u);
  const auto& first = csv.events[0];
  EXPECT_EQ(first.origin(), "test-ledger");
  EXPECT_EQ(first.event_id(), "pay-1");
  EXPECT_EQ(first.timestamp_ms(), 1735689601000);
  const auto& pay = first.disbursement();
  EXPECT_EQ(pay.fund_code(), "2025-central");
  EXPECT_EQ(pay.region_code(), "150821");
  EXPECT_EQ(pay.program_code(), "R4");
  EXPECT_EQ(pay.amount_fen(), 158900);
  EXPECT_EQ(pay.unit_code(), kUnit);
  EXPECT_EQ(pay.account_ref(), kUnitAccount);
  EXPECT_EQ(pay.period(), "2025-03");
  EXPECT_EQ(pay.pay_date(), "2025-03-20");
  EXPECT_EQ(pay.document_number(), "五就见〔2025〕3号");
  EXPECT_EQ(pay.facts_size(), 0);
  const auto& second = csv.events[1].disbursement();
  EXPECT_EQ(second.subject_id(), kSubject);
  EXPECT_EQ(second.account_ref(), kDigest);
  EXPECT_EQ(second.amount_fen(), 1);
}

TEST(RosterCsvTest, ChineseHeaderWithBomAndCrlfReadsTheSameAsEnglish) {
  const std::string rows = Row("pay-1", "1589") + "\r\n" + Row("pay-2", "12.5", kSubject, kDigest) + "\r\n";
  RosterCsv english = Read(std::string(kEnglishHeader) + "\n" + rows);
  RosterCsv chinese = Read("\xEF\xBB\xBF" + std::string(kChineseHeader) + "\r\n" + rows);
  ASSERT_EQ(chinese.problems.size(), 0u) << Lines(chinese.problems);
  ASSERT_EQ(chinese.events.size(), 2u);
  EXPECT_EQ(Bytes(chinese), Bytes(english));
}

TEST(RosterCsvTest, HeadersMayMixLanguagesOrderAndFullWidthBrackets) {
  RosterCsv csv = Read("金额（元）, Fund ,region,项目,PAYEE,账户,event_id,所属期,pay_date,文号\n"
                       "12.50,2025-central,150821,R4," + std::string(kUnit) + "," + kUnitAccount +
                       ",pay-1,2025-03,2025-03-20,文1\n");
  ASSERT_EQ(csv.problems.size(), 0u) << Lines(csv.problems);
  ASSERT_EQ(csv.events.size(), 1u);
  EXPECT_EQ(csv.events[0].disbursement().amount_fen(), 1250);
  EXPECT_EQ(csv.events[0].disbursement().fund_code(), "2025-central");
}

TEST(RosterCsvTest, OtherColumnsAreIgnoredAndNothingOfThemIsKept) {
  RosterCsv csv = Read("序号,姓名," + std::string(kEnglishHeader) + ",备注\n1,张三," + Row("pay-1", "100") + ",补发\n");
  ASSERT_EQ(csv.problems.size(), 0u) << Lines(csv.problems);
  ASSERT_EQ(csv.events.size(), 1u);
  const std::string bytes = csv.events[0].SerializeAsString();
  EXPECT_EQ(bytes.find("张三"), std::string::npos);
  EXPECT_EQ(bytes.find("补发"), std::string::npos);
}

TEST(RosterCsvTest, QuotedFieldsFollowRfc4180AndKeepTheirLineCount) {
  const std::string text = std::string(kEnglishHeader) + "\r\n" +
                           "\"pay-1\",2025-central,150821,R4," + kUnit + "," + kUnitAccount +
                           ",\"1589.00\",2025-03,2025-03-20,\"五就见〔2025〕3号, 第\"\"二\"\"批\r\n续\"\r\n" +
                           Row("pay-2", "-1") + "\r\n";
  RosterCsv csv = Read(text);
  // The quoted document spans lines 2 and 3, so the next record is on line 4.
  EXPECT_EQ(csv.problems, (std::vector<RosterCsvProblem>{{4, "amount '-1' must be more than 0"}}));
  RosterCsv good = Read(text.substr(0, text.rfind("pay-2")));
  ASSERT_EQ(good.events.size(), 1u) << Lines(good.problems);
  EXPECT_EQ(good.events[0].disbursement().document_number(), "五就见〔2025〕3号, 第\"二\"批\r\n续");
  EXPECT_EQ(good.events[0].disbursement().amount_fen(), 158900);
}

TEST(RosterCsvTest, BlankLinesAndEmptyRowsAreSkipped) {
  RosterCsv csv = Read("\n" + std::string(kEnglishHeader) + "\n\n" + Row("pay-1", "1") + "\n,,,,,,,,,\n \n" +
                       Row("pay-2", "2"));  // The last line has no line end.
  ASSERT_EQ(csv.problems.size(), 0u) << Lines(csv.problems);
  EXPECT_EQ(csv.events.size(), 2u);
}

TEST(RosterCsvTest, FlagsStandInForColumnsAndRosterIdNumbersTheRows) {
  RosterCsvOptions options = Options();
  options.roster_id = "wuyuan-2025-03";
  options.period = "2025-03";
  options.pay_date = "2025-03-20";
  options.document_number = "五就见〔2025〕3号";
  RosterCsv csv = Read("资金,地区,项目,领取人,账户,金额(元)\n"
                       "2025-central,150821,R4," + std::string(kUnit) + "," + kUnitAccount + ",1589\n"
                       "2025-central,150821,R4," + kSubject + "," + kDigest + ",2270\n", options);
  ASSERT_EQ(csv.problems.size(), 0u) << Lines(csv.problems);
  ASSERT_EQ(csv.events.size(), 2u);
  EXPECT_EQ(csv.events[0].event_id(), "wuyuan-2025-03-1");
  EXPECT_EQ(csv.events[1].event_id(), "wuyuan-2025-03-2");
  EXPECT_EQ(csv.events[1].disbursement().period(), "2025-03");
  EXPECT_EQ(csv.events[1].disbursement().pay_date(), "2025-03-20");
  EXPECT_EQ(csv.events[1].disbursement().document_number(), "五就见〔2025〕3号");
}

// --- Amounts -------------------------------------------------------------------------------------

TEST(ParseYuanTest, ExactFen) {
  const std::vector<std::pair<const char*, std::int64_t>> cases = {
      {"12", 1200}, {"12.5", 1250}, {"12.50", 1250}, {"0.01", 1}, {"0.1", 10}, {"1589.00", 158900},
      {"007", 700}, {"1000000000000", ledger::constants::amount_fen_max},
      {"1000000000000.00", ledger::constants::amount_fen_max}, {"999999999999.99", ledger::constants::amount_fen_max - 1}};
  for (const auto& [text, fen] : cases) {
    SCOPED_TRACE(text);
    auto parsed = ParseYuan(text);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(*parsed, fen);
  }
}

TEST(ParseYuanTest, RefusesWhatIsNotExactPositiveYuan) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"12.345", "amount '12.345' has more than two decimals: the ledger counts whole fen"},
      {"-1", "amount '-1' must be more than 0"},
      {"1e3", "amount '1e3' is not yuan written as digits with at most two decimals, like 1589 or 1589.50"},
      {"", "amount is empty"},
      {"0", "amount '0' must be more than 0"},
      {"0.00", "amount '0.00' must be more than 0"},
      {"1,200.00", "amount '1,200.00' has a thousands separator: export the column as a plain number"},
      {"12.", "amount '12.' is not yuan written as digits with at most two decimals, like 1589 or 1589.50"},
      {".5", "amount '.5' is not yuan written as digits with at most two decimals, like 1589 or 1589.50"},
      {"+5", "amount '+5' is not yuan written as digits with at most two decimals, like 1589 or 1589.50"},
      {"¥5", "amount '¥5' is not yuan written as digits with at most two decimals, like 1589 or 1589.50"},
      {"1.2.3", "amount '1.2.3' is not yuan written as digits with at most two decimals, like 1589 or 1589.50"},
      {"1000000000000.01", "amount '1000000000000.01' is beyond the ledger's limit of 1,000,000,000,000.00 yuan"},
      {"99999999999999999999999", "amount '99999999999999999999999' is beyond the ledger's limit of "
                                  "1,000,000,000,000.00 yuan"},
  };
  for (const auto& [text, message] : cases) {
    SCOPED_TRACE(text);
    auto parsed = ParseYuan(text);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), Code::kInvalidAmount);
    EXPECT_EQ(parsed.status().message(), message);
  }
}

// --- Rejections, each with its line ------------------------------------------------------------

TEST(RosterCsvTest, EveryBadRowIsReportedWithItsLineAndReason) {
  const std::string text = std::string(kEnglishHeader) + "\n" +
                           Row("pay-1", "12.345") + "\n" +                              // 2
                           Row("pay-2", "100") + "\n" +                                 // 3: good
                           Row("pay-3", "1e3") + "\n" +                                 // 4
                           Row("pay-4", "") + "\n" +                                    // 5
                           "pay-5,2025 central,1508,R 4," + kUnit + "," + kUnitAccount +
                           ",1,2025-3,2025-02-30,\n" +                                 // 6
                           Row("pay-2", "1") + "\n" +                                   // 7
                           Row("pay-7", "1", "91350200MA2YJ1XR9H") + "\n" +             // 8
                           Row("pay-8", "1", kSubject, kUnitAccount) + "\n" +           // 9
                           Row("pay-9", "1", kUnit, "6.22202E+18") + "\n" +             // 10
                           Row("pay-10", "1", "11010519491231002X", kUnitAccount) + "\n" +  // 11
                           Row("", "1") + "\n" +                                        // 12
                           "pay-12,2025-central\n";                                     // 13
  const std::vector<RosterCsvProblem> expected = {
      {2, "amount '12.345' has more than two decimals: the ledger counts whole fen"},
      {4, "amount '1e3' is not yuan written as digits with at most two decimals, like 1589 or 1589.50"},
      {5, "amount is empty"},
      {6, "fund '2025 central' must be 1 to 64 characters of A-Z a-z 0-9 . _ -"},
      {6, "region '1508' is not a six-digit division code like 150821"},
      {6, "program 'R 4' must be 1 to 64 characters of A-Z a-z 0-9 . _ -"},
      {6, "period '2025-3' is not a month YYYY-MM"},
      {6, "pay date '2025-02-30' is not a date YYYY-MM-DD from 2000 to 2100"},
      {6, "document number is empty"},
      {7, "event id 'pay-2' is also on line 3"},
      {8, "payee is neither a subject id ('s' and 32 lower-case hex digits) nor a valid unified social credit code"},
      {9, "account must be the account digest of the person's registration (32 lower-case hex digits), never their "
          "bank account number"},
      {10, "account must be the unit's bank account number, 8 to 32 digits (the spreadsheet wrote it as a number in "
           "scientific notation: format the column as text)"},
      {11, "payee is a resident ID number: persons are paid by their subject id (docs/privacy.md), and an ID number "
           "must never be sent to the ledger"},
      {12, "event id is empty"},
      {13, "2 fields where the header has 10"},
  };
  RosterCsv csv = Read(text);
  EXPECT_EQ(csv.problems, expected) << Lines(csv.problems);
  EXPECT_TRUE(csv.events.empty());
  // The ID number is never repeated back.
  EXPECT_EQ(Lines(csv.problems).find("11010519491231002X"), std::string::npos);
}

TEST(RosterCsvTest, HeaderProblemsAreAllReportedAtItsLine) {
  EXPECT_EQ(Problems("\n序号,资金,fund,地区,项目\n1,a,a,150821,R4\n"),
            (std::vector<RosterCsvProblem>{
                {2, "column 'fund' repeats column '资金' (资金/fund)"},
                {2, "no 事件编号/event_id column and no --roster-id to number the rows with"},
                {2, "no 领取人/payee column"},
                {2, "no 账户/account column"},
                {2, "no 金额(元)/amount_yuan column"},
                {2, "no 所属期/period column and no --period"},
                {2, "no 发放日期/pay_date column and no --pay-date"},
                {2, "no 文号/document_number column and no --document"},
            }));
}

TEST(RosterCsvTest, FlagAndColumnTogetherOrABadFlagAreRefused) {
  RosterCsvOptions options = Options();
  options.period = "2025-03";
  options.pay_date = "2025-3-20";
  EXPECT_EQ(Problems("事件编号,资金,地区,项目,领取人,账户,金额(元),所属期,文号\n", options),
            (std::vector<RosterCsvProblem>{
                {1, "both a 所属期/period column and --period: give one"},
                {1, "--pay-date: pay date '2025-3-20' is not a date YYYY-MM-DD from 2000 to 2100"},
            }));
}

TEST(RosterCsvTest, AFileThatIsNotUtf8IsRefusedAtItsFirstBadLine) {
  // "资金" in GBK, as Excel saves "CSV" on a Chinese Windows.
  EXPECT_EQ(Problems(std::string(kEnglishHeader) + "\n" + Row("pay-1", "1") + "\n\xd7\xca\xbd\xf0,1\n"),
            (std::vector<RosterCsvProblem>{{3, "the file is not UTF-8: save the spreadsheet as \"CSV UTF-8\""}}));
  // UTF-16: mostly NULs between ASCII bytes.
  EXPECT_EQ(Problems(std::string("\xff\xfe" "e\0v\0", 6)),
            (std::vector<RosterCsvProblem>{{1, "the file is not UTF-8: save the spreadsheet as \"CSV UTF-8\""}}));
}

TEST(RosterCsvTest, BrokenQuotingIsReportedAndReadingGoesOnAtTheNextLine) {
  const std::string text = std::string(kEnglishHeader) + "\n" +
                           Row("pay\"1", "1") + "\n" +        // 2
                           Row("\"pay-2\"x", "1") + "\n" +    // 3
                           Row("pay-3", "0") + "\n" +         // 4
                           Row("\"pay-4", "1") + "\n" +       // 5: never closed
                           Row("pay-5", "1") + "\n";
  EXPECT_EQ(Problems(text), (std::vector<RosterCsvProblem>{
                                {2, "a quote inside a field that does not start with one"},
                                {3, "text after the closing quote of a field"},
                                {4, "amount '0' must be more than 0"},
                                {5, "a quoted field is not closed before the end of the file"},
                            }));
}

TEST(RosterCsvTest, EmptyFilesAndHeadersWithoutRowsAreRefused) {
  EXPECT_EQ(Problems(""), (std::vector<RosterCsvProblem>{{1, "the file is empty: it needs a header and a row per payment"}}));
  EXPECT_EQ(Problems("\xEF\xBB\xBF\r\n,,\r\n"),
            (std::vector<RosterCsvProblem>{{1, "the file is empty: it needs a header and a row per payment"}}));
  EXPECT_EQ(Problems(std::string(kChineseHeader) + "\r\n"),
            (std::vector<RosterCsvProblem>{{1, "the file has a header but no rows"}}));
}

TEST(RosterCsvTest, MoreRowsThanARosterHoldsAreRefused) {
  std::string text = std::string(kEnglishHeader) + "\n";
  for (std::size_t i = 1; i <= ledger::constants::roster_events_max + 1; ++i) text += Row("pay-" + std::to_string(i), "1") + "\n";
  EXPECT_EQ(Problems(text), (std::vector<RosterCsvProblem>{
                                {ledger::constants::roster_events_max + 2,
                                 "more than 10000 rows: a roster holds at most that many payments; split the file"}}));
}

// --- The splitter alone ------------------------------------------------------------------------

TEST(SplitCsvTest, FieldsRecordsAndLines) {
  auto records = SplitCsv("a,\"b,c\",\"d\"\"e\"\r\n,\n\"x\ny\",z");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].fields, (std::vector<std::string>{"a", "b,c", "d\"e"}));
  EXPECT_EQ(records[0].line, 1u);
  EXPECT_EQ(records[1].fields, (std::vector<std::string>{"", ""}));
  EXPECT_EQ(records[1].line, 2u);
  EXPECT_EQ(records[2].fields, (std::vector<std::string>{"x\ny", "z"}));
  EXPECT_EQ(records[2].line, 3u);
  for (const auto& record : records) EXPECT_EQ(record.error, "");
}

}  // namespace
