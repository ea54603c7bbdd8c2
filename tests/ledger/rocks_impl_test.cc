// internal::OpenRocks: the live store paces its flushes and compactions (the appends' synced
// WAL writes queue behind their bytes at the disk); a rebuild writes unpaced.
#include "ledger/rocks_impl.h"

#include <gtest/gtest.h>
#include <rocksdb/rate_limiter.h>

#include "tests/test_ledger.h"

namespace ledger::internal {
namespace {

class RocksImplTest : public ::testing::Test {
 protected:
  RocksImplTest() {
    auto created = OpenRocks(path_, OpenMode::kCreate);
    EXPECT_TRUE(created.ok()) << created.status().message();
    if (created.ok()) {
      EXPECT_TRUE(created->Close().ok());
    }
  }

  testing_ledger::TempDir dir_;
  std::string path_ = dir_.path() + "/db";
};

TEST_F(RocksImplTest, TheLiveStorePacesItsBackgroundWrites) {
  auto rocks = OpenRocks(path_, OpenMode::kReadWrite);
  ASSERT_TRUE(rocks.ok()) << rocks.status().message();
  const auto& limiter = rocks->db->GetDBOptions().rate_limiter;
  ASSERT_NE(limiter, nullptr);
  EXPECT_EQ(limiter->GetBytesPerSecond(), 32 << 20);
  // One slice per 10 ms refill: 32 MiB / 100.
  EXPECT_EQ(limiter->GetSingleBurstBytes(), 335'544);
  EXPECT_TRUE(limiter->IsRateLimited(rocksdb::RateLimiter::OpType::kWrite));
  EXPECT_FALSE(limiter->IsRateLimited(rocksdb::RateLimiter::OpType::kRead));
}

TEST_F(RocksImplTest, ARebuildWritesUnpaced) {
  auto rocks = OpenRocks(path_, OpenMode::kRebuild);
  ASSERT_TRUE(rocks.ok()) << rocks.status().message();
  EXPECT_EQ(rocks->db->GetDBOptions().rate_limiter, nullptr);
}

}  // namespace
}  // namespace ledger::internal
