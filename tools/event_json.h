// Events as JSON: the proto3 JSON mapping of ledger.v1.Event, which `ledgerctl append` reads
// and `ledgerctl get` prints. Byte fields are base64 as the mapping prescribes.
#pragma once

#include <string>
#include <string_view>

#include "ledger/ledger.pb.h"
#include "ledger/status.h"

namespace tools {

// Parses one event; unknown fields and wrong types are kMalformed with protobuf's reason.
// Fills `origin` if absent, `timestamp_ms` with now if absent and `event_id` with a random id if
// absent, so a person can write only the body.
ledger::Result<ledger::v1::Event> EventFromJson(std::string_view json, const std::string& origin);

// Any schema message as one line of JSON (field names as in the .proto).
std::string ToJson(const google::protobuf::Message& message);

// A stored entry as JSON: the entry with its event decoded beside the exact bytes, and its hash.
ledger::Result<std::string> EntryToJson(std::string_view entry_bytes);

}  // namespace tools
