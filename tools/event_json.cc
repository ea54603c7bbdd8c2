#include "tools/event_json.h"

#include <google/protobuf/util/json_util.h>

#include "crypto/hash.h"
#include "tools/cli.h"

namespace tools {

ledger::Result<ledger::v1::Event> EventFromJson(std::string_view json, const std::string& origin) {
  ledger::v1::Event event;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &event, options);
  if (!status.ok()) {
    return ledger::Status(ledger::Code::kMalformed, "event JSON: " + status.ToString());
  }
  if (event.origin().empty()) event.set_origin(origin);
  if (event.timestamp_ms() == 0) event.set_timestamp_ms(NowMs());
  if (event.event_id().empty()) event.set_event_id(RandomId());
  return event;
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = false;
  // Printing a schema message cannot fail: every message here is well-formed.
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

ledger::Result<std::string> EntryToJson(std::string_view entry_bytes) {
  ledger::v1::LogEntry entry;
  if (!entry.ParseFromArray(entry_bytes.data(), static_cast<int>(entry_bytes.size()))) {
    return ledger::Status(ledger::Code::kCorruption, "entry does not decode");
  }
  ledger::v1::Event event;
  if (!event.ParseFromString(entry.signed_event().event())) {
    return ledger::Status(ledger::Code::kCorruption, "entry's event does not decode");
  }
  std::string out = "{\"entry_hash\":\"";
  out += crypto::HexEncode(crypto::AsBytes(crypto::LeafHash(entry_bytes)));
  out += "\",\"entry\":" + ToJson(entry) + ",\"event\":" + ToJson(event) + "}";
  return out;
}

}  // namespace tools
