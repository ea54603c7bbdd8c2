// Verifies a test ledger's whole log as an auditor would, trusting the ledger's own log.pub.
#pragma once

#include <string>

#include "crypto/note.h"
#include "ledger/event_store.h"
#include "replay/verifier.h"

namespace testing_ledger {

inline ledger::Result<replay::VerifyReport> VerifyLedger(const std::string& dir) {
  auto log_key = crypto::ReadVerifierKeyFile(ledger::LogPublicKeyPath(dir));
  if (!log_key.ok()) return log_key.status();
  return replay::VerifyLog({dir, *log_key, 2, {}, {}});
}

}  // namespace testing_ledger
