// The personal-data vault: registration, reading, erasure, the key file, and what its RocksDB
// holds.

#include "ledger/vault.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ledger/constants.h"
#include "tests/test_ledger.h"

namespace ledger {
namespace {

using testing_ledger::TempDir;

// Someone with read and write access to DIR/vault and nothing else, using the RocksDB API.
class RawVault {
 public:
  explicit RawVault(const std::string& data_dir) {
    const std::string path = VaultPath(data_dir);
    std::vector<std::string> names;
    EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const std::string& name : names)
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    rocksdb::DB* raw = nullptr;
    rocksdb::Status status =
        rocksdb::DB::Open(rocksdb::DBOptions(), path, families, &handles_, &raw);
    EXPECT_TRUE(status.ok()) << status.ToString();
    db_.reset(raw);
  }
  ~RawVault() {
    for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
    db_->Close().PermitUncheckedError();
  }

  rocksdb::ColumnFamilyHandle* Family(const std::string& name) const {
    for (auto* handle : handles_) {
      if (handle->GetName() == name) return handle;
    }
    ADD_FAILURE() << "no family " << name;
    return nullptr;
  }
  std::string Get(const std::string& family, const std::string& key) const {
    std::string value;
    EXPECT_TRUE(db_->Get(rocksdb::ReadOptions(), Family(family), key, &value).ok());
    return value;
  }
  void Put(const std::string& family, const std::string& key, const std::string& value) {
    EXPECT_TRUE(db_->Put(rocksdb::WriteOptions(), Family(family), key, value).ok());
  }
  // Flushes and compacts every family, so everything is read back from SST files.
  void FlushAndCompact() {
    EXPECT_TRUE(db_->Flush(rocksdb::FlushOptions(), handles_).ok());
    for (auto* handle : handles_) {
      EXPECT_TRUE(db_->CompactRange(rocksdb::CompactRangeOptions(), handle, nullptr, nullptr).ok());
    }
  }
  // Every key and value of every family, family name first.
  std::multimap<std::string, std::pair<std::string, std::string>> All() const {
    std::multimap<std::string, std::pair<std::string, std::string>> out;
    for (auto* handle : handles_) {
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handle));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        out.emplace(handle->GetName(),
                    std::make_pair(it->key().ToString(), it->value().ToString()));
      }
      EXPECT_TRUE(it->status().ok());
    }
    return out;
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

// The concatenated bytes of every file under `dir`.
std::string AllFileBytes(const std::string& dir) {
  std::string out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream file(entry.path(), std::ios::binary);
    out.append(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  }
  return out;
}

class VaultTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    auto vault = Vault::Open(dir.path());
    ASSERT_TRUE(vault.ok()) << vault.status().ToString();
    vault_ = std::move(*vault);
  }
  void Close() { vault_.reset(); }
  void Reopen() {
    Close();
    Open();
  }
  Vault& vault() { return *vault_; }
  std::string KeyPath() const { return VaultKeyPath(dir.path()); }

  static PersonalData Zhang() { return {"张三", "11010519491231002X", "6217000010001234567"}; }
  static PersonalData Li() { return {"李四", "150802202402290042", "6228480010987654321"}; }

  std::string MustRegister(const PersonalData& person) {
    auto subject = vault().Register(person);
    EXPECT_TRUE(subject.ok()) << subject.status().ToString();
    return subject.ok() ? *subject : "";
  }
  void ExpectRejected(const PersonalData& person, Code code) {
    auto subject = vault().Register(person);
    ASSERT_FALSE(subject.ok());
    EXPECT_EQ(subject.status().code(), code) << subject.status().ToString();
    EXPECT_FALSE(vault().Contains(vault().SubjectId(person.id_number)));
  }

  TempDir dir;

 private:
  std::unique_ptr<Vault> vault_;
};

TEST_F(VaultTest, RegisterThenReadRoundTrip) {
  const std::string subject = MustRegister(Zhang());
  auto person = vault().Read(subject);
  ASSERT_TRUE(person.ok()) << person.status().ToString();
  EXPECT_EQ(*person, Zhang());
}

