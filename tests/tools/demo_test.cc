// The demo ledger as a newcomer gets it from `ledgerctl demo`, checked as an auditor would: it
// verifies, its book balances, its year is the one docs/demo.md describes, its keys work at once,
// and no personal data stands in clear anywhere but the vault's sealed records.
//
// The demo is built once: under ctest by the DemoLedgerBuild fixture (tests/CMakeLists.txt), which
// passes its directory in DEMO_LEDGER_DIR; when this binary runs alone, by SetUpTestSuite into a
// temporary directory. Tests that open the store hold its RocksDB lock, so ctest runs them one at
// a time (RESOURCE_LOCK).
#include <sys/stat.h>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "ledger/event_store.h"
#include "ledger/format.h"
#include "ledger/funds.h"
#include "ledger/funds_query.h"
#include "ledger/ledger.pb.h"
#include "ledger/log_reader.h"
#include "ledger/vault.h"
#include "tests/test_ledger.h"
#include "tests/tools/subprocess.h"

namespace {

using ledger::v1::Event;
using testing_ledger::TempDir;
using testing_tools::Finished;

using testing_tools::kExitOk;
constexpr const char* kShortRegion = "150825";
constexpr const char* kShortProgram = "N-PUBLIC-POST";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Finished RunLedgerctl(std::vector<std::string> args) {
  args.insert(args.begin(), LEDGERCTL_PATH);
  return testing_tools::RunToCompletion(args, std::chrono::minutes(5));
}

// What the log holds, read entry by entry as an auditor's script would.
struct LogContents {
  std::uint64_t entries = 0;
  std::map<Event::BodyCase, std::uint64_t> kinds;
  std::vector<std::string> subject_ids;
  std::map<std::string, std::int64_t> disbursed;  // Event id -> amount.
  std::vector<ledger::v1::Reversal> reversals;
  std::vector<ledger::v1::ProgramTransfer> transfers;
};

// Every registered person's name, ID number and bank account, and a search for them in bytes.
class PersonalDataFinder {
 public:
  void Add(const ledger::PersonalData& person) {
    for (const std::string* field : {&person.name, &person.id_number, &person.bank_account}) {
      const std::string& stored = *storage_.insert(*field).first;
      lengths_.insert(stored.size());
      data_.insert(stored);
    }
  }
  std::size_t size() const { return data_.size(); }

  // The first datum found in `bytes`, or "". ID numbers and card numbers are searched in runs of
  // digits (and X), names in runs of bytes of UTF-8 multi-byte characters.
  std::string Find(std::string_view bytes) const {
    std::size_t i = 0;
    while (i < bytes.size()) {
      const bool ascii_digit = IsIdCharacter(bytes[i]);
      const bool multibyte = static_cast<unsigned char>(bytes[i]) >= 0x80;
      if (!ascii_digit && !multibyte) {
        ++i;
        continue;
      }
      std::size_t end = i;
      while (end < bytes.size() && (ascii_digit ? IsIdCharacter(bytes[end]) : static_cast<unsigned char>(bytes[end]) >= 0x80)) {
        ++end;
      }
      if (std::string found = FindInRun(bytes.substr(i, end - i), multibyte); !found.empty()) return found;
      i = end;
    }
    return "";
  }

 private:
  static bool IsIdCharacter(char c) { return (c >= '0' && c <= '9') || c == 'X'; }

  std::string FindInRun(std::string_view run, bool multibyte) const {
    for (std::size_t start = 0; start < run.size(); ++start) {
      // Names start at the lead byte of a three-byte (CJK) character.
      if (multibyte && (static_cast<unsigned char>(run[start]) & 0xF0) != 0xE0) continue;
      for (std::size_t length : lengths_) {
        if (start + length > run.size()) continue;
        std::string_view window = run.substr(start, length);
        if (data_.count(window) != 0) return std::string(window);
      }
    }
    return "";
  }

