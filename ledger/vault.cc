#include "ledger/vault.h"

#include <fcntl.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <vector>

#include "crypto/hash.h"
#include "crypto/seal.h"
#include "crypto/signing.h"
#include "ledger/constants.h"
#include "ledger/identifiers.h"
#include "ledger/rocks_impl.h"

namespace ledger {

using internal::FromRocks;

std::string VaultPath(const std::string& data_dir) { return data_dir + "/vault"; }
std::string VaultKeyPath(const std::string& data_dir) { return data_dir + "/vault.key"; }

namespace {

// The stored format, specified in docs/privacy.md. A change bumps kFormatVersion.
constexpr std::string_view kFormatVersion = "1";
constexpr std::string_view kKeysFamily = "keys";                   // subject id -> key state
constexpr std::string_view kRecordsFamily = "records";             // subject id -> sealed record
constexpr std::string_view kMetaFormatVersion = "format_version";  // default family
constexpr std::string_view kMetaKeyCheck = "key_check";            // default family, hex
// First byte of a value in the keys family.
constexpr char kKeyWrapped = 'k';  // followed by Seal(wrap key, person key)
constexpr char kKeyErased = 'e';   // alone: the person was erased
constexpr std::size_t kWrappedKeyValueBytes =
    1 + crypto::kSealOverheadBytes + crypto::kSealKeyBytes;

// Contexts of KeyedHash: each working key is KeyedHash(master, context, ""), so one master file
// yields independent keys, and a leaked derived key reveals neither the master nor the others.
constexpr std::string_view kSubjectKeyContext = "vault subject key";
constexpr std::string_view kAccountKeyContext = "vault account key";
constexpr std::string_view kWrapKeyContext = "vault wrap key";
constexpr std::string_view kKeyCheckContext = "vault key check";
// Contexts of the pseudonyms themselves.
constexpr std::string_view kSubjectContext = "subject";
constexpr std::string_view kAccountContext = "account";
// 128 bits: a collision among even a billion people has probability about 1e-21.
constexpr std::size_t kPseudonymBytes = 16;
constexpr std::size_t kSubjectIdChars = 1 + 2 * kPseudonymBytes;
constexpr char kSubjectIdPrefix = 's';

void WipeString(std::string& text) { crypto::Wipe(text.data(), text.size()); }
void WipeKey(crypto::SealKey& key) { crypto::Wipe(key.data(), key.size()); }

std::string Pseudonym(const crypto::SealKey& key, std::string_view context, std::string_view text) {
  return crypto::HexEncode(
      crypto::AsBytes(crypto::KeyedHash(key, context, text)).substr(0, kPseudonymBytes));
}

bool IsSubjectId(std::string_view text) {
  if (text.size() != kSubjectIdChars || text[0] != kSubjectIdPrefix) return false;
  for (char c : text.substr(1)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Never quotes `text`: a caller may have passed an ID number where a subject id belongs.
Status NotSubjectId() {
  return Status(Code::kInvalidArgument, "not a subject id ('s' and 32 lower-case hex digits)");
}

// Messages name the field and the rule, never the value: all three are personal data.
Status ValidatePerson(const PersonalData& person) {
  if (Status status = ValidateResidentId(person.id_number); !status.ok()) return status;
  if (person.name.empty() || person.name.size() > constants::vault_name_bytes_max) {
    return Status(Code::kInvalidArgument, "name must be 1 to " +
                                              std::to_string(constants::vault_name_bytes_max) +
                                              " bytes, got " + std::to_string(person.name.size()));
  }
  const std::string& account = person.bank_account;
  bool digits = !account.empty();
  for (char c : account) digits = digits && c >= '0' && c <= '9';
  if (!digits || account.size() < constants::vault_bank_account_digits_min ||
      account.size() > constants::vault_bank_account_digits_max) {
    return Status(Code::kInvalidArgument,
                  "bank account must be " +
                      std::to_string(constants::vault_bank_account_digits_min) + " to " +
                      std::to_string(constants::vault_bank_account_digits_max) + " digits");
  }
  return Status::Ok();
}

// Record plaintext: for name, id_number, bank_account in that order, a 4-byte big-endian
// length and the bytes. Reserved up front so no reallocation leaves an unwiped copy behind.
std::string EncodeRecord(const PersonalData& person) {
  std::string out;
  out.reserve(12 + person.name.size() + person.id_number.size() + person.bank_account.size());
  for (const std::string* field : {&person.name, &person.id_number, &person.bank_account}) {
    const auto length = static_cast<std::uint32_t>(field->size());
    for (int shift = 24; shift >= 0; shift -= 8)
      out.push_back(static_cast<char>((length >> shift) & 0xff));
    out.append(*field);
  }
  return out;
}

std::optional<PersonalData> DecodeRecord(std::string_view bytes) {
  PersonalData person;
  for (std::string* field : {&person.name, &person.id_number, &person.bank_account}) {
    if (bytes.size() < 4) return std::nullopt;
    std::uint32_t length = 0;
    for (std::size_t i = 0; i < 4; ++i)
      length = (length << 8) | static_cast<unsigned char>(bytes[i]);
    bytes.remove_prefix(4);
    if (bytes.size() < length) return std::nullopt;
    field->assign(bytes.substr(0, length));
    bytes.remove_prefix(length);
  }
  if (!bytes.empty()) return std::nullopt;
  return person;
}

// The master secret file. Mirrors crypto/note.cc's handling of signer key files: created with
// O_EXCL and mode 0600, and a file others can read is treated as leaked and refused unread.

Status IoError(const std::string& what, const std::string& path, int error) {
  return Status(Code::kIOError, what + " " + path + ": " + std::strerror(error));
}

// kAlreadyExists if another opener created the file first.
Status WriteNewSecretFile(const std::string& path, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST) return Status(Code::kAlreadyExists, path + " exists");
  if (fd < 0) return IoError("creating", path, errno);
  Status status;
  if (::fchmod(fd, 0600) != 0 ||  // The umask may have narrowed it further; never wider.
      ::write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()) ||
      ::fsync(fd) != 0) {
    status = IoError("writing", path, errno);
  }
  ::close(fd);
  if (!status.ok()) {
    ::unlink(path.c_str());  // A short key file would make the next open fail as corrupt.
    return status;
  }
  // The file's directory entry must be durable before the database that depends on it.
  const std::string dir = std::filesystem::path(path).parent_path().string();
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return IoError("opening", dir, errno);
  if (::fsync(dir_fd) != 0) status = IoError("syncing", dir, errno);
  ::close(dir_fd);
  return status;
}

Status ReadSecretFile(const std::string& path, crypto::SealKey* key) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return IoError("opening", path, errno);
  struct stat info {};
  Status status;
  if (::fstat(fd, &info) != 0) {
    status = IoError("stat", path, errno);
  } else if (!S_ISREG(info.st_mode)) {
    status = Status(Code::kInvalidArgument, path + " is not a regular file");
  } else if ((info.st_mode & 077) != 0) {
    status =
        Status(Code::kInvalidArgument, path + " is group- or world-readable; chmod 600 " + path);
  }
  std::array<std::uint8_t, crypto::kSealKeyBytes + 1>
      buffer{};  // One spare byte finds a long file.
  std::size_t length = 0;
  while (status.ok() && length < buffer.size()) {
    ssize_t got = ::read(fd, buffer.data() + length, buffer.size() - length);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) status = IoError("reading", path, errno);
    if (got <= 0) break;
    length += static_cast<std::size_t>(got);
  }
  ::close(fd);
  if (status.ok() && length != crypto::kSealKeyBytes) {
    status = Status(Code::kCorruption, path + " must hold exactly 32 bytes");
  }
  if (status.ok()) std::memcpy(key->data(), buffer.data(), key->size());
  crypto::Wipe(buffer.data(), buffer.size());
  return status;
}

