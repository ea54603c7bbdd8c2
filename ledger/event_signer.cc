#include "ledger/event_signer.h"

#include "crypto/merkle.h"
#include "ledger/signing_context.h"

namespace ledger {

std::string SignEvent(const v1::Event& event, const crypto::SecretKey& key) {
  v1::SignedEvent envelope;
  envelope.set_event(event.SerializeAsString());
  envelope.set_public_key(std::string(crypto::AsBytes(key.public_key())));
  envelope.set_signature(
      std::string(crypto::AsBytes(key.Sign(EventSigningMessage(envelope.event())))));
  return envelope.SerializeAsString();
}

std::string SignRoster(v1::RosterHeader header, const std::vector<v1::Event>& events,
                       const crypto::SecretKey& key) {
  v1::SignedRoster roster;
  std::vector<crypto::Hash> leaves;
  leaves.reserve(events.size());
  for (const v1::Event& event : events) {
    std::string* bytes = roster.add_events();
    *bytes = event.SerializeAsString();
    leaves.push_back(crypto::LeafHash(*bytes));
  }
  crypto::MemoryTree tree(std::move(leaves));
  header.set_event_count(events.size());
  header.set_events_root(std::string(crypto::AsBytes(tree.Root())));
  roster.set_header(header.SerializeAsString());
  roster.set_public_key(std::string(crypto::AsBytes(key.public_key())));
  roster.set_signature(
      std::string(crypto::AsBytes(key.Sign(RosterSigningMessage(roster.header())))));
  return roster.SerializeAsString();
}

}  // namespace ledger
