// What exactly each signature covers. Every signed message starts with a fixed context string
// followed by the exact stored bytes (or, for an API request, its fields), so a signature made
// for one purpose (an event, a roster header, a checkpoint, a request) can never be replayed as
// another. docs/formats.md and docs/api.md have worked examples.
#pragma once

#include <string>
#include <string_view>

namespace ledger {

// Signed message for a single event: kEventContext || Event bytes.
inline constexpr std::string_view kEventContext = "audit-ledger/v1/event\n";
// Signed message for a roster: kRosterContext || RosterHeader bytes.
inline constexpr std::string_view kRosterContext = "audit-ledger/v1/roster\n";
// Signed message for an API request: kRequestContext || origin LF method LF target LF timestamp LF
// hex SHA-256(body) LF. Built by api/request_auth.h's RequestSigningMessage.
inline constexpr std::string_view kRequestContext = "audit-ledger/v1/request\n";

std::string EventSigningMessage(std::string_view event_bytes);
std::string RosterSigningMessage(std::string_view header_bytes);

}  // namespace ledger
