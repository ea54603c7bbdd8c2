// The plug-in point for domain rules. The sequencer offers every event, in log order, to each
// Projection; a projection validates the event against the state it has built so far and, if the
// event is valid, applies its effect to that state and to the rows it keeps in the store, in the
// same WriteBatch as the entry. An error rejects the event (or the whole roster) and nothing of it
// is written. The verifier replays the log through the same projections, so what was accepted
// at append time is re-checked by the same code.
//
// Projections are driven by one thread (the sequencer, or the verifier's walk): no locking.
#pragma once

#include <cstdint>
#include <string_view>

#include "ledger/event_check.h"
#include "ledger/ledger.pb.h"
#include "ledger/status.h"

namespace rocksdb {
class WriteBatch;
}

namespace ledger {

class Projection {
 public:
  virtual ~Projection() = default;

  // Checks `event` at log position `index`, signed by `signer` (already known to be registered,
  // unrevoked and allowed to sign this kind of event), and applies it. `batch` is null during
  // verification. On error the projection's state is exactly as before the call.
  virtual Status Apply(const CheckedEvent& event, std::uint64_t index,
                       const v1::ActorRecord& signer, rocksdb::WriteBatch* batch) = 0;

  // Savepoints bracket a unit that is all-or-nothing (a roster): after SetSavepoint, either
  // RollbackToSavepoint undoes every Apply since, or ReleaseSavepoint keeps them.
  virtual void SetSavepoint() = 0;
  virtual void RollbackToSavepoint() = 0;
  virtual void ReleaseSavepoint() = 0;
};

}  // namespace ledger
