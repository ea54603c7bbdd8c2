// The ledger's actors: who may sign what, as of any log position.
//
// ActorRegistry is the built-in Projection of Genesis, RegisterActor and RevokeActor events, and
// the authority the sequencer and the verifier ask before any other projection sees an event:
// is the signer registered, not revoked, allowed to sign this kind of event, within its region?
// Driven by one thread; not synchronised.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "crypto/note.h"
#include "crypto/signing.h"
#include "ledger/event_check.h"
#include "ledger/ledger.pb.h"
#include "ledger/projection.h"
#include "ledger/status.h"

namespace ledger {

// The roles allowed to sign each kind of event (Event.body case). Genesis has none: it is signed
// by the log key at index 0 only.
bool RoleMaySign(v1::Role role, v1::Event::BodyCase kind);
std::string_view RoleName(v1::Role role);
std::string_view EventKindName(v1::Event::BodyCase kind);

class ActorRegistry final : public Projection {
 public:
  // `log_key` is the ledger's log key: the only key that may sign genesis, and never an actor.
  // Rows: public key -> ActorRecord, one per actor, rewritten when the actor changes.
  explicit ActorRegistry(const crypto::VerifierKey& log_key);

  // May the signer of `event` sign it at `index`? Returns the signer's record on success.
  // Errors: kUnknownSigner, kRevokedSigner, kRoleNotAllowed, kScopeNotAllowed, kInvalidEvent
  // (a genesis event anywhere but index 0, or index 0 holding anything else).
  Result<const v1::ActorRecord*> Authorize(const CheckedEvent& event, std::uint64_t index) const;

  // Projection: applies actor events; other kinds are accepted unchanged.
  std::string_view name() const override { return "actors"; }
  Status Load(const RowReader& rows) override;
  Status Apply(const CheckedEvent& event, std::uint64_t index, const v1::ActorRecord& signer,
               RowWriter* rows) override;
  Status EndBatch(RowWriter* /*rows*/) override { return Status::Ok(); }
  void SetSavepoint() override;
  void RollbackToSavepoint() override;
  void ReleaseSavepoint() override;

  const v1::ActorRecord* Find(const crypto::PublicKey& key) const;
  std::vector<v1::ActorRecord> List() const;
  std::size_t size() const { return actors_.size(); }

 private:
  using Key = std::string;  // 32 raw public key bytes.
  Status ApplyGenesis(const v1::Genesis& genesis, const crypto::PublicKey& signer,
                      std::uint64_t index, RowWriter* rows);
  Status ApplyRegister(const v1::Actor& actor, std::uint64_t index, RowWriter* rows);
  Status ApplyRevoke(const v1::RevokeActor& revoke, std::uint64_t index, RowWriter* rows);
  void Put(v1::ActorRecord record, RowWriter* rows);
  std::size_t ActiveAdmins() const;

  const crypto::VerifierKey log_key_;
  std::map<Key, v1::ActorRecord, std::less<>> actors_;  // Transparent: found by string_view.
  // Undo log while a savepoint is set: the previous value of each key changed (nullopt = absent).
  std::optional<std::vector<std::pair<Key, std::optional<v1::ActorRecord>>>> undo_;
};

// Checks an Actor's fields: name, 32-byte key, a role, region code empty or six digits.
Status ValidateActor(const v1::Actor& actor);

}  // namespace ledger