  std::set<std::string> storage_;  // Stable strings the views below point into.
  std::unordered_set<std::string_view> data_;
  std::set<std::size_t> lengths_;
};

class DemoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (const char* dir = std::getenv("DEMO_LEDGER_DIR"); dir != nullptr) {
      dir_ = dir;
      output_ = ReadFile(dir_ + ".out");
      return;
    }
    temp_ = new TempDir();
    dir_ = temp_->path() + "/demo";
    Finished run = RunLedgerctl({"demo", "--data", dir_});
    ASSERT_EQ(run.exit_code, kExitOk) << run.out << run.err;
    output_ = run.out;
  }
  static void TearDownTestSuite() {
    delete temp_;
    temp_ = nullptr;
  }

  static std::unique_ptr<ledger::EventStore> OpenStore() {
    auto store = ledger::EventStore::Open({dir_, 1, {}});
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }

  static LogContents ReadLog() {
    LogContents log;
    auto reader = ledger::LogReader::Open(dir_);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return log;
    ledger::Status status = (*reader)->Scan(0, [&](std::uint64_t, std::string_view bytes) {
      ledger::v1::LogEntry entry;
      Event event;
      EXPECT_TRUE(entry.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
      EXPECT_TRUE(event.ParseFromString(entry.signed_event().event()));
      ++log.entries;
      ++log.kinds[event.body_case()];
      if (event.has_person_registered()) log.subject_ids.push_back(event.person_registered().subject_id());
      if (event.has_disbursement()) log.disbursed[event.event_id()] = event.disbursement().amount_fen();
      if (event.has_reversal()) log.reversals.push_back(event.reversal());
      if (event.has_program_transfer()) log.transfers.push_back(event.program_transfer());
      return true;
    });
    EXPECT_TRUE(status.ok()) << status.ToString();
    return log;
  }

  static std::string dir_;
  static std::string output_;
  static TempDir* temp_;
};

std::string DemoTest::dir_;
std::string DemoTest::output_;
TempDir* DemoTest::temp_ = nullptr;

TEST_F(DemoTest, LedgerVerifies) {
  Finished verify = RunLedgerctl({"verify", "--data", dir_});
  EXPECT_EQ(verify.exit_code, kExitOk) << verify.out << verify.err;
  const LogContents log = ReadLog();
  EXPECT_EQ(verify.out.rfind("ok: " + std::to_string(log.entries) + " entries verified\nroot: ", 0), 0u)
      << verify.out;
}

TEST_F(DemoTest, PrintsRefusalsSummaryAndWhereTheKeysAre) {
  for (const char* expected :
       {"refused:              revoked_signer: actor 'finance-150826-former' was revoked",
        "refused:              wrong_origin: ", "refused:              overdraft: 150825/N-PUBLIC-POST",
        "the year as the ledger reports it", "these took more than 30 days:", "short of its plan at year end: ",
        "latest checkpoint:\nbayannur-employment-ledger-demo\n"}) {
    EXPECT_NE(output_.find(expected), std::string::npos) << expected << "\n" << output_;
  }
  EXPECT_NE(output_.find("keys: " + dir_ + "/keys/ holds admin.key, auditor.key"), std::string::npos) << output_;
}

TEST_F(DemoTest, BookBalancesAndTheSummaryPrintsTheLedgersFigures) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto book = ledger::QueryBook(store->projection_rows());
  ASSERT_TRUE(book.ok()) << book.status().ToString();
  EXPECT_GT(book->debits(), 0);
  EXPECT_EQ(book->debits(), book->credits());
  auto city = ledger::QueryBalance(store->projection_rows(), {});
  ASSERT_TRUE(city.ok()) << city.status().ToString();
  const std::string line = "city-wide, yuan: planned " + ledger::FormatYuan(city->planned) + ", received " +
                           ledger::FormatYuan(city->received) + ", disbursed " + ledger::FormatYuan(city->disbursed) +
                           ", recovered " + ledger::FormatYuan(city->recovered) + ", available " +
                           ledger::FormatYuan(city->available()) + "\n";
  EXPECT_NE(output_.find(line), std::string::npos) << line << output_;
  EXPECT_GT(city->available(), 0);
  EXPECT_LT(city->received, city->planned);  // One plan arrived short.
}

TEST_F(DemoTest, EveryRegionHasPlansForEveryProgram) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto regions = ledger::ListRegions(store->projection_rows());
  auto programs = ledger::ListPrograms(store->projection_rows());
  auto funds = ledger::ListFunds(store->projection_rows());
  ASSERT_TRUE(regions.ok() && programs.ok() && funds.ok());
  ASSERT_EQ(regions->size(), 8u);
  EXPECT_EQ(programs->size(), 9u);  // R1-R5 and four national categories.
  std::set<ledger::v1::SourceLevel> levels;
  for (const auto& fund : *funds) levels.insert(fund.source_level());
  EXPECT_EQ(levels.size(), 4u);  // Central, regional, city and county money.
  for (const auto& region : *regions) {
    for (const auto& program : *programs) {
      auto plans = ledger::QueryPlans(store->projection_rows(), {"", region.region_code(), program.program_code()});
      ASSERT_TRUE(plans.ok());
      EXPECT_FALSE(plans->empty()) << region.region_code() << " " << program.program_code();
    }
  }
}

