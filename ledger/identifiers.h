// Check-digit validation of the two national identifiers the ledger records: the resident ID
// number of a person (GB 11643-1999) and the unified social credit code of a unit (GB 32100-2015).
//
// Both functions are pure and safe to call from any thread. A resident ID is personal data
// (PIPL): error messages name the rule and the character position, never the number. A credit
// code is public, so its messages may quote it.
#pragma once

#include <string_view>

#include "ledger/status.h"

namespace ledger {

// Ok if `id` is 18 characters: a 6-digit division code, a birth date YYYYMMDD that is a real
// calendar date with a year from 1900 to 2100, a 3-digit sequence and the check character of
// GB 11643-1999 (a digit or an upper-case 'X'; a lower-case 'x' is refused). Otherwise
// kInvalidIdentifier naming the broken rule.
Status ValidateResidentId(std::string_view id);

// Ok if `code` is 18 characters from "0123456789ABCDEFGHJKLMNPQRTUWXY" whose last is the
// GB 32100-2015 check character of the first 17. Otherwise kInvalidIdentifier.
Status ValidateCreditCode(std::string_view code);

}  // namespace ledger
