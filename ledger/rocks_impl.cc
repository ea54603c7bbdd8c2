#include "ledger/rocks_impl.h"

#include <stdlib.h>

#include <rocksdb/cache.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/rate_limiter.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/write_buffer_manager.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "ledger/constants.h"
#include "ledger/format.h"

namespace ledger::internal {

Status FromRocks(const rocksdb::Status& status, const std::string& what) {
  if (status.ok()) return Status::Ok();
  Code code = Code::kIOError;
  if (status.IsNotFound()) code = Code::kNotFound;
  if (status.IsCorruption()) code = Code::kCorruption;
  if (status.IsInvalidArgument()) code = Code::kInvalidArgument;
  return Status(code, what + ": " + status.ToString());
}

RocksHandles::~RocksHandles() { Close().IgnoreError(); }

Status RocksHandles::Close() {
  if (!db) return Status::Ok();
  for (auto* handle : {meta, entries, tree, event_ids, actors, projections}) {
    if (handle != nullptr) db->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  }
  entries = tree = event_ids = actors = projections = meta = nullptr;
  rocksdb::Status status = db->Close();
  db.reset();
  if (!secondary_dir.empty()) {
    std::error_code ignored;  // A leftover folder in /tmp harms nothing.
    std::filesystem::remove_all(secondary_dir, ignored);
    secondary_dir.clear();
  }
  return FromRocks(status, "closing the database");
}

namespace {

rocksdb::ColumnFamilyOptions FamilyOptions(std::string_view name,
                                           const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions options;
  rocksdb::BlockBasedTableOptions table;
  // Every block a read touches, index and filter blocks included, comes from one bounded cache.
  table.block_cache = cache;
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  options.write_buffer_size = constants::family_memtable_bytes;
  options.max_write_buffer_number = 2;
  if (name == format::kProjectionsFamily || name == format::kActorsFamily) {
    // Queries read single rows (a rollup, a plan, a person): the filter skips files without it.
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  }
  if (name == format::kEventIdsFamily) {
    // Every append probes its event id; most probes miss, which the filter answers in memory.
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    table.whole_key_filtering = true;
    // The same for the memtables, where the newest ids live.
    options.memtable_whole_key_filtering = true;
    options.memtable_prefix_bloom_size_ratio = 0.1;
    options.level0_file_num_compaction_trigger = constants::event_ids_l0_files_compaction_trigger;
  }
  // Level sizes follow the data from the last level up: each level is a tenth of the next, so
  // an L0 flush merges into a small base level instead of rewriting one large L1. This matters
  // most for event ids, whose random keys overlap every file (at 10 million ids a fixed L1
  // rewrote a quarter gigabyte per compaction).
  options.level_compaction_dynamic_level_bytes = true;
  if (name == format::kEntriesFamily) {
    // Each entry key follows the last one: the memtable inserts next to the previous insert (a
    // hint per 4-byte prefix) instead of searching its skip list from the top.
    options.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(4));
  }
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  options.compression = rocksdb::kLZ4Compression;
  return options;
}

}  // namespace