TEST_F(DemoTest, ExactlyOnePlanIsShortAndSomeArriveLate) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto plans = ledger::QueryPlans(store->projection_rows(), {});
  ASSERT_TRUE(plans.ok());
  std::vector<const ledger::PlanArrival*> short_plans;
  std::set<std::string> late_regions;
  std::size_t on_time = 0;
  for (const ledger::PlanArrival& plan : *plans) {
    if (!plan.full()) {
      short_plans.push_back(&plan);
    } else if (plan.days_to_full().value_or(0) > 30) {
      late_regions.insert(plan.plan.region_code());
    } else {
      ++on_time;
    }
  }
  ASSERT_EQ(short_plans.size(), 1u);
  EXPECT_EQ(short_plans[0]->plan.region_code(), kShortRegion);
  EXPECT_EQ(short_plans[0]->plan.program_code(), kShortProgram);
  EXPECT_GT(short_plans[0]->plan.received(), 0);
  EXPECT_GE(late_regions.size(), 3u);
  EXPECT_GT(on_time, plans->size() * 8 / 10);  // Most arrive in full within 30 days.
  const std::string shortfall = ledger::FormatYuan(short_plans[0]->plan.planned() - short_plans[0]->plan.received());
  EXPECT_NE(output_.find(", short " + shortfall + " yuan"), std::string::npos) << output_;
}

TEST_F(DemoTest, MakesAbout100000DisbursementsByRosterAndSomeReversals) {
  const LogContents log = ReadLog();
  const std::uint64_t disbursements = log.kinds.count(Event::kDisbursement) ? log.kinds.at(Event::kDisbursement) : 0;
  EXPECT_GE(disbursements, 95'000u);
  EXPECT_LE(disbursements, 105'000u);
  EXPECT_GE(log.reversals.size(), 20u);
  EXPECT_LE(log.reversals.size(), 60u);
  std::size_t partial = 0;
  std::size_t full = 0;
  for (const auto& reversal : log.reversals) {
    ASSERT_EQ(log.disbursed.count(reversal.disbursement_event_id()), 1u);
    const std::int64_t paid = log.disbursed.at(reversal.disbursement_event_id());
    (reversal.amount_fen() == paid ? full : partial) += 1;
    EXPECT_FALSE(reversal.reason().empty());
  }
  EXPECT_GT(partial, 0u);
  EXPECT_GT(full, 0u);
  ASSERT_EQ(log.transfers.size(), 1u);
  EXPECT_FALSE(log.transfers[0].approval_document().empty());
  // The projection counts the same money events.
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto months = ledger::QueryMonthlyTotals(store->projection_rows(), "");
  ASSERT_TRUE(months.ok());
  std::uint64_t events = 0;
  for (const auto& month : *months) events += month.events;
  EXPECT_EQ(events, disbursements + log.reversals.size());
}

TEST_F(DemoTest, RatesAreEffectiveDated) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto wage = ledger::RateOn(store->projection_rows(), "min_wage_category_1", "2025-06-30");
  ASSERT_TRUE(wage.ok()) << wage.status().ToString();
  EXPECT_EQ(wage->value(), 227000);
  EXPECT_EQ(wage->document_number(), "内政办发〔2024〕46号");
  auto before = ledger::RateOn(store->projection_rows(), "r3_talent_reserve_monthly", "2024-06-30");
  auto after = ledger::RateOn(store->projection_rows(), "r3_talent_reserve_monthly", "2025-06-30");
  ASSERT_TRUE(before.ok() && after.ok());
  EXPECT_EQ(before->value(), 70000);
  EXPECT_EQ(after->value(), 100000);
}

// PIPL: names, ID numbers and bank accounts stand nowhere in the log's database, and in the
// vault's files only sealed.
TEST_F(DemoTest, NoPersonalDataInTheLedgerDatabaseOrInClearInTheVault) {
  const LogContents log = ReadLog();
  ASSERT_GE(log.subject_ids.size(), 1000u);
  PersonalDataFinder finder;
  {
    auto vault = ledger::Vault::Open(dir_);
    ASSERT_TRUE(vault.ok()) << vault.status().ToString();
    for (const std::string& subject : log.subject_ids) {
      auto person = (*vault)->Read(subject);
      ASSERT_TRUE(person.ok()) << person.status().ToString();
      ASSERT_TRUE((*vault)->SubjectId(person->id_number) == subject);
      finder.Add(*person);
    }
  }
  EXPECT_GE(finder.size(), 2 * log.subject_ids.size());  // Every ID and card; names repeat.
  {  // The search finds what it looks for, inside other text and binary bytes.
    auto vault = ledger::Vault::Open(dir_);
    ASSERT_TRUE(vault.ok());
    auto person = (*vault)->Read(log.subject_ids.back());
    ASSERT_TRUE(person.ok());
    EXPECT_EQ(finder.Find("\x01\xff" + person->id_number + "\x02"), person->id_number);
    EXPECT_EQ(finder.Find("r" + person->bank_account + "0"), person->bank_account);
    EXPECT_EQ(finder.Find("\x8f发放" + person->name + "补贴"), person->name);
  }

  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  families.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (std::string_view name : ledger::format::kFamilies) families.emplace_back(std::string(name), rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status open = rocksdb::DB::OpenForReadOnly(rocksdb::Options(), ledger::DatabasePath(dir_), families, &handles, &raw);
  ASSERT_TRUE(open.ok()) << open.ToString();
  std::unique_ptr<rocksdb::DB> db(raw);
  std::uint64_t rows = 0;
  for (rocksdb::ColumnFamilyHandle* handle : handles) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handle));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++rows;
      const std::string in_key = finder.Find(it->key().ToStringView());
      const std::string in_value = finder.Find(it->value().ToStringView());
      ASSERT_EQ(in_key + in_value, "") << "personal data in " << handle->GetName() << " row " << rows;
    }
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  }
  for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  EXPECT_GT(rows, log.entries);

  std::uint64_t vault_bytes = 0;
  for (const auto& file : std::filesystem::recursive_directory_iterator(ledger::VaultPath(dir_))) {
    if (!file.is_regular_file()) continue;
    const std::string bytes = ReadFile(file.path().string());
    vault_bytes += bytes.size();
    EXPECT_EQ(finder.Find(bytes), "") << "personal data in clear in " << file.path();
  }
  EXPECT_GT(vault_bytes, 100'000u);
}

