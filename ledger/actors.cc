#include "ledger/actors.h"

#include <algorithm>

#include "crypto/note.h"
#include "ledger/constants.h"
#include "ledger/funds.h"

namespace ledger {

bool RoleMaySign(v1::Role role, v1::Event::BodyCase kind) {
  switch (kind) {
    case v1::Event::kRegisterActor:
    case v1::Event::kRevokeActor:
      return role == v1::ROLE_ADMIN;
    case v1::Event::kDocumentFiled:
      return role == v1::ROLE_ADMIN || role == v1::ROLE_FINANCE_OFFICER ||
             role == v1::ROLE_INSPECTOR || role == v1::ROLE_AUDITOR;
    case v1::Event::kPersonalDataRead:
      return role == v1::ROLE_FINANCE_OFFICER || role == v1::ROLE_AUDITOR;
    case v1::Event::kGenesis:
    case v1::Event::BODY_NOT_SET:
      return false;
    default:
      break;
  }
  if (IsFundsReferenceEvent(kind)) return role == v1::ROLE_ADMIN;
  if (IsFundsMoneyEvent(kind)) return role == v1::ROLE_FINANCE_OFFICER;
  return false;
}

std::string_view RoleName(v1::Role role) {
  switch (role) {
    case v1::ROLE_ADMIN: return "admin";
    case v1::ROLE_FINANCE_OFFICER: return "finance_officer";
    case v1::ROLE_INSPECTOR: return "inspector";
    case v1::ROLE_AUDITOR: return "auditor";
    default: return "unspecified";
  }
}

std::string_view EventKindName(v1::Event::BodyCase kind) {
  switch (kind) {
    case v1::Event::kGenesis: return "genesis";
    case v1::Event::kRegisterActor: return "register_actor";
    case v1::Event::kRevokeActor: return "revoke_actor";
    case v1::Event::kDocumentFiled: return "document_filed";
    case v1::Event::kPersonalDataRead: return "personal_data_read";
    case v1::Event::kFundDefined: return "fund_defined";
    case v1::Event::kProgramDefined: return "program_defined";
    case v1::Event::kRegionDefined: return "region_defined";
    case v1::Event::kRateSet: return "rate_set";
    case v1::Event::kAllocationPlanned: return "allocation_planned";
    case v1::Event::kFundsReceived: return "funds_received";
    case v1::Event::kDisbursement: return "disbursement";
    case v1::Event::kReversal: return "reversal";
    case v1::Event::kProgramTransfer: return "program_transfer";
    case v1::Event::kPersonRegistered: return "person_registered";
    case v1::Event::BODY_NOT_SET: return "none";
  }
  return "unknown";
}

Status ValidateActor(const v1::Actor& actor) {
  if (!crypto::IsValidKeyName(actor.name()) ||
      actor.name().size() > constants::actor_name_bytes_max) {
    return Status(Code::kInvalidEvent, "actor name must be a key name (no spaces or '+')");
  }
  if (actor.public_key().size() != crypto::kPublicKeyBytes) {
    return Status(Code::kInvalidEvent, "actor public key must be 32 bytes");
  }
  if (actor.role() == v1::ROLE_UNSPECIFIED || !v1::Role_IsValid(actor.role())) {
    return Status(Code::kInvalidEvent, "actor role must be set");
  }
  const std::string& region = actor.region_code();
  if (!region.empty() &&
      (region.size() != 6 ||
       !std::all_of(region.begin(), region.end(), [](char c) { return c >= '0' && c <= '9'; }))) {
    return Status(Code::kInvalidEvent, "region code must be six digits, got '" + region + "'");
  }
  return Status::Ok();
}

ActorRegistry::ActorRegistry(const crypto::VerifierKey& log_key) : log_key_(log_key) {}

Status ActorRegistry::Load(const RowReader& rows) {
  Status decode = Status::Ok();
  Status scan = rows.Scan({}, {}, [&](std::string_view, std::string_view value) {
    v1::ActorRecord record;
    if (!record.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      decode = Status(Code::kCorruption, "actor record does not decode");
      return false;
    }
    Key key = record.actor().public_key();
    actors_[key] = std::move(record);
    return true;
  });
  return scan.ok() ? decode : scan;
}

const v1::ActorRecord* ActorRegistry::Find(const crypto::PublicKey& key) const {
  auto it = actors_.find(crypto::AsBytes(key));  // No temporary string on the hot path.
  return it == actors_.end() ? nullptr : &it->second;
}

std::vector<v1::ActorRecord> ActorRegistry::List() const {
  std::vector<v1::ActorRecord> list;
  list.reserve(actors_.size());
  for (const auto& [key, record] : actors_) list.push_back(record);
  std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
    return a.registered_index() < b.registered_index();
  });
  return list;
}

