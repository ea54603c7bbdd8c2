// What exactly each signature covers. Every signed message is a fixed context string followed
// by the exact stored bytes, so a signature made for one purpose (an event, a roster header, a
// checkpoint) can never be replayed as another. docs/formats.md has worked examples.
#pragma once

#include <string>
#include <string_view>

namespace ledger {

// Signed message for a single event: kEventContext || Event bytes.
inline constexpr std::string_view kEventContext = "audit-ledger/v1/event\n";
// Signed message for a roster: kRosterContext || RosterHeader bytes.
inline constexpr std::string_view kRosterContext = "audit-ledger/v1/roster\n";

std::string EventSigningMessage(std::string_view event_bytes);
std::string RosterSigningMessage(std::string_view header_bytes);

}  // namespace ledger
