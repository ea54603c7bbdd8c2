// The bytes of a log entry, written without building a v1::LogEntry message: the sequencer's
// hot path copies the envelope bytes the check stage serialized instead of copying a message
// tree. The output is exactly what protobuf would write for the same v1::LogEntry (fields in
// number order, proto3 zero values omitted), and a test holds the two equal. docs/formats.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/hash.h"

namespace ledger {

std::string EncodeLogEntry(std::uint64_t index, const crypto::Hash& previous_hash,
                           std::int64_t sequenced_ms, std::string_view signed_event_bytes);
// The same entry's bytes up to its envelope: EncodeLogEntry(...) is this head followed by the
// envelope bytes, so the sequencer hashes and stores the two parts without joining them.
std::string EncodeLogEntryHead(std::uint64_t index, const crypto::Hash& previous_hash,
                               std::int64_t sequenced_ms, std::size_t signed_event_size);

// A v1::SignedEvent's bytes, appended to `out`: a single event's (signature) or one roster
// event's (RosterProof: the signed header, its signature, the event's leaf index and audit
// path). Each returns where in `out` the event's bytes begin, so a caller keeps views of the
// envelope and of the event inside it. The check stage encodes every roster event's envelope
// into one buffer this way; for a roster the header and signature repeat in every envelope.
std::size_t AppendSignedEventEnvelope(std::string_view event, std::string_view public_key,
                                      std::string_view signature, std::string* out);
std::size_t AppendRosterEventEnvelope(std::string_view event, std::string_view public_key,
                                      std::string_view header, std::string_view signature,
                                      std::uint64_t leaf_index, const std::vector<crypto::Hash>& audit_path,
                                      std::string* out);
// The most AppendRosterEventEnvelope adds beyond the event's bytes for a path of at most
// `path_hashes` hashes: what a caller reserves so the buffer never moves under its views.
std::size_t RosterEventEnvelopeOverhead(std::size_t public_key_size, std::size_t header_size,
                                        std::size_t signature_size, std::size_t path_hashes);

}  // namespace ledger