namespace {
// The region an event concerns, or empty when it concerns the whole city. A region-scoped actor
// may sign only events that concern its own region.
std::string_view EventRegion(const v1::Event& event) {
  if (event.has_document_filed()) return event.document_filed().region_code();
  if (event.has_register_actor()) return event.register_actor().actor().region_code();
  if (event.has_personal_data_read()) return event.personal_data_read().region_code();
  return FundsEventRegion(event);
}
}  // namespace

Result<const v1::ActorRecord*> ActorRegistry::Authorize(const CheckedEvent& checked,
                                                        std::uint64_t index) const {
  const v1::Event& event = *checked.event;
  if (index == 0 || event.has_genesis()) {
    if (index != 0 || !event.has_genesis()) {
      return Status(Code::kInvalidEvent, "a genesis event stands at index 0 and only there");
    }
    if (!crypto::ConstantTimeEqual(crypto::AsBytes(checked.signer), crypto::AsBytes(log_key_.key))) {
      return Status(Code::kBadSignature, "genesis is not signed by this ledger's log key");
    }
    static const v1::ActorRecord kLogKey;  // The log key is no actor: it signs genesis only.
    return &kLogKey;
  }
  const v1::ActorRecord* signer = Find(checked.signer);
  if (signer == nullptr) {
    return Status(Code::kUnknownSigner,
                  "signing key " + crypto::HexEncode(crypto::AsBytes(checked.signer)).substr(0, 16) +
                      "… is not a registered actor");
  }
  if (signer->has_revoked_index() && signer->revoked_index() < index) {
    return Status(Code::kRevokedSigner, "actor '" + signer->actor().name() +
                                            "' was revoked at index " +
                                            std::to_string(signer->revoked_index()));
  }
  if (!RoleMaySign(signer->actor().role(), event.body_case())) {
    return Status(Code::kRoleNotAllowed,
                  "role " + std::string(RoleName(signer->actor().role())) + " may not sign " +
                      std::string(EventKindName(event.body_case())) + " events");
  }
  std::string_view region = EventRegion(event);
  const std::string& scope = signer->actor().region_code();
  if (!scope.empty() && region != scope) {
    return Status(Code::kScopeNotAllowed,
                  "actor '" + signer->actor().name() + "' is limited to region " + scope +
                      ", event concerns '" + std::string(region) + "'");
  }
  return signer;
}

Status ActorRegistry::Apply(const CheckedEvent& checked, std::uint64_t index,
                            const v1::ActorRecord& /*signer*/, RowWriter* rows) {
  const v1::Event& event = *checked.event;
  switch (event.body_case()) {
    case v1::Event::kGenesis:
      return ApplyGenesis(event.genesis(), checked.signer, index, rows);
    case v1::Event::kRegisterActor:
      return ApplyRegister(event.register_actor().actor(), index, rows);
    case v1::Event::kRevokeActor:
      return ApplyRevoke(event.revoke_actor(), index, rows);
    default:
      return Status::Ok();
  }
}

