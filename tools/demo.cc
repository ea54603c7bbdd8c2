#include "tools/demo.h"

#include <filesystem>
#include <map>
#include <ostream>
#include <vector>

#include "crypto/note.h"
#include "ledger/event_signer.h"
#include "ledger/event_store.h"
#include "tools/cli.h"

namespace tools {

namespace {

struct DemoActor {
  const char* name;
  ledger::v1::Role role;
  const char* region;  // Empty = all regions.
};

// One officer per county-level division would follow with fund flows; these show each role.
constexpr DemoActor kActors[] = {
    {"auditor", ledger::v1::ROLE_AUDITOR, ""},
    {"inspector-city", ledger::v1::ROLE_INSPECTOR, ""},
    {"finance-150802-linhe", ledger::v1::ROLE_FINANCE_OFFICER, "150802"},
    {"finance-150821-wuyuan", ledger::v1::ROLE_FINANCE_OFFICER, "150821"},
    {"finance-150826-hanggin-rear", ledger::v1::ROLE_FINANCE_OFFICER, "150826"},
};

class Demo {
 public:
  Demo(std::string dir, std::ostream& out) : dir_(std::move(dir)), out_(out) {}

  ledger::Status Run();

 private:
  ledger::Status MakeKey(const std::string& name);
  ledger::v1::Event NewEvent(const std::string& id);
  ledger::Status Append(const std::string& signer, const ledger::v1::Event& event);
  ledger::v1::Event Document(const std::string& id, const std::string& number,
                             const std::string& title, const std::string& region);

