// A payment roster (发放花名册) as a finance office keeps it: the CSV export of its spreadsheet,
// read into disbursement events only after every row has been checked. docs/ledgerctl.md lists
// the columns, with a worked example.
//
// The file is UTF-8 with or without a byte order mark, lines end in LF or CRLF, and fields are
// quoted as RFC 4180 says. The first non-blank record is the header; columns are found by their
// Chinese or English names, and columns of other names (序号, 姓名, 备注…) are ignored: nothing
// of them goes into an event. Amounts are yuan with at most two decimals, parsed exactly into fen.
//
// Pure functions, safe to call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/ledger.pb.h"
#include "ledger/status.h"

namespace tools {

// What the rows of a roster share, from ledgerctl's flags.
struct RosterCsvOptions {
  std::string origin;             // Every event's origin.
  std::int64_t timestamp_ms = 0;  // Every event's timestamp.
  // Without an 事件编号/event_id column, row n (1-based, in file order) gets the event id
  // "<roster_id>-<n>", so the same file sent twice can never pay twice; such a file is refused
  // when this is empty.
  std::string roster_id;
  // For a file without the column of the same field; giving both is refused.
  std::string period;
  std::string pay_date;
  std::string document_number;
};

// One thing wrong with the file, at the line its record starts on (the header is line 1 when
// the file starts with it).
struct RosterCsvProblem {
  std::size_t line = 0;
  std::string message;
  bool operator==(const RosterCsvProblem& other) const {
    return line == other.line && message == other.message;
  }
};

struct RosterCsv {
  std::vector<ledger::v1::Event> events;   // One disbursement per row; empty if any problem.
  std::vector<RosterCsvProblem> problems;  // Every problem found, in line order.
};

// Reads and checks a whole roster file. A row is checked field by field and every problem of
// every row is reported; a problem with the file itself (not UTF-8, a broken header, a quote
// never closed) stops the reading there.
RosterCsv ReadRosterCsv(std::string_view text, const RosterCsvOptions& options);

// Yuan as a spreadsheet cell writes them ("12", "12.5", "12.50", "0.01") as exact fen: digits,
// optionally '.' and one or two digits, more than 0 and at most constants::amount_fen_max.
// Errors: kInvalidAmount saying what is wrong ("1e3", "-1", "12.345", "1,200", "").
ledger::Result<std::int64_t> ParseYuan(std::string_view text);

// One CSV record: its fields, unquoted, and the line it starts on. `error` is set when the
// record breaks RFC 4180 (a quote inside an unquoted field, text after a closing quote, a quote
// never closed); its fields are then incomplete.
struct CsvRecord {
  std::size_t line = 0;
  std::vector<std::string> fields;
  std::string error;
};

// Splits `text` (without a byte order mark) into records: fields separated by ',', records by
// LF or CRLF (also inside quotes, where they are kept as they are), '"' doubled inside a quoted
// field. A record with an error ends at the end of its line and splitting goes on from the next,
// except for a quote never closed, which ends the text.
std::vector<CsvRecord> SplitCsv(std::string_view text);

}  // namespace tools
