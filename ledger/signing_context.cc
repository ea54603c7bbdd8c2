#include "ledger/signing_context.h"

namespace ledger {

namespace {
std::string Concat(std::string_view context, std::string_view bytes) {
  std::string message;
  message.reserve(context.size() + bytes.size());
  message.append(context);
  message.append(bytes);
  return message;
}
}  // namespace

std::string EventSigningMessage(std::string_view event_bytes) {
  return Concat(kEventContext, event_bytes);
}

std::string RosterSigningMessage(std::string_view header_bytes) {
  return Concat(kRosterContext, header_bytes);
}

}  // namespace ledger
