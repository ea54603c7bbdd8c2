// The bytes of a log entry, written without building a v1::LogEntry message: the sequencer's
// hot path copies the envelope bytes the check stage serialized instead of copying a message
// tree. The output is exactly what protobuf would write for the same v1::LogEntry (fields in
// number order, proto3 zero values omitted), and a test holds the two equal. docs/formats.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/hash.h"

namespace ledger {

std::string EncodeLogEntry(std::uint64_t index, const crypto::Hash& previous_hash,
                           std::int64_t sequenced_ms, std::string_view signed_event_bytes);
// The same entry's bytes up to its envelope: EncodeLogEntry(...) is this head followed by the
// envelope bytes, so the sequencer hashes and stores the two parts without joining them.
std::string EncodeLogEntryHead(std::uint64_t index, const crypto::Hash& previous_hash,
                               std::int64_t sequenced_ms, std::size_t signed_event_size);

}  // namespace ledger
