// No personal data in the log: a person registered through the vault, paid and reversed leaves
// no name, ID number or account number in any key or value of any column family of the
// ledger's database, as RocksDB returns them (decompressed). Erasing the person keeps the chain
// verifiable and their payments countable.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "ledger/format.h"
#include "ledger/funds_query.h"
#include "ledger/vault.h"
#include "replay/verifier.h"
#include "tests/fund_events.h"
#include "tests/test_ledger.h"
#include "tests/verify_ledger.h"

namespace {

using namespace testing_ledger::funds;
using testing_ledger::TestLedger;

const ledger::PersonalData kPerson{"王小明", "11010519491231002X", "6222020200112233445"};

class PrivacyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    officer_ = ledger_.Register("finance-wuyuan", ledger::v1::ROLE_FINANCE_OFFICER, kWuyuan);
    for (const Event& event : Reference()) ASSERT_TRUE(ledger_.Append(event, ledger_.admin()).ok());
    auto vault = ledger::Vault::Open(ledger_.dir());
    ASSERT_TRUE(vault.ok()) << vault.status().ToString();
    vault_ = std::move(*vault);
    auto subject = vault_->Register(kPerson);
    ASSERT_TRUE(subject.ok()) << subject.status().ToString();
    subject_ = *subject;
    Event person = New("person-1");
    person.mutable_person_registered()->set_subject_id(subject_);
    person.mutable_person_registered()->set_account_digest(vault_->AccountDigest(kPerson.bank_account));
    person.mutable_person_registered()->set_region_code(kWuyuan);
    Event pay = PayUnit("pay-1", 100'000, "R3");
    pay.mutable_disbursement()->set_subject_id(subject_);
    pay.mutable_disbursement()->set_account_ref(vault_->AccountDigest(kPerson.bank_account));
    for (const Event& event : {Plan("plan-1", 1'000'000, kWuyuan, "R3"),
                               Arrival("arrival-1", "plan-1", 1'000'000), person, pay,
                               Reverse("rev-1", "pay-1", 40'000)}) {
      auto receipt = ledger_.Append(event, officer_);
      ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
    }
    ledger_.Close();
  }

  // Every key and value of every column family of DIR/db that contains `needle`.
  std::vector<std::string> Find(const std::string& needle) {
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    families.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
    for (std::string_view name : ledger::format::kFamilies) families.emplace_back(std::string(name), rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    rocksdb::Status status = rocksdb::DB::OpenForReadOnly(rocksdb::Options(), ledger::DatabasePath(ledger_.dir()),
                                                          families, &handles, &raw);
    EXPECT_TRUE(status.ok()) << status.ToString();
    if (!status.ok()) return {"(database did not open)"};
    std::unique_ptr<rocksdb::DB> db(raw);
    std::vector<std::string> found;
    std::size_t rows = 0;
    for (std::size_t f = 0; f < handles.size(); ++f) {
      std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handles[f]));
      for (it->SeekToFirst(); it->Valid(); it->Next(), ++rows) {
        if (it->key().ToString().find(needle) != std::string::npos ||
            it->value().ToString().find(needle) != std::string::npos) {
          found.push_back(families[f].name + ": " + it->key().ToString(true));
        }
      }
      EXPECT_TRUE(it->status().ok());
    }
    EXPECT_GT(rows, 30u);  // The scan saw the ledger, not an empty database.
    for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
    return found;
  }

  TestLedger ledger_;
  crypto::SecretKey officer_ = crypto::SecretKey::Generate();
  std::unique_ptr<ledger::Vault> vault_;
  std::string subject_;
};

TEST_F(PrivacyTest, NoIdNumberInAnyKeyOrValueOfTheLog) {
  EXPECT_EQ(Find(kPerson.id_number), std::vector<std::string>{});
  EXPECT_EQ(Find(kPerson.id_number.substr(6, 8)), std::vector<std::string>{});  // Not even the birth date.
}

TEST_F(PrivacyTest, NoNameInAnyKeyOrValueOfTheLog) {
  EXPECT_EQ(Find(kPerson.name), std::vector<std::string>{});
}

TEST_F(PrivacyTest, NoAccountNumberInAnyKeyOrValueOfTheLog) {
  EXPECT_EQ(Find(kPerson.bank_account), std::vector<std::string>{});
}

TEST_F(PrivacyTest, ThePseudonymIsWhatTheLogHolds) {
  EXPECT_FALSE(Find(subject_).empty());
}

TEST_F(PrivacyTest, ErasureKeepsTheChainAndTheCountsButNotTheIdentity) {
  ASSERT_TRUE(vault_->Erase(subject_).ok());
  EXPECT_EQ(vault_->Read(subject_).status().code(), ledger::Code::kErased);
  auto report = testing_ledger::VerifyLedger(ledger_.dir());
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->problem.ToString();
  ledger_.Open();
  auto history = ledger::QueryPayeeHistory(ledger_.store().projection_rows(), subject_);
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->size(), 3u);  // Registration, payment, reversal.
}

}  // namespace
