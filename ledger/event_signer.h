// The signer's side: how an officer's machine turns an event into the bytes it submits.
// Used by ledgerctl, the bench and the tests; a client in another language follows
// docs/formats.md instead. Pure functions, thread-safe.
#pragma once

#include <string>
#include <vector>

#include "crypto/signing.h"
#include "ledger/ledger.pb.h"

namespace ledger {

// Serializes `event` once and signs those bytes: returns a serialized v1::SignedEvent.
std::string SignEvent(const v1::Event& event, const crypto::SecretKey& key);

// Serializes each event once, computes the roster root over those bytes, fills in the header's
// event_count and events_root, signs the header: returns a serialized v1::SignedRoster.
std::string SignRoster(v1::RosterHeader header, const std::vector<v1::Event>& events,
                       const crypto::SecretKey& key);

}  // namespace ledger