TEST_F(DemoTest, EveryKeyIsARegisteredActorAndAnOfficerCanAppendAtOnce) {
  std::set<std::string> key_files;
  for (const auto& file : std::filesystem::directory_iterator(dir_ + "/keys")) {
    if (file.path().extension() != ".key") continue;
    key_files.insert(file.path().stem().string());
    struct stat info {};
    ASSERT_EQ(::stat(file.path().c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 07777, 0600u) << file.path();
  }
  for (const char* expected : {"admin", "auditor", "inspector-city", "finance-city", "finance-150800-bayannur",
                               "finance-150802-linhe", "finance-150821-wuyuan", "finance-150822-dengkou",
                               "finance-150823-urad-front", "finance-150824-urad-middle", "finance-150825-urad-rear",
                               "finance-150826-hanggin-rear"}) {
    EXPECT_EQ(key_files.count(expected), 1u) << expected;
  }
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    std::set<std::string> actors;
    for (const auto& record : store->Actors()) actors.insert(record.actor().name());
    for (const std::string& name : key_files) EXPECT_EQ(actors.count(name), 1u) << name;
  }
  // A newcomer appends with a county officer's key, to a copy so the other tests see the demo.
  TempDir copy;
  std::filesystem::copy(dir_, copy.path() + "/ledger", std::filesystem::copy_options::recursive);
  std::ofstream(copy.path() + "/doc.json")
      << R"({"event_id":"newcomer-doc-1","document_filed":{"document_number":"五财社〔2026〕1号",)"
      << R"("title":"通知","sha256":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","region_code":"150821"}})";
  Finished append = RunLedgerctl({"append", "--data", copy.path() + "/ledger", "--key",
                         copy.path() + "/ledger/keys/finance-150821-wuyuan.key", copy.path() + "/doc.json"});
  EXPECT_EQ(append.exit_code, kExitOk) << append.err;
}

}  // namespace