  std::string dir_;
  std::ostream& out_;
  std::map<std::string, crypto::SecretKey> keys_;
  std::unique_ptr<ledger::EventStore> store_;
  std::int64_t clock_ms_ = 1735689600000;  // 2025-01-01T00:00:00Z: the plan's year.
};

ledger::Status Demo::MakeKey(const std::string& name) {
  crypto::SecretKey key = crypto::SecretKey::Generate();
  ledger::Status status = crypto::WriteKeyFiles(dir_ + "/keys/" + name + ".key", name, key);
  if (status.ok()) keys_.emplace(name, std::move(key));
  return status;
}

ledger::v1::Event Demo::NewEvent(const std::string& id) {
  ledger::v1::Event event;
  event.set_origin(kDemoOrigin);
  event.set_event_id(id);
  clock_ms_ += 3'600'000;
  event.set_timestamp_ms(clock_ms_);
  return event;
}

ledger::v1::Event Demo::Document(const std::string& id, const std::string& number,
                                 const std::string& title, const std::string& region) {
  ledger::v1::Event event = NewEvent(id);
  auto* doc = event.mutable_document_filed();
  doc->set_document_number(number);
  doc->set_title(title);
  doc->set_sha256(std::string(crypto::AsBytes(crypto::Sha256(number + "\n" + title))));
  doc->set_region_code(region);
  return event;
}

ledger::Status Demo::Append(const std::string& signer, const ledger::v1::Event& event) {
  auto receipt = store_->Append(ledger::SignEvent(event, keys_.at(signer)));
  if (!receipt.ok()) return receipt.status();
  out_ << "  entry " << receipt->index << "  " << event.event_id() << "  signed by " << signer << "\n";
  return ledger::Status::Ok();
}

ledger::Status Demo::Run() {
  std::filesystem::create_directories(dir_ + "/keys");
  for (const char* name : {"admin"}) {
    if (auto s = MakeKey(name); !s.ok()) return s;
  }
  for (const DemoActor& actor : kActors) {
    if (auto s = MakeKey(actor.name); !s.ok()) return s;
  }
  ledger::CreateOptions create;
  create.data_dir = dir_;
  create.origin = kDemoOrigin;
  create.first_admin.set_name("admin");
  create.first_admin.set_public_key(std::string(crypto::AsBytes(keys_.at("admin").public_key())));
  create.first_admin.set_role(ledger::v1::ROLE_ADMIN);
  create.timestamp_ms = clock_ms_;
  if (auto s = ledger::EventStore::Create(create); !s.ok()) return s;
  out_ << "created ledger '" << kDemoOrigin << "' in " << dir_ << " (log key " << dir_ << "/log.pub)\n";
  out_ << "  entry 0  genesis  signed by the log key, registers admin\n";

  auto store = ledger::EventStore::Open({dir_, 0, {}});
  if (!store.ok()) return store.status();
  store_ = std::move(*store);

  for (const DemoActor& actor : kActors) {
    ledger::v1::Event event = NewEvent(std::string("register-") + actor.name);
    auto* record = event.mutable_register_actor()->mutable_actor();
    record->set_name(actor.name);
    record->set_public_key(std::string(crypto::AsBytes(keys_.at(actor.name).public_key())));
    record->set_role(actor.role);
    record->set_region_code(actor.region);
    if (auto s = Append("admin", event); !s.ok()) return s;
  }
  if (auto s = Append("finance-150802-linhe",
                      Document("doc-linhe-2025-001", "临财社〔2025〕3号",
                               "关于下达2025年就业补助资金的通知", "150802"));
      !s.ok()) {
    return s;
  }
  if (auto s = Append("finance-150821-wuyuan",
                      Document("doc-wuyuan-2025-001", "五财社〔2025〕7号",
                               "2025年就业见习补贴资金分配方案", "150821"));
      !s.ok()) {
    return s;
  }

  // A roster: twelve monthly payment vouchers of 临河区 signed once, each its own entry.
  std::vector<ledger::v1::Event> roster;
  for (int month = 1; month <= 12; ++month) {
    std::string m = std::to_string(month);
    roster.push_back(Document("voucher-linhe-2025-" + m, "临就见〔2025〕" + m + "号",
                              "2025年" + m + "月就业见习补贴发放花名册", "150802"));
  }
  ledger::v1::RosterHeader header;
  header.set_origin(kDemoOrigin);
  header.set_roster_id("linhe-2025-vouchers");
  header.set_timestamp_ms(clock_ms_);
  header.set_title("临河区2025年就业见习补贴发放凭证");
  auto receipts = store_->AppendRoster(ledger::SignRoster(header, roster, keys_.at("finance-150802-linhe")));
  if (!receipts.ok()) return receipts.status();
  out_ << "  entries " << receipts->front().index << "-" << receipts->back().index
       << "  roster of 12 vouchers, one signature by finance-150802-linhe\n";

  ledger::v1::Event revoke = NewEvent("revoke-finance-150826");
  revoke.mutable_revoke_actor()->set_public_key(
      std::string(crypto::AsBytes(keys_.at("finance-150826-hanggin-rear").public_key())));
  revoke.mutable_revoke_actor()->set_reason("officer transferred to another post");
  if (auto s = Append("admin", revoke); !s.ok()) return s;

  // The revoked officer's key now signs nothing valid: the ledger says so and writes nothing.
  auto refused = store_->Append(ledger::SignEvent(
      Document("doc-hanggin-late", "杭财社〔2025〕9号", "撤销后提交的文件", "150826"),
      keys_.at("finance-150826-hanggin-rear")));
  out_ << "  refused: " << (refused.ok() ? std::string("ACCEPTED?!") : refused.status().ToString()) << "\n";
  if (refused.ok()) return ledger::Status(ledger::Code::kCorruption, "a revoked key was accepted");
  // A signature for another ledger is refused too.
  ledger::v1::Event foreign = Document("doc-foreign", "外〔2025〕1号", "另一账本的文件", "150802");
  foreign.set_origin("another-ledger");
  refused = store_->Append(ledger::SignEvent(foreign, keys_.at("finance-150802-linhe")));
  out_ << "  refused: " << (refused.ok() ? std::string("ACCEPTED?!") : refused.status().ToString()) << "\n";
  if (refused.ok()) return ledger::Status(ledger::Code::kCorruption, "a foreign event was accepted");

  out_ << "ledger holds " << store_->size() << " entries; latest checkpoint:\n" << store_->checkpoint();
  out_ << "demo keys are in " << dir_ << "/keys/\n";
  return store_->Close();
}

}  // namespace

ledger::Status BuildDemo(const std::string& data_dir, std::ostream& out) {
  return Demo(data_dir, out).Run();
}

}  // namespace tools
