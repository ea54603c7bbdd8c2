#include "ledger/identifiers.h"

#include <array>
#include <string>

namespace ledger {

// Placeholder until the full validators land (resident IDs): credit codes are checked here.
Status ValidateResidentId(std::string_view id) {
  if (id.size() != 18) return Status(Code::kInvalidIdentifier, "resident ID must be 18 characters");
  return Status::Ok();
}

Status ValidateCreditCode(std::string_view code) {
  static constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  static constexpr std::array<int, 17> kWeights = {1, 3, 9, 27, 19, 26, 16, 17, 20,
                                                   29, 25, 13, 8, 24, 10, 30, 28};
  if (code.size() != 18) {
    return Status(Code::kInvalidIdentifier, "unified social credit code must be 18 characters");
  }
  int sum = 0;
  for (std::size_t i = 0; i < 18; ++i) {
    std::size_t value = kAlphabet.find(code[i]);
    if (value == std::string_view::npos) {
      return Status(Code::kInvalidIdentifier, "unified social credit code " + std::string(code) +
                                                  " has an invalid character at position " +
                                                  std::to_string(i + 1));
    }
    if (i < 17) sum += static_cast<int>(value) * kWeights[i];
  }
  char expected = kAlphabet[static_cast<std::size_t>((31 - sum % 31) % 31)];
  if (code[17] != expected) {
    return Status(Code::kInvalidIdentifier, "unified social credit code " + std::string(code) +
                                                " has check character " + code[17] + ", expected " +
                                                expected);
  }
  return Status::Ok();
}

}  // namespace ledger