// Reads DIR/vault.key, creating it first for a new vault.
Status LoadMasterKey(const std::string& data_dir, crypto::SealKey* master) {
  const std::string key_path = VaultKeyPath(data_dir);
  std::error_code ec;
  if (!std::filesystem::exists(key_path, ec)) {
    // A new key would make every stored record unreadable: only a new vault gets one.
    if (std::filesystem::exists(VaultPath(data_dir), ec)) {
      return Status(Code::kCorruption, key_path + " is missing but " + VaultPath(data_dir) +
                                           " exists; restore the key file from its backup");
    }
    crypto::SealKey fresh = crypto::NewSealKey();
    Status status = WriteNewSecretFile(key_path, crypto::AsBytes(fresh));
    WipeKey(fresh);
    if (!status.ok() && status.code() != Code::kAlreadyExists) return status;
  }
  return ReadSecretFile(key_path, master);
}

}  // namespace

class Vault::Impl {
 public:
  explicit Impl(const crypto::SealKey& master)
      : subject_key_(crypto::KeyedHash(master, kSubjectKeyContext, "")),
        account_key_(crypto::KeyedHash(master, kAccountKeyContext, "")),
        wrap_key_(crypto::KeyedHash(master, kWrapKeyContext, "")),
        key_check_(
            crypto::HexEncode(crypto::AsBytes(crypto::KeyedHash(master, kKeyCheckContext, "")))) {}

