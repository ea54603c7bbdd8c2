// The one definition of a well-formed, correctly signed event, shared by the append path and the
// verifier: everything that can be checked without the ledger's state.
//
// Pure functions, safe from any thread. They cost one Ed25519 verification per event (one per
// roster for CheckSignedRoster) and never re-serialize what they verify.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <google/protobuf/arena.h>

#include "crypto/hash.h"
#include "crypto/signing.h"
#include "ledger/ledger.pb.h"
#include "ledger/status.h"

namespace ledger {

// An event whose bytes decoded and whose signature (or roster proof) verified. It points into
// storage its producer names: a CheckedAppend's, or the envelope and message the verifier or the
// rebuild passed in.
struct CheckedEvent {
  const v1::Event* event = nullptr;  // Decoded from event_bytes.
  std::string_view event_bytes;      // The exact signed bytes `event` was decoded from.
  crypto::PublicKey signer{};
  // The v1::SignedEvent to store, encoded once by the append-path checks (which run in
  // parallel, so the sequencer only copies it). Empty when read back by the verifier.
  std::string_view envelope_bytes;
};

// The checked events of one submission (a single event, or a roster's events in order) and what
// they point into: their decoded messages, on one arena, and their envelopes, back to back in
// one buffer that is never resized. A roster's 10,000 events are a few blocks, freed at once,
// instead of some 100,000 allocations of their own.
struct CheckedAppend {
  std::unique_ptr<google::protobuf::Arena> arena;
  std::unique_ptr<std::string> storage;
  std::vector<CheckedEvent> events;
};

// Remembers roster header signatures already verified, so a verifier walking 10,000 entries of
// one roster verifies its signature once. Safe for concurrent use.
class RosterSignatureCache {
 public:
  bool Contains(const crypto::Hash& key) const;
  void Insert(const crypto::Hash& key);

 private:
  mutable std::mutex mutex_;
  std::unordered_set<std::string> verified_;
};

// Checks a client's serialized SignedEvent for `origin`: size limits, decoding, the event's
// shape and a signature over the event (a roster proof is refused here: rosters arrive whole).
// Errors: kTooLarge, kMalformed, kWrongOrigin, kBadSignature.
Result<CheckedAppend> CheckSignedEvent(std::string_view signed_event_bytes, std::string_view origin);

// Checks an envelope read back from the log: like CheckSignedEvent, and also accepts a roster
// proof (header signature, event inclusion in the header's root). `cache` may be null. The
// event is decoded into `event`; the result points at it and views `envelope`, which must both
// outlive it. Its envelope_bytes is empty.
Result<CheckedEvent> CheckStoredEnvelope(const v1::SignedEvent& envelope, std::string_view origin,
                                         RosterSignatureCache* cache, v1::Event* event);

// Checks a client's serialized SignedRoster: header signature (once), event count and the root
// over the events' exact bytes; returns each event, in order, with its envelope (the event and
// its RosterProof) encoded for storage exactly as protobuf serializes a v1::SignedEvent.
// Errors as CheckSignedEvent, naming the roster line (0-based event position) at fault.
Result<CheckedAppend> CheckSignedRoster(std::string_view signed_roster_bytes,
                                                    std::string_view origin);

}  // namespace ledger
