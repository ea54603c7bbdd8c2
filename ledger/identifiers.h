// Identifiers the ledger validates: resident ID numbers (GB 11643-1999) and unified social
// credit codes (GB 32100-2015). Errors are kInvalidIdentifier and never echo a resident ID.
#pragma once

#include <string_view>

#include "ledger/status.h"

namespace ledger {

Status ValidateResidentId(std::string_view id);
Status ValidateCreditCode(std::string_view code);

}  // namespace ledger
