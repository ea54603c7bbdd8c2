#include "ledger/log_reader.h"

#include "crypto/hash.h"
#include "ledger/event_store.h"
#include "ledger/format.h"
#include "ledger/rocks_impl.h"

namespace ledger {

struct LogReader::Rocks {
  internal::RocksHandles handles;
  std::unique_ptr<internal::FamilyRows> projection_rows;
};

const RowReader& LogReader::projection_rows() const { return *rocks_->projection_rows; }

LogReader::~LogReader() = default;

Result<std::unique_ptr<LogReader>> LogReader::Open(const std::string& data_dir) {
  auto handles = internal::OpenRocks(DatabasePath(data_dir), internal::OpenMode::kSecondary);
  if (!handles.ok()) return handles.status();
  std::unique_ptr<LogReader> reader(new LogReader());
  reader->rocks_ = std::make_unique<Rocks>();
  reader->rocks_->handles = std::move(*handles);
  auto& h = reader->rocks_->handles;
  reader->rocks_->projection_rows = std::make_unique<internal::FamilyRows>(h.db.get(), h.projections);
  Status status = internal::FromRocks(
      h.db->Get(rocksdb::ReadOptions(), h.meta, std::string(format::kMetaOrigin), &reader->origin_),
      "reading origin");
  if (!status.ok()) return status;
  rocksdb::Status rs = h.db->Get(rocksdb::ReadOptions(), h.meta,
                                 std::string(format::kMetaCheckpoint), &reader->checkpoint_);
  if (!rs.ok() && !rs.IsNotFound()) return internal::FromRocks(rs, "reading checkpoint");
  return reader;
}

Result<std::string> LogReader::Read(std::uint64_t index) const {
  auto& h = rocks_->handles;
  std::string value;
  rocksdb::Status rs = h.db->Get(rocksdb::ReadOptions(), h.entries, format::EncodeIndex(index), &value);
  if (rs.IsNotFound()) return Status(Code::kNotFound, "no entry at index " + std::to_string(index));
  if (!rs.ok()) return internal::FromRocks(rs, "reading entry " + std::to_string(index));
  return value;
}

Status LogReader::Scan(
    std::uint64_t from,
    const std::function<bool(std::uint64_t key_index, std::string_view bytes)>& visit) const {
  auto& h = rocks_->handles;
  std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(internal::SequentialScan(), h.entries));
  for (it->Seek(format::EncodeIndex(from)); it->Valid(); it->Next()) {
    auto index = format::DecodeIndex(std::string_view(it->key().data(), it->key().size()));
    if (!index) return Status(Code::kCorruption, "an entries key is not an 8-byte index");
    if (!visit(*index, std::string_view(it->value().data(), it->value().size()))) break;
  }
  return internal::FromRocks(it->status(), "scanning entries");
}

std::optional<std::string> LogReader::RecordedLeafHash(std::uint64_t index) const {
  auto& h = rocks_->handles;
  std::string tile;
  if (!h.db->Get(rocksdb::ReadOptions(), h.tree, format::EncodeTileKey(0, index / 256), &tile).ok()) {
    return std::nullopt;
  }
  const std::size_t offset = (index % 256) * crypto::kHashBytes;
  if (tile.size() < offset + crypto::kHashBytes) return std::nullopt;
  return tile.substr(offset, crypto::kHashBytes);
}

Result<std::uint64_t> LogReader::EndIndex() const {
  auto& h = rocks_->handles;
  std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(rocksdb::ReadOptions(), h.entries));
  it->SeekToLast();
  if (!it->Valid()) {
    Status status = internal::FromRocks(it->status(), "seeking the last entry");
    if (!status.ok()) return status;
    return std::uint64_t{0};
  }
  auto index = format::DecodeIndex(std::string_view(it->key().data(), it->key().size()));
  if (!index) return Status(Code::kCorruption, "an entries key is not an 8-byte index");
  return *index + 1;
}

}  // namespace ledger