  ~Impl() {
    CloseDatabase();
    WipeKey(subject_key_);
    WipeKey(account_key_);
    WipeKey(wrap_key_);
  }

  Status OpenDatabase(const std::string& path);
  std::string SubjectId(std::string_view id_number) const {
    return kSubjectIdPrefix + Pseudonym(subject_key_, kSubjectContext, id_number);
  }
  std::string AccountDigest(std::string_view bank_account) const {
    return Pseudonym(account_key_, kAccountContext, bank_account);
  }
  Result<std::string> Register(const PersonalData& person);
  Result<PersonalData> Read(std::string_view subject_id) const;
  Status Erase(std::string_view subject_id);
  bool Contains(std::string_view subject_id) const;

 private:
  Status CheckMeta();
  // The subject's unwrapped key into `key` (the caller wipes it); kNotFound or kErased.
  Status LoadKey(const std::string& subject_id, crypto::SealKey* key) const;
  Result<PersonalData> LoadRecord(const std::string& subject_id, const crypto::SealKey& key) const;
  Status Scrub(const std::string& subject_id);
  void CloseDatabase();

  crypto::SealKey subject_key_;
  crypto::SealKey account_key_;
  crypto::SealKey wrap_key_;
  // Proves at open that vault.key is the key the vault was created with.
  const std::string key_check_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;  // The default family; owned by db_.
  rocksdb::ColumnFamilyHandle* keys_ = nullptr;
  rocksdb::ColumnFamilyHandle* records_ = nullptr;
  mutable std::mutex mutex_;  // Serializes reads and writes of the keys and records families.
};

Status Vault::Impl::OpenDatabase(const std::string& path) {
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.paranoid_checks = true;
  options.max_background_jobs = 1;
  // A WAL file is the one place an erased key outlives Erase's flush. These are RocksDB's
  // defaults (no archive, no recycling), stated so a tuning change cannot undo them quietly.
  options.WAL_ttl_seconds = 0;
  options.WAL_size_limit_MB = 0;
  options.recycle_log_file_num = 0;
  rocksdb::ColumnFamilyOptions family;
  family.write_buffer_size = constants::vault_memtable_bytes;
  family.compression = rocksdb::kNoCompression;  // Every value is ciphertext: nothing to gain.
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, family},
      {std::string(kKeysFamily), family},
      {std::string(kRecordsFamily), family}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  Status status =
      FromRocks(rocksdb::DB::Open(options, path, families, &handles, &raw), "opening " + path);
  if (!status.ok()) return status;
  db_.reset(raw);
  meta_ = handles[0];
  keys_ = handles[1];
  records_ = handles[2];
  return CheckMeta();
}

Status Vault::Impl::CheckMeta() {
  std::string version, key_check;
  rocksdb::Status read = db_->Get(rocksdb::ReadOptions(), meta_, kMetaFormatVersion, &version);
  if (read.IsNotFound()) {  // A new vault.
    rocksdb::WriteBatch batch;
    batch.Put(meta_, kMetaFormatVersion, kFormatVersion).PermitUncheckedError();
    batch.Put(meta_, kMetaKeyCheck, key_check_).PermitUncheckedError();
    rocksdb::WriteOptions sync;
    sync.sync = true;
    return FromRocks(db_->Write(sync, &batch), "writing vault metadata");
  }
  Status status = FromRocks(read, "reading vault format version");
  if (status.ok()) {
    status = FromRocks(db_->Get(rocksdb::ReadOptions(), meta_, kMetaKeyCheck, &key_check),
                       "reading vault key check");
  }
  if (!status.ok()) return status;
  if (version != kFormatVersion) {
    return Status(Code::kCorruption, "vault format version " + version + ", this build reads " +
                                         std::string(kFormatVersion));
  }
  if (!crypto::ConstantTimeEqual(key_check, key_check_)) {
    return Status(Code::kCorruption, "vault.key is not the key this vault was created with");
  }
  return Status::Ok();
}