Result<RocksHandles> OpenRocks(const std::string& path, OpenMode mode) {
  rocksdb::DBOptions options;
  options.create_if_missing = mode == OpenMode::kCreate;
  options.error_if_exists = mode == OpenMode::kCreate;
  options.create_missing_column_families = mode == OpenMode::kCreate;
  options.paranoid_checks = true;
  options.max_background_jobs = constants::background_jobs;  // One flush, two compactions.
  options.bytes_per_sync = constants::background_bytes_per_sync;
  if (mode == OpenMode::kReadWrite) {
    // Paced background writes (ledger/constants.h): the appends' synced writes queue behind them.
    options.rate_limiter.reset(rocksdb::NewGenericRateLimiter(
        constants::background_write_bytes_per_second, constants::background_write_refill_micros,
        /*fairness=*/10, rocksdb::RateLimiter::Mode::kWritesOnly, /*auto_tuned=*/false));
  }
  // The vector memtable of a rebuild takes one writer at a time.
  options.allow_concurrent_memtable_write = mode != OpenMode::kRebuild;
  // Bounded memory (ledger/constants.h): one memtable budget and one block cache per open store.
  // Few shards: each shard holds 1/2^bits of the cache, and a block larger than its shard (a
  // large SST's filter or index block is megabytes) is evicted as soon as it is released, so with
  // the default 64 shards every read fetched it again (0.5 ms per Get at 4 million rows).
  auto cache = rocksdb::NewLRUCache(constants::block_cache_bytes, constants::block_cache_shard_bits);
  options.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(constants::memtable_bytes_max);
  // WAL recovery stops at the first corrupt record: a torn tail of an unacknowledged write is
  // dropped, anything before it (acknowledged, synced) is kept.
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  // No wal_compression: in RocksDB 7.8 a compressed WAL read by a secondary instance (our
  // readers) fails with "error in middle of record" or "SST file is ahead of WALs".

  std::vector<std::string_view> names = {rocksdb::kDefaultColumnFamilyName};
  names.insert(names.end(), format::kFamilies.begin(), format::kFamilies.end());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (std::string_view name : names) {
    families.emplace_back(std::string(name), FamilyOptions(name, cache));
    if (mode == OpenMode::kRebuild && (name == format::kActorsFamily || name == format::kProjectionsFamily)) {
      // A rebuild only writes these families until it flushes them: an unsorted vector memtable
      // appends each row in O(1) and sorts once at flush, where a skip list pays a search per row.
      families.back().options.memtable_factory = std::make_shared<rocksdb::VectorRepFactory>();
      // Compacting while the rows pour in would rewrite them repeatedly; the ledger compacts
      // them after it reopens.
      families.back().options.disable_auto_compactions = true;
    }
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  RocksHandles result;
  rocksdb::Status status;
  if (mode == OpenMode::kSecondary) {
    std::string pattern = (std::filesystem::temp_directory_path() / "ledger-reader-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      return Status(Code::kIOError, "creating a folder for the reader: " + std::string(std::strerror(errno)));
    }
    result.secondary_dir = pattern;
    options.max_open_files = -1;  // Required: files the writer deletes stay readable while open.
    status = rocksdb::DB::OpenAsSecondary(options, path, result.secondary_dir, families, &handles, &raw);
  } else {
    status = rocksdb::DB::Open(options, path, families, &handles, &raw);
  }
  if (!status.ok()) {
    if (!result.secondary_dir.empty()) std::filesystem::remove_all(result.secondary_dir);
    result.secondary_dir.clear();
    return FromRocks(status, "opening " + path);
  }
  result.db.reset(raw);
  result.meta = handles[0];
  result.entries = handles[1];
  result.tree = handles[2];
  result.event_ids = handles[3];
  result.actors = handles[4];
  result.projections = handles[5];
  return result;
}

rocksdb::ReadOptions SequentialScan() {
  rocksdb::ReadOptions options;
  options.readahead_size = constants::scan_readahead_bytes;
  options.fill_cache = false;
  return options;
}

Status RecreateFamily(RocksHandles* rocks, rocksdb::ColumnFamilyHandle** family) {
  const std::string name = (*family)->GetName();
  rocksdb::ColumnFamilyDescriptor descriptor;
  rocksdb::Status status = (*family)->GetDescriptor(&descriptor);
  if (status.ok()) status = rocks->db->DropColumnFamily(*family);
  if (status.ok()) status = rocks->db->DestroyColumnFamilyHandle(*family);
  if (!status.ok()) return FromRocks(status, "dropping the " + name + " family");
  *family = nullptr;
  status = rocks->db->CreateColumnFamily(descriptor.options, name, family);
  return FromRocks(status, "creating the " + name + " family");
}

void BatchRows::Put(std::string_view key, std::string_view value) {
  // Put errors surface at Write; a WriteBatch Put only fails past its size limit.
  batch_->Put(family_, rocksdb::Slice(key.data(), key.size()),
              rocksdb::Slice(value.data(), value.size()))
      .PermitUncheckedError();
}

Result<std::string> FamilyRows::Get(std::string_view key) const {
  std::string value;
  rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), family_, rocksdb::Slice(key.data(), key.size()), &value);
  if (status.IsNotFound()) return Status(Code::kNotFound, "no row");
  if (!status.ok()) return FromRocks(status, "reading a projection row");
  return value;
}

Status FamilyRows::Scan(std::string_view from, std::string_view to, const Visitor& visit) const {
  rocksdb::ReadOptions read;
  rocksdb::Slice upper(to.data(), to.size());
  if (!to.empty()) read.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, family_));
  for (it->Seek(rocksdb::Slice(from.data(), from.size())); it->Valid(); it->Next()) {
    if (!visit(it->key().ToStringView(), it->value().ToStringView())) break;
  }
  return it->status().ok() ? Status::Ok() : FromRocks(it->status(), "scanning projection rows");
}

Result<std::pair<std::string, std::string>> FamilyRows::Last(std::string_view from,
                                                             std::string_view to) const {
  rocksdb::ReadOptions read;
  rocksdb::Slice lower(from.data(), from.size());
  rocksdb::Slice upper(to.data(), to.size());
  read.iterate_lower_bound = &lower;
  if (!to.empty()) read.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, family_));
  if (to.empty()) {
    it->SeekToLast();
  } else {
    it->SeekForPrev(upper);
    // SeekForPrev lands on a key <= `to`; the bound is exclusive.
    if (it->Valid() && it->key() == upper) it->Prev();
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading projection rows");
  if (!it->Valid()) return Status(Code::kNotFound, "no row in range");
  return std::make_pair(it->key().ToString(), it->value().ToString());
}

}  // namespace ledger::internal