TEST_F(VaultTest, SubjectIdIsSAnd32HexDigitsOfTheIdNumber) {
  const std::string subject = MustRegister(Zhang());
  EXPECT_EQ(subject, vault().SubjectId("11010519491231002X"));
  ASSERT_EQ(subject.size(), 33u);
  EXPECT_EQ(subject[0], 's');
  EXPECT_EQ(subject.find_first_not_of("0123456789abcdef", 1), std::string::npos);
}

TEST_F(VaultTest, AccountDigestIs32HexDigitsIndependentOfSubjectId) {
  const std::string digest = vault().AccountDigest("6217000010001234567");
  EXPECT_EQ(digest, vault().AccountDigest("6217000010001234567"));
  ASSERT_EQ(digest.size(), 32u);
  EXPECT_NE(digest, vault().AccountDigest("6217000010001234568"));
  // The same text hashed as an ID number and as an account gives unrelated values.
  EXPECT_NE(vault().SubjectId("6217000010001234567").substr(1), digest);
}

TEST_F(VaultTest, SamePersonTwiceGivesSameSubjectId) {
  const std::string first = MustRegister(Zhang());
  EXPECT_EQ(MustRegister(Zhang()), first);
}

TEST_F(VaultTest, SameIdNumberWithOtherDataAlreadyExists) {
  const std::string subject = MustRegister(Zhang());
  PersonalData other = Zhang();
  other.bank_account = "6217000010009999999";
  auto again = vault().Register(other);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(again.status().message(),
            "subject " + subject + " is registered with other personal data");
  EXPECT_EQ(*vault().Read(subject), Zhang());  // The first registration stands.
}

TEST_F(VaultTest, InvalidIdNumberStoresNothing) {
  PersonalData person = Zhang();
  person.id_number = "110105194912310021";  // Check character should be X.
  ExpectRejected(person, Code::kInvalidIdentifier);
  Close();
  RawVault raw(dir.path());
  for (const auto& [family, row] : raw.All()) EXPECT_EQ(family, "default") << row.first;
}

TEST_F(VaultTest, EmptyNameRejected) {
  PersonalData person = Zhang();
  person.name = "";
  ExpectRejected(person, Code::kInvalidArgument);
}

TEST_F(VaultTest, NameOverLimitRejectedAtLimitAccepted) {
  PersonalData person = Zhang();
  person.name = std::string(constants::vault_name_bytes_max + 1, 'a');
  ExpectRejected(person, Code::kInvalidArgument);
  person.name.pop_back();
  EXPECT_TRUE(vault().Register(person).ok());
}

TEST_F(VaultTest, BankAccountOutsideLimitsRejected) {
  PersonalData person = Zhang();
  person.bank_account = std::string(constants::vault_bank_account_digits_min - 1, '6');
  ExpectRejected(person, Code::kInvalidArgument);
  person.bank_account = std::string(constants::vault_bank_account_digits_max + 1, '6');
  ExpectRejected(person, Code::kInvalidArgument);
}

TEST_F(VaultTest, BankAccountWithNonDigitRejected) {
  PersonalData person = Zhang();
  person.bank_account = "6217-0000-1000-1234";
  ExpectRejected(person, Code::kInvalidArgument);
}

TEST_F(VaultTest, RejectionMessagesCarryNoPersonalData) {
  PersonalData person = {"王小明王小明王小明王小明王小明王小明王小明王小明", "11010519491231002X",
                         "62170000100012X"};
  auto subject = vault().Register(person);
  ASSERT_FALSE(subject.ok());
  EXPECT_EQ(subject.status().message().find("王小明"), std::string::npos);
  person.name = "王小明";
  subject = vault().Register(person);
  ASSERT_FALSE(subject.ok());
  EXPECT_EQ(subject.status().message(), "bank account must be 8 to 32 digits");
}

TEST_F(VaultTest, ReadUnknownSubjectNotFound) {
  auto person = vault().Read(vault().SubjectId("11010519491231002X"));
  ASSERT_FALSE(person.ok());
  EXPECT_EQ(person.status().code(), Code::kNotFound);
}

