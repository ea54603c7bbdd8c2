#include "ledger/event_check.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <bit>
#include <cassert>
#include <optional>
#include <unordered_set>

#include "crypto/merkle.h"
#include "ledger/constants.h"
#include "ledger/entry_codec.h"
#include "ledger/id_table.h"
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

Result<CheckedAppend> CheckSignedEvent(std::string_view signed_event_bytes, std::string_view origin) {
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
  CheckedAppend out;
  out.arena = std::make_unique<google::protobuf::Arena>();
  auto checked = CheckStoredEnvelope(envelope, origin, nullptr,
                                     google::protobuf::Arena::CreateMessage<v1::Event>(out.arena.get()));
  if (!checked.ok()) return checked.status();
  // Stored as protobuf serializes the decoded envelope (the client's encoding may differ).
  out.storage = std::make_unique<std::string>();
  std::string& storage = *out.storage;
  storage.reserve(envelope.ByteSizeLong());
  const std::size_t event_at =
      AppendSignedEventEnvelope(envelope.event(), envelope.public_key(), envelope.signature(), &storage);
  checked->envelope_bytes = storage;
  checked->event_bytes = std::string_view(storage).substr(event_at, envelope.event().size());
  out.events.push_back(std::move(*checked));
  return out;
}

Result<CheckedEvent> CheckStoredEnvelope(const v1::SignedEvent& envelope, std::string_view origin,
                                         RosterSignatureCache* cache, v1::Event* event) {
  CheckedEvent checked;
  auto key = DecodeKey(envelope.public_key());
  if (!key.ok()) return key.status();
  checked.signer = *key;
  if (Status s = DecodeEvent(envelope.event(), origin, event); !s.ok()) return s;
  checked.event = event;

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

namespace {

// The fields of a serialized v1::SignedRoster, as views of its bytes: a roster's events are
// neither copied nor allocated one by one.
struct RosterParts {
  std::string_view header;
  std::string_view public_key;
  std::string_view signature;
  std::vector<std::string_view> events;
};

// Reads a v1::SignedRoster's wire format (every field is length-delimited). Stricter than the
// generated parser, which keeps unknown fields and lets a repeated singular field's last value
// win: both are refused here, as unknown fields are everywhere else a client's bytes are read.
Status ParseSignedRoster(std::string_view bytes, RosterParts* out) {
  using google::protobuf::internal::WireFormatLite;
  const Status malformed = Malformed("bytes do not decode as ledger.v1.SignedRoster");
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  bool seen[4] = {false, false, false, false};
  while (static_cast<std::size_t>(in.CurrentPosition()) < bytes.size()) {
    const std::uint32_t tag = in.ReadTag();
    if (tag == 0) return malformed;
    const int field = WireFormatLite::GetTagFieldNumber(tag);
    if (field < 1 || field > 4 ||
        WireFormatLite::GetTagWireType(tag) != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      return Malformed("signed roster has unknown fields");
    }
    std::uint32_t length = 0;
    if (!in.ReadVarint32(&length)) return malformed;
    const std::size_t at = static_cast<std::size_t>(in.CurrentPosition());
    if (length > bytes.size() - at || !in.Skip(static_cast<int>(length))) return malformed;
    const std::string_view value = bytes.substr(at, length);
    if (field == 4) {
      if (out->events.size() >= constants::roster_events_max) {
        return Status(Code::kTooLarge, "roster carries more than " +
                                           std::to_string(constants::roster_events_max) + " events");
      }
      out->events.push_back(value);
      continue;
    }
    if (seen[field - 1]) return Malformed("signed roster field " + std::to_string(field) + " appears twice");
    seen[field - 1] = true;
    (field == 1 ? out->header : field == 2 ? out->public_key : out->signature) = value;
  }
  return Status::Ok();
}

// The position of the first event whose id an earlier event of `events` has.
std::optional<std::size_t> RepeatedId(const std::vector<CheckedEvent>& events) {
  internal::IdTable ids;
  ids.Reset(events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (!ids.Insert(events[i].event->event_id(), 0)) return i;
  }
  return std::nullopt;
}

}  // namespace

Result<CheckedAppend> CheckSignedRoster(std::string_view signed_roster_bytes, std::string_view origin) {
  if (signed_roster_bytes.size() > constants::roster_bytes_max) {
    return Status(Code::kTooLarge, "roster is larger than " + std::to_string(constants::roster_bytes_max));
  }
  RosterParts roster;
  if (Status s = ParseSignedRoster(signed_roster_bytes, &roster); !s.ok()) return s;
  auto key = DecodeKey(roster.public_key);
  if (!key.ok()) return key.status();
  v1::RosterHeader header;
  Status s = CheckRosterHeader(roster.header, *key, roster.signature, origin, &header);
  if (!s.ok()) return s;
  const std::size_t count = roster.events.size();
  if (header.event_count() != count) {
    return Malformed("roster header counts " + std::to_string(header.event_count()) +
                     " events, roster carries " + std::to_string(count));
  }
  std::vector<crypto::Hash> leaves;
  leaves.reserve(count);
  std::size_t event_bytes = 0;
  for (std::string_view event : roster.events) {
    leaves.push_back(crypto::LeafHash(event));
    event_bytes += event.size();
  }
  crypto::MemoryTree tree(std::move(leaves));
  auto root = crypto::HashFromBytes(header.events_root());
  if (!root || !crypto::ConstantTimeEqual(*root, tree.Root())) {
    return Status(Code::kBadSignature, "roster events do not match the signed events_root");
  }

  // Every event's envelope goes into one buffer, reserved once for the longest audit path so it
  // never moves under the views already taken.
  const std::size_t path_hashes_max = static_cast<std::size_t>(std::bit_width(count - 1));
  CheckedAppend out;
  google::protobuf::ArenaOptions arena_options;
  arena_options.start_block_size = constants::roster_arena_block_bytes;
  arena_options.max_block_size = constants::roster_arena_block_bytes;
  out.arena = std::make_unique<google::protobuf::Arena>(arena_options);
  out.storage = std::make_unique<std::string>();
  std::string& storage = *out.storage;
  storage.reserve(event_bytes + count * RosterEventEnvelopeOverhead(roster.public_key.size(), roster.header.size(),
                                                                    roster.signature.size(), path_hashes_max));
  [[maybe_unused]] const char* const reserved = storage.data();
  std::vector<crypto::Hash> path;  // One buffer for every event's inclusion proof.
  out.events.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    CheckedEvent& checked = out.events[i];
    checked.signer = *key;
    v1::Event* event = google::protobuf::Arena::CreateMessage<v1::Event>(out.arena.get());
    s = DecodeEvent(roster.events[i], origin, event);
    checked.event = event;
    if (!s.ok()) return Status(s.code(), "roster event " + std::to_string(i) + ": " + s.message());
    tree.InclusionProof(static_cast<std::uint64_t>(i), &path);
    const std::size_t envelope_at = storage.size();
    const std::size_t event_at = AppendRosterEventEnvelope(roster.events[i], roster.public_key, roster.header,
                                                           roster.signature, i, path, &storage);
    checked.envelope_bytes = std::string_view(storage).substr(envelope_at);
    checked.event_bytes = std::string_view(storage).substr(event_at, roster.events[i].size());
  }
  assert(storage.data() == reserved);  // Not reallocated: every view is valid.
  if (auto repeat = RepeatedId(out.events)) {
    return Status(Code::kDuplicateId, "roster event " + std::to_string(*repeat) + ": event id '" +
                                          out.events[*repeat].event->event_id() + "' appears twice in the roster");
  }
  return out;
}

}  // namespace ledger
