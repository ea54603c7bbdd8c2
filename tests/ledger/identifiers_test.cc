// Resident ID (GB 11643-1999) and unified social credit code (GB 32100-2015) validation.

#include "ledger/identifiers.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ledger {
namespace {

// Every ID below other than the wrong-check cases carries its correct check character, so each
// is refused for exactly the rule its test names.
constexpr const char* kExampleId = "11010519491231002X";  // domain.md's example.

void ExpectInvalid(const Status& status, const std::string& message) {
  EXPECT_EQ(status.code(), Code::kInvalidIdentifier) << status.ToString();
  EXPECT_EQ(status.message(), message);
}

TEST(IdentifiersTest, ResidentIdExampleWithCheckXPasses) {
  EXPECT_TRUE(ValidateResidentId(kExampleId).ok());
}

TEST(IdentifiersTest, ResidentIdDigitCheckCharacterPasses) {
  EXPECT_TRUE(ValidateResidentId("150802210002281235").ok());  // 2100-02-28, check 5.
}

TEST(IdentifiersTest, ResidentIdFebruary29OfLeapYearsPasses) {
  EXPECT_TRUE(ValidateResidentId("150802202402290042").ok());  // 2024: divisible by 4.
  EXPECT_TRUE(ValidateResidentId("150802200002291231").ok());  // 2000: divisible by 400.
}

TEST(IdentifiersTest, ResidentIdWrongLengthRejected) {
  ExpectInvalid(ValidateResidentId("11010519491231002"),
                "resident ID must be 18 characters, got 17");
  ExpectInvalid(ValidateResidentId("11010519491231002X0"),
                "resident ID must be 18 characters, got 19");
  ExpectInvalid(ValidateResidentId(""), "resident ID must be 18 characters, got 0");
}

TEST(IdentifiersTest, ResidentIdNonDigitRejectedByPosition) {
  ExpectInvalid(ValidateResidentId("11010519491231A02X"),
                "resident ID character 15 is not a digit");
}

TEST(IdentifiersTest, ResidentIdXOutsideCheckPositionRejected) {
  ExpectInvalid(ValidateResidentId("X10105194912310020"), "resident ID character 1 is not a digit");
}

TEST(IdentifiersTest, ResidentIdLowerCaseXRejected) {
  ExpectInvalid(ValidateResidentId("11010519491231002x"),
                "resident ID check character must be an upper-case X, not x");
}

TEST(IdentifiersTest, ResidentIdCheckCharacterOtherThanDigitOrXRejected) {
  ExpectInvalid(ValidateResidentId("11010519491231002*"),
                "resident ID check character (character 18) must be a digit or X");
}

TEST(IdentifiersTest, ResidentIdWrongCheckCharacterRejected) {
  ExpectInvalid(ValidateResidentId("110105194912310021"),
                "resident ID check character is 1, expected X");
  ExpectInvalid(ValidateResidentId("15080221000228123X"),
                "resident ID check character is X, expected 5");
}

TEST(IdentifiersTest, ResidentIdFebruary30Rejected) {
  ExpectInvalid(ValidateResidentId("110105194902300020"),
                "resident ID birth date (characters 7-14) is not a real date");
}

TEST(IdentifiersTest, ResidentIdFebruary29OfNonLeapYearsRejected) {
  ExpectInvalid(ValidateResidentId("150802199902290044"),  // 1999: not divisible by 4.
                "resident ID birth date (characters 7-14) is not a real date");
  ExpectInvalid(ValidateResidentId("150802190002291235"),  // 1900: divisible by 100, not 400.
                "resident ID birth date (characters 7-14) is not a real date");
}

TEST(IdentifiersTest, ResidentIdMonth13AndDay0Rejected) {
  ExpectInvalid(ValidateResidentId("150802194913310028"),
                "resident ID birth date (characters 7-14) is not a real date");
  ExpectInvalid(ValidateResidentId("150802194901000022"),
                "resident ID birth date (characters 7-14) is not a real date");
}

TEST(IdentifiersTest, ResidentIdBirthYearOutside1900To2100Rejected) {
  ExpectInvalid(ValidateResidentId("150802189912310046"),
                "resident ID birth year (characters 7-10) is outside 1900-2100");
  ExpectInvalid(ValidateResidentId("150802210112310041"),
                "resident ID birth year (characters 7-10) is outside 1900-2100");
}

TEST(IdentifiersTest, ResidentIdBirthYears1900And2100Pass) {
  EXPECT_TRUE(ValidateResidentId("150802190001010016").ok());
  EXPECT_TRUE(ValidateResidentId("150802210012310044").ok());
}

// The number is personal data: no message may carry it, nor any run of 5 of its characters
// (a division code, a birth date or a sequence number would be such a run).
TEST(IdentifiersTest, ResidentIdNoMessageCarriesPartOfTheNumber) {
  const std::vector<std::string> rejected = {
      "11010519491231002",  "11010519491231002X0", "11010519491231A02X", "11010519491231002x",
      "11010519491231002*", "110105194912310021",  "110105194902300020", "150802199902290044",
      "150802194913310028", "150802189912310046",  "15080221000228123X", "150802210112310041"};
  for (const std::string& id : rejected) {
    Status status = ValidateResidentId(id);
    ASSERT_EQ(status.code(), Code::kInvalidIdentifier) << id;
    for (std::size_t i = 0; i + 5 <= id.size(); ++i) {
      EXPECT_EQ(status.message().find(id.substr(i, 5)), std::string::npos)
          << "message '" << status.message() << "' carries part of the ID";
    }
  }
}

TEST(IdentifiersTest, CreditCodeExamplesPass) {
  EXPECT_TRUE(ValidateCreditCode("91350200MA2YJ1XR9G").ok());
  EXPECT_TRUE(ValidateCreditCode("91350200776049653A").ok());
}

// A weighted sum divisible by 31 gives check index (31 - 0) mod 31 = 0, not 31.
TEST(IdentifiersTest, CreditCodeSumDivisibleBy31GivesCheckZero) {
  EXPECT_TRUE(ValidateCreditCode("000000000000000000").ok());
}

TEST(IdentifiersTest, CreditCodeWrongLengthRejected) {
  ExpectInvalid(ValidateCreditCode("91350200MA2YJ1XR9"),
                "credit code must be 18 characters, got 17");
  ExpectInvalid(ValidateCreditCode(""), "credit code must be 18 characters, got 0");
}

TEST(IdentifiersTest, CreditCodeLettersOutsideTheAlphabetRejected) {
  ExpectInvalid(ValidateCreditCode("91350200IA2YJ1XR9G"),
                "credit code '91350200IA2YJ1XR9G' character 9 'I' is not in 0-9 A-Z without I, O, "
                "S, V, Z");
  for (char letter : {'O', 'S', 'V', 'Z'}) {
    std::string code = "91350200MA2YJ1XR9G";
    code[8] = letter;
    EXPECT_EQ(ValidateCreditCode(code).code(), Code::kInvalidIdentifier) << code;
  }
}

TEST(IdentifiersTest, CreditCodeLowerCaseRejected) {
  ExpectInvalid(ValidateCreditCode("91350200ma2yj1xr9g"),
                "credit code '91350200ma2yj1xr9g' character 9 'm' is not in 0-9 A-Z without I, O, "
                "S, V, Z");
}

TEST(IdentifiersTest, CreditCodeNonAsciiByteQuotedAsQuestionMark) {
  ExpectInvalid(ValidateCreditCode("91350200\xC3\x81"
                                   "2YJ1XR9G"),
                "credit code '91350200??2YJ1XR9G' character 9 '?' is not in 0-9 A-Z without I, O, "
                "S, V, Z");
}

TEST(IdentifiersTest, CreditCodeWrongCheckCharacterRejected) {
  ExpectInvalid(ValidateCreditCode("91350200MA2YJ1XR9H"),
                "credit code '91350200MA2YJ1XR9H' check character is H, expected G");
}

}  // namespace
}  // namespace ledger
