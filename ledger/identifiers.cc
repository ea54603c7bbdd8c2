#include "ledger/identifiers.h"

#include <array>
#include <cassert>
#include <cstddef>
#include <string>

namespace ledger {
namespace {

constexpr std::size_t kIdentifierChars = 18;  // Both standards: 17 payload characters + 1 check.
constexpr std::size_t kPayloadChars = kIdentifierChars - 1;

// GB 11643-1999: weight i = 2^(17-i) mod 11, check = kResidentCheckChars[sum mod 11].
constexpr std::array<int, kPayloadChars> kResidentWeights = {7, 9, 10, 5,  8, 4, 2, 1, 6,
                                                             3, 7, 9,  10, 5, 8, 4, 2};
constexpr std::string_view kResidentCheckChars = "10X98765432";
// Characters 7-14 (1-based) are the birth date.
constexpr std::size_t kBirthDateOffset = 6;
// A resident alive or born while this ledger runs has a birth year in this range; a fixed range
// keeps validation pure (no clock).
constexpr int kBirthYearMin = 1900;
constexpr int kBirthYearMax = 2100;

// GB 32100-2015: 31 characters (no I, O, S, V, Z), weight i = 3^i mod 31.
constexpr std::string_view kCreditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
constexpr std::array<int, kPayloadChars> kCreditWeights = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                                           29, 25, 13, 8,  24, 10, 30, 28};
static_assert(kCreditAlphabet.size() == 31);

Status Invalid(std::string message) { return Status(Code::kInvalidIdentifier, std::move(message)); }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Value of the `count` digits at `offset`; the caller has checked they are digits.
int DigitsValue(std::string_view text, std::size_t offset, std::size_t count) {
  int value = 0;
  for (std::size_t i = offset; i < offset + count; ++i) value = value * 10 + (text[i] - '0');
  return value;
}

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

bool IsRealDate(int year, int month, int day) {
  constexpr std::array<int, 12> kDaysInMonth = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return false;
  int days = kDaysInMonth[static_cast<std::size_t>(month - 1)];
  if (month == 2 && IsLeapYear(year)) days = 29;
  return day <= days;
}

// A credit code as quoted in a message: bytes outside printable ASCII become '?', so a message
// stays valid UTF-8 text whatever the caller passed.
std::string Quoted(std::string_view code) {
  std::string out = "'";
  for (char c : code) out += (c >= 0x20 && c <= 0x7e) ? c : '?';
  return out + "'";
}

// The position in a message is 1-based, as a person counting characters on a card would say it.
std::string Position(std::size_t index) { return std::to_string(index + 1); }

}  // namespace

Status ValidateResidentId(std::string_view id) {
  if (id.size() != kIdentifierChars) {
    return Invalid("resident ID must be 18 characters, got " + std::to_string(id.size()));
  }
  for (std::size_t i = 0; i < kPayloadChars; ++i) {
    if (!IsDigit(id[i])) return Invalid("resident ID character " + Position(i) + " is not a digit");
  }
  const char check = id[kPayloadChars];
  if (check == 'x') return Invalid("resident ID check character must be an upper-case X, not x");
  if (!IsDigit(check) && check != 'X') {
    return Invalid("resident ID check character (character 18) must be a digit or X");
  }
  // The date is part of the number, so the message says which rule failed but not the date.
  const int year = DigitsValue(id, kBirthDateOffset, 4);
  const int month = DigitsValue(id, kBirthDateOffset + 4, 2);
  const int day = DigitsValue(id, kBirthDateOffset + 6, 2);
  if (year < kBirthYearMin || year > kBirthYearMax) {
    return Invalid("resident ID birth year (characters 7-10) is outside " +
                   std::to_string(kBirthYearMin) + "-" + std::to_string(kBirthYearMax));
  }
  if (!IsRealDate(year, month, day)) {
    return Invalid("resident ID birth date (characters 7-14) is not a real date");
  }
  int sum = 0;
  for (std::size_t i = 0; i < kPayloadChars; ++i) sum += (id[i] - '0') * kResidentWeights[i];
  const char expected = kResidentCheckChars[static_cast<std::size_t>(sum % 11)];
  if (check != expected) {
    // One character of 18 identifies nobody, and it lets a clerk spot a typing error.
    return Invalid(std::string("resident ID check character is ") + check + ", expected " +
                   expected);
  }
  return Status::Ok();
}

Status ValidateCreditCode(std::string_view code) {
  if (code.size() != kIdentifierChars) {
    return Invalid("credit code must be 18 characters, got " + std::to_string(code.size()));
  }
  std::array<int, kIdentifierChars> values{};
  for (std::size_t i = 0; i < kIdentifierChars; ++i) {
    std::size_t value = kCreditAlphabet.find(code[i]);
    if (value == std::string_view::npos) {
      return Invalid("credit code " + Quoted(code) + " character " + Position(i) + " " +
                     Quoted(code.substr(i, 1)) + " is not in 0-9 A-Z without I, O, S, V, Z");
    }
    values[i] = static_cast<int>(value);
  }
  int sum = 0;
  for (std::size_t i = 0; i < kPayloadChars; ++i) sum += values[i] * kCreditWeights[i];
  const char expected = kCreditAlphabet[static_cast<std::size_t>((31 - sum % 31) % 31)];
  if (code[kPayloadChars] != expected) {
    return Invalid("credit code " + Quoted(code) + " check character is " + code[kPayloadChars] +
                   ", expected " + expected);
  }
  return Status::Ok();
}

}  // namespace ledger
