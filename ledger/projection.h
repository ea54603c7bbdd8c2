// The plug-in point for domain rules. The sequencer offers every event, in log order, to each
// Projection; a projection validates the event against the state it has built so far and, if the
// event is valid, applies its effect to that state and to the rows it keeps in the store, in the
// same WriteBatch as the entry. An error rejects the event (or the whole roster) and nothing of it
// is written. The verifier and `ledgerctl rebuild` replay the log through the same projections,
// so what was accepted at append time is re-checked by the same code.
//
// Rows: a projection keeps its durable state as key/value rows of one column family (the actor
// registry in `actors`, domain projections in `projections`, each under keys beginning with its
// name and '/'), so opening a store loads state instead of replaying the log.
//
// Projections are driven by one thread (the sequencer, or a replay): no locking.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "ledger/event_check.h"
#include "ledger/ledger.pb.h"
#include "ledger/status.h"

namespace ledger {

// Where a projection writes its rows: the batch being built, or a replay's scratch store.
class RowWriter {
 public:
  virtual ~RowWriter() = default;
  virtual void Put(std::string_view key, std::string_view value) = 0;
};

// Read access to stored rows, for loading a projection and for queries. Safe from any thread.
class RowReader {
 public:
  using Visitor = std::function<bool(std::string_view key, std::string_view value)>;
  virtual ~RowReader() = default;
  // The value at `key`; kNotFound if there is none.
  virtual Result<std::string> Get(std::string_view key) const = 0;
  // Visits the rows with keys in [from, to), in key order, while `visit` returns true. An empty
  // `to` means no upper bound.
  virtual Status Scan(std::string_view from, std::string_view to, const Visitor& visit) const = 0;
  // The row with the greatest key in [from, to); kNotFound if there is none.
  virtual Result<std::pair<std::string, std::string>> Last(std::string_view from,
                                                           std::string_view to) const = 0;
};

class Projection {
 public:
  virtual ~Projection() = default;

  // Its rows' key prefix, without the '/'.
  virtual std::string_view name() const = 0;

  // Restores the state its rows hold (opening an existing store). Called once, before any Apply.
  virtual Status Load(const RowReader& rows) = 0;

  // Checks `event` at log position `index`, signed by `signer` (already known to be registered,
  // unrevoked and allowed to sign this kind of event), and applies it. `rows` is null when a
  // replay keeps no rows. On error the projection's state is exactly as before the call.
  virtual Status Apply(const CheckedEvent& event, std::uint64_t index,
                       const v1::ActorRecord& signer, RowWriter* rows) = 0;

  // Ends a batch: writes the rows that hold current totals (once per batch, not per event) and
  // checks the projection's invariants over its whole state. An error here is a bug in the
  // projection: the store refuses to write the batch and stops.
  virtual Status EndBatch(RowWriter* rows) = 0;

  // Savepoints bracket a unit that is all-or-nothing (one event, or a roster): after
  // SetSavepoint, either RollbackToSavepoint undoes every Apply since, or ReleaseSavepoint keeps
  // them. Savepoints do not nest.
  virtual void SetSavepoint() = 0;
  virtual void RollbackToSavepoint() = 0;
  virtual void ReleaseSavepoint() = 0;
};

}  // namespace ledger
