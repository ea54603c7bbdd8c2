// Test vocabulary shared by the ledger, replay and tools tests: a fresh ledger in a temporary
// directory with an admin, and helpers to make, sign and append events.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "crypto/note.h"
#include "crypto/signing.h"
#include "ledger/event_signer.h"
#include "ledger/event_store.h"

namespace testing_ledger {

inline constexpr const char* kOrigin = "test-ledger";
inline constexpr std::int64_t kTime = 1735689600000;  // 2025-01-01T00:00:00Z.

// A fresh temporary directory, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    std::random_device random;
    path_ = (std::filesystem::temp_directory_path() /
             ("ledger-test-" + std::to_string(random()) + std::to_string(random())))
                .string();
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class TestLedger {
 public:
  TestLedger() : admin_(crypto::SecretKey::Generate()) {
    EXPECT_TRUE(crypto::Initialize());
    ledger::CreateOptions create = Create(dir(), kOrigin, admin_);
    create.timestamp_ms = kTime;
    ledger::Status status = ledger::EventStore::Create(create);
    EXPECT_TRUE(status.ok()) << status.ToString();
    Open();
  }

  const std::string& dir() const { return temp_.path(); }
  std::string ledger_dir() const { return dir(); }
  ledger::EventStore& store() { return *store_; }
  const crypto::SecretKey& admin() const { return admin_; }

  void Open() {
    ledger::StoreOptions options{dir(), 2, {}};
    options.checkpoint_interval = checkpoint_interval_;
    options.ingest_entries_min = ingest_entries_min_;
    auto store = ledger::EventStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  void Close() {
    if (store_) {
      ledger::Status status = store_->Close();
      EXPECT_TRUE(status.ok()) << status.ToString();
    }
    store_.reset();
  }
  void Reopen() {
    Close();
    Open();
  }
  // Reopens the store with this least time between two checkpoints.
  void ReopenWithCheckpointInterval(std::chrono::milliseconds interval) {
    checkpoint_interval_ = interval;
    Reopen();
  }
  // Reopens the store so that batches of at least `entries` entries are ingested as table files.
  void ReopenWithIngestEntriesMin(std::size_t entries) {
    ingest_entries_min_ = entries;
    Reopen();
  }
  // Waits until the store has signed a checkpoint of every durable entry: it signs at most one
  // per constants::checkpoint_interval_ms, so the latest appends may wait up to that long.
  void WaitForFullCheckpoint() {
    ASSERT_TRUE(store_->WaitForCheckpoint(store_->size(), std::chrono::seconds(30)))
        << "no checkpoint of " << store_->size() << " entries within 30 s";
  }

  static ledger::v1::Actor Actor(const std::string& name, const crypto::SecretKey& key,
                                 ledger::v1::Role role, const std::string& region = "") {
    ledger::v1::Actor actor;
    actor.set_name(name);
    actor.set_public_key(std::string(crypto::AsBytes(key.public_key())));
    actor.set_role(role);
    actor.set_region_code(region);
    return actor;
  }

  // Options creating a ledger in `dir` whose first admin is `admin`.
  static ledger::CreateOptions Create(const std::string& dir, const std::string& origin,
                                      const crypto::SecretKey& admin) {
    ledger::CreateOptions create;
    create.data_dir = dir;
    create.origin = origin;
    create.first_admin = Actor("admin", admin, ledger::v1::ROLE_ADMIN);
    return create;
  }

  static ledger::v1::Event NewEvent(const std::string& id) {
    ledger::v1::Event event;
    event.set_origin(kOrigin);
    event.set_event_id(id);
    event.set_timestamp_ms(kTime + 1000);
    return event;
  }

  static ledger::v1::Event Document(const std::string& id, const std::string& region = "") {
    ledger::v1::Event event = NewEvent(id);
    auto* doc = event.mutable_document_filed();
    doc->set_document_number("巴财社〔2025〕" + id + "号");
    doc->set_title("测试文件");
    doc->set_sha256(std::string(crypto::AsBytes(crypto::Sha256(id))));
    doc->set_region_code(region);
    return event;
  }

  // Registers a new actor signed by the admin; returns its key.
  crypto::SecretKey Register(const std::string& name, ledger::v1::Role role,
                             const std::string& region = "") {
    crypto::SecretKey key = crypto::SecretKey::Generate();
    ledger::v1::Event event = NewEvent("register-" + name);
    *event.mutable_register_actor()->mutable_actor() = Actor(name, key, role, region);
    auto receipt = store_->Append(ledger::SignEvent(event, admin_));
    EXPECT_TRUE(receipt.ok()) << receipt.status().ToString();
    return key;
  }

  ledger::Status Revoke(const crypto::SecretKey& key, const std::string& id) {
    ledger::v1::Event event = NewEvent(id);
    event.mutable_revoke_actor()->set_public_key(std::string(crypto::AsBytes(key.public_key())));
    event.mutable_revoke_actor()->set_reason("test");
    auto receipt = store_->Append(ledger::SignEvent(event, admin_));
    return receipt.ok() ? ledger::Status::Ok() : receipt.status();
  }

  ledger::Result<ledger::Receipt> Append(const ledger::v1::Event& event, const crypto::SecretKey& key) {
    return store_->Append(ledger::SignEvent(event, key));
  }

  ledger::Result<std::vector<ledger::Receipt>> AppendRoster(const std::vector<ledger::v1::Event>& events,
                                                           const crypto::SecretKey& key) {
    ledger::v1::RosterHeader header;
    header.set_origin(kOrigin);
    header.set_roster_id("roster");
    header.set_timestamp_ms(kTime);
    return store_->AppendRoster(ledger::SignRoster(header, events, key));
  }

 private:
  TempDir temp_;
  crypto::SecretKey admin_;
  std::unique_ptr<ledger::EventStore> store_;
  std::chrono::milliseconds checkpoint_interval_{ledger::constants::checkpoint_interval_ms};
  std::size_t ingest_entries_min_ = ledger::constants::ingest_entries_min;
};

}  // namespace testing_ledger
