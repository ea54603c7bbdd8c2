// C2SP tlog-tiles paths: the spec's own examples and the non-canonical spellings it rules out.
#include "ledger/tile_path.h"

#include <gtest/gtest.h>

namespace ledger {
namespace {

TEST(TilePathTest, IndexIsWrittenInThreeDigitGroupsAsTheSpecExample) {
  EXPECT_EQ(FormatTileIndex(1234067), "x001/x234/067");
}

TEST(TilePathTest, SmallIndexesArePaddedToThreeDigits) {
  EXPECT_EQ(FormatTileIndex(0), "000");
  EXPECT_EQ(FormatTileIndex(5), "005");
  EXPECT_EQ(FormatTileIndex(999), "999");
  EXPECT_EQ(FormatTileIndex(1000), "x001/000");
}

TEST(TilePathTest, LargestIndexRoundTrips) {
  EXPECT_EQ(FormatTileIndex(UINT64_MAX), "x018/x446/x744/x073/x709/x551/615");
  EXPECT_EQ(ParseTilePath("0/x018/x446/x744/x073/x709/x551/615")->index, UINT64_MAX);
}

TEST(TilePathTest, FullAndPartialTilePathsFormat) {
  EXPECT_EQ(FormatTilePath(TileId{false, 0, 1234067, 256}), "tile/0/x001/x234/067");
  EXPECT_EQ(FormatTilePath(TileId{false, 2, 0, 1}), "tile/2/000.p/1");
  EXPECT_EQ(FormatTilePath(TileId{true, 0, 273, 112}), "tile/entries/273.p/112");
}

TEST(TilePathTest, PathsParseToTheirTiles) {
  EXPECT_EQ(ParseTilePath("0/x001/x234/067"), (TileId{false, 0, 1234067, 256}));
  EXPECT_EQ(ParseTilePath("1/000.p/17"), (TileId{false, 1, 0, 17}));
  EXPECT_EQ(ParseTilePath("63/000"), (TileId{false, 63, 0, 256}));
  EXPECT_EQ(ParseTilePath("entries/x001/234.p/255"), (TileId{true, 0, 1234, 255}));
  EXPECT_EQ(ParseTilePath("entries/000"), (TileId{true, 0, 0, 256}));
}

TEST(TilePathTest, NonCanonicalPathsDoNotParse) {
  for (const char* path : {"", "0", "0/", "0/5", "0/05", "0/0005", "00/000", "01/000", "64/000", "-1/000",
                           "0/x000/005", "0/001/002", "0/x001", "0/x001/", "0/y001/000", "0/000/", "0/000.p",
                           "0/000.p/", "0/000.p/0", "0/000.p/256", "0/000.p/07", "0/000.p/+7", "0/000.q/7",
                           "0/x018/x446/x744/x073/x709/x551/616", "entries", "entries/", "entries/5",
                           "entries/000.p/256", "x/000", "0/00a"}) {
    EXPECT_FALSE(ParseTilePath(path).has_value()) << path;
  }
}

}  // namespace
}  // namespace ledger
