#include "ledger/id_table.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ledger::internal {
namespace {

TEST(IdTableTest, EmptyTableFindsNothing) {
  IdTable table;
  EXPECT_EQ(table.Find("a"), nullptr);
  table.Reset(4);
  EXPECT_TRUE(table.empty());
  EXPECT_EQ(table.Find("a"), nullptr);
}

TEST(IdTableTest, FindsWhatWasInserted) {
  IdTable table;
  table.Reset(2);
  EXPECT_TRUE(table.Insert("doc-linhe-2025-001", 7));
  ASSERT_NE(table.Find("doc-linhe-2025-001"), nullptr);
  EXPECT_EQ(*table.Find("doc-linhe-2025-001"), 7u);
  EXPECT_EQ(table.Find("doc-linhe-2025-002"), nullptr);
}

TEST(IdTableTest, SecondInsertOfAnIdKeepsTheFirstValue) {
  IdTable table;
  table.Reset(2);
  EXPECT_TRUE(table.Insert("a", 1));
  EXPECT_FALSE(table.Insert("a", 2));
  EXPECT_EQ(*table.Find("a"), 1u);
}

TEST(IdTableTest, FullTableFindsEveryIdAndNoOther) {
  std::vector<std::string> ids;
  for (int i = 0; i < 10'000; ++i) ids.push_back("bench-" + std::to_string(i));
  IdTable table;
  table.Reset(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) ASSERT_TRUE(table.Insert(ids[i], static_cast<std::uint32_t>(i)));
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::uint32_t* value = table.Find(ids[i]);
    ASSERT_NE(value, nullptr) << ids[i];
    EXPECT_EQ(*value, i);
  }
  for (int i = 10'000; i < 20'000; ++i) EXPECT_EQ(table.Find("bench-" + std::to_string(i)), nullptr);
}

TEST(IdTableTest, ResetForgetsEarlierIds) {
  IdTable table;
  table.Reset(1);
  table.Insert("a", 1);
  table.Reset(1);
  EXPECT_EQ(table.Find("a"), nullptr);
}

}  // namespace
}  // namespace ledger::internal