// A caller passing an ID number where a subject id belongs must not see it echoed.
TEST_F(VaultTest, ReadMalformedSubjectIdInvalidArgumentWithoutEcho) {
  auto person = vault().Read("11010519491231002X");
  ASSERT_FALSE(person.ok());
  EXPECT_EQ(person.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(person.status().message().find("11010519491231002X"), std::string::npos);
}

TEST_F(VaultTest, ContainsOnlyRegisteredNotErasedSubjects) {
  const std::string subject = vault().SubjectId("11010519491231002X");
  EXPECT_FALSE(vault().Contains(subject));
  MustRegister(Zhang());
  EXPECT_TRUE(vault().Contains(subject));
  ASSERT_TRUE(vault().Erase(subject).ok());
  EXPECT_FALSE(vault().Contains(subject));
}

TEST_F(VaultTest, ReadAfterEraseIsErased) {
  const std::string subject = MustRegister(Zhang());
  ASSERT_TRUE(vault().Erase(subject).ok());
  auto person = vault().Read(subject);
  ASSERT_FALSE(person.ok());
  EXPECT_EQ(person.status().code(), Code::kErased);
  EXPECT_EQ(person.status().message(), "subject " + subject + " was erased");
}

TEST_F(VaultTest, RegisterAfterEraseIsErased) {
  const std::string subject = MustRegister(Zhang());
  ASSERT_TRUE(vault().Erase(subject).ok());
  auto again = vault().Register(Zhang());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Code::kErased);
}

TEST_F(VaultTest, EraseLeavesOthersReadable) {
  const std::string zhang = MustRegister(Zhang());
  const std::string li = MustRegister(Li());
  ASSERT_TRUE(vault().Erase(zhang).ok());
  EXPECT_EQ(*vault().Read(li), Li());
}

TEST_F(VaultTest, EraseTwiceIsOk) {
  const std::string subject = MustRegister(Zhang());
  ASSERT_TRUE(vault().Erase(subject).ok());
  EXPECT_TRUE(vault().Erase(subject).ok());
}

TEST_F(VaultTest, EraseUnknownSubjectNotFound) {
  EXPECT_EQ(vault().Erase(vault().SubjectId("11010519491231002X")).code(), Code::kNotFound);
}

TEST_F(VaultTest, ReopenKeepsRecordsAndErasures) {
  const std::string zhang = MustRegister(Zhang());
  const std::string li = MustRegister(Li());
  ASSERT_TRUE(vault().Erase(li).ok());
  Reopen();
  EXPECT_EQ(vault().SubjectId("11010519491231002X"), zhang);
  EXPECT_EQ(*vault().Read(zhang), Zhang());
  EXPECT_EQ(vault().Read(li).status().code(), Code::kErased);
}

