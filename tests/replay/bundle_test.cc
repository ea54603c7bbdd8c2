#include "replay/bundle.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "crypto/note.h"
#include "tests/test_ledger.h"

namespace replay {
namespace {

using ledger::Code;
using ledger::Status;
using testing_ledger::TempDir;

TEST(EntryBundlePathTest, FollowsTheTlogTilesEncoding) {
  EXPECT_EQ(EntryBundlePath(0, 256), "tile/entries/000");
  EXPECT_EQ(EntryBundlePath(0, 5), "tile/entries/000.p/5");
  EXPECT_EQ(EntryBundlePath(999, 256), "tile/entries/999");
  EXPECT_EQ(EntryBundlePath(1000, 256), "tile/entries/x001/000");
  EXPECT_EQ(EntryBundlePath(1234067, 8), "tile/entries/x001/x234/067.p/8");
}

// A checkpoint note of `size` entries, signed by a throwaway key (WriteBundle does not check it).
std::string CheckpointNote(std::uint64_t size) {
  crypto::Checkpoint checkpoint;
  checkpoint.origin = "bundle-test";
  checkpoint.size = size;
  return crypto::SignNote(crypto::FormatCheckpoint(checkpoint), "bundle-test", crypto::SecretKey::Generate());
}

TEST(WriteBundleTest, AnEntryOverTheEntryBundleLimitIsRefusedAndLeavesNothing) {
  ASSERT_TRUE(crypto::Initialize());
  TempDir dir;
  const std::string out = dir.path() + "/bundle";
  Status status = WriteBundle(out, CheckpointNote(3), "key\n",
                              [](std::uint64_t first, std::uint64_t count, std::vector<std::string>* entries) {
                                entries->clear();
                                for (std::uint64_t i = first; i < first + count; ++i) {
                                  entries->push_back(std::string(i == 2 ? bundle_entry_bytes_max + 1 : 10, 'e'));
                                }
                                return ledger::Status::Ok();
                              });
  EXPECT_EQ(status.code(), Code::kTooLarge);
  EXPECT_EQ(status.message(),
            "entry 2 is 65536 bytes; a tlog-tiles entry bundle holds at most 65535 bytes per entry");
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));  // Not even the temporary directory.
}

TEST(WriteBundleTest, AnEntryOfExactlyTheLimitIsWrittenAndReadBack) {
  ASSERT_TRUE(crypto::Initialize());
  TempDir dir;
  const std::string out = dir.path() + "/bundle";
  const std::string big(bundle_entry_bytes_max, 'b');
  Status status = WriteBundle(out, CheckpointNote(2), "key\n",
                              [&](std::uint64_t, std::uint64_t, std::vector<std::string>* entries) {
                                *entries = {"small", big};
                                return ledger::Status::Ok();
                              });
  ASSERT_TRUE(status.ok()) << status.ToString();
  auto reader = BundleReader::Open(out);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  std::vector<std::pair<std::uint64_t, std::string>> seen;
  Status scan = (*reader)->Scan(0, [&](std::uint64_t index, std::string_view bytes) {
    seen.emplace_back(index, std::string(bytes));
    return true;
  });
  ASSERT_TRUE(scan.ok()) << scan.ToString();
  EXPECT_EQ(seen, (std::vector<std::pair<std::uint64_t, std::string>>{{0, "small"}, {1, big}}));
}

TEST(BundleReaderTest, AnEntryBundleLargerThanAnyCanBeIsCorruptionAndNotRead) {
  ASSERT_TRUE(crypto::Initialize());
  TempDir dir;
  const std::string out = dir.path() + "/bundle";
  Status status = WriteBundle(out, CheckpointNote(1), "key\n",
                              [](std::uint64_t, std::uint64_t, std::vector<std::string>* entries) {
                                *entries = {"entry"};
                                return ledger::Status::Ok();
                              });
  ASSERT_TRUE(status.ok()) << status.ToString();
  // One byte more than 256 entries of 65,535 bytes, each with its 2-byte length.
  std::filesystem::resize_file(out + "/tile/entries/000.p/1", 256 * (2 + 65'535) + 1);
  auto reader = BundleReader::Open(out);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  bool visited = false;
  Status scan = (*reader)->Scan(0, [&](std::uint64_t, std::string_view) { return visited = true; });
  EXPECT_EQ(scan.code(), Code::kCorruption);
  EXPECT_EQ(scan.message(), "entry bundle tile/entries/000.p/1 is larger than 256 entries of at most 65535 bytes can be");
  EXPECT_FALSE(visited);
}

}  // namespace
}  // namespace replay