void Vault::Impl::CloseDatabase() {
  if (!db_) return;
  for (auto* handle : {meta_, keys_, records_}) {
    if (handle != nullptr) db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  }
  meta_ = keys_ = records_ = nullptr;
  db_->Close().PermitUncheckedError();  // Every write was synced: a failed close loses nothing.
  db_.reset();
}

Status Vault::Impl::LoadKey(const std::string& subject_id, crypto::SealKey* key) const {
  std::string value;
  rocksdb::Status read = db_->Get(rocksdb::ReadOptions(), keys_, subject_id, &value);
  if (read.IsNotFound()) return Status(Code::kNotFound, "no subject " + subject_id);
  if (Status status = FromRocks(read, "reading the key of " + subject_id); !status.ok())
    return status;
  if (value.size() == 1 && value[0] == kKeyErased) {
    return Status(Code::kErased, "subject " + subject_id + " was erased");
  }
  std::optional<std::string> unwrapped;
  if (value.size() == kWrappedKeyValueBytes && value[0] == kKeyWrapped) {
    unwrapped = crypto::Unseal(wrap_key_, std::string_view(value).substr(1));
  }
  if (!unwrapped || unwrapped->size() != key->size()) {
    return Status(Code::kCorruption, "the key of " + subject_id + " does not unwrap");
  }
  std::memcpy(key->data(), unwrapped->data(), key->size());
  WipeString(*unwrapped);
  return Status::Ok();
}

Result<PersonalData> Vault::Impl::LoadRecord(const std::string& subject_id,
                                             const crypto::SealKey& key) const {
  std::string sealed;
  rocksdb::Status read = db_->Get(rocksdb::ReadOptions(), records_, subject_id, &sealed);
  if (read.IsNotFound())
    return Status(Code::kCorruption, "subject " + subject_id + " has a key but no record");
  if (Status status = FromRocks(read, "reading the record of " + subject_id); !status.ok())
    return status;
  std::optional<std::string> plaintext = crypto::Unseal(key, sealed);
  if (!plaintext)
    return Status(Code::kCorruption, "the record of " + subject_id + " does not unseal");
  std::optional<PersonalData> person = DecodeRecord(*plaintext);
  WipeString(*plaintext);
  if (!person) return Status(Code::kCorruption, "the record of " + subject_id + " does not decode");
  // A key and record moved together from another subject's slot would unseal; this catches it.
  if (SubjectId(person->id_number) != subject_id) {
    return Status(Code::kCorruption,
                  "the record stored under " + subject_id + " is another subject's");
  }
  return std::move(*person);
}

Result<std::string> Vault::Impl::Register(const PersonalData& person) {
  if (Status status = ValidatePerson(person); !status.ok()) return status;
  const std::string subject_id = SubjectId(person.id_number);
  std::lock_guard<std::mutex> lock(mutex_);
  crypto::SealKey key{};
  Status status = LoadKey(subject_id, &key);
  if (status.ok()) {  // Registered before: the same data is a repeat, other data a conflict.
    Result<PersonalData> stored = LoadRecord(subject_id, key);
    WipeKey(key);
    if (!stored.ok()) return stored.status();
    const bool same = *stored == person;
    for (std::string* field : {&stored->name, &stored->id_number, &stored->bank_account})
      WipeString(*field);
    if (!same) {
      return Status(Code::kAlreadyExists,
                    "subject " + subject_id + " is registered with other personal data");
    }
    return subject_id;
  }
  if (status.code() != Code::kNotFound) return status;
  key = crypto::NewSealKey();
  std::string record = EncodeRecord(person);
  rocksdb::WriteBatch batch;
  batch.Put(keys_, subject_id, kKeyWrapped + crypto::Seal(wrap_key_, crypto::AsBytes(key)))
      .PermitUncheckedError();
  batch.Put(records_, subject_id, crypto::Seal(key, record)).PermitUncheckedError();
  WipeString(record);
  WipeKey(key);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  status = FromRocks(db_->Write(sync, &batch), "storing " + subject_id);
  if (!status.ok()) return status;
  return subject_id;
}

