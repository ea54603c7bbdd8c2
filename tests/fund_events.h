// Builders of fund-flow events for tests: valid by default, so a test changes only the field
// it is about. Codes match the reference data Reference() defines.
#pragma once

#include <string>
#include <vector>

#include "ledger/ledger.pb.h"
#include "tests/test_ledger.h"

namespace testing_ledger::funds {

using ledger::v1::Event;

inline constexpr const char* kFund = "2025-central";
inline constexpr const char* kWuyuan = "150821";
inline constexpr const char* kLinhe = "150802";
inline constexpr const char* kUnit = "91350200MA2YJ1XR9G";  // Valid credit code (domain.md).
inline constexpr const char* kSubject = "s0123456789abcdef0123456789abcdef";
inline constexpr const char* kAccount = "00112233445566778899aabbccddeeff";

inline Event New(const std::string& id) { return TestLedger::NewEvent(id); }
inline Event Region(const std::string& code, const std::string& name) {
  Event event = New("region-" + code);
  event.mutable_region_defined()->set_region_code(code);
  event.mutable_region_defined()->set_name_zh(name);
  return event;
}
inline Event Program(const std::string& code, const std::string& name) {
  Event event = New("program-" + code);
  event.mutable_program_defined()->set_program_code(code);
  event.mutable_program_defined()->set_name_zh(name);
  return event;
}
inline Event Fund(const std::string& code, ledger::v1::SourceLevel level) {
  Event event = New("fund-" + code);
  auto* fund = event.mutable_fund_defined();
  fund->set_fund_code(code);
  fund->set_name("2025年中央就业补助资金");
  fund->set_year(2025);
  fund->set_source_level(level);
  fund->set_document_number("财社〔2025〕1号");
  return event;
}
inline Event Plan(const std::string& id, std::int64_t fen, const std::string& region = kWuyuan,
           const std::string& program = "R4", const std::string& fund = kFund) {
  Event event = New(id);
  auto* plan = event.mutable_allocation_planned();
  plan->set_fund_code(fund);
  plan->set_region_code(region);
  plan->set_program_code(program);
  plan->set_amount_fen(fen);
  plan->set_document_number("内财社〔2025〕12号");
  plan->set_document_date("2025-01-10");
  return event;
}
inline Event Arrival(const std::string& id, const std::string& plan, std::int64_t fen,
              const std::string& date = "2025-02-01", const std::string& region = kWuyuan) {
  Event event = New(id);
  auto* arrival = event.mutable_funds_received();
  arrival->set_plan_event_id(plan);
  arrival->set_region_code(region);
  arrival->set_amount_fen(fen);
  arrival->set_value_date(date);
  return event;
}
inline Event PayUnit(const std::string& id, std::int64_t fen, const std::string& program = "R4",
              const std::string& region = kWuyuan, const std::string& unit = kUnit) {
  Event event = New(id);
  auto* pay = event.mutable_disbursement();
  pay->set_fund_code(kFund);
  pay->set_region_code(region);
  pay->set_program_code(program);
  pay->set_amount_fen(fen);
  pay->set_unit_code(unit);
  pay->set_account_ref("6222020200112233445");
  pay->set_period("2025-03");
  pay->set_pay_date("2025-03-20");
  pay->set_document_number("五就见〔2025〕3号");
  return event;
}
inline Event Reverse(const std::string& id, const std::string& original, std::int64_t fen) {
  Event event = New(id);
  auto* reversal = event.mutable_reversal();
  reversal->set_disbursement_event_id(original);
  reversal->set_region_code(kWuyuan);
  reversal->set_amount_fen(fen);
  reversal->set_reason("重复发放");
  reversal->set_value_date("2025-04-02");
  return event;
}
// A logged read of a person's personal data (PersonalDataRead).
inline Event PersonRead(const std::string& id, const std::string& subject = kSubject,
                        const std::string& region = kWuyuan) {
  Event event = New(id);
  auto* read = event.mutable_personal_data_read();
  read->set_subject_id(subject);
  read->set_region_code(region);
  read->set_purpose("核对发放账户");
  return event;
}
inline Event Person(const std::string& id, const std::string& subject = kSubject) {
  Event event = New(id);
  auto* person = event.mutable_person_registered();
  person->set_subject_id(subject);
  person->set_account_digest(kAccount);
  person->set_region_code(kWuyuan);
  return event;
}

// The regions, programs and fund every fund-flow test starts from, signed by the admin.
inline std::vector<Event> Reference() {
  return {Region(kWuyuan, "五原县"), Region(kLinhe, "临河区"), Program("R3", "中小企业人才储备计划"),
          Program("R4", "就业见习补贴"), Fund(kFund, ledger::v1::SOURCE_LEVEL_CENTRAL)};
}

}  // namespace testing_ledger::funds
