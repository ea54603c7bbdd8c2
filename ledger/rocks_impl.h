// Private to ledger/: opening the ledger's RocksDB with its column families, and converting
// RocksDB errors into ours. Nothing outside ledger/ includes this.
#pragma once

#include <rocksdb/db.h>

#include <memory>
#include <string>

#include "ledger/projection.h"
#include "ledger/status.h"

namespace rocksdb {
class WriteBatch;
}

namespace ledger::internal {

struct RocksHandles {
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::ColumnFamilyHandle* meta = nullptr;  // The default family; owned by db.
  rocksdb::ColumnFamilyHandle* entries = nullptr;
  rocksdb::ColumnFamilyHandle* tree = nullptr;
  rocksdb::ColumnFamilyHandle* event_ids = nullptr;
  rocksdb::ColumnFamilyHandle* actors = nullptr;
  rocksdb::ColumnFamilyHandle* projections = nullptr;

  RocksHandles() = default;
  RocksHandles(RocksHandles&&) = default;
  RocksHandles& operator=(RocksHandles&&) = default;
  ~RocksHandles();  // Destroys the family handles, then closes the database.
  Status Close();

  std::string secondary_dir;  // A secondary instance's private folder, removed at Close.
};

// kSecondary reads a database another process (or this one) may be writing: RocksDB's
// secondary instance, which sees a consistent state as of its open. A plain read-only open of a
// live database can fail or see a half-replayed WAL, so readers never use one.
// kRebuild is kReadWrite tuned for `ledgerctl rebuild`, which bulk-writes the projection
// families and reads them only after flushing them.
enum class OpenMode { kCreate, kReadWrite, kSecondary, kRebuild };

Result<RocksHandles> OpenRocks(const std::string& path, OpenMode mode);

// Read options of a scan that reads each entry once, in order (constants::scan_readahead_bytes).
rocksdb::ReadOptions SequentialScan();

// Drops `family` with all its rows and creates it again, empty, with the same options
// (a rebuild's way to discard projections without compacting their tombstones).
Status RecreateFamily(RocksHandles* rocks, rocksdb::ColumnFamilyHandle** family);

// A projection's rows in one column family, written into a WriteBatch.
class BatchRows final : public RowWriter {
 public:
  BatchRows(rocksdb::WriteBatch* batch, rocksdb::ColumnFamilyHandle* family)
      : batch_(batch), family_(family) {}
  void Put(std::string_view key, std::string_view value) override;

 private:
  rocksdb::WriteBatch* batch_;
  rocksdb::ColumnFamilyHandle* family_;
};

// Rows of one column family as the database holds them (durable writes only).
class FamilyRows final : public RowReader {
 public:
  FamilyRows(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family) : db_(db), family_(family) {}
  Result<std::string> Get(std::string_view key) const override;
  Status Scan(std::string_view from, std::string_view to, const Visitor& visit) const override;
  Result<std::pair<std::string, std::string>> Last(std::string_view from,
                                                   std::string_view to) const override;

 private:
  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* family_;
};

// Converts a RocksDB status; `what` says what we were doing ("reading entry 12").
Status FromRocks(const rocksdb::Status& status, const std::string& what);

}  // namespace ledger::internal