TEST_F(VaultTest, KeyFileIs32BytesMode0600) {
  struct stat info {};
  ASSERT_EQ(::stat(KeyPath().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(info.st_size, 32);
}

TEST_F(VaultTest, GroupReadableKeyFileRefused) {
  Close();
  ASSERT_EQ(::chmod(KeyPath().c_str(), 0644), 0);
  auto vault = Vault::Open(dir.path());
  ASSERT_FALSE(vault.ok());
  EXPECT_EQ(vault.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(vault.status().message(),
            KeyPath() + " is group- or world-readable; chmod 600 " + KeyPath());
}

TEST_F(VaultTest, MissingKeyFileWithExistingVaultIsCorruption) {
  Close();
  std::filesystem::remove(KeyPath());
  auto vault = Vault::Open(dir.path());
  ASSERT_FALSE(vault.ok());
  EXPECT_EQ(vault.status().code(), Code::kCorruption);
  EXPECT_FALSE(std::filesystem::exists(KeyPath()));  // No fresh key replaced the lost one.
}

TEST_F(VaultTest, OtherKeyFileIsCorruption) {
  Close();
  std::filesystem::remove(KeyPath());
  std::ofstream(KeyPath(), std::ios::binary) << std::string(32, 'k');
  std::filesystem::permissions(
      KeyPath(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto vault = Vault::Open(dir.path());
  ASSERT_FALSE(vault.ok());
  EXPECT_EQ(vault.status().code(), Code::kCorruption);
  EXPECT_EQ(vault.status().message(), "vault.key is not the key this vault was created with");
}

TEST_F(VaultTest, ShortKeyFileIsCorruption) {
  Close();
  std::filesystem::resize_file(KeyPath(), 31);
  auto vault = Vault::Open(dir.path());
  ASSERT_FALSE(vault.ok());
  EXPECT_EQ(vault.status().code(), Code::kCorruption);
  EXPECT_EQ(vault.status().message(), KeyPath() + " must hold exactly 32 bytes");
}

// An insider moves Li's wrapped key and sealed record into Zhang's slot: both unseal, but the
// record's ID number does not hash to Zhang's subject id.
TEST_F(VaultTest, RecordMovedToAnotherSubjectIsCorruption) {
  const std::string zhang = MustRegister(Zhang());
  const std::string li = MustRegister(Li());
  Close();
  {
    RawVault raw(dir.path());
    raw.Put("keys", zhang, raw.Get("keys", li));
    raw.Put("records", zhang, raw.Get("records", li));
  }
  Open();
  auto person = vault().Read(zhang);
  ASSERT_FALSE(person.ok());
  EXPECT_EQ(person.status().code(), Code::kCorruption);
  EXPECT_EQ(person.status().message(),
            "the record stored under " + zhang + " is another subject's");
}

TEST_F(VaultTest, TamperedRecordIsCorruption) {
  const std::string zhang = MustRegister(Zhang());
  Close();
  {
    RawVault raw(dir.path());
    std::string record = raw.Get("records", zhang);
    record.back() = static_cast<char>(record.back() + 1);
    raw.Put("records", zhang, record);
  }
  Open();
  EXPECT_EQ(vault().Read(zhang).status().code(), Code::kCorruption);
}

// Every key and value of every family, read through RocksDB (so decompressed), holds none of
// the personal data in clear: registered, erased, or kept.
TEST_F(VaultTest, DatabaseHoldsNoPersonalDataInClear) {
  MustRegister(Zhang());
  ASSERT_TRUE(vault().Erase(MustRegister(Li())).ok());
  Close();
  RawVault raw(dir.path());
  raw.FlushAndCompact();
  const auto rows = raw.All();
  EXPECT_EQ(rows.count("keys"), 2u);
  EXPECT_EQ(rows.count("records"), 1u);
  for (const PersonalData& person : {Zhang(), Li()}) {
    for (const std::string& secret : {person.name, person.id_number, person.bank_account}) {
      for (const auto& [family, row] : rows) {
        EXPECT_EQ(row.first.find(secret), std::string::npos) << family;
        EXPECT_EQ(row.second.find(secret), std::string::npos) << family;
      }
    }
  }
}

// After Erase returns, no file under DIR/vault (SST, WAL, manifest) holds the erased person's
// wrapped key or sealed record any more.
TEST_F(VaultTest, EraseRemovesStoredBytesFromEveryFile) {
  const std::string zhang = MustRegister(Zhang());
  MustRegister(Li());
  Close();
  std::string wrapped_key, sealed_record;
  {
    RawVault raw(dir.path());
    wrapped_key = raw.Get("keys", zhang);
    sealed_record = raw.Get("records", zhang);
  }
  ASSERT_NE(AllFileBytes(VaultPath(dir.path())).find(sealed_record), std::string::npos);
  Open();
  ASSERT_TRUE(vault().Erase(zhang).ok());
  const std::string files = AllFileBytes(VaultPath(dir.path()));
  EXPECT_EQ(files.find(wrapped_key), std::string::npos);
  EXPECT_EQ(files.find(sealed_record), std::string::npos);
}

// The worked example of docs/privacy.md: master key 00 01 02 ... 1f. The expected values were
// also recomputed with `openssl dgst -sha256 -mac HMAC` as the document shows.
TEST(VaultExampleTest, FixedMasterKeyGivesDocumentedPseudonyms) {
  TempDir dir;
  std::string master;
  for (int i = 0; i < 32; ++i) master.push_back(static_cast<char>(i));
  std::ofstream(VaultKeyPath(dir.path()), std::ios::binary) << master;
  std::filesystem::permissions(VaultKeyPath(dir.path()), std::filesystem::perms::owner_read |
                                                             std::filesystem::perms::owner_write);
  auto vault = Vault::Open(dir.path());
  ASSERT_TRUE(vault.ok()) << vault.status().ToString();
  EXPECT_EQ((*vault)->SubjectId("11010519491231002X"), "s3b062bb5d145b1eb1f535934ead92d28");
  EXPECT_EQ((*vault)->AccountDigest("6217000010001234567"), "34f86bcbfb81226b26cdabffda8ad15d");
}

}  // namespace
}  // namespace ledger
