#include "ledger/event_check.h"

#include <unordered_set>

#include "crypto/merkle.h"
#include "ledger/constants.h"
#include "ledger/signing_context.h"

namespace ledger {

namespace {

Status Malformed(std::string message) { return Status(Code::kMalformed, std::move(message)); }

// Unknown fields would be stored but never checked or shown: refuse them.
bool HasUnknownFields(const google::protobuf::Message& message) {
  return !message.GetReflection()->GetUnknownFields(message).empty();
}

// Shape checks of a decoded event that need no state.
Status CheckEventShape(const v1::Event& event, std::string_view origin) {
  if (event.origin() != origin) {
    return Status(Code::kWrongOrigin, "event is for ledger '" + event.origin() + "', this is '" +
                                          std::string(origin) + "'");
  }
  if (event.event_id().empty()) return Malformed("event_id is empty");
  if (event.event_id().size() > constants::event_id_bytes_max) {
    return Status(Code::kTooLarge, "event_id is longer than " +
                                       std::to_string(constants::event_id_bytes_max) + " bytes");
  }
  if (event.timestamp_ms() <= 0) return Malformed("timestamp_ms must be positive");
  if (event.body_case() == v1::Event::BODY_NOT_SET) return Malformed("event has no body");
  if (event.has_document_filed() && event.document_filed().sha256().size() != crypto::kHashBytes) {
    return Malformed("document_filed.sha256 must be 32 bytes");
  }
  return Status::Ok();
}

Status DecodeEvent(std::string_view bytes, std::string_view origin, v1::Event* event) {
  if (bytes.size() > constants::event_bytes_max) {
    return Status(Code::kTooLarge, "event is " + std::to_string(bytes.size()) + " bytes, limit " +
                                       std::to_string(constants::event_bytes_max));
  }
  if (!event->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Malformed("event bytes do not decode as ledger.v1.Event");
  }
  if (HasUnknownFields(*event)) {
    return Malformed("event has fields this ledger does not know (a newer schema?)");
  }
  return CheckEventShape(*event, origin);
}

Result<crypto::PublicKey> DecodeKey(std::string_view bytes) {
  auto key = crypto::PublicKeyFromBytes(bytes);
  if (!key) return Malformed("public_key must be 32 bytes");
  return *key;
}

// Verifies a roster header's signature and decodes it.
Status CheckRosterHeader(std::string_view header_bytes, const crypto::PublicKey& key,
                         std::string_view signature, std::string_view origin,
                         v1::RosterHeader* header) {
  if (header_bytes.size() > constants::roster_header_bytes_max) {
    return Status(Code::kTooLarge, "roster header is larger than " +
                                       std::to_string(constants::roster_header_bytes_max));
  }
  if (!header->ParseFromArray(header_bytes.data(), static_cast<int>(header_bytes.size()))) {
    return Malformed("roster header does not decode as ledger.v1.RosterHeader");
  }
  if (HasUnknownFields(*header)) return Malformed("roster header has unknown fields");
  if (header->origin() != origin) {
    return Status(Code::kWrongOrigin, "roster is for ledger '" + header->origin() + "'");
  }
  if (header->event_count() == 0) return Malformed("roster has no events");
  if (header->event_count() > constants::roster_events_max) {
    return Status(Code::kTooLarge, "roster has " + std::to_string(header->event_count()) +
                                       " events, limit " +
                                       std::to_string(constants::roster_events_max));
  }
  auto sig = crypto::SignatureFromBytes(signature);
  if (!sig) return Malformed("roster signature must be 64 bytes");
  if (!crypto::Verify(key, RosterSigningMessage(header_bytes), *sig)) {
    return Status(Code::kBadSignature, "roster signature does not verify");
  }
  return Status::Ok();
}

crypto::Hash RosterCacheKey(const crypto::PublicKey& key, const v1::RosterProof& proof) {
  crypto::Sha256Builder builder;
  builder.Update(crypto::AsBytes(key)).Update(proof.signature()).Update(proof.header());
  return builder.Finish();
}

}  // namespace

bool RosterSignatureCache::Contains(const crypto::Hash& key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return verified_.count(std::string(crypto::AsBytes(key))) != 0;
}

void RosterSignatureCache::Insert(const crypto::Hash& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  // Rosters are verified in log order; a small set suffices. Forgetting only costs a re-verify.
  if (verified_.size() >= 1024) verified_.clear();
  verified_.insert(std::string(crypto::AsBytes(key)));
}

Result<CheckedEvent> CheckSignedEvent(std::string_view signed_event_bytes, std::string_view origin) {
  if (signed_event_bytes.size() > constants::signed_event_bytes_max) {
    return Status(Code::kTooLarge, "signed event is " + std::to_string(signed_event_bytes.size()) +
                                       " bytes, limit " +
                                       std::to_string(constants::signed_event_bytes_max));
  }
  v1::SignedEvent envelope;
  if (!envelope.ParseFromArray(signed_event_bytes.data(),
                               static_cast<int>(signed_event_bytes.size()))) {
    return Malformed("bytes do not decode as ledger.v1.SignedEvent");
  }
  if (envelope.proof_case() != v1::SignedEvent::kSignature) {
    return Malformed("a single event needs a signature (rosters are submitted whole)");
  }
  if (HasUnknownFields(envelope)) return Malformed("signed event has unknown fields");
  auto checked = CheckStoredEnvelope(envelope, origin, nullptr);
  if (checked.ok()) checked->envelope_bytes = envelope.SerializeAsString();
  return checked;
}

Result<CheckedEvent> CheckStoredEnvelope(const v1::SignedEvent& envelope, std::string_view origin,
                                         RosterSignatureCache* cache) {
  CheckedEvent checked;
  auto key = DecodeKey(envelope.public_key());
  if (!key.ok()) return key.status();
  checked.signer = *key;
  if (Status s = DecodeEvent(envelope.event(), origin, &checked.event); !s.ok()) return s;

  if (envelope.proof_case() == v1::SignedEvent::kSignature) {
    auto sig = crypto::SignatureFromBytes(envelope.signature());
    if (!sig) return Malformed("signature must be 64 bytes");
    if (!crypto::Verify(checked.signer, EventSigningMessage(envelope.event()), *sig)) {
      return Status(Code::kBadSignature, "signature does not verify over the event bytes");
    }
  } else if (envelope.proof_case() == v1::SignedEvent::kRoster) {
    const v1::RosterProof& proof = envelope.roster();
    v1::RosterHeader header;
    crypto::Hash cache_key = RosterCacheKey(checked.signer, proof);
    if (cache == nullptr || !cache->Contains(cache_key)) {
      Status s = CheckRosterHeader(proof.header(), checked.signer, proof.signature(), origin, &header);
      if (!s.ok()) return s;
      if (cache != nullptr) cache->Insert(cache_key);
    } else if (!header.ParseFromString(proof.header())) {
      return Malformed("roster header does not decode");  // Unreachable: it decoded before.
    }
    if (proof.audit_path_size() > static_cast<int>(constants::roster_audit_path_max)) {
      return Status(Code::kTooLarge, "roster audit path is too long");
    }
    std::vector<crypto::Hash> path;
    for (const std::string& bytes : proof.audit_path()) {
      auto hash = crypto::HashFromBytes(bytes);
      if (!hash) return Malformed("roster audit path hash must be 32 bytes");
      path.push_back(*hash);
    }
    auto root = crypto::HashFromBytes(header.events_root());
    if (!root) return Malformed("roster events_root must be 32 bytes");
    if (proof.leaf_index() >= header.event_count() ||
        !crypto::VerifyInclusion(proof.leaf_index(), header.event_count(),
                                 crypto::LeafHash(envelope.event()), path, *root)) {
      return Status(Code::kBadSignature, "event is not included in the signed roster");
    }
  } else {
    return Malformed("signed event carries neither a signature nor a roster proof");
  }
  checked.event_bytes = envelope.event();
  return checked;
}

Result<std::vector<CheckedEvent>> CheckSignedRoster(std::string_view signed_roster_bytes,
                                                    std::string_view origin) {
  if (signed_roster_bytes.size() > constants::roster_bytes_max) {
    return Status(Code::kTooLarge, "roster is larger than " + std::to_string(constants::roster_bytes_max));
  }
  v1::SignedRoster roster;
  if (!roster.ParseFromArray(signed_roster_bytes.data(),
                             static_cast<int>(signed_roster_bytes.size()))) {
    return Malformed("bytes do not decode as ledger.v1.SignedRoster");
  }
  auto key = DecodeKey(roster.public_key());
  if (!key.ok()) return key.status();
  v1::RosterHeader header;
  Status s = CheckRosterHeader(roster.header(), *key, roster.signature(), origin, &header);
  if (!s.ok()) return s;
  if (header.event_count() != static_cast<std::uint64_t>(roster.events_size())) {
    return Malformed("roster header counts " + std::to_string(header.event_count()) +
                     " events, roster carries " + std::to_string(roster.events_size()));
  }
  std::vector<crypto::Hash> leaves;
  leaves.reserve(roster.events_size());
  for (const std::string& event : roster.events()) leaves.push_back(crypto::LeafHash(event));
  crypto::MemoryTree tree(std::move(leaves));
  auto root = crypto::HashFromBytes(header.events_root());
  if (!root || !crypto::ConstantTimeEqual(*root, tree.Root())) {
    return Status(Code::kBadSignature, "roster events do not match the signed events_root");
  }

  // One scratch envelope is refilled per event: its strings keep their capacity, so a roster
  // of 10,000 events costs no per-event allocation for the proof.
  v1::SignedEvent scratch;
  scratch.set_public_key(roster.public_key());
  v1::RosterProof* proof = scratch.mutable_roster();
  proof->set_header(roster.header());
  proof->set_signature(roster.signature());
  std::vector<crypto::Hash> path;  // One buffer for every event's inclusion proof.
  std::vector<CheckedEvent> checked(roster.events_size());
  std::unordered_set<std::string_view> ids;  // Views into `checked`, which does not reallocate.
  ids.reserve(checked.size());
  for (int i = 0; i < roster.events_size(); ++i) {
    CheckedEvent& out = checked[i];
    out.signer = *key;
    s = DecodeEvent(roster.events(i), origin, &out.event);
    if (!s.ok()) return Status(s.code(), "roster event " + std::to_string(i) + ": " + s.message());
    if (!ids.insert(out.event.event_id()).second) {
      return Status(Code::kDuplicateId, "roster event " + std::to_string(i) + ": event id '" +
                                            out.event.event_id() + "' appears twice in the roster");
    }
    out.event_bytes = std::move(*roster.mutable_events(i));  // Not read from `roster` again.
    scratch.set_event(out.event_bytes);
    proof->set_leaf_index(static_cast<std::uint64_t>(i));
    tree.InclusionProof(static_cast<std::uint64_t>(i), &path);
    auto* audit_path = proof->mutable_audit_path();
    while (audit_path->size() > static_cast<int>(path.size())) audit_path->RemoveLast();
    for (std::size_t j = 0; j < path.size(); ++j) {
      std::string* slot = static_cast<int>(j) < audit_path->size() ? audit_path->Mutable(static_cast<int>(j))
                                                                   : audit_path->Add();
      slot->assign(crypto::AsBytes(path[j]));
    }
    scratch.SerializeToString(&out.envelope_bytes);
  }
  return checked;
}

}  // namespace ledger