Status ActorRegistry::ApplyGenesis(const v1::Genesis& genesis, const crypto::PublicKey& signer,
                                   std::uint64_t index, RowWriter* rows) {
  if (genesis.crypto_suite() != crypto::kSuiteEd25519Sha256) {
    return Status(Code::kInvalidEvent, "unsupported crypto suite '" + genesis.crypto_suite() + "'");
  }
  auto log_key = crypto::ParseVerifierKey(genesis.log_key());
  if (!log_key.ok()) return Status(Code::kInvalidEvent, "genesis log key: " + log_key.status().message());
  if (!crypto::ConstantTimeEqual(crypto::AsBytes(log_key->key), crypto::AsBytes(signer)) ||
      log_key->name != log_key_.name) {
    return Status(Code::kInvalidEvent, "genesis must name the log key that signs it, under the origin");
  }
  if (genesis.first_admin().role() != v1::ROLE_ADMIN) {
    return Status(Code::kInvalidEvent, "the first actor must be an admin");
  }
  return ApplyRegister(genesis.first_admin(), index, rows);
}

Status ActorRegistry::ApplyRegister(const v1::Actor& actor, std::uint64_t index,
                                    RowWriter* rows) {
  if (Status status = ValidateActor(actor); !status.ok()) return status;
  if (actor.public_key() == crypto::AsBytes(log_key_.key)) {
    return Status(Code::kInvalidEvent, "the log key signs checkpoints only; it cannot be an actor");
  }
  if (actors_.count(actor.public_key()) != 0) {
    return Status(Code::kInvalidEvent,
                  "key of '" + actor.name() + "' is already registered (a key is registered once)");
  }
  v1::ActorRecord record;
  *record.mutable_actor() = actor;
  record.set_registered_index(index);
  Put(std::move(record), rows);
  return Status::Ok();
}

Status ActorRegistry::ApplyRevoke(const v1::RevokeActor& revoke, std::uint64_t index,
                                  RowWriter* rows) {
  auto it = actors_.find(revoke.public_key());
  if (it == actors_.end()) {
    return Status(Code::kInvalidEvent, "cannot revoke a key that is not registered");
  }
  if (it->second.has_revoked_index()) {
    return Status(Code::kInvalidEvent, "actor '" + it->second.actor().name() +
                                           "' is already revoked");
  }
  if (it->second.actor().role() == v1::ROLE_ADMIN && ActiveAdmins() == 1) {
    return Status(Code::kInvalidEvent, "cannot revoke the last active admin");
  }
  v1::ActorRecord record = it->second;
  record.set_revoked_index(index);
  Put(std::move(record), rows);
  return Status::Ok();
}

std::size_t ActorRegistry::ActiveAdmins() const {
  return static_cast<std::size_t>(std::count_if(actors_.begin(), actors_.end(), [](const auto& kv) {
    return kv.second.actor().role() == v1::ROLE_ADMIN && !kv.second.has_revoked_index();
  }));
}

void ActorRegistry::Put(v1::ActorRecord record, RowWriter* rows) {
  Key key = record.actor().public_key();
  if (undo_.has_value()) {
    auto it = actors_.find(key);
    undo_->emplace_back(key, it == actors_.end() ? std::nullopt
                                                 : std::optional<v1::ActorRecord>(it->second));
  }
  if (rows != nullptr) rows->Put(key, record.SerializeAsString());
  actors_[key] = std::move(record);
}

void ActorRegistry::SetSavepoint() {
  assert(!undo_.has_value());  // Savepoints do not nest.
  undo_.emplace();
}

void ActorRegistry::RollbackToSavepoint() {
  assert(undo_.has_value());
  for (auto it = undo_->rbegin(); it != undo_->rend(); ++it) {
    if (it->second.has_value()) {
      actors_[it->first] = *it->second;
    } else {
      actors_.erase(it->first);
    }
  }
  undo_.reset();
}

void ActorRegistry::ReleaseSavepoint() {
  assert(undo_.has_value());
  undo_.reset();
}

}  // namespace ledger