Result<PersonalData> Vault::Impl::Read(std::string_view subject_id) const {
  if (!IsSubjectId(subject_id)) return NotSubjectId();
  const std::string subject(subject_id);
  std::lock_guard<std::mutex> lock(mutex_);
  crypto::SealKey key{};
  Status status = LoadKey(subject, &key);
  if (!status.ok()) return status;
  Result<PersonalData> person = LoadRecord(subject, key);
  WipeKey(key);
  return person;
}

Status Vault::Impl::Erase(std::string_view subject_id) {
  if (!IsSubjectId(subject_id)) return NotSubjectId();
  const std::string subject(subject_id);
  std::lock_guard<std::mutex> lock(mutex_);
  std::string value;
  rocksdb::Status read = db_->Get(rocksdb::ReadOptions(), keys_, subject, &value);
  if (read.IsNotFound()) return Status(Code::kNotFound, "no subject " + subject);
  if (Status status = FromRocks(read, "reading the key of " + subject); !status.ok()) return status;
  if (value.size() == 1 && value[0] == kKeyErased) return Status::Ok();
  rocksdb::WriteBatch batch;
  batch.Put(keys_, subject, std::string_view(&kKeyErased, 1)).PermitUncheckedError();
  batch.Delete(records_, subject).PermitUncheckedError();
  rocksdb::WriteOptions sync;
  sync.sync = true;
  if (Status status = FromRocks(db_->Write(sync, &batch), "erasing " + subject); !status.ok())
    return status;
  return Scrub(subject);
}

// Overwritten and deleted values stay in RocksDB's files until compaction drops them. The
// flush moves the memtable to an SST file and lets RocksDB delete the WAL files that held the
// key (a WAL goes only when every family has been flushed past it, hence all three families);
// the forced compaction of the subject's key range then rewrites every SST file holding an old
// version without it and deletes the old files. What this cannot reach: blocks the file system
// or the SSD has not yet reused, and copies outside DIR/vault (backups, snapshots).
Status Vault::Impl::Scrub(const std::string& subject_id) {
  rocksdb::FlushOptions flush;
  flush.wait = true;
  Status status =
      FromRocks(db_->Flush(flush, {meta_, keys_, records_}),
                "flushing after erasing " + subject_id + " (the erasure itself is durable)");
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  const rocksdb::Slice key(subject_id);
  for (auto* family : {keys_, records_}) {
    if (!status.ok()) break;
    status =
        FromRocks(db_->CompactRange(compact, family, &key, &key),
                  "compacting after erasing " + subject_id + " (the erasure itself is durable)");
  }
  return status;
}

bool Vault::Impl::Contains(std::string_view subject_id) const {
  if (!IsSubjectId(subject_id)) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  std::string value;
  rocksdb::Status read = db_->Get(rocksdb::ReadOptions(), keys_, std::string(subject_id), &value);
  return read.ok() && !value.empty() && value[0] == kKeyWrapped;
}

Result<std::unique_ptr<Vault>> Vault::Open(const std::string& data_dir) {
  if (!crypto::Initialize()) return Status(Code::kIOError, "libsodium failed to initialise");
  std::error_code ec;
  if (!std::filesystem::is_directory(data_dir, ec)) {
    return Status(Code::kInvalidArgument, data_dir + " is not a directory");
  }
  crypto::SealKey master{};
  Status status = LoadMasterKey(data_dir, &master);
  if (!status.ok()) return status;
  auto impl = std::make_unique<Impl>(master);
  WipeKey(master);
  status = impl->OpenDatabase(VaultPath(data_dir));
  if (!status.ok()) return status;
  return std::unique_ptr<Vault>(new Vault(std::move(impl)));
}

Vault::Vault(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Vault::~Vault() = default;

std::string Vault::SubjectId(std::string_view id_number) const {
  return impl_->SubjectId(id_number);
}
std::string Vault::AccountDigest(std::string_view bank_account) const {
  return impl_->AccountDigest(bank_account);
}
Result<std::string> Vault::Register(const PersonalData& person) { return impl_->Register(person); }
Result<PersonalData> Vault::Read(std::string_view subject_id) const {
  return impl_->Read(subject_id);
}
Status Vault::Erase(std::string_view subject_id) { return impl_->Erase(subject_id); }
bool Vault::Contains(std::string_view subject_id) const { return impl_->Contains(subject_id); }

}  // namespace ledger
