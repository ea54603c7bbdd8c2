// Test vocabulary: an insider with write access to the database files and nothing else, who
// edits the log through the RocksDB API. The tamper tests (verifier, ledgerctl) use it.
#pragma once

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/sst_file_writer.h>

#include <memory>
#include <string>
#include <vector>

#include "crypto/merkle.h"
#include "crypto/note.h"
#include "ledger/event_store.h"
#include "ledger/format.h"
#include "ledger/ledger.pb.h"

namespace testing_ledger {

// Someone with write access to the database files and nothing else: edits through the RocksDB
// API, the way an insider with database access would.
class Insider {
 public:
  explicit Insider(const std::string& data_dir) {
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    families.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
    for (std::string_view name : ledger::format::kFamilies) {
      families.emplace_back(std::string(name), rocksdb::ColumnFamilyOptions());
    }
    rocksdb::DB* raw = nullptr;
    rocksdb::Status status = rocksdb::DB::Open(rocksdb::Options(), ledger::DatabasePath(data_dir),
                                               families, &handles_, &raw);
    EXPECT_TRUE(status.ok()) << status.ToString();
    db_.reset(raw);
  }
  ~Insider() {
    for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
    db_->Close().PermitUncheckedError();
  }
  void PutMeta(std::string_view key, const std::string& value) {
    EXPECT_TRUE(db_->Put({}, handles_[0], std::string(key), value).ok());
  }
  std::string GetMeta(std::string_view key) {
    std::string value;
    EXPECT_TRUE(db_->Get({}, handles_[0], std::string(key), &value).ok());
    return value;
  }
  // Writes a row of the domain projections (what queries read), as an insider could.
  void PutProjectionRow(const std::string& key, const std::string& value) {
    EXPECT_TRUE(db_->Put({}, handles_[5], key, value).ok());
  }
  ledger::v1::LogEntry Read(std::uint64_t index) {
    std::string bytes;
    EXPECT_TRUE(db_->Get({}, handles_[1], ledger::format::EncodeIndex(index), &bytes).ok());
    ledger::v1::LogEntry entry;
    EXPECT_TRUE(entry.ParseFromString(bytes));
    return entry;
  }
  std::string ReadBytes(std::uint64_t index) {
    std::string bytes;
    EXPECT_TRUE(db_->Get({}, handles_[1], ledger::format::EncodeIndex(index), &bytes).ok());
    return bytes;
  }
  void Write(std::uint64_t index, const std::string& bytes) {
    EXPECT_TRUE(db_->Put({}, handles_[1], ledger::format::EncodeIndex(index), bytes).ok());
  }
  void Write(std::uint64_t index, const ledger::v1::LogEntry& entry) { Write(index, entry.SerializeAsString()); }
  void Delete(std::uint64_t index) {
    EXPECT_TRUE(db_->Delete({}, handles_[1], ledger::format::EncodeIndex(index)).ok());
  }
  // Rows of the tree family (format.h EncodeTileKey).
  std::string ReadTree(std::uint8_t tile_level, std::uint64_t tile_index) {
    std::string bytes;
    EXPECT_TRUE(db_->Get({}, handles_[2], ledger::format::EncodeTileKey(tile_level, tile_index), &bytes).ok());
    return bytes;
  }
  void WriteTree(std::uint8_t tile_level, std::uint64_t tile_index, const std::string& bytes) {
    EXPECT_TRUE(db_->Put({}, handles_[2], ledger::format::EncodeTileKey(tile_level, tile_index), bytes).ok());
  }
  void DeleteTree(std::uint8_t tile_level, std::uint64_t tile_index) {
    EXPECT_TRUE(db_->Delete({}, handles_[2], ledger::format::EncodeTileKey(tile_level, tile_index)).ok());
  }
  // Has RocksDB ingest `entries` as one table file of the entries family from `first` on, as a
  // large batch's commit does before its WriteBatch.
  void IngestEntries(std::uint64_t first, const std::vector<std::string>& entries, const std::string& file) {
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), rocksdb::Options(), handles_[1]);
    ASSERT_TRUE(writer.Open(file).ok());
    for (std::size_t i = 0; i < entries.size(); ++i) {
      ASSERT_TRUE(writer.Put(ledger::format::EncodeIndex(first + i), entries[i]).ok());
    }
    ASSERT_TRUE(writer.Finish().ok());
    rocksdb::Status status = db_->IngestExternalFile(handles_[1], {file}, rocksdb::IngestExternalFileOptions());
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  // The table files of the entries family, as RocksDB lists them.
  std::vector<rocksdb::LiveFileMetaData> EntryFiles() {
    std::vector<rocksdb::LiveFileMetaData> files;
    db_->GetLiveFilesMetaData(&files);
    std::erase_if(files, [](const rocksdb::LiveFileMetaData& file) {
      return file.column_family_name != ledger::format::kEntriesFamily;
    });
    return files;
  }
  // Deletes a metadata key (format.h kMeta*), e.g. the checkpoint.
  void DeleteMeta(std::string_view key) {
    EXPECT_TRUE(db_->Delete({}, handles_[0], std::string(key)).ok());
  }
  // Re-signs the checkpoint with the log key, as an insider who also stole log.key could.
  void ResignCheckpoint(const std::string& data_dir, std::uint64_t size) {
    auto key = crypto::ReadSignerKeyFile(ledger::LogKeyPath(data_dir));
    ASSERT_TRUE(key.ok());
    crypto::CompactTree tree;
    for (std::uint64_t i = 0; i < size; ++i) tree.Append(crypto::LeafHash(ReadBytes(i)), [](const auto&) {});
    std::string note = crypto::SignNote(
        crypto::FormatCheckpoint({key->name, size, tree.Root(), {}}), key->name, key->key);
    EXPECT_TRUE(db_->Put({}, handles_[0], std::string(ledger::format::kMetaCheckpoint), note).ok());
  }

 private:
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace testing_ledger
