// Fund flows: the reference data (funds, programs, regions, effective-dated rates), the money
// events (allocations, arrivals, disbursements, reversals, program transfers), beneficiaries by
// pseudonym, and the double-entry book every money event posts to. docs/funds.md specifies the
// rules, the accounts and every row.
//
// FundsProjection is built into every EventStore: no money event is accepted without it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "ledger/ledger.pb.h"
#include "ledger/projection.h"
#include "ledger/status.h"

namespace ledger {

// Event kinds of this module: reference data is signed by admins, the rest by finance officers.
bool IsFundsReferenceEvent(v1::Event::BodyCase kind);
bool IsFundsMoneyEvent(v1::Event::BodyCase kind);
// The region a money event concerns (for the signer's region scope); empty for reference data.
std::string_view FundsEventRegion(const v1::Event& event);

// "12,000.00": fen as yuan with thousands separators, for messages people read.
std::string FormatYuan(std::int64_t fen);

class FundsProjection final : public Projection {
 public:
  FundsProjection();
  ~FundsProjection() override;

  std::string_view name() const override { return "funds"; }
  Status Load(const RowReader& rows) override;
  Status Apply(const CheckedEvent& event, std::uint64_t index, const v1::ActorRecord& signer,
               RowWriter* rows) override;
  Status EndBatch(RowWriter* rows) override;
  void SetSavepoint() override;
  void RollbackToSavepoint() override;
  void ReleaseSavepoint() override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ledger
