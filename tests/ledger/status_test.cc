// The stable code names of ledger/status.h, read back by clients of the API.
#include "ledger/status.h"

#include <gtest/gtest.h>

namespace {

using ledger::Code;

TEST(CodeFromNameTest, EveryCodeReadsBackFromItsName) {
  for (int value = 0; value <= static_cast<int>(ledger::kLastCode); ++value) {
    const Code code = static_cast<Code>(value);
    SCOPED_TRACE(std::string(ledger::CodeName(code)));
    EXPECT_NE(ledger::CodeName(code), "unknown");
    EXPECT_EQ(ledger::CodeFromName(ledger::CodeName(code)), code);
  }
}

TEST(CodeFromNameTest, NamesNoCodeHasAreNullopt) {
  for (const char* name : {"", "unknown", "Overdraft", "overdraft ", "teapot"}) {
    SCOPED_TRACE(name);
    EXPECT_FALSE(ledger::CodeFromName(name).has_value());
  }
}

}  // namespace
